/**
 * VWAP — session-anchored volume-weighted average price (not in TA-Lib).
 *
 * Typical price (h+l+c)/3 weighted by volume, accumulated from the first bar
 * of each session: VWAP = Σ tp·v / Σ v. Lookback 0. A session is identified
 * by `sessionOf(t)` on the bar's open time `t` (ms UTC); by default the UTC
 * day, optionally shifted to start at `startHourUtc` (e.g. 22 for the FX day
 * starting 22:00 UTC). While a session has seen no volume yet (Σv = 0, e.g. FX
 * feeds without volume), the value is the plain mean of the session's typical
 * prices rather than 0/0. Bars need `t` and `v`.
 */
import { DomainError } from '../errors';
import { atIndex, badInput, barColumns, BarBase, checkHlc, checkVolume, finite, nanArray } from './base';
import type { BarSeries, Column } from './types';

const DAY_MS = 86_400_000;

export interface VwapOptions {
  /** Hour (UTC, may be fractional, 0 ≤ h < 24) at which each daily session starts; default 0. */
  startHourUtc?: number;
  /** Custom session key of a bar open time (ms UTC), e.g. for DST-aware sessions; overrides startHourUtc. */
  sessionOf?: (t: number) => number;
}

export class Vwap extends BarBase<number, 'values'> {
  readonly id: string;
  readonly lookback = 0;
  readonly outputs = ['values'] as const;
  readonly needs: readonly Column[] = ['timestamps', 'high', 'low', 'close', 'volume'];
  private readonly offsetMs: number;
  private readonly sessionOf: ((t: number) => number) | undefined;
  private session = NaN;
  private pv = 0;
  private vol = 0;
  private tpSum = 0;
  private bars = 0;
  value = NaN;
  private sSession = NaN;
  private sPv = 0;
  private sVol = 0;
  private sTpSum = 0;
  private sBars = 0;
  private sValue = NaN;

  constructor(readonly options: VwapOptions = {}) {
    super();
    const h = options.startHourUtc ?? 0;
    if (!(typeof h === 'number' && h >= 0 && h < 24)) {
      throw new DomainError('BAD_PARAM', `VWAP: session start hour must be in [0, 24), got ${String(h)}`, 400, { indicator: 'VWAP', param: 'startHourUtc', value: h });
    }
    this.offsetMs = h * 3_600_000;
    this.sessionOf = options.sessionOf;
    this.id = options.sessionOf ? 'VWAP_CUSTOM' : h === 0 ? 'VWAP' : `VWAP_${h}`;
  }

  step(h: number, l: number, c: number, v: number, t: number): boolean {
    checkHlc(this.id, h, l, c);
    checkVolume(this.id, v);
    if (!finite(t)) throw badInput(this.id, `bar time t (ms) is required, got ${t}`);
    this.n++;
    const s = this.sessionOf ? this.sessionOf(t) : Math.floor((t - this.offsetMs) / DAY_MS);
    if (s !== this.session) {
      this.session = s;
      this.pv = 0;
      this.vol = 0;
      this.tpSum = 0;
      this.bars = 0;
    }
    const tp = (h + l + c) / 3;
    this.pv += tp * v;
    this.vol += v;
    this.tpSum += tp;
    this.bars++;
    this.value = this.vol > 0 ? this.pv / this.vol : this.tpSum / this.bars;
    return true;
  }

  computeTyped(series: BarSeries): { values: Float64Array } {
    const { n, h, l, c, v, t } = barColumns(this.id, series, this.needs);
    const s = new Vwap(this.options);
    // Result built before the loop: code after an on-stack-replaced loop has no type feedback.
    const res = { values: nanArray(n) };
    const out = res.values;
    let i = 0;
    try {
      for (; i < n; i++) if (s.step(h[i], l[i], c[i], v[i], t[i])) out[i] = s.value;
    } catch (e) {
      throw atIndex(e, i);
    }
    return res;
  }
  protected save(): void {
    this.sSession = this.session;
    this.sPv = this.pv;
    this.sVol = this.vol;
    this.sTpSum = this.tpSum;
    this.sBars = this.bars;
    this.sValue = this.value;
  }
  protected restore(): void {
    this.session = this.sSession;
    this.pv = this.sPv;
    this.vol = this.sVol;
    this.tpSum = this.sTpSum;
    this.bars = this.sBars;
    this.value = this.sValue;
  }
  protected clear(): void {
    this.session = NaN;
    this.pv = this.vol = this.tpSum = 0;
    this.bars = 0;
    this.value = NaN;
  }
  protected result(): number {
    return this.value;
  }
}
