import { PerformanceAnalysisAgent, ReliabilityUpdate } from '../../../agents/learning/performance-analysis/performance-analysis.agent';
import { checkOpinion, toProbabilities, advisoryDraft } from '../../../lib/agents/opinion';
import { fuseAll, temperings, weightedVote } from '../../../lib/consensus';
import { OutcomeTracker } from '../../../lib/learning/outcomes';
import { scoreOpinion } from '../../../lib/learning/scoring';
import type { Decision, Opinion } from '../../../types/agents';
import type { Candle } from '../../../types/market';
import { seeded } from '../../helpers/rng';

const T0 = Date.UTC(2024, 0, 2, 8);
const M = 60_000;

/** A seeded random walk of M1 bars. */
function walk(n: number, seed: number): Candle[] {
  const r = seeded(seed);
  let c = 1.1;
  const out: Candle[] = [];
  for (let i = 0; i < n; i++) {
    const o = c;
    c = c * Math.exp((r() - 0.5) * 0.002);
    out.push({ symbol: 'EURUSD', tf: 'M1', t: T0 + i * M, o, h: Math.max(o, c), l: Math.min(o, c), c, v: 1, n: 1 });
  }
  return out;
}

function op(agent: string, signal: number, confidence: number, asOf: number, extra: Partial<Opinion> = {}): Opinion {
  return { agent, group: 'research', symbol: 'EURUSD', tf: 'M1', signal, p: toProbabilities(signal, confidence), confidence, rationale: 'r', asOf, latencyMs: 0, ...extra };
}

function decision(tenantId: string, i: number, opinions: Opinion[]): Decision {
  return { id: `${tenantId}-${i}`, tenantId, symbol: 'EURUSD', tf: 'M1', asOf: opinions[0].asOf, action: 'hold', p: toProbabilities(0, 0), confidence: 0, method: 'bayesian', fusions: [], opinions, abstained: [], vetoes: [], latencyMs: 0, traceId: null };
}

describe('outcome tracking', () => {
  it('judges an entry on the bar h later, labels by the σ band, and never looks before the exit arrives', () => {
    const bars = walk(200, 3);
    const tr = new OutcomeTracker<string>({ horizonBars: 5, band: 0.25, volBars: 100 });
    for (const b of bars.slice(0, 150)) tr.addBar(b);
    const asOf = bars[149].t + M;
    expect(tr.track('EURUSD', 'M1', asOf, 'x')).toBeNull();
    for (let i = 150; i < 154; i++) expect(tr.addBar(bars[i])).toEqual([]);
    const [r] = tr.addBar(bars[154]);
    expect(r.item).toBe('x');
    expect(r.outcome.ret).toBeCloseTo(Math.log(bars[154].c / bars[149].c), 14);
    expect(r.outcome.exitTime).toBe(bars[154].t + M);
    const th = 0.25 * r.outcome.sigma;
    expect(r.outcome.label).toBe(r.outcome.ret > th ? 'buy' : r.outcome.ret < -th ? 'sell' : 'hold');
    expect(r.outcome.sigma).toBeGreaterThan(0);
  });

  it('scores Brier, log loss, hits only for directional calls, and P&L as signal × confidence × r', () => {
    const p = toProbabilities(1, 1); // certain buy
    expect(scoreOpinion({ p, signal: 1, confidence: 1 }, 'buy', 0.01, 0.05)).toEqual({ brier: 0, logLoss: -Math.log(1), hit: true, pnl: 0.01 });
    const s = scoreOpinion({ p, signal: 1, confidence: 1 }, 'sell', -0.01, 0.05);
    expect(s.brier).toBeCloseTo(2, 12);
    expect(s.logLoss).toBeCloseTo(-Math.log(1e-6), 9);
    expect(s.hit).toBe(false);
    expect(scoreOpinion({ p: toProbabilities(0.02, 1), signal: 0.02, confidence: 1 }, 'buy', 0.01, 0.05).hit).toBeNull();
  });
});

