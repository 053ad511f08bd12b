/**
 * knowledge-synthesis (learning, market-scoped): cross-agent memory. Every
 * decision's situation — the conviction (signal × confidence) of each agent in
 * `agents` — is kept with what the market did over the next `horizonBars`
 * bars, in a VectorStore (embedded exact k-NN by default). Asked for an
 * opinion, it finds the `k` most similar past situations and says what
 * followed them: signal = tanh of their similarity-weighted mean outcome (in
 * units of the symbol's typical h-bar move), confidence = how much they agree
 * × how many there are.
 *
 * The situation used is the latest decision's (the agents answer in parallel,
 * so the current one is not known yet); the rationale says so. It also tracks
 * which agents agree or disagree systematically (correlation of signals).
 */
import type { Agent, AgentEvent, OpinionDraft } from '../../../lib/agents/agent';
import { BarStore } from '../../../lib/agents/bars';
import { clamp, fmt, neutralDraft, toProbabilities } from '../../../lib/agents/opinion';
import { applyParams, ParamSchema } from '../../../lib/agents/params';
import { median } from '../../../lib/agents/stats';
import { SignalCorrelation } from '../../../lib/consensus/correlation';
import { MemoryVectorStore } from '../../../lib/storage/adapters/memory-vector';
import type { Decision, OpinionQuery } from '../../../types/agents';
import { TF_MS } from '../../../types/market';

export interface KnowledgeParams {
  agents: string[];
  horizonBars: number;
  k: number;
}

export const KNOWLEDGE_PARAMS: ParamSchema<KnowledgeParams> = {
  agents: { type: 'strings', doc: 'agents whose conviction makes up a situation (fixed order = vector layout)' },
  horizonBars: { type: 'number', min: 1, max: 500, integer: true, doc: 'bars after a situation its outcome is read' },
  k: { type: 'number', min: 1, max: 500, integer: true, doc: 'past situations consulted' },
};

export const DEFAULT_SITUATION_AGENTS = ['adaptation', 'execution-timing', 'fundamental-analysis', 'market-analysis', 'news-sentiment', 'strategy-formulation', 'technical-indicator'];

interface Outcome {
  symbol: string;
  asOf: number;
  /** h-bar return in units of the symbol's median |h-bar return|. */
  z: number;
}

interface Pending {
  id: string;
  vector: Float64Array;
  symbol: string;
  asOf: number;
  due: number;
}

export class KnowledgeSynthesisAgent implements Agent {
  readonly id = 'knowledge-synthesis';
  readonly group = 'learning' as const;
  readonly scope = 'market' as const;
  readonly events = ['decision.made', 'candle.closed'] as const;
  private params: KnowledgeParams;
  private store: MemoryVectorStore<Outcome>;
  private readonly bars = new BarStore(2000);
  private readonly pending = new Map<string, Pending[]>();
  private readonly latest = new Map<string, { vector: Float64Array; asOf: number }>();
  private readonly seen = new Set<string>();
  private readonly agreement = new SignalCorrelation(500, 30);

  constructor(params: Partial<KnowledgeParams> = {}) {
    this.params = applyParams(KNOWLEDGE_PARAMS, { agents: DEFAULT_SITUATION_AGENTS, horizonBars: 15, k: 25 }, params);
    this.store = new MemoryVectorStore<Outcome>(this.params.agents.length);
  }

  /** A decision's situation vector (agents that did not speak count 0). */
  situation(d: Pick<Decision, 'opinions'>): Float64Array {
    const v = new Float64Array(this.params.agents.length);
    for (const o of d.opinions) {
      const i = this.params.agents.indexOf(o.agent);
      if (i >= 0) v[i] = o.signal * o.confidence;
    }
    return v;
  }

