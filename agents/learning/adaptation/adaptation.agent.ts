/**
 * adaptation (learning, market-scoped): the market regime — trending, ranging
 * or volatile — with probabilities, per symbol and timeframe.
 *
 * At every closed bar three features of the last `window` bars are measured:
 * efficiency ratio |net move| / Σ|moves|, trend strength |t| of the
 * least-squares slope, and the volatility ratio σ(last 20 moves) / σ(window).
 * Each is ranked against the same feature over the symbol's last `history`
 * bars (so "trending" means trending for this symbol), and
 *   trending ∝ (rank ER + rank |t|) / 2,  ranging ∝ 1 − that,  volatile ∝ rank vol ratio,
 * turned into probabilities by a softmax with sharpness `kappa`. A change of
 * the most likely regime is published as `regime.changed`.
 *
 * Opinion: in a trend it leans with the slope, in a range against the
 * stretch from the mean, and it leans to hold in proportion to p(volatile);
 * confidence = the winning probability's edge over chance.
 */
import type { Agent, AgentEvent, OpinionDraft, Outgoing, RegimeChange } from '../../../lib/agents/agent';
import { BarStore, closeTime } from '../../../lib/agents/bars';
import { clamp, fmt, neutralDraft, toProbabilities } from '../../../lib/agents/opinion';
import { applyParams, ParamSchema } from '../../../lib/agents/params';
import { linearRegression, mean, percentileRank, stdev } from '../../../lib/agents/stats';
import type { OpinionQuery } from '../../../types/agents';
import type { Candle, Timeframe } from '../../../types/market';

export interface AdaptationParams {
  window: number;
  history: number;
  kappa: number;
}

export const ADAPTATION_PARAMS: ParamSchema<AdaptationParams> = {
  window: { type: 'number', min: 20, max: 1000, integer: true, doc: 'bars each regime feature is measured on' },
  history: { type: 'number', min: 30, max: 10_000, integer: true, doc: 'past readings the features are ranked against' },
  kappa: { type: 'number', min: 0.5, max: 50, doc: 'sharpness of the softmax from scores to probabilities' },
};

export interface Features {
  efficiency: number;
  trendT: number;
  volRatio: number;
  slope: number;
  z: number;
}

/** The regime features of the last `window` bars. */
export function features(bars: readonly Candle[], window: number): Features | null {
  const n = Math.min(window, bars.length);
  if (n < 20) return null;
  const c = new Float64Array(n);
  for (let i = 0; i < n; i++) c[i] = bars[bars.length - n + i].c;
  const d = new Float64Array(n - 1);
  let path = 0;
  for (let i = 1; i < n; i++) {
    d[i - 1] = c[i] - c[i - 1];
    path += Math.abs(d[i - 1]);
  }
  const reg = linearRegression(c);
  let sxx = 0;
  for (let i = 0; i < n; i++) sxx += (i - (n - 1) / 2) ** 2;
  const se = reg.residualSd / Math.sqrt(sxx);
  const all = stdev(d);
  const sdC = stdev(c);
  return {
    efficiency: path > 0 ? Math.abs(c[n - 1] - c[0]) / path : 0,
    trendT: se > 0 ? reg.slope / se : 0,
    volRatio: all > 0 ? stdev(d, Math.max(0, d.length - 20)) / all : 1,
    slope: reg.slope,
    z: sdC > 0 ? (c[n - 1] - mean(c)) / sdC : 0,
  };
}

interface Series {
  er: number[];
  t: number[];
  vr: number[];
  lastT: number;
  regime: RegimeChange['regime'] | null;
}

export class AdaptationAgent implements Agent {
  readonly id = 'adaptation';
  readonly group = 'learning' as const;
  readonly scope = 'market' as const;
  readonly events = ['candle.closed'] as const;
  private readonly bars = new BarStore(1500);
  private readonly series = new Map<string, Series>();
  private outbox: Outgoing[] = [];
  private params: AdaptationParams;

  constructor(params: Partial<AdaptationParams> = {}) {
    this.params = applyParams(ADAPTATION_PARAMS, { window: 60, history: 500, kappa: 6 }, params);
  }

