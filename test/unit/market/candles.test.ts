import * as fs from 'node:fs';
import * as path from 'node:path';
import { CandleAggregator } from '../../../lib/market/candles';
import { leanFileDate, parseLeanTicks } from '../../../lib/market/lean';
import { TickValidator, emptyDropCounts } from '../../../lib/market/validate';
import { DATA_BUNDLE_DIR, SHARED_DATA_DIR } from '../../../paths';
import { Candle, TF_MS, Tick, TIMEFRAMES, Timeframe } from '../../../types/market';

const LEAN_REL = 'lean/forex/oanda/tick/eurusd/20140508_eurusd_tick_quote.csv';
const LEAN = path.join(SHARED_DATA_DIR, LEAN_REL);
const DAY = Date.UTC(2014, 4, 8);

/** Independent reading of the file: split lines, date from the name, no shared code with lib/market/lean.ts. */
function readLeanIndependently(file: string, dayStart: number): { time: number; bid: number; ask: number }[] {
  return fs
    .readFileSync(file, 'utf8')
    .split(/\r?\n/)
    .filter((l) => l.length > 0)
    .map((l) => {
      const [ms, bid, ask] = l.split(',').map(Number);
      return { time: dayStart + ms, bid, ask };
    });
}

interface Bar {
  t: number;
  o: number;
  h: number;
  l: number;
  c: number;
  n: number;
}

/** Plain group-by: bucket = floor(time / len) * len; OHLC of the bid in file order. */
function groupBy(rows: { time: number; bid: number }[], len: number): Map<number, Bar> {
  const m = new Map<number, Bar>();
  for (const r of rows) {
    const t = Math.floor(r.time / len) * len;
    const b = m.get(t);
    if (!b) m.set(t, { t, o: r.bid, h: r.bid, l: r.bid, c: r.bid, n: 1 });
    else {
      b.h = Math.max(b.h, r.bid);
      b.l = Math.min(b.l, r.bid);
      b.c = r.bid;
      b.n++;
    }
  }
  return m;
}

const T0 = Date.UTC(2014, 4, 8, 12, 0, 0);
const tk = (time: number, bid: number, symbol = 'EURUSD'): Tick => ({ symbol, time_msc: time, bid, ask: bid + 0.0001 });

describe('CandleAggregator basics', () => {
  it('opens, updates and closes bars on the first tick of a later bar', () => {
    const a = new CandleAggregator({ timeframes: ['M1', 'M5'] });
    const out: Candle[] = [];
    a.add(tk(T0 + 1_000, 1.1), out);
    a.add(tk(T0 + 2_000, 1.3), out);
    a.add(tk(T0 + 3_000, 1.0), out);
    a.add(tk(T0 + 59_999, 1.2), out);
    expect(out).toEqual([]);
    a.add(tk(T0 + 60_000, 1.25), out);
    expect(out).toEqual([{ symbol: 'EURUSD', tf: 'M1', t: T0, o: 1.1, h: 1.3, l: 1.0, c: 1.2, v: 0, n: 4 }]);
    expect(a.forming('EURUSD', 'M5')).toEqual({ symbol: 'EURUSD', tf: 'M5', t: T0, o: 1.1, h: 1.3, l: 1.0, c: 1.25, v: 0, n: 5 });
  });

  it('invents no bars for minutes without ticks', () => {
    const a = new CandleAggregator({ timeframes: ['M1'] });
    const out = a.addBatch([tk(T0, 1), tk(T0 + 10 * 60_000, 2), tk(T0 + 11 * 60_000, 3)]);
    expect(out.map((c) => (c.t - T0) / 60_000)).toEqual([0, 10]);
  });

  it('uses the mid price when configured and sums real volume', () => {
    const a = new CandleAggregator({ timeframes: ['M1'], price: 'mid' });
    a.add({ symbol: 'X', time_msc: T0, bid: 1, ask: 3, volume: 5 }, []);
    a.add({ symbol: 'X', time_msc: T0 + 1, bid: 2, ask: 2 }, []);
    expect(a.forming('X', 'M1')).toMatchObject({ o: 2, h: 2, l: 2, c: 2, v: 5, n: 2 });
  });

  it('keeps symbols apart', () => {
    const a = new CandleAggregator({ timeframes: ['M1'] });
    const out = a.addBatch([tk(T0, 1, 'A'), tk(T0, 5, 'B'), tk(T0 + 60_000, 2, 'A')]);
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({ symbol: 'A', o: 1, n: 1 });
    expect(a.forming('B', 'M1')).toMatchObject({ o: 5, n: 1 });
  });

  it('flush(now) closes only bars whose time is over; later ticks of a flushed bar are late', () => {
    const a = new CandleAggregator({ timeframes: ['M1', 'M5'] });
    a.add(tk(T0 + 30_000, 1.1), []);
    expect(a.flush(T0 + 59_999)).toEqual([]);
    const closed = a.flush(T0 + 60_000);
    expect(closed.map((c) => c.tf)).toEqual(['M1']);
    expect(a.flush(T0 + 60_000)).toEqual([]);
    a.add(tk(T0 + 59_000, 1.5), []);
    expect(a.late).toBe(1);
    // the M5 bar is still open and takes the tick
    expect(a.forming('EURUSD', 'M5')).toMatchObject({ h: 1.5, c: 1.5, n: 2 });
    // an out-of-order tick (older than the newest) widens the range but does not set the close
    a.add(tk(T0 + 58_500, 0.9), []);
    expect(a.forming('EURUSD', 'M5')).toMatchObject({ h: 1.5, l: 0.9, c: 1.5, n: 3 });
    expect(a.forming('EURUSD', 'M1')).toBeNull();
    const next: Candle[] = [];
    a.add(tk(T0 + 61_000, 1.2), next);
    expect(next).toEqual([]);
    expect(a.forming('EURUSD', 'M1')).toMatchObject({ t: T0 + 60_000, o: 1.2 });
  });

  it('continues from seeded bars after a restart', () => {
    const a = new CandleAggregator({ timeframes: ['M1', 'H1'] });
    a.seed({ symbol: 'EURUSD', tf: 'M1', t: T0, o: 1, h: 2, l: 0.5, c: 1.5, v: 0, n: 10 }, true, T0 + 30_000);
    a.seed({ symbol: 'EURUSD', tf: 'H1', t: T0 - 3_600_000, o: 1, h: 2, l: 0.5, c: 1.5, v: 0, n: 99 }, false);
    const out: Candle[] = [];
    a.add(tk(T0 + 40_000, 2.5), out);
    expect(out).toEqual([]);
    expect(a.forming('EURUSD', 'M1')).toMatchObject({ o: 1, h: 2.5, c: 2.5, n: 11 });
    expect(a.forming('EURUSD', 'H1')).toMatchObject({ t: T0, o: 2.5, n: 1 });
  });

  it('reports forming bars of changed symbols only', () => {
    const a = new CandleAggregator({ timeframes: ['M1'] });
    a.add(tk(T0, 1, 'A'), []);
    a.add(tk(T0, 1, 'B'), []);
    expect(a.takeForming(true).map((c) => c.symbol).sort()).toEqual(['A', 'B']);
    expect(a.takeForming(true)).toEqual([]);
    a.add(tk(T0 + 1, 1, 'B'), []);
    expect(a.takeForming(true).map((c) => c.symbol)).toEqual(['B']);
  });
});

