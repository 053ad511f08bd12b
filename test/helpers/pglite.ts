/**
 * Embedded PGlite for integration tests, served over the wire protocol from a
 * child process (PGlite's WASM loader needs dynamic import, which jest's VM does
 * not allow in-process). Same engine and socket server as `npm start`'s default.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ROOT } from '../../paths';

export interface PgliteServer {
  url: string;
  stop(): Promise<void>;
}

const CHILD = `
const { PGlite } = await import('@electric-sql/pglite');
const { PGLiteSocketServer } = await import('@electric-sql/pglite-socket');
const net = await import('node:net');
const db = await PGlite.create({ dataDir: process.argv[1] });
const port = await new Promise((res, rej) => { const s = net.createServer(); s.on('error', rej); s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => res(p)); }); });
const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port, maxConnections: 16 });
await server.start();
process.stdout.write('PORT ' + port + '\\n');
process.stdin.on('end', async () => { await server.stop(); await db.close(); process.exit(0); });
process.stdin.resume();
`;

export async function startPglite(): Promise<PgliteServer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plan2-pglite-'));
  const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD, path.join(dir, 'db')], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`PGlite did not start in 60 s: ${stderr}`)), 60_000);
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /PORT (\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`PGlite child exited with ${code}: ${stderr}`));
    });
  });
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres?sslmode=disable`,
    async stop() {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.stdin.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
