/**
 * The one contract every TimeSeriesStore adapter passes (run by
 * timeseries-pg.test.ts, timeseries-clickhouse.test.ts, …).
 */
import type { StoredCandle, TimeSeriesStore } from '../../lib/storage/timeseries';
import type { Tick } from '../../types/market';

export interface ContractTarget {
  store: TimeSeriesStore;
  /** Remove everything the run created. */
  cleanup(): Promise<void>;
}

const DAY = Date.UTC(2014, 4, 8);
const tick = (sym: string, time: number, bid: number, extra: Partial<Tick> = {}): Tick => ({ symbol: sym, time_msc: time, bid, ask: bid + 0.00012, ...extra });
const candle = (p: Partial<StoredCandle> & Pick<StoredCandle, 't'>): StoredCandle => ({ symbol: 'EURUSD', tf: 'M1', o: 1.1, h: 1.2, l: 1.0, c: 1.15, v: 0, n: 10, closed: true, ...p });

export function timeSeriesContract(name: string, open: () => Promise<ContractTarget>): void {
  describe(`TimeSeriesStore contract: ${name}`, () => {
    let target: ContractTarget;
    let store: TimeSeriesStore;

    beforeAll(async () => {
      target = await open();
      store = target.store;
      await store.init();
    }, 300_000);

    afterAll(async () => {
      await target?.cleanup();
    });

    it('starts empty', async () => {
      expect(await store.symbols()).toEqual([]);
      expect(await store.latestCandles()).toEqual([]);
      expect(await store.readTicks({ symbol: 'EURUSD', limit: 10 })).toEqual([]);
      expect(await store.readCandles({ symbol: 'EURUSD', tf: 'M1', limit: 10 })).toEqual([]);
    });

    it('writes ticks and reads them back by symbol and range (from inclusive, to exclusive), keeping repeats and optional fields', async () => {
      await store.writeTicks(
        [tick('EURUSD', DAY + 1000, 1.3901), tick('EURUSD', DAY + 2000, 1.3902), tick('EURUSD', DAY + 2000, 1.3903), tick('GBPUSD', DAY + 1500, 1.68, { last: 1.6801, volume: 2.5 })],
        'acct:1@srv',
      );
      await store.writeTicks([tick('EURUSD', DAY + 3000, 1.3904)], "o'brien\\src");
      const all = await store.readTicks({ symbol: 'EURUSD', limit: 100 });
      expect(all.map((t) => t.time_msc)).toEqual([DAY + 1000, DAY + 2000, DAY + 2000, DAY + 3000]);
      expect(all.slice(1, 3).map((t) => t.bid).sort()).toEqual([1.3902, 1.3903]);
      expect(all[0]).toEqual({ symbol: 'EURUSD', time_msc: DAY + 1000, bid: 1.3901, ask: 1.3901 + 0.00012, source: 'acct:1@srv' });
      expect(all[3].source).toBe("o'brien\\src");
      expect(await store.readTicks({ symbol: 'GBPUSD', limit: 100 })).toEqual([{ symbol: 'GBPUSD', time_msc: DAY + 1500, bid: 1.68, ask: 1.68 + 0.00012, last: 1.6801, volume: 2.5, source: 'acct:1@srv' }]);
      const range = await store.readTicks({ symbol: 'EURUSD', from: DAY + 2000, to: DAY + 3000, limit: 100 });
      expect(range.map((t) => t.time_msc)).toEqual([DAY + 2000, DAY + 2000]);
      expect((await store.readTicks({ symbol: 'EURUSD', limit: 2 })).map((t) => t.time_msc)).toEqual([DAY + 1000, DAY + 2000]);
      expect((await store.readTicks({ symbol: 'EURUSD', limit: 2, order: 'desc' })).map((t) => t.time_msc)).toEqual([DAY + 3000, DAY + 2000]);
      expect(await store.readTicks({ symbol: "EUR'USD", limit: 2 })).toEqual([]);
    });

    it('summarises symbols: first and last tick time and counts, accumulated over writes', async () => {
      expect(await store.symbols()).toEqual([
        { symbol: 'EURUSD', firstTime: DAY + 1000, lastTime: DAY + 3000, ticks: 4 },
        { symbol: 'GBPUSD', firstTime: DAY + 1500, lastTime: DAY + 1500, ticks: 1 },
      ]);
    });

    it('stores a 5,000-tick batch in one write', async () => {
      const batch: Tick[] = [];
      for (let i = 0; i < 5000; i++) batch.push(tick('USDJPY', DAY + 60_000 + i * 7, 101 + (i % 100) / 1000));
      await store.writeTicks(batch, 'bulk');
      const back = await store.readTicks({ symbol: 'USDJPY', limit: 10_000 });
      expect(back).toHaveLength(5000);
      expect(back[4999]).toMatchObject({ time_msc: DAY + 60_000 + 4999 * 7, bid: 101 + 99 / 1000 });
      const s = (await store.symbols()).find((x) => x.symbol === 'USDJPY');
      expect(s).toEqual({ symbol: 'USDJPY', firstTime: DAY + 60_000, lastTime: DAY + 60_000 + 4999 * 7, ticks: 5000 });
    });

    it('upserts candles by (symbol, tf, t): a forming snapshot is replaced by the closed bar, a replayed write adds nothing', async () => {
      await store.writeCandles([candle({ t: DAY, c: 1.11, n: 3, closed: false })]);
      expect(await store.readCandles({ symbol: 'EURUSD', tf: 'M1', limit: 10 })).toEqual([candle({ t: DAY, c: 1.11, n: 3, closed: false })]);
      const final = [candle({ t: DAY, c: 1.19, n: 7 }), candle({ t: DAY + 60_000, o: 1.19 }), candle({ t: DAY, tf: 'M5', n: 17 })];
      await store.writeCandles(final);
      await store.writeCandles(final); // a restart replaying the same write
      expect(await store.readCandles({ symbol: 'EURUSD', tf: 'M1', limit: 10 })).toEqual([final[0], final[1]]);
      expect(await store.readCandles({ symbol: 'EURUSD', tf: 'M5', limit: 10 })).toEqual([final[2]]);
    });

    it('keeps the last occurrence of a key within one batch', async () => {
      await store.writeCandles([candle({ symbol: 'GBPUSD', t: DAY, n: 1, closed: false }), candle({ symbol: 'GBPUSD', t: DAY, n: 2, closed: false }), candle({ symbol: 'GBPUSD', t: DAY, n: 3 })]);
      expect(await store.readCandles({ symbol: 'GBPUSD', tf: 'M1', limit: 10 })).toEqual([candle({ symbol: 'GBPUSD', t: DAY, n: 3 })]);
    });

    it('reads candles by range, limit and order', async () => {
      const bars: StoredCandle[] = [];
      for (let i = 0; i < 30; i++) bars.push(candle({ symbol: 'AUDUSD', tf: 'H1', t: DAY + i * 3_600_000, o: 0.9 + i / 1000, n: i + 1 }));
      await store.writeCandles(bars);
      const r = await store.readCandles({ symbol: 'AUDUSD', tf: 'H1', from: DAY + 3_600_000, to: DAY + 5 * 3_600_000, limit: 100 });
      expect(r.map((c) => c.n)).toEqual([2, 3, 4, 5]);
      expect((await store.readCandles({ symbol: 'AUDUSD', tf: 'H1', limit: 3 })).map((c) => c.n)).toEqual([1, 2, 3]);
      expect((await store.readCandles({ symbol: 'AUDUSD', tf: 'H1', limit: 3, order: 'desc' })).map((c) => c.n)).toEqual([30, 29, 28]);
      expect(await store.readCandles({ symbol: 'AUDUSD', tf: 'M1', limit: 3 })).toEqual([]);
    });

    it('returns the newest candle of every (symbol, tf) for a restart', async () => {
      await store.writeCandles([candle({ t: DAY + 120_000, c: 1.3, closed: false })]);
      const latest = await store.latestCandles();
      const key = (c: StoredCandle) => `${c.symbol}/${c.tf}`;
      expect(latest.map(key).sort()).toEqual(['AUDUSD/H1', 'EURUSD/M1', 'EURUSD/M5', 'GBPUSD/M1']);
      expect(latest.find((c) => key(c) === 'EURUSD/M1')).toEqual(candle({ t: DAY + 120_000, c: 1.3, closed: false }));
      expect(latest.find((c) => key(c) === 'AUDUSD/H1')?.t).toBe(DAY + 29 * 3_600_000);
    });

    it('stores any symbol and source text safely (quotes, backslashes, commas, braces)', async () => {
      const odd = `we"ird\\sym',{x}`;
      await store.writeTicks([tick(odd, DAY, 1.5, { volume: 3 }), tick(odd, DAY + 1, 1.6)], `s"rc\\'`);
      await store.writeCandles([candle({ symbol: odd, t: DAY })]);
      expect(await store.readTicks({ symbol: odd, limit: 10 })).toEqual([
        { symbol: odd, time_msc: DAY, bid: 1.5, ask: 1.5 + 0.00012, volume: 3, source: `s"rc\\'` },
        { symbol: odd, time_msc: DAY + 1, bid: 1.6, ask: 1.6 + 0.00012, source: `s"rc\\'` },
      ]);
      expect(await store.readCandles({ symbol: odd, tf: 'M1', limit: 10 })).toEqual([candle({ symbol: odd, t: DAY })]);
      expect((await store.symbols()).find((x) => x.symbol === odd)?.ticks).toBe(2);
    });

    it('rejects non-integer bounds instead of building a bad query', async () => {
      await expect(store.readTicks({ symbol: 'EURUSD', from: 1.5, limit: 1 })).rejects.toThrow(RangeError);
      await expect(store.readCandles({ symbol: 'EURUSD', tf: 'M1', limit: 0 })).rejects.toThrow(RangeError);
    });
  });
}
