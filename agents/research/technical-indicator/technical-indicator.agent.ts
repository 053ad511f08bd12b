/**
 * technical-indicator (research, market-scoped): RSI(14), MACD(12,26,9),
 * Bollinger Bands(20,2), ADX(14) and Stochastic(14,3,3) (lib/indicators, TA-Lib
 * conventions) on the queried timeframe and the next two up, read against the
 * symbol's own recent distribution instead of fixed 30/70 lines:
 *
 * - RSI, %K and Bollinger %B as percentile ranks among their last `lookback`
 *   values: the top of their own range reads −1 (stretched up, reversion
 *   risk), the bottom +1. "Overbought" is the 90th percentile of this symbol's
 *   recent RSI, whatever its number.
 * - MACD histogram as a z-score against its own recent spread (tanh), and the
 *   direction of +DI vs −DI: trend-following readings.
 * - ADX as a percentile rank among its recent values sets the mix: a strong
 *   trend for this symbol weighs the trend readings, a weak one the reversion
 *   readings.
 *
 * Per timeframe: score = a·trend + (1 − a)·reversion with a = ADX rank;
 * timeframes weigh 0.5/0.3/0.2. Confidence = agreement of the readings ×
 * how far they sit from the middle of their ranges × data sufficiency.
 * All readings are symmetric in price, so mirroring the series flips the signal.
 */
import type { Agent, AgentEvent, OpinionDraft } from '../../../lib/agents/agent';
import { BarStore, barsFor, closeTime, higherTimeframes } from '../../../lib/agents/bars';
import { clamp, fmt, neutralDraft, toProbabilities } from '../../../lib/agents/opinion';
import { applyParams, ParamSchema } from '../../../lib/agents/params';
import { percentileRank } from '../../../lib/agents/stats';
import { Adx, BBands, Macd, Rsi, Stoch } from '../../../lib/indicators';
import type { OpinionQuery } from '../../../types/agents';
import { Candle, TF_MS, Timeframe } from '../../../types/market';

export interface TechnicalParams {
  lookback: number;
  minBars: number;
  higherTimeframes: number;
}

export const TECHNICAL_PARAMS: ParamSchema<TechnicalParams> = {
  lookback: { type: 'number', min: 20, max: 2000, integer: true, doc: 'recent values each reading is ranked against' },
  minBars: { type: 'number', min: 60, max: 2000, integer: true, doc: 'bars needed on a timeframe before it counts' },
  higherTimeframes: { type: 'number', min: 0, max: 3, integer: true, doc: 'higher timeframes looked at' },
};

const TF_WEIGHTS = [0.5, 0.3, 0.2];

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

/** Last finite values of a series (up to n), oldest first. */
function tail(xs: Float64Array, n: number): number[] {
  const out: number[] = [];
  for (let i = Math.max(0, xs.length - n); i < xs.length; i++) if (Number.isFinite(xs[i])) out.push(xs[i]);
  return out;
}

function q(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  const r = p * (s.length - 1);
  const lo = Math.floor(r);
  return s[lo] + (s[Math.ceil(r)] - s[lo]) * (r - lo);
}

/** All readings of one timeframe's bars (null when the indicators are not warmed up). */
export function readTimeframe(bars: readonly Candle[], lookback: number): TfReading | null {
  const closes = new Float64Array(bars.length);
  for (let i = 0; i < bars.length; i++) closes[i] = bars[i].c;
  const rsi = tail(new Rsi(14).computeTyped(closes).values, lookback);
  const macd = tail(new Macd(12, 26, 9).computeTyped(closes).hist, lookback);
  const bb = new BBands(20, 2).computeTyped(closes);
  const adxOut = new Adx(14).computeTyped(bars);
  const st = tail(new Stoch(14, 3, 3).computeTyped(bars).k, lookback);
  const adx = tail(adxOut.adx, lookback);
  const pctB: number[] = [];
  for (let i = Math.max(0, bars.length - lookback); i < bars.length; i++) {
    const w = bb.upper[i] - bb.lower[i];
    if (Number.isFinite(w) && w > 0) pctB.push((bars[i].c - bb.lower[i]) / w);
  }
  const need = 20;
  if (rsi.length < need || macd.length < need || st.length < need || adx.length < need || pctB.length < need) return null;
  const last = <T>(xs: T[]) => xs[xs.length - 1];
  const rsiRank = percentileRank(rsi, last(rsi));
  const kRank = percentileRank(st, last(st));
  const bRank = percentileRank(pctB, last(pctB));
  const m = macd.reduce((a, b) => a + b, 0) / macd.length;
  const sd = Math.sqrt(macd.reduce((a, b) => a + (b - m) ** 2, 0) / (macd.length - 1));
  const macdZ = sd > 0 ? last(macd) / sd : 0;
  const pdi = adxOut.plusDI[adxOut.plusDI.length - 1];
  const mdi = adxOut.minusDI[adxOut.minusDI.length - 1];
  const di = pdi + mdi > 0 ? (pdi - mdi) / (pdi + mdi) : 0;
  const adxRank = percentileRank(adx, last(adx));
  const reversion = [(0.5 - rsiRank) * 2, (0.5 - kRank) * 2, (0.5 - bRank) * 2];
  const trend = [Math.tanh(macdZ), di];
  const rev = (reversion[0] + reversion[1] + reversion[2]) / 3;
  const tr = (trend[0] + trend[1]) / 2;
  const score = adxRank * tr + (1 - adxRank) * rev;
  return {
    tf: bars[0].tf,
    score,
    rsi: last(rsi),
    rsiRank,
    rsiLow: q(rsi, 0.1),
    rsiHigh: q(rsi, 0.9),
    kRank,
    bRank,
    macdZ,
    di,
    adx: last(adx),
    adxRank,
    parts: [...trend.map((x) => x * adxRank), ...reversion.map((x) => x * (1 - adxRank))],
  };
}