describe('performance-analysis on a constructed history', () => {
  const bars = walk(700, 11);
  const fwd = (i: number) => Math.log(bars[i + 5].c / bars[i].c);
  const agent = new PerformanceAnalysisAgent({ horizonBars: 5, halfLife: 200 });
  const facts: ReliabilityUpdate[] = [];
  const r = seeded(5);
  const ux = { ...advisoryDraft({ agent: 'user-experience', group: 'monitoring', symbol: 'EURUSD', tf: 'M1', asOf: 0 }, [], 'fine'), latencyMs: 0 };
  bars.forEach((b, i) => {
    agent.update({ type: 'candle.closed', candle: b });
    if (i < 100 || i + 5 >= bars.length) return;
    const asOf = b.t + M;
    const truth = Math.sign(fwd(i)) || 1;
    const good = r() < 0.8 ? truth : -truth;
    const bad = r() < 0.25 ? truth : -truth;
    const noise = r() < 0.5 ? 1 : -1;
    const regime = i < 400 ? 0 : 1;
    const ops = [
      op('good', 0.8 * good, 0.7, asOf),
      op('bad', 0.8 * bad, 0.7, asOf),
      op('noise', 0.8 * noise, 0.7, asOf),
      op('adaptation', 0, 0, asOf, { group: 'learning', features: { regime } }),
      { ...ux, asOf },
    ];
    // two tenants decide on the same shared opinions: scored once
    agent.update({ type: 'decision.made', decision: decision('ta', i, ops) });
    agent.update({ type: 'decision.made', decision: decision('tb', i, ops) });
    for (const f of agent.drainFacts()) {
      expect(f).toMatchObject({ event: 'agents.reliability.updated', broadcast: true });
      facts.push(f.payload as ReliabilityUpdate);
    }
  });
  const rep = agent.report();
  const by = (a: string) => rep.agents.find((x) => x.agent === a)!;

  it('scores every opinion once (not per tenant), advisories never', () => {
    expect(by('good').scored).toBe(595);
    expect(by('good').directional).toBe(595);
    expect(rep.agents.map((a) => a.agent)).not.toContain('user-experience');
    expect(by('adaptation').directional).toBe(0);
  });

  it('tells the good agent from the bad one on every measure', () => {
    expect(by('good').hitRate!).toBeGreaterThan(0.72);
    expect(by('bad').hitRate!).toBeLessThan(0.32);
    expect(by('good').brier!).toBeLessThan(by('noise').brier!);
    expect(by('noise').brier!).toBeLessThan(by('bad').brier!);
    expect(by('good').logLoss!).toBeLessThan(by('bad').logLoss!);
    expect(by('good').pnl).toBeGreaterThan(0);
    expect(by('bad').pnl).toBeLessThan(0);
    expect(by('good').bySymbol.EURUSD.scored).toBe(595);
    expect(Object.keys(by('good').byRegime).sort()).toEqual(['ranging', 'trending']);
    expect(by('good').byRegime.trending.scored + by('good').byRegime.ranging.scored).toBe(595);
  });

  it('publishes reliabilities that move consensus weights the right way', () => {
    expect(facts.length).toBeGreaterThan(100);
    const last: Record<string, { alpha: number; beta: number }> = {};
    for (const f of facts) Object.assign(last, f.reliabilities);
    expect(last.good.alpha).toBeGreaterThan(last.good.beta);
    expect(last.bad.alpha).toBeLessThan(last.bad.beta);
    // weighted vote: 2·E[hit rate] — above 1 for good, below 1 for bad
    expect(by('good').reliability.multiplier).toBeGreaterThan(1.4);
    expect(by('bad').reliability.multiplier).toBeLessThan(0.7);
    expect(by('good').reliability.pBetterThanChance).toBeGreaterThan(0.99);
    expect(by('bad').reliability.pBetterThanChance).toBeLessThan(0.01);
    // the same disagreement before and after learning: good says buy, bad says sell, equally sure
    const g = op('good', 0.8, 0.7, 0);
    const b = op('bad', -0.8, 0.7, 0);
    const before = fuseAll([g, b], { method: 'weighted' });
    const after = fuseAll([g, b], { method: 'weighted', trust: last });
    expect(before.acting.action).toBe('hold');
    expect(after.acting.action).toBe('buy');
    expect(weightedVote([g, b], last).p.buy).toBeGreaterThan(weightedVote([g, b]).p.buy);
    const [lg, lb] = temperings([g, b], { trust: last });
    expect(lg).toBeGreaterThan(0.69);
    expect(lb).toBeLessThan(0.01);
    expect(fuseAll([g, b], { method: 'bayesian', trust: last }).acting.action).toBe('buy');
  });

  it('advises, with no market view, who has been right and flags the agent worse than chance', () => {
    const o = agent.opine({ symbol: 'EURUSD', tf: 'M1', asOf: bars[bars.length - 1].t + M });
    expect(checkOpinion(o)).toEqual([]);
    expect(o.confidence).toBe(0);
    expect(o.advisory).toEqual([expect.objectContaining({ code: 'unreliable_agent', level: 'warn', message: expect.stringMatching(/^bad calls EURUSD worse than chance: [\d.]+% right over 595 calls/) })]);
    expect(o.rationale).toMatch(/^EURUSD, directional calls judged 5 bars on: most often right good [\d.]+% of 595/);
  });
});
