/**
 * MFI — money flow index.
 *
 * TA-Lib convention (current TA_MFI), lookback = period (period ≥ 2): typical
 * price tp = (h+l+c)/3.0; money flow = tp·volume, counted positive when tp
 * rose, negative when it fell, and not at all when tp is unchanged within a
 * scaled dead zone (|Δtp| ≤ 1e-14·(|tp|+|prevTp|)). The last `period` flows
 * are summed in a ring (subtract the leaving flow, add the new one); after a
 * whole period without flow the sums are reset to exactly 0 to drop rounding
 * residue. MFI = 100·pos/(pos+neg) with pos clamped into [0, pos+neg], and 0
 * when the window holds no flow. (TA-Lib ≤ 0.6 returned 0 whenever pos+neg
 * < 1, which zeroes tiny-priced instruments; the current rule does not.)
 */
import { atIndex, barColumns, BarBase, checkHlc, checkVolume, intParam, nanArray, Ring, TA_EPSILON } from './base';
import type { BarSeries, Column } from './types';

export class Mfi extends BarBase<number, 'values'> {
  readonly id: string;
  readonly lookback: number;
  readonly outputs = ['values'] as const;
  readonly needs: readonly Column[] = ['high', 'low', 'close', 'volume'];
  private readonly posRing: Ring;
  private readonly negRing: Ring;
  private prevTp = 0;
  private pos = 0;
  private neg = 0;
  private nullRun = 0;
  value = NaN;
  private sPrevTp = 0;
  private sPos = 0;
  private sNeg = 0;
  private sNullRun = 0;
  private sValue = NaN;

  constructor(readonly period = 14) {
    super();
    intParam('MFI', 'period', period, 2);
    this.id = `MFI_${period}`;
    this.lookback = period;
    this.posRing = new Ring(period);
    this.negRing = new Ring(period);
  }

  step(h: number, l: number, c: number, v: number): boolean {
    checkHlc(this.id, h, l, c);
    checkVolume(this.id, v);
    const i = this.n++;
    const p = this.period;
    const tp = (h + l + c) / 3.0;
    if (i === 0) {
      this.prevTp = tp;
      return false;
    }
    if (i > p) {
      this.pos -= this.posRing.next();
      this.neg -= this.negRing.next();
    }
    const d = tp - this.prevTp;
    const scale = Math.abs(tp) + Math.abs(this.prevTp);
    this.prevTp = tp;
    const flow = Math.abs(d) <= TA_EPSILON * scale ? 0.0 : tp * v;
    const posF = d < 0.0 ? 0.0 : flow;
    const negF = d < 0.0 ? flow : 0.0;
    this.posRing.push(posF);
    this.negRing.push(negF);
    this.pos += posF;
    this.neg += negF;
    this.nullRun = flow === 0.0 ? this.nullRun + 1 : 0;
    if (this.nullRun >= p) {
      this.nullRun = p;
      this.pos = 0.0;
      this.neg = 0.0;
    }
    if (i < p) return false;
    const total = this.pos + this.neg;
    const pc = this.pos < 0.0 ? 0.0 : this.pos > total ? total : this.pos;
    this.value = total <= 0.0 ? 0.0 : 100.0 * (pc / total);
    return true;
  }

  computeTyped(series: BarSeries): { values: Float64Array } {
    const { n, h, l, c, v } = barColumns(this.id, series, this.needs);
    const s = new Mfi(this.period);
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
    this.posRing.save();
    this.negRing.save();
    this.sPrevTp = this.prevTp;
    this.sPos = this.pos;
    this.sNeg = this.neg;
    this.sNullRun = this.nullRun;
    this.sValue = this.value;
  }
  protected restore(): void {
    this.posRing.restore();
    this.negRing.restore();
    this.prevTp = this.sPrevTp;
    this.pos = this.sPos;
    this.neg = this.sNeg;
    this.nullRun = this.sNullRun;
    this.value = this.sValue;
  }
  protected clear(): void {
    this.posRing.reset();
    this.negRing.reset();
    this.prevTp = this.pos = this.neg = 0;
    this.nullRun = 0;
    this.value = NaN;
  }
  protected result(): number {
    return this.value;
  }
}
