/**
 * The keyed registry of live indicators (services/indicators/registry.ts) over
 * real EURUSD H1 bars: warm-up windows, streaming after warm-up, candles held
 * during warm-up, sharing and re-warming, LRU eviction, failing updates and
 * the forming bar. History comes from an in-memory bar list standing in for
 * market-data; expected values are lib/indicators batch over the same bars.
 */
import { createIndicator, Rsi } from '../../../lib/indicators';
import type { AnyIndicator, Output } from '../../../lib/indicators/types';
import { DEFAULT_LIMIT, IndicatorRegistry, LiveBar, MAX_SET, newestClosedBars, PagedBar, parseSet, RegistryOptions } from '../../../services/indicators/registry';
import type { Timeframe } from '../../../types/market';
import { barsOf, loadData } from './helpers';

const ALL: LiveBar[] = barsOf(loadData('EURUSD'), 0, 1500).map((b) => ({ ...b, t: b.t as number }));

/** A stand-in for market-data: the first `closed` bars of ALL are history. */
class History {
  closed: number;
  calls: { symbol: string; tf: Timeframe; bars: number }[] = [];
  gate: Promise<void> | null = null;
  constructor(closed: number) {
    this.closed = closed;
  }
  fetch = async (symbol: string, tf: Timeframe, bars: number): Promise<LiveBar[]> => {
    this.calls.push({ symbol, tf, bars });
    const snapshot = ALL.slice(Math.max(0, this.closed - bars), this.closed);
    if (this.gate) await this.gate;
    if (symbol !== 'EURUSD') throw new Error(`unknown symbol ${symbol}`);
    return snapshot;
  };
}

/** Batch values over bars[from, to) for one spec, as the stream would output them (number or object, null warm-up). */
function expected(spec: string, from: number, to: number): (Output | null)[] {
  const ind = createIndicator(spec);
  const bars = ALL.slice(from, to);
  const cols = ind.input === 'scalar' ? ind.compute(bars.map((b) => b.c)) : ind.compute(bars);
  return bars.map((_, i) => {
    if (ind.outputs.length === 1) return cols[ind.outputs[0]][i];
    if (cols[ind.outputs[0]][i] === null) return null;
    return Object.fromEntries(ind.outputs.map((k) => [k, cols[k][i] as number]));
  });
}

function registry(h: History, extra: Partial<RegistryOptions> = {}): IndicatorRegistry {
  return new IndicatorRegistry({ fetchBars: h.fetch, ...extra });
}

const tpl = (...specs: string[]): AnyIndicator[] => specs.map((s) => createIndicator(s));

