/**
 * knowledge-synthesis (learning, market-scoped): cross-agent memory.
 *
 * Every decision is a *situation*: the market-scoped agents' views (for each
 * agent in `agents`: signal × confidence and confidence) plus the regime
 * probabilities the adaptation agent reported. When the situation's outcome is
 * known (`horizonBars` later, lib/learning/outcomes.ts) it is stored in a
 * `VectorStore` (embedded exact k-NN; the service mirrors it to Weaviate when
 * configured) with what happened: the return, the return in σ, the label.
 *
 * Opinion: the situation of the latest decision strictly before the query is
 * looked up among earlier situations of the same symbol and timeframe whose
 * outcome was known at that time (searched when its decision arrived, so the
 * decision path only reads the answer); the `k` nearest vote by inverse
 * distance (one pseudo-count per outcome). p = that distribution, signal =
 * p(buy) − p(sell), confidence = min(1, n/k) × (1 − entropy(p)/ln 3).
 *
 * It also reports which agents agree or disagree systematically: over the
 * situations seen, for each pair of agents that both took a side, how often
 * they took the same one (kept as `agreement` edges in a GraphStore).
 */
import type { Agent, AgentEvent, AgentFact, OpinionDraft } from '../../../lib/agents/agent';
import { clamp, fmt, neutralDraft } from '../../../lib/agents/opinion';
import { applyParams, ParamSchema } from '../../../lib/agents/params';
import { DomainError } from '../../../lib/errors';
import { OutcomeTracker, Resolved } from '../../../lib/learning/outcomes';
import { MemoryGraphStore } from '../../../lib/storage/adapters/memory-graph';
import { MemoryVectorStore } from '../../../lib/storage/adapters/memory-vector';
import type { VectorMatch, VectorRecord, VectorSchema } from '../../../lib/storage/vector';
import type { Decision, OpinionQuery, Probabilities } from '../../../types/agents';
import type { Timeframe } from '../../../types/market';

export interface KnowledgeParams {
  agents: string[];
  horizonBars: number;
  band: number;
  k: number;
  minNeighbours: number;
  minConviction: number;
}

export const KNOWLEDGE_PARAMS: ParamSchema<KnowledgeParams> = {
  agents: { type: 'strings', doc: 'market-scoped agents whose views make up a situation (changing them starts a new memory)' },
  horizonBars: { type: 'number', min: 1, max: 500, integer: true, doc: 'bars after a situation its outcome is read' },
  band: { type: 'number', min: 0, max: 5, doc: 'half-width of the "flat" outcome band, in σ of the horizon return' },
  k: { type: 'number', min: 1, max: 500, integer: true, doc: 'nearest past situations consulted' },
  minNeighbours: { type: 'number', min: 1, max: 500, integer: true, doc: 'past situations needed before it has a view' },
  minConviction: { type: 'number', min: 0, max: 1, doc: '|signal|·confidence from which an agent took a side (agreement)' },
};

export const SITUATION_AGENTS = ['adaptation', 'execution-timing', 'fundamental-analysis', 'market-analysis', 'news-sentiment', 'strategy-formulation', 'technical-indicator'];

const DEFAULTS: KnowledgeParams = { agents: SITUATION_AGENTS, horizonBars: 5, band: 0.25, k: 20, minNeighbours: 5, minConviction: 0.05 };

/** Properties of a stored situation. */
export const SITUATION_SCHEMA: VectorSchema = { symbol: 'text', tf: 'text', asOf: 'number', exitTime: 'number', ret: 'number', z: 'number', label: 'text' };

interface Situation {
  symbol: string;
  tf: Timeframe;
  asOf: number;
  vector: number[];
}

export interface AgreementPair {
  a: string;
  b: string;
  /** Situations in which both took a side. */
  n: number;
  /** Share of those in which they took the same side. */
  agreement: number;
}

/** Payload of the `knowledge.situation.stored` fact (for a mirror store). */
export type StoredSituation = VectorRecord;

