/**
 * INTERIM — replace with `lib/indicators` once it lands on main.
 *
 * The few batch indicators the built-in strategies need, full length with NaN
 * during warm-up (TA-Lib output alignment: value k uses inputs ≤ k).
 */

/** Simple moving average over `n` values; NaN for the first n−1. */
export function sma(x: Float64Array, n: number): Float64Array {
  const out = new Float64Array(x.length).fill(NaN);
  let sum = 0;
  for (let k = 0; k < x.length; k++) {
    sum += x[k];
    if (k >= n) sum -= x[k - n];
    if (k >= n - 1) out[k] = sum / n;
  }
  return out;
}

/**
 * RSI with Wilder smoothing (TA-Lib): the first value at index n averages the
 * first n gains/losses; NaN before it.
 */
export function rsi(x: Float64Array, n: number): Float64Array {
  const out = new Float64Array(x.length).fill(NaN);
  if (x.length <= n) return out;
  let gain = 0;
  let loss = 0;
  for (let k = 1; k <= n; k++) {
    const d = x[k] - x[k - 1];
    if (d > 0) gain += d;
    else loss -= d;
  }
  gain /= n;
  loss /= n;
  out[n] = gain + loss === 0 ? 0 : (100 * gain) / (gain + loss);
  for (let k = n + 1; k < x.length; k++) {
    const d = x[k] - x[k - 1];
    gain = (gain * (n - 1) + (d > 0 ? d : 0)) / n;
    loss = (loss * (n - 1) + (d < 0 ? -d : 0)) / n;
    out[k] = gain + loss === 0 ? 0 : (100 * gain) / (gain + loss);
  }
  return out;
}

/** Highest value of the `n` values ending at k (inclusive); NaN for the first n−1. */
export function highest(x: Float64Array, n: number): Float64Array {
  return rollingExtreme(x, n, true);
}

/** Lowest value of the `n` values ending at k (inclusive); NaN for the first n−1. */
export function lowest(x: Float64Array, n: number): Float64Array {
  return rollingExtreme(x, n, false);
}

function rollingExtreme(x: Float64Array, n: number, max: boolean): Float64Array {
  const out = new Float64Array(x.length).fill(NaN);
  const q = new Int32Array(x.length); // monotonic deque of indices
  let head = 0;
  let tail = 0;
  for (let k = 0; k < x.length; k++) {
    while (tail > head && (max ? x[q[tail - 1]] <= x[k] : x[q[tail - 1]] >= x[k])) tail--;
    q[tail++] = k;
    if (q[head] <= k - n) head++;
    if (k >= n - 1) out[k] = x[q[head]];
  }
  return out;
}
