/**
 * Market regimes (trending / ranging / volatile) from a 3-state Gaussian HMM
 * over three per-bar features of the last `window` bars:
 *
 *   efficiency   ER = |c_t − c_{t−w}| / Σ|Δc|  ∈ [0, 1] (1 = a straight line),
 *   log volatility ratio  ln(σ_w / σ_L): σ of the last w log returns against
 *                the last L (the symbol's own normal),
 *   trend size   |ln(c_t / c_{t−w})| / (σ_L·√w)  (the move in its own σ units).
 *
 * States get their names from their fitted means: the state with the highest
 * volatility ratio is `volatile`; of the other two, the one with the higher
 * efficiency is `trending`, the other `ranging`. The fit starts from data
 * quantiles (no randomness), so the same bars give the same model.
 */
import type { Candle } from '../../types/market';
import { REGIME_LABELS, RegimeLabel } from '../../types/events';
import { fitGaussianHmm, filterStates, forwardStep, GaussianHmm, stateMean } from './hmm';
import { quantile } from '../agents/stats';

export interface RegimeFeatures {
  efficiency: number;
  /** σ_w / σ_L. */
  volRatio: number;
  /** ln(c_t / c_{t−w}), signed. */
  move: number;
  /** |move| / (σ_L·√w). */
  trendSize: number;
}

export interface RegimeWindows {
  /** Bars of the short window w. */
  window: number;
  /** Bars of the long volatility window L (≥ w). */
  volWindow: number;
}

/** Features at bar index i (needs i ≥ volWindow; null before). O(volWindow). */
export function featuresAt(bars: readonly Pick<Candle, 'c'>[], i: number, w: RegimeWindows): RegimeFeatures | null {
  if (i < w.volWindow || i >= bars.length) return null;
  let path = 0;
  for (let j = i - w.window + 1; j <= i; j++) path += Math.abs(bars[j].c - bars[j - 1].c);
  // σ of log returns r_j = ln(c_j / c_{j−1}) over the short and the long window ending at i
  let ss = 0, ss2 = 0, ls = 0, ls2 = 0;
  for (let j = i - w.volWindow + 1; j <= i; j++) {
    const r = Math.log(bars[j].c / bars[j - 1].c);
    ls += r;
    ls2 += r * r;
    if (j > i - w.window) {
      ss += r;
      ss2 += r * r;
    }
  }
  const sdOf = (s: number, s2: number, n: number) => (n > 1 ? Math.sqrt(Math.max(0, (s2 - (s * s) / n) / (n - 1))) : 0);
  const sw = sdOf(ss, ss2, w.window);
  const sl = sdOf(ls, ls2, w.volWindow);
  const move = Math.log(bars[i].c / bars[i - w.window].c);
  return {
    efficiency: path > 0 ? Math.abs(bars[i].c - bars[i - w.window].c) / path : 0,
    volRatio: sl > 0 ? sw / sl : 1,
    move,
    trendSize: sl > 0 ? Math.abs(move) / (sl * Math.sqrt(w.window)) : 0,
  };
}

/** Features at every bar index (null before volWindow). */
export function regimeFeatures(bars: readonly Pick<Candle, 'c'>[], w: RegimeWindows): (RegimeFeatures | null)[] {
  return bars.map((_, i) => featuresAt(bars, i, w));
}

/** The HMM's observation row of a feature set. */
export function featureRow(f: RegimeFeatures): [number, number] {
  return [f.efficiency, Math.log(Math.max(f.volRatio, 1e-6))];
}

export interface RegimeModel {
  hmm: GaussianHmm;
  /** Regime name of each HMM state. */
  labels: RegimeLabel[];
  /** Observations it was fitted on. */
  n: number;
}

/** Name the states of a fitted 3-state model (see the file comment). */
export function labelStates(hmm: GaussianHmm): RegimeLabel[] {
  const idx = [0, 1, 2];
  const volatile = idx.reduce((a, b) => (stateMean(hmm, b, 1) > stateMean(hmm, a, 1) ? b : a));
  const rest = idx.filter((j) => j !== volatile);
  const trending = stateMean(hmm, rest[0], 0) >= stateMean(hmm, rest[1], 0) ? rest[0] : rest[1];
  const labels: RegimeLabel[] = ['ranging', 'ranging', 'ranging'];
  labels[volatile] = 'volatile';
  labels[trending] = 'trending';
  return labels;
}

/**
 * Fit the regime HMM on observation rows (at least 30). With `previous`, a warm
 * refit: start from its parameters and run at most `maxIterations` (default 5)
 * EM steps, which keeps a refit cheap enough for the update path.
 */
export function fitRegimeModel(rows: readonly [number, number][], previous?: RegimeModel, maxIterations = 5): RegimeModel {
  if (previous) {
    const p = previous.hmm;
    const initMeans = [0, 1, 2].map((j) => [p.means[j * p.d], p.means[j * p.d + 1]]);
    const hmm = fitGaussianHmm(rows, { initMeans, warm: p, maxIterations });
    return { hmm, labels: labelStates(hmm), n: rows.length };
  }
  const col = (q: number) => rows.map((r) => r[q]);
  const er = col(0);
  const lv = col(1);
  const initMeans = [
    [quantile(er, 0.25), quantile(lv, 0.4)], // ranging
    [quantile(er, 0.85), quantile(lv, 0.5)], // trending
    [quantile(er, 0.5), quantile(lv, 0.92)], // volatile
  ];
  const hmm = fitGaussianHmm(rows, { initMeans, maxIterations: 60, stay: 0.95 });
  return { hmm, labels: labelStates(hmm), n: rows.length };
}

/** Regime probabilities of the last row of `rows`, filtered forward through all of them. */
export function regimeProbabilities(model: RegimeModel, rows: readonly [number, number][]): Record<RegimeLabel, number> {
  const f = filterStates(model.hmm, rows);
  const last = f[f.length - 1];
  const p: Record<RegimeLabel, number> = { trending: 0, ranging: 0, volatile: 0 };
  model.labels.forEach((l, j) => (p[l] += last[j]));
  return p;
}

/** Regime probabilities after one more observation, from the previous filtered state probabilities. */
export function stepRegime(model: RegimeModel, prev: Float64Array | null, row: readonly [number, number]): { state: Float64Array; p: Record<RegimeLabel, number> } {
  const state = forwardStep(model.hmm, prev, row);
  const p: Record<RegimeLabel, number> = { trending: 0, ranging: 0, volatile: 0 };
  model.labels.forEach((l, j) => (p[l] += state[j]));
  return { state, p };
}

/** The most probable regime (ties: the first in trending, ranging, volatile order). */
export function topRegime(p: Record<RegimeLabel, number>): RegimeLabel {
  return REGIME_LABELS.reduce((a, b) => (p[b] > p[a] ? b : a));
}
