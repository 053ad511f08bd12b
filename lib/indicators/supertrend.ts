/**
 * SuperTrend (not in TA-Lib), the common (TradingView `ta.supertrend`) rules
 * on a TA-Lib Wilder ATR: basic bands hl2 ± multiplier·ATR(period); the final
 * upper band only moves down (unless the previous close broke above it), the
 * final lower band only moves up (unless the previous close broke below it);
 * the trend starts down on the first bar with an ATR, flips up when the close
 * rises above the final upper band and down when it falls below the final
 * lower band. Outputs {value: the active band, direction: +1 up / −1 down}
 * (note: Pine's own `direction` uses the opposite sign). Lookback = period.
 */
import { atIndex, barColumns, BarBase, checkHlc, fmtParam, intParam, nanArray, numParam } from './base';
import { AtrCore } from './atr';
import type { BarSeries, Column } from './types';

export type SuperTrendOutput = { readonly value: number; readonly direction: number };

export class SuperTrend extends BarBase<SuperTrendOutput, 'value' | 'direction'> {
  readonly id: string;
  readonly lookback: number;
  readonly outputs = ['value', 'direction'] as const;
  readonly needs: readonly Column[] = ['high', 'low', 'close'];
  private readonly atr: AtrCore;
  private upperBand = NaN;
  private lowerBand = NaN;
  private prevClose = NaN;
  value = NaN;
  direction = NaN;
  private s = new Float64Array(5);

  constructor(
    readonly period = 10,
    readonly multiplier = 3,
  ) {
    super();
    intParam('SUPERTREND', 'ATR period', period, 1);
    numParam('SUPERTREND', 'multiplier', multiplier);
    this.id = `SUPERTREND_${period}_${fmtParam(multiplier)}`;
    this.lookback = period;
    this.atr = new AtrCore(period);
  }

  step(h: number, l: number, c: number): boolean {
    checkHlc(this.id, h, l, c);
    this.n++;
    if (!this.atr.step(h, l, c)) {
      this.prevClose = c;
      return false;
    }
    const hl2 = (h + l) / 2;
    const w = this.multiplier * this.atr.value;
    let up = hl2 + w;
    let lo = hl2 - w;
    if (this.direction !== this.direction) {
      this.direction = -1;
    } else {
      const pu = this.upperBand;
      const pl = this.lowerBand;
      if (!(up < pu || this.prevClose > pu)) up = pu;
      if (!(lo > pl || this.prevClose < pl)) lo = pl;
      if (this.direction < 0) this.direction = c > up ? 1 : -1;
      else this.direction = c < lo ? -1 : 1;
    }
    this.upperBand = up;
    this.lowerBand = lo;
    this.value = this.direction < 0 ? up : lo;
    this.prevClose = c;
    return true;
  }

  computeTyped(series: BarSeries): { value: Float64Array; direction: Float64Array } {
    const { n, h, l, c } = barColumns(this.id, series, this.needs);
    const s = new SuperTrend(this.period, this.multiplier);
    // Result built before the loop: code after an on-stack-replaced loop has no type feedback.
    const res = { value: nanArray(n), direction: nanArray(n) };
    const { value, direction } = res;
    let i = 0;
    try {
      for (; i < n; i++) {
        if (s.step(h[i], l[i], c[i])) {
          value[i] = s.value;
          direction[i] = s.direction;
        }
      }
    } catch (e) {
      throw atIndex(e, i);
    }
    return res;
  }
  protected save(): void {
    this.atr.save();
    const s = this.s;
    s[0] = this.upperBand;
    s[1] = this.lowerBand;
    s[2] = this.prevClose;
    s[3] = this.value;
    s[4] = this.direction;
  }
  protected restore(): void {
    this.atr.restore();
    const s = this.s;
    this.upperBand = s[0];
    this.lowerBand = s[1];
    this.prevClose = s[2];
    this.value = s[3];
    this.direction = s[4];
  }
  protected clear(): void {
    this.atr.reset();
    this.upperBand = this.lowerBand = this.prevClose = this.value = this.direction = NaN;
  }
  protected result(): SuperTrendOutput {
    return { value: this.value, direction: this.direction };
  }
}
