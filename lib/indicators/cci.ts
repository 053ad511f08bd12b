/**
 * CCI — commodity channel index, with the mean absolute deviation.
 *
 * TA-Lib convention (TA_CCI): lookback = period−1 (period ≥ 2); typical price
 * (h+l+c)/3 kept in a circular buffer whose slots are summed in buffer order
 * (slot 0 first, as TA-Lib does); mean = Σ/period; mean deviation =
 * Σ|tp−mean|/period; CCI = (tp−mean) / (0.015·meanDev), and 0 when either
 * tp−mean or the deviation sum is ~0 (TA_IS_ZERO), e.g. on a flat series.
 */
import { atIndex, barColumns, BarBase, checkHlc, intParam, isZero, nanArray, Ring } from './base';
import type { BarSeries, Column } from './types';

export class Cci extends BarBase<number, 'values'> {
  readonly id: string;
  readonly lookback: number;
  readonly outputs = ['values'] as const;
  readonly needs: readonly Column[] = ['high', 'low', 'close'];
  private readonly ring: Ring;
  value = NaN;
  private sValue = NaN;

  constructor(readonly period = 14) {
    super();
    intParam('CCI', 'period', period, 2);
    this.id = `CCI_${period}`;
    this.lookback = period - 1;
    this.ring = new Ring(period);
  }

  step(h: number, l: number, c: number): boolean {
    checkHlc(this.id, h, l, c);
    const tp = (h + l + c) / 3;
    this.ring.push(tp);
    if (++this.n < this.period) return false;
    const buf = this.ring.buf;
    const p = this.period;
    let avg = 0;
    for (let j = 0; j < p; j++) avg += buf[j];
    avg /= p;
    let dev = 0;
    for (let j = 0; j < p; j++) dev += Math.abs(buf[j] - avg);
    const t = tp - avg;
    this.value = !isZero(t) && !isZero(dev) ? t / (0.015 * (dev / p)) : 0.0;
    return true;
  }

  computeTyped(series: BarSeries): { values: Float64Array } {
    const { n, h, l, c } = barColumns(this.id, series, this.needs);
    const s = new Cci(this.period);
    // Result built before the loop: code after an on-stack-replaced loop has no type feedback.
    const res = { values: nanArray(n) };
    const out = res.values;
    let i = 0;
    try {
      for (; i < n; i++) if (s.step(h[i], l[i], c[i])) out[i] = s.value;
    } catch (e) {
      throw atIndex(e, i);
    }
    return res;
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
