/**
 * TEMA — triple exponential moving average: 3·e1 − 3·e2 + e3.
 *
 * TA-Lib convention (TA_TEMA): lookback = 3·(period−1); three chained
 * SMA-seeded TA-Lib EMAs; output e3 + (3.0·e1 − 3.0·e2) in that grouping.
 * Period 1 returns the input (TA-Lib special-cases it too).
 */
import { atIndex, badValueAt, checkValue, float64, intParam, ScalarBase } from './base';
import { EmaCore } from './ema';

/**
 * Batch kernel, steady state (three EMAs seeded, period ≥ 2): from index
 * `from` on, the three EmaCore updates and e3 + (3.0·e1 − 3.0·e2). Returns
 * the index of the first non-finite input, or −1.
 */
function temaKernel(xs: Float64Array, n: number, from: number, k: number, e1: number, e2: number, e3: number, out: Float64Array): number {
  for (let i = from; i < n; i++) {
    const x = xs[i];
    if (!(x - x === 0)) return i;
    e1 = (x - e1) * k + e1;
    e2 = (e1 - e2) * k + e2;
    e3 = (e2 - e3) * k + e3;
    out[i] = e3 + (3.0 * e1 - 3.0 * e2);
  }
  return -1;
}

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

  computeTyped(series: ArrayLike<number>): { values: Float64Array } {
    const xs = float64(series);
    const n = xs.length;
    const out = new Float64Array(n);
    // Warm-up, the seeds and first output through `step` (period 1, the identity, entirely), then the kernel.
    const s = new Tema(this.period);
    const w = this.period === 1 ? n : Math.min(this.lookback + 1, n);
    let i = 0;
    try {
      for (; i < w; i++) out[i] = s.step(xs[i]) ? s.value : NaN;
    } catch (e) {
      throw atIndex(e, i);
    }
    const bad = temaKernel(xs, n, w, s.e1.k, s.e1.value, s.e2.value, s.e3.value, out);
    if (bad >= 0) throw badValueAt(this.id, xs, bad);
    return { values: out };
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