export class KnowledgeSynthesisAgent implements Agent {
  readonly id = 'knowledge-synthesis';
  readonly group = 'learning' as const;
  readonly scope = 'market' as const;
  readonly events = ['candle.closed', 'decision.made'] as const;
  private params: KnowledgeParams;
  /** One exact k-NN memory per (symbol, tf), so a search scans only its own series. */
  private memory = new Map<string, MemoryVectorStore>();
  /** Neighbours of each series' newest situation, found when its decision arrived (off the decision path). */
  private readonly ready = new Map<string, { asOf: number; matches: VectorMatch[] }>();
  readonly graph = new MemoryGraphStore();
  private tracker: OutcomeTracker<Situation>;
  private readonly seen = new Set<string>();
  private readonly seenOrder: string[] = [];
  /** The newest situations per series (asOf ascending, the last 2048), for queries. */
  private readonly recent = new Map<string, Situation[]>();
  private readonly pairs = new Map<string, { n: number; agree: number }>();
  private facts: AgentFact[] = [];

  constructor(params: Partial<KnowledgeParams> = {}) {
    this.params = applyParams(KNOWLEDGE_PARAMS, DEFAULTS, params);
    this.tracker = new OutcomeTracker<Situation>({ horizonBars: this.params.horizonBars, band: this.params.band, volBars: 100 });
  }

  private memoryOf(symbol: string, tf: Timeframe): MemoryVectorStore {
    const k = symbol + '|' + tf;
    let m = this.memory.get(k);
    if (!m) this.memory.set(k, (m = new MemoryVectorStore(SITUATION_SCHEMA, 10_000)));
    return m;
  }

  /** Situations stored, all series. */
  situations(): number {
    let n = 0;
    for (const m of this.memory.values()) n += m.size;
    return n;
  }

  /** The vector of a decision's situation (see the file comment). */
  encode(d: Pick<Decision, 'opinions'>): number[] {
    const v: number[] = [];
    for (const a of this.params.agents) {
      const o = d.opinions.find((x) => x.agent === a && !x.advisory);
      v.push(o ? o.signal * o.confidence : 0, o ? o.confidence : 0);
    }
    const ad = d.opinions.find((x) => x.agent === 'adaptation')?.features;
    v.push(ad?.pTrending ?? 1 / 3, ad?.pRanging ?? 1 / 3, ad?.pVolatile ?? 1 / 3);
    return v;
  }

  update(e: AgentEvent): void {
    if (e.type === 'candle.closed') this.store(this.tracker.addBar(e.candle));
    else if (e.type === 'decision.made') this.takeDecision(e.decision);
  }

  private takeDecision(d: Decision): void {
    const key = `${d.symbol}|${d.tf}|${d.asOf}`;
    if (this.seen.has(key)) return; // one situation per bar, whichever tenant's decision brought it
    this.seen.add(key);
    this.seenOrder.push(key);
    if (this.seenOrder.length > 200_000) this.seen.delete(this.seenOrder.shift()!);
    const s: Situation = { symbol: d.symbol, tf: d.tf, asOf: d.asOf, vector: this.encode(d) };
    const sk = d.symbol + '|' + d.tf;
    const list = this.recent.get(sk) ?? [];
    let i = list.length;
    while (i > 0 && list[i - 1].asOf > s.asOf) i--;
    list.splice(i, 0, s);
    if (list.length > 2048) list.shift();
    this.recent.set(sk, list);
    this.observeAgreement(d);
    const r = this.tracker.track(d.symbol, d.tf, d.asOf, s);
    if (r) this.store([r]);
    if (list[list.length - 1] === s) this.ready.set(sk, { asOf: s.asOf, matches: this.search(s, this.params.k) });
  }

  /** Nearest stored situations of the same series that lie before `s` and whose outcome was known at `s`. */
  private search(s: Situation, k: number): VectorMatch[] {
    return this.memoryOf(s.symbol, s.tf).querySync({ vector: s.vector, k }, (p) => (p.exitTime as number) <= s.asOf && (p.asOf as number) < s.asOf);
  }

