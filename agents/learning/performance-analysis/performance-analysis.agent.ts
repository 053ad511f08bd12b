/**
 * performance-analysis (learning, market-scoped): scores every opinion in the
 * decisions it sees (`decision.made`) against what the market did over the
 * next `horizonBars` bars of its timeframe, and publishes each agent's
 * reliability for consensus (`agents.reliability.updated`).
 *
 * - Each (agent, symbol, tf, asOf) is scored once, however many tenants saw it;
 *   tenant-scoped opinions are scored too when they have a direction.
 * - Outcome: the h-bar return r from the close at `asOf`. Classes: buy when
 *   r > dead zone, sell when r < −dead zone, hold otherwise; the dead zone is
 *   the median |h-bar return| of the symbol's own recent bars × `deadZone`.
 * - Directional hit: sign(signal) = sign(r) for opinions with |signal| ≥
 *   `minSignal`; hits and misses, exponentially forgotten (`halfLife`
 *   observations), make the Beta(1 + hits, 1 + misses) reliability consensus uses.
 * - Also Brier score and log loss of p against the outcome class, and P&L
 *   attribution Σ signal·r, per agent, per symbol and per regime (when
 *   `regime.changed` says which).
 *
 * Its own opinion carries no direction (confidence 0); the rationale ranks the agents.
 */
import type { Agent, AgentEvent, OpinionDraft, Outgoing } from '../../../lib/agents/agent';
import { BarStore } from '../../../lib/agents/bars';
import { fmt, neutralDraft } from '../../../lib/agents/opinion';
import { applyParams, ParamSchema } from '../../../lib/agents/params';
import { median } from '../../../lib/agents/stats';
import type { Action, Opinion, OpinionQuery } from '../../../types/agents';
import { TF_MS, Timeframe } from '../../../types/market';

export interface PerformanceParams {
  horizonBars: number;
  minSignal: number;
  halfLife: number;
  deadZone: number;
  publishEvery: number;
}

export const PERFORMANCE_PARAMS: ParamSchema<PerformanceParams> = {
  horizonBars: { type: 'number', min: 1, max: 500, integer: true, doc: 'bars after an opinion its outcome is read' },
  minSignal: { type: 'number', min: 0, max: 1, doc: 'smallest |signal| scored as a directional call' },
  halfLife: { type: 'number', min: 10, max: 100_000, doc: 'observations after which a hit or miss counts half' },
  deadZone: { type: 'number', min: 0, max: 5, doc: 'hold band as a multiple of the median |h-bar return|' },
  publishEvery: { type: 'number', min: 1, max: 10_000, integer: true, doc: 'scored opinions between two reliability publications' },
};

export interface AgentScore {
  agent: string;
  alpha: number;
  beta: number;
  /** Scored opinions (not decayed). */
  n: number;
  hits: number;
  brier: number;
  logLoss: number;
  pnl: number;
}

interface Acc {
  hits: number;
  misses: number;
  n: number;
  nHits: number;
  brier: number;
  logLoss: number;
  probN: number;
  pnl: number;
}

const newAcc = (): Acc => ({ hits: 0, misses: 0, n: 0, nHits: 0, brier: 0, logLoss: 0, probN: 0, pnl: 0 });

interface Pending {
  op: Opinion;
  due: number;
}

export class PerformanceAnalysisAgent implements Agent {
  readonly id = 'performance-analysis';
  readonly group = 'learning' as const;
  readonly scope = 'market' as const;
  readonly events = ['candle.closed', 'decision.made', 'regime.changed'] as const;
  private readonly bars = new BarStore(2000);
  private readonly pending = new Map<string, Pending[]>();
  private readonly seen = new Set<string>();
  private readonly byAgent = new Map<string, Acc>();
  private readonly bySymbol = new Map<string, Acc>();
  private readonly byRegime = new Map<string, Acc>();
  private readonly regimes = new Map<string, string>();
  private outbox: Outgoing[] = [];
  private sincePublish = 0;
  private params: PerformanceParams;

  constructor(params: Partial<PerformanceParams> = {}) {
    this.params = applyParams(PERFORMANCE_PARAMS, { horizonBars: 15, minSignal: 0.05, halfLife: 500, deadZone: 0.5, publishEvery: 20 }, params);
  }

  update(e: AgentEvent): void {
    if (e.type === 'decision.made') {
      for (const op of e.decision.opinions) {
        // A market opinion is the same for every tenant: score it once. Tenant-scoped ones differ and count apart.
        const k = `${op.agent}|${op.symbol}|${op.tf}|${op.asOf}|${op.signal}|${op.confidence}`;
        if (this.seen.has(k)) continue;
        this.seen.add(k);
        if (this.seen.size > 200_000) this.seen.clear();
        const series = `${op.symbol}|${op.tf}`;
        let l = this.pending.get(series);
        if (!l) this.pending.set(series, (l = []));
        l.push({ op, due: op.asOf + this.params.horizonBars * TF_MS[op.tf] });
      }
    } else if (e.type === 'regime.changed') {
      this.regimes.set(`${e.regime.symbol}|${e.regime.tf}`, e.regime.regime);
    } else if (e.type === 'candle.closed') {
      const c = e.candle;
      this.bars.add(c);
      const l = this.pending.get(`${c.symbol}|${c.tf}`);
      if (!l || l.length === 0) return;
      const now = c.t + TF_MS[c.tf];
      const keep: Pending[] = [];
      for (const p of l) {
        if (p.due <= now) this.score(p.op, c.c);
        else keep.push(p);
      }
      this.pending.set(`${c.symbol}|${c.tf}`, keep);
    }
  }

