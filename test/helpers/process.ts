/** Run the built `plan2` CLI as a real process (tests of `npm start` and multi-node setups). */
import { ChildProcess, spawn } from 'node:child_process';
import * as net from 'node:net';
import * as path from 'node:path';
import { ROOT } from '../../paths';

export const PLAN2_BIN = path.join(ROOT, 'dist', 'cli', 'plan2.js');

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

export interface Proc {
  child: ChildProcess;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function runPlan2(args: string[], env: Record<string, string>): Proc {
  const child = spawn(process.execPath, [PLAN2_BIN, ...args], { env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return { child, output: () => out, exited };
}

/** Poll `url` until it answers with `status` (default 200) or the time is up. */
export async function waitForHttp(url: string, timeoutMs: number, status = 200): Promise<number> {
  const t0 = Date.now();
  for (;;) {
    try {
      const r = await fetch(url);
      if (r.status === status) return Date.now() - t0;
    } catch {
      /* not listening yet */
    }
    if (Date.now() - t0 > timeoutMs) throw new Error(`${url} did not answer ${status} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
