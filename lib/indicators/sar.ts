/**
 * Parabolic SAR (Wilder).
 *
 * TA-Lib convention (TA_SAR): lookback 1. The first bar only seeds: the
 * initial direction is short if the one-bar −DM of bar 1 is positive
 * (prevLow−low > 0 and greater than high−prevHigh), long otherwise (ties go
 * long); the initial SAR is bar 0's low (long) or high (short) and the extreme
 * point bar 1's high (long) or low (short). Each bar: output the SAR computed
 * at the previous bar, or, when the bar penetrates it, reverse and output the
 * extreme point (clamped to the last two bars' range); then move
 * sar += af·(ep − sar), af starting at `acceleration`, growing by it on each new
 * extreme up to `maximum`, and clamp the SAR into the last two bars' range.
 * If acceleration > maximum, acceleration is set to maximum (as TA-Lib does).
 */
import { atIndex, badInput, barColumns, BarBase, finite, fmtParam, nanArray, numParam } from './base';
import type { BarSeries, Column } from './types';

export class Sar extends BarBase<number, 'values'> {
  readonly id: string;
  readonly lookback = 1;
  readonly outputs = ['values'] as const;
  readonly needs: readonly Column[] = ['high', 'low'];
  private readonly accel: number;
  private readonly max: number;
  private isLong = true;
  private af = 0;
  private ep = 0;
  private sar = 0;
  private lastH = 0;
  private lastL = 0;
  value = NaN;
  private s = new Float64Array(7);

  constructor(
    readonly acceleration = 0.02,
    readonly maximum = 0.2,
  ) {
    super();
    numParam('SAR', 'acceleration', acceleration);
    numParam('SAR', 'maximum', maximum);
    this.id = `SAR_${fmtParam(acceleration)}_${fmtParam(maximum)}`;
    this.max = maximum;
    this.accel = acceleration > maximum ? maximum : acceleration;
  }

  step(h: number, l: number): boolean {
    if (!(finite(h) && finite(l))) throw badInput(this.id, `high/low must be finite, got h=${h} l=${l}`);
    const i = this.n++;
    if (i === 0) {
      this.lastH = h;
      this.lastL = l;
      return false;
    }
    let prevH: number;
    let prevL: number;
    if (i === 1) {
      const up = h - this.lastH;
      const down = this.lastL - l;
      const minusDM = down > 0 && up < down ? down : 0;
      this.isLong = !(minusDM > 0);
      if (this.isLong) {
        this.ep = h;
        this.sar = this.lastL;
      } else {
        this.ep = l;
        this.sar = this.lastH;
      }
      this.af = this.accel;
      // TA-Lib uses the current bar as "previous" on the first iteration.
      prevH = h;
      prevL = l;
    } else {
      prevH = this.lastH;
      prevL = this.lastL;
    }
    this.lastH = h;
    this.lastL = l;
    let sar = this.sar;
    if (this.isLong) {
      if (l <= sar) {
        this.isLong = false;
        sar = this.ep;
        if (sar < prevH) sar = prevH;
        if (sar < h) sar = h;
        this.value = sar;
        this.af = this.accel;
        this.ep = l;
        sar = sar + this.af * (this.ep - sar);
        if (sar < prevH) sar = prevH;
        if (sar < h) sar = h;
      } else {
        this.value = sar;
        if (h > this.ep) {
          this.ep = h;
          this.af += this.accel;
          if (this.af > this.max) this.af = this.max;
        }
        sar = sar + this.af * (this.ep - sar);
        if (sar > prevL) sar = prevL;
        if (sar > l) sar = l;
      }
    } else if (h >= sar) {
      this.isLong = true;
      sar = this.ep;
      if (sar > prevL) sar = prevL;
      if (sar > l) sar = l;
      this.value = sar;
      this.af = this.accel;
      this.ep = h;
      sar = sar + this.af * (this.ep - sar);
      if (sar > prevL) sar = prevL;
      if (sar > l) sar = l;
    } else {
      this.value = sar;
      if (l < this.ep) {
        this.ep = l;
        this.af += this.accel;
        if (this.af > this.max) this.af = this.max;
      }
      sar = sar + this.af * (this.ep - sar);
      if (sar < prevH) sar = prevH;
      if (sar < h) sar = h;
    }
    this.sar = sar;
    return true;
  }

  computeTyped(series: BarSeries): { values: Float64Array } {
    const { n, h, l } = barColumns(this.id, series, this.needs);
    const s = new Sar(this.acceleration, this.maximum);
    // Result built before the loop: code after an on-stack-replaced loop has no type feedback.
    const res = { values: nanArray(n) };
    const out = res.values;
    let i = 0;
    try {
      for (; i < n; i++) if (s.step(h[i], l[i])) out[i] = s.value;
    } catch (e) {
      throw atIndex(e, i);
    }
    return res;
  }
  protected save(): void {
    const s = this.s;
    s[0] = this.isLong ? 1 : 0;
    s[1] = this.af;
    s[2] = this.ep;
    s[3] = this.sar;
    s[4] = this.lastH;
    s[5] = this.lastL;
    s[6] = this.value;
  }
  protected restore(): void {
    const s = this.s;
    this.isLong = s[0] === 1;
    this.af = s[1];
    this.ep = s[2];
    this.sar = s[3];
    this.lastH = s[4];
    this.lastL = s[5];
    this.value = s[6];
  }
  protected clear(): void {
    this.isLong = true;
    this.af = this.ep = this.sar = this.lastH = this.lastL = 0;
    this.value = NaN;
  }
  protected result(): number {
    return this.value;
  }
}
