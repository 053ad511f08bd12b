import { fuseAll } from '../../../lib/consensus';
import { advisoryDraft, checkOpinion, toProbabilities } from '../../../lib/agents/opinion';
import { advisoriesOf } from '../../../services/consensus/store';
import type { Opinion, Probabilities } from '../../../types/agents';

function op(agent: string, p: Probabilities, confidence: number): Opinion {
  return { agent, group: 'research', symbol: 'EURUSD', tf: 'M1', signal: p.buy - p.sell, p, confidence, rationale: 'test', asOf: 0, latencyMs: 0 };
}

const base = { group: 'monitoring' as const, symbol: 'EURUSD', tf: 'M1' as const, asOf: 0 };
const advice = (agent: string, veto?: string): Opinion => ({
  ...advisoryDraft({ ...base, agent }, [{ code: 'api_degraded', level: 'warn', message: 'p95 latency 1.8 s' }], 'API slow for this tenant', veto ? { veto: { reason: veto } } : {}),
  latencyMs: 0,
});

const A = op('a', { buy: 0.6, hold: 0.3, sell: 0.1 }, 0.5);
const B = op('b', { buy: 0.2, hold: 0.5, sell: 0.3 }, 1.0);

describe('advisory opinions (no market view)', () => {
  it('pass the output check only with signal 0, confidence 0 and uniform p', () => {
    expect(checkOpinion(advice('ux'))).toEqual([]);
    expect(checkOpinion({ ...advice('ux'), signal: 0.2 })).toContain('an advisory opinion has no market view: signal and confidence must be 0');
    expect(checkOpinion({ ...advice('ux'), p: toProbabilities(0, 0, 0.5) })).toContain('an advisory opinion has no market view: p must be uniform');
    expect(checkOpinion({ ...advice('ux'), advisory: [{ code: 'x', level: 'loud' as 'warn', message: 'm' }] })).toContain('advisory must be a list of {code, level: info|warn|critical, message}');
  });

  it('do not vote, dilute confidence or count toward quorum', () => {
    const plain = fuseAll([A, B], { method: 'weighted', quorum: 2 });
    const mixed = fuseAll([A, advice('ux'), B, advice('bi')], { method: 'weighted', quorum: 2 });
    expect(mixed.fusions).toEqual(plain.fusions);
    // a hold vote at confidence 0 with weight would have lowered the weighted confidence: it does not
    expect(mixed.acting.confidence).toBeGreaterThan(0);
    const short = fuseAll([A, advice('ux'), advice('bi')], { method: 'bayesian', quorum: 2 });
    expect(short.acting.action).toBe('hold');
    expect(short.acting.note).toMatch(/^quorum not met: 1 of 2 opinions/);
  });

  it('veto through the record: any fusion holds and names the adviser', () => {
    const r = fuseAll([A, advice('system-health', 'stale data: no EURUSD tick for 95 s')], { method: 'weighted' });
    for (const f of r.fusions) {
      expect(f.action).toBe('hold');
      expect(f.note).toMatch(/vetoed by system-health: stale data: no EURUSD tick for 95 s/);
    }
    // the fused p is still the voters' own
    expect(r.fusions[0].p).toEqual(fuseAll([A], { method: 'weighted' }).fusions[0].p);
  });

  it('are listed flat in the decision record with their agent', () => {
    expect(advisoriesOf([A, advice('ux')])).toEqual([{ agent: 'ux', code: 'api_degraded', level: 'warn', message: 'p95 latency 1.8 s' }]);
  });
});
