/**
 * Ichimoku Kinkō Hyō (not in TA-Lib).
 *
 * tenkan = (highest high + lowest low)/2 over `tenkan` bars, kijun likewise
 * over `kijun` bars; lead A = (tenkan + kijun)/2 and lead B = midpoint over
 * `senkouB` bars are computed at each bar and belong `displacement` bars
 * ahead, counted as charts do (TradingView plots them with offset
 * displacement−1). Outputs at bar t: tenkan, kijun, the cloud that applies AT
 * t (spanA/spanB = the lead values computed displacement−1 bars earlier) and
 * the leads computed at t (leadA/leadB, plotted displacement−1 bars ahead).
 * The lagging span (close plotted back) needs future bars and is left out.
 * Lookback = max(tenkan, kijun, senkouB) − 1 + displacement − 1 (76 for
 * 9/26/52/26).
 */
import { atIndex, barColumns, BarBase, checkHlc, intParam, nanArray, Ring } from './base';
import type { BarSeries, Column } from './types';

export type IchimokuOutput = {
  readonly tenkan: number;
  readonly kijun: number;
  readonly spanA: number;
  readonly spanB: number;
  readonly leadA: number;
  readonly leadB: number;
};

type Key = 'tenkan' | 'kijun' | 'spanA' | 'spanB' | 'leadA' | 'leadB';

export class Ichimoku extends BarBase<IchimokuOutput, Key> {
  readonly id: string;
  readonly lookback: number;
  readonly outputs = ['tenkan', 'kijun', 'spanA', 'spanB', 'leadA', 'leadB'] as const;
  readonly needs: readonly Column[] = ['high', 'low', 'close'];
  private readonly highs: Ring;
  private readonly lows: Ring;
  private readonly leadsA: Ring;
  private readonly leadsB: Ring;
  private readonly longest: number;
  tenkan = NaN;
  kijun = NaN;
  spanA = NaN;
  spanB = NaN;
  leadA = NaN;
  leadB = NaN;
  private s = new Float64Array(6);

  constructor(
    readonly tenkanPeriod = 9,
    readonly kijunPeriod = 26,
    readonly senkouBPeriod = 52,
    readonly displacement = 26,
  ) {
    super();
    intParam('ICHIMOKU', 'tenkan period', tenkanPeriod, 1);
    intParam('ICHIMOKU', 'kijun period', kijunPeriod, 1);
    intParam('ICHIMOKU', 'senkou B period', senkouBPeriod, 1);
    intParam('ICHIMOKU', 'displacement', displacement, 1);
    this.id = `ICHIMOKU_${tenkanPeriod}_${kijunPeriod}_${senkouBPeriod}_${displacement}`;
    this.longest = Math.max(tenkanPeriod, kijunPeriod, senkouBPeriod);
    this.lookback = this.longest - 1 + displacement - 1;
    this.highs = new Ring(this.longest);
    this.lows = new Ring(this.longest);
    this.leadsA = new Ring(displacement);
    this.leadsB = new Ring(displacement);
  }

  private mid(k: number): number {
    return (this.highs.max(k) + this.lows.min(k)) / 2;
  }

  step(h: number, l: number, c: number): boolean {
    checkHlc(this.id, h, l, c);
    this.highs.push(h);
    this.lows.push(l);
    const n = ++this.n;
    this.tenkan = n >= this.tenkanPeriod ? this.mid(this.tenkanPeriod) : NaN;
    this.kijun = n >= this.kijunPeriod ? this.mid(this.kijunPeriod) : NaN;
    this.leadA = (this.tenkan + this.kijun) / 2;
    this.leadB = n >= this.senkouBPeriod ? this.mid(this.senkouBPeriod) : NaN;
    this.leadsA.push(this.leadA);
    this.leadsB.push(this.leadB);
    if (n <= this.lookback) return false;
    this.spanA = this.leadsA.ago(this.displacement - 1);
    this.spanB = this.leadsB.ago(this.displacement - 1);
    return true;
  }

  computeTyped(series: BarSeries): Record<Key, Float64Array> {
    const { n, h, l, c } = barColumns(this.id, series, this.needs);
    const s = new Ichimoku(this.tenkanPeriod, this.kijunPeriod, this.senkouBPeriod, this.displacement);
    const out = { tenkan: nanArray(n), kijun: nanArray(n), spanA: nanArray(n), spanB: nanArray(n), leadA: nanArray(n), leadB: nanArray(n) };
    let i = 0;
    try {
      for (; i < n; i++) {
        if (s.step(h[i], l[i], c[i])) {
          out.tenkan[i] = s.tenkan;
          out.kijun[i] = s.kijun;
          out.spanA[i] = s.spanA;
          out.spanB[i] = s.spanB;
          out.leadA[i] = s.leadA;
          out.leadB[i] = s.leadB;
        }
      }
    } catch (e) {
      throw atIndex(e, i);
    }
    return out;
  }
  protected save(): void {
    this.highs.save();
    this.lows.save();
    this.leadsA.save();
    this.leadsB.save();
    const s = this.s;
    s[0] = this.tenkan;
    s[1] = this.kijun;
    s[2] = this.spanA;
    s[3] = this.spanB;
    s[4] = this.leadA;
    s[5] = this.leadB;
  }
  protected restore(): void {
    this.highs.restore();
    this.lows.restore();
    this.leadsA.restore();
    this.leadsB.restore();
    const s = this.s;
    this.tenkan = s[0];
    this.kijun = s[1];
    this.spanA = s[2];
    this.spanB = s[3];
    this.leadA = s[4];
    this.leadB = s[5];
  }
  protected clear(): void {
    this.highs.reset();
    this.lows.reset();
    this.leadsA.reset();
    this.leadsB.reset();
    this.tenkan = this.kijun = this.spanA = this.spanB = this.leadA = this.leadB = NaN;
  }
  protected result(): IchimokuOutput {
    return { tenkan: this.tenkan, kijun: this.kijun, spanA: this.spanA, spanB: this.spanB, leadA: this.leadA, leadB: this.leadB };
  }
}
