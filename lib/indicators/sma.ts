/**
 * SMA — simple moving average.
 *
 * TA-Lib convention (TA_SMA): lookback = period-1; a running sum is kept: add
 * the new value, divide by the period for the output, then subtract the value
 * leaving the window (so the sum holds period-1 values between steps). Same
 * operations in the same order as TA-Lib.
 */
import { atIndex, badValueAt, checkValue, float64, intParam, Ring, ScalarBase } from './base';

/**
 * Batch kernel, steady state: from index `from` on, the running-sum step of
 * SmaCore (sum += x; out = sum/p; sum −= the value leaving the window, read
 * from the input instead of a ring). Returns the index of the first non-finite
 * input, or −1.
 */
function smaKernel(xs: Float64Array, n: number, from: number, p: number, sum: number, out: Float64Array): number {
  for (let i = from; i < n; i++) {
    const x = xs[i];
    if (!(x - x === 0)) return i;
    sum += x;
    out[i] = sum / p;
    sum -= xs[i - p + 1];
  }
  return -1;
}

/** Running-sum SMA state machine; used by SMA itself and by STOCH's slow %K/%D. */
export class SmaCore {
  readonly ring: Ring;
  sum = 0;
  n = 0;
  value = NaN;
  private sSum = 0;
  private sN = 0;
  private sValue = NaN;
  constructor(readonly period: number) {
    this.ring = new Ring(period);
  }
  step(x: number): boolean {
    this.sum += x;
    this.ring.push(x);
    if (++this.n < this.period) return false;
    this.value = this.sum / this.period;
    // After the push, the ring's next slot holds the value leaving the window.
    this.sum -= this.ring.next();
    return true;
  }
  save(): void {
    this.sSum = this.sum;
    this.sN = this.n;
    this.sValue = this.value;
    this.ring.save();
  }
  restore(): void {
    this.sum = this.sSum;
    this.n = this.sN;
    this.value = this.sValue;
    this.ring.restore();
  }
  reset(): void {
    this.sum = 0;
    this.n = 0;
    this.value = NaN;
    this.ring.reset();
  }
}

export class Sma extends ScalarBase<number, 'values'> {
  readonly id: string;
  readonly lookback: number;
  readonly outputs = ['values'] as const;
  private readonly core: SmaCore;
  constructor(readonly period: number) {
    super();
    intParam('SMA', 'period', period, 1);
    this.id = `SMA_${period}`;
    this.lookback = period - 1;
    this.core = new SmaCore(period);
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
    // Warm-up and first output through `step`, then the kernel from that state.
    const s = new Sma(this.period);
    const w = Math.min(this.period, n);
    let i = 0;
    try {
      for (; i < w; i++) out[i] = s.step(xs[i]) ? s.core.value : NaN;
    } catch (e) {
      throw atIndex(e, i);
    }
    const bad = smaKernel(xs, n, w, this.period, s.core.sum, out);
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
