/**
 * Worked examples computed by hand on small series, and TA-Lib's behaviour on
 * edge cases (flat series, a single spike, a series exactly the lookback long),
 * for SMA, EMA, RSI, MACD and Bollinger Bands.
 */
import { BBands, Ema, Macd, Rsi, Sma } from '../../../lib/indicators';

const close = (a: (number | null)[], b: (number | null)[], digits = 12): void => {
  expect(a).toHaveLength(b.length);
  a.forEach((v, i) => {
    if (b[i] === null) expect(v).toBeNull();
    else expect(v as number).toBeCloseTo(b[i] as number, digits);
  });
};

const flat = (n: number, v = 1.2345): number[] => Array.from({ length: n }, () => v);

describe('SMA', () => {
  it('averages the last period values', () => {
    close(new Sma(3).compute([1, 2, 3, 4, 10]).values, [null, null, 2, 3, 17 / 3]);
  });
  it('a series exactly the period long gives one value, at its last index', () => {
    expect(new Sma(5).compute([1, 2, 3, 4, 5]).values).toEqual([null, null, null, null, 3]);
    expect(new Sma(5).compute([1, 2, 3, 4]).values).toEqual([null, null, null, null]);
  });
  it('is exact on a flat series and tracks a spike for one window', () => {
    expect(new Sma(4).compute(flat(6, 7)).values).toEqual([null, null, null, 7, 7, 7]);
    close(new Sma(2).compute([1, 1, 5, 1, 1]).values, [null, 1, 3, 3, 1]);
  });
});

describe('EMA', () => {
  it('is seeded by the SMA of the first period inputs, then k = 2/(n+1)', () => {
    // seed (2+4+6)/3 = 4; k = 0.5: (8-4)/2+4 = 6; (12-6)/2+6 = 9; (0-9)/2+9 = 4.5
    close(new Ema(3).compute([2, 4, 6, 8, 12, 0]).values, [null, null, 4, 6, 9, 4.5]);
  });
  it('period 1 follows the input', () => {
    close(new Ema(1).compute([3, 1, 4]).values, [3, 1, 4]);
  });
  it('flat stays flat; exactly-period-long gives the seed only', () => {
    expect(new Ema(3).compute(flat(5, 2)).values).toEqual([null, null, 2, 2, 2]);
    expect(new Ema(3).compute([1, 2, 6]).values).toEqual([null, null, 3]);
  });
});

describe('RSI (Wilder)', () => {
  it('hand-computed values', () => {
    // moves +1 -1 +2 0 -3; period 2: avg gain/loss 0.5/0.5 → 50;
    // (0.5+2)/2 = 1.25, 0.5/2 = 0.25 → 83.33; 0.625, 0.125 → 83.33; 0.3125, 1.5625 → 16.67
    close(new Rsi(2).compute([10, 11, 10, 12, 12, 9]).values, [null, null, 50, 250 / 3, 250 / 3, 50 / 3]);
  });
  it('TA-Lib returns 0 (not 50, not NaN) on a flat series', () => {
    expect(new Rsi(14).compute(flat(30)).values.slice(14)).toEqual(Array(16).fill(0));
  });
  it('a single spike after a flat run: 100, then 40, 40', () => {
    // gains 1/3 → 100; then gain 2/9, loss 1/3 → 40; then 4/27, 6/27 → 40
    close(new Rsi(3).compute([1, 1, 1, 1, 2, 1, 1]).values, [null, null, null, 0, 100, 40, 40]);
  });
  it('needs period+1 values: exactly period long gives nothing', () => {
    expect(new Rsi(5).compute([1, 2, 3, 4, 5]).values).toEqual([null, null, null, null, null]);
    expect(new Rsi(5).compute([1, 2, 3, 4, 5, 6]).values).toEqual([null, null, null, null, null, 100]);
  });
  it('rejects period < 2 as TA-Lib does', () => {
    expect(() => new Rsi(1)).toThrow(/RSI: period must be an integer in \[2, 100000\], got 1/);
  });
});

describe('MACD', () => {
  it('hand-computed 2/3/2 on 1,2,4,8,16,32', () => {
    // slow EMA3 from x0: 7/3, 31/6, 127/12, 511/24; fast EMA2 from x1: 3, 19/3, 115/9, 691/27
    // macd: 2/3, 7/6, 79/36, 929/216; signal EMA2 seeded at i3: 11/12, 191/108, 2240/648
    const r = new Macd(2, 3, 2).compute([1, 2, 4, 8, 16, 32]);
    close(r.macd, [null, null, null, 7 / 6, 79 / 36, 929 / 216]);
    close(r.signal, [null, null, null, 11 / 12, 191 / 108, 2240 / 648]);
    close(r.hist, [null, null, null, 3 / 12, 46 / 108, 547 / 648]);
  });
  it('first output at index slow+signal-2 (33 for 12/26/9)', () => {
    const xs = Array.from({ length: 40 }, (_, i) => 100 + Math.sin(i));
    const m = new Macd().compute(xs).macd;
    expect(m.findIndex((v) => v !== null)).toBe(33);
    expect(new Macd().lookback).toBe(33);
  });
  it('flat series: all three lines 0', () => {
    const r = new Macd(3, 5, 2).compute(flat(10, 1.1));
    expect(r.macd.slice(5)).toEqual(Array(5).fill(0));
    expect(r.signal.slice(5)).toEqual(Array(5).fill(0));
    expect(r.hist.slice(5)).toEqual(Array(5).fill(0));
  });
  it('rejects fast > slow and periods < 2', () => {
    expect(() => new Macd(26, 12, 9)).toThrow(/fast period \(26\) must not exceed slow period \(12\)/);
    expect(() => new Macd(1, 12, 9)).toThrow(/fast period must be an integer/);
  });
});

describe('Bollinger Bands', () => {
  it('population σ: [1,2,3] → σ = sqrt(2/3)', () => {
    const r = new BBands(3, 2).compute([1, 2, 3, 4, 10]);
    const s1 = Math.sqrt(2 / 3);
    const s2 = Math.sqrt(86 / 9); // [3,4,10]: 125/3 - (17/3)^2
    close(r.middle, [null, null, 2, 3, 17 / 3]);
    close(r.upper, [null, null, 2 + 2 * s1, 3 + 2 * s1, 17 / 3 + 2 * s2]);
    close(r.lower, [null, null, 2 - 2 * s1, 3 - 2 * s1, 17 / 3 - 2 * s2]);
  });
  it('flat series: σ = 0, all bands equal the price (TA_IS_ZERO_OR_NEG clamps rounding)', () => {
    const r = new BBands(5, 2).compute(flat(8, 1.1));
    for (const k of ['upper', 'middle', 'lower'] as const) expect(r[k].slice(4).every((v) => v !== null && Math.abs(v - 1.1) < 1e-15)).toBe(true);
    expect(r.upper.slice(4)).toEqual(r.lower.slice(4));
  });
  it('separate up/down multipliers', () => {
    const r = new BBands(3, 1, 3).compute([1, 2, 3]);
    const s = Math.sqrt(2 / 3);
    close(r.upper, [null, null, 2 + s]);
    close(r.lower, [null, null, 2 - 3 * s]);
    expect(new BBands(3, 1, 3).id).toBe('BBANDS_3_1_3');
  });
  it('rejects period < 2', () => {
    expect(() => new BBands(1)).toThrow(/BBANDS: period/);
  });
});
