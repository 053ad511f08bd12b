/** Small numeric helpers for agents. Sample statistics use n−1 unless noted. */

export function mean(xs: ArrayLike<number>, from = 0, to = xs.length): number {
  let s = 0;
  for (let i = from; i < to; i++) s += xs[i];
  return to > from ? s / (to - from) : NaN;
}

/** Sample standard deviation (n−1). */
export function stdev(xs: ArrayLike<number>, from = 0, to = xs.length): number {
  const n = to - from;
  if (n < 2) return NaN;
  const m = mean(xs, from, to);
  let s = 0;
  for (let i = from; i < to; i++) s += (xs[i] - m) ** 2;
  return Math.sqrt(s / (n - 1));
}

/** Log returns ln(cᵢ/cᵢ₋₁) of a price series (length n−1). */
export function logReturns(closes: ArrayLike<number>): Float64Array {
  const out = new Float64Array(Math.max(0, closes.length - 1));
  for (let i = 1; i < closes.length; i++) out[i - 1] = Math.log(closes[i] / closes[i - 1]);
  return out;
}

export interface Regression {
  /** Change of y per step of x. */
  slope: number;
  intercept: number;
  /** Coefficient of determination in [0, 1]. */
  r2: number;
  /** Standard deviation of the residuals (n−2). */
  residualSd: number;
}

/** Least-squares line through (i, ys[i]), i = 0…n−1. */
export function linearRegression(ys: ArrayLike<number>): Regression {
  const n = ys.length;
  if (n < 3) return { slope: 0, intercept: n > 0 ? ys[0] : 0, r2: 0, residualSd: 0 };
  const mx = (n - 1) / 2;
  const my = mean(ys);
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = i - mx;
    const dy = ys[i] - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  const slope = sxy / sxx;
  const intercept = my - slope * mx;
  const r2 = syy > 0 ? (sxy * sxy) / (sxx * syy) : 0;
  const sse = Math.max(0, syy - slope * sxy);
  return { slope, intercept, r2, residualSd: Math.sqrt(sse / (n - 2)) };
}

/**
 * Fraction of `sample` strictly below x plus half of the ties, in [0, 1] (0.5
 * for an empty sample). With `tol` > 0, values within `tol` of x are ties:
 * readings equal in exact arithmetic (an RSI left unchanged by a flat bar)
 * can differ in their last bits, and which way depends on rounding.
 */
export function percentileRank(sample: ArrayLike<number>, x: number, tol = 0): number {
  if (sample.length === 0) return 0.5;
  const lo = x - tol;
  const hi = x + tol;
  let below = 0;
  let eq = 0;
  for (let i = 0; i < sample.length; i++) {
    const v = sample[i];
    if (v < lo) below++;
    else if (v <= hi) eq++;
  }
  return (below + eq / 2) / sample.length;
}

/** q-quantile (0..1) by linear interpolation of a copy sorted ascending. */
export function quantile(xs: ArrayLike<number>, q: number): number {
  if (xs.length === 0) return NaN;
  const s = Float64Array.from(xs).sort();
  const r = q * (s.length - 1);
  const lo = Math.floor(r);
  const hi = Math.ceil(r);
  return s[lo] + (s[hi] - s[lo]) * (r - lo);
}

/** Order statistics up to this rank are found by keeping the smallest values rather than by quickselect. */
const SMALL_RANK = 32;
const smallest = new Float64Array(SMALL_RANK);
let selectScratch = new Float64Array(256);

/**
 * q-quantile (0..1) of xs[0..n) by linear interpolation, exactly as
 * `quantile` (a NaN sorts last), without a sort and without changing xs:
 * for a low quantile (a 1% VaR) by keeping the few smallest values, one
 * comparison per value in the common case; otherwise by quickselect on a
 * scratch copy. O(n).
 */
