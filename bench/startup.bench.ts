/**
 * Time from process start to `/health` 200 for `plan2 start` on embedded defaults
 * (PGlite, local transporter, in-memory cache, replay on), median of 5 warm starts
 * on one DATA_DIR, plus the first (cold) start that initialises the database.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { ROOT } from '../paths';
import { Bench, median } from './util';

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

async function once(dataDir: string): Promise<{ toHealthMs: number; stopMs: number; exitCode: number | null }> {
  const port = await freePort();
  const mt5 = await freePort();
  const t0 = performance.now();
  const child = spawn(process.execPath, [path.join(ROOT, 'dist', 'cli', 'plan2.js'), 'start'], {
    env: { PATH: process.env.PATH ?? '', DATA_DIR: dataDir, PORT: String(port), MT5_PORT: String(mt5), LOG_LEVEL: 'warn' },
    stdio: 'ignore',
  });
  const exited = new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
  let toHealthMs = NaN;
  for (;;) {
    try {
      const r = await fetch(`http://127.0.0.1:${port}/health`);
      if (r.status === 200) {
        toHealthMs = performance.now() - t0;
        break;
      }
    } catch {
      /* not yet listening */
    }
    if (performance.now() - t0 > 120_000) break;
    await new Promise((r) => setTimeout(r, 10));
  }
  const s0 = performance.now();
  child.kill('SIGTERM');
  const exitCode = await exited;
  return { toHealthMs, stopMs: performance.now() - s0, exitCode };
}

const bench: Bench = async (args) => {
  const runs = Number(args[0] ?? 5);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'plan2-startup-'));
  try {
    const cold = await once(dataDir);
    const warm = [];
    for (let i = 0; i < runs; i++) warm.push(await once(dataDir));
    const ms = warm.map((w) => w.toHealthMs);
    return {
      what: 'plan2 start → GET /health 200, embedded defaults (PGlite + local transporter + replay), all services in one process',
      goalMs: 2000,
      coldStartMs: Math.round(cold.toHealthMs),
      warmStartMedianMs: Math.round(median(ms)),
      warmStartsMs: ms.map(Math.round),
      gracefulStopMedianMs: Math.round(median(warm.map((w) => w.stopMs))),
      exitCodes: warm.map((w) => w.exitCode),
      loadAverage: os.loadavg().map((x) => Math.round(x * 10) / 10),
    };
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
};

export default bench;
