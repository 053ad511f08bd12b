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
 *
 * State: one `IndicatorTrack` (indicator-track.ts) per series read — the
 * queried timeframe's own bars, a higher timeframe's own bars, or a higher
 * timeframe resampled from the queried one — fed the bars it has not seen
 * when it is read (a `BarCursor` on the store), so an opinion costs one step
 * of each indicator per new bar plus ranking the rings. The indicators run
 * from the first bar held, not from a window ending at the current bar (see
 * indicator-track.ts; RSI, MACD and ADX differ from a windowed computation by
 * their decayed seed). A track starts over from the store when its series is
 * revised (a bar inserted before the last, or replaced by other values); a
 * query into the past (`asOf` before the track's last bar) is computed from
 * the store's bars up to `asOf`, from scratch.
 */
import type { Agent, AgentEvent, OpinionDraft } from '../../../lib/agents/agent';
import { BarCursor, BarStore, closeTime, higherTimeframes, resample, Resampler } from '../../../lib/agents/bars';
import { clamp, fmt, neutralDraft, opinionDraft, toProbabilities } from '../../../lib/agents/opinion';
import { applyParams, ParamSchema } from '../../../lib/agents/params';
import type { OpinionQuery } from '../../../types/agents';
import { TIMEFRAMES, Timeframe } from '../../../types/market';
import { IndicatorTrack, readTimeframe, TfReading } from './indicator-track';

export { readTimeframe, type TfReading } from './indicator-track';

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

/** Feature names per timeframe (rsi_H1 …), built once rather than per opinion. */
const FEATURE_KEYS = Object.fromEntries(TIMEFRAMES.map((tf) => [tf, ['rsi', 'rsiRank', 'adxRank', 'macdZ', 'score'].map((f) => `${f}_${tf}`)])) as Record<Timeframe, string[]>;

/** Descriptions of readings: a higher timeframe's reading is the same object until its next bar, so its text is built once. */
const texts = new WeakMap<TfReading, string>();

/** One timeframe's readings in words. */
function describe(r: TfReading): string {
  let t = texts.get(r);
  if (t !== undefined) return t;
  const zone = r.rsi >= r.rsiHigh ? 'stretched up' : r.rsi <= r.rsiLow ? 'stretched down' : 'mid-range';
  const trend = r.adxRank >= 0.7 ? `strong trend for this symbol (ADX ${fmt(r.adx, 3)}, ${fmt(r.adxRank * 100, 2)}th pct), ${r.di > 0 ? '+DI leads' : '−DI leads'}` : `weak trend (ADX ${fmt(r.adx, 3)}, ${fmt(r.adxRank * 100, 2)}th pct)`;
  t = `${r.tf}: RSI ${fmt(r.rsi, 3)} (${zone}; its own 10–90% band ${fmt(r.rsiLow, 3)}–${fmt(r.rsiHigh, 3)}), %K at the ${fmt(r.kRank * 100, 2)}th and %B at the ${fmt(r.bRank * 100, 2)}th percentile, MACD hist ${r.macdZ >= 0 ? '+' : ''}${fmt(r.macdZ, 2)}σ, ${trend}`;
  texts.set(r, t);
  return t;
}

/** Tracks kept at most (least recently created dropped first; a dropped one is rebuilt from the store when read again). */
const MAX_TRACKS = 256;

/** An IndicatorTrack fed from one store series, directly or resampled to a higher timeframe. */
class Track {
  ind: IndicatorTrack;
  private readonly cursor: BarCursor;
  private readonly resampler: Resampler | null;

  constructor(store: BarStore, symbol: string, from: Timeframe, tf: Timeframe, lookback: number) {
    this.cursor = new BarCursor(store, symbol, from);
    this.resampler = from === tf ? null : new Resampler(tf);
    this.ind = new IndicatorTrack(tf, lookback);
  }

  /** Feeds the bars closed by `asOf` not yet folded; false when the track is already past `asOf`. */
  sync(asOf: number | undefined): boolean {
    const st = this.cursor.advance(asOf);
    if (st === null) return false;
    if (st.restart) {
      this.ind = new IndicatorTrack(this.ind.tf, this.ind.lookback);
      this.resampler?.reset();
    }
    const rs = this.resampler;
    for (let i = st.from; i < st.to; i++) {
      if (rs === null) {
        this.ind.push(st.bars[i]);
        continue;
      }
      const g = rs.add(st.bars[i]);
      if (g !== null) {
        if (rs.revised) this.ind.replaceLast(g);
        else this.ind.push(g);
      }
    }
    return true;
  }
}

export class TechnicalIndicatorAgent implements Agent {
  readonly id = 'technical-indicator';
  readonly group = 'research' as const;
  readonly scope = 'market' as const;
  readonly events = ['candle.closed'] as const;
  private readonly bars = new BarStore(3000);
  private params: TechnicalParams;
  /** Per series read: `SYMBOL|tf` (own bars) or `SYMBOL|from>tf` (resampled). */
  private readonly tracks = new Map<string, Track>();

  constructor(params: Partial<TechnicalParams> = {}) {
    this.params = applyParams(TECHNICAL_PARAMS, { lookback: 250, minBars: 120, higherTimeframes: 2 }, params);
  }

  update(e: AgentEvent): void {
    if (e.type === 'candle.closed') this.bars.add(e.candle);
  }

  private track(symbol: string, from: Timeframe, tf: Timeframe): Track {
    const key = from === tf ? symbol + '|' + tf : symbol + '|' + from + '>' + tf;
    let t = this.tracks.get(key);
    if (!t) {
      if (this.tracks.size >= MAX_TRACKS) this.tracks.delete(this.tracks.keys().next().value as string);
      this.tracks.set(key, (t = new Track(this.bars, symbol, from, tf, this.params.lookback)));
    }
    return t;
  }

  /** Readings of `symbol`'s own `tf` bars as of `asOf`. */
  private ownReading(symbol: string, tf: Timeframe, asOf: number | undefined): TfReading | null {
    const t = this.track(symbol, tf, tf);
    if (t.sync(asOf)) return t.ind.reading();
    return readTimeframe(this.bars.get(symbol, tf, asOf), this.params.lookback);
  }

  /** Readings of `tf` resampled from the `from` bars as of `asOf`, null with fewer than `minBars` resampled bars. */
  private resampledReading(symbol: string, from: Timeframe, tf: Timeframe, asOf: number | undefined): TfReading | null {
    const { minBars, lookback } = this.params;
    const t = this.track(symbol, from, tf);
    if (t.sync(asOf)) return t.ind.count >= minBars ? t.ind.reading() : null;
    const rs = resample(this.bars.get(symbol, from, asOf), tf);
    return rs.length >= minBars ? readTimeframe(rs, lookback) : null;
  }

  /** A higher timeframe: its own bars when the store holds `minBars` of them (market-data publishes every timeframe), else resampled from the queried one. */
  private higherReading(symbol: string, base: Timeframe, tf: Timeframe, asOf: number | undefined): TfReading | null {
    if (this.bars.get(symbol, tf, asOf).length >= this.params.minBars) return this.ownReading(symbol, tf, asOf);
    return this.resampledReading(symbol, base, tf, asOf);
  }

  opine(qr: OpinionQuery): OpinionDraft {
    const p = this.params;
    const base = this.bars.get(qr.symbol, qr.tf, qr.asOf);
    const asOf = qr.asOf ?? (base.length > 0 ? closeTime(base[base.length - 1]) : 0);
    const head = { agent: this.id, group: this.group, symbol: qr.symbol, tf: qr.tf, asOf };
    if (base.length < p.minBars) return neutralDraft(head, `${qr.symbol} ${qr.tf}: ${base.length} bars so far, ${p.minBars} needed to rank the indicators against their own history.`);
    const readings: TfReading[] = [];
    const own = this.ownReading(qr.symbol, qr.tf, qr.asOf);
    if (own) readings.push(own);
    const higher = higherTimeframes(qr.tf, p.higherTimeframes);
    for (let k = 0; k < higher.length; k++) {
      const r = this.higherReading(qr.symbol, qr.tf, higher[k], qr.asOf);
      if (r) readings.push(r);
    }
    if (readings.length === 0) return neutralDraft(head, `${qr.symbol} ${qr.tf}: indicators still warming up.`);
    let s = 0;
    let w = 0;
    let agreeNum = 0;
    let agreeDen = 0;
    let extremity = 0;
    for (let i = 0; i < readings.length; i++) {
      const r = readings[i];
      s += TF_WEIGHTS[i] * r.score;
      w += TF_WEIGHTS[i];
      for (let j = 0; j < r.parts.length; j++) {
        agreeNum += TF_WEIGHTS[i] * r.parts[j];
        agreeDen += TF_WEIGHTS[i] * Math.abs(r.parts[j]);
      }
      extremity += TF_WEIGHTS[i] * Math.max(Math.abs(r.rsiRank - 0.5), Math.abs(r.kRank - 0.5), Math.abs(r.bRank - 0.5), r.adxRank / 2) * 2;
    }
    const signal = clamp(s / w, -1, 1);
    const agreement = agreeDen > 0 ? Math.abs(agreeNum) / agreeDen : 0;
    const confidence = clamp(agreement * (extremity / w) * Math.min(1, base.length / (p.lookback + 60)), 0, 1);
    let txt = describe(readings[0]);
    for (let i = 1; i < readings.length; i++) txt += '; ' + describe(readings[i]);
    const features: Record<string, number> = { agreement };
    for (let i = 0; i < readings.length; i++) {
      const r = readings[i];
      const k = FEATURE_KEYS[r.tf];
      features[k[0]] = r.rsi;
      features[k[1]] = r.rsiRank;
      features[k[2]] = r.adxRank;
      features[k[3]] = r.macdZ;
      features[k[4]] = r.score;
    }
    return opinionDraft(head, signal, toProbabilities(signal, confidence), confidence, `${qr.symbol} ${qr.tf}: ${txt}. Reading ${signal > 0.05 ? 'bullish' : signal < -0.05 ? 'bearish' : 'neutral'}.`, features);
  }

  configure(patch: Record<string, unknown>): Record<string, unknown> {
    const next = applyParams(TECHNICAL_PARAMS, this.params, patch);
    if (next.lookback !== this.params.lookback) this.tracks.clear();
    this.params = next;
    return { ...this.params };
  }

  config(): Record<string, unknown> {
    return { ...this.params };
  }

  snapshot(): Record<string, unknown> {
    return { bars: this.bars.describe(), tracks: this.tracks.size };
  }
}
