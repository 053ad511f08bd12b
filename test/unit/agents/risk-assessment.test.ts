import { RiskAssessmentAgent } from '../../../agents/decision/risk-assessment/risk-assessment.agent';
import { argmaxAction, checkOpinion } from '../../../lib/agents/opinion';
import { historicalTailRisk } from '../../../lib/agents/tail-risk';
import type { Opinion } from '../../../types/agents';
import { googD1, leanDaily } from '../../helpers/bars';
import { opinionsAt } from '../../helpers/agent-run';

const goog = googD1();
const at = (iso: string) => goog.findIndex((b) => b.t >= Date.parse(iso));

function opine(a: RiskAssessmentAgent, tenantId: string, asOfBar = goog.length - 1): Opinion {
  const c = goog[asOfBar];
  const o = a.opine({ symbol: 'GOOG', tf: 'D1', asOf: c.t + 86_400_000, tenantId });
  expect(checkOpinion(o)).toEqual([]);
  return { ...o, latencyMs: 0 };
}

describe('risk-assessment agent on GOOG daily', () => {
  const calm = at('2006-12-01');
  const crisis = at('2008-11-21');
  const params = { window: 120, horizonBars: 5, maxVarPct: 0.15 };

  it('sees more risk in the 2008 crash than in calm 2006, and vetoes only then', () => {
    const a = new RiskAssessmentAgent(params);
    const ops = opinionsAt(a, goog, [calm, crisis], 't1');
    const c = ops.get(calm)!;
    const x = ops.get(crisis)!;
    expect(x.features!.varPct).toBeGreaterThan(2 * c.features!.varPct);
    expect(x.features!.sigma).toBeGreaterThan(2 * c.features!.sigma);
    expect(c.veto).toBeUndefined();
    expect(x.veto?.reason).toMatch(/^VaR 99% over 5 bars is [\d.]+% of equity, above the 15% limit$/);
    expect(x.p.hold).toBeGreaterThan(c.p.hold);
    expect(c.signal).toBe(0);
    expect(argmaxAction(x.p)).toBe('hold');
  });

  it('scales with the would-be exposure, per tenant', () => {
    const a = new RiskAssessmentAgent(params);
    opinionsAt(a, goog, [], 't1');
    a.configure({ positionFraction: 3 }, 'big');
    const small = opine(a, 't1', calm);
    const big = opine(a, 'big', calm);
    expect(big.features!.varPct).toBeCloseTo(3 * small.features!.varPct, 12);
    expect(a.config('t1')).toMatchObject({ positionFraction: 1 });
    expect(() => a.configure({ positionFraction: -1 }, 'big')).toThrow(/positionFraction/);
  });

  it('vetoes a tenant in drawdown, not the other tenant', () => {
    const a = new RiskAssessmentAgent(params);
    opinionsAt(a, goog, [], 't1');
    const T = goog[calm].t;
    a.update({ type: 'positions.updated', snapshot: { tenantId: 'loser', equity: 100_000, positions: [], time: T } });
    a.update({ type: 'positions.updated', snapshot: { tenantId: 'loser', equity: 85_000, positions: [{ symbol: 'GOOG', notional: 20_000 }], time: T + 1 } });
    a.update({ type: 'positions.updated', snapshot: { tenantId: 'fine', equity: 100_000, positions: [], time: T } });
    const loser = opine(a, 'loser', calm);
    const fine = opine(a, 'fine', calm);
    expect(loser.veto?.reason).toMatch(/drawdown 15% is beyond the 10% limit/);
    expect(loser.features!.exposure).toBeCloseTo(1 + 20_000 / 85_000, 12);
    expect(fine.veto).toBeUndefined();
    expect(fine.rationale).toMatch(/drawdown 0%/);
  });

  it('counts event risk and vetoes right before a release (EURUSD daily, OANDA)', () => {
    const fx = leanDaily('eurusd');
    const a = new RiskAssessmentAgent(params);
    opinionsAt(a, fx, [], 't1');
    const last = fx[fx.length - 1];
    const asOf = last.t + 86_400_000;
    const quiet = a.opine({ symbol: 'EURUSD', tf: 'D1', asOf, tenantId: 't1' });
    a.update({ type: 'calendar.published', events: [{ id: 'fomc', currency: 'USD', name: 'Federal Funds Rate', time: asOf + 60_000, importance: 'high', actual: null, forecast: 2.5, previous: 2.25 }] });
    const o = a.opine({ symbol: 'EURUSD', tf: 'D1', asOf, tenantId: 't1' });
    expect(o.features!.minutesToEvent).toBe(1);
    expect(o.veto?.reason).toMatch(/USD Federal Funds Rate is due in 1 min/);
    expect(o.p.hold).toBeGreaterThan(quiet.p.hold);
    expect(quiet.veto).toBeUndefined();
  });
});

describe('historical tail risk', () => {
  it('VaR and ES of a known sample', () => {
    // 100 one-bar log returns: -0.05, -0.04, then 98 zeros → 99% quantile at rank 0.99 between -0.05 and -0.04
    const r = [-0.05, -0.04, ...new Array(98).fill(0)];
    const t = historicalTailRisk(r, 1, 0.99, 50);
    const q = -0.05 + (-0.04 + 0.05) * 0.99;
    expect(t.var).toBeCloseTo(1 - Math.exp(q), 12);
    expect(t.es).toBeCloseTo(1 - Math.exp(-0.05), 12);
    expect(historicalTailRisk(r, 4, 0.99, 500).scaled).toBe(true);
  });
});
