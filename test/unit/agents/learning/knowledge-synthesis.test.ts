import { KnowledgeSynthesisAgent } from '../../../../agents/learning/knowledge-synthesis/knowledge-synthesis.agent';
import { toProbabilities } from '../../../../lib/agents/opinion';
import type { Decision, Opinion } from '../../../../types/agents';
import { eurusdH1 } from '../../../helpers/bars';
import { seeded } from '../../../helpers/rng';

const bars = eurusdH1().slice(0, 2000);
const H = 10;

const op = (agent: string, signal: number, asOf: number): Opinion => ({ agent, group: 'research', symbol: 'EURUSD', tf: 'H1', signal, p: toProbabilities(signal, 1), confidence: 1, rationale: '-', asOf, latencyMs: 0 });

describe('knowledge-synthesis agent on EURUSD H1', () => {
  // 'insider' leans the way the next 10 bars go 80% of the time; 'noise' is noise; 'echo' copies insider.
  const rnd = seeded(11);
  const a = new KnowledgeSynthesisAgent({ agents: ['insider', 'noise', 'echo'], horizonBars: H, k: 30 });
  const last: { i: number; insider: number }[] = [];
  bars.forEach((c, i) => {
    a.update({ type: 'candle.closed', candle: c });
    if (i + H >= bars.length) return;
    const up = bars[i + H].c > c.c ? 1 : -1;
    const insider = (rnd() < 0.8 ? up : -up) * (0.4 + 0.6 * rnd());
    const asOf = c.t + 3_600_000;
    a.update({ type: 'decision.made', decision: { symbol: 'EURUSD', tf: 'H1', asOf, opinions: [op('insider', insider, asOf), op('noise', rnd() * 2 - 1, asOf), op('echo', insider, asOf)] } as unknown as Decision });
    last.push({ i, insider });
  });

  it('says what followed the most similar past situations', () => {
    let right = 0;
    let n = 0;
    // replay the last 200 decisions' situations and ask after each
    const b = new KnowledgeSynthesisAgent({ agents: ['insider', 'noise', 'echo'], horizonBars: H, k: 30 });
    const rnd2 = seeded(11);
    bars.forEach((c, i) => {
      b.update({ type: 'candle.closed', candle: c });
      if (i + H >= bars.length) return;
      const up = bars[i + H].c > c.c ? 1 : -1;
      const insider = (rnd2() < 0.8 ? up : -up) * (0.4 + 0.6 * rnd2());
      const asOf = c.t + 3_600_000;
      b.update({ type: 'decision.made', decision: { symbol: 'EURUSD', tf: 'H1', asOf, opinions: [op('insider', insider, asOf), op('noise', rnd2() * 2 - 1, asOf), op('echo', insider, asOf)] } as unknown as Decision });
      if (i > 1500 && Math.abs(insider) > 0.6) {
        const o = b.opine({ symbol: 'EURUSD', tf: 'H1', asOf });
        if (o.signal === 0) return;
        n++;
        if (Math.sign(o.signal) === Math.sign(insider)) right++;
      }
    });
    expect(n).toBeGreaterThan(100);
    expect(right / n).toBeGreaterThan(0.8);
  });

  it('reports agents that agree systematically', () => {
    const pairs = (a.snapshot().agreements as { a: string; b: string; rho: number }[]).map((p) => `${p.a}/${p.b}`);
    expect(pairs).toContain('insider/echo');
    expect(pairs.join()).not.toMatch(/noise/);
    const o = a.opine({ symbol: 'EURUSD', tf: 'H1' });
    expect(o.rationale).toMatch(/The \d+ past situations most like the last decision on EURUSD H1 .* were followed by \d+ rises and \d+ falls over 10 bars/);
    expect(o.rationale).toMatch(/insider\/echo ρ 1/);
  });
});
