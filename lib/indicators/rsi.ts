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
import { atIndex, checkValue, intParam, isZero, nanArray, ScalarBase } from './base';

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
  computeTyped(xs: ArrayLike<number>): { values: Float64Array } {
    const s = new Rsi(this.period);
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
