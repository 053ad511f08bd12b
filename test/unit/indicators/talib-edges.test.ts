/**
 * TA-Lib edge-case conventions checked over every indicator the factory knows:
 * a flat series gives TA-Lib's defined values (never NaN), and a series exactly
 * lookback+1 long gives exactly one output, at its last index, equal to what
 * the longer series gives there.
 */
import { createIndicator, INDICATOR_NAMES } from '../../../lib/indicators';
import { barsOf, batch, loadData, mkBars } from './helpers';

const FLAT = 1.2345;

/** What each indicator returns on flat bars (price FLAT, volume 1000, bars an hour apart). */
const FLAT_EXPECT: Record<string, Record<string, number>> = {
  sma: { values: FLAT },
  ema: { values: FLAT },
  wma: { values: FLAT },
  dema: { values: FLAT },
  tema: { values: FLAT },
  rsi: { values: 0 },
  macd: { macd: 0, signal: 0, hist: 0 },
  bbands: { upper: FLAT, middle: FLAT, lower: FLAT },
  atr: { values: 0 },
  adx: { adx: 0, plusDI: 0, minusDI: 0 },
  stoch: { k: 0, d: 0 },
  stochrsi: { k: 0, d: 0 },
  cci: { values: 0 },
  willr: { values: 0 },
  obv: { values: 1000 },
  mfi: { values: 0 },
  roc: { values: 0 },
  mom: { values: 0 },
  vwap: { values: FLAT },
  donchian: { upper: FLAT, middle: FLAT, lower: FLAT },
  keltner: { upper: FLAT, middle: FLAT, lower: FLAT },
  sar: { values: FLAT },
  supertrend: { value: FLAT, direction: -1 },
  ichimoku: { tenkan: FLAT, kijun: FLAT, spanA: FLAT, spanB: FLAT, leadA: FLAT, leadB: FLAT },
};

describe('flat series', () => {
  it('has an expectation for every indicator', () => expect(Object.keys(FLAT_EXPECT).sort()).toEqual([...INDICATOR_NAMES].sort()));

  it.each([...INDICATOR_NAMES])('%s', (name) => {
    const ind = createIndicator(name);
    const n = ind.lookback + 20;
    const closes = Array.from({ length: n }, () => FLAT);
    const bars = mkBars(closes, closes, closes);
    const r = batch(ind, closes, bars);
    for (const [key, want] of Object.entries(FLAT_EXPECT[name])) {
      const tail = r[key].slice(ind.lookback) as number[];
      expect(tail).toHaveLength(20);
      // Sums of equal prices divided back may differ from the price by an ulp (so MACD's two EMA
      // seeds may differ by one); where TA-Lib's rule defines 0 (0/0 guards) it is exactly 0.
      for (const v of tail) {
        if (want === 0 && name !== 'macd') expect(v === 0).toBe(true);
        else expect(Math.abs(v - want)).toBeLessThan(1e-14);
      }
    }
  });
});

describe('a series exactly lookback+1 long', () => {
  const d = loadData('GOOG');
  it.each([...INDICATOR_NAMES])('%s gives one output, at the last index, equal to the long series', (name) => {
    const ind = createIndicator(name);
    const m = ind.lookback + 1;
    const full = batch(ind, d.close, barsOf(d));
    const short = batch(ind, d.close.slice(0, m), barsOf(d, 0, m));
    const tooShort = batch(ind, d.close.slice(0, m - 1), barsOf(d, 0, m - 1));
    for (const key of ind.outputs) {
      expect(short[key].filter((v) => v !== null)).toHaveLength(1);
      expect(short[key][m - 1]).toBe(full[key][m - 1]);
      expect(tooShort[key].every((v) => v === null)).toBe(true);
    }
  });
});

describe('single spike', () => {
  it('SMA and WMA carry a spike for exactly one window; EMA decays by (1−k) per bar', () => {
    const xs = [1, 1, 1, 1, 4, 1, 1, 1, 1];
    expect(createIndicator('sma:3').input).toBe('scalar');
    const sma = batch(createIndicator('sma:3'), xs, []).values;
    expect(sma.slice(2)).toEqual([1, 1, 2, 2, 2, 1, 1]);
    const ema = batch(createIndicator('ema:3'), xs, []).values as number[];
    // spike 3 above the base at index 4 with k = 0.5: 1 + 1.5, 1 + 0.75, 1 + 0.375 …
    expect(ema.slice(4)).toEqual([2.5, 1.75, 1.375, 1.1875, 1.09375]);
  });
  it('ATR takes the whole gap into the true range (|prevClose − high|)', () => {
    const closes = [10, 10, 10, 20, 20];
    const bars = mkBars([10, 10, 10, 21, 20], [10, 10, 10, 19, 20], closes);
    expect(batch(createIndicator('atr:1'), closes, bars).values).toEqual([null, 0, 0, 11, 0]);
  });
});
