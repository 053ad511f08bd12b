/**
 * performance-analysis (learning, market-scoped, advisory): scores every
 * opinion of every decision against what the market did over the next
 * `horizonBars` bars (lib/learning/outcomes.ts, lib/learning/scoring.ts):
 * hit rate, Brier score, log loss and P&L attribution per agent, per symbol and
 * per regime (the regime the `adaptation` agent reported in the same decision).
 *
 * It learns whom to trust: each agent's directional record is a Beta(α, β)
 * posterior with exponential forgetting (`halfLife` calls). After each bar that
 * scored directional calls it publishes the changed posteriors as
 * `agents.reliability.updated` (broadcast), which consensus uses for the
 * weighted vote (× 2·E[hit rate]) and the Bayesian tempering (P(hit rate > ½)).
 *
 * Its opinion has no market view (an advisory): which agents have been right
 * and wrong lately on the symbol, and a flag for agents proven worse than chance.
 *
 * One opinion is scored once, however many tenants' decisions carried it
 * (market-scoped opinions are shared): opinions of one agent on one bar that
 * say exactly the same thing count once.
 */
import type { Agent, AgentEvent, AgentFact, OpinionDraft } from '../../../lib/agents/agent';
import { advisoryDraft, fmt } from '../../../lib/agents/opinion';
import { applyParams, ParamSchema } from '../../../lib/agents/params';
import { probBetterThan } from '../../../lib/consensus/beta';
import { reliability } from '../../../lib/consensus/weighted';
import { OutcomeTracker, Resolved } from '../../../lib/learning/outcomes';
import { DecayingBeta, ScoreStats, ScoreView, scoreOpinion } from '../../../lib/learning/scoring';
import type { AdvisoryNote, Decision, Opinion, OpinionQuery } from '../../../types/agents';
import { REGIME_LABELS } from '../../../types/events';
import type { Timeframe } from '../../../types/market';

export interface PerformanceParams {
  horizonBars: number;
  band: number;
  minConviction: number;
  halfLife: number;
  minScoresToFlag: number;
}

export const PERFORMANCE_PARAMS: ParamSchema<PerformanceParams> = {
  horizonBars: { type: 'number', min: 1, max: 500, integer: true, doc: 'bars after the decision its opinions are judged on' },
  band: { type: 'number', min: 0, max: 5, doc: 'half-width of the "hold was right" band, in σ of the horizon return' },
  minConviction: { type: 'number', min: 0, max: 1, doc: '|signal|·confidence from which an opinion counts as a directional call' },
  halfLife: { type: 'number', min: 5, max: 100_000, doc: 'directional calls after which old evidence weighs half' },
  minScoresToFlag: { type: 'number', min: 5, max: 100_000, integer: true, doc: 'directional calls before an agent can be flagged unreliable' },
};

/** Bar times per agent and series whose opinions are remembered as scored (a decision arriving later than that about an older bar is scored again). */
const SEEN_BARS = 512;

const DEFAULTS: PerformanceParams = { horizonBars: 5, band: 0.25, minConviction: 0.05, halfLife: 500, minScoresToFlag: 50 };

interface Tracked {
  agent: string;
  symbol: string;
  regime: string;
  p: Opinion['p'];
  signal: number;
  confidence: number;
}

export interface AgentReliability {
  alpha: number;
  beta: number;
  /** Weighted-vote multiplier 2·E[hit rate]. */
  multiplier: number;
  /** P(hit rate > ½) under the posterior (the Bayesian tempering). */
  pBetterThanChance: number;
}

export interface AgentPerformance extends ScoreView {
  agent: string;
  reliability: AgentReliability;
  bySymbol: Record<string, ScoreView>;
  byRegime: Record<string, ScoreView>;
}

export interface PerformanceReport {
  horizonBars: number;
  /** Data time of the newest scored outcome (ms), null before any. */
  asOf: number | null;
  pending: number;
  agents: AgentPerformance[];
}

/** Payload of `agents.reliability.updated`. */
export interface ReliabilityUpdate {
  asOf: number;
  reliabilities: Record<string, { alpha: number; beta: number; n: number }>;
}

interface AgentStats {
  all: ScoreStats;
  bySymbol: Map<string, ScoreStats>;
  byRegime: Map<string, ScoreStats>;
  beta: DecayingBeta;
}

function regimeOf(d: Decision): string {
  const a = d.opinions.find((o) => o.agent === 'adaptation' && o.features && o.features.regime !== undefined);
  return a ? (REGIME_LABELS[a.features!.regime] ?? 'unknown') : 'unknown';
}

