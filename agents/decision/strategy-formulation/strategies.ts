/**
 * The strategies strategy-formulation keeps: each maps bars to a position in
 * [-1, 1] per bar using only data up to that bar. Prices enter through
 * differences only, so a mirrored series gives the opposite positions.
 */
import type { Candle } from '../../../types/market';
import { emaSeries } from '../../../lib/agents/stats';

export type StrategyName = 'trend-following' | 'mean-reversion' | 'breakout';
export const STRATEGIES: readonly StrategyName[] = ['trend-following', 'mean-reversion', 'breakout'];

export interface StrategyParams {
  fast: number;
  slow: number;
  meanWindow: number;
  channel: number;
}

/** Position per bar (index-aligned with `bars`) and a one-line reason for the last one. */
export function positions(name: StrategyName, bars: readonly Candle[], p: StrategyParams): { pos: Float64Array; why: string } {
  const n = bars.length;
  const pos = new Float64Array(n);
  const c = bars.map((b) => b.c);
  if (name === 'trend-following') {
    const f = emaSeries(c, p.fast);
    const s = emaSeries(c, p.slow);
    for (let i = p.slow; i < n; i++) pos[i] = f[i] > s[i] ? 1 : f[i] < s[i] ? -1 : 0;
    const last = n - 1;
    return { pos, why: `EMA${p.fast} ${f[last] > s[last] ? 'above' : f[last] < s[last] ? 'below' : 'on'} EMA${p.slow}` };
  }
  if (name === 'mean-reversion') {
    const w = p.meanWindow;
    let z = 0;
    for (let i = w - 1; i < n; i++) {
      let m = 0;
      for (let j = i - w + 1; j <= i; j++) m += c[j];
      m /= w;
      let v = 0;
      for (let j = i - w + 1; j <= i; j++) v += (c[j] - m) ** 2;
      const sd = Math.sqrt(v / (w - 1));
      z = sd > 0 ? (c[i] - m) / sd : 0;
      pos[i] = Math.max(-1, Math.min(1, -z / 2));
    }
    return { pos, why: `close ${z >= 0 ? '+' : ''}${z.toFixed(2)}σ from its ${w}-bar mean` };
  }
  // breakout: a close beyond the prior `channel` bars' extreme sets the position, which holds until the opposite break.
  const k = p.channel;
  let cur = 0;
  let why = 'inside its channel';
  for (let i = k; i < n; i++) {
    let hi = -Infinity;
    let lo = Infinity;
    for (let j = i - k; j < i; j++) {
      if (bars[j].h > hi) hi = bars[j].h;
      if (bars[j].l < lo) lo = bars[j].l;
    }
    if (c[i] > hi) cur = 1;
    else if (c[i] < lo) cur = -1;
    pos[i] = cur;
    if (i === n - 1) why = c[i] > hi ? `close broke the ${k}-bar high` : c[i] < lo ? `close broke the ${k}-bar low` : cur > 0 ? `long since the last ${k}-bar high break` : cur < 0 ? `short since the last ${k}-bar low break` : `no ${k}-bar break yet`;
  }
  return { pos, why };
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
  const n = bars.length;
  const from = Math.max(1, n - window);
  let s = 0;
  let ss = 0;
  let k = 0;
  for (let i = from; i < n; i++) {
    const x = pos[i - 1] * (bars[i].c - bars[i - 1].c);
    s += x;
    ss += x * x;
    k++;
  }
  if (k < 2) return { t: 0, pnl: s, n: k };
  const m = s / k;
  const v = (ss - k * m * m) / (k - 1);
  return { t: v > 0 ? (m / Math.sqrt(v)) * Math.sqrt(k) : 0, pnl: s, n: k };
}
