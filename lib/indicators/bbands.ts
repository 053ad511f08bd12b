/**
 * Bollinger Bands.
 *
 * TA-Lib convention (TA_BBANDS with the SMA middle band): lookback = period-1
 * (period ≥ 2); middle = SMA (TA-Lib running sum); σ is the POPULATION
 * standard deviation computed as TA-Lib does, from a running sum of squares:
 * var = Σx²/period − middle², and σ = 0 when var < 1e-14 (TA_IS_ZERO_OR_NEG),
 * so a flat series gives three equal bands. upper = middle + σ·kUp,
 * lower = middle − σ·kDown (one multiplier for both by default).
 */
import { atIndex, checkValue, fmtParam, intParam, nanArray, numParam, Ring, ScalarBase, TA_EPSILON } from './base';
import type { BandsOutput } from './types';

export class BBands extends ScalarBase<BandsOutput, 'upper' | 'middle' | 'lower'> {
  readonly id: string;
  readonly lookback: number;
  readonly outputs = ['upper', 'middle', 'lower'] as const;
  private readonly ring: Ring;
  private sum = 0;
  private sum2 = 0;
  upper = NaN;
  middle = NaN;
  lower = NaN;
  private sSum = 0;
  private sSum2 = 0;
  private sUpper = NaN;
  private sMiddle = NaN;
  private sLower = NaN;

  constructor(
    readonly period = 20,
    readonly kUp = 2,
    readonly kDown = kUp,
  ) {
    super();
    intParam('BBANDS', 'period', period, 2);
    numParam('BBANDS', 'deviations up', kUp, true);
    numParam('BBANDS', 'deviations down', kDown, true);
    this.id = kUp === kDown ? `BBANDS_${period}_${fmtParam(kUp)}` : `BBANDS_${period}_${fmtParam(kUp)}_${fmtParam(kDown)}`;
    this.lookback = period - 1;
    this.ring = new Ring(period);
  }

  step(x: number): boolean {
    if (!(x - x === 0)) checkValue(this.id, x);
    const p = this.period;
    this.sum += x;
    this.sum2 += x * x;
    this.ring.push(x);
    if (++this.n < p) return false;
    const old = this.ring.next();
    const mid = this.sum / p;
    this.sum -= old;
    let v = this.sum2 / p;
    this.sum2 -= old * old;
    v -= mid * mid;
    const sd = v < TA_EPSILON ? 0.0 : Math.sqrt(v);
    this.middle = mid;
    this.upper = mid + sd * this.kUp;
    this.lower = mid - sd * this.kDown;
    return true;
  }

  computeTyped(xs: ArrayLike<number>): { upper: Float64Array; middle: Float64Array; lower: Float64Array } {
    const s = new BBands(this.period, this.kUp, this.kDown);
    const n = xs.length;
    const upper = nanArray(n);
    const middle = nanArray(n);
    const lower = nanArray(n);
    let i = 0;
    try {
      for (; i < n; i++) {
        if (s.step(xs[i])) {
          upper[i] = s.upper;
          middle[i] = s.middle;
          lower[i] = s.lower;
        }
      }
    } catch (e) {
      throw atIndex(e, i);
    }
    return { upper, middle, lower };
  }

  protected save(): void {
    this.ring.save();
    this.sSum = this.sum;
    this.sSum2 = this.sum2;
    this.sUpper = this.upper;
    this.sMiddle = this.middle;
    this.sLower = this.lower;
  }
  protected restore(): void {
    this.ring.restore();
    this.sum = this.sSum;
    this.sum2 = this.sSum2;
    this.upper = this.sUpper;
    this.middle = this.sMiddle;
    this.lower = this.sLower;
  }
  protected clear(): void {
    this.ring.reset();
    this.sum = this.sum2 = 0;
    this.upper = this.middle = this.lower = NaN;
  }
  protected result(): BandsOutput {
    return { upper: this.upper, middle: this.middle, lower: this.lower };
  }
}
