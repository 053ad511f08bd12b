/**
 * Returns and the basic sample statistics every other risk measure builds on.
 *
 * Conventions (numpy's, so results can be checked against it to the last digits):
 * - a return series has one element fewer than its price series; element i is the
 *   return from price i to price i+1;
 * - `mean` is the arithmetic mean; `std(xs, ddof)` divides by n − ddof
 *   (ddof 1 = sample standard deviation, numpy `std(ddof=1)`, pandas' default);
 * - `quantile(xs, p)` is numpy's default "linear" method (Hyndman & Fan type 7).
 */
import { DomainError } from '../errors';

export type ReturnKind = 'log' | 'simple';

function checkPrices(prices: ArrayLike<number>, kind: ReturnKind): void {
  for (let i = 0; i < prices.length; i++) {
    const p = prices[i];
    if (!Number.isFinite(p)) throw new DomainError('BAD_SERIES', `price at index ${i} is not a finite number (${p})`);
    if (kind === 'log' && p <= 0) throw new DomainError('BAD_SERIES', `log returns need positive prices; price at index ${i} is ${p}`);
    if (kind === 'simple' && p === 0 && i < prices.length - 1) throw new DomainError('BAD_SERIES', `simple returns divide by the price; price at index ${i} is 0`);
  }
}

/** Simple returns r_i = p_{i+1} / p_i − 1 of consecutive prices (length n − 1). */
export function simpleReturns(prices: ArrayLike<number>): number[] {
  checkPrices(prices, 'simple');
  const out = new Array<number>(Math.max(0, prices.length - 1));
  for (let i = 1; i < prices.length; i++) out[i - 1] = prices[i] / prices[i - 1] - 1;
  return out;
}

/** Log returns r_i = ln(p_{i+1} / p_i) of consecutive prices (length n − 1); prices must be > 0. */
export function logReturns(prices: ArrayLike<number>): number[] {
  checkPrices(prices, 'log');
  const out = new Array<number>(Math.max(0, prices.length - 1));
  for (let i = 1; i < prices.length; i++) out[i - 1] = Math.log(prices[i] / prices[i - 1]);
  return out;
}

/** Returns of the given kind. */
export function returnsOf(prices: ArrayLike<number>, kind: ReturnKind): number[] {
  return kind === 'log' ? logReturns(prices) : simpleReturns(prices);
}

/** Arithmetic mean; NaN for an empty series. */
export function mean(xs: ArrayLike<number>): number {
  const n = xs.length;
  if (n === 0) return NaN;
  let s = 0;
  for (let i = 0; i < n; i++) s += xs[i];
  return s / n;
}

/**
 * Standard deviation with `ddof` delta degrees of freedom: sqrt(Σ(x − x̄)² / (n − ddof)).
 * Two-pass (mean first) for accuracy. NaN when n ≤ ddof.
 */
export function std(xs: ArrayLike<number>, ddof = 1): number {
  const n = xs.length;
  if (n - ddof <= 0) return NaN;
  const m = mean(xs);
  let ss = 0;
  for (let i = 0; i < n; i++) {
    const d = xs[i] - m;
    ss += d * d;
  }
  return Math.sqrt(ss / (n - ddof));
}

/** Ascending copy as a Float64Array. */
export function sortedCopy(xs: ArrayLike<number>): Float64Array {
  return Float64Array.from(xs).sort();
}

/**
 * Empirical quantile of an ascending-sorted sample, numpy's default "linear" method:
 * h = (n − 1)·p, q = x[⌊h⌋] + (h − ⌊h⌋)·(x[⌊h⌋+1] − x[⌊h⌋]). p ∈ [0, 1].
 */
export function quantileSorted(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  if (!(p >= 0 && p <= 1)) throw new DomainError('BAD_LEVEL', `quantile level must be in [0, 1], got ${p}`);
  const h = (n - 1) * p;
  const lo = Math.floor(h);
  if (lo >= n - 1) return sorted[n - 1];
  const frac = h - lo;
  const a = sorted[lo];
  const b = sorted[lo + 1];
  return frac === 0 ? a : a + frac * (b - a);
}

/** Empirical quantile (numpy `quantile(xs, p)`, method "linear") of an unsorted sample. */
export function quantile(xs: ArrayLike<number>, p: number): number {
  return quantileSorted(sortedCopy(xs), p);
}

/** Compounded growth of simple returns: Π(1 + r_i) − 1. */
export function cumulativeReturn(simple: ArrayLike<number>): number {
  let g = 1;
  for (let i = 0; i < simple.length; i++) g *= 1 + simple[i];
  return g - 1;
}

/** Equity curve of simple returns starting at `start`: [start, start(1+r0), …] (length n + 1). */
export function equityCurve(simple: ArrayLike<number>, start = 1): number[] {
  const out = [start];
  let v = start;
  for (let i = 0; i < simple.length; i++) {
    v *= 1 + simple[i];
    out.push(v);
  }
  return out;
}

/** Pearson correlation of two equally long series; NaN if either is constant. */
export function correlation(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  if (n !== b.length) throw new DomainError('BAD_SERIES', `series lengths differ: ${n} vs ${b.length}`);
  if (n < 2) return NaN;
  const ma = mean(a);
  const mb = mean(b);
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
  return sab / Math.sqrt(saa * sbb);
}

/** Pearson correlation matrix of k equally long series (numpy `corrcoef`). Diagonal is exactly 1. */
export function correlationMatrix(series: ArrayLike<number>[]): number[][] {
  const k = series.length;
  const out: number[][] = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  for (let i = 0; i < k; i++) {
    out[i][i] = 1;
    for (let j = i + 1; j < k; j++) {
      const c = correlation(series[i], series[j]);
      out[i][j] = c;
      out[j][i] = c;
    }
  }
  return out;
}
