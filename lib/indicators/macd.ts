/**
 * MACD — moving average convergence/divergence.
 *
 * TA-Lib convention (TA_MACD, default compatibility): fast and slow EMAs
 * (k = 2/(n+1)) each seeded by the SMA of their first `period` inputs, with
 * the two seed windows ending on the same bar: the slow EMA starts at input 0,
 * the fast one at input slow-fast, so the first MACD line value is at index
 * slow-1. The signal line is an EMA of the MACD line seeded by the SMA of its
 * first `signal` values; first output at index slow+signal-2 (lookback
 * slow-1 + signal-1; 33 for 12/26/9). hist = macd - signal. Fast and slow must
 * be ≥ 2 and fast ≤ slow (TA-Lib silently swaps; here it is an error).
 */
import { DomainError } from '../errors';
import { atIndex, badValueAt, checkValue, firstNonFinite, float64, intParam, ScalarBase } from './base';

/**
 * Batch kernel, steady state (all three EMAs seeded): from index `from` on,
 * `run`'s updates — slow and fast (x − ema)·k + ema, line = fast − slow,
 * signal (line − signal)·k + signal, hist = line − signal. Returns the index
 * of the first non-finite input, or −1.
 */
function macdKernel(
  xs: Float64Array,
  n: number,
  from: number,
  kf: number,
  ks: number,
  kg: number,
  ef: number,
  es: number,
  eg: number,
  outMacd: Float64Array,
  outSignal: Float64Array,
  outHist: Float64Array,
): number {
  for (let i = from; i < n; i++) {
    const x = xs[i];
    if (!(x - x === 0)) return i;
    es = (x - es) * ks + es;
    ef = (x - ef) * kf + ef;
    const m = ef - es;
    eg = (m - eg) * kg + eg;
    outMacd[i] = m;
    outSignal[i] = eg;
    outHist[i] = m - eg;
  }
  return -1;
}

export type MacdOutput = {
  readonly macd: number;
  readonly signal: number;
  readonly hist: number;
};

export class Macd extends ScalarBase<MacdOutput, 'macd' | 'signal' | 'hist'> {
  readonly id: string;
  readonly lookback: number;
  readonly outputs = ['macd', 'signal', 'hist'] as const;
  private readonly kFast: number;
  private readonly kSlow: number;
  private readonly kSignal: number;
  private readonly fastStart: number;
  private readonly one = new Float64Array(1);
  // EMA states: seed sums and values (fast, slow, signal), as in ema.ts.
  private sumFast = 0;
  private sumSlow = 0;
  private sumSignal = 0;
  private emaFast = NaN;
  private emaSlow = NaN;
  private emaSignal = NaN;
  macd = NaN;
  signal = NaN;
  hist = NaN;
  private readonly saved = new Float64Array(9);

  constructor(
    readonly fast = 12,
    readonly slow = 26,
    readonly signalPeriod = 9,
  ) {
    super();
    intParam('MACD', 'fast period', fast, 2);
    intParam('MACD', 'slow period', slow, 2);
    intParam('MACD', 'signal period', signalPeriod, 1);
    if (fast > slow) throw new DomainError('BAD_PARAM', `MACD: fast period (${fast}) must not exceed slow period (${slow})`, 400, { indicator: 'MACD', param: 'fast period', value: fast });
    this.id = `MACD_${fast}_${slow}_${signalPeriod}`;
    this.lookback = slow - 1 + (signalPeriod - 1);
    this.kFast = 2.0 / (fast + 1);
    this.kSlow = 2.0 / (slow + 1);
    this.kSignal = 2.0 / (signalPeriod + 1);
    this.fastStart = slow - fast;
  }

