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
import { atIndex, checkValue, intParam, nanArray, ScalarBase } from './base';
import { EmaCore } from './ema';

export type MacdOutput = {
  readonly macd: number;
  readonly signal: number;
  readonly hist: number;
};

export class Macd extends ScalarBase<MacdOutput, 'macd' | 'signal' | 'hist'> {
  readonly id: string;
  readonly lookback: number;
  readonly outputs = ['macd', 'signal', 'hist'] as const;
  private readonly fastEma: EmaCore;
  private readonly slowEma: EmaCore;
  private readonly signalEma: EmaCore;
  private readonly fastStart: number;
  macd = NaN;
  signal = NaN;
  hist = NaN;
  private sMacd = NaN;
  private sSignal = NaN;
  private sHist = NaN;

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
    this.fastEma = new EmaCore(fast);
    this.slowEma = new EmaCore(slow);
    this.signalEma = new EmaCore(signalPeriod);
    this.fastStart = slow - fast;
  }

  step(x: number): boolean {
    if (!(x - x === 0)) checkValue(this.id, x);
    const i = this.n++;
    const slowReady = this.slowEma.step(x);
    if (i >= this.fastStart) this.fastEma.step(x);
    if (!slowReady) return false;
    const m = this.fastEma.value - this.slowEma.value;
    if (!this.signalEma.step(m)) return false;
    this.macd = m;
    this.signal = this.signalEma.value;
    this.hist = m - this.signal;
    return true;
  }

  computeTyped(xs: ArrayLike<number>): { macd: Float64Array; signal: Float64Array; hist: Float64Array } {
    const s = new Macd(this.fast, this.slow, this.signalPeriod);
    const n = xs.length;
    const macd = nanArray(n);
    const signal = nanArray(n);
    const hist = nanArray(n);
    let i = 0;
    try {
      for (; i < n; i++) {
        if (s.step(xs[i])) {
          macd[i] = s.macd;
          signal[i] = s.signal;
          hist[i] = s.hist;
        }
      }
    } catch (e) {
      throw atIndex(e, i);
    }
    return { macd, signal, hist };
  }

  protected save(): void {
    this.fastEma.save();
    this.slowEma.save();
    this.signalEma.save();
    this.sMacd = this.macd;
    this.sSignal = this.signal;
    this.sHist = this.hist;
  }
  protected restore(): void {
    this.fastEma.restore();
    this.slowEma.restore();
    this.signalEma.restore();
    this.macd = this.sMacd;
    this.signal = this.sSignal;
    this.hist = this.sHist;
  }
  protected clear(): void {
    this.fastEma.reset();
    this.slowEma.reset();
    this.signalEma.reset();
    this.macd = this.signal = this.hist = NaN;
  }
  protected result(): MacdOutput {
    return { macd: this.macd, signal: this.signal, hist: this.hist };
  }
}
