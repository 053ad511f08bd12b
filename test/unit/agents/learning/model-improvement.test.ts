import { ModelImprovementAgent } from '../../../../agents/learning/model-improvement/model-improvement.agent';
import { toProbabilities } from '../../../../lib/agents/opinion';
import type { Decision } from '../../../../types/agents';
import { eurusdH1 } from '../../../helpers/bars';

describe('model-improvement agent', () => {
  it('turns decisions and what followed into training samples, once per candle', () => {
    const bars = eurusdH1().slice(0, 400);
    const a = new ModelImprovementAgent({ horizonBars: 10, trainEvery: 100 });
    bars.forEach((c, i) => {
      a.update({ type: 'candle.closed', candle: c });
      const asOf = c.t + 3_600_000;
      const up = i + 10 < bars.length && bars[i + 10].c > c.c ? 1 : -1;
      const d = { symbol: 'EURUSD', tf: 'H1', asOf, opinions: [{ agent: 'x', signal: up, p: toProbabilities(up, 0.9), confidence: 0.9 }] } as unknown as Decision;
      a.update({ type: 'decision.made', decision: d });
      a.update({ type: 'decision.made', decision: { ...d, tenantId: 'other' } });
    });
    const s = a.samples();
    expect(s.length).toBeGreaterThan(370);
    expect(s.length).toBeLessThanOrEqual(390);
    // the opinion pointed the way the market went: buy outcomes come with buy-leaning opinions
    const agree = s.filter((x) => x.outcome !== 'hold' && (x.outcome === 'buy') === x.opinions[0].p.buy > x.opinions[0].p.sell).length;
    const directional = s.filter((x) => x.outcome !== 'hold').length;
    expect(agree / directional).toBeGreaterThan(0.95);
    expect(a.due()).toBe(true);
    a.noteRun({ version: 1, promoted: true, reason: 'promoted: …', at: 0 });
    expect(a.due()).toBe(false);
    expect(a.opine({ symbol: 'EURUSD', tf: 'H1' }).rationale).toMatch(/^\d+ training samples .* Last run: promoted/);
  });
});
