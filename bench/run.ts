/** `npm run bench -- <name> [args]` runs bench/<name>.bench and writes bench/results/<name>.json; no name runs all. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Bench, writeResult } from './util';

const EXT = __filename.endsWith('.ts') ? '.ts' : '.js';

async function main(argv: string[]): Promise<number> {
  const available = fs
    .readdirSync(__dirname)
    .filter((f) => f.endsWith('.bench' + EXT))
    .map((f) => f.slice(0, -('.bench' + EXT).length))
    .sort();
  const [name, ...rest] = argv;
  if (name === '--help' || name === '-h') {
    process.stdout.write(`Usage: npm run bench -- [name] [args]\nBenchmarks: ${available.join(', ')}\n`);
    return 0;
  }
  const names = name ? [name] : available;
  for (const n of names) {
    if (!available.includes(n)) {
      process.stderr.write(`unknown benchmark '${n}'; available: ${available.join(', ')}\n`);
      return 2;
    }
    const bench = (require(path.join(__dirname, n + '.bench' + EXT)) as { default: Bench }).default;
    process.stderr.write(`bench ${n}…\n`);
    const result = await bench(rest);
    const file = writeResult(n, result);
    process.stdout.write(JSON.stringify(result, null, 2) + '\n');
    process.stderr.write(`wrote ${path.relative(process.cwd(), file)}\n`);
  }
  return 0;
}

main(process.argv.slice(2)).then(
  (c) => process.exit(c),
  (e: unknown) => {
    process.stderr.write(((e as Error).stack ?? String(e)) + '\n');
    process.exit(1);
  },
);
