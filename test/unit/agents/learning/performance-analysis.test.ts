import { PerformanceAnalysisAgent } from '../../../../agents/learning/performance-analysis/performance-analysis.agent';
import { toProbabilities } from '../../../../lib/agents/opinion';
import { weightedVote } from '../../../../lib/consensus';
import type { Decision, Opinion } from '../../../../types/agents';
import { eurusdH1 } from '../../../helpers/bars';

const bars = eurusdH1().slice(0, 1500);
const H = 15;

function op(agent: string, signal: number, asOf: number): Opinion {
  return { agent, group: 'research', symbol: 'EURUSD', tf: 'H1', signal, p: toProbabilities(signal, 0.8), confidence: 0.8, rationale: '-', asOf, latencyMs: 0 };
}

/** Replay real bars; at each bar a decision with a 'seer' (knows the next 15 bars), a 'fool' (the opposite) and a 'coin'. */
function replay(tenants = 1) {
  const a = new PerformanceAnalysisAgent({ horizonBars: H, publishEvery: 50 });
  const published: unknown[] = [];
  bars.forEach((c, i) => {
    a.update({ type: 'candle.closed', candle: c });
    published.push(...a.drain().map((o) => o.payload));
    if (i + H >= bars.length) return;
    const future = Math.sign(bars[i + H].c - c.c) || 1;
    const asOf = c.t + 3_600_000;
    for (let t = 0; t < tenants; t++) {
      const d = { tenantId: `t${t}`, opinions: [op('seer', 0.8 * future, asOf), op('fool', -0.8 * future, asOf), op('coin', i % 2 ? 0.5 : -0.5, asOf)] } as unknown as Decision;
      a.update({ type: 'decision.made', decision: d });
    }
  });
  return { a, published };
}

describe('performance-analysis agent on EURUSD H1', () => {
  const { a, published } = replay();
  const rel = Object.fromEntries(a.reliabilities().map((r) => [r.agent, r]));

  it('scores each opinion against the market over its horizon', () => {
    expect(rel.seer.n).toBeGreaterThan(1400);
    expect(rel.seer.hits / rel.seer.n).toBeGreaterThan(0.9);
    expect(rel.fool.hits / rel.fool.n).toBeLessThan(0.1);
    expect(Math.abs(rel.coin.hits / rel.coin.n - 0.5)).toBeLessThan(0.06);
    expect(rel.seer.brier).toBeLessThan(rel.fool.brier);
    expect(rel.seer.logLoss).toBeLessThan(rel.fool.logLoss);
    expect(rel.seer.pnl).toBeGreaterThan(0);
    expect(rel.fool.pnl).toBeLessThan(0);
  });

  it('publishes reliabilities that move consensus weights the right way', () => {
    expect(published.length).toBeGreaterThan(10);
    const trust = Object.fromEntries(a.reliabilities().map((r) => [r.agent, { alpha: r.alpha, beta: r.beta }]));
    // seer says buy, fool says sell with the same conviction: untrained it is a tie, trained the seer wins.
    const ops = [op('seer', 0.8, 0), op('fool', -0.8, 0)];
    expect(weightedVote(ops).action).toBe('hold');
    const trained = weightedVote(ops, trust);
    expect(trained.action).toBe('buy');
    expect(trained.p.buy).toBeGreaterThan(0.6);
  });

  it('scores a market opinion once however many tenants saw it', () => {
    const many = replay(3).a.reliabilities().find((r) => r.agent === 'seer')!;
    expect(many.n).toBe(rel.seer.n);
  });

  it('explains the ranking and has no market view', () => {
    const o = a.opine({ symbol: 'EURUSD', tf: 'H1' });
    expect(o.confidence).toBe(0);
    expect(o.rationale).toMatch(/^Directional hit rates over 15 bars: seer (9\d|100)(\.\d+)?% of \d+ .*coin .*fool/);
  });
});
