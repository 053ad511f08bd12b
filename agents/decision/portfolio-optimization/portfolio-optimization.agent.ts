/**
 * portfolio-optimization (decision, tenant-scoped): would more exposure in this
 * symbol improve the tenant's portfolio, long or short?
 *
 * Universe: the tenant's positions, its configured `symbols`, and the queried
 * symbol. Returns are simple returns on the bar times all of them share (last
 * `window`); pairwise correlations go to the GraphStore (kind 'correlation'),
 * computed once per aligned set of returns.
 *
 * Two views, both scale-free:
 * - Diversification (risk-parity): ρ(i, P), the correlation of the symbol with
 *   the current book P = Σ wⱼ rⱼ (w = notional / equity). ρ > 0: more long
 *   concentrates risk, a short hedges; ρ < 0: a long hedges. Counts in
 *   proportion to the book's gross exposure (capped at 1).
 * - Mean-variance (Sharpe): adding i improves the book's Sharpe ratio iff
 *   SRᵢ > ρ(i,P)·SR_P, in t-statistic units with each drift shrunk by
 *   t²/(1+t²) (weak evidence of drift counts for little).
 *
 * signal = clamp(−ρ(i,P)·gross + tanh(mv/2), −1, 1); confidence grows with the
 * evidence (|t| of ρ and of the drift) and the share of `window` available.
 */
import type { Agent, AgentEvent, OpinionDraft } from '../../../lib/agents/agent';
import { BarStore, closeTime } from '../../../lib/agents/bars';
import { clamp, fmt, neutralDraft, opinionDraft, toProbabilities } from '../../../lib/agents/opinion';
import { applyParams, ParamSchema } from '../../../lib/agents/params';
import { correlation, mean, stdev } from '../../../lib/agents/stats';
import { MemoryGraphStore } from '../../../lib/storage/adapters/memory-graph';
import type { OpinionQuery } from '../../../types/agents';
import type { PortfolioSnapshot } from '../../../types/events';
import type { Timeframe } from '../../../types/market';

export interface PortfolioParams {
  window: number;
  minBars: number;
  symbols: string[];
}

export const PORTFOLIO_PARAMS: ParamSchema<PortfolioParams> = {
  window: { type: 'number', min: 20, max: 5000, integer: true, doc: 'shared bars used for returns and correlations' },
  minBars: { type: 'number', min: 10, max: 5000, integer: true, doc: 'shared bars needed before opining' },
  symbols: { type: 'strings', doc: 'symbols the tenant wants considered besides its positions' },
};

const DEFAULTS: PortfolioParams = { window: 250, minBars: 60, symbols: [] };

/** Returns on the shared bar times: how many, the time of the last, and each symbol's. */
interface Aligned {
  n: number;
  last: number;
  returns: Map<string, Float64Array>;
}

/**
 * Returns of each symbol on the bar times all share, oldest first (last
 * `window`), looking at each series' last 2·window+1 bars. When all series
 * end on the same bar times those are the shared bars; otherwise one walk back
 * from the newest bars of all series at once. No sets, maps or copies of the series.
 */
function alignedReturns(store: BarStore, symbols: string[], tf: Timeframe, asOf: number | undefined, window: number): Aligned {
  const k = symbols.length;
  const series = symbols.map((s) => store.get(s, tf, asOf));
  if (series.some((s) => s.length < 2)) return { n: 0, last: 0, returns: new Map() };
  const want = window + 1;
  // Common case: every series ends on the same bar times (one feed, or one symbol): those are the shared bars.
  let m = want;
  for (const s of series) if (s.length < m) m = s.length;
  let same = true;
  const s0 = series[0];
  for (let j = 1; j < k && same; j++) {
    const s = series[j];
    for (let i = 1; i <= m; i++)
      if (s[s.length - i].t !== s0[s0.length - i].t) {
        same = false;
        break;
      }
  }
  if (same) {
    const returns = new Map<string, Float64Array>();
    symbols.forEach((sym, j) => {
      const s = series[j];
      const off = s.length - m;
      const r = new Float64Array(m - 1);
      for (let i = 1; i < m; i++) r[i - 1] = s[off + i].c / s[off + i - 1].c - 1;
      returns.set(sym, r);
    });
    return { n: m - 1, last: s0[s0.length - 1].t, returns };
  }
  const floor = series.map((s) => Math.max(0, s.length - (window * 2 + 1)));
  const idx = series.map((s) => s.length - 1);
  // Common bars, newest first: times and, per symbol, the index of the bar at that time.
  const timesDesc: number[] = [];
  const at: number[][] = symbols.map(() => []);
  walk: while (timesDesc.length < want) {
    // The latest time every series can still share is the earliest of their current bars.
    let t = Infinity;
    for (let j = 0; j < k; j++) if (series[j][idx[j]].t < t) t = series[j][idx[j]].t;
    let all = true;
    for (let j = 0; j < k; j++) {
      while (series[j][idx[j]].t > t) if (--idx[j] < floor[j]) break walk;
      if (series[j][idx[j]].t !== t) all = false;
    }
    if (!all) continue;
    timesDesc.push(t);
    for (let j = 0; j < k; j++) {
      at[j].push(idx[j]);
      idx[j]--;
    }
    for (let j = 0; j < k; j++) if (idx[j] < floor[j]) break walk;
  }
  const n = timesDesc.length;
  const returns = new Map<string, Float64Array>();
  symbols.forEach((sym, j) => {
    const s = series[j];
    const ix = at[j];
    const r = new Float64Array(Math.max(0, n - 1));
    // ix is newest first: return i (oldest first) runs from bar ix[n-1-i] to ix[n-2-i].
    for (let i = 1; i < n; i++) r[i - 1] = s[ix[n - 1 - i]].c / s[ix[n - i]].c - 1;
    returns.set(sym, r);
  });
  return { n: Math.max(0, n - 1), last: n > 1 ? timesDesc[0] : 0, returns };
}

