import { readRegime, StrategyFormulationAgent } from '../../../agents/decision/strategy-formulation/strategy-formulation.agent';
import { positions, score } from '../../../agents/decision/strategy-formulation/strategies';
import { eurusdH1, googD1, mirror } from '../../helpers/bars';
import { every, opinionsAt, trailingReturn } from '../../helpers/agent-run';

describe('strategy-formulation agent on EURUSD H1', () => {
  const bars = eurusdH1();
  const points = every(300, bars.length, 53);
  const ops = opinionsAt(new StrategyFormulationAgent(), bars, points);

  it('in trending stretches it trades with the trend', () => {
    let agree = 0;
    let trending = 0;
    for (const i of points) {
      const reg = readRegime(bars.slice(0, i + 1), 120);
      if (reg.regime !== 'trending') continue;
      const o = ops.get(i)!;
      if (o.signal === 0) continue;
      trending++;
      if (Math.sign(o.signal) === Math.sign(trailingReturn(bars, i, 120))) agree++;
    }
    expect(trending).toBeGreaterThan(10);
    expect(agree / trending).toBeGreaterThanOrEqual(0.75);
  });

  it('picks the same strategy and the opposite side on the mirrored series', () => {
    const m = opinionsAt(new StrategyFormulationAgent(), mirror(bars), points);
    for (const i of points) {
      const a = ops.get(i)!;
      const b = m.get(i)!;
      expect(b.signal).toBeCloseTo(-a.signal, 9);
      expect(b.confidence).toBeCloseTo(a.confidence, 9);
      expect(b.features!.chosen).toBe(a.features!.chosen);
    }
  });

  it('explains its choice with every strategy score and the regime', () => {
    const o = [...ops.values()].find((x) => x.features!.chosen !== undefined)!;
    expect(o.rationale).toMatch(/regime (trending|ranging|volatile) \(efficiency [\d.]+ vs [\d.]+ random walk, volatility ratio [\d.]+\); over the last 120 bars trend-following t=-?[\d.]+.*mean-reversion t=.*breakout t=.*following (trend-following|mean-reversion|breakout): .* → (long|short|flat)\./);
  });
});

describe('strategy scoring', () => {
  it('trend-following earns on GOOG’s 2005 rally and loses to nothing on a ranging stretch', () => {
    const g = googD1();
    const end = g.findIndex((b) => b.t >= Date.parse('2005-12-30'));
    const bars = g.slice(end - 200, end + 1);
    const p = { fast: 10, slow: 40, meanWindow: 20, channel: 20 };
    const tf = score(bars, positions('trend-following', bars, p).pos, 120);
    const mr = score(bars, positions('mean-reversion', bars, p).pos, 120);
    expect(tf.t).toBeGreaterThan(1);
    expect(tf.t).toBeGreaterThan(mr.t);
    expect(readRegime(bars, 120).regime).toBe('trending');
  });

  it('refuses fast ≥ slow', () => {
    expect(() => new StrategyFormulationAgent().configure({ fast: 50 })).toThrow(/fast must be below slow/);
  });
});
