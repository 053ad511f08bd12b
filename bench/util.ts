/** Shared helpers for benchmarks: timing, percentiles, result files. */
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { ROOT } from '../paths';

/** A benchmark module default-exports one of these; `npm run bench -- <name>` runs bench/<name>.bench. */
export type Bench = (args: string[]) => Promise<Record<string, unknown>>;

export function nowNs(): bigint {
  return process.hrtime.bigint();
}

/** Percentile (0..100) of a sample by linear interpolation between closest ranks. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const r = (p / 100) * (n - 1);
  const lo = Math.floor(r);
  const hi = Math.ceil(r);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (r - lo);
}

export function summarize(samples: number[]): { n: number; p50: number; p90: number; p99: number; min: number; max: number; mean: number } {
  const s = Float64Array.from(samples).sort();
  const mean = samples.reduce((a, b) => a + b, 0) / Math.max(1, samples.length);
  return { n: s.length, p50: percentile(s, 50), p90: percentile(s, 90), p99: percentile(s, 99), min: s[0], max: s[s.length - 1], mean };
}

export function median(xs: number[]): number {
  return percentile(Float64Array.from(xs).sort(), 50);
}

/** Run `fn` `runs` times (after `warmup` runs) and return each run's wall time in ms. */
export function timeRuns(fn: () => unknown, runs: number, warmup = 2): number[] {
  for (let i = 0; i < warmup; i++) fn();
  const out: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = nowNs();
    fn();
    out.push(Number(nowNs() - t0) / 1e6);
  }
  return out;
}

/**
 * Await `fn(i)` `warmup + n` times, one at a time, optionally idling `idleMs` between calls
 * (as between orders or candles); returns the timed calls' latencies in ms.
 */
export async function timeCalls(fn: (i: number) => Promise<unknown>, opts: { n: number; warmup: number; idleMs?: number }): Promise<number[]> {
  const ms: number[] = [];
  for (let i = 0; i < opts.warmup + opts.n; i++) {
    const t0 = nowNs();
    await fn(i);
    if (i >= opts.warmup) ms.push(Number(nowNs() - t0) / 1e6);
    if (opts.idleMs) await new Promise((r) => setTimeout(r, opts.idleMs));
  }
  return ms;
}

export function machine(): Record<string, unknown> {
  return { node: process.version, cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, totalMemGiB: Math.round(os.totalmem() / 2 ** 30), platform: process.platform };
}

/** Write `bench/results/<name>.json` with the machine description and a timestamp. */
export function writeResult(name: string, result: Record<string, unknown>): string {
  const dir = path.join(ROOT, 'bench', 'results');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${name}.json`);
  fs.writeFileSync(file, JSON.stringify({ benchmark: name, at: new Date().toISOString(), machine: machine(), ...result }, null, 2) + '\n');
  return file;
}

/**
 * The bundled Lean EURUSD 2014-05-08 ticks and their M1 bid bars (`v` and `n` =
 * ticks in the bar), as the decision benchmarks replay them.
 */
export function bundledEurusdDay(): { ticks: import('../types/market').Tick[]; bars: import('../types/market').Candle[] } {
  // Required lazily so benchmarks that don't replay the day don't load the reader.
  const { parseLeanTicks } = require('../lib/market/lean') as typeof import('../lib/market/lean');
  const { m1BidBars } = require('../lib/market/candles') as typeof import('../lib/market/candles');
  const { DATA_BUNDLE_DIR } = require('../paths') as typeof import('../paths');
  const file = path.join(DATA_BUNDLE_DIR, 'lean', 'forex', 'oanda', 'tick', 'eurusd', '20140508_eurusd_tick_quote.csv');
  const ticks = parseLeanTicks(fs.readFileSync(file, 'utf8'), 'EURUSD', Date.UTC(2014, 4, 8));
  return { ticks, bars: m1BidBars(ticks) };
}

/** True when a TCP connection to the URL's host and port opens within 2 s (benchmarks skip runs whose server is absent). */
export function reachable(url: string, defaultPort = 4222): Promise<boolean> {
  const u = new URL(url);
  return new Promise((resolve) => {
    const sock = net.connect({ host: u.hostname, port: Number(u.port) || defaultPort });
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(2000, () => done(false));
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}
