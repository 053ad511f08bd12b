/**
 * `consensus`: the agents' consensus as a backtest strategy. Per bar it runs the
 * same pure agent classes the live platform runs (agents/<group>/<id>/<id>.agent.ts,
 * default config) and the same fusion (`fuseAll` from lib/consensus, with the
 * same trust and correlation inputs the consensus service builds), then trades
 * the decision. No broker, no clock, no randomness: the same bars give the same
 * trades.
 *
 * Per bar i (in `next`, after the engine filled pending orders at bar i's open):
 * 1. bar i becomes a closed `Candle` {symbol, tf, t, o, h, l, c, v (0 when
 *    unknown), n}; n (ticks) is the volume rounded (FX bar files carry tick
 *    volume), 1 when there is none; its decision time is asOf = t + TF_MS[tf] (the bar's close).
 * 2. The tenant-scoped agents get a `positions.updated` snapshot of the backtest
 *    "tenant" (`BACKTEST_TENANT`): equity = the engine's equity at bar i's close,
 *    peak equity so far, and the open position as signed notional (size × close).
 * 3. Every selected agent that listens to `candle.closed` is fed the candle; facts
 *    they derive are routed as the runtime would: `regime.changed` to the agents
 *    listening to it, `agents.reliability.updated` into the trust map (the
 *    Beta posteriors consensus uses); others are dropped.
 * 4. Every selected agent opines ({symbol, tf, asOf}, plus tenantId for the
 *    tenant-scoped ones); as under the agent runtime, an exception or an opinion
 *    failing `checkOpinion` is an abstention (counted in `abstentions`); the opinions are fused with `fuseAll` (method
 *    `weighted` or `bayesian`, quorum 1, vetoes force hold), the market-scoped
 *    signals feed the signal correlation as in the service.
 * 5. The decision is fed back as `decision.made` to the agents that learn from
 *    decisions (performance-analysis, knowledge-synthesis, model-improvement,
 *    user-experience, business-intelligence).
 * 6. Orders (backtesting.py semantics; fills at the next bar's open):
 *    buy with confidence ≥ `threshold` when not long → close any short, buy with
 *    all available cash; sell ≥ threshold when not short → close any long, sell;
 *    hold keeps the position, unless `flatOnHold` = 1 and the hold's confidence
 *    ≥ threshold, which closes it. A vetoed decision is a hold.
 *
 * Agents left out or starved: `system-health` measures the live platform
 * (event loop, database, feed lag) which a backtest doesn't have: it is left
 * out. `news-sentiment` and `fundamental-analysis` get no news or calendar (a
 * bar file carries none) and so stay neutral; `execution-timing` gets no ticks
 * (it judges from candles alone); `compliance` and `business-intelligence` get
 * no orders (`order.accepted`/`order.filled`) — compliance judges the book from
 * the snapshots — and `user-experience` no notifications or spans.
 */
import type { Agent, AgentEvent } from '../agents/agent';
import { checkOpinion } from '../agents/opinion';
import type { Bar, Strategy, StrategyContext } from '../backtest/strategy';
import type { BarSeries } from '../backtest/types';
import { fuseAll, marketSignals, SignalCorrelation, trustFor } from '../consensus';
import type { Decision, FusionMethod, FusionResult, Opinion } from '../../types/agents';
import type { RegimeChange } from '../../types/events';
import { Candle, TF_MS, TIMEFRAMES, Timeframe } from '../../types/market';
import { MarketAnalysisAgent } from '../../agents/research/market-analysis/market-analysis.agent';
import { NewsSentimentAgent } from '../../agents/research/news-sentiment/news-sentiment.agent';
import { TechnicalIndicatorAgent } from '../../agents/research/technical-indicator/technical-indicator.agent';
import { FundamentalAnalysisAgent } from '../../agents/research/fundamental-analysis/fundamental-analysis.agent';
import { StrategyFormulationAgent } from '../../agents/decision/strategy-formulation/strategy-formulation.agent';
import { RiskAssessmentAgent } from '../../agents/decision/risk-assessment/risk-assessment.agent';
import { PortfolioOptimizationAgent } from '../../agents/decision/portfolio-optimization/portfolio-optimization.agent';
import { ExecutionTimingAgent } from '../../agents/decision/execution-timing/execution-timing.agent';
import { AdaptationAgent } from '../../agents/learning/adaptation/adaptation.agent';
import { KnowledgeSynthesisAgent } from '../../agents/learning/knowledge-synthesis/knowledge-synthesis.agent';
import { ModelImprovementAgent } from '../../agents/learning/model-improvement/model-improvement.agent';
import { PerformanceAnalysisAgent } from '../../agents/learning/performance-analysis/performance-analysis.agent';
import { BusinessIntelligenceAgent } from '../../agents/monitoring/business-intelligence/business-intelligence.agent';
import { ComplianceAgent } from '../../agents/monitoring/compliance/compliance.agent';
import { UserExperienceAgent } from '../../agents/monitoring/user-experience/user-experience.agent';