export class TechnicalIndicatorAgent implements Agent {
  readonly id = 'technical-indicator';
  readonly group = 'research' as const;
  readonly scope = 'market' as const;
  readonly events = ['candle.closed'] as const;
  private readonly bars = new BarStore(3000);
  private params: TechnicalParams;
  /** Higher-timeframe readings change only when one of their bars completes: kept per completed bar. */
  private readonly higher = new Map<string, TfReading | null>();

  constructor(params: Partial<TechnicalParams> = {}) {
    this.params = applyParams(TECHNICAL_PARAMS, { lookback: 250, minBars: 120, higherTimeframes: 2 }, params);
  }

  update(e: AgentEvent): void {
    if (e.type === 'candle.closed') this.bars.add(e.candle);
  }

  opine(qr: OpinionQuery): OpinionDraft {
    const p = this.params;
    const base = this.bars.get(qr.symbol, qr.tf, qr.asOf);
    const asOf = qr.asOf ?? (base.length > 0 ? closeTime(base[base.length - 1]) : 0);
    const head = { agent: this.id, group: this.group, symbol: qr.symbol, tf: qr.tf, asOf };
    if (base.length < p.minBars) return neutralDraft(head, `${qr.symbol} ${qr.tf}: ${base.length} bars so far, ${p.minBars} needed to rank the indicators against their own history.`);
    const window = p.lookback + 60;
    const readings: TfReading[] = [];
    const baseEnd = closeTime(base[base.length - 1]);
    for (const tf of [qr.tf, ...higherTimeframes(qr.tf, p.higherTimeframes)]) {
      if (tf === qr.tf) {
        const r = readTimeframe(base.slice(-window), p.lookback);
        if (r) readings.push(r);
        continue;
      }
      const own = this.bars.latest(qr.symbol, tf);
      const key = `${qr.symbol}|${tf}|${Math.floor(baseEnd / TF_MS[tf])}|${own?.t ?? ''}|${p.lookback}|${p.minBars}`;
      let r = this.higher.get(key);
      if (r === undefined) {
        const b = barsFor(this.bars, qr.symbol, tf, base, qr.asOf, p.minBars);
        r = b.length >= p.minBars ? readTimeframe(b.slice(-window), p.lookback) : null;
        if (this.higher.size >= 256) this.higher.delete(this.higher.keys().next().value as string);
        this.higher.set(key, r);
      }
      if (r) readings.push(r);
    }
    if (readings.length === 0) return neutralDraft(head, `${qr.symbol} ${qr.tf}: indicators still warming up.`);
    let s = 0;
    let w = 0;
    let agreeNum = 0;
    let agreeDen = 0;
    let extremity = 0;
    readings.forEach((r, i) => {
      s += TF_WEIGHTS[i] * r.score;
      w += TF_WEIGHTS[i];
      for (const x of r.parts) {
        agreeNum += TF_WEIGHTS[i] * x;
        agreeDen += TF_WEIGHTS[i] * Math.abs(x);
      }
      extremity += TF_WEIGHTS[i] * Math.max(Math.abs(r.rsiRank - 0.5), Math.abs(r.kRank - 0.5), Math.abs(r.bRank - 0.5), r.adxRank / 2) * 2;
    });
    const signal = clamp(s / w, -1, 1);
    const agreement = agreeDen > 0 ? Math.abs(agreeNum) / agreeDen : 0;
    const confidence = clamp(agreement * (extremity / w) * Math.min(1, base.length / (p.lookback + 60)), 0, 1);
    const txt = readings
      .map((r) => {
        const zone = r.rsi >= r.rsiHigh ? 'stretched up' : r.rsi <= r.rsiLow ? 'stretched down' : 'mid-range';
        const trend = r.adxRank >= 0.7 ? `strong trend for this symbol (ADX ${fmt(r.adx, 3)}, ${fmt(r.adxRank * 100, 2)}th pct), ${r.di > 0 ? '+DI leads' : '−DI leads'}` : `weak trend (ADX ${fmt(r.adx, 3)}, ${fmt(r.adxRank * 100, 2)}th pct)`;
        return `${r.tf}: RSI ${fmt(r.rsi, 3)} (${zone}; its own 10–90% band ${fmt(r.rsiLow, 3)}–${fmt(r.rsiHigh, 3)}), %K at the ${fmt(r.kRank * 100, 2)}th and %B at the ${fmt(r.bRank * 100, 2)}th percentile, MACD hist ${r.macdZ >= 0 ? '+' : ''}${fmt(r.macdZ, 2)}σ, ${trend}`;
      })
      .join('; ');
    const features: Record<string, number> = { agreement };
    for (const r of readings) Object.assign(features, { [`rsi_${r.tf}`]: r.rsi, [`rsiRank_${r.tf}`]: r.rsiRank, [`adxRank_${r.tf}`]: r.adxRank, [`macdZ_${r.tf}`]: r.macdZ, [`score_${r.tf}`]: r.score });
    return { ...head, signal, p: toProbabilities(signal, confidence), confidence, features, rationale: `${qr.symbol} ${qr.tf}: ${txt}. Reading ${signal > 0.05 ? 'bullish' : signal < -0.05 ? 'bearish' : 'neutral'}.` };
  }

  configure(patch: Record<string, unknown>): Record<string, unknown> {
    this.params = applyParams(TECHNICAL_PARAMS, this.params, patch);
    this.higher.clear();
    return { ...this.params };
  }

  config(): Record<string, unknown> {
    return { ...this.params };
  }

  snapshot(): Record<string, unknown> {
    return { bars: this.bars.describe() };
  }
}
