/** The incremental machinery agents keep their state with (lib/agents): cursors over a BarStore, streaming resampling, rolling windows, fmt. */
import { BarCursor, BarStore, resample, Resampler } from '../../../lib/agents/bars';
import { fmt } from '../../../lib/agents/opinion';
import { RollingWindow, SortedSnapshot, SortedWindow, SummedWindow } from '../../../lib/agents/rolling';
import { mean, percentileRank, quantile, quantileSelect, stdev } from '../../../lib/agents/stats';
import type { Candle } from '../../../types/market';
import { eurusdTicks20140508, ticksToM1 } from '../../helpers/bars';

const m1 = ticksToM1(eurusdTicks20140508(4));

/** A fold that records what a cursor hands it. */
function follow(store: BarStore, asOf?: number, cursor = new BarCursor(store, 'EURUSD', 'M1'), seen: number[] = []) {
  const st = cursor.advance(asOf);
  if (st === null) return { cursor, seen, past: true };
  if (st.restart) seen.length = 0;
  for (let i = st.from; i < st.to; i++) seen.push(st.bars[i].t);
  return { cursor, seen, past: false };
}

describe('BarStore revisions and BarCursor', () => {
  it('hands a fold each bar once while bars are appended, and restarts it when a bar is inserted or changed', () => {
    const s = new BarStore(5000);
    m1.slice(0, 100).forEach((c) => s.add(c));
    const f = follow(s);
    expect(f.seen).toEqual(m1.slice(0, 100).map((c) => c.t));
    m1.slice(100, 103).forEach((c) => s.add(c));
    follow(s, undefined, f.cursor, f.seen);
    expect(f.seen).toEqual(m1.slice(0, 103).map((c) => c.t));
    const rev = s.revision('EURUSD', 'M1');
    s.add({ ...m1[102] }); // the same candle again: nothing changes
    expect(s.revision('EURUSD', 'M1')).toBe(rev);
    expect(follow(s, undefined, f.cursor, f.seen).seen).toHaveLength(103);
    s.add({ ...m1[50], c: m1[50].c + 1e-4 }); // revised in the middle
    expect(s.revision('EURUSD', 'M1')).toBe(rev + 1);
    const st = f.cursor.advance();
    expect(st).toMatchObject({ restart: true, from: 0, to: 103 });
  });

  it('folds only the bars closed by asOf, and says when a query is behind what it folded', () => {
    const s = new BarStore(5000);
    m1.slice(0, 50).forEach((c) => s.add(c));
    const asOf = m1[29].t + 60_000;
    const f = follow(s, asOf);
    expect(f.seen).toEqual(m1.slice(0, 30).map((c) => c.t));
    expect(follow(s, m1[10].t + 60_000, f.cursor, f.seen).past).toBe(true);
    follow(s, undefined, f.cursor, f.seen);
    expect(f.seen).toEqual(m1.slice(0, 50).map((c) => c.t));
  });

  it('restarts a fold whose unread bars were trimmed away', () => {
    const s = new BarStore(20);
    m1.slice(0, 10).forEach((c) => s.add(c));
    const f = follow(s);
    m1.slice(10, 60).forEach((c) => s.add(c)); // beyond 1.5× capacity: trimmed to 20
    const st = f.cursor.advance();
    expect(st!.restart).toBe(true);
    expect(st!.bars[st!.from].t).toBe(s.get('EURUSD', 'M1')[0].t);
  });
});

describe('streaming resampling', () => {
  it('Resampler returns exactly the groups of resample(), bar by bar', () => {
    for (const tf of ['M5', 'M15', 'H1'] as const) {
      const r = new Resampler(tf);
      const out: Candle[] = [];
      for (const c of m1) {
        const g = r.add(c);
        if (g && r.revised) out[out.length - 1] = g;
        else if (g) out.push(g);
      }
      expect(out).toEqual(resample(m1, tf));
    }
  });

  it('revises a group that gets a bar after the one that closed it (bars not aligned on the group)', () => {
    const c = (t: number, p: number): Candle => ({ symbol: 'X', tf: 'M5', t, o: p, h: p + 1, l: p - 1, c: p, v: 1, n: 1 });
    // M5 bars starting off the 5-minute grid: the one at :12 closes the :00–:15 group, the one at :14 still belongs to it.
    const bars = [c(0, 1), c(360_000, 2), c(720_000, 3), c(840_000, 4), c(900_000, 5), c(1_620_000, 6)];
    const r = new Resampler('M15');
    const out: Candle[] = [];
    for (const b of bars) {
      const g = r.add(b);
      if (g && r.revised) out[out.length - 1] = g;
      else if (g) out.push(g);
    }
    expect(out).toEqual(resample(bars, 'M15'));
    expect(out[0].c).toBe(4);
  });

  it('BarStore.resampled follows the base series, and resamples the prefix for a query in the past', () => {
    const s = new BarStore(5000);
    const seen: Candle[] = [];
    m1.slice(0, 300).forEach((c, i) => {
      s.add(c);
      seen.push(c);
      const got = s.resampled('EURUSD', 'M1', 'M5', c.t + 60_000);
      if (i % 7 === 0 || i > 290) expect(got).toEqual(resample(seen, 'M5'));
    });
    expect(s.resampled('EURUSD', 'M1', 'M5', m1[100].t + 60_000)).toEqual(resample(m1.slice(0, 101), 'M5'));
    expect(s.resampled('EURUSD', 'M1', 'M15')).toEqual(resample(seen, 'M15'));
    s.add({ ...m1[20], h: m1[20].h + 0.01 });
    expect(s.resampled('EURUSD', 'M1', 'M5')).toEqual(resample(s.get('EURUSD', 'M1'), 'M5'));
  });
});