  private observeAgreement(d: Decision): void {
    const sides: [string, number][] = [];
    for (const a of this.params.agents) {
      const o = d.opinions.find((x) => x.agent === a && !x.advisory);
      if (o && Math.abs(o.signal) * o.confidence >= this.params.minConviction && o.signal !== 0) sides.push([a, Math.sign(o.signal)]);
    }
    for (let i = 0; i < sides.length; i++)
      for (let j = i + 1; j < sides.length; j++) {
        const [a, b] = sides[i][0] < sides[j][0] ? [sides[i][0], sides[j][0]] : [sides[j][0], sides[i][0]];
        const k = a + '|' + b;
        const c = this.pairs.get(k) ?? { n: 0, agree: 0 };
        c.n++;
        if (sides[i][1] === sides[j][1]) c.agree++;
        this.pairs.set(k, c);
        this.graph.upsertEdgeSync({ a, b, kind: 'agreement', weight: c.agree / c.n, n: c.n, asOf: d.asOf });
      }
  }

  private store(resolved: Resolved<Situation>[]): void {
    for (const { item, outcome } of resolved) {
      const rec: VectorRecord = {
        id: `${item.symbol}|${item.tf}|${item.asOf}`,
        vector: item.vector,
        properties: { symbol: item.symbol, tf: item.tf, asOf: item.asOf, exitTime: outcome.exitTime, ret: outcome.ret, z: outcome.sigma > 0 ? outcome.ret / outcome.sigma : 0, label: outcome.label },
      };
      this.memoryOf(item.symbol, item.tf).upsertSync([rec]);
      this.facts.push({ event: 'knowledge.situation.stored', payload: rec });
    }
  }

  /** Pairs of agents by how often they take the same side: most agreeing first. */
  agreement(minN = 20): AgreementPair[] {
    return [...this.pairs]
      .filter(([, c]) => c.n >= minN)
      .map(([k, c]) => {
        const [a, b] = k.split('|');
        return { a, b, n: c.n, agreement: c.agree / c.n };
      })
      .sort((x, y) => y.agreement - x.agreement || x.a.localeCompare(y.a) || x.b.localeCompare(y.b));
  }

  /** The latest situation of a series strictly before `asOf` (all when undefined). */
  situationBefore(symbol: string, tf: Timeframe, asOf?: number): Situation | null {
    const list = this.recent.get(symbol + '|' + tf) ?? [];
    for (let i = list.length - 1; i >= 0; i--) if (asOf === undefined || list[i].asOf < asOf) return list[i];
    return null;
  }

  /** Nearest past situations (outcome known at the time) to the situation before `asOf`. */
  neighbours(symbol: string, tf: Timeframe, asOf?: number, k = this.params.k): { situation: Situation | null; matches: VectorMatch[] } {
    const cur = this.situationBefore(symbol, tf, asOf);
    if (!cur) return { situation: null, matches: [] };
    const pre = this.ready.get(symbol + '|' + tf);
    if (pre && pre.asOf === cur.asOf && k === this.params.k) return { situation: cur, matches: pre.matches };
    return { situation: cur, matches: this.search(cur, k) };
  }

