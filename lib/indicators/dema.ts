/**
 * DEMA — double exponential moving average: 2·EMA − EMA(EMA).
 *
 * TA-Lib convention (TA_DEMA): lookback = 2·(period−1); both EMAs are
 * SMA-seeded TA-Lib EMAs (the second seeded by the mean of the first `period`
 * values of the first); output 2.0·e1 − e2.
 */
import { atIndex, badValueAt, checkValue, float64, intParam, ScalarBase } from './base';
import { EmaCore } from './ema';

/**
 * Batch kernel, steady state (both EMAs seeded): from index `from` on, the
 * two EmaCore updates and 2.0·e1 − e2. Returns the index of the first
 * non-finite input, or −1.
 */
function demaKernel(xs: Float64Array, n: number, from: number, k: number, e1: number, e2: number, out: Float64Array): number {
  for (let i = from; i < n; i++) {
    const x = xs[i];
    if (!(x - x === 0)) return i;
    e1 = (x - e1) * k + e1;
    e2 = (e1 - e2) * k + e2;
    out[i] = 2.0 * e1 - e2;
  }
  return -1;
}

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

  computeTyped(series: ArrayLike<number>): { values: Float64Array } {
    const xs = float64(series);
    const n = xs.length;
    const out = new Float64Array(n);
    // Warm-up, both seeds and first output through `step`, then the kernel from that state.
    const s = new Dema(this.period);
    const w = Math.min(this.lookback + 1, n);
    let i = 0;
    try {
      for (; i < w; i++) out[i] = s.step(xs[i]) ? s.value : NaN;
    } catch (e) {
      throw atIndex(e, i);
    }
    const bad = demaKernel(xs, n, w, s.e1.k, s.e1.value, s.e2.value, out);
    if (bad >= 0) throw badValueAt(this.id, xs, bad);
    return { values: out };
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