describe('rolling windows', () => {
  const xs = m1.map((c) => c.c - c.o);

  it('RollingWindow keeps the last `size` values, oldest first', () => {
    const w = new RollingWindow(7);
    xs.slice(0, 20).forEach((x) => w.push(x));
    const out = new Float64Array(7);
    expect(w.copyTo(out)).toBe(7);
    expect(Array.from(out)).toEqual(xs.slice(13, 20));
    w.setLast(42);
    expect(w.last()).toBe(42);
    expect(w.at(0)).toBe(xs[13]);
  });

  it('SortedWindow ranks and takes quantiles as the sample functions do on the same values, gaps left out', () => {
    const w = new SortedWindow(50);
    const held: number[] = [];
    xs.slice(0, 400).forEach((x, i) => {
      const v = i % 17 === 0 ? NaN : x;
      w.push(v);
      held.push(v);
      if (held.length > 50) held.shift();
      if (i % 9 === 0) {
        const fin = held.filter(Number.isFinite);
        expect(w.count).toBe(fin.length);
        expect(w.rank(x)).toBe(percentileRank(fin, x));
        expect(w.rank(x, 1e-5)).toBe(percentileRank(fin, x, 1e-5));
        expect(w.quantile(0.1)).toBe(quantile(fin, 0.1));
        expect(w.quantile(0.9)).toBe(quantile(fin, 0.9));
      }
    });
    w.setLast(1e9);
    expect(w.quantile(1)).toBe(1e9);
  });
});

describe('summed and snapshot windows', () => {
  const xs = m1.map((c) => c.c - c.o);

  it('SummedWindow: mean and σ of the finite values held, within 1e-9 of a two-pass computation', () => {
    const w = new SummedWindow(60);
    const held: number[] = [];
    xs.forEach((x, i) => {
      const v = i % 23 === 0 ? NaN : x;
      w.push(v);
      held.push(v);
      if (held.length > 60) held.shift();
      if (i % 13 === 5) {
        const fin = held.filter(Number.isFinite);
        expect(w.count).toBe(fin.length);
        expect(w.mean()).toBeCloseTo(mean(fin), 12);
        expect(Math.abs(w.stdev() - stdev(fin))).toBeLessThan(1e-9 * stdev(fin));
      }
    });
  });

  it('SortedSnapshot: each refresh is exactly the sorted ring, merged or sorted', () => {
    const w = new SortedSnapshot(300);
    const held: number[] = [];
    xs.forEach((x, i) => {
      w.push(x);
      held.push(x);
      if (held.length > 300) held.shift();
      if (i % 97 === 0 || i === 1000) {
        w.refresh();
        expect(Array.from(w.sorted)).toEqual([...held].sort((a, b) => a - b));
      }
    });
  });
});

describe('quantiles by selection', () => {
  it('quantileSelect equals quantile for low, middle and high quantiles, ties and NaN included', () => {
    const samples = [m1.map((c) => c.c - c.o), m1.map((c) => Math.round((c.h - c.l) * 1e5)), [3, NaN, 1, 2]];
    for (const xs of samples)
      for (const q of [0, 0.01, 0.1, 0.5, 0.9, 0.99, 1]) {
        const got = quantileSelect(xs, xs.length, q);
        const want = quantile(xs, q);
        expect(Number.isNaN(want) ? Number.isNaN(got) : got === want).toBe(true);
      }
  });
});

describe('fmt', () => {
  it('is exactly Number(x.toPrecision(d)).toString(), ties and powers of ten included', () => {
    const ref = (x: number, d: number) => Number(x.toPrecision(d)).toString();
    const cases: [number, number][] = [];
    for (let e = -8; e <= 22; e++)
      for (let d = 1; d <= 6; d++) {
        for (const f of [1, 0.999999999, 1.0000001, 9.9995, 9.95, 0.95, 0.995, 1.005, 2.675, 1.2345, 7.77777]) cases.push([f * 10 ** e, d]);
        for (let m = 0; m < 200; m += 7) cases.push([((m + 0.5) * 10 ** e) / 10 ** d, d]);
      }
    expect(cases.map(([x, d]) => [fmt(x, d), fmt(-x, d)])).toEqual(cases.map(([x, d]) => [ref(x, d), ref(-x, d)]));
    expect(fmt(0)).toBe('0');
    expect(fmt(NaN)).toBe('NaN');
  });
});
