/**
 * EMA — exponential moving average.
 *
 * TA-Lib convention (TA_EMA, default compatibility): lookback = period-1;
 * k = 2/(period+1); the first output is the SMA of the first `period` inputs
 * (summed from 0 in input order, then divided by the period); afterwards
 * ema = (x - ema) * k + ema, exactly TA-Lib's operation order.
 */
import { atIndex, badValueAt, checkValue, float64, intParam, ScalarBase } from './base';

/**
 * Batch kernel, steady state: from index `from` on, ema = (x − ema)·k + ema
 * as EmaCore does. Returns the index of the first non-finite input, or −1.
 */
function emaKernel(xs: Float64Array, n: number, from: number, k: number, ema: number, out: Float64Array): number {
  for (let i = from; i < n; i++) {
    const x = xs[i];
    if (!(x - x === 0)) return i;
    ema = (x - ema) * k + ema;
    out[i] = ema;
  }
  return -1;
}

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
  computeTyped(series: ArrayLike<number>): { values: Float64Array } {
    const xs = float64(series);
    const n = xs.length;
    const out = new Float64Array(n);
    // Warm-up and the SMA seed through `step`, then the kernel from that state.
    const s = new Ema(this.period);
    const w = Math.min(this.period, n);
    let i = 0;
    try {
      for (; i < w; i++) out[i] = s.step(xs[i]) ? s.core.value : NaN;
    } catch (e) {
      throw atIndex(e, i);
    }
    const bad = emaKernel(xs, n, w, s.core.k, s.core.value, out);
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