  update(e: AgentEvent): void {
    if (e.type === 'decision.made') {
      const d = e.decision;
      const id = `${d.symbol}|${d.tf}|${d.asOf}`;
      if (this.seen.has(id)) return;
      this.seen.add(id);
      if (this.seen.size > 200_000) this.seen.clear();
      const vector = this.situation(d);
      const series = `${d.symbol}|${d.tf}`;
      this.latest.set(series, { vector, asOf: d.asOf });
      const sig: Record<string, number> = {};
      for (const o of d.opinions) if (this.params.agents.includes(o.agent)) sig[o.agent] = o.signal;
      if (Object.keys(sig).length > 1) this.agreement.observe(sig);
      let l = this.pending.get(series);
      if (!l) this.pending.set(series, (l = []));
      l.push({ id, vector, symbol: d.symbol, asOf: d.asOf, due: d.asOf + this.params.horizonBars * TF_MS[d.tf] });
    } else if (e.type === 'candle.closed') {
      const c = e.candle;
      this.bars.add(c);
      const series = `${c.symbol}|${c.tf}`;
      const l = this.pending.get(series);
      if (!l || l.length === 0) return;
      const end = c.t + TF_MS[c.tf];
      const bars = this.bars.get(c.symbol, c.tf);
      const h = this.params.horizonBars;
      const moves: number[] = [];
      for (let i = Math.max(h, bars.length - 500); i < bars.length; i++) moves.push(Math.abs(bars[i].c / bars[i - h].c - 1));
      const scale = moves.length >= 20 ? median(moves) : 0;
      const keep: Pending[] = [];
      for (const p of l) {
        if (p.due > end) {
          keep.push(p);
          continue;
        }
        const at = this.bars.get(c.symbol, c.tf, p.asOf);
        const c0 = at[at.length - 1];
        if (!c0 || !(scale > 0)) continue;
        this.store.upsertSync([{ id: p.id, vector: p.vector, payload: { symbol: p.symbol, asOf: p.asOf, z: (c.c / c0.c - 1) / scale } }]);
      }
      this.pending.set(series, keep);
    }
  }

  /** Pairs of agents whose signals move together (ρ ≥ 0.5) or against each other (ρ ≤ −0.5). */
  agreements(): { a: string; b: string; rho: number }[] {
    const out: { a: string; b: string; rho: number }[] = [];
    const ids = this.params.agents;
    for (let i = 0; i < ids.length; i++)
      for (let j = i + 1; j < ids.length; j++) {
        const rho = this.agreement.correlation(ids[i], ids[j]);
        if (Math.abs(rho) >= 0.5) out.push({ a: ids[i], b: ids[j], rho });
      }
    return out.sort((x, y) => Math.abs(y.rho) - Math.abs(x.rho));
  }

  opine(q: OpinionQuery): OpinionDraft {
    const cur = this.latest.get(`${q.symbol}|${q.tf}`);
    const asOf = q.asOf ?? cur?.asOf ?? 0;
    const head = { agent: this.id, group: this.group, symbol: q.symbol, tf: q.tf, asOf };
    if (!cur) return neutralDraft(head, `No decision on ${q.symbol} ${q.tf} seen yet: no situation to compare.`);
    if (this.store.count < this.params.k) return neutralDraft(head, `${this.store.count} past situations with a known outcome; ${this.params.k} needed.`);
    const nn = this.store.nearestSync(cur.vector, this.params.k).filter((n) => n.payload.asOf < cur.asOf);
    if (nn.length === 0) return neutralDraft(head, 'No earlier situation to compare with.');
    let sw = 0;
    let swz = 0;
    let up = 0;
    for (const n of nn) {
      const w = 1 / (1 + n.distance);
      sw += w;
      swz += w * n.payload.z;
      if (n.payload.z > 0) up++;
    }
    const mean = swz / sw;
    const signal = clamp(Math.tanh(mean), -1, 1);
    const agree = Math.abs(up / nn.length - 0.5) * 2;
    const confidence = clamp(agree * Math.min(1, nn.length / this.params.k), 0, 1);
    const pairs = this.agreements().slice(0, 3);
    const rationale = `The ${nn.length} past situations most like the last decision on ${q.symbol} ${q.tf} (closest ${fmt(nn[0].distance, 2)} away) were followed by ${up} rises and ${nn.length - up} falls over ${this.params.horizonBars} bars (mean ${mean >= 0 ? '+' : ''}${fmt(mean, 2)} typical moves).` + (pairs.length ? ` Agents that move together: ${pairs.map((p) => `${p.a}/${p.b} ρ ${fmt(p.rho, 2)}`).join(', ')}.` : '');
    return { ...head, signal, p: toProbabilities(signal, confidence), confidence, rationale, features: { neighbours: nn.length, meanOutcome: mean, rises: up } };
  }

  configure(patch: Record<string, unknown>): Record<string, unknown> {
    const next = applyParams(KNOWLEDGE_PARAMS, this.params, patch);
    if (next.agents.join() !== this.params.agents.join()) this.store = new MemoryVectorStore<Outcome>(next.agents.length);
    this.params = next;
    return { ...this.params };
  }

  config(): Record<string, unknown> {
    return { ...this.params };
  }

  snapshot(): Record<string, unknown> {
    return { situations: this.store.count, agreements: this.agreements() };
  }
}
