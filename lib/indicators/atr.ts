/**
 * ATR — Wilder's average true range.
 *
 * TA-Lib convention (TA_ATR, unstable period 0): lookback = period. True
 * range needs the previous close, so bar 0 only supplies that close; TR is
 * greatest of high−low, |prevClose−high|, |prevClose−low| (compared in that
 * order). The first ATR (index `period`) is the plain mean of the first
 * `period` TRs; afterwards Wilder smoothing as three separate operations:
 * atr *= period−1; atr += tr; atr /= period. Period 1 gives TRANGE.
 */
import { atIndex, barColumns, BarBase, checkHlc, intParam, nanArray } from './base';
import type { BarSeries, Column } from './types';

/** True range of a bar against the previous close, TA-Lib's comparison order. */
export function trueRange(h: number, l: number, prevClose: number): number {
  let g = h - l;
  const a = Math.abs(prevClose - h);
  if (a > g) g = a;
  const b = Math.abs(prevClose - l);
  if (b > g) g = b;
  return g;
}

/** Wilder ATR state machine; shared by ATR, Keltner Channels and SuperTrend. */
export class AtrCore {
  n = 0;
  prevClose = 0;
  sum = 0;
  value = NaN;
  private sN = 0;
  private sPrevClose = 0;
  private sSum = 0;
  private sValue = NaN;
  constructor(readonly period: number) {}
  step(h: number, l: number, c: number): boolean {
    const i = this.n++;
    if (i === 0) {
      this.prevClose = c;
      return false;
    }
    const tr = trueRange(h, l, this.prevClose);
    this.prevClose = c;
    const p = this.period;
    if (i > p) {
      let a = this.value;
      a *= p - 1;
      a += tr;
      a /= p;
      this.value = a;
      return true;
    }
    this.sum += tr;
    if (i < p) return false;
    this.value = this.sum / p;
    return true;
  }
  save(): void {
    this.sN = this.n;
    this.sPrevClose = this.prevClose;
    this.sSum = this.sum;
    this.sValue = this.value;
  }
  restore(): void {
    this.n = this.sN;
    this.prevClose = this.sPrevClose;
    this.sum = this.sSum;
    this.value = this.sValue;
  }
  reset(): void {
    this.n = 0;
    this.prevClose = 0;
    this.sum = 0;
    this.value = NaN;
  }
}

export class Atr extends BarBase<number, 'values'> {
  readonly id: string;
  readonly lookback: number;
  readonly outputs = ['values'] as const;
  readonly needs: readonly Column[] = ['high', 'low', 'close'];
  private readonly core: AtrCore;

  constructor(readonly period = 14) {
    super();
    intParam('ATR', 'period', period, 1);
    this.id = `ATR_${period}`;
    this.lookback = period;
    this.core = new AtrCore(period);
  }

  step(h: number, l: number, c: number): boolean {
    checkHlc(this.id, h, l, c);
    this.n++;
    return this.core.step(h, l, c);
  }

  computeTyped(series: BarSeries): { values: Float64Array } {
    const { n, h, l, c } = barColumns(this.id, series, this.needs);
    const s = new Atr(this.period);
    // Result built before the loop: code after an on-stack-replaced loop has no type feedback.
    const res = { values: nanArray(n) };
    const out = res.values;
    let i = 0;
    try {
      for (; i < n; i++) if (s.step(h[i], l[i], c[i])) out[i] = s.core.value;
    } catch (e) {
      throw atIndex(e, i);
    }
    return res;
  }
  protected save(): void {
    this.core.save();
  }
  protected restore(): void {
    this.core.restore();
  }
  protected clear(): void {
    this.core.reset();
  }
  protected result(): number {
    return this.core.value;
  }
}