describe('IndicatorRegistry', () => {
  it('warms a new key from the newest lookback + keep closed bars and serves the last `limit` of them', async () => {
    const h = new History(1000);
    const reg = registry(h);
    const live = await reg.acquire('EURUSD', 'H1', tpl('rsi:14', 'macd:12:26:9', 'bbands:20:2'), 50);
    expect(h.calls.map((c) => c.bars)).toEqual([14 + DEFAULT_LIMIT, 33 + DEFAULT_LIMIT, 19 + DEFAULT_LIMIT]);
    const rows = reg.rows(live, 50);
    expect(rows.map((r) => r.t)).toEqual(ALL.slice(950, 1000).map((b) => b.t));
    expect(rows[0].iso).toBe(new Date(ALL[950].t).toISOString());
    for (const [spec, id, look] of [['rsi:14', 'RSI_14', 14], ['macd:12:26:9', 'MACD_12_26_9', 33], ['bbands:20:2', 'BBANDS_20_2', 19]] as const) {
      const want = expected(spec, 1000 - look - DEFAULT_LIMIT, 1000).slice(-50);
      expect(rows.map((r) => r.values[id])).toEqual(want);
    }
    expect(typeof rows[49].values.RSI_14).toBe('number');
    expect(Object.keys(rows[49].values.MACD_12_26_9 as object).sort()).toEqual(['hist', 'macd', 'signal']);
  });

  it('streams closed candles after warm-up: values advance and equal batch over the grown window', async () => {
    const h = new History(400);
    const reg = registry(h);
    const live = await reg.acquire('EURUSD', 'H1', tpl('rsi:14', 'ema:20'), 100);
    for (let i = 400; i < 700; i++) reg.onCandle('EURUSD', 'H1', ALL[i]);
    reg.onCandle('EURUSD', 'M5', ALL[700]); // another timeframe: not ours
    reg.onCandle('GBPUSD', 'H1', ALL[700]); // another symbol: not ours
    const rows = reg.rows(live, 100);
    expect(rows[99].t).toBe(ALL[699].t);
    expect(rows.map((r) => r.values.RSI_14)).toEqual(expected('rsi:14', 400 - 114, 700).slice(-100));
    expect(rows.map((r) => r.values.EMA_20)).toEqual(expected('ema:20', 400 - 119, 700).slice(-100));
    // a repeated or older bar is ignored
    reg.onCandle('EURUSD', 'H1', ALL[699]);
    reg.onCandle('EURUSD', 'H1', ALL[10]);
    expect(live[0].skipped).toBe(2);
    expect(reg.rows(live, 100)).toEqual(rows);
  });

  it('holds candles that close during warm-up and applies each once after the history', async () => {
    const h = new History(300);
    let open!: () => void;
    h.gate = new Promise<void>((r) => (open = r));
    const reg = registry(h);
    const p = reg.acquire('EURUSD', 'H1', tpl('rsi:14'), 100);
    // 298..309 arrive while history (…299) is in flight: 298 and 299 overlap it
    for (let i = 298; i < 310; i++) reg.onCandle('EURUSD', 'H1', ALL[i]);
    open();
    const live = await p;
    expect(live[0].skipped).toBe(2);
    const rows = reg.rows(live, 100);
    expect(rows[99].t).toBe(ALL[309].t);
    expect(rows.map((r) => r.values.RSI_14)).toEqual(expected('rsi:14', 300 - 114, 310).slice(-100));
  });

  it('shares one instance per (symbol, tf, id) and warms a longer window when more bars are asked', async () => {
    const h = new History(1200);
    const reg = registry(h);
    const [a] = await reg.acquire('EURUSD', 'H1', tpl('rsi:14'), 10);
    const [b] = await reg.acquire('EURUSD', 'H1', tpl('rsi'), 100);
    expect(b).toBe(a);
    const [c] = await reg.acquire('EURUSD', 'M15', tpl('rsi:14'), 10);
    expect(c).not.toBe(a);
    expect(h.calls).toHaveLength(2);
    const [d] = await reg.acquire('EURUSD', 'H1', tpl('rsi:14'), 500);
    expect(d).not.toBe(a);
    expect(h.calls[2]).toEqual({ symbol: 'EURUSD', tf: 'H1', bars: 514 });
    expect(reg.size).toBe(2);
    expect(reg.rows([d], 500).map((r) => r.values.RSI_14)).toEqual(expected('rsi:14', 1200 - 514, 1200).slice(-500));
    // the replaced instance no longer receives candles
    reg.onCandle('EURUSD', 'H1', ALL[1200]);
    expect(a.lastT).toBe(ALL[1199].t);
    expect(d.lastT).toBe(ALL[1200].t);
  });

  it('concurrent first requests share one warm-up', async () => {
    const h = new History(500);
    const reg = registry(h);
    const [x, y] = await Promise.all([reg.acquire('EURUSD', 'H1', tpl('sma:20'), 100), reg.acquire('EURUSD', 'H1', tpl('sma:20'), 100)]);
    expect(x[0]).toBe(y[0]);
    expect(h.calls).toHaveLength(1);
  });

  it('keeps a bounded history per instance', async () => {
    const h = new History(200);
    const reg = registry(h);
    const [e] = await reg.acquire('EURUSD', 'H1', tpl('sma:5'), 100);
    for (let i = 200; i < 1500; i++) reg.onCandle('EURUSD', 'H1', ALL[i]);
    expect(e.ts.length).toBeLessThan(2 * 100);
    expect(e.ts.length).toBeGreaterThanOrEqual(100);
    expect(reg.rows([e], 100).map((r) => r.values.SMA_5)).toEqual(expected('sma:5', 200 - 104, 1500).slice(-100));
  });

  it('evicts instances idle longer than idleMs, and the least recently requested beyond maxEntries', async () => {
    let now = 1_000_000;
    const h = new History(300);
    const reg = registry(h, { idleMs: 60_000, maxEntries: MAX_SET, now: () => now });
    await reg.acquire('EURUSD', 'H1', tpl('rsi:14'), 10);
    now += 50_000;
    await reg.acquire('EURUSD', 'H1', tpl('sma:20'), 10);
    now += 20_000; // rsi idle 70 s, sma 20 s
    await reg.acquire('EURUSD', 'H1', tpl('ema:20'), 10);
    expect(reg.list().map((e) => e.id)).toEqual(['SMA_20', 'EMA_20']);
    now += 30_000;
    await reg.acquire('EURUSD', 'H1', tpl('sma:20'), 10); // touched: now most recent
    expect(reg.list().map((e) => e.id)).toEqual(['EMA_20', 'SMA_20']);
    const many = Array.from({ length: MAX_SET - 1 }, (_, i) => `wma:${i + 2}`);
    await reg.acquire('EURUSD', 'H1', tpl(...many), 10);
    expect(reg.size).toBe(MAX_SET);
    expect(reg.list()[0].id).toBe('SMA_20');
    expect(reg.list().some((e) => e.id === 'EMA_20')).toBe(false);
    expect(reg.evicted).toBe(2);
    // an evicted instance gets no more candles; its (symbol, tf) still feeds the rest
    reg.onCandle('EURUSD', 'H1', ALL[300]);
    expect(reg.list().every((e) => e.lastT === ALL[300].t)).toBe(true);
    expect(() => new IndicatorRegistry({ fetchBars: h.fetch, maxEntries: MAX_SET - 1 })).toThrow(RangeError);
  });

  it('drops an instance whose update fails, names the error, and warms it again on the next request', async () => {
    const h = new History(300);
    const errors: string[] = [];
    const reg = registry(h, { onError: (key, m) => errors.push(`${key}: ${m}`) });
    const [rsi, sma] = await reg.acquire('EURUSD', 'H1', tpl('rsi:14', 'sma:10'), 10);
    reg.onCandle('EURUSD', 'H1', { ...ALL[300], c: NaN });
    expect(errors).toEqual([expect.stringMatching(/^EURUSD\|H1\|RSI_14: RSI_14: input must be finite/), expect.stringMatching(/^EURUSD\|H1\|SMA_10: /)]);
    expect(reg.size).toBe(0);
    expect(rsi.lastT).toBe(ALL[299].t);
    expect(sma.lastT).toBe(ALL[299].t);
    const [again] = await reg.acquire('EURUSD', 'H1', tpl('rsi:14'), 10);
    expect(again).not.toBe(rsi);
    expect(h.calls).toHaveLength(3);
  });

  it('a failed warm-up rejects every waiter and leaves nothing behind', async () => {
    const h = new History(300);
    const reg = registry(h);
    await expect(Promise.all([reg.acquire('XAUUSD', 'H1', tpl('rsi:14'), 10), reg.acquire('XAUUSD', 'H1', tpl('rsi:14'), 10)])).rejects.toThrow('unknown symbol XAUUSD');
    expect(reg.size).toBe(0);
    reg.onCandle('XAUUSD', 'H1', ALL[300]); // no group left behind
    expect(reg.size).toBe(0);
  });

  it('adds the forming bar computed on copies, leaving the live state as it was', async () => {
    const h = new History(500);
    const reg = registry(h);
    const live = await reg.acquire('EURUSD', 'H1', tpl('rsi:14', 'atr:14', 'macd:12:26:9'), 100);
    const forming = { ...ALL[500], c: ALL[500].c * 1.002, h: Math.max(ALL[500].h, ALL[500].c * 1.002) };
    const rows = reg.rows(live, 5, forming);
    expect(rows.map((r) => r.t)).toEqual(ALL.slice(496, 501).map((b) => b.t));
    expect(rows[4].forming).toBe(true);
    expect(rows[3].forming).toBeUndefined();
    const formingBars = [...ALL.slice(500 - 114, 500), forming];
    const rsi = new Rsi(14);
    expect(rows[4].values.RSI_14).toBe(rsi.compute(formingBars.map((b) => b.c)).values[114]);
    // then the real bar closes: the live values are those of the real bar
    reg.onCandle('EURUSD', 'H1', ALL[500]);
    const after = reg.rows(live, 5);
    expect(after[4].values.RSI_14).toBe(expected('rsi:14', 500 - 114, 501)[114]);
    expect(after[4].values.RSI_14).not.toBe(rows[4].values.RSI_14);
    expect(after[4].values.MACD_12_26_9).toEqual(expected('macd:12:26:9', 500 - 133, 501)[133]);
    // a forming bar not newer than the last closed one adds nothing
    expect(reg.rows(live, 5, ALL[500])).toEqual(after);
    expect(reg.rows(live, 1, ALL[501]).map((r) => [r.t, r.forming])).toEqual([[ALL[501].t, true]]);
  });
});

