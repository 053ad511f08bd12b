/**
 * Backtests in parallel on worker_threads. The bars are copied once into a
 * SharedArrayBuffer every worker reads; tasks go out in small batches to
 * whichever worker is free; results come back in task order, so the outcome
 * does not depend on the number of workers.
 */
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { EvalResult, EvalTask, Evaluator, StatKey } from './optimize';
import type { BacktestOptions, BarSeries } from './types';

/** What every worker needs once. `opts` must be plain data (no callbacks). */
export interface PoolSetup {
  strategy: string;
  opts: Omit<BacktestOptions, 'onProgress' | 'commission'> & { commission?: number | readonly [number, number] };
  maximize: StatKey;
}

export interface WorkerInit extends PoolSetup {
  buffer: SharedArrayBuffer;
  length: number;
  symbol?: string;
}

export type WorkerRequest = { id: number; tasks: EvalTask[] };
export type WorkerReply = { id: number; results?: EvalResult[]; error?: string };

/** Columns t, o, h, l, c, v of a series in one shared buffer. */
export function shareBars(bars: BarSeries): SharedArrayBuffer {
  const n = bars.length;
  const buffer = new SharedArrayBuffer(6 * n * 8);
  [bars.t, bars.o, bars.h, bars.l, bars.c, bars.v].forEach((col, k) => new Float64Array(buffer, k * n * 8, n).set(col));
  return buffer;
}

export function barsFromShared(buffer: SharedArrayBuffer, n: number, symbol?: string): BarSeries {
  const col = (k: number): Float64Array => new Float64Array(buffer, k * n * 8, n);
  return { length: n, t: col(0), o: col(1), h: col(2), l: col(3), c: col(4), v: col(5), symbol };
}

/** Start a worker on `file`; TypeScript sources (tests, ts runs) are compiled on load with swc. */
function spawn(file: string, workerData: WorkerInit): Worker {
  if (file.endsWith('.ts')) {
    const boot = `
      const fs = require('node:fs');
      const { transformSync } = require('@swc/core');
      require.extensions['.ts'] = (m, filename) => {
        const out = transformSync(fs.readFileSync(filename, 'utf8'), { filename, jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } });
        m._compile(out.code, filename);
      };
      require(${JSON.stringify(file)});`;
    return new Worker(boot, { eval: true, workerData });
  }
  return new Worker(file, { workerData });
}

export class BacktestPool {
  private readonly workers: Worker[] = [];
  private readonly idle: Worker[] = [];
  private readonly queue: { req: WorkerRequest; resolve: (r: EvalResult[]) => void; reject: (e: Error) => void }[] = [];
  private readonly pending = new Map<number, { resolve: (r: EvalResult[]) => void; reject: (e: Error) => void; worker: Worker }>();
  private nextId = 1;
  private closed = false;
  /** Called with the number of tasks finished since the last call. */
  onDone: ((count: number) => void) | null = null;

  constructor(bars: BarSeries, setup: PoolSetup, size: number) {
    const ext = __filename.endsWith('.ts') ? '.ts' : '.js';
    const file = path.join(__dirname, 'optimize-worker' + ext);
    const init: WorkerInit = { ...setup, buffer: shareBars(bars), length: bars.length, symbol: bars.symbol };
    for (let k = 0; k < Math.max(1, size); k++) {
      const w = spawn(file, init);
      w.on('message', (msg: WorkerReply) => this.reply(w, msg));
      w.on('error', (e) => this.fail(w, e));
      w.on('exit', (code) => {
        if (!this.closed && code !== 0) this.fail(w, new Error(`backtest worker exited with code ${code}`));
      });
      this.workers.push(w);
      this.idle.push(w);
    }
  }

  /** Evaluate tasks in batches across the workers; results in task order. */
  readonly evaluate: Evaluator = async (tasks) => {
    const per = Math.max(1, Math.min(64, Math.ceil(tasks.length / (this.workers.length * 4))));
    const parts: Promise<EvalResult[]>[] = [];
    for (let a = 0; a < tasks.length; a += per) parts.push(this.submit(tasks.slice(a, a + per)));
    return (await Promise.all(parts)).flat();
  };

  private submit(tasks: EvalTask[]): Promise<EvalResult[]> {
    if (this.closed) return Promise.reject(new Error('backtest pool is closed'));
    return new Promise((resolve, reject) => {
      this.queue.push({ req: { id: this.nextId++, tasks }, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    while (this.idle.length && this.queue.length) {
      const w = this.idle.pop() as Worker;
      const job = this.queue.shift() as (typeof this.queue)[number];
      this.pending.set(job.req.id, { resolve: job.resolve, reject: job.reject, worker: w });
      w.postMessage(job.req);
    }
  }

  private reply(w: Worker, msg: WorkerReply): void {
    const p = this.pending.get(msg.id);
    if (!p) return;
    this.pending.delete(msg.id);
    this.idle.push(w);
    if (msg.error !== undefined || !msg.results) p.reject(new Error(msg.error ?? 'worker sent no results'));
    else {
      this.onDone?.(msg.results.length);
      p.resolve(msg.results);
    }
    this.pump();
  }

  private fail(w: Worker, e: Error): void {
    for (const [id, p] of this.pending) {
      if (p.worker === w) {
        this.pending.delete(id);
        p.reject(e);
      }
    }
    const k = this.workers.indexOf(w);
    if (k >= 0) this.workers.splice(k, 1);
    const j = this.idle.indexOf(w);
    if (j >= 0) this.idle.splice(j, 1);
    if (!this.workers.length) for (const job of this.queue.splice(0)) job.reject(e);
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