describe('CandleAggregator on the Lean EURUSD day 2014-05-08', () => {
  const rows = readLeanIndependently(LEAN, DAY);

  it('bundles the file unchanged and parses it like the independent reader', () => {
    const bundled = path.join(DATA_BUNDLE_DIR, LEAN_REL);
    expect(fs.readFileSync(bundled).equals(fs.readFileSync(LEAN))).toBe(true);
    expect(leanFileDate(bundled)).toBe(DAY);
    const ticks = parseLeanTicks(fs.readFileSync(bundled, 'utf8'), 'EURUSD', DAY);
    expect(ticks).toHaveLength(87_833);
    expect(ticks.map((t) => [t.time_msc, t.bid, t.ask])).toEqual(rows.map((r) => [r.time, r.bid, r.ask]));
  });

  it('matches an independent group-by: every M1 bar, and every bar of every timeframe', () => {
    const ticks = parseLeanTicks(fs.readFileSync(LEAN, 'utf8'), 'EURUSD', DAY);
    const v = new TickValidator();
    const drops = emptyDropCounts();
    const good: Tick[] = [];
    v.validateBatch(ticks, good, drops);
    expect(good).toHaveLength(rows.length);
    const a = new CandleAggregator();
    const closed = a.addBatch(good);
    closed.push(...a.flush(DAY + 86_400_000));
    expect(a.late).toBe(0);
    const counts: Record<string, number> = {};
    for (const tf of TIMEFRAMES) {
      const expected = [...groupBy(rows, TF_MS[tf]).values()].sort((x, y) => x.t - y.t);
      const got = closed.filter((c) => c.tf === tf).map(({ t, o, h, l, c, n }) => ({ t, o, h, l, c, n }));
      expect(got).toEqual(expected);
      counts[tf] = got.length;
    }
    // A full trading day: ticks in 1,419 of its 1,440 minutes (no bar invented for the other 21),
    // all 288 M5, 96 M15, 24 H1 and one D1.
    expect(counts).toEqual({ M1: 1419, M5: 288, M15: 96, H1: 24, D1: 1 });
    // the ECB-day extremes
    const d1 = closed.find((c) => c.tf === 'D1') as Candle;
    expect(d1).toMatchObject({ t: DAY, h: 1.39928, l: 1.3832, n: 87_833 });
  });

  it('keeps the weekend gap on a Friday + Monday stream', () => {
    const FRI = Date.UTC(2014, 4, 9);
    const MON = Date.UTC(2014, 4, 12);
    const text = fs.readFileSync(LEAN, 'utf8');
    const stream = [...parseLeanTicks(text, 'EURUSD', FRI), ...parseLeanTicks(text, 'EURUSD', MON)];
    const a = new CandleAggregator();
    const closed = a.addBatch(stream);
    closed.push(...a.flush(MON + 86_400_000));
    const byTf = (tf: Timeframe) => closed.filter((c) => c.tf === tf);
    const fri = [...groupBy(rows, 60_000).keys()].map((t) => t - DAY + FRI);
    const mon = [...groupBy(rows, 60_000).keys()].map((t) => t - DAY + MON);
    expect(byTf('M1').map((c) => c.t)).toEqual([...fri, ...mon]);
    expect(byTf('D1').map((c) => new Date(c.t).toISOString())).toEqual(['2014-05-09T00:00:00.000Z', '2014-05-12T00:00:00.000Z']);
    expect(byTf('H1')).toHaveLength(48);
    for (const c of closed) {
      const day = new Date(c.t).getUTCDay();
      expect(day === 0 || day === 6).toBe(false);
    }
    // the last Friday hour is followed directly by the first Monday hour
    const h1 = byTf('H1');
    expect(h1[24].t - h1[23].t).toBe(MON - FRI - 23 * 3_600_000);
    expect(new Date(h1[23].t).toISOString()).toBe('2014-05-09T23:00:00.000Z');
    expect(new Date(h1[24].t).toISOString()).toBe('2014-05-12T00:00:00.000Z');
  });
});
