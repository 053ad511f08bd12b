/**
 * Batches ticks and candles into the TimeSeriesStore behind `ingest`.
 *
 * - One drain loop: everything queued when a round starts is written in that
 *   round (ticks in chunks of up to `chunkRows`, up to `tickWriters` statements at
 *   once; then candles, in queue order, deduplicated by key), so candle upserts
 *   keep their order and a closed bar always overwrites its forming snapshot.
 * - `sync()` resolves once everything queued before the call is stored: reads
 *   use it so that a read after an ingest sees that ingest.
 * - `backpressure()` makes ingest wait while more than `highWaterRows` ticks are
 *   queued, and fails with UnavailableError (503) when the store has not drained
 *   for `maxWaitMs` (store down): memory stays bounded, the caller is told.
 * - A failed write stays queued and is retried with backoff; when the store is
 *   reachable but keeps refusing the same round (`maxAttempts`), that round is
 *   discarded and counted, so one bad row cannot stall the feed.
 */
import { UnavailableError } from '../../lib/errors';
import type { StoredCandle, TimeSeriesStore } from '../../lib/storage/timeseries';
import type { Tick } from '../../types/market';

export interface MarketWriterOptions {
  chunkRows?: number;
  tickWriters?: number;
  highWaterRows?: number;
  maxWaitMs?: number;
  /** Attempts at a round refused by a reachable store before it is discarded (default 5). */
  maxAttempts?: number;
  onError?: (e: unknown) => void;
}

interface Segment {
  source: string;
  ticks: readonly Tick[];
}

interface Waiter {
  seq: number;
  resolve(): void;
}

export class MarketWriter {
  private segments: Segment[] = [];
  private candles: StoredCandle[] = [];
  private queuedRows = 0;
  private enqueued = 0;
  private done = 0;
  private running: Promise<void> | null = null;
  private waiters: Waiter[] = [];
  private drainWaiters: (() => void)[] = [];
  private readonly chunkRows: number;
  private readonly tickWriters: number;
  private readonly highWaterRows: number;
  private readonly maxWaitMs: number;
  lastError: string | null = null;
  failures = 0;
  written = { ticks: 0, candles: 0, rounds: 0 };
  discarded = { ticks: 0, candles: 0 };

  constructor(
    private readonly store: TimeSeriesStore,
    private readonly opts: MarketWriterOptions = {},
  ) {
    this.chunkRows = opts.chunkRows ?? 10_000;
    this.tickWriters = opts.tickWriters ?? 2;
    this.highWaterRows = opts.highWaterRows ?? 50_000;
    this.maxWaitMs = opts.maxWaitMs ?? 10_000;
  }

  get pendingRows(): number {
    return this.queuedRows;
  }

  enqueueTicks(source: string, ticks: readonly Tick[]): void {
    if (ticks.length === 0) return;
    this.segments.push({ source, ticks });
    this.queuedRows += ticks.length;
    this.enqueued++;
    this.kick();
  }

  enqueueCandles(candles: readonly StoredCandle[]): void {
    if (candles.length === 0) return;
    for (const c of candles) this.candles.push(c);
    this.enqueued++;
    this.kick();
  }

  /** Resolves when everything enqueued before this call is stored. */
  sync(): Promise<void> {
    const seq = this.enqueued;
    if (this.done >= seq) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ seq, resolve }));
  }

  /** Wait while the queue is above the high-water mark; 503 when the store does not drain in time. */
  async backpressure(): Promise<void> {
    const deadline = Date.now() + this.maxWaitMs;
    while (this.queuedRows > this.highWaterRows) {
      const left = deadline - Date.now();
      if (left <= 0) throw new UnavailableError('timeseries store', `${this.queuedRows} ticks waiting to be stored${this.lastError ? ': ' + this.lastError : ''}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.drainWaiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  private kick(): void {
    if (this.running) return;
    this.running = this.loop().finally(() => {
      this.running = null;
      if (this.enqueued > this.done) this.kick();
    });
  }

  private async loop(): Promise<void> {
    let backoff = 100;
    let refused = 0;
    const maxAttempts = this.opts.maxAttempts ?? 5;
    while (this.enqueued > this.done) {
      const seq = this.enqueued;
      const segments = this.segments;
      const candles = this.candles;
      this.segments = [];
      this.candles = [];
      const chunks = this.chunk(segments);
      try {
        await this.writeTicks(chunks);
        if (candles.length > 0) await this.store.writeCandles(candles);
        this.written.candles += candles.length;
        this.written.rounds++;
        this.done = seq;
        this.lastError = null;
        backoff = 100;
        refused = 0;
      } catch (e) {
        this.failures++;
        this.lastError = (e as Error).message;
        this.opts.onError?.(e);
        if (!(e instanceof UnavailableError)) refused++;
        if (refused >= maxAttempts) {
          // The store is up but rejects this data: drop the round rather than block the feed forever.
          const rows = chunks.reduce((n, c) => n + c.ticks.length, 0);
          this.queuedRows -= rows;
          this.discarded.ticks += rows;
          this.discarded.candles += candles.length;
          this.done = seq;
          refused = 0;
        } else {
          // Put what was not written back in front of what arrived meanwhile, and retry.
          this.segments = chunks.concat(this.segments);
          this.candles = candles.concat(this.candles);
          await new Promise((r) => setTimeout(r, backoff));
          backoff = Math.min(backoff * 2, 2000);
        }
      }
      const waiters = this.waiters;
      this.waiters = [];
      for (const w of waiters) {
        if (w.seq <= this.done) w.resolve();
        else this.waiters.push(w);
      }
      const drained = this.drainWaiters;
      this.drainWaiters = [];
      for (const d of drained) d();
    }
  }

  /** Merge consecutive segments of one source into chunks of up to `chunkRows`. */
  private chunk(segments: Segment[]): Segment[] {
    const chunks: Segment[] = [];
    for (const s of segments) {
      const lastChunk = chunks[chunks.length - 1];
      if (lastChunk && lastChunk.source === s.source && lastChunk.ticks.length + s.ticks.length <= this.chunkRows) {
        chunks[chunks.length - 1] = { source: s.source, ticks: lastChunk.ticks.concat(s.ticks) };
      } else chunks.push(s);
    }
    return chunks;
  }

  /** Write chunks `tickWriters` at a time; each written chunk is removed from the array (so a retry never repeats it). */
  private async writeTicks(chunks: Segment[]): Promise<void> {
    while (chunks.length > 0) {
      const group = chunks.slice(0, this.tickWriters);
      const results = await Promise.allSettled(group.map((c) => this.store.writeTicks(c.ticks, c.source)));
      let failure: unknown = null;
      for (let i = group.length - 1; i >= 0; i--) {
        const r = results[i];
        if (r.status === 'fulfilled') {
          chunks.splice(i, 1);
          this.queuedRows -= group[i].ticks.length;
          this.written.ticks += group[i].ticks.length;
        } else failure ??= r.reason;
      }
      if (failure !== null) throw failure;
    }
  }
}