  update(e: AgentEvent): void {
    if (e.type !== 'candle.closed') return;
    const c = e.candle;
    if (!this.bars.add(c)) return;
    const key = `${c.symbol}|${c.tf}`;
    let s = this.series.get(key);
    if (!s) this.series.set(key, (s = { er: [], t: [], vr: [], lastT: 0, regime: null }));
    if (c.t <= s.lastT) return; // warm-up bars arriving late do not rewrite the history
    s.lastT = c.t;
    const f = features(this.bars.get(c.symbol, c.tf), this.params.window);
    if (!f) return;
    s.er.push(f.efficiency);
    s.t.push(Math.abs(f.trendT));
    s.vr.push(f.volRatio);
    if (s.er.length > this.params.history) {
      s.er.shift();
      s.t.shift();
      s.vr.shift();
    }
    const r = this.reading(c.symbol, c.tf, f, s);
    if (r && r.regime !== s.regime && s.er.length >= 30) {
      s.regime = r.regime;
      this.outbox.push({ event: 'regime.changed', payload: { ...r, asOf: closeTime(c) } satisfies RegimeChange });
    }
  }

  private reading(symbol: string, tf: Timeframe, f: Features, s: Series): Omit<RegimeChange, 'asOf'> | null {
    if (s.er.length < 30) return null;
    const trend = (percentileRank(s.er, f.efficiency) + percentileRank(s.t, Math.abs(f.trendT))) / 2;
    const vol = percentileRank(s.vr, f.volRatio);
    const k = this.params.kappa;
    const e = [Math.exp(k * trend), Math.exp(k * (1 - trend)), Math.exp(k * vol)];
    const sum = e[0] + e[1] + e[2];
    const p = { trending: e[0] / sum, ranging: e[1] / sum, volatile: e[2] / sum };
    const regime = p.trending >= p.ranging && p.trending >= p.volatile ? 'trending' : p.volatile >= p.ranging ? 'volatile' : 'ranging';
    return { symbol, tf, regime, p };
  }

  /** The current regime of a series (null before enough history). */
  regimeOf(symbol: string, tf: Timeframe, asOf?: number): (Omit<RegimeChange, 'asOf'> & { features: Features }) | null {
    const s = this.series.get(`${symbol}|${tf}`);
    const f = features(this.bars.get(symbol, tf, asOf), this.params.window);
    if (!s || !f) return null;
    const r = this.reading(symbol, tf, f, s);
    return r ? { ...r, features: f } : null;
  }

  drain(): Outgoing[] {
    const o = this.outbox;
    this.outbox = [];
    return o;
  }

  opine(q: OpinionQuery): OpinionDraft {
    const bars = this.bars.get(q.symbol, q.tf, q.asOf);
    const asOf = q.asOf ?? (bars.length > 0 ? closeTime(bars[bars.length - 1]) : 0);
    const head = { agent: this.id, group: this.group, symbol: q.symbol, tf: q.tf, asOf };
    const r = this.regimeOf(q.symbol, q.tf, q.asOf);
    if (!r) return neutralDraft(head, `${q.symbol} ${q.tf}: not enough history to tell the regime yet.`);
    const f = r.features;
    const signal = clamp(r.p.trending * Math.tanh(f.trendT / 3) - r.p.ranging * Math.tanh(f.z / 2) * 0.5, -1, 1);
    const top = Math.max(r.p.trending, r.p.ranging, r.p.volatile);
    const confidence = clamp(((top - 1 / 3) * 3) / 2, 0, 1);
    const lean = r.regime === 'trending' ? `lean with the ${f.slope > 0 ? 'rise' : 'fall'}` : r.regime === 'ranging' ? `lean against the ${f.z > 0 ? 'stretch up' : 'stretch down'} (${fmt(f.z, 2)}σ from the mean)` : 'stand aside while it settles';
    return {
      ...head,
      signal,
      p: toProbabilities(signal, confidence, r.p.volatile * 0.5),
      confidence,
      features: { pTrending: r.p.trending, pRanging: r.p.ranging, pVolatile: r.p.volatile, efficiency: f.efficiency, trendT: f.trendT, volRatio: f.volRatio },
      rationale: `${q.symbol} ${q.tf}: regime ${r.regime} (trending ${fmt(r.p.trending * 100, 2)}%, ranging ${fmt(r.p.ranging * 100, 2)}%, volatile ${fmt(r.p.volatile * 100, 2)}%; efficiency ${fmt(f.efficiency, 2)}, slope t ${fmt(f.trendT, 2)}, volatility ratio ${fmt(f.volRatio, 2)}, each ranked against this symbol's own history): ${lean}.`,
    };
  }

  configure(patch: Record<string, unknown>): Record<string, unknown> {
    this.params = applyParams(ADAPTATION_PARAMS, this.params, patch);
    return { ...this.params };
  }

  config(): Record<string, unknown> {
    return { ...this.params };
  }

  snapshot(): Record<string, unknown> {
    return { series: Object.fromEntries([...this.series].map(([k, s]) => [k, s.regime])) };
  }
}