/** The tenant id the tenant-scoped agents see in a backtest. */
export const BACKTEST_TENANT = 'backtest';

/** The agents a backtest runs, in a fixed order (the `agents` parameter's bits follow it). */
export const BACKTEST_AGENTS: readonly { id: string; create: () => Agent }[] = [
  { id: 'market-analysis', create: () => new MarketAnalysisAgent() },
  { id: 'technical-indicator', create: () => new TechnicalIndicatorAgent() },
  { id: 'news-sentiment', create: () => new NewsSentimentAgent() },
  { id: 'fundamental-analysis', create: () => new FundamentalAnalysisAgent() },
  { id: 'strategy-formulation', create: () => new StrategyFormulationAgent() },
  { id: 'risk-assessment', create: () => new RiskAssessmentAgent() },
  { id: 'portfolio-optimization', create: () => new PortfolioOptimizationAgent() },
  { id: 'execution-timing', create: () => new ExecutionTimingAgent() },
  { id: 'adaptation', create: () => new AdaptationAgent() },
  { id: 'knowledge-synthesis', create: () => new KnowledgeSynthesisAgent() },
  { id: 'model-improvement', create: () => new ModelImprovementAgent() },
  { id: 'performance-analysis', create: () => new PerformanceAnalysisAgent() },
  { id: 'compliance', create: () => new ComplianceAgent() },
  { id: 'user-experience', create: () => new UserExperienceAgent() },
  { id: 'business-intelligence', create: () => new BusinessIntelligenceAgent() },
];

export const BACKTEST_AGENT_IDS: readonly string[] = BACKTEST_AGENTS.map((a) => a.id);

/**
 * The timeframe of a bar series: the median spacing of consecutive bars mapped
 * to the nearest of M1…D1 on a log scale (bars longer than D1 → D1, shorter
 * than M1 → M1). Fewer than two bars → M1.
 */
export function inferTimeframe(t: ArrayLike<number>): Timeframe {
  const d: number[] = [];
  for (let i = 1; i < t.length; i++) if (t[i] > t[i - 1]) d.push(t[i] - t[i - 1]);
  if (d.length === 0) return 'M1';
  d.sort((a, b) => a - b);
  const m = d.length % 2 ? d[(d.length - 1) / 2] : (d[d.length / 2 - 1] + d[d.length / 2]) / 2;
  let best: Timeframe = 'M1';
  let bestDist = Infinity;
  for (const tf of TIMEFRAMES) {
    const dist = Math.abs(Math.log(m / TF_MS[tf]));
    if (dist < bestDist) {
      bestDist = dist;
      best = tf;
    }
  }
  return m > TF_MS.D1 ? 'D1' : best;
}

export interface ConsensusParams {
  method: Extract<FusionMethod, 'weighted' | 'bayesian'>;
  /** Minimum fused confidence, in [0, 1], for a decision to trade. */
  threshold: number;
  /** Agent ids to run (default: all of BACKTEST_AGENT_IDS). */
  agents?: readonly string[];
  /** Close the position on a hold at or above the threshold. */
  flatOnHold?: boolean;
  /** Symbol the agents are told (default: the series' symbol, else 'SYMBOL'). */
  symbol?: string;
  /** Timeframe (default: inferred from the bar spacing). */
  tf?: Timeframe;
}

/** One decision of a run, for inspection and tests. */
export interface BacktestDecision {
  bar: number;
  asOf: number;
  action: FusionResult['action'];
  confidence: number;
  opinions: number;
  vetoes: number;
}

export class ConsensusStrategy implements Strategy {
  private agents: Agent[] = [];
  private readonly reliabilities = new Map<string, { alpha: number; beta: number }>();
  private readonly correlation = new SignalCorrelation();
  private symbol = 'SYMBOL';
  private tf: Timeframe = 'M1';
  private peakEquity = 0;
  /** Abstentions per agent over the run (exceptions, opinions failing the output check). */
  readonly abstentions = new Map<string, number>();
  /** Every decision made, in bar order. */
  readonly decisions: BacktestDecision[] = [];

  constructor(private readonly p: ConsensusParams) {}

  init(ctx: StrategyContext): void {
    const want = new Set(this.p.agents ?? BACKTEST_AGENT_IDS);
    this.agents = BACKTEST_AGENTS.filter((a) => want.has(a.id)).map((a) => a.create());
    this.symbol = this.p.symbol ?? symbolOf(ctx.data);
    this.tf = this.p.tf ?? inferTimeframe(ctx.data.t);
    this.peakEquity = ctx.equity;
    this.reliabilities.clear();
    this.abstentions.clear();
    this.decisions.length = 0;
  }