  opine(q: OpinionQuery): OpinionDraft {
    const p = this.params;
    const { situation, matches } = this.neighbours(q.symbol, q.tf, q.asOf);
    const head = { agent: this.id, group: this.group, symbol: q.symbol, tf: q.tf, asOf: q.asOf ?? situation?.asOf ?? 0 };
    const agreeText = this.agreementText();
    if (!situation) return neutralDraft(head, `${q.symbol} ${q.tf}: no decision seen yet to compare with the past.${agreeText}`);
    if (matches.length < p.minNeighbours)
      return { ...neutralDraft(head, `${q.symbol} ${q.tf}: ${matches.length} past situation(s) with a known outcome, ${p.minNeighbours} needed for a view.${agreeText}`), features: { neighbours: matches.length } };
    const mean = matches.reduce((a, m) => a + m.distance, 0) / matches.length;
    const eps = 0.05 * mean + 1e-12;
    const w = matches.map((m) => 1 / (m.distance + eps));
    const sw = w.reduce((a, b) => a + b, 0);
    const wbar = sw / w.length;
    const acc = { buy: wbar, hold: wbar, sell: wbar };
    let ez = 0;
    const counts = { buy: 0, hold: 0, sell: 0 };
    matches.forEach((m, i) => {
      const l = m.properties.label as keyof Probabilities;
      acc[l] += w[i];
      counts[l]++;
      ez += (w[i] * (m.properties.z as number)) / sw;
    });
    const tot = acc.buy + acc.hold + acc.sell;
    const buy = acc.buy / tot;
    const sell = acc.sell / tot;
    const probs: Probabilities = { buy, hold: 1 - buy - sell, sell };
    const entropy = -[probs.buy, probs.hold, probs.sell].reduce((a, x) => a + (x > 0 ? x * Math.log(x) : 0), 0);
    const confidence = clamp(Math.min(1, matches.length / p.k) * (1 - entropy / Math.log(3)), 0, 1);
    const signal = clamp(probs.buy - probs.sell, -1, 1);
    const nearest = matches
      .slice(0, 3)
      .map((m) => `${new Date(m.properties.asOf as number).toISOString().slice(0, 16)}Z (${(m.properties.z as number) >= 0 ? '+' : ''}${fmt(m.properties.z as number, 2)}σ)`)
      .join(', ');
    const dir = signal > 0.05 ? 'long' : signal < -0.05 ? 'short' : 'flat';
    return {
      ...head,
      signal,
      p: probs,
      confidence,
      features: { neighbours: matches.length, expectedZ: ez, meanDistance: mean, up: counts.buy, down: counts.sell, flat: counts.hold },
      rationale:
        `${q.symbol} ${q.tf}: the ${matches.length} past situations nearest to the agents' view at ${new Date(situation.asOf).toISOString().slice(0, 16)}Z went up ${counts.buy}, down ${counts.sell}, flat ${counts.hold} times over ${p.horizonBars} bars ` +
        `(weighted p buy ${fmt(probs.buy, 2)}, sell ${fmt(probs.sell, 2)}; mean move ${ez >= 0 ? '+' : ''}${fmt(ez, 2)}σ); nearest ${nearest} → ${dir}.${agreeText}`,
    };
  }

  private agreementText(): string {
    const a = this.agreement();
    if (a.length < 2) return '';
    const top = a[0];
    const bottom = a[a.length - 1];
    return ` Agents agreeing most: ${top.a} & ${top.b} (${fmt(top.agreement * 100, 3)}% of ${top.n}); disagreeing most: ${bottom.a} & ${bottom.b} (${fmt(bottom.agreement * 100, 3)}% of ${bottom.n}).`;
  }

  drainFacts(): AgentFact[] {
    const f = this.facts;
    this.facts = [];
    return f;
  }

  configure(patch: Record<string, unknown>): Record<string, unknown> {
    const next = applyParams(KNOWLEDGE_PARAMS, this.params, patch);
    if (next.agents.length === 0) throw new DomainError('BAD_CONFIG', 'agents must name at least one agent', 422);
    const reshape = next.agents.join() !== this.params.agents.join() || next.horizonBars !== this.params.horizonBars || next.band !== this.params.band;
    this.params = next;
    if (reshape) {
      // a different situation shape or outcome definition: a new memory
      this.memory = new Map();
      this.ready.clear();
      this.tracker = new OutcomeTracker<Situation>({ horizonBars: next.horizonBars, band: next.band, volBars: 100 });
      this.recent.clear();
      this.seen.clear();
      this.seenOrder.length = 0;
    }
    return { ...this.params };
  }

  config(): Record<string, unknown> {
    return { ...this.params };
  }

  snapshot(): Record<string, unknown> {
    return { situations: this.situations(), pending: this.tracker.pendingCount(), pairs: this.pairs.size };
  }
}
