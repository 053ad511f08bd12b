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
import { atIndex, badValueAt, checkValue, firstNonFinite, float64, fmtParam, intParam, numParam, ScalarBase, TA_EPSILON } from './base';

/**
 * Batch kernel, steady state (window full): from index `from` on, `run`'s
 * step with the value leaving the window read from the input instead of the
 * ring; same operations in the same order. Returns the index of the first
 * non-finite input, or −1.
 */
function bbandsKernel(
  xs: Float64Array,
  n: number,
  from: number,
  p: number,
  kUp: number,
  kDown: number,
  sum: number,
  sum2: number,
  outU: Float64Array,
  outM: Float64Array,
  outL: Float64Array,
): number {
  const eps = TA_EPSILON;
  for (let i = from; i < n; i++) {
    const x = xs[i];
    if (!(x - x === 0)) return i;
    sum += x;
    sum2 += x * x;
    const old = xs[i - p + 1];
    const mid = sum / p;
    sum -= old;
    let v = sum2 / p;
    sum2 -= old * old;
    v -= mid * mid;
    const sd = v < eps ? 0.0 : Math.sqrt(v);
    outU[i] = mid + sd * kUp;
    outM[i] = mid;
    outL[i] = mid - sd * kDown;
  }
  return -1;
}
import type { BandsOutput } from './types';

export class BBands extends ScalarBase<BandsOutput, 'upper' | 'middle' | 'lower'> {
  readonly id: string;
  readonly lookback: number;
  readonly outputs = ['upper', 'middle', 'lower'] as const;
  /** The last `period` inputs, written in slot order 0, 1, …, period−1, 0, … */
  private readonly buf: Float64Array;
  private readonly one = new Float64Array(1);
  private pos = 0;
  private sum = 0;
  private sum2 = 0;
  upper = NaN;
  middle = NaN;
  lower = NaN;
  private readonly saved = new Float64Array(7);

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
    this.buf = new Float64Array(period);
  }

  /**
   * The state machine (streaming runs it over one input, batch over the
   * warm-up up to the first output, then `bbandsKernel` takes over): state in
   * locals, outputs written when arrays are given. Returns whether the last
   * input produced an output.
   */
  run(xs: ArrayLike<number>, from: number, to: number, outU: Float64Array | null, outM: Float64Array | null, outL: Float64Array | null): boolean {
    const p = this.period;
    const buf = this.buf;
    const kUp = this.kUp;
    const kDown = this.kDown;
    let n = this.n;
    let pos = this.pos;
    let sum = this.sum;
    let sum2 = this.sum2;
    let mid = 0;
    let sd = 0;
    let ready = false;
    for (let i = from; i < to; i++) {
      const x = xs[i];
      if (!(x - x === 0)) checkValue(this.id, x);
      sum += x;
      sum2 += x * x;
      buf[pos] = x;
      pos = pos + 1 === p ? 0 : pos + 1;
      ready = ++n >= p;
      this.n = n;
      this.pos = pos;
      if (!ready) {
        this.sum = sum;
        this.sum2 = sum2;
        continue;
      }
      // buf[pos] is now the value leaving the window (TA-Lib's trailing value).
      const old = buf[pos];
      mid = sum / p;
      sum -= old;
      let v = sum2 / p;
      sum2 -= old * old;
      this.sum = sum;
      this.sum2 = sum2;
      v -= mid * mid;
      sd = v < TA_EPSILON ? 0.0 : Math.sqrt(v);
      const up = mid + sd * kUp;
      const lo = mid - sd * kDown;
      this.middle = mid;
      this.upper = up;
      this.lower = lo;
      if (outU !== null) {
        outU[i] = up;
        (outM as Float64Array)[i] = mid;
        (outL as Float64Array)[i] = lo;
      }
    }
    // State is stored back at the end of every iteration (not after the loop):
    // code reached only once per batch call gets no type feedback and would
    // deoptimize the loop's on-stack-replaced code on every call.
    return ready;
  }

  step(x: number): boolean {
    this.one[0] = x;
    return this.run(this.one, 0, 1, null, null, null);
  }

  computeTyped(series: ArrayLike<number>): { upper: Float64Array; middle: Float64Array; lower: Float64Array } {
    const xs = float64(series);
    const n = xs.length;
    const upper = new Float64Array(n);
    const middle = new Float64Array(n);
    const lower = new Float64Array(n);
    const warm = Math.min(this.lookback, n);
    upper.fill(NaN, 0, warm);
    middle.fill(NaN, 0, warm);
    lower.fill(NaN, 0, warm);
    // Warm-up and first output through `run`, then the kernel from that state.
    const s = new BBands(this.period, this.kUp, this.kDown);
    const w = Math.min(this.period, n);
    try {
      s.run(xs, 0, w, upper, middle, lower);
    } catch (e) {
      throw atIndex(e, firstNonFinite(xs));
    }
    const bad = bbandsKernel(xs, n, w, this.period, this.kUp, this.kDown, s.sum, s.sum2, upper, middle, lower);
    if (bad >= 0) throw badValueAt(this.id, xs, bad);
    return { upper, middle, lower };
  }

  protected save(): void {
    const v = this.saved;
    v[0] = this.pos;
    v[1] = this.buf[this.pos];
    v[2] = this.sum;
    v[3] = this.sum2;
    v[4] = this.upper;
    v[5] = this.middle;
    v[6] = this.lower;
  }
  protected restore(): void {
    const v = this.saved;
    this.pos = v[0];
    this.buf[this.pos] = v[1];
    this.sum = v[2];
    this.sum2 = v[3];
    this.upper = v[4];
    this.middle = v[5];
    this.lower = v[6];
  }
  protected clear(): void {
    this.buf.fill(0);
    this.pos = 0;
    this.sum = this.sum2 = 0;
    this.upper = this.middle = this.lower = NaN;
  }
  protected result(): BandsOutput {
    return { upper: this.upper, middle: this.middle, lower: this.lower };
  }
}
