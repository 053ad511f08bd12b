/**
 * OBV — on-balance volume.
 *
 * TA-Lib convention (TA_OBV): lookback 0; the first output is the first bar's
 * volume; then volume is added when the close rises, subtracted when it falls,
 * and the total is unchanged when the close is equal.
 */
import { atIndex, badInput, barColumns, BarBase, checkVolume, finite, nanArray } from './base';
import type { BarSeries, Column } from './types';

export class Obv extends BarBase<number, 'values'> {
  readonly id = 'OBV';
  readonly lookback = 0;
  readonly outputs = ['values'] as const;
  readonly needs: readonly Column[] = ['close', 'volume'];
  private prevC = 0;
  value = NaN;
  private sPrevC = 0;
  private sValue = NaN;

  step(_h: number, _l: number, c: number, v: number): boolean {
    if (!finite(c)) throw badInput(this.id, `close must be finite, got ${c}`);
    checkVolume(this.id, v);
    if (this.n++ === 0) this.value = v;
    else if (c > this.prevC) this.value += v;
    else if (c < this.prevC) this.value -= v;
    this.prevC = c;
    return true;
  }

  computeTyped(series: BarSeries): { values: Float64Array } {
    const { n, h, l, c, v } = barColumns(this.id, series, this.needs);
    const s = new Obv();
    // Result built before the loop: code after an on-stack-replaced loop has no type feedback.
    const res = { values: nanArray(n) };
    const out = res.values;
    let i = 0;
    try {
      for (; i < n; i++) if (s.step(h[i], l[i], c[i], v[i])) out[i] = s.value;
    } catch (e) {
      throw atIndex(e, i);
    }
    return res;
  }
  protected save(): void {
    this.sPrevC = this.prevC;
    this.sValue = this.value;
  }
  protected restore(): void {
    this.prevC = this.sPrevC;
    this.value = this.sValue;
  }
  protected clear(): void {
    this.prevC = 0;
    this.value = NaN;
  }
  protected result(): number {
    return this.value;
  }
}
