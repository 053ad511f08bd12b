/**
 * What `market-data` does, without the broker: the pipeline (validate →
 * candles), the writer (batched persistence), restart seeding, timers, and the
 * read side (pagination, ISO times, CSV). The service file wires it to actions and events.
 */
import { DomainError, NotFoundError } from '../../lib/errors';
import { MarketPipeline, PhaseRunner } from '../../lib/market/pipeline';
import { nonZeroDrops, SymbolSpec } from '../../lib/market/validate';
import type { StoredCandle, StoredTick, TimeSeriesStore } from '../../lib/storage/timeseries';
import type { Candle, IngestReply, Tick, TicksReceivedEvent, Timeframe } from '../../types/market';
import { MarketWriter, MarketWriterOptions } from './market-writer';

export interface MarketDataOptions {
  backwardsToleranceMs: number;
  /** Period of the timer that closes bars whose time is over and upserts forming bars. */
  timerMs?: number;
  writer?: MarketWriterOptions;
}

/** Where the core sends its events (the service passes `broker.emit`). */
export type Emit = (event: 'candle.closed' | 'ticks.received', payload: unknown) => Promise<unknown>;

export interface Logger {
  info(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
}

export type { IngestReply };

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface CandleItem {
  t: number;
  time: string;
  o: number;
  h: number;
  l: number;
  c: number;
  v: number;
  n: number;
  closed: boolean;
}

export interface TickItem {
  time_msc: number;
  time: string;
  bid: number;
  ask: number;
  last?: number;
  volume?: number;
  source: string;
}

export interface RangeQuery {
  symbol: string;
  from?: number;
  to?: number;
  limit?: number;
  cursor?: string;
}

export const DEFAULT_LIMIT = 100;
export const MAX_LIMIT = 10_000;

const iso = (ms: number) => new Date(ms).toISOString();

function candleItem(c: StoredCandle): CandleItem {
  return { t: c.t, time: iso(c.t), o: c.o, h: c.h, l: c.l, c: c.c, v: c.v, n: c.n, closed: c.closed };
}

function tickItem(t: StoredTick): TickItem {
  const it: TickItem = { time_msc: t.time_msc, time: iso(t.time_msc), bid: t.bid, ask: t.ask, source: t.source };
  if (t.last !== undefined) it.last = t.last;
  if (t.volume !== undefined) it.volume = t.volume;
  return it;
}

/** Candles as CSV (header `time,t,o,h,l,c,v,n,closed`, LF). */
export function candlesCsv(items: readonly CandleItem[]): string {
  let s = 'time,t,o,h,l,c,v,n,closed\n';
  for (const c of items) s += `${c.time},${c.t},${c.o},${c.h},${c.l},${c.c},${c.v},${c.n},${c.closed}\n`;
  return s;
}

function parseCursor(cursor: string): { time: number; skip: number } {
  const m = /^(-?\d{1,16})(?::(\d{1,6}))?$/.exec(cursor);
  if (!m) throw new DomainError('BAD_CURSOR', `cursor ${JSON.stringify(cursor)} is not one this API returned`, 422);
  return { time: Number(m[1]), skip: m[2] === undefined ? 0 : Number(m[2]) };
}

/** Observes the named passes of one ingest (validate, aggregate, store) — tracing spans when the call is traced. */
export interface IngestTrace {
  phase: PhaseRunner;
}

const NO_TRACE: IngestTrace = { phase: (_n, fn) => fn() };

export class MarketData {
  readonly pipeline: MarketPipeline;
  readonly writer: MarketWriter;
  private readonly known = new Set<string>();
  private readonly specs = new Map<string, SymbolSpec>();
  private timer: NodeJS.Timeout | null = null;
  private readonly timerMs: number;
  private timerBusy = false;
  readonly startedAt = Date.now();

  constructor(
    readonly store: TimeSeriesStore,
    opts: MarketDataOptions,
    private readonly emit: Emit,
    private readonly log: Logger,
  ) {
    this.pipeline = new MarketPipeline({ backwardsToleranceMs: opts.backwardsToleranceMs });
    this.writer = new MarketWriter(store, { ...opts.writer, onError: (e) => this.log.error('market-data: store write failed, will retry', (e as Error).message) });
    this.timerMs = opts.timerMs ?? 1000;
  }