  /**
   * The state machine: consumes xs[from..to) with the state held in locals,
   * writes outputs when arrays are given, and stores the state back.
   * Streaming calls it with a one-element range, batch over the warm-up up to
   * the first output (`macdKernel` takes over from there). Each EMA is
   * TA-Lib's: seed = Σ first `period` inputs / period, then (x − ema)·k + ema.
   * Returns whether the last input produced an output.
   */
  run(xs: ArrayLike<number>, from: number, to: number, outMacd: Float64Array | null, outSignal: Float64Array | null, outHist: Float64Array | null): boolean {
    const f = this.fast;
    const s = this.slow;
    const g = this.signalPeriod;
    const kf = this.kFast;
    const ks = this.kSlow;
    const kg = this.kSignal;
    const fastStart = this.fastStart;
    let n = this.n;
    let sumF = this.sumFast;
    let sumS = this.sumSlow;
    let sumG = this.sumSignal;
    let ef = this.emaFast;
    let es = this.emaSlow;
    let eg = this.emaSignal;
    let ready = false;
    for (let i = from; i < to; i++) {
      const x = xs[i];
      if (!(x - x === 0)) {
        checkValue(this.id, x);
      }
      const idx = n++;
      if (idx < s) {
        sumS += x;
        if (idx === s - 1) es = sumS / s;
      } else es = (x - es) * ks + es;
      if (idx >= fastStart) {
        const j = idx - fastStart;
        if (j < f) {
          sumF += x;
          if (j === f - 1) ef = sumF / f;
        } else ef = (x - ef) * kf + ef;
      }
      ready = false;
      // State goes back to the fields every iteration rather than after the
      // loop: code reached once per batch call has no type feedback and would
      // deoptimize the on-stack-replaced loop on every call.
      this.n = n;
      this.sumFast = sumF;
      this.sumSlow = sumS;
      this.emaFast = ef;
      this.emaSlow = es;
      if (idx < s - 1) continue;
      const m = ef - es;
      const j = idx - (s - 1);
      if (j < g) {
        sumG += m;
        this.sumSignal = sumG;
        if (j < g - 1) continue;
        eg = sumG / g;
      } else eg = (m - eg) * kg + eg;
      this.emaSignal = eg;
      const h = m - eg;
      this.macd = m;
      this.signal = eg;
      this.hist = h;
      ready = true;
      if (outMacd !== null) {
        outMacd[i] = m;
        (outSignal as Float64Array)[i] = eg;
        (outHist as Float64Array)[i] = h;
      }
    }
    return ready;
  }

  step(x: number): boolean {
    this.one[0] = x;
    return this.run(this.one, 0, 1, null, null, null);
  }

  computeTyped(series: ArrayLike<number>): { macd: Float64Array; signal: Float64Array; hist: Float64Array } {
    const xs = float64(series);
    const n = xs.length;
    const macd = new Float64Array(n);
    const signal = new Float64Array(n);
    const hist = new Float64Array(n);
    const warm = Math.min(this.lookback, n);
    macd.fill(NaN, 0, warm);
    signal.fill(NaN, 0, warm);
    hist.fill(NaN, 0, warm);
    // Warm-up, seeds and first output through `run`, then the kernel from that state.
    const s = new Macd(this.fast, this.slow, this.signalPeriod);
    const w = Math.min(this.lookback + 1, n);
    try {
      s.run(xs, 0, w, macd, signal, hist);
    } catch (e) {
      throw atIndex(e, firstNonFinite(xs));
    }
    const bad = macdKernel(xs, n, w, s.kFast, s.kSlow, s.kSignal, s.emaFast, s.emaSlow, s.emaSignal, macd, signal, hist);
    if (bad >= 0) throw badValueAt(this.id, xs, bad);
    return { macd, signal, hist };
  }

  protected save(): void {
    const v = this.saved;
    v[0] = this.sumFast;
    v[1] = this.sumSlow;
    v[2] = this.sumSignal;
    v[3] = this.emaFast;
    v[4] = this.emaSlow;
    v[5] = this.emaSignal;
    v[6] = this.macd;
    v[7] = this.signal;
    v[8] = this.hist;
  }
  protected restore(): void {
    const v = this.saved;
    this.sumFast = v[0];
    this.sumSlow = v[1];
    this.sumSignal = v[2];
    this.emaFast = v[3];
    this.emaSlow = v[4];
    this.emaSignal = v[5];
    this.macd = v[6];
    this.signal = v[7];
    this.hist = v[8];
  }
  protected clear(): void {
    this.sumFast = this.sumSlow = this.sumSignal = 0;
    this.emaFast = this.emaSlow = this.emaSignal = NaN;
    this.macd = this.signal = this.hist = NaN;
  }
  protected result(): MacdOutput {
    return { macd: this.macd, signal: this.signal, hist: this.hist };
  }
}
