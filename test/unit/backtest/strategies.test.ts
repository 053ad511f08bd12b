/** Built-in strategies and the registry's parameter validation. */
import { runBacktest } from '../../../lib/backtest/engine';
import { Rsi } from '../../../lib/indicators';
import { createStrategy, listStrategies, parseParamString, resolveParams, getStrategy } from '../../../lib/strategies/registry';
import { bars, flat, GOOG } from './helpers';

describe('registry', () => {
  it('lists the built-ins with defaults that pass their own checks', () => {
    expect(listStrategies().map((d) => d.name)).toEqual(['sma-cross', 'rsi-reversion', 'breakout', 'consensus']);
    for (const d of listStrategies()) expect(() => resolveParams(d, {})).not.toThrow();
  });
  it('validates names, types, ranges and cross-parameter rules', () => {
    const d = getStrategy('sma-cross');
    expect(resolveParams(d, { fast: 3 })).toEqual({ fast: 3, slow: 30 });
    expect(() => resolveParams(d, { fast: 40 })).toThrow(/fast \(40\) must be less than slow \(30\)/);
    expect(() => resolveParams(d, { fast: 0 })).toThrow(/fast must be in \[1/);
    expect(() => resolveParams(d, { fast: 2.5 })).toThrow(/integer/);
    expect(() => resolveParams(d, { speed: 1 })).toThrow(/unknown parameter 'speed'/);
    expect(() => resolveParams(getStrategy('rsi-reversion'), { lower: 60 })).toThrow(/lower \(60\) < exit \(50\)/);
    expect(() => resolveParams(getStrategy('breakout'), { entry: 5, exit: 10 })).toThrow(/exit \(10\) must not exceed entry \(5\)/);
    expect(() => getStrategy('nope')).toThrow(/unknown strategy 'nope'; available: sma-cross, rsi-reversion, breakout/);
  });
  it('parses k=v lists', () => {
    expect(parseParamString(' fast=10, slow=30 ')).toEqual({ fast: 10, slow: 30 });
    expect(parseParamString('')).toEqual({});
    expect(() => parseParamString('fast')).toThrow(/name=value/);
    expect(() => parseParamString('fast=1,fast=2')).toThrow(/twice/);
  });
});

describe('strategies', () => {
  it('sma-cross reverses on strict crossings only (touching is no cross)', () => {
    // fast = SMA(1) = close, slow = SMA(2). Close path chosen so fast touches slow, then crosses.
    const c = [10, 10, 10, 12, 11, 9, 9, 13, 13];
    const { strategy } = createStrategy('sma-cross', { fast: 1, slow: 2 });
    const r = runBacktest(flat(c), strategy, { cash: 1000, finalizeTrades: true });
    // slow: [NaN, 10, 10, 11, 11.5, 10, 9, 11, 13]; fast − slow: [·, 0, 0, 1, −0.5, −1, 0, 2, 0]
    // bar 3: 0 → +1 is not a cross (previous not strictly below); bar 4: +1 → −0.5 bearish; bar 7: 0 → +2 no.
    expect(r.trades.map((t) => [t.size > 0 ? 'long' : 'short', t.entryBar, t.exitBar])).toEqual([['short', 5, 8]]);
  });

  it('rsi-reversion buys oversold and exits above the exit level', () => {
    const down = Array.from({ length: 20 }, (_, k) => 100 - k);
    const up = Array.from({ length: 20 }, (_, k) => 81 + k);
    const prices = [...down, ...up];
    const { strategy } = createStrategy('rsi-reversion', { period: 5 });
    const r = runBacktest(flat(prices), strategy, { cash: 10_000, finalizeTrades: true });
    // RSI(5) first has a value at bar 5, so the strategy first runs at bar 6 (RSI 0) and buys at bar 7's open.
    expect(r.warmupBars).toBe(5);
    expect(r.trades[0].size).toBeGreaterThan(0);
    expect(r.trades[0].entryBar).toBe(7);
    // It closes on the open after the first bar whose RSI exceeds 50 (bar 23: gain .488 vs loss .4096).
    const x = new Rsi(5).computeTyped(Float64Array.from(prices)).values;
    const firstAbove = x.findIndex((v, k) => k > 7 && v > 50);
    expect(firstAbove).toBe(23);
    expect(r.trades[0].exitBar).toBe(firstAbove + 1);
    expect([r.trades[0].entryPrice, r.trades[0].exitPrice]).toEqual([prices[7], prices[24]]);
  });

  it('breakout enters on a close beyond the previous channel and exits on the shorter one', () => {
    const c = [10, 10, 10, 10, 11, 12, 13, 12, 11, 10, 9];
    const b = bars(c, c, c, c);
    const { strategy } = createStrategy('breakout', { entry: 3, exit: 2 });
    const r = runBacktest(b, strategy, { cash: 1000, finalizeTrades: true });
    // bar 4: close 11 > max(h[1..3]) = 10 → buy at bar 5 open (12); bar 8: close 11 < min(l[6..7]) = 12 → exit at bar 9 open (10)
    expect(r.trades[0]).toMatchObject({ size: 83, entryBar: 5, entryPrice: 12, exitBar: 9, exitPrice: 10 });
  });

  it('all indicator built-ins run on real data with their defaults', () => {
    // consensus runs the agents (seconds per thousand bars): test/unit/backtest/consensus.test.ts
    for (const d of listStrategies().filter((x) => x.name !== 'consensus')) {
      const { strategy } = createStrategy(d.name, {});
      const r = runBacktest(GOOG(), strategy, { cash: 10_000, commission: 0.001, finalizeTrades: true });
      expect(r.trades.length).toBeGreaterThan(3);
      expect(r.equity.every((x) => Number.isFinite(x) && x > 0)).toBe(true);
    }
  });
});
