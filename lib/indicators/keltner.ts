/**
 * Keltner channels (not in TA-Lib), the modern form: middle = EMA(close,
 * period) (TA-Lib EMA, SMA-seeded), upper/lower = middle ± multiplier·ATR(atrPeriod)
 * (TA-Lib Wilder ATR). Lookback = max(period−1, atrPeriod). Defaults 20/2/10.
 */
import { atIndex, barColumns, BarBase, checkHlc, fmtParam, intParam, nanArray, numParam } from './base';
import { AtrCore } from './atr';
import { EmaCore } from './ema';
import type { BandsOutput, BarSeries, Column } from './types';

export class Keltner extends BarBase<BandsOutput, 'upper' | 'middle' | 'lower'> {
  readonly id: string;
  readonly lookback: number;
  readonly outputs = ['upper', 'middle', 'lower'] as const;
  readonly needs: readonly Column[] = ['high', 'low', 'close'];
  private readonly ema: EmaCore;
  private readonly atr: AtrCore;
  upper = NaN;
  middle = NaN;
  lower = NaN;
  private sUpper = NaN;
  private sMiddle = NaN;
  private sLower = NaN;

  constructor(
    readonly period = 20,
    readonly multiplier = 2,
    readonly atrPeriod = 10,
  ) {
    super();
    intParam('KELTNER', 'period', period, 1);
    numParam('KELTNER', 'multiplier', multiplier);
    intParam('KELTNER', 'ATR period', atrPeriod, 1);
    this.id = `KELTNER_${period}_${fmtParam(multiplier)}_${atrPeriod}`;
    this.lookback = Math.max(period - 1, atrPeriod);
    this.ema = new EmaCore(period);
    this.atr = new AtrCore(atrPeriod);
  }

  step(h: number, l: number, c: number): boolean {
    checkHlc(this.id, h, l, c);
    this.n++;
    const e = this.ema.step(c);
    const a = this.atr.step(h, l, c);
    if (!(e && a)) return false;
    const w = this.multiplier * this.atr.value;
    this.middle = this.ema.value;
    this.upper = this.middle + w;
    this.lower = this.middle - w;
    return true;
  }

  computeTyped(series: BarSeries): { upper: Float64Array; middle: Float64Array; lower: Float64Array } {
    const { n, h, l, c } = barColumns(this.id, series, this.needs);
    const s = new Keltner(this.period, this.multiplier, this.atrPeriod);
    // Result built before the loop: code after an on-stack-replaced loop has no type feedback.
    const res = { upper: nanArray(n), middle: nanArray(n), lower: nanArray(n) };
    const { upper, middle, lower } = res;
    let i = 0;
    try {
      for (; i < n; i++) {
        if (s.step(h[i], l[i], c[i])) {
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
    this.ema.save();
    this.atr.save();
    this.sUpper = this.upper;
    this.sMiddle = this.middle;
    this.sLower = this.lower;
  }
  protected restore(): void {
    this.ema.restore();
    this.atr.restore();
    this.upper = this.sUpper;
    this.middle = this.sMiddle;
    this.lower = this.sLower;
  }
  protected clear(): void {
    this.ema.reset();
    this.atr.reset();
    this.upper = this.middle = this.lower = NaN;
  }
  protected result(): BandsOutput {
    return { upper: this.upper, middle: this.middle, lower: this.lower };
  }
}
