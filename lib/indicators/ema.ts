/**
 * EMA — exponential moving average.
 *
 * TA-Lib convention (TA_EMA, default compatibility): lookback = period-1;
 * k = 2/(period+1); the first output is the SMA of the first `period` inputs
 * (summed from 0 in input order, then divided by the period); afterwards
 * ema = (x - ema) * k + ema, exactly TA-Lib's operation order.
 */
import { atIndex, checkValue, intParam, nanArray, ScalarBase } from './base';

/** EMA state machine seeded by the SMA of its first `period` inputs; shared by MACD, DEMA, TEMA, Keltner. */
export class EmaCore {
  readonly k: number;
  sum = 0;
  n = 0;
  value = NaN;
  private sSum = 0;
  private sN = 0;
  private sValue = NaN;
  constructor(readonly period: number) {
    this.k = 2.0 / (period + 1);
  }
  step(x: number): boolean {
    const n = ++this.n;
    if (n > this.period) {
      this.value = (x - this.value) * this.k + this.value;
      return true;
    }
    this.sum += x;
    if (n < this.period) return false;
    this.value = this.sum / this.period;
    return true;
  }
  save(): void {
    this.sSum = this.sum;
    this.sN = this.n;
    this.sValue = this.value;
  }
  restore(): void {
    this.sum = this.sSum;
    this.n = this.sN;
    this.value = this.sValue;
  }
  reset(): void {
    this.sum = 0;
    this.n = 0;
    this.value = NaN;
  }
}

export class Ema extends ScalarBase<number, 'values'> {
  readonly id: string;
  readonly lookback: number;
  readonly outputs = ['values'] as const;
  private readonly core: EmaCore;
  constructor(readonly period: number) {
    super();
    intParam('EMA', 'period', period, 1);
    this.id = `EMA_${period}`;
    this.lookback = period - 1;
    this.core = new EmaCore(period);
  }
  step(x: number): boolean {
    if (!(x - x === 0)) checkValue(this.id, x);
    this.n++;
    return this.core.step(x);
  }
  computeTyped(xs: ArrayLike<number>): { values: Float64Array } {
    const s = new Ema(this.period);
    const n = xs.length;
    // Result built before the loop: code after an on-stack-replaced loop has no type feedback.
    const res = { values: nanArray(n) };
    const out = res.values;
    let i = 0;
    try {
      for (; i < n; i++) if (s.step(xs[i])) out[i] = s.core.value;
    } catch (e) {
      throw atIndex(e, i);
    }
    return res;
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
