/**
 * Stochastic RSI (TA-Lib's STOCHRSI: STOCHF applied to Wilder's RSI).
 *
 * TA-Lib convention (TA_STOCHRSI, fast %D MA type SMA): RSI(period) as in
 * rsi.ts; fast %K = (rsi − lowest rsi) / ((highest rsi − lowest rsi)/100) over
 * `fastK` RSI values, 0 when the range is 0 (a flat RSI); fast %D =
 * SMA(fast %K, fastD). Lookback = period + (fastK−1) + (fastD−1)
 * (TA-Lib defaults 14/5/3 → 20).
 */
import { atIndex, checkValue, intParam, nanArray, Ring, ScalarBase } from './base';
import { RsiCore } from './rsi';
import { SmaCore } from './sma';
import { rawK, type StochOutput } from './stoch';

export class StochRsi extends ScalarBase<StochOutput, 'k' | 'd'> {
  readonly id: string;
  readonly lookback: number;
  readonly outputs = ['k', 'd'] as const;
  private readonly rsi: RsiCore;
  private readonly window: Ring;
  private readonly dSma: SmaCore;
  private rsiCount = 0;
  k = NaN;
  d = NaN;
  private sRsiCount = 0;
  private sK = NaN;
  private sD = NaN;

  constructor(
    readonly period = 14,
    readonly fastK = 5,
    readonly fastD = 3,
  ) {
    super();
    intParam('STOCHRSI', 'RSI period', period, 2);
    intParam('STOCHRSI', 'fast %K period', fastK, 1);
    intParam('STOCHRSI', 'fast %D period', fastD, 1);
    this.id = `STOCHRSI_${period}_${fastK}_${fastD}`;
    this.lookback = period + (fastK - 1) + (fastD - 1);
    this.rsi = new RsiCore(period);
    this.window = new Ring(fastK);
    this.dSma = new SmaCore(fastD);
  }

  step(x: number): boolean {
    if (!(x - x === 0)) checkValue(this.id, x);
    this.n++;
    if (!this.rsi.step(x)) return false;
    this.window.push(this.rsi.value);
    if (++this.rsiCount < this.fastK) return false;
    const k = rawK(this.rsi.value, this.window.max(this.fastK), this.window.min(this.fastK));
    if (!this.dSma.step(k)) return false;
    this.k = k;
    this.d = this.dSma.value;
    return true;
  }

  computeTyped(xs: ArrayLike<number>): { k: Float64Array; d: Float64Array } {
    const s = new StochRsi(this.period, this.fastK, this.fastD);
    const n = xs.length;
    // Result built before the loop: code after an on-stack-replaced loop has no type feedback.
    const res = { k: nanArray(n), d: nanArray(n) };
    const { k, d } = res;
    let i = 0;
    try {
      for (; i < n; i++) {
        if (s.step(xs[i])) {
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
    this.rsi.save();
    this.window.save();
    this.dSma.save();
    this.sRsiCount = this.rsiCount;
    this.sK = this.k;
    this.sD = this.d;
  }
  protected restore(): void {
    this.rsi.restore();
    this.window.restore();
    this.dSma.restore();
    this.rsiCount = this.sRsiCount;
    this.k = this.sK;
    this.d = this.sD;
  }
  protected clear(): void {
    this.rsi.reset();
    this.window.reset();
    this.dSma.reset();
    this.rsiCount = 0;
    this.k = this.d = NaN;
  }
  protected result(): StochOutput {
    return { k: this.k, d: this.d };
  }
}
