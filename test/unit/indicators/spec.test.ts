/** The spec-string factory and input validation. */
import { DomainError } from '../../../lib/errors';
import { Atr, createIndicator, createIndicators, INDICATOR_NAMES, Obv, Rsi, Sma } from '../../../lib/indicators';

describe('createIndicator', () => {
  it.each([
    ['sma:20', 'SMA_20', 19],
    ['SMA:20', 'SMA_20', 19],
    ['ema:20', 'EMA_20', 19],
    ['rsi:14', 'RSI_14', 14],
    ['rsi', 'RSI_14', 14],
    ['macd:12:26:9', 'MACD_12_26_9', 33],
    ['macd', 'MACD_12_26_9', 33],
    ['bbands:20:2', 'BBANDS_20_2', 19],
    ['bb:20:2.5', 'BBANDS_20_2.5', 19],
    ['bbands:10:2:1', 'BBANDS_10_2_1', 9],
    ['stoch', 'STOCH_5_3_3', 8],
    ['stochrsi', 'STOCHRSI_14_5_3', 20],
    ['sar', 'SAR_0.02_0.2', 1],
    ['psar:0.01:0.1', 'SAR_0.01_0.1', 1],
    ['obv', 'OBV', 0],
    ['vwap', 'VWAP', 0],
    ['vwap:22', 'VWAP_22', 0],
    ['keltner', 'KELTNER_20_2_10', 19],
    ['supertrend', 'SUPERTREND_10_3', 10],
    ['ichimoku', 'ICHIMOKU_9_26_52_26', 76],
    [' willr:14 ', 'WILLR_14', 13],
  ])('%s → %s (lookback %d)', (spec, id, lookback) => {
    const ind = createIndicator(spec);
    expect(ind.id).toBe(id);
    expect(ind.lookback).toBe(lookback);
  });

  it('every known name builds with its defaults', () => {
    for (const n of INDICATOR_NAMES) expect(createIndicator(n).id.length).toBeGreaterThan(0);
  });

  it.each([
    ['foo:3', 'UNKNOWN_INDICATOR', /unknown indicator "foo" in spec "foo:3"; known: adx, atr, bbands/],
    ['', 'UNKNOWN_INDICATOR', /unknown indicator ""/],
    ['sma:0', 'BAD_PARAM', /SMA: period must be an integer in \[1, 100000\], got 0 \(spec "sma:0"\)/],
    ['sma:-5', 'BAD_PARAM', /SMA: period must be an integer in \[1, 100000\], got -5/],
    ['sma:2.5', 'BAD_PARAM', /sma: period must be an integer, got "2.5" \(spec "sma:2.5"\)/],
    ['sma:abc', 'BAD_PARAM', /sma: period must be an integer, got "abc"/],
    ['sma:', 'BAD_PARAM', /sma: period must be an integer, got ""/],
    ['sma:1e3', 'BAD_PARAM', /must be an integer, got "1e3"/],
    ['sma:200001', 'BAD_PARAM', /got 200001/],
    ['rsi:1', 'BAD_PARAM', /RSI: period must be an integer in \[2, 100000\], got 1/],
    ['sma:20:3', 'BAD_PARAM', /sma: takes at most 1 parameter\(s\) \(period\), got 2/],
    ['obv:3', 'BAD_PARAM', /obv: takes at most 0 parameter\(s\) \(none\), got 1/],
    ['macd:26:12:9', 'BAD_PARAM', /fast period \(26\) must not exceed slow period \(12\)/],
    ['macd:12:26:0', 'BAD_PARAM', /MACD: signal period must be an integer in \[1, 100000\], got 0/],
    ['bbands:20:-2', 'BAD_PARAM', /BBANDS: deviations up must be a finite number ≥ 0, got -2/],
    ['bbands:20:x', 'BAD_PARAM', /bbands: deviations must be a number, got "x"/],
    ['sar:0:0.2', 'BAD_PARAM', /SAR: acceleration must be a finite number > 0, got 0/],
    ['vwap:24', 'BAD_PARAM', /VWAP: session start hour must be in \[0, 24\), got 24/],
  ])('%j → %s', (spec, code, re) => {
    let err: unknown;
    try {
      createIndicator(spec);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DomainError);
    expect((err as DomainError).code).toBe(code);
    expect((err as DomainError).status).toBe(400);
    expect((err as Error).message).toMatch(re);
  });

  it('createIndicators splits on commas, keeps order, drops duplicates', () => {
    expect(createIndicators('rsi:14, sma:20,rsi,ema:5').map((i) => i.id)).toEqual(['RSI_14', 'SMA_20', 'EMA_5']);
    expect(() => createIndicators(' , ')).toThrow(/empty indicator list/);
  });
});

describe('input validation', () => {
  it.each([NaN, Infinity, -Infinity])('update(%p) throws BAD_INPUT and leaves the state untouched', (x) => {
    const s = new Sma(2);
    s.update(1);
    expect(() => s.update(x)).toThrow(/SMA_2: input must be finite/);
    expect(s.count).toBe(1);
    expect(s.update(3)).toBe(2);
  });
  it('batch names the index of a bad value', () => {
    expect(() => new Rsi(2).compute([1, 2, NaN, 4])).toThrow(/RSI_2: input must be finite, got NaN at index 2/);
    expect(() => new Atr(2).compute({ high: [1, 2], low: [1, 1], close: [1, Infinity] })).toThrow(/ATR_2: high\/low\/close must be finite.* at index 1/);
  });
  it('volume indicators need a volume column / bar volume', () => {
    expect(() => new Obv().compute({ high: [1], low: [1], close: [1] })).toThrow(/OBV needs the volume column/);
    expect(() => new Obv().update({ h: 1, l: 1, c: 1 })).toThrow(/OBV: volume must be a finite number ≥ 0, got NaN/);
    expect(() => new Obv().update({ h: 1, l: 1, c: 1, v: -5 })).toThrow(/volume must be a finite number ≥ 0, got -5/);
  });
  it('columns must have equal lengths', () => {
    expect(() => new Atr(2).compute({ high: [1, 2, 3], low: [1, 1], close: [1, 2, 3] })).toThrow(/column low has 2 values, close has 3/);
  });
  it('replace() before any update() is an error', () => {
    expect(() => new Sma(3).replace(1)).toThrow(/SMA_3: replace\(\) needs a previous update\(\)/);
  });
  it('bars and columns give the same batch result', () => {
    const bars = [
      { h: 2, l: 1, c: 1.5 },
      { h: 3, l: 1.5, c: 2.5 },
      { h: 2.8, l: 2, c: 2.1 },
    ];
    expect(new Atr(1).compute(bars)).toEqual(new Atr(1).compute({ high: [2, 3, 2.8], low: [1, 1.5, 2], close: [1.5, 2.5, 2.1] }));
  });
});
