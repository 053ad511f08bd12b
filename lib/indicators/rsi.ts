/**
 * RSI — Wilder's relative strength index.
 *
 * TA-Lib convention (TA_RSI, default compatibility, unstable period 0):
 * lookback = period (period ≥ 2). The first output averages the first
 * `period` gains and losses (simple sums divided by the period); afterwards
 * Wilder smoothing as three separate operations: avg *= period-1; avg += move;
 * avg /= period. RSI = 100 * gain / (gain + loss), and 0 when gain + loss is
 * zero (TA_IS_ZERO), so a flat series gives 0, not 50 or NaN.
 */
import { atIndex, badValueAt, checkValue, float64, intParam, isZero, ScalarBase, TA_EPSILON } from './base';

/**
 * Batch kernel, steady state: from index `from` on, RsiCore's Wilder step
 * (avg·(p−1) ∓ move, then /p, for losses and gains) and output, the same
 * operations in the same order. Returns the index of the first non-finite
 * input, or −1.
 */
function rsiKernel(xs: Float64Array, n: number, from: number, p: number, prev: number, gain: number, loss: number, out: Float64Array): number {
  const pm1 = p - 1;
  const eps = TA_EPSILON;
  for (let i = from; i < n; i++) {
    const x = xs[i];
    if (!(x - x === 0)) return i;
    const d = x - prev;
    prev = x;
    const down = d < 0 ? d : 0;
    const up = d < 0 ? 0 : d;
    loss = (loss * pm1 - down) / p;
    gain = (gain * pm1 + up) / p;
    const s = gain + loss;
    // isZero(s), inline
    out[i] = s > -eps && s < eps ? 0 : 100 * (gain / s);
  }
  return -1;
}

/** Wilder RSI state machine; shared by RSI and Stochastic RSI. */
export class RsiCore {
  n = 0;
  prev = 0;
  gain = 0;
  loss = 0;
  value = NaN;
  private sN = 0;
  private sPrev = 0;
  private sGain = 0;
  private sLoss = 0;
  private sValue = NaN;
  constructor(readonly period: number) {}
  step(x: number): boolean {
    const n = this.n++;
    if (n === 0) {
      this.prev = x;
      return false;
    }
    const p = this.period;
    const d = x - this.prev;
    this.prev = x;
    // TA-Lib: if (d < 0) loss -= d; else gain += d. Written as selects (adding or
    // subtracting an exact 0 leaves the other sum unchanged) to avoid a
    // mispredicted branch on every other bar; the arithmetic is identical.
    const down = d < 0 ? d : 0;
    const up = d < 0 ? 0 : d;
    if (n > p) {
      this.loss = (this.loss * (p - 1) - down) / p;
      this.gain = (this.gain * (p - 1) + up) / p;
    } else {
      this.loss -= down;
      this.gain += up;
      if (n < p) return false;
      this.loss /= p;
      this.gain /= p;
    }
    const s = this.gain + this.loss;
    this.value = isZero(s) ? 0 : 100 * (this.gain / s);
    return true;
  }
  save(): void {
    this.sN = this.n;
    this.sPrev = this.prev;
    this.sGain = this.gain;
    this.sLoss = this.loss;
    this.sValue = this.value;
  }
  restore(): void {
    this.n = this.sN;
    this.prev = this.sPrev;
    this.gain = this.sGain;
    this.loss = this.sLoss;
    this.value = this.sValue;
  }
  reset(): void {
    this.n = 0;
    this.prev = 0;
    this.gain = 0;
    this.loss = 0;
    this.value = NaN;
  }
}

export class Rsi extends ScalarBase<number, 'values'> {
  readonly id: string;
  readonly lookback: number;
  readonly outputs = ['values'] as const;
  private readonly core: RsiCore;
  constructor(readonly period = 14) {
    super();
    intParam('RSI', 'period', period, 2);
    this.id = `RSI_${period}`;
    this.lookback = period;
    this.core = new RsiCore(period);
  }
  step(x: number): boolean {
    if (!(x - x === 0)) checkValue(this.id, x);
    this.n++;
    return this.core.step(x);
  }
  computeTyped(series: ArrayLike<number>): { values: Float64Array } {
    const xs = float64(series);
    const n = xs.length;
    const out = new Float64Array(n);
    // Warm-up and the first (simple-average) output through `step`, then the kernel from that state.
    const s = new Rsi(this.period);
    const w = Math.min(this.period + 1, n);
    let i = 0;
    try {
      for (; i < w; i++) out[i] = s.step(xs[i]) ? s.core.value : NaN;
    } catch (e) {
      throw atIndex(e, i);
    }
    const c = s.core;
    const bad = rsiKernel(xs, n, w, this.period, c.prev, c.gain, c.loss, out);
    if (bad >= 0) throw badValueAt(this.id, xs, bad);
    return { values: out };
  }
  protected save(): void {
    this.core.save();
  }
  protected restore(): void {
    this.core.restore();
  }
  protected clear(): void {
    this.core.reset();
  }
  protected result(): number {
    return this.core.value;
  }
}