const EMPTY = new Float64Array(0);

/** Shrunk t-statistic of a mean: t · t²/(1+t²). */
function shrunkT(r: Float64Array): number {
  const sd = stdev(r);
  if (!(sd > 0)) return 0;
  const t = (mean(r) / sd) * Math.sqrt(r.length);
  return (t * t * t) / (1 + t * t);
}

export class PortfolioOptimizationAgent implements Agent {
  readonly id = 'portfolio-optimization';
  readonly group = 'decision' as const;
  readonly scope = 'tenant' as const;
  readonly events = ['candle.closed', 'positions.updated'] as const;
  private readonly bars = new BarStore(2000);
  private readonly books = new Map<string, PortfolioSnapshot>();
  private readonly tenantParams = new Map<string, PortfolioParams>();
  private defaults: PortfolioParams;
  /**
   * Aligned returns per (universe, tf, asOf, window, revisions of the series),
   * shared by every tenant with the same universe, with the correlations of
   * the queried symbol computed from them.
   */
  private readonly aligned = new Map<string, Aligned & { corr: Map<string, number> }>();

  /** `graph`: where correlations are kept (embedded by default). */
  constructor(params: Partial<PortfolioParams> = {}, readonly graph = new MemoryGraphStore()) {
    this.defaults = applyParams(PORTFOLIO_PARAMS, DEFAULTS, params);
  }

  private paramsOf(tenantId?: string): PortfolioParams {
    return (tenantId && this.tenantParams.get(tenantId)) || this.defaults;
  }

  update(e: AgentEvent): void {
    if (e.type === 'candle.closed') this.bars.add(e.candle);
    else if (e.type === 'positions.updated') this.books.set(e.snapshot.tenantId, e.snapshot);
  }

  /** Correlation of two return series, once per aligned set (kept with it) and written through to the graph store. */
  private corr(memo: Map<string, number>, a: string, b: string, ra: Float64Array, rb: Float64Array, asOf: number): number {
    const key = a + '|' + b;
    const cached = memo.get(key);
    if (cached !== undefined) return cached;
    const w = correlation(ra, rb);
    this.graph.upsertEdgeSync({ a, b, kind: 'correlation', weight: w, n: ra.length, asOf });
    memo.set(key, w);
    return w;
  }

