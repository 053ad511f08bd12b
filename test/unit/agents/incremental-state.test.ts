/**
 * The agents that keep incremental state per series (fed the bars they have
 * not seen when they opine) against the same agent built from scratch: a
 * fresh instance fed the same bars and asked once. Each runs on fewer bars
 * than its store keeps, so both start from the first bar and must agree
 * exactly, whatever the order the bars came in, and for queries into the past.
 */
import type { Agent } from '../../../lib/agents/agent';
import { MarketAnalysisAgent } from '../../../agents/research/market-analysis/market-analysis.agent';
import { TechnicalIndicatorAgent } from '../../../agents/research/technical-indicator/technical-indicator.agent';
import { ExecutionTimingAgent } from '../../../agents/decision/execution-timing/execution-timing.agent';
import { PortfolioOptimizationAgent } from '../../../agents/decision/portfolio-optimization/portfolio-optimization.agent';
import { RiskAssessmentAgent } from '../../../agents/decision/risk-assessment/risk-assessment.agent';
import { StrategyFormulationAgent } from '../../../agents/decision/strategy-formulation/strategy-formulation.agent';
import type { OpinionDraft } from '../../../lib/agents/agent';
import { Candle, TF_MS } from '../../../types/market';
import { eurusdH1 } from '../../helpers/bars';

interface Case {
  make: () => Agent;
  /** Bars fed: below the agent's store trimming (1.5 × its capacity). */
  bars: number;
  /**
   * What a query into the past is compared on, within 1e-9 (execution-timing's
   * hour profile is not a series state, and its past burst is summed in two
   * passes rather than by running sums).
   */
  past?: (o: OpinionDraft) => number[];
}

const CASES: Record<string, Case> = {
  'technical-indicator': { make: () => new TechnicalIndicatorAgent(), bars: 3200 },
  'market-analysis': { make: () => new MarketAnalysisAgent(), bars: 1150 },
  'strategy-formulation': { make: () => new StrategyFormulationAgent(), bars: 2000 },
  'risk-assessment': { make: () => new RiskAssessmentAgent({ window: 300 }), bars: 2500 },
  'portfolio-optimization': { make: () => new PortfolioOptimizationAgent(), bars: 2500 },
  'execution-timing': { make: () => new ExecutionTimingAgent(), bars: 700, past: (o) => [o.features!.volatilityZ, o.features!.volatilityBurst] },
};

const all = eurusdH1();
const asOfBar = (c: Candle) => c.t + TF_MS[c.tf];

function opine(a: Agent, c: Candle): OpinionDraft {
  return a.opine({ symbol: c.symbol, tf: c.tf, asOf: asOfBar(c), ...(a.scope === 'tenant' ? { tenantId: 't' } : {}) });
}

/** A fresh agent fed `bars` in order and asked once, at the last of them. */
function fromScratch(make: () => Agent, bars: readonly Candle[]): OpinionDraft {
  const a = make();
  for (const c of bars) a.update({ type: 'candle.closed', candle: c });
  return opine(a, bars[bars.length - 1]);
}

describe.each(Object.entries(CASES))('%s incremental state', (_id, { make, bars: n, past }) => {
  const bars = all.slice(0, n);

  it('opines at every bar exactly as a fresh instance fed the same bars', () => {
    const a = make();
    bars.forEach((c, i) => {
      a.update({ type: 'candle.closed', candle: c });
      const o = opine(a, c);
      if (i === 200 || i === n - 1 || i % 397 === 0) expect(o).toEqual(fromScratch(make, bars.slice(0, i + 1)));
    });
  });

  it('starts over when a bar arrives out of order or is revised', () => {
    const a = make();
    const held = n - 120;
    bars.forEach((c, i) => {
      if (i === held) return;
      a.update({ type: 'candle.closed', candle: c });
      if (i % 50 === 0) opine(a, c);
    });
    opine(a, bars[n - 1]);
    a.update({ type: 'candle.closed', candle: bars[held] });
    expect(opine(a, bars[n - 1])).toEqual(fromScratch(make, bars));
    const revised = bars.map((c, i) => (i === n - 60 || i === n - 1 ? { ...c, c: c.c + 0.003, h: Math.max(c.h, c.c + 0.003) } : c));
    a.update({ type: 'candle.closed', candle: revised[n - 60] });
    a.update({ type: 'candle.closed', candle: revised[n - 1] });
    const o = opine(a, revised[n - 1]);
    expect(o).toEqual(fromScratch(make, revised));
    a.update({ type: 'candle.closed', candle: { ...revised[n - 1] } }); // the same candle again changes nothing
    expect(opine(a, revised[n - 1])).toEqual(o);
  });

  it('answers a query into the past from the bars up to then, and carries on unchanged', () => {
    const a = make();
    let now: OpinionDraft | null = null;
    bars.forEach((c, i) => {
      a.update({ type: 'candle.closed', candle: c });
      if (i % 25 === 0 || i === n - 1) now = opine(a, c);
    });
    const j = n - 150;
    const then = opine(a, bars[j]);
    const want = fromScratch(make, bars.slice(0, j + 1));
    if (past) past(then).forEach((x, k) => expect(Math.abs(x - past(want)[k])).toBeLessThan(1e-9 * Math.max(1, Math.abs(x))));
    else expect(then).toEqual(want);
    expect(opine(a, bars[n - 1])).toEqual(now);
  });
});

describe('bounded state', () => {
  it.each(['technical-indicator', 'strategy-formulation', 'risk-assessment', 'execution-timing'])('%s keeps at most 256 series tracks', (id) => {
    const a = CASES[id].make();
    const base = all.slice(0, 170);
    for (let s = 0; s < 300; s++) {
      const symbol = `S${s}`;
      for (const c of base) a.update({ type: 'candle.closed', candle: { ...c, symbol } });
      opine(a, { ...base[base.length - 1], symbol });
    }
    expect(a.snapshot!().tracks).toBeLessThanOrEqual(256);
    expect(a.snapshot!().tracks).toBeGreaterThan(100);
  });
});