export function quantileSelect(xs: ArrayLike<number>, n: number, q: number): number {
  if (n === 0) return NaN;
  const r = q * (n - 1);
  const lo = Math.floor(r);
  const hi = Math.ceil(r);
  if (hi < SMALL_RANK) {
    const keep = hi + 1;
    const low = smallest;
    let m = 0;
    for (let i = 0; i < n; i++) {
      const x = xs[i];
      if (m === keep && x >= low[m - 1]) continue;
      if (x !== x) return quantile(Array.prototype.slice.call(xs, 0, n) as number[], q);
      let j = m < keep ? m++ : m - 1;
      while (j > 0 && low[j - 1] > x) {
        low[j] = low[j - 1];
        j--;
      }
      low[j] = x;
    }
    return low[lo] + (low[hi] - low[lo]) * (r - lo);
  }
  if (selectScratch.length < n) selectScratch = new Float64Array(n);
  const a = selectScratch;
  for (let i = 0; i < n; i++) {
    const x = xs[i];
    if (x !== x) return quantile(Array.prototype.slice.call(xs, 0, n) as number[], q);
    a[i] = x;
  }
  const v = selectKth(a, n, lo);
  if (hi === lo) return v;
  // Everything after index lo is ≥ v: the next order statistic is their minimum.
  let w = Infinity;
  for (let i = lo + 1; i < n; i++) if (a[i] < w) w = a[i];
  return v + (w - v) * (r - lo);
}

/** The k-th smallest (0-based) of xs[0..n), moved to xs[k] with smaller-or-equal values before it and larger-or-equal after (Hoare quickselect, median-of-three pivot). */
export function selectKth(xs: Float64Array, n: number, k: number): number {
  let left = 0;
  let right = n - 1;
  while (right > left) {
    const mid = (left + right) >> 1;
    // Median of three as the pivot.
    const a = xs[left];
    const b = xs[mid];
    const c = xs[right];
    const pivot = a < b ? (b < c ? b : a < c ? c : a) : a < c ? a : b < c ? c : b;
    let i = left;
    let j = right;
    while (i <= j) {
      while (xs[i] < pivot) i++;
      while (xs[j] > pivot) j--;
      if (i <= j) {
        const t = xs[i];
        xs[i] = xs[j];
        xs[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) right = j;
    else if (k >= i) left = i;
    else break;
  }
  return xs[k];
}

/** q-quantile (0..1) of a sample already sorted ascending (no copy). */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return NaN;
  const r = q * (sorted.length - 1);
  const lo = Math.floor(r);
  const hi = Math.ceil(r);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (r - lo);
}

/** Percentile rank (see `percentileRank`) in a sample sorted ascending, by binary search. */
export function percentileRankSorted(sorted: ArrayLike<number>, x: number): number {
  const n = sorted.length;
  if (n === 0) return 0.5;
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const m = (lo + hi) >> 1;
    if (sorted[m] < x) lo = m + 1;
    else hi = m;
  }
  const below = lo;
  hi = n;
  while (lo < hi) {
    const m = (lo + hi) >> 1;
    if (sorted[m] <= x) lo = m + 1;
    else hi = m;
  }
  return (below + (lo - below) / 2) / n;
}

export function median(xs: ArrayLike<number>): number {
  return quantile(xs, 0.5);
}

/** Pearson correlation of two equal-length series; 0 when either is flat. */
export function correlation(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = Math.min(a.length, b.length);
  if (n < 3) return 0;
  const ma = mean(a, 0, n);
  const mb = mean(b, 0, n);
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    const da = a[i] - ma;
    const db = b[i] - mb;
    sab += da * db;
    saa += da * da;
    sbb += db * db;
  }
  return saa > 0 && sbb > 0 ? sab / Math.sqrt(saa * sbb) : 0;
}

/** Exponential decay weight for an age, with a half-life in the same unit: 0.5^(age/halfLife). */
export function decay(age: number, halfLife: number): number {
  return Math.pow(0.5, Math.max(0, age) / halfLife);
}

/** Exponential moving average series, k = 2/(n+1), seeded with the first value (NaN-free; warm-up bias is the caller's concern). */
export function emaSeries(xs: ArrayLike<number>, n: number): Float64Array {
  const out = new Float64Array(xs.length);
  const k = 2 / (n + 1);
  let e = xs.length > 0 ? xs[0] : 0;
  for (let i = 0; i < xs.length; i++) {
    e = i === 0 ? xs[0] : e + k * (xs[i] - e);
    out[i] = e;
  }
  return out;
}
