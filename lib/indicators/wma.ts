/**
 * WMA — linearly weighted moving average (weights 1..period, newest heaviest).
 *
 * TA-Lib convention (TA_WMA): lookback = period-1; divider = period(period+1)/2;
 * TA-Lib's running form: periodSub (plain sum) and periodSum (weighted sum)
 * are updated per bar (sub += x; sub -= trailing; sum += x·period; output
 * sum/divider; sum -= sub) in that order. Period 1 returns the input.
 */
import { atIndex, checkValue, intParam, nanArray, Ring, ScalarBase } from './base';

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

  computeTyped(xs: ArrayLike<number>): { values: Float64Array } {
    const s = new Wma(this.period);
    const n = xs.length;
    // Result built before the loop: code after an on-stack-replaced loop has no type feedback.
    const res = { values: nanArray(n) };
    const out = res.values;
    let i = 0;
    try {
      for (; i < n; i++) if (s.step(xs[i])) out[i] = s.value;
    } catch (e) {
      throw atIndex(e, i);
    }
    return res;
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
