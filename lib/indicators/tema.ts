/**
 * TEMA — triple exponential moving average: 3·e1 − 3·e2 + e3.
 *
 * TA-Lib convention (TA_TEMA): lookback = 3·(period−1); three chained
 * SMA-seeded TA-Lib EMAs; output e3 + (3.0·e1 − 3.0·e2) in that grouping.
 * Period 1 returns the input (TA-Lib special-cases it too).
 */
import { atIndex, checkValue, intParam, nanArray, ScalarBase } from './base';
import { EmaCore } from './ema';

export class Tema extends ScalarBase<number, 'values'> {
  readonly id: string;
  readonly lookback: number;
  readonly outputs = ['values'] as const;
  private readonly e1: EmaCore;
  private readonly e2: EmaCore;
  private readonly e3: EmaCore;
  value = NaN;
  private sValue = NaN;

  constructor(readonly period = 20) {
    super();
    intParam('TEMA', 'period', period, 1);
    this.id = `TEMA_${period}`;
    this.lookback = 3 * (period - 1);
    this.e1 = new EmaCore(period);
    this.e2 = new EmaCore(period);
    this.e3 = new EmaCore(period);
  }

  step(x: number): boolean {
    if (!(x - x === 0)) checkValue(this.id, x);
    this.n++;
    if (this.period === 1) {
      this.value = x;
      return true;
    }
    if (!this.e1.step(x)) return false;
    if (!this.e2.step(this.e1.value)) return false;
    if (!this.e3.step(this.e2.value)) return false;
    this.value = this.e3.value + (3.0 * this.e1.value - 3.0 * this.e2.value);
    return true;
  }

  computeTyped(xs: ArrayLike<number>): { values: Float64Array } {
    const s = new Tema(this.period);
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
    this.e3.save();
    this.sValue = this.value;
  }
  protected restore(): void {
    this.e1.restore();
    this.e2.restore();
    this.e3.restore();
    this.value = this.sValue;
  }
  protected clear(): void {
    this.e1.reset();
    this.e2.reset();
    this.e3.reset();
    this.value = NaN;
  }
  protected result(): number {
    return this.value;
  }
}
