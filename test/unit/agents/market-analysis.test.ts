import { correlation } from '../../../lib/agents/stats';
import { MarketAnalysisAgent } from '../../../agents/research/market-analysis/market-analysis.agent';
import { candlePattern, swings } from '../../../agents/research/market-analysis/structure';
import { eurusdH1, googD1, mirror } from '../../helpers/bars';
import { every, opinionsAt, trailingReturn } from '../../helpers/agent-run';
import type { Candle } from '../../../types/market';

describe('market-analysis agent on EURUSD H1 (2017-2018)', () => {
  const bars = eurusdH1();
  const points = every(200, bars.length, 37);
  const ops = opinionsAt(new MarketAnalysisAgent(), bars, points);

  it('follows the trend: signal correlates with the trailing 60-bar return', () => {
    const sig = points.map((i) => ops.get(i)!.signal);
    const ret = points.map((i) => trailingReturn(bars, i, 60));
    expect(correlation(sig, ret)).toBeGreaterThan(0.6);
  });

  it('is long on the steepest rise and short on the steepest fall of the sample', () => {
    const byRet = [...points].sort((a, b) => trailingReturn(bars, a, 60) - trailingReturn(bars, b, 60));
    const down = ops.get(byRet[0])!;
    const up = ops.get(byRet[byRet.length - 1])!;
    expect(trailingReturn(bars, byRet[0], 60)).toBeLessThan(-0.01);
    expect(up.signal).toBeGreaterThan(0.3);
    expect(up.p.buy).toBeGreaterThan(up.p.sell);
    expect(down.signal).toBeLessThan(-0.3);
    expect(down.rationale).toMatch(/H1 down/);
  });

  it('flips its signal exactly on the mirrored series', () => {
    const m = opinionsAt(new MarketAnalysisAgent(), mirror(bars), points);
    for (const i of points) {
      expect(m.get(i)!.signal).toBeCloseTo(-ops.get(i)!.signal, 9);
      expect(m.get(i)!.confidence).toBeCloseTo(ops.get(i)!.confidence, 9);
    }
  });

  it('explains itself with the numbers it used', () => {
    const o = ops.get(points[60])!;
    expect(o.rationale).toMatch(/^EURUSD H1: trend H1 (up|down|flat) \([+-]?[\d.]+% over 60 bars, R² [\d.]+\), D1 /);
    expect(o.features).toHaveProperty('trend_H1');
    expect(o.features).toHaveProperty('trend_D1');
  });
});

describe('market-analysis on GOOG daily', () => {
  it('is long through the 2005 rally and short through the 2008 slide', () => {
    const bars = googD1();
    const at = (iso: string) => bars.findIndex((b) => b.t >= Date.parse(iso));
    const i2005 = at('2005-11-15');
    const i2008 = at('2008-11-15');
    const ops = opinionsAt(new MarketAnalysisAgent(), bars, [i2005, i2008]);
    expect(trailingReturn(bars, i2005, 60)).toBeGreaterThan(0.2);
    expect(trailingReturn(bars, i2008, 60)).toBeLessThan(-0.2);
    expect(ops.get(i2005)!.signal).toBeGreaterThan(0.3);
    expect(ops.get(i2008)!.signal).toBeLessThan(-0.3);
  });
});

describe('structure helpers', () => {
  const c = (o: number, h: number, l: number, cl: number, t = 0): Candle => ({ symbol: 'X', tf: 'H1', t, o, h, l, c: cl, v: 0, n: 0 });
  it('finds swing points that stand out k bars on each side', () => {
    const lows = [5, 4, 3, 4, 5, 6, 5, 4, 5];
    const bars = lows.map((v, i) => c(v, v + 1, v, v, i));
    const s = swings(bars, 2);
    expect(s.filter((x) => x.kind === 'low').map((x) => x.index)).toEqual([2]);
    expect(s.filter((x) => x.kind === 'high').map((x) => x.index)).toEqual([5]);
  });
  it('finds the swings of a tail of the bars in place, as in a copy of it', () => {
    const bars = eurusdH1().slice(0, 300);
    for (const from of [0, 1, 57, 180]) expect(swings(bars, 3, from)).toEqual(swings(bars.slice(from), 3));
  });
  it('recognises engulfing bars', () => {
    expect(candlePattern([c(1, 1, 1, 1), c(1.1, 1.11, 1.0, 1.02), c(1.01, 1.13, 1.0, 1.12)]).name).toBe('bullish engulfing');
    expect(candlePattern([c(1, 1, 1, 1), c(1.0, 1.1, 0.99, 1.08), c(1.09, 1.1, 0.97, 0.98)]).name).toBe('bearish engulfing');
  });
  it('says it has too few bars instead of guessing', () => {
    const a = new MarketAnalysisAgent();
    const o = a.opine({ symbol: 'EURUSD', tf: 'M1', asOf: 1 });
    expect(o.confidence).toBe(0);
    expect(o.rationale).toMatch(/0 bars so far, 30 needed/);
  });
});
