import { AdaptationAgent, features } from '../../../../agents/learning/adaptation/adaptation.agent';
import type { RegimeChange } from '../../../../lib/agents/agent';
import { eurusdH1, mirror } from '../../../helpers/bars';
import { every, opinionsAt } from '../../../helpers/agent-run';

describe('adaptation agent on EURUSD H1', () => {
  const bars = eurusdH1();
  const points = every(600, bars.length, 31);
  const a = new AdaptationAgent();
  const changes: RegimeChange[] = [];
  const ops = new Map<number, ReturnType<AdaptationAgent['opine']>>();
  const want = new Set(points);
  bars.forEach((c, i) => {
    a.update({ type: 'candle.closed', candle: c });
    for (const o of a.drain()) changes.push(o.payload as RegimeChange);
    if (want.has(i)) ops.set(i, a.opine({ symbol: 'EURUSD', tf: 'H1', asOf: c.t + 3_600_000 }));
  });

  it('labels the most trending and the most ranging stretch of the sample differently', () => {
    const f = (i: number) => features(bars.slice(0, i + 1), 60)!;
    const byEr = [...points].sort((x, y) => f(x).efficiency - f(y).efficiency);
    const flat = ops.get(byEr[0])!;
    const steep = ops.get(byEr[byEr.length - 1])!;
    expect(f(byEr[byEr.length - 1]).efficiency).toBeGreaterThan(0.3);
    expect(f(byEr[0]).efficiency).toBeLessThan(0.05);
    expect(steep.features!.pTrending).toBeGreaterThan(steep.features!.pRanging);
    expect(flat.features!.pRanging).toBeGreaterThan(flat.features!.pTrending);
    expect(steep.rationale).toMatch(/regime trending/);
    expect(flat.rationale).toMatch(/regime (ranging|volatile)/);
  });

  it('publishes regime changes with probabilities that sum to 1', () => {
    expect(changes.length).toBeGreaterThan(5);
    for (const c of changes) expect(c.p.trending + c.p.ranging + c.p.volatile).toBeCloseTo(1, 12);
    expect(new Set(changes.map((c) => c.regime))).toEqual(new Set(['trending', 'ranging', 'volatile']));
  });

  it('reads the mirrored series as the same regime with the opposite lean', () => {
    const m = opinionsAt(new AdaptationAgent(), mirror(bars), points.slice(0, 40));
    for (const i of points.slice(0, 40)) {
      expect(m.get(i)!.features!.pTrending).toBeCloseTo(ops.get(i)!.features!.pTrending, 9);
      expect(m.get(i)!.signal).toBeCloseTo(-ops.get(i)!.signal, 9);
    }
  });
});
