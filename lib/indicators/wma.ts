/**
 * WMA — linearly weighted moving average (weights 1..period, newest heaviest).
 *
 * TA-Lib convention (TA_WMA): lookback = period-1; divider = period(period+1)/2;
 * TA-Lib's running form: periodSub (plain sum) and periodSum (weighted sum)
 * are updated per bar (sub += x; sub -= trailing; sum += x·period; output
 * sum/divider; sum -= sub) in that order. Period 1 returns the input.
 */
import { atIndex, badValueAt, checkValue, float64, intParam, Ring, ScalarBase } from './base';

/**
 * Batch kernel, steady state (window full, period ≥ 2): from index `from` on,
 * `step`'s running update with the trailing value read from the input
 * instead of the ring. Returns the index of the first non-finite input, or −1.
 */
function wmaKernel(xs: Float64Array, n: number, from: number, p: number, divider: number, sum: number, sub: number, trailing: number, out: Float64Array): number {
  for (let i = from; i < n; i++) {
    const x = xs[i];
    if (!(x - x === 0)) return i;
    sub += x;
    sub -= trailing;
    sum += x * p;
    trailing = xs[i - p + 1];
    out[i] = sum / divider;
    sum -= sub;
  }
  return -1;
}

export class Wma extends ScalarBase<number, 'values'> {
  readonly id: string;
  readonly lookback: number;
  readonly outputs = ['values'] as const;
  private readonly ring: Ring;
  private readonly divider: number;
  private sum = 0;
  private sub = 0;
  private trailing = 0;
  value = NaN;
  private sSum = 0;
  private sSub = 0;
  private sTrailing = 0;
  private sValue = NaN;

  constructor(readonly period = 20) {
    super();
    intParam('WMA', 'period', period, 1);
    this.id = `WMA_${period}`;
    this.lookback = period - 1;
    this.ring = new Ring(period);
    this.divider = (period * (period + 1)) >> 1;
  }

  step(x: number): boolean {
    if (!(x - x === 0)) checkValue(this.id, x);
    const p = this.period;
    const i = this.n++;
    if (p === 1) {
      this.value = x;
      return true;
    }
    this.ring.push(x);
    if (i < p - 1) {
      this.sub += x;
      this.sum += x * (i + 1);
      return false;
    }
    this.sub += x;
    this.sub -= this.trailing;
    this.sum += x * p;
    // Oldest value of the current window; subtracted from `sub` at the next bar.
    this.trailing = this.ring.next();
    this.value = this.sum / this.divider;
    this.sum -= this.sub;
    return true;
  }

  computeTyped(series: ArrayLike<number>): { values: Float64Array } {
    const xs = float64(series);
    const n = xs.length;
    const out = new Float64Array(n);
    // Warm-up and first output through `step` (period 1, the identity, entirely), then the kernel.
    const s = new Wma(this.period);
    const w = this.period === 1 ? n : Math.min(this.period, n);
    let i = 0;
    try {
      for (; i < w; i++) out[i] = s.step(xs[i]) ? s.value : NaN;
    } catch (e) {
      throw atIndex(e, i);
    }
    const bad = wmaKernel(xs, n, w, this.period, this.divider, s.sum, s.sub, s.trailing, out);
    if (bad >= 0) throw badValueAt(this.id, xs, bad);
    return { values: out };
  }
  protected save(): void {
    this.ring.save();
    this.sSum = this.sum;
    this.sSub = this.sub;
    this.sTrailing = this.trailing;
    this.sValue = this.value;
  }
  protected restore(): void {
    this.ring.restore();
    this.sum = this.sSum;
    this.sub = this.sSub;
    this.trailing = this.sTrailing;
    this.value = this.sValue;
  }
  protected clear(): void {
    this.ring.reset();
    this.sum = this.sub = this.trailing = 0;
    this.value = NaN;
  }
  protected result(): number {
    return this.value;
  }
}
