/**
 * Stochastic oscillator, slow %K and %D (TA-Lib's STOCH with SMA smoothing).
 *
 * TA-Lib convention (TA_STOCH, MA type SMA for both): fast %K =
 * (close − lowest low) / ((highest high − lowest low) / 100) over `fastK`
 * bars (the division by the range/100 is TA-Lib's operation order), 0 when the
 * range is 0; slow %K = SMA(fast %K, slowK); %D = SMA(slow %K, slowD), both
 * TA-Lib running-sum SMAs. Lookback = (fastK−1) + (slowK−1) + (slowD−1)
 * (8 for the default 5/3/3).
 */
import { atIndex, barColumns, BarBase, checkHlc, intParam, nanArray, Ring } from './base';
import { SmaCore } from './sma';
import type { BarSeries, Column } from './types';

export type StochOutput = { readonly k: number; readonly d: number };

/** Raw %K over a window: TA-Lib's (x − lowest) / ((highest − lowest)/100), 0 on a zero range. */
export function rawK(x: number, highest: number, lowest: number): number {
  const diff = (highest - lowest) / 100.0;
  return diff !== 0.0 ? (x - lowest) / diff : 0.0;
}

export class Stoch extends BarBase<StochOutput, 'k' | 'd'> {
  readonly id: string;
  readonly lookback: number;
  readonly outputs = ['k', 'd'] as const;
  readonly needs: readonly Column[] = ['high', 'low', 'close'];
  private readonly highs: Ring;
  private readonly lows: Ring;
  private readonly slowKSma: SmaCore;
  private readonly slowDSma: SmaCore;
  k = NaN;
  d = NaN;
  private sK = NaN;
  private sD = NaN;

  constructor(
    readonly fastK = 5,
    readonly slowK = 3,
    readonly slowD = 3,
  ) {
    super();
    intParam('STOCH', 'fast %K period', fastK, 1);
    intParam('STOCH', 'slow %K period', slowK, 1);
    intParam('STOCH', 'slow %D period', slowD, 1);
    this.id = `STOCH_${fastK}_${slowK}_${slowD}`;
    this.lookback = fastK - 1 + (slowK - 1) + (slowD - 1);
    this.highs = new Ring(fastK);
    this.lows = new Ring(fastK);
    this.slowKSma = new SmaCore(slowK);
    this.slowDSma = new SmaCore(slowD);
  }

  step(h: number, l: number, c: number): boolean {
    checkHlc(this.id, h, l, c);
    this.highs.push(h);
    this.lows.push(l);
    if (++this.n < this.fastK) return false;
    const fk = rawK(c, this.highs.max(this.fastK), this.lows.min(this.fastK));
    if (!this.slowKSma.step(fk)) return false;
    if (!this.slowDSma.step(this.slowKSma.value)) return false;
    this.k = this.slowKSma.value;
    this.d = this.slowDSma.value;
    return true;
  }

  computeTyped(series: BarSeries): { k: Float64Array; d: Float64Array } {
    const { n, h, l, c } = barColumns(this.id, series, this.needs);
    const s = new Stoch(this.fastK, this.slowK, this.slowD);
    // Result built before the loop: code after an on-stack-replaced loop has no type feedback.
    const res = { k: nanArray(n), d: nanArray(n) };
    const { k, d } = res;
    let i = 0;
    try {
      for (; i < n; i++) {
        if (s.step(h[i], l[i], c[i])) {
          k[i] = s.k;
          d[i] = s.d;
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
    this.slowKSma.save();
    this.slowDSma.save();
    this.sK = this.k;
    this.sD = this.d;
  }
  protected restore(): void {
    this.highs.restore();
    this.lows.restore();
    this.slowKSma.restore();
    this.slowDSma.restore();
    this.k = this.sK;
    this.d = this.sD;
  }
  protected clear(): void {
    this.highs.reset();
    this.lows.reset();
    this.slowKSma.reset();
    this.slowDSma.reset();
    this.k = this.d = NaN;
  }
  protected result(): StochOutput {
    return { k: this.k, d: this.d };
  }
}
