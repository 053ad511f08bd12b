/**
 * What the market did after a moment: items (opinions, situations) are tracked
 * at a data time `asOf` on a (symbol, tf) series and resolved once the series
 * has `horizonBars` more bars.
 *
 * - Entry: the last bar closed by `asOf`; exit: the bar `horizonBars` after it.
 * - Realised return r = ln(c_exit / c_entry).
 * - Scale σ_h = σ₁·√h, σ₁ the sample σ of the `volBars` one-bar log returns up
 *   to the entry (nothing after the entry is used).
 * - Outcome label: buy when r > band·σ_h, sell when r < −band·σ_h, else hold.
 *
 * Pure and deterministic: resolution depends only on the bars, never on when
 * an item or a bar arrived.
 */
import type { Action } from '../../types/agents';
import { Candle, TF_MS, Timeframe } from '../../types/market';

export interface OutcomeSpec {
  /** Bars between entry and exit. */
  horizonBars: number;
  /** Half-width of the hold band in σ_h. */
  band: number;
  /** One-bar returns behind σ₁. */
  volBars: number;
}

export const DEFAULT_OUTCOME: OutcomeSpec = { horizonBars: 5, band: 0.25, volBars: 100 };

export interface Outcome {
  symbol: string;
  tf: Timeframe;
  /** Data time the item was tracked at. */
  asOf: number;
  /** Close time of the exit bar. */
  exitTime: number;
  /** ln(c_exit / c_entry). */
  ret: number;
  /** σ_h of the entry (0 when too few bars). */
  sigma: number;
  label: Action;
}

export interface Resolved<T> {
  item: T;
  outcome: Outcome;
}

interface SeriesState<T> {
  /** Close times and closes, ascending by time. */
  times: number[];
  closes: number[];
  /** Items waiting for their exit bar, ascending by asOf. */
  pending: { asOf: number; item: T }[];
}

/** First index with times[i] > x (times ascending). */
function upper(times: readonly number[], x: number): number {
  let lo = 0;
  let hi = times.length;
  while (lo < hi) {
    const m = (lo + hi) >> 1;
    if (times[m] <= x) lo = m + 1;
    else hi = m;
  }
  return lo;
}

export class OutcomeTracker<T> {
  private readonly series = new Map<string, SeriesState<T>>();
  dropped = 0;

  /** Keeps at least `capacity` bars per series (enough for the oldest pending item plus volBars). */
  constructor(readonly spec: OutcomeSpec = DEFAULT_OUTCOME, readonly capacity = 5000) {}

  private state(symbol: string, tf: Timeframe): SeriesState<T> {
    const k = symbol + '|' + tf;
    let s = this.series.get(k);
    if (!s) this.series.set(k, (s = { times: [], closes: [], pending: [] }));
    return s;
  }

  /** The outcome of an entry at `asOf`, or null while the exit bar is missing (or no entry bar is held). */
  outcomeAt(symbol: string, tf: Timeframe, asOf: number): Outcome | null {
    const s = this.series.get(symbol + '|' + tf);
    if (!s) return null;
    return this.resolve(s, symbol, tf, asOf);
  }

  private resolve(s: SeriesState<T>, symbol: string, tf: Timeframe, asOf: number): Outcome | null {
    const e = upper(s.times, asOf) - 1; // last bar closed by asOf
    if (e < 0) return null;
    const x = e + this.spec.horizonBars;
    if (x >= s.times.length) return null;
    // a gap larger than the horizon itself (weekend, outage) between entry and asOf: the entry is stale
    if (asOf - s.times[e] > this.spec.horizonBars * TF_MS[tf]) return null;
    const ret = Math.log(s.closes[x] / s.closes[e]);
    const from = Math.max(1, e - this.spec.volBars + 1);
    let m = 0;
    let n = 0;
    for (let i = from; i <= e; i++) {
      m += Math.log(s.closes[i] / s.closes[i - 1]);
      n++;
    }
    let sigma = 0;
    if (n >= 2) {
      m /= n;
      let v = 0;
      for (let i = from; i <= e; i++) v += (Math.log(s.closes[i] / s.closes[i - 1]) - m) ** 2;
      sigma = Math.sqrt(v / (n - 1)) * Math.sqrt(this.spec.horizonBars);
    }
    const th = this.spec.band * sigma;
    const label: Action = ret > th ? 'buy' : ret < -th ? 'sell' : 'hold';
    return { symbol, tf, asOf, exitTime: s.times[x], ret, sigma, label };
  }

  /** Track an item; resolved at once when its exit bar is already held. */
  track(symbol: string, tf: Timeframe, asOf: number, item: T): Resolved<T> | null {
    const s = this.state(symbol, tf);
    const o = this.resolve(s, symbol, tf, asOf);
    if (o) return { item, outcome: o };
    const p = s.pending;
    let i = p.length;
    while (i > 0 && p[i - 1].asOf > asOf) i--;
    p.splice(i, 0, { asOf, item });
    if (p.length > 100_000) {
      p.shift();
      this.dropped++;
    }
    return null;
  }

  /** Add or replace a closed bar; returns the items it resolved, oldest first. */
  addBar(c: Candle): Resolved<T>[] {
    const s = this.state(c.symbol, c.tf);
    const t = c.t + TF_MS[c.tf];
    const i = upper(s.times, t);
    if (i > 0 && s.times[i - 1] === t) s.closes[i - 1] = c.c;
    else {
      s.times.splice(i, 0, t);
      s.closes.splice(i, 0, c.c);
      if (s.times.length > this.capacity * 1.25) {
        const cut = s.times.length - this.capacity;
        s.times.splice(0, cut);
        s.closes.splice(0, cut);
      }
    }
    const out: Resolved<T>[] = [];
    const keep: { asOf: number; item: T }[] = [];
    const first = s.times[0];
    for (const p of s.pending) {
      const o = this.resolve(s, c.symbol, c.tf, p.asOf);
      if (o) out.push({ item: p.item, outcome: o });
      else if (p.asOf < first) this.dropped++; // older than any bar held: never resolvable
      else keep.push(p);
    }
    s.pending = keep;
    return out;
  }

  /** Items still waiting, per series. */
  pendingCount(): number {
    let n = 0;
    for (const s of this.series.values()) n += s.pending.length;
    return n;
  }
}
