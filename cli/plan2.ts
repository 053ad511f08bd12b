#!/usr/bin/env node
/** The `plan2` command: discovers sub-commands in cli/commands/. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigError } from '../config';
import { ROOT } from '../paths';
import { DomainError, UnavailableError } from '../lib/errors';
import { CliCommand, UsageError } from './command';

const EXT = __filename.endsWith('.ts') ? '.ts' : '.js';

export function loadCommands(): CliCommand[] {
  const dir = path.join(__dirname, 'commands');
  const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith(EXT) && !f.endsWith('.d.ts')) : [];
  return files
    .map((f) => (require(path.join(dir, f)) as { default: CliCommand }).default)
    .filter((c) => c && typeof c.run === 'function')
    .sort((a, b) => a.name.localeCompare(b.name));
}

function help(cmds: CliCommand[]): string {
  const w = Math.max(...cmds.map((c) => c.name.length), 4);
  return [
    'Usage: plan2 <command> [options]',
    '',
    'Self-hosted, multi-tenant AI trading platform.',
    '',
    'Commands:',
    ...cmds.map((c) => `  ${c.name.padEnd(w)}  ${c.summary}`),
    '',
    'Run `plan2 <command> --help` for a command\'s options. Configuration is read from the environment (see README).',
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const cmds = loadCommands();
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(help(cmds) + '\n');
    return 0;
  }
  if (name === '--version' || name === '-v') {
    process.stdout.write((JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version + '\n');
    return 0;
  }
  const cmd = cmds.find((c) => c.name === name);
  if (!cmd) {
    process.stderr.write(`plan2: unknown command '${name}'\n\n${help(cmds)}\n`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(cmd.usage.trimEnd() + '\n');
    return 0;
  }
  try {
    return await cmd.run(rest);
  } catch (e) {
    if (e instanceof UsageError || e instanceof ConfigError || e instanceof DomainError) {
      process.stderr.write(`plan2 ${name}: ${e.message}\n`);
      return 2;
    }
    if (e instanceof UnavailableError) {
      process.stderr.write(`plan2 ${name}: ${e.message}\n`);
      return 3;
    }
    process.stderr.write(`plan2 ${name}: ${(e as Error).stack ?? String(e)}\n`);
    return 1;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      // Long-running commands (start, replay, repl) resolve only when done.
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(String(e) + '\n');
      process.exitCode = 1;
    },
  );
}