  /** Close of the bar ending at `t` (its open is t − tf), or null. */
  private closeAt(symbol: string, tf: Timeframe, t: number): number | null {
    const bars = this.bars.get(symbol, tf, t);
    const b = bars[bars.length - 1];
    return b && b.t + TF_MS[tf] === t ? b.c : null;
  }

  /** Score one opinion with `c1`, the close of the first bar ending at or after its horizon (market gaps skip ahead). */
  private score(op: Opinion, c1: number): void {
    const h = this.params.horizonBars;
    const c0 = this.closeAt(op.symbol, op.tf, op.asOf);
    if (c0 === null) return;
    const r = c1 / c0 - 1;
    // Dead zone from the symbol's own h-bar moves.
    const bars = this.bars.get(op.symbol, op.tf);
    const moves: number[] = [];
    for (let i = Math.max(h, bars.length - 500); i < bars.length; i++) moves.push(Math.abs(bars[i].c / bars[i - h].c - 1));
    const dz = moves.length >= 20 ? median(moves) * this.params.deadZone : 0;
    const outcome: Action = r > dz ? 'buy' : r < -dz ? 'sell' : 'hold';
    const regime = this.regimes.get(`${op.symbol}|${op.tf}`) ?? 'unknown';
    const keep = Math.pow(0.5, 1 / this.params.halfLife);
    for (const [map, key] of [
      [this.byAgent, op.agent],
      [this.bySymbol, `${op.agent}|${op.symbol}`],
      [this.byRegime, `${op.agent}|${regime}`],
    ] as const) {
      let a = map.get(key);
      if (!a) map.set(key, (a = newAcc()));
      const y = { buy: outcome === 'buy' ? 1 : 0, hold: outcome === 'hold' ? 1 : 0, sell: outcome === 'sell' ? 1 : 0 };
      a.brier += (op.p.buy - y.buy) ** 2 + (op.p.hold - y.hold) ** 2 + (op.p.sell - y.sell) ** 2;
      a.logLoss += -Math.log(Math.max(1e-12, op.p[outcome]));
      a.probN++;
      a.pnl += op.signal * r;
      if (Math.abs(op.signal) >= this.params.minSignal && r !== 0) {
        const hit = Math.sign(op.signal) === Math.sign(r);
        a.hits = a.hits * keep + (hit ? 1 : 0);
        a.misses = a.misses * keep + (hit ? 0 : 1);
        a.n++;
        if (hit) a.nHits++;
      }
    }
    if (++this.sincePublish >= this.params.publishEvery) {
      this.sincePublish = 0;
      this.outbox.push({ event: 'agents.reliability.updated', payload: { reliabilities: this.reliabilities() } });
    }
  }

  /** Reliability and scores of every agent scored so far. */
  reliabilities(): AgentScore[] {
    return [...this.byAgent].map(([agent, a]) => ({
      agent,
      alpha: 1 + a.hits,
      beta: 1 + a.misses,
      n: a.n,
      hits: a.nHits,
      brier: a.probN ? a.brier / a.probN : NaN,
      logLoss: a.probN ? a.logLoss / a.probN : NaN,
      pnl: a.pnl,
    }));
  }

  /** Scores per agent and symbol, or per agent and regime. */
  breakdown(by: 'symbol' | 'regime'): Record<string, { n: number; hitRate: number; brier: number; pnl: number }> {
    const out: Record<string, { n: number; hitRate: number; brier: number; pnl: number }> = {};
    for (const [k, a] of by === 'symbol' ? this.bySymbol : this.byRegime) out[k] = { n: a.n, hitRate: a.n ? a.nHits / a.n : NaN, brier: a.probN ? a.brier / a.probN : NaN, pnl: a.pnl };
    return out;
  }

  drain(): Outgoing[] {
    const o = this.outbox;
    this.outbox = [];
    return o;
  }

  opine(q: OpinionQuery): OpinionDraft {
    const last = this.bars.latest(q.symbol, q.tf);
    const asOf = q.asOf ?? (last ? last.t + TF_MS[q.tf] : 0);
    const head = { agent: this.id, group: this.group, symbol: q.symbol, tf: q.tf, asOf };
    const rel = this.reliabilities()
      .filter((r) => r.n > 0)
      .sort((a, b) => b.alpha / (b.alpha + b.beta) - a.alpha / (a.alpha + a.beta));
    if (rel.length === 0) return neutralDraft(head, 'No opinion has reached its horizon yet: nothing scored.');
    const text = rel.map((r) => `${r.agent} ${fmt((r.hits / r.n) * 100, 3)}% of ${r.n} (Brier ${fmt(r.brier, 3)})`).join(', ');
    return { ...neutralDraft(head, `Directional hit rates over ${this.params.horizonBars} bars: ${text}. No market view of its own.`), features: { scoredAgents: rel.length } };
  }

  configure(patch: Record<string, unknown>): Record<string, unknown> {
    this.params = applyParams(PERFORMANCE_PARAMS, this.params, patch);
    return { ...this.params };
  }

  config(): Record<string, unknown> {
    return { ...this.params };
  }

  snapshot(): Record<string, unknown> {
    let pending = 0;
    for (const l of this.pending.values()) pending += l.length;
    return { pending, scoredAgents: this.byAgent.size };
  }
}
