/**
 * The strategies strategy-formulation keeps: each maps bars to a position in
 * [-1, 1] per bar using only data up to that bar. Prices enter through
 * differences only, so a mirrored series gives the opposite positions.
 *
 * `StrategyStream` computes all three one bar at a time (the agent's state,
 * keeping the last `keep` positions of each); `positions` is the same stream
 * run over a series from its first bar, so the two agree to the last bit.
 */
import { RollingWindow } from '../../../lib/agents/rolling';
import type { Candle } from '../../../types/market';

export type StrategyName = 'trend-following' | 'mean-reversion' | 'breakout';
export const STRATEGIES: readonly StrategyName[] = ['trend-following', 'mean-reversion', 'breakout'];

export interface StrategyParams {
  fast: number;
  slow: number;
  meanWindow: number;
  channel: number;
}

/**
 * The three strategies over a stream of bars:
 * - trend-following: EMA(fast) vs EMA(slow) of the closes (k = 2/(n+1), each
 *   seeded with the first close), long above, short below, flat for the first
 *   `slow` bars;
 * - mean-reversion: −z/2 (clipped to ±1) of the close against the mean and
 *   sample σ of the last `meanWindow` closes;
 * - breakout: a close beyond the prior `channel` bars' extreme sets the
 *   position, which holds until the opposite break.
 */
export class StrategyStream {
  /** Bars consumed. */
  count = 0;
  /** Positions of the last `keep` bars, per strategy (index as in STRATEGIES). */
  readonly pos: RollingWindow[];
  private readonly closes: RollingWindow;
  private readonly highs: RollingWindow;
  private readonly lows: RollingWindow;
  private readonly kFast: number;
  private readonly kSlow: number;
  private emaFast = 0;
  private emaSlow = 0;
  private z = 0;
  private cur = 0;
  /** How the last bar stands against its channel: +1 broke the high, −1 the low, 0 inside, NaN before `channel` bars. */
  private lastBreak = NaN;

  constructor(
    readonly p: StrategyParams,
    keep: number,
  ) {
    this.pos = STRATEGIES.map(() => new RollingWindow(keep));
    this.closes = new RollingWindow(p.meanWindow);
    this.highs = new RollingWindow(p.channel);
    this.lows = new RollingWindow(p.channel);
    this.kFast = 2 / (p.fast + 1);
    this.kSlow = 2 / (p.slow + 1);
  }

  push(b: Candle): void {
    const i = this.count++;
    const c = b.c;
    const p = this.p;
    // Trend-following.
    if (i === 0) {
      this.emaFast = c;
      this.emaSlow = c;
    } else {
      this.emaFast = this.emaFast + this.kFast * (c - this.emaFast);
      this.emaSlow = this.emaSlow + this.kSlow * (c - this.emaSlow);
    }
    const f = this.emaFast;
    const s = this.emaSlow;
    this.pos[0].push(i >= p.slow ? (f > s ? 1 : f < s ? -1 : 0) : 0);
    // Mean-reversion over the last meanWindow closes, this one included.
    this.closes.push(c);
    const w = p.meanWindow;
    let mr = 0;
    if (i >= w - 1) {
      const cl = this.closes;
      let m = 0;
      for (let j = 0; j < w; j++) m += cl.at(j);
      m /= w;
      let v = 0;
      for (let j = 0; j < w; j++) v += (cl.at(j) - m) ** 2;
      const sd = Math.sqrt(v / (w - 1));
      this.z = sd > 0 ? (c - m) / sd : 0;
      mr = Math.max(-1, Math.min(1, -this.z / 2));
    }
    this.pos[1].push(mr);
    // Breakout against the prior `channel` bars, this one excluded.
    const k = p.channel;
    if (i >= k) {
      let hi = -Infinity;
      let lo = Infinity;
      for (let j = 0; j < k; j++) {
        if (this.highs.at(j) > hi) hi = this.highs.at(j);
        if (this.lows.at(j) < lo) lo = this.lows.at(j);
      }
      this.lastBreak = c > hi ? 1 : c < lo ? -1 : 0;
      if (this.lastBreak !== 0) this.cur = this.lastBreak;
    }
    this.pos[2].push(this.cur);
    this.highs.push(b.h);
    this.lows.push(b.l);
  }

  /** A one-line reason for a strategy's position at the last bar. */
  why(name: StrategyName): string {
    const p = this.p;
    if (name === 'trend-following') return `EMA${p.fast} ${this.emaFast > this.emaSlow ? 'above' : this.emaFast < this.emaSlow ? 'below' : 'on'} EMA${p.slow}`;
    if (name === 'mean-reversion') return `close ${this.z >= 0 ? '+' : ''}${this.z.toFixed(2)}σ from its ${p.meanWindow}-bar mean`;
    const k = p.channel;
    const b = this.lastBreak;
    if (b !== b) return 'inside its channel';
    return b > 0 ? `close broke the ${k}-bar high` : b < 0 ? `close broke the ${k}-bar low` : this.cur > 0 ? `long since the last ${k}-bar high break` : this.cur < 0 ? `short since the last ${k}-bar low break` : `no ${k}-bar break yet`;
  }
}

/** Position per bar (index-aligned with `bars`, computed from the first of them) and a one-line reason for the last one. */
export function positions(name: StrategyName, bars: readonly Candle[], p: StrategyParams): { pos: Float64Array; why: string } {
  const st = new StrategyStream(p, 1);
  const k = STRATEGIES.indexOf(name);
  const pos = new Float64Array(bars.length);
  for (let i = 0; i < bars.length; i++) {
    st.push(bars[i]);
    pos[i] = st.pos[k].last();
  }
  return { pos, why: st.why(name) };
}

export interface Score {
  /** t-statistic of the per-bar P&L (mean / sd · √n). */
  t: number;
  /** Total P&L in price units over the window. */
  pnl: number;
  /** Bars in the window. */
  n: number;
}

/** Score positions over the last `window` bars: P&L_t = pos_{t−1}·(c_t − c_{t−1}). */
export function score(bars: readonly Candle[], pos: Float64Array, window: number): Score {
  return scoreOf(bars, pos, 0, window);
}

/** Scratch for a ring's positions (single-threaded, used within one call). */
let posBuf = new Float64Array(256);

/**
 * `score` with the positions of the last bars in a ring aligned on the end of
 * `bars` (its latest value is the position at the last bar); the ring must
 * hold `window` + 1 values, or all the bars.
 */
export function scoreRing(bars: readonly Candle[], pos: RollingWindow, window: number): Score {
  if (posBuf.length < pos.length) posBuf = new Float64Array(pos.length);
  const m = pos.copyTo(posBuf);
  return scoreOf(bars, posBuf, bars.length - m, window);
}

/** `score` with pos[i − offset] the position at bar i. */
function scoreOf(bars: readonly Candle[], pos: Float64Array, offset: number, window: number): Score {
  const n = bars.length;
  const from = Math.max(1, n - window);
  let s = 0;
  let ss = 0;
  let k = 0;
  for (let i = from; i < n; i++) {
    const x = pos[i - 1 - offset] * (bars[i].c - bars[i - 1].c);
    s += x;
    ss += x * x;
    k++;
  }
  if (k < 2) return { t: 0, pnl: s, n: k };
  const m = s / k;
  const v = (ss - k * m * m) / (k - 1);
  return { t: v > 0 ? (m / Math.sqrt(v)) * Math.sqrt(k) : 0, pnl: s, n: k };
}
