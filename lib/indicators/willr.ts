/**
 * Williams %R.
 *
 * TA-Lib convention (TA_WILLR): lookback = period−1 (period ≥ 2);
 * %R = (highest high − close) / ((highest high − lowest low) / −100), i.e. in
 * [−100, 0], and 0 when the range is 0 (flat series).
 */
import { atIndex, barColumns, BarBase, checkHlc, intParam, nanArray, Ring } from './base';
import type { BarSeries, Column } from './types';

export class WillR extends BarBase<number, 'values'> {
  readonly id: string;
  readonly lookback: number;
  readonly outputs = ['values'] as const;
  readonly needs: readonly Column[] = ['high', 'low', 'close'];
  private readonly highs: Ring;
  private readonly lows: Ring;
  value = NaN;
  private sValue = NaN;

  constructor(readonly period = 14) {
    super();
    intParam('WILLR', 'period', period, 2);
    this.id = `WILLR_${period}`;
    this.lookback = period - 1;
    this.highs = new Ring(period);
    this.lows = new Ring(period);
  }

  step(h: number, l: number, c: number): boolean {
    checkHlc(this.id, h, l, c);
    this.highs.push(h);
    this.lows.push(l);
    if (++this.n < this.period) return false;
    const hh = this.highs.max(this.period);
    const diff = (hh - this.lows.min(this.period)) / (0 - 100.0);
    this.value = diff !== 0.0 ? (hh - c) / diff : 0.0;
    return true;
  }

  computeTyped(series: BarSeries): { values: Float64Array } {
    const { n, h, l, c } = barColumns(this.id, series, this.needs);
    const s = new WillR(this.period);
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
    this.highs.save();
    this.lows.save();
    this.sValue = this.value;
  }
  protected restore(): void {
    this.highs.restore();
    this.lows.restore();
    this.value = this.sValue;
  }
  protected clear(): void {
    this.highs.reset();
    this.lows.reset();
    this.value = NaN;
  }
  protected result(): number {
    return this.value;
  }
}