  opine(q: OpinionQuery): OpinionDraft {
    const p = this.paramsOf(q.tenantId);
    const own = this.bars.get(q.symbol, q.tf, q.asOf);
    const asOf = q.asOf ?? (own.length > 0 ? closeTime(own[own.length - 1]) : 0);
    const head = { agent: this.id, group: this.group, symbol: q.symbol, tf: q.tf, asOf };
    const book = q.tenantId ? this.books.get(q.tenantId) : undefined;
    const weights = new Map<string, number>();
    if (book && book.equity > 0) for (const pos of book.positions) weights.set(pos.symbol, (weights.get(pos.symbol) ?? 0) + pos.notional / book.equity);
    // The universe (queried symbol first, then the book's, then the configured ones) with at least two bars.
    const universe: string[] = [];
    const consider = (s: string) => {
      if (!universe.includes(s) && this.bars.get(s, q.tf, q.asOf).length > 1) universe.push(s);
    };
    consider(q.symbol);
    if (universe.length === 0) return neutralDraft(head, `${q.symbol} ${q.tf}: no bars yet.`);
    for (const s of weights.keys()) consider(s);
    for (const s of p.symbols) consider(s);
    let lastT = 0;
    let akey = '';
    for (const s of universe) {
      const t = this.bars.latest(s, q.tf)?.t ?? 0;
      if (t > lastT) lastT = t;
      akey += s + ':' + this.bars.revision(s, q.tf) + ',';
    }
    akey += `|${q.tf}|${q.asOf ?? lastT}|${lastT}|${p.window}`;
    let al = this.aligned.get(akey);
    if (!al) {
      const r = alignedReturns(this.bars, universe, q.tf, q.asOf, p.window);
      al = { n: r.n, last: r.last, returns: r.returns, corr: new Map() };
      if (this.aligned.size >= 512) this.aligned.delete(this.aligned.keys().next().value as string);
      this.aligned.set(akey, al);
    }
    const { n, returns } = al;
    if (n < p.minBars) return neutralDraft(head, `${q.symbol} ${q.tf}: ${n} bars shared by ${universe.join(', ')}; ${p.minBars} needed.`);
    const dataTime = al.last;
    const ri = returns.get(q.symbol)!;

    // The book's return series P = Σ wⱼ rⱼ (the symbol's own position included).
    const rp = weights.size > 0 ? new Float64Array(n) : EMPTY;
    let gross = 0;
    for (const [sym, w] of weights) {
      const r = returns.get(sym);
      if (!r) continue;
      gross += Math.abs(w);
      for (let t = 0; t < n; t++) rp[t] += w * r[t];
    }
    const related: string[] = [];
    for (const s of universe) {
      if (s === q.symbol) continue;
      const c = this.corr(al.corr, q.symbol, s, ri, returns.get(s)!, dataTime);
      related.push(`${s} ${c >= 0 ? '+' : ''}${fmt(c, 2)}`);
    }
    const hasBook = gross > 0 && stdev(rp) > 0;
    const rhoIP = hasBook ? correlation(ri, rp) : 0;
    const tI = shrunkT(ri);
    const tP = hasBook ? shrunkT(rp) : 0;
    const diversification = -rhoIP * Math.min(1, gross) || 0; // no -0 in the record
    const mv = Math.tanh((tI - rhoIP * tP) / 2);
    const signal = clamp(diversification + mv, -1, 1);
    const tRho = hasBook ? (Math.abs(rhoIP) * Math.sqrt(n - 2)) / Math.sqrt(Math.max(1e-12, 1 - rhoIP * rhoIP)) : 0;
    const confidence = clamp((n / p.window) * (1 - Math.exp(-(tRho + Math.abs(tI)) / 3)), 0, 1);

    const bookText = hasBook
      ? `book ${[...weights].map(([s, w]) => `${s} ${w >= 0 ? '+' : ''}${fmt(w, 3)}×`).join(', ')} (gross ${fmt(gross, 3)}× equity); ${q.symbol} correlates ${rhoIP >= 0 ? '+' : ''}${fmt(rhoIP, 2)} with it, so ${rhoIP > 0.1 ? 'more long concentrates risk and a short hedges' : rhoIP < -0.1 ? 'a long hedges it' : 'it neither adds to nor hedges it'}`
      : 'no open book: only the drift speaks';
    const rationale = `${q.symbol} ${q.tf} over ${n} shared bars: ${bookText}; drift t ${fmt(tI, 2)} (shrunk)${hasBook ? ` vs book ${fmt(tP, 2)}` : ''}${related.length ? `; correlations ${related.join(', ')}` : ''}. ${signal > 0.05 ? 'More long exposure improves the portfolio.' : signal < -0.05 ? 'More short exposure (or less long) improves the portfolio.' : 'Neither side improves it much.'}`;
    return opinionDraft(head, signal, toProbabilities(signal, confidence), confidence, rationale, { rhoBook: rhoIP, gross, driftT: tI, bookT: tP, diversification, meanVariance: mv, bars: n });
  }

  configure(patch: Record<string, unknown>, tenantId?: string): Record<string, unknown> {
    if (!tenantId) {
      this.defaults = applyParams(PORTFOLIO_PARAMS, this.defaults, patch);
      return { ...this.defaults };
    }
    const next = applyParams(PORTFOLIO_PARAMS, this.paramsOf(tenantId), patch);
    this.tenantParams.set(tenantId, next);
    return { ...next };
  }

  config(tenantId?: string): Record<string, unknown> {
    return { ...this.paramsOf(tenantId) };
  }

  snapshot(): Record<string, unknown> {
    return { bars: this.bars.describe(), tenants: this.books.size, correlations: this.graph.size };
  }
}
