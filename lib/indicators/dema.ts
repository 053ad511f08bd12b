/**
 * DEMA — double exponential moving average: 2·EMA − EMA(EMA).
 *
 * TA-Lib convention (TA_DEMA): lookback = 2·(period−1); both EMAs are
 * SMA-seeded TA-Lib EMAs (the second seeded by the mean of the first `period`
 * values of the first); output 2.0·e1 − e2.
 */
import { atIndex, checkValue, intParam, nanArray, ScalarBase } from './base';
import { EmaCore } from './ema';

export class Dema extends ScalarBase<number, 'values'> {
  readonly id: string;
  readonly lookback: number;
  readonly outputs = ['values'] as const;
  private readonly e1: EmaCore;
  private readonly e2: EmaCore;
  value = NaN;
  private sValue = NaN;

  constructor(readonly period = 20) {
    super();
    intParam('DEMA', 'period', period, 1);
    this.id = `DEMA_${period}`;
    this.lookback = 2 * (period - 1);
    this.e1 = new EmaCore(period);
    this.e2 = new EmaCore(period);
  }

  step(x: number): boolean {
    if (!(x - x === 0)) checkValue(this.id, x);
    this.n++;
    if (!this.e1.step(x)) return false;
    if (!this.e2.step(this.e1.value)) return false;
    this.value = 2.0 * this.e1.value - this.e2.value;
    return true;
  }

  computeTyped(xs: ArrayLike<number>): { values: Float64Array } {
    const s = new Dema(this.period);
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
    this.e1.save();
    this.e2.save();
    this.sValue = this.value;
  }
  protected restore(): void {
    this.e1.restore();
    this.e2.restore();
    this.value = this.sValue;
  }
  protected clear(): void {
    this.e1.reset();
    this.e2.reset();
    this.value = NaN;
  }
  protected result(): number {
    return this.value;
  }
}