export class PerformanceAnalysisAgent implements Agent {
  readonly id = 'performance-analysis';
  readonly group = 'learning' as const;
  readonly scope = 'market' as const;
  readonly events = ['candle.closed', 'decision.made'] as const;
  private params: PerformanceParams;
  private tracker: OutcomeTracker<Tracked>;
  /** Opinions scored, per agent and series: for each of the newest `SEEN_BARS` bar times, what was said (signal, confidence, p.buy, p.sell). */
  private readonly seen = new Map<string, Map<number, number[][]>>();
  private readonly stats = new Map<string, AgentStats>();
  private readonly changed = new Set<string>();
  private facts: AgentFact[] = [];
  private lastOutcome: number | null = null;

  constructor(params: Partial<PerformanceParams> = {}) {
    this.params = applyParams(PERFORMANCE_PARAMS, DEFAULTS, params);
    this.tracker = new OutcomeTracker<Tracked>({ horizonBars: this.params.horizonBars, band: this.params.band, volBars: 100 });
  }

  private statsOf(agent: string): AgentStats {
    let s = this.stats.get(agent);
    if (!s) this.stats.set(agent, (s = { all: new ScoreStats(), bySymbol: new Map(), byRegime: new Map(), beta: new DecayingBeta(this.params.halfLife) }));
    return s;
  }

  /** True the first time this exact opinion (agent, series, bar, what it said) is seen. */
  private remember(o: Opinion): boolean {
    const k = o.agent + '|' + o.symbol + '|' + o.tf;
    let bars = this.seen.get(k);
    if (!bars) this.seen.set(k, (bars = new Map()));
    let said = bars.get(o.asOf);
    if (!said) {
      bars.set(o.asOf, (said = []));
      if (bars.size > SEEN_BARS) bars.delete(bars.keys().next().value as number);
    }
    for (const x of said) if (x[0] === o.signal && x[1] === o.confidence && x[2] === o.p.buy && x[3] === o.p.sell) return false;
    said.push([o.signal, o.confidence, o.p.buy, o.p.sell]);
    return true;
  }

  update(e: AgentEvent): void {
    if (e.type === 'decision.made') this.takeDecision(e.decision);
    else if (e.type === 'candle.closed') this.score(this.tracker.addBar(e.candle));
  }

  private takeDecision(d: Decision): void {
    const regime = regimeOf(d);
    const resolved: Resolved<Tracked>[] = [];
    for (const o of d.opinions) {
      if (o.advisory) continue;
      // shared (market-scoped) opinions are identical across tenants' decisions: count them once
      if (!this.remember(o)) continue;
      const r = this.tracker.track(o.symbol, o.tf, o.asOf, { agent: o.agent, symbol: o.symbol, regime, p: o.p, signal: o.signal, confidence: o.confidence });
      if (r) resolved.push(r);
    }
    this.score(resolved);
  }

  private score(resolved: Resolved<Tracked>[]): void {
    if (resolved.length === 0) return;
    const p = this.params;
    for (const { item, outcome } of resolved) {
      const sc = scoreOpinion(item, outcome.label, outcome.ret, p.minConviction);
      const st = this.statsOf(item.agent);
      st.all.add(sc);
      let bs = st.bySymbol.get(item.symbol);
      if (!bs) st.bySymbol.set(item.symbol, (bs = new ScoreStats()));
      bs.add(sc);
      let br = st.byRegime.get(item.regime);
      if (!br) st.byRegime.set(item.regime, (br = new ScoreStats()));
      br.add(sc);
      if (sc.hit !== null) {
        st.beta.add(sc.hit);
        this.changed.add(item.agent);
      }
      if (this.lastOutcome === null || outcome.exitTime > this.lastOutcome) this.lastOutcome = outcome.exitTime;
    }
    if (this.changed.size > 0) {
      const reliabilities: ReliabilityUpdate['reliabilities'] = {};
      for (const a of [...this.changed].sort()) {
        const st = this.statsOf(a);
        reliabilities[a] = { alpha: st.beta.alpha, beta: st.beta.beta, n: st.all.directional };
      }
      this.changed.clear();
      const payload: ReliabilityUpdate = { asOf: this.lastOutcome ?? 0, reliabilities };
      this.facts.push({ event: 'agents.reliability.updated', payload, broadcast: true });
    }
  }

  /** Reliability of every scored agent. */
  reliabilities(): Record<string, AgentReliability> {
    const out: Record<string, AgentReliability> = {};
    for (const [a, st] of this.stats) out[a] = { alpha: st.beta.alpha, beta: st.beta.beta, multiplier: reliability(st.beta.alpha, st.beta.beta), pBetterThanChance: probBetterThan(st.beta.alpha, st.beta.beta) };
    return out;
  }