describe('newestClosedBars', () => {
  // 250 closed bars and a forming one; the pager answers like market-data.candles (newest `limit` before `to`, oldest first).
  const stored: PagedBar[] = [...ALL.slice(0, 250).map((b) => ({ ...b, v: 0, closed: true })), { ...ALL[250], v: 0, closed: false }];
  const pager = (calls: [number, number | undefined][]) => async (limit: number, to?: number) => {
    calls.push([limit, to]);
    const below = stored.filter((b) => to === undefined || b.t < to);
    return below.slice(Math.max(0, below.length - limit));
  };
  const plain = (bars: LiveBar[]) => bars.map((b) => b.t);

  it('takes one page when it holds enough, dropping the forming bar', async () => {
    const calls: [number, number | undefined][] = [];
    expect(plain(await newestClosedBars(pager(calls), 40, 10_000))).toEqual(ALL.slice(210, 250).map((b) => b.t));
    expect(calls).toEqual([[41, undefined]]);
  });

  it('pages backwards from the oldest bar of each page', async () => {
    const calls: [number, number | undefined][] = [];
    expect(plain(await newestClosedBars(pager(calls), 120, 50))).toEqual(ALL.slice(130, 250).map((b) => b.t));
    expect(calls).toEqual([[50, undefined], [50, ALL[201].t], [22, ALL[151].t]]);
  });

  it('stops where the history ends', async () => {
    const calls: [number, number | undefined][] = [];
    expect(plain(await newestClosedBars(pager(calls), 1000, 100))).toEqual(ALL.slice(0, 250).map((b) => b.t));
    expect(calls.at(-1)).toEqual([100, ALL[51].t]);
  });
});

describe('parseSet', () => {
  it('builds each distinct indicator once, in order', () => {
    expect(parseSet(' rsi:14, macd:12:26:9,bbands:20:2,rsi ,sma:20').map((i) => i.id)).toEqual(['RSI_14', 'MACD_12_26_9', 'BBANDS_20_2', 'SMA_20']);
  });
  it.each([
    ['foo:3', /unknown indicator "foo" in spec "foo:3"/],
    ['rsi:14,rsi:0', /period must be an integer in \[2, 100000\], got 0 \(spec "rsi:0"\)/],
    ['sma:-5', /spec "sma:-5"/],
    ['ema:x', /must be an integer, got "x" \(spec "ema:x"\)/],
    [' , ', /set lists no indicator/],
    [Array.from({ length: MAX_SET + 1 }, (_, i) => `sma:${i + 1}`).join(','), /at most 20 per request/],
  ])('%s is a 422 naming it', (set, msg) => {
    let err: unknown;
    try {
      parseSet(set);
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ status: 422, message: expect.stringMatching(msg) });
  });
});
