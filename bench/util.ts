/** Shared helpers for benchmarks: timing, percentiles, result files. */
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { ROOT } from '../paths';
import type { Candle, Tick } from '../types/market';

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

export interface StallCount {
  seconds: number;
  gapsOver1ms: number;
  gapsOver2ms: number;
  gapsOver4ms: number;
  maxGapMs: number;
}

function spinGaps(ms: number): StallCount {
  const end = performance.now() + ms;
  let last = performance.now();
  const out: StallCount = { seconds: ms / 1000, gapsOver1ms: 0, gapsOver2ms: 0, gapsOver4ms: 0, maxGapMs: 0 };
  for (;;) {
    const t = performance.now();
    const g = t - last;
    last = t;
    if (g > 1) out.gapsOver1ms++;
    if (g > 2) out.gapsOver2ms++;
    if (g > 4) out.gapsOver4ms++;
    if (g > out.maxGapMs) out.maxGapMs = g;
    if (t >= end) break;
  }
  out.maxGapMs = Math.round(out.maxGapMs * 1000) / 1000;
  return out;
}

/**
 * The machine's own scheduling noise, for reading a benchmark's tail: a loop that does
 * nothing but read the clock, run for `ms` alone and then again while a second thread
 * spins, counts the gaps in which this thread did not run. On a quiet machine with two
 * CPUs both counts are near zero; where the second count is not, every path that keeps
 * two threads busy (this process and a database server, say) inherits those gaps as
 * its tail, whatever it does itself.
 */
export async function schedulingStalls(ms = 2000): Promise<{ alone: StallCount; withSecondBusyThread: StallCount }> {
  const alone = spinGaps(ms);
  const w = new Worker('const end = Date.now() + Number(require("node:worker_threads").workerData); while (Date.now() < end);', { eval: true, workerData: ms + 500 });
  await new Promise<void>((resolve, reject) => {
    w.once('online', () => resolve());
    w.once('error', reject);
  });
  const withSecondBusyThread = spinGaps(ms);
  await w.terminate();
  return { alone, withSecondBusyThread };
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
export function bundledEurusdDay(): { ticks: Tick[]; bars: Candle[] } {
  // Required lazily so benchmarks that don't replay the day don't load the reader.
  const { parseLeanTicks } = require('../lib/market/lean') as typeof import('../lib/market/lean');
  const { m1BidBars } = require('../lib/market/candles') as typeof import('../lib/market/candles');
  const { DATA_BUNDLE_DIR } = require('../paths') as typeof import('../paths');
  const file = path.join(DATA_BUNDLE_DIR, 'lean', 'forex', 'oanda', 'tick', 'eurusd', '20140508_eurusd_tick_quote.csv');
  const ticks = parseLeanTicks(fs.readFileSync(file, 'utf8'), 'EURUSD', Date.UTC(2014, 4, 8));
  return { ticks, bars: m1BidBars(ticks) };
}

/**
 * The bundled day played `n` times in a row, day k shifted by k × 24 h: the feed of a node
 * that has run for days, so the timed day meets code V8 has finished compiling.
 */
export function replayDays(day: { ticks: Tick[]; bars: Candle[] }, n: number): { ticks: Tick[]; bars: Candle[]; dayBars: number } {
  const ticks: Tick[] = [];
  const bars: Candle[] = [];
  for (let k = 0; k < n; k++) {
    const dt = k * 86_400_000;
    for (const t of day.ticks) ticks.push(k === 0 ? t : { ...t, time_msc: t.time_msc + dt });
    for (const c of day.bars) bars.push(k === 0 ? c : { ...c, t: c.t + dt });
  }
  return { ticks, bars, dayBars: day.bars.length };
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

/**
 * Wait until decision `id` of `tenantId` is committed: `consensus.list` waits for the
 * node's writes in flight, then reads the tenant's newest decision (a summary, without
 * the opinions: reading every opinion back would add a large parse per candle that has
 * nothing to do with deciding). Throws when the newest stored decision is not `id`.
 */
export async function decisionCommitted(broker: { call<T, P>(name: string, params: P, opts?: object): Promise<T> }, tenantId: string, id: string): Promise<void> {
  const r = await broker.call<{ items: { id: string }[] }, object>('consensus.list', { limit: 1 }, { meta: { tenantId } });
  if (r.items[0]?.id !== id) throw new Error(`decision ${id} is not the newest stored for ${tenantId} (${r.items[0]?.id ?? 'none'})`);
}
