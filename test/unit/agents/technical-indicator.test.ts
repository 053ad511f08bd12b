import { readTimeframe, TechnicalIndicatorAgent } from '../../../agents/research/technical-indicator/technical-indicator.agent';
import { Rsi } from '../../../lib/indicators';
import { percentileRank } from '../../../lib/agents/stats';
import { eurusdH1, googD1, mirror } from '../../helpers/bars';
import { every, opinionsAt } from '../../helpers/agent-run';

describe('technical-indicator agent on EURUSD H1', () => {
  const bars = eurusdH1();
  const points = every(400, bars.length, 97);
  const ops = opinionsAt(new TechnicalIndicatorAgent(), bars, points);

  it('flips its signal exactly on the mirrored series', () => {
    const m = opinionsAt(new TechnicalIndicatorAgent(), mirror(bars), points);
    for (const i of points) {
      expect(m.get(i)!.signal).toBeCloseTo(-ops.get(i)!.signal, 9);
      expect(m.get(i)!.confidence).toBeCloseTo(ops.get(i)!.confidence, 9);
    }
  });

  it('ranks RSI against the symbol’s own history: the same RSI can be stretched for one symbol and not another', () => {
    const i = points[40];
    const closes = bars.slice(i - 309, i + 1).map((b) => b.c); // the window the agent reads (lookback + 60)
    const rsi = Array.from(new Rsi(14).computeTyped(closes).values).filter(Number.isFinite).slice(-250);
    const o = ops.get(i)!;
    expect(o.features!.rsi_H1).toBeCloseTo(rsi[rsi.length - 1], 9);
    expect(o.features!.rsiRank_H1).toBeCloseTo(percentileRank(rsi, rsi[rsi.length - 1]), 12);
    expect(o.rationale).toMatch(/H1: RSI [\d.]+ \((stretched up|stretched down|mid-range); its own 10–90% band [\d.]+–[\d.]+\)/);
    expect(o.rationale).toMatch(/D1: RSI/);
  });

  it('reads the top of a range as a sell and the bottom as a buy when the trend is weak, and follows a strong trend', () => {
    let checked = 0;
    for (const i of points) {
      const r = readTimeframe(bars.slice(Math.max(0, i - 309), i + 1), 250)!;
      if (r.adxRank < 0.2 && r.rsiRank > 0.9 && r.kRank > 0.8) {
        expect(r.score).toBeLessThan(0);
        checked++;
      }
      if (r.adxRank < 0.2 && r.rsiRank < 0.1 && r.kRank < 0.2) {
        expect(r.score).toBeGreaterThan(0);
        checked++;
      }
      if (r.adxRank > 0.9 && Math.sign(r.macdZ) === Math.sign(r.di) && Math.abs(r.di) > 0.3) {
        expect(Math.sign(r.score)).toBe(Math.sign(r.di));
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(3);
  });
});

describe('technical-indicator on GOOG daily', () => {
  it('follows the strong 2008 downtrend', () => {
    const g = googD1();
    const i = g.findIndex((b) => b.t >= Date.parse('2008-10-10'));
    const o = opinionsAt(new TechnicalIndicatorAgent(), g, [i]).get(i)!;
    expect(o.features!.adxRank_D1).toBeGreaterThan(0.7);
    expect(o.signal).toBeLessThan(0);
    expect(o.rationale).toMatch(/strong trend for this symbol .* −DI leads/);
  });
});
