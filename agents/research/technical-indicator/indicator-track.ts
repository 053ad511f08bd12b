/**
 * The technical-indicator agent's per-series state: RSI(14), MACD(12,26,9),
 * Bollinger Bands(20,2), ADX(14) and Stochastic(14,3,3) as streaming
 * indicators (lib/indicators, TA-Lib conventions), and the last `lookback`
 * values of each reading: RSI, %B, ADX and %K in sorted windows (a percentile
 * rank is a binary search, a quantile a lookup), the MACD histogram in a
 * window with running sums (its σ in O(1)). A new bar costs one step of each
 * indicator and a few moves in each window; a reading is O(log lookback).
 *
 * The indicators are seeded from the first bar the track was fed, not from a
 * window ending at the current bar: the recursive ones (RSI, MACD, ADX)
 * therefore carry their whole history (their dependence on the seed decays
 * geometrically and is below 1e-9 after a few hundred bars); Bollinger Bands
 * and the Stochastic depend only on their window. Readings within 1e-9 of
 * each other rank as ties (`RANK_TIE`). `readTimeframe(bars)` is the same
 * track fed `bars` from scratch, so the two agree to the last bit.
 */
import { SortedWindow, SummedWindow } from '../../../lib/agents/rolling';
import { Adx, BBands, Macd, Rsi, Stoch } from '../../../lib/indicators';
import type { Candle, Timeframe } from '../../../types/market';

export interface TfReading {
  tf: Timeframe;
  score: number;
  rsi: number;
  rsiRank: number;
  /** The RSI at this symbol's own 10th and 90th percentiles. */
  rsiLow: number;
  rsiHigh: number;
  kRank: number;
  bRank: number;
  macdZ: number;
  di: number;
  adx: number;
  adxRank: number;
  parts: number[];
}

/** Readings each ring must hold before the timeframe counts. */
const NEED = 20;

/**
 * Readings closer than this count as ties when ranked (RSI, %K, ADX on 0–100,
 * %B around 0–1): equal in exact arithmetic — an RSI unchanged by a flat bar —
 * they may differ in their last bits, differently on a mirrored series.
 */
export const RANK_TIE = 1e-9;

export class IndicatorTrack {
  private readonly rsi = new Rsi(14);
  private readonly macd = new Macd(12, 26, 9);
  private readonly bb = new BBands(20, 2);
  private readonly adx = new Adx(14);
  private readonly st = new Stoch(14, 3, 3);
  private readonly rsiW: SortedWindow;
  private readonly histW: SummedWindow;
  private readonly pctBW: SortedWindow;
  private readonly adxW: SortedWindow;
  private readonly kW: SortedWindow;
  private pdi = NaN;
  private mdi = NaN;
  /** Bars fed (a replaced bar counts once). */
  count = 0;
  private cached: TfReading | null | undefined = undefined;

  constructor(
    readonly tf: Timeframe,
    readonly lookback: number,
  ) {
    this.rsiW = new SortedWindow(lookback);
    this.histW = new SummedWindow(lookback);
    this.pctBW = new SortedWindow(lookback);
    this.adxW = new SortedWindow(lookback);
    this.kW = new SortedWindow(lookback);
  }

  /** Folds the next bar. */
  push(b: Candle): void {
    this.count++;
    const c = b.c;
    this.rsiW.push(this.rsi.update(c) ?? NaN);
    this.histW.push(this.macd.update(c) !== null ? this.macd.hist : NaN);
    this.pctBW.push(this.bb.update(c) !== null ? pctB(c, this.bb.upper, this.bb.lower) : NaN);
    this.pushAdx(this.adx.update(b) !== null);
    this.kW.push(this.st.update(b) !== null ? this.st.k : NaN);
    this.cached = undefined;
  }

  /** Revises the last bar folded (each indicator steps again from the state before it). */
  replaceLast(b: Candle): void {
    if (this.count === 0) return this.push(b);
    const c = b.c;
    this.rsiW.setLast(this.rsi.replace(c) ?? NaN);
    this.histW.setLast(this.macd.replace(c) !== null ? this.macd.hist : NaN);
    this.pctBW.setLast(this.bb.replace(c) !== null ? pctB(c, this.bb.upper, this.bb.lower) : NaN);
    const ready = this.adx.replace(b) !== null;
    this.adxW.setLast(ready ? this.adx.adx : NaN);
    this.pdi = ready ? this.adx.plusDI : NaN;
    this.mdi = ready ? this.adx.minusDI : NaN;
    this.kW.setLast(this.st.replace(b) !== null ? this.st.k : NaN);
    this.cached = undefined;
  }

  private pushAdx(ready: boolean): void {
    this.adxW.push(ready ? this.adx.adx : NaN);
    this.pdi = ready ? this.adx.plusDI : NaN;
    this.mdi = ready ? this.adx.minusDI : NaN;
  }

  /** The readings at the last bar folded, null while any ring holds fewer than 20 values. Cached until the next bar. */
  reading(): TfReading | null {
    if (this.cached === undefined) this.cached = this.read();
    return this.cached;
  }

  private read(): TfReading | null {
    const { rsiW, kW, adxW, pctBW } = this;
    if (rsiW.count < NEED || kW.count < NEED || adxW.count < NEED || pctBW.count < NEED) return null;
    const hist = this.histW;
    if (hist.count < NEED) return null;
    const sd = hist.stdev();
    const macdZ = sd > 0 ? hist.lastFinite() / sd : 0;

    const rsi = rsiW.lastFinite();
    const rsiRank = rsiW.rank(rsi, RANK_TIE);
    const rsiLow = rsiW.quantile(0.1);
    const rsiHigh = rsiW.quantile(0.9);
    const kRank = kW.rank(kW.lastFinite(), RANK_TIE);
    const adx = adxW.lastFinite();
    const adxRank = adxW.rank(adx, RANK_TIE);
    const bRank = pctBW.rank(pctBW.lastFinite(), RANK_TIE);

    const pdi = this.pdi;
    const mdi = this.mdi;
    const di = pdi + mdi > 0 ? (pdi - mdi) / (pdi + mdi) : 0;
    const reversion = [(0.5 - rsiRank) * 2, (0.5 - kRank) * 2, (0.5 - bRank) * 2];
    const trend = [Math.tanh(macdZ), di];
    const rev = (reversion[0] + reversion[1] + reversion[2]) / 3;
    const tr = (trend[0] + trend[1]) / 2;
    const score = adxRank * tr + (1 - adxRank) * rev;
    return {
      tf: this.tf,
      score,
      rsi,
      rsiRank,
      rsiLow,
      rsiHigh,
      kRank,
      bRank,
      macdZ,
      di,
      adx,
      adxRank,
      parts: [trend[0] * adxRank, trend[1] * adxRank, reversion[0] * (1 - adxRank), reversion[1] * (1 - adxRank), reversion[2] * (1 - adxRank)],
    };
  }
}

/** Position of the close in the bands, NaN when they have no width. */
function pctB(c: number, upper: number, lower: number): number {
  const w = upper - lower;
  return w - w === 0 && w > 0 ? (c - lower) / w : NaN;
}

/** All readings of one timeframe's bars, computed from scratch (null when the indicators are not warmed up). */
export function readTimeframe(bars: readonly Candle[], lookback: number): TfReading | null {
  if (bars.length === 0) return null;
  const t = new IndicatorTrack(bars[0].tf, lookback);
  for (const b of bars) t.push(b);
  return t.reading();
}