  next(bar: Bar, ctx: StrategyContext): void {
    const { symbol, tf } = this;
    const asOf = bar.t + TF_MS[tf];
    const vol = Number.isFinite(bar.v) && bar.v > 0 ? bar.v : 0;
    const candle: Candle = { symbol, tf, t: bar.t, o: bar.o, h: bar.h, l: bar.l, c: bar.c, v: vol, n: vol > 0 ? Math.round(vol) : 1 };
    const equity = ctx.equity;
    if (equity > this.peakEquity) this.peakEquity = equity;
    const size = ctx.position.size;
    this.feed({
      type: 'positions.updated',
      snapshot: { tenantId: BACKTEST_TENANT, equity, peakEquity: this.peakEquity, positions: size !== 0 ? [{ symbol, notional: size * bar.c, volume: size }] : [], time: asOf },
    });
    this.feed({ type: 'candle.closed', candle });

    const opinions: Opinion[] = [];
    const abstained: Decision['abstained'] = [];
    for (const a of this.agents) {
      // As the agent runtime: an exception or an opinion failing the output check is an abstention, never a vote.
      let reason: string;
      try {
        const o = a.opine(a.scope === 'tenant' ? { symbol, tf, asOf, tenantId: BACKTEST_TENANT } : { symbol, tf, asOf });
        const bad = checkOpinion(o);
        if (bad.length === 0) {
          opinions.push({ ...o, latencyMs: 0 });
          continue;
        }
        reason = `AGENT_INVALID_OUTPUT: ${bad.join('; ')}`;
      } catch (e) {
        reason = `AGENT_FAILED: ${(e as Error).message}`;
      }
      abstained.push({ agent: a.id, reason });
      this.abstentions.set(a.id, (this.abstentions.get(a.id) ?? 0) + 1);
    }
    const scopes = new Map(this.agents.map((a) => [a.id, a.scope]));
    const sig = marketSignals(opinions, (id) => scopes.get(id) === 'market');
    if (sig) this.correlation.observe(sig);
    const trust = trustFor(opinions, () => undefined, (id) => this.reliabilities.get(id));
    const { acting, fusions } = fuseAll(opinions, { trust, correlation: (a, b) => this.correlation.correlation(a, b), method: this.p.method, quorum: 1 });
    const vetoes = opinions.filter((o) => o.veto).map((o) => ({ agent: o.agent, reason: o.veto!.reason }));
    this.decisions.push({ bar: bar.i, asOf, action: acting.action, confidence: acting.confidence, opinions: opinions.length, vetoes: vetoes.length });

    const decision: Decision = {
      id: `${BACKTEST_TENANT}-${bar.i}`,
      tenantId: BACKTEST_TENANT,
      symbol,
      tf,
      asOf,
      action: acting.action,
      p: acting.p,
      confidence: acting.confidence,
      method: acting.method,
      fusions,
      opinions,
      abstained,
      vetoes,
      latencyMs: 0,
      traceId: null,
      madeAt: asOf,
    };
    this.feed({ type: 'decision.made', decision });

    if (acting.confidence < this.p.threshold) return;
    if (acting.action === 'buy' && !ctx.position.isLong) {
      ctx.close();
      ctx.buy();
    } else if (acting.action === 'sell' && !ctx.position.isShort) {
      ctx.close();
      ctx.sell();
    } else if (acting.action === 'hold' && this.p.flatOnHold && size !== 0) {
      ctx.close();
    }
  }

  /** Fold an event into every agent listening to it, then route the facts they derived. */
  private feed(ev: AgentEvent): void {
    for (const a of this.agents) {
      if (!(a.events as readonly string[]).includes(ev.type)) continue;
      a.update(ev);
      const facts = a.drainFacts?.();
      if (!facts) continue;
      for (const f of facts) {
        if (f.event === 'regime.changed') this.feed({ type: 'regime.changed', change: f.payload as RegimeChange });
        else if (f.event === 'agents.reliability.updated') {
          const r = (f.payload as { reliabilities?: Record<string, { alpha: number; beta: number }> }).reliabilities ?? {};
          for (const [id, v] of Object.entries(r)) if (v.alpha > 0 && v.beta > 0) this.reliabilities.set(id, { alpha: v.alpha, beta: v.beta });
        }
      }
    }
  }
}

function symbolOf(d: BarSeries): string {
  return d.symbol && /^[A-Za-z0-9][A-Za-z0-9._#-]{0,31}$/.test(d.symbol) ? d.symbol : 'SYMBOL';
}
