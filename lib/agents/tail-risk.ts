/**
 * Historical tail risk of a return series: Value at Risk and Expected
 * Shortfall over a horizon of h bars, as positive fractions (a loss of 2% is 0.02).
 */
import { quantileSelect } from './stats';

export interface TailRisk {
  /** Loss not exceeded with probability `level` over the horizon. */
  var: number;
  /** Mean loss beyond the VaR. */
  es: number;
  /** Horizon returns used; when too few, 1-bar figures scaled by √h. */
  samples: number;
  scaled: boolean;
}

/** Scratch for the horizon sums (single-threaded, used within one call). */
let sumsBuf = new Float64Array(512);

/**
 * Historical VaR/ES of h-bar log returns (overlapping sums of 1-bar returns).
 * Needs `minSamples` horizon returns; else uses 1-bar figures × √h.
 * The quantile is found by selection, not a sort (same value).
 */
export function historicalTailRisk(returns: ArrayLike<number>, h: number, level = 0.99, minSamples = 100): TailRisk {
  const n = returns.length;
  if (sumsBuf.length < n) sumsBuf = new Float64Array(n);
  const sums = sumsBuf;
  let m = 0;
  let scaled = false;
  if (n - h + 1 >= minSamples) {
    let s = 0;
    for (let i = 0; i < n; i++) {
      s += returns[i];
      if (i >= h) s -= returns[i - h];
      if (i >= h - 1) sums[m++] = s;
    }
  } else {
    scaled = true;
    for (let i = 0; i < n; i++) sums[m++] = returns[i];
  }
  if (m === 0) return { var: 0, es: 0, samples: 0, scaled };
  const q = quantileSelect(sums, m, 1 - level);
  let tail = 0;
  let k = 0;
  for (let i = 0; i < m; i++) {
    const r = sums[i];
    if (r <= q) {
      tail += r;
      k++;
    }
  }
  const k2 = scaled ? Math.sqrt(h) : 1;
  // Log-return losses to simple-return losses: 1 − e^r.
  const v = Math.max(0, 1 - Math.exp(q * k2));
  const es = k > 0 ? Math.max(v, 1 - Math.exp((tail / k) * k2)) : v;
  return { var: v, es, samples: m, scaled };
}
