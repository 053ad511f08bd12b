/**
 * Donchian channel (not in TA-Lib): upper = highest high, lower = lowest low
 * over the last `period` bars including the current one; middle =
 * (upper+lower)/2. Lookback = period−1.
 */
import { atIndex, badInput, barColumns, BarBase, finite, intParam, nanArray, Ring } from './base';
import type { BandsOutput, BarSeries, Column } from './types';

export class Donchian extends BarBase<BandsOutput, 'upper' | 'middle' | 'lower'> {
  readonly id: string;
  readonly lookback: number;
  readonly outputs = ['upper', 'middle', 'lower'] as const;
  readonly needs: readonly Column[] = ['high', 'low'];
  private readonly highs: Ring;
  private readonly lows: Ring;
  upper = NaN;
  middle = NaN;
  lower = NaN;
  private sUpper = NaN;
  private sMiddle = NaN;
  private sLower = NaN;

  constructor(readonly period = 20) {
    super();
    intParam('DONCHIAN', 'period', period, 1);
    this.id = `DONCHIAN_${period}`;
    this.lookback = period - 1;
    this.highs = new Ring(period);
    this.lows = new Ring(period);
  }

  step(h: number, l: number): boolean {
    if (!(finite(h) && finite(l))) throw badInput(this.id, `high/low must be finite, got h=${h} l=${l}`);
    this.highs.push(h);
    this.lows.push(l);
    if (++this.n < this.period) return false;
    this.upper = this.highs.max(this.period);
    this.lower = this.lows.min(this.period);
    this.middle = (this.upper + this.lower) / 2;
    return true;
  }

  computeTyped(series: BarSeries): { upper: Float64Array; middle: Float64Array; lower: Float64Array } {
    const { n, h, l } = barColumns(this.id, series, this.needs);
    const s = new Donchian(this.period);
    // Result built before the loop: code after an on-stack-replaced loop has no type feedback.
    const res = { upper: nanArray(n), middle: nanArray(n), lower: nanArray(n) };
    const { upper, middle, lower } = res;
    let i = 0;
    try {
      for (; i < n; i++) {
        if (s.step(h[i], l[i])) {
          upper[i] = s.upper;
          middle[i] = s.middle;
          lower[i] = s.lower;
        }
      }
    } catch (e) {
      throw atIndex(e, i);
    }
    return res;
  }
  protected save(): void {
    this.highs.save();
    this.lows.save();
    this.sUpper = this.upper;
    this.sMiddle = this.middle;
    this.sLower = this.lower;
  }
  protected restore(): void {
    this.highs.restore();
    this.lows.restore();
    this.upper = this.sUpper;
    this.middle = this.sMiddle;
    this.lower = this.sLower;
  }
  protected clear(): void {
    this.highs.reset();
    this.lows.reset();
    this.upper = this.middle = this.lower = NaN;
  }
  protected result(): BandsOutput {
    return { upper: this.upper, middle: this.middle, lower: this.lower };
  }
}