  /** Prepare the store and resume from what it holds: symbol clocks and the newest bar of every (symbol, tf). */
  async start(): Promise<void> {
    await this.store.init();
    const [symbols, latest] = await Promise.all([this.store.symbols(), this.store.latestCandles()]);
    const lastTime = new Map<string, number>();
    for (const s of symbols) {
      this.known.add(s.symbol);
      lastTime.set(s.symbol, s.lastTime);
      this.pipeline.seedSymbol(s.symbol, s.lastTime);
    }
    for (const c of latest) {
      this.known.add(c.symbol);
      this.pipeline.seedCandle(c, !c.closed, lastTime.get(c.symbol));
    }
    if (symbols.length > 0) this.log.info(`market-data: resumed ${symbols.length} symbols, ${latest.length} bars from the ${this.store.kind} store`);
    this.timer = setInterval(() => {
      if (this.timerBusy) return;
      this.timerBusy = true;
      this.onTimer(Date.now())
        .catch((e: unknown) => this.log.error('market-data: timer failed', (e as Error).message))
        .finally(() => {
          this.timerBusy = false;
        });
    }, this.timerMs);
    this.timer.unref();
  }

  /** Stop the timer, store the forming bars and everything queued (waiting at most `timeoutMs` for a store that is down). */
  async stop(timeoutMs = 15_000): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.writer.enqueueCandles(this.pipeline.aggregator.takeForming(false).map((c) => Object.assign({}, c, { closed: false })));
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      this.writer.sync().then(() => false),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(true), timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    if (timedOut) this.log.error(`market-data: stopping with ${this.writer.pendingRows} ticks not stored (${this.writer.lastError ?? 'store not answering'})`);
    await this.store.close();
  }

  /** Timer body: close bars whose time is over (events + store), upsert forming snapshots. */
  async onTimer(wallNowMs: number): Promise<void> {
    const closed = this.pipeline.flush(wallNowMs);
    this.persistAndForming(closed);
    await Promise.all(closed.map((c) => this.emit('candle.closed', c)));
  }

  private persistAndForming(closed: Candle[]): void {
    const rows: StoredCandle[] = [];
    // Object.assign: a spread with an added key costs several times more on this path (every ingest).
    for (const c of closed) rows.push(Object.assign({}, c, { closed: true }));
    for (const c of this.pipeline.aggregator.takeForming(true)) rows.push(Object.assign({}, c, { closed: false }));
    this.writer.enqueueCandles(rows);
  }

  /** The registered spec of a symbol, if the feed sent one. */
  spec(symbol: string): SymbolSpec | undefined {
    return this.specs.get(symbol);
  }

  registerSymbol(spec: SymbolSpec): void {
    this.specs.set(spec.symbol, spec);
    this.pipeline.setSpec(spec);
    this.known.add(spec.symbol);
  }

  /** Validate, aggregate, emit, queue for storage; waits only when the store is behind (backpressure). */
  async ingest(source: string, ticks: readonly Tick[], trace: IngestTrace = NO_TRACE): Promise<IngestReply> {
    const out = this.pipeline.ingest(source, ticks, Date.now(), trace.phase);
    // 'store' covers handing the batch to the writer; the writer's batched INSERTs run outside the request.
    trace.phase('store', () => {
      for (const g of out.bySymbol) {
        this.known.add(g.symbol);
        this.writer.enqueueTicks(source, g.ticks);
      }
      if (out.closed.length > 0) {
        const rows: StoredCandle[] = new Array<StoredCandle>(out.closed.length);
        for (let i = 0; i < out.closed.length; i++) rows[i] = { ...out.closed[i], closed: true };
        this.writer.enqueueCandles(rows);
      }
    });
    // Consumers run at their own pace; waiting for the local ones keeps memory bounded.
    const emits: Promise<unknown>[] = [];
    for (const g of out.bySymbol) emits.push(this.emit('ticks.received', { symbol: g.symbol, ticks: g.ticks } satisfies TicksReceivedEvent));
    for (const c of out.closed) emits.push(this.emit('candle.closed', c));
    await Promise.all(emits);
    await this.writer.backpressure();
    return { accepted: out.accepted, dropped: nonZeroDrops(out.dropped) };
  }

  /** Throws 404 naming the known symbols. */
  ensureKnown(symbol: string): void {
    if (!this.known.has(symbol)) throw new NotFoundError('symbol', symbol, { known: [...this.known].sort() });
  }

