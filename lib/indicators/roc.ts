/**
 * ROC and MOM — rate of change and momentum over `period` bars.
 *
 * TA-Lib conventions (TA_ROC, TA_MOM): lookback = period;
 * ROC = (price/prevPrice − 1)·100 with prevPrice `period` bars back, 0 when
 * prevPrice is 0; MOM = price − prevPrice.
 */
import { atIndex, checkValue, intParam, nanArray, Ring, ScalarBase } from './base';

abstract class LagBase extends ScalarBase<number, 'values'> {
  readonly lookback: number;
  readonly outputs = ['values'] as const;
  protected readonly ring: Ring;
  value = NaN;
  private sValue = NaN;
  constructor(readonly period: number) {
    super();
    this.lookback = period;
    this.ring = new Ring(period);
  }
  protected save(): void {
    this.ring.save();
    this.sValue = this.value;
  }
  protected restore(): void {
    this.ring.restore();
    this.value = this.sValue;
  }
  protected clear(): void {
    this.ring.reset();
    this.value = NaN;
  }
  protected result(): number {
    return this.value;
  }
}

export class Roc extends LagBase {
  readonly id: string;
  constructor(period = 10) {
    super(intParam('ROC', 'period', period, 1));
    this.id = `ROC_${period}`;
  }
  step(x: number): boolean {
    if (!(x - x === 0)) checkValue(this.id, x);
    const ready = this.n++ >= this.period;
    const prev = this.ring.next();
    this.ring.push(x);
    if (!ready) return false;
    this.value = prev !== 0.0 ? (x / prev - 1.0) * 100.0 : 0.0;
    return true;
  }
  computeTyped(xs: ArrayLike<number>): { values: Float64Array } {
    const s = new Roc(this.period);
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
}

export class Mom extends LagBase {
  readonly id: string;
  constructor(period = 10) {
    super(intParam('MOM', 'period', period, 1));
    this.id = `MOM_${period}`;
  }
  step(x: number): boolean {
    if (!(x - x === 0)) checkValue(this.id, x);
    const ready = this.n++ >= this.period;
    const prev = this.ring.next();
    this.ring.push(x);
    if (!ready) return false;
    this.value = x - prev;
    return true;
  }
  computeTyped(xs: ArrayLike<number>): { values: Float64Array } {
    const s = new Mom(this.period);
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
}