  /** The full report (optionally one agent, one symbol). */
  report(filter: { agent?: string; symbol?: string } = {}): PerformanceReport {
    const rel = this.reliabilities();
    const agents: AgentPerformance[] = [];
    for (const [a, st] of [...this.stats].sort((x, y) => x[0].localeCompare(y[0]))) {
      if (filter.agent && filter.agent !== a) continue;
      const base = filter.symbol ? (st.bySymbol.get(filter.symbol)?.view() ?? new ScoreStats().view()) : st.all.view();
      const bySymbol: Record<string, ScoreView> = {};
      for (const [s, v] of st.bySymbol) if (!filter.symbol || filter.symbol === s) bySymbol[s] = v.view();
      const byRegime: Record<string, ScoreView> = {};
      for (const [r, v] of st.byRegime) byRegime[r] = v.view();
      agents.push({ agent: a, ...base, reliability: rel[a], bySymbol, byRegime });
    }
    return { horizonBars: this.params.horizonBars, asOf: this.lastOutcome, pending: this.tracker.pendingCount(), agents };
  }

  opine(q: OpinionQuery): OpinionDraft {
    const p = this.params;
    const head = { agent: this.id, group: this.group, symbol: q.symbol, tf: q.tf, asOf: q.asOf ?? this.lastOutcome ?? 0 };
    const rows = [...this.stats]
      .map(([agent, st]) => ({ agent, v: st.bySymbol.get(q.symbol)?.view(), beta: st.beta }))
      .filter((r): r is { agent: string; v: ScoreView; beta: DecayingBeta } => r.v !== undefined && r.v.directional > 0);
    if (rows.length === 0)
      return advisoryDraft(head, [], `${q.symbol}: no scored calls yet (opinions are judged ${p.horizonBars} bars after their decision; ${this.tracker.pendingCount()} waiting).`, { features: { pending: this.tracker.pendingCount() } });
    rows.sort((a, b) => (b.v.hitRate ?? 0) - (a.v.hitRate ?? 0) || a.agent.localeCompare(b.agent));
    const line = (r: (typeof rows)[number]) => `${r.agent} ${fmt((r.v.hitRate ?? 0) * 100, 3)}% of ${r.v.directional}`;
    const best = rows.slice(0, 3).map(line).join(', ');
    const worst = rows.length > 3 ? rows.slice(-Math.min(3, rows.length - 3)).map(line).join(', ') : '';
    const notes: AdvisoryNote[] = [];
    for (const r of rows) {
      const pb = probBetterThan(r.beta.alpha, r.beta.beta);
      if (r.v.directional >= p.minScoresToFlag && pb < 0.05)
        notes.push({ code: 'unreliable_agent', level: 'warn', message: `${r.agent} calls ${q.symbol} worse than chance: ${fmt((r.v.hitRate ?? 0) * 100, 3)}% right over ${r.v.directional} calls (P(better than chance) ${fmt(pb, 2)})` });
    }
    const features: Record<string, number> = { agentsScored: rows.length, pending: this.tracker.pendingCount() };
    features.bestHitRate = rows[0].v.hitRate ?? 0;
    return advisoryDraft(
      head,
      notes,
      `${q.symbol}, directional calls judged ${p.horizonBars} bars on: most often right ${best}${worst ? `; least ${worst}` : ''}.` + (notes.length > 0 ? ` ${notes.length} agent(s) below chance.` : ''),
      { features },
    );
  }

  drainFacts(): AgentFact[] {
    const f = this.facts;
    this.facts = [];
    return f;
  }

  configure(patch: Record<string, unknown>): Record<string, unknown> {
    const next = applyParams(PERFORMANCE_PARAMS, this.params, patch);
    if (next.horizonBars !== this.params.horizonBars || next.band !== this.params.band) this.tracker = new OutcomeTracker<Tracked>({ horizonBars: next.horizonBars, band: next.band, volBars: 100 });
    this.params = next;
    return { ...this.params };
  }

  config(): Record<string, unknown> {
    return { ...this.params };
  }

  snapshot(): Record<string, unknown> {
    return { agents: this.stats.size, pending: this.tracker.pendingCount(), lastOutcome: this.lastOutcome };
  }

  /** Series the agent has decisions for (the service fetches their history of bars). */
  seriesOf(decisions: readonly Decision[]): { symbol: string; tf: Timeframe; from: number }[] {
    const m = new Map<string, { symbol: string; tf: Timeframe; from: number }>();
    for (const d of decisions) {
      const k = d.symbol + '|' + d.tf;
      const cur = m.get(k);
      if (!cur || d.asOf < cur.from) m.set(k, { symbol: d.symbol, tf: d.tf, from: d.asOf });
    }
    return [...m.values()];
  }
}
