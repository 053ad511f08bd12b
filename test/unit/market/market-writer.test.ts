import type { StoredCandle, StoredTick, SymbolSummary, TimeSeriesStore } from '../../../lib/storage/timeseries';
import { MarketWriter } from '../../../services/market-data/market-writer';
import type { Tick } from '../../../types/market';

/** An in-memory store whose writes can be made to fail or to hang: the writer's behaviour under store trouble. */
class FlakyStore implements TimeSeriesStore {
  readonly kind = 'postgres' as const;
  ticks: { source: string; ticks: readonly Tick[] }[] = [];
  candles: StoredCandle[] = [];
  failTickWrites = 0;
  failCandleWrites = 0;
  hang = false;
  async init(): Promise<void> {}
  async writeTicks(batch: readonly Tick[], source: string): Promise<void> {
    if (this.hang) await new Promise(() => undefined);
    if (this.failTickWrites > 0) {
      this.failTickWrites--;
      throw new Error('connection lost');
    }
    this.ticks.push({ source, ticks: batch });
  }
  async writeCandles(batch: readonly StoredCandle[]): Promise<void> {
    if (this.failCandleWrites > 0) {
      this.failCandleWrites--;
      throw new Error('deadlock');
    }
    this.candles.push(...batch);
  }
  async readTicks(): Promise<StoredTick[]> {
    return [];
  }
  async readCandles(): Promise<StoredCandle[]> {
    return [];
  }
  async latestCandles(): Promise<StoredCandle[]> {
    return [];
  }
  async symbols(): Promise<SymbolSummary[]> {
    return [];
  }
  async close(): Promise<void> {}
}

const T0 = Date.UTC(2014, 4, 8);
const ticks = (n: number, from = 0): Tick[] => Array.from({ length: n }, (_, i) => ({ symbol: 'EURUSD', time_msc: T0 + from + i, bid: 1.1, ask: 1.2 }));
const candle = (n: number, closed: boolean): StoredCandle => ({ symbol: 'EURUSD', tf: 'M1', t: T0, o: 1, h: 1, l: 1, c: 1, v: 0, n, closed });

describe('MarketWriter', () => {
  it('merges queued batches into chunks per source and resolves sync once stored', async () => {
    const store = new FlakyStore();
    const w = new MarketWriter(store, { chunkRows: 250 });
    w.enqueueTicks('a', ticks(100));
    w.enqueueTicks('a', ticks(100, 100));
    w.enqueueTicks('b', ticks(10, 200));
    w.enqueueTicks('a', ticks(100, 300));
    w.enqueueCandles([candle(1, false), candle(2, true)]);
    await w.sync();
    const rows = store.ticks.flatMap((c) => c.ticks.map((t) => `${c.source}:${t.time_msc - T0}`));
    expect(rows).toHaveLength(310);
    expect(new Set(rows).size).toBe(310);
    expect(store.ticks.every((c) => c.ticks.length <= 250)).toBe(true);
    expect(store.candles.map((c) => c.n)).toEqual([1, 2]);
    expect(w.pendingRows).toBe(0);
  });

  it('retries failed writes without writing any tick twice and keeps candle order', async () => {
    const store = new FlakyStore();
    store.failTickWrites = 2;
    store.failCandleWrites = 1;
    const errors: unknown[] = [];
    const w = new MarketWriter(store, { chunkRows: 100, tickWriters: 2, onError: (e) => errors.push(e) });
    w.enqueueTicks('a', ticks(100));
    w.enqueueTicks('b', ticks(100, 100));
    w.enqueueTicks('c', ticks(100, 200));
    w.enqueueCandles([candle(1, false)]);
    w.enqueueCandles([candle(2, true)]);
    await w.sync();
    const times = store.ticks.flatMap((c) => c.ticks.map((t) => t.time_msc));
    expect(times).toHaveLength(300);
    expect(new Set(times).size).toBe(300);
    expect(store.candles.map((c) => c.n)).toEqual([1, 2]);
    expect(errors.length).toBe(3);
    expect(w.failures).toBe(3);
    expect(w.lastError).toBeNull();
  });

  it('discards a round the store keeps refusing, counts it, and carries on', async () => {
    const store = new FlakyStore();
    store.failTickWrites = 3;
    const w = new MarketWriter(store, { maxAttempts: 3 });
    w.enqueueTicks('a', ticks(10));
    await w.sync();
    expect(w.discarded).toEqual({ ticks: 10, candles: 0 });
    expect(w.pendingRows).toBe(0);
    w.enqueueTicks('a', ticks(5, 10));
    await w.sync();
    expect(store.ticks.flatMap((c) => c.ticks)).toHaveLength(5);
  });

  it('applies backpressure above the high-water mark and answers 503 when the store does not drain', async () => {
    const store = new FlakyStore();
    store.hang = true;
    const w = new MarketWriter(store, { highWaterRows: 150, maxWaitMs: 200 });
    w.enqueueTicks('a', ticks(100));
    await expect(w.backpressure()).resolves.toBeUndefined();
    w.enqueueTicks('a', ticks(100, 100));
    const t0 = Date.now();
    await expect(w.backpressure()).rejects.toMatchObject({ name: 'UnavailableError', dependency: 'timeseries store' });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(190);
  });
});
