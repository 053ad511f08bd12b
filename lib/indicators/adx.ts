/**
 * ADX with +DI and −DI (Wilder's directional movement system).
 *
 * TA-Lib convention (TA_ADX / TA_PLUS_DI / TA_MINUS_DI, unstable period 0,
 * no rounding), lookback 2·period−1 (period ≥ 2):
 *  - one-bar moves: up = high−prevHigh, down = prevLow−low; −DM1 = down if
 *    down > 0 and up < down; else +DM1 = up if up > 0 and up > down; else 0.
 *  - bars 1..period−1: the DMs and true ranges are summed;
 *  - from bar `period` on, Wilder smoothing: dm −= dm/period then += dm1;
 *    tr = tr − tr/period + tr1; DI = 100·dm/tr (0 when tr is ~0).
 *  - DX = 100·|−DI − +DI| / (−DI + +DI), skipped when tr or the DI sum is ~0;
 *    the first ADX (index 2·period−1) is the sum of the first `period` DXs
 *    divided by the period; then adx = (adx·(period−1) + dx)/period (kept
 *    unchanged on a skipped DX).
 * Outputs {adx, plusDI, minusDI}; the DIs are TA-Lib's PLUS_DI/MINUS_DI at
 * the same bar.
 */
import { atIndex, barColumns, BarBase, checkHlc, intParam, isZero, nanArray } from './base';
import { trueRange } from './atr';
import type { BarSeries, Column } from './types';

export type AdxOutput = { readonly adx: number; readonly plusDI: number; readonly minusDI: number };

export class Adx extends BarBase<AdxOutput, 'adx' | 'plusDI' | 'minusDI'> {
  readonly id: string;
  readonly lookback: number;
  readonly outputs = ['adx', 'plusDI', 'minusDI'] as const;
  readonly needs: readonly Column[] = ['high', 'low', 'close'];
  private prevH = 0;
  private prevL = 0;
  private prevC = 0;
  private pDM = 0;
  private mDM = 0;
  private tr = 0;
  private sumDX = 0;
  adx = NaN;
  plusDI = NaN;
  minusDI = NaN;
  private s = new Float64Array(10);

  constructor(readonly period = 14) {
    super();
    intParam('ADX', 'period', period, 2);
    this.id = `ADX_${period}`;
    this.lookback = 2 * period - 1;
  }

  step(h: number, l: number, c: number): boolean {
    checkHlc(this.id, h, l, c);
    const i = this.n++;
    const p = this.period;
    if (i === 0) {
      this.prevH = h;
      this.prevL = l;
      this.prevC = c;
      return false;
    }
    const up = h - this.prevH;
    const down = this.prevL - l;
    this.prevH = h;
    this.prevL = l;
    const tr1 = trueRange(h, l, this.prevC);
    this.prevC = c;
    if (i < p) {
      if (down > 0 && up < down) this.mDM += down;
      else if (up > 0 && up > down) this.pDM += up;
      this.tr += tr1;
      return false;
    }
    this.mDM -= this.mDM / p;
    this.pDM -= this.pDM / p;
    if (down > 0 && up < down) this.mDM += down;
    else if (up > 0 && up > down) this.pDM += up;
    this.tr = this.tr - this.tr / p + tr1;
    let dx = NaN;
    if (!isZero(this.tr)) {
      const mdi = 100.0 * (this.mDM / this.tr);
      const pdi = 100.0 * (this.pDM / this.tr);
      this.minusDI = mdi;
      this.plusDI = pdi;
      const sum = mdi + pdi;
      if (!isZero(sum)) dx = 100.0 * (Math.abs(mdi - pdi) / sum);
    } else {
      this.minusDI = 0;
      this.plusDI = 0;
    }
    if (i < 2 * p - 1) {
      if (dx === dx) this.sumDX += dx;
      return false;
    }
    if (i === 2 * p - 1) {
      if (dx === dx) this.sumDX += dx;
      this.adx = this.sumDX / p;
      return true;
    }
    if (dx === dx) this.adx = (this.adx * (p - 1) + dx) / p;
    return true;
  }

  computeTyped(series: BarSeries): { adx: Float64Array; plusDI: Float64Array; minusDI: Float64Array } {
    const { n, h, l, c } = barColumns(this.id, series, this.needs);
    const s = new Adx(this.period);
    // Result built before the loop: code after an on-stack-replaced loop has no type feedback.
    const res = { adx: nanArray(n), plusDI: nanArray(n), minusDI: nanArray(n) };
    const { adx, plusDI, minusDI } = res;
    let i = 0;
    try {
      for (; i < n; i++) {
        if (s.step(h[i], l[i], c[i])) {
          adx[i] = s.adx;
          plusDI[i] = s.plusDI;
          minusDI[i] = s.minusDI;
        }
      }
    } catch (e) {
      throw atIndex(e, i);
    }
    return res;
  }
  protected save(): void {
    const s = this.s;
    s[0] = this.prevH;
    s[1] = this.prevL;
    s[2] = this.prevC;
    s[3] = this.pDM;
    s[4] = this.mDM;
    s[5] = this.tr;
    s[6] = this.sumDX;
    s[7] = this.adx;
    s[8] = this.plusDI;
    s[9] = this.minusDI;
  }
  protected restore(): void {
    const s = this.s;
    this.prevH = s[0];
    this.prevL = s[1];
    this.prevC = s[2];
    this.pDM = s[3];
    this.mDM = s[4];
    this.tr = s[5];
    this.sumDX = s[6];
    this.adx = s[7];
    this.plusDI = s[8];
    this.minusDI = s[9];
  }
  protected clear(): void {
    this.prevH = this.prevL = this.prevC = this.pDM = this.mDM = this.tr = this.sumDX = 0;
    this.adx = this.plusDI = this.minusDI = NaN;
  }
  protected result(): AdxOutput {
    return { adx: this.adx, plusDI: this.plusDI, minusDI: this.minusDI };
  }
}
