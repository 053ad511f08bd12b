import { KnowledgeSynthesisAgent } from '../../../agents/learning/knowledge-synthesis/knowledge-synthesis.agent';
import { checkOpinion, toProbabilities } from '../../../lib/agents/opinion';
import { squaredDistance } from '../../../lib/storage/vector';
import type { Decision, Opinion } from '../../../types/agents';
import type { Candle } from '../../../types/market';
import { seeded } from '../../helpers/rng';

const T0 = Date.UTC(2024, 0, 2, 8);
const M = 60_000;

function walk(n: number, seed: number): Candle[] {
  const r = seeded(seed);
  let c = 1.1;
  return Array.from({ length: n }, (_, i) => {
    const o = c;
    c = c * Math.exp((r() - 0.5) * 0.002);
    return { symbol: 'EURUSD', tf: 'M1' as const, t: T0 + i * M, o, h: Math.max(o, c), l: Math.min(o, c), c, v: 1, n: 1 };
  });
}

const op = (agent: string, signal: number, confidence: number, asOf: number): Opinion => ({ agent, group: 'research', symbol: 'EURUSD', tf: 'M1', signal, p: toProbabilities(signal, confidence), confidence, rationale: 'r', asOf, latencyMs: 0 });
const decision = (tenantId: string, asOf: number, opinions: Opinion[]): Decision => ({ id: `${tenantId}${asOf}`, tenantId, symbol: 'EURUSD', tf: 'M1', asOf, action: 'hold', p: toProbabilities(0, 0), confidence: 0, method: 'bayesian', fusions: [], opinions, abstained: [], vetoes: [], latencyMs: 0, traceId: null });

describe('knowledge-synthesis agent', () => {
  // market-analysis knows where the next 5 bars go 85% of the time; technical-indicator always agrees with it;
  // news-sentiment always says the opposite; strategy-formulation is noise.
  const bars = walk(900, 17);
  const r = seeded(3);
  const agent = new KnowledgeSynthesisAgent();
  const fwd = (i: number) => Math.log(bars[i + 5].c / bars[i].c);
  const asOfs: number[] = [];
  bars.forEach((b, i) => {
    agent.update({ type: 'candle.closed', candle: b });
    if (i < 120 || i + 5 >= bars.length) return;
    const asOf = b.t + M;
    const truth = Math.sign(fwd(i)) || 1;
    const ma = (r() < 0.85 ? truth : -truth) * (0.5 + 0.4 * r());
    const ops = [op('market-analysis', ma, 0.8, asOf), op('technical-indicator', ma * 0.9, 0.7, asOf), op('news-sentiment', -ma, 0.6, asOf), op('strategy-formulation', r() - 0.5, 0.5, asOf)];
    agent.update({ type: 'decision.made', decision: decision('ta', asOf, ops) });
    agent.update({ type: 'decision.made', decision: decision('tb', asOf, ops) }); // the same situation through another tenant
    asOfs.push(asOf);
  });
  const facts = agent.drainFacts();

  it('stores each situation once, with its outcome, when the outcome is known', () => {
    expect(agent.situations()).toBe(asOfs.length);
    expect(facts).toHaveLength(asOfs.length);
    expect(facts[0]).toMatchObject({ event: 'knowledge.situation.stored', payload: { id: `EURUSD|M1|${asOfs[0]}`, properties: { symbol: 'EURUSD', tf: 'M1', asOf: asOfs[0], label: expect.stringMatching(/^(buy|hold|sell)$/) } } });
  });

  it('retrieves exactly the nearest earlier situations whose outcome was known at the time', () => {
    const asOf = asOfs[600] + M;
    const { situation, matches } = agent.neighbours('EURUSD', 'M1', asOf, 10);
    expect(situation!.asOf).toBe(asOfs[600]);
    const candidates = facts.map((f) => f.payload as { id: string; vector: number[]; properties: { asOf: number; exitTime: number } }).filter((p) => p.properties.exitTime <= situation!.asOf && p.properties.asOf < situation!.asOf);
    const truth = candidates.map((c) => ({ id: c.id, d: squaredDistance(situation!.vector, c.vector) })).sort((a, b) => a.d - b.d || a.id.localeCompare(b.id));
    expect(matches.map((m) => m.id)).toEqual(truth.slice(0, 10).map((t) => t.id));
    for (const m of matches) expect(m.properties.exitTime as number).toBeLessThanOrEqual(situation!.asOf);
  });

  it('opines from what happened after similar situations: its view moves with the agents’ view', () => {
    let right = 0;
    let called = 0;
    for (let j = 400; j < asOfs.length - 1; j += 3) {
      const o = agent.opine({ symbol: 'EURUSD', tf: 'M1', asOf: asOfs[j + 1] });
      expect(checkOpinion(o)).toEqual([]);
      const prior = agent.situationBefore('EURUSD', 'M1', asOfs[j + 1])!;
      const maView = prior.vector[6]; // market-analysis: signal × confidence (slot 4 of 7, two numbers each)
      if (Math.abs(o.signal) < 0.1) continue;
      called++;
      if (Math.sign(o.signal) === Math.sign(maView)) right++;
    }
    expect(called).toBeGreaterThan(50);
    expect(right / called).toBeGreaterThan(0.8);
    const o = agent.opine({ symbol: 'EURUSD', tf: 'M1', asOf: asOfs[700] });
    expect(o.rationale).toMatch(/^EURUSD M1: the 20 past situations nearest to the agents' view at .* went up \d+, down \d+, flat \d+ times over 5 bars \(weighted p buy [\d.]+, sell [\d.]+; mean move [+-][\d.]+σ\); nearest .* → (long|short|flat)\./);
  });

  it('reports which agents agree and disagree systematically', () => {
    const a = agent.agreement();
    expect(a[0]).toMatchObject({ a: 'market-analysis', b: 'technical-indicator', agreement: 1 });
    const worst = a.filter((p) => p.agreement === 0).map((p) => [p.a, p.b].join('&'));
    expect(worst).toEqual(expect.arrayContaining(['market-analysis&news-sentiment', 'news-sentiment&technical-indicator']));
    expect(agent.graph.edgeSync('technical-indicator', 'market-analysis', 'agreement')).toMatchObject({ weight: 1, n: asOfs.length });
    expect(agent.opine({ symbol: 'EURUSD', tf: 'M1', asOf: asOfs[700] }).rationale).toMatch(/Agents agreeing most: market-analysis & technical-indicator \(100% of \d+\); disagreeing most: .*news-sentiment.* \(0% of \d+\)\.$/);
  });

  it('has no view before it has seen enough', () => {
    const fresh = new KnowledgeSynthesisAgent();
    const o = fresh.opine({ symbol: 'EURUSD', tf: 'M1', asOf: T0 });
    expect(o).toMatchObject({ signal: 0, confidence: 0 });
    expect(o.rationale).toMatch(/no decision seen yet/);
  });
});
