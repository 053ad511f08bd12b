/**
 * ROC and MOM — rate of change and momentum over `period` bars.
 *
 * TA-Lib conventions (TA_ROC, TA_MOM): lookback = period;
 * ROC = (price/prevPrice − 1)·100 with prevPrice `period` bars back, 0 when
 * prevPrice is 0; MOM = price − prevPrice.
 */
import { atIndex, badValueAt, checkValue, float64, intParam, Ring, ScalarBase } from './base';

/**
 * Batch kernels from index `from` (≥ period) on, the value `period` bars back
 * read from the input instead of the ring. Return the index of the first
 * non-finite input, or −1.
 */
function rocKernel(xs: Float64Array, n: number, from: number, p: number, out: Float64Array): number {
  for (let i = from; i < n; i++) {
    const x = xs[i];
    if (!(x - x === 0)) return i;
    const prev = xs[i - p];
    out[i] = prev !== 0.0 ? (x / prev - 1.0) * 100.0 : 0.0;
  }
  return -1;
}

function momKernel(xs: Float64Array, n: number, from: number, p: number, out: Float64Array): number {
  for (let i = from; i < n; i++) {
    const x = xs[i];
    if (!(x - x === 0)) return i;
    out[i] = x - xs[i - p];
  }
  return -1;
}

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
  computeTyped(series: ArrayLike<number>): { values: Float64Array } {
    const xs = float64(series);
    const n = xs.length;
    const out = new Float64Array(n);
    // Warm-up and first output through `step`, then the kernel.
    const s = new Roc(this.period);
    const w = Math.min(this.period + 1, n);
    let i = 0;
    try {
      for (; i < w; i++) out[i] = s.step(xs[i]) ? s.value : NaN;
    } catch (e) {
      throw atIndex(e, i);
    }
    const bad = rocKernel(xs, n, w, this.period, out);
    if (bad >= 0) throw badValueAt(this.id, xs, bad);
    return { values: out };
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
  computeTyped(series: ArrayLike<number>): { values: Float64Array } {
    const xs = float64(series);
    const n = xs.length;
    const out = new Float64Array(n);
    // Warm-up and first output through `step`, then the kernel.
    const s = new Mom(this.period);
    const w = Math.min(this.period + 1, n);
    let i = 0;
    try {
      for (; i < w; i++) out[i] = s.step(xs[i]) ? s.value : NaN;
    } catch (e) {
      throw atIndex(e, i);
    }
    const bad = momKernel(xs, n, w, this.period, out);
    if (bad >= 0) throw badValueAt(this.id, xs, bad);
    return { values: out };
  }
}