  async symbols(): Promise<Page<Record<string, unknown>>> {
    await this.writer.sync();
    const stored = new Map((await this.store.symbols()).map((s) => [s.symbol, s]));
    const items = [...this.known].sort().map((symbol) => {
      const s = stored.get(symbol);
      const spec = this.specs.get(symbol);
      const q = this.pipeline.latest(symbol);
      return {
        symbol,
        ticks: s?.ticks ?? 0,
        firstTime: s?.firstTime ?? null,
        lastTime: s?.lastTime ?? null,
        first: s ? iso(s.firstTime) : null,
        last: s ? iso(s.lastTime) : null,
        ...(spec ? { digits: spec.digits, point: spec.point, allowCrossed: spec.allowCrossed === true } : {}),
        ...(q ? { bid: q.bid, ask: q.ask } : {}),
      };
    });
    return { items, nextCursor: null };
  }

  /**
   * Ticks in time order. With `from` or `cursor`: the oldest `limit` from there
   * and a cursor for the next page (`time:skip`, safe across equal timestamps);
   * without: the newest `limit` (up to `to`), no cursor.
   */
  async ticks(q: RangeQuery): Promise<Page<TickItem>> {
    this.ensureKnown(q.symbol);
    const limit = q.limit ?? DEFAULT_LIMIT;
    await this.writer.sync();
    if (q.cursor === undefined && q.from === undefined) {
      const rows = await this.store.readTicks({ symbol: q.symbol, to: q.to, limit, order: 'desc' });
      return { items: rows.reverse().map(tickItem), nextCursor: null };
    }
    const start = q.cursor !== undefined ? parseCursor(q.cursor) : { time: q.from as number, skip: 0 };
    const rows = await this.store.readTicks({ symbol: q.symbol, from: start.time, to: q.to, limit: start.skip + limit + 1 });
    const page = rows.slice(start.skip, start.skip + limit);
    let nextCursor: string | null = null;
    if (rows.length > start.skip + limit) {
      const lastTime = page[page.length - 1].time_msc;
      let skip = 0;
      for (let i = page.length - 1; i >= 0 && page[i].time_msc === lastTime; i--) skip++;
      if (lastTime === start.time) skip += start.skip;
      nextCursor = `${lastTime}:${skip}`;
    }
    return { items: page.map(tickItem), nextCursor };
  }

  /** Candles in time order; paging as `ticks` (the cursor is the next bar's open time). Includes the forming bar (`closed: false`). */
  async candles(q: RangeQuery & { tf: Timeframe }): Promise<Page<CandleItem>> {
    this.ensureKnown(q.symbol);
    const limit = q.limit ?? DEFAULT_LIMIT;
    // Read your writes, the forming bars included (otherwise up to one timer period old).
    this.persistAndForming([]);
    await this.writer.sync();
    if (q.cursor === undefined && q.from === undefined) {
      const rows = await this.store.readCandles({ symbol: q.symbol, tf: q.tf, to: q.to, limit, order: 'desc' });
      return { items: rows.reverse().map(candleItem), nextCursor: null };
    }
    const from = q.cursor !== undefined ? parseCursor(q.cursor).time : (q.from as number);
    const rows = await this.store.readCandles({ symbol: q.symbol, tf: q.tf, from, to: q.to, limit: limit + 1 });
    const nextCursor = rows.length > limit ? String(rows[limit].t) : null;
    return { items: rows.slice(0, limit).map(candleItem), nextCursor };
  }

  /** The newest quote of a symbol (memory, else the store). */
  async latest(symbol: string): Promise<{ symbol: string; time_msc: number; time: string; bid: number; ask: number; spread: number }> {
    this.ensureKnown(symbol);
    let t: Tick | undefined = this.pipeline.latest(symbol);
    if (!t) {
      await this.writer.sync();
      t = (await this.store.readTicks({ symbol, limit: 1, order: 'desc' }))[0];
    }
    if (!t) throw new NotFoundError('quote for', symbol);
    return { symbol, time_msc: t.time_msc, time: iso(t.time_msc), bid: t.bid, ask: t.ask, spread: t.ask - t.bid };
  }

  status(): Record<string, unknown> {
    const now = Date.now();
    return {
      at: now,
      time: iso(now),
      store: this.store.kind,
      toleranceMs: this.pipeline.validator.backwardsToleranceMs,
      lateTicks: this.pipeline.aggregator.late,
      writer: { pendingTicks: this.writer.pendingRows, written: this.writer.written, discarded: this.writer.discarded, failures: this.writer.failures, lastError: this.writer.lastError },
      ...this.pipeline.stats.snapshot(now),
    };
  }
}
