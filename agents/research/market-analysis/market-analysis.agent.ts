/**
 * market-analysis (research, market-scoped): trend and structure across
 * timeframes.
 *
 * - Trend per timeframe (the queried one and the next two up): least-squares
 *   slope of the last `window` closes, as the fitted move over the window in
 *   units of the random-walk move σ(Δclose)·√n, squashed by tanh and weighted by
 *   √R² (a clean line counts, a noisy one less). Timeframes weigh 0.5/0.3/0.2.
 * - Structure on the queried timeframe: higher highs/lows vs lower highs/lows
 *   from swing points (`swingStrength` bars each side).
 * - Support/resistance from swing levels: a close through the last swing is a
 *   breakout; inside the range, near support leans up and near resistance down.
 * - The last bars' candlestick pattern (engulfing, hammer, shooting star).
 *
 * signal = 0.5·trend + 0.25·structure + 0.15·levels + 0.10·pattern;
 * confidence = agreement of the parts (|Σwᵢsᵢ| / Σwᵢ|sᵢ|) × (0.4 + 0.6·R² of
 * the queried timeframe), scaled down when fewer than `window` bars exist.
 * Prices enter only through differences, so mirroring the series flips the signal.
 *
 * A higher timeframe without enough bars of its own is resampled from the
 * queried one by the store as bars arrive (`BarStore.resampled`), keeping up to
 * the store's capacity of resampled bars (it used to resample the base bars
 * held at each opinion, so a trimmed store shortened the higher timeframes).
 * A series' trend is kept while the series is unchanged (a higher timeframe
 * between its bars).
 */
import type { Agent, AgentEvent, OpinionDraft } from '../../../lib/agents/agent';
import { BarStore, barsFor, closeTime, higherTimeframes } from '../../../lib/agents/bars';
import { clamp, fmt, neutralDraft, opinionDraft, toProbabilities } from '../../../lib/agents/opinion';
import { applyParams, ParamSchema } from '../../../lib/agents/params';
import type { OpinionQuery } from '../../../types/agents';
import { Candle, TIMEFRAMES, Timeframe } from '../../../types/market';
import { candlePattern, levels, meanTrueRange, structureScore, swings } from './structure';

export interface MarketAnalysisParams {
  window: number;
  swingStrength: number;
  higherTimeframes: number;
  minBars: number;
}

export const MARKET_ANALYSIS_PARAMS: ParamSchema<MarketAnalysisParams> = {
  window: { type: 'number', min: 10, max: 500, integer: true, doc: 'bars in the trend regression' },
  swingStrength: { type: 'number', min: 1, max: 20, integer: true, doc: 'bars on each side of a swing point' },
  higherTimeframes: { type: 'number', min: 0, max: 3, integer: true, doc: 'higher timeframes looked at' },
  minBars: { type: 'number', min: 5, max: 500, integer: true, doc: 'bars needed before opining' },
};

const TF_WEIGHTS = [0.5, 0.3, 0.2];

/** Feature names per timeframe (trend_H1, r2_H1), built once rather than per opinion. */
const FEATURE_KEYS = Object.fromEntries(TIMEFRAMES.map((tf) => [tf, [`trend_${tf}`, `r2_${tf}`]])) as Record<Timeframe, string[]>;

export interface TrendReading {
  tf: Timeframe;
  score: number;
  r2: number;
  /** Fitted move over the window as a fraction of the last close. */
  movePct: number;
}

/** Scratch for the closes of one trend (single-threaded, used within one call). */
let closesBuf = new Float64Array(128);

/** Trend of the last `window` closes (see the file comment). Null with fewer than 10 bars. */
export function trendOf(bars: readonly Candle[], window: number): TrendReading | null {
  const n = Math.min(window, bars.length);
  if (n < 10) return null;
  if (closesBuf.length < n) closesBuf = new Float64Array(n);
  const closes = closesBuf;
  const off = bars.length - n;
  // Least squares through (i, close) and the σ of the close-to-close moves, in
  // the order of linearRegression and stdev.
  let sy = 0;
  for (let i = 0; i < n; i++) sy += closes[i] = bars[off + i].c;
  const my = sy / n;
  const mx = (n - 1) / 2;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  let sd = 0;
  for (let i = 0; i < n; i++) {
    const dx = i - mx;
    const dy = closes[i] - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
    if (i > 0) sd += closes[i] - closes[i - 1];
  }
  const slope = sxy / sxx;
  const r2 = syy > 0 ? (sxy * sxy) / (sxx * syy) : 0;
  const md = sd / (n - 1);
  let ss = 0;
  for (let i = 1; i < n; i++) ss += (closes[i] - closes[i - 1] - md) ** 2;
  const noise = Math.sqrt(ss / (n - 2)) * Math.sqrt(n - 1);
  const move = slope * (n - 1);
  const z = noise > 0 ? move / noise : 0;
  return { tf: bars[0].tf, score: Math.tanh(z) * Math.sqrt(r2), r2, movePct: move / closes[n - 1] };
}

interface TrendMemo {
  last: Candle;
  n: number;
  /** Revisions of the series and of the queried timeframe's (a resampled series is rebuilt when that one is revised). */
  rev: number;
  baseRev: number;
  window: number;
  over: number;
  reading: TrendReading;
  text: string;
}

export class MarketAnalysisAgent implements Agent {
  readonly id = 'market-analysis';
  readonly group = 'research' as const;
  readonly scope = 'market' as const;
  readonly events = ['candle.closed'] as const;
  private readonly bars = new BarStore(800);
  private params: MarketAnalysisParams;

  /** The last trend read per series, reused while the series is unchanged (a higher timeframe between its bars). */
  private readonly trends = new Map<string, TrendMemo>();

  constructor(params: Partial<MarketAnalysisParams> = {}) {
    this.params = applyParams(MARKET_ANALYSIS_PARAMS, { window: 60, swingStrength: 3, higherTimeframes: 2, minBars: 30 }, params);
  }

  update(e: AgentEvent): void {
    if (e.type === 'candle.closed') this.bars.add(e.candle);
  }

  /** Trend of `bars` (a series of `symbol` read for a query on `baseTf`) and its words, from the memo when the series has not changed. */
  private trend(symbol: string, baseTf: Timeframe, bars: readonly Candle[], over: number): TrendMemo | null {
    const tf = bars[0].tf;
    const last = bars[bars.length - 1];
    const rev = this.bars.revision(symbol, tf);
    const baseRev = this.bars.revision(symbol, baseTf);
    const key = symbol + '|' + tf;
    const m = this.trends.get(key);
    if (m && m.last === last && m.n === bars.length && m.rev === rev && m.baseRev === baseRev && m.window === this.params.window && m.over === over) return m;
    const t = trendOf(bars, this.params.window);
    if (!t) return null;
    const text = `${t.tf} ${t.score > 0.2 ? 'up' : t.score < -0.2 ? 'down' : 'flat'} (${t.movePct >= 0 ? '+' : ''}${fmt(t.movePct * 100, 2)}% over ${over} bars, R² ${fmt(t.r2, 2)})`;
    if (!m && this.trends.size >= 1024) this.trends.delete(this.trends.keys().next().value as string);
    const memo: TrendMemo = { last, n: bars.length, rev, baseRev, window: this.params.window, over, reading: t, text };
    this.trends.set(key, memo);
    return memo;
  }

  opine(q: OpinionQuery): OpinionDraft {
    const { window, swingStrength, minBars } = this.params;
    const base = this.bars.get(q.symbol, q.tf, q.asOf);
    const asOf = q.asOf ?? (base.length > 0 ? closeTime(base[base.length - 1]) : 0);
    const head = { agent: this.id, group: this.group, symbol: q.symbol, tf: q.tf, asOf };
    if (base.length < minBars) return neutralDraft(head, `${q.symbol} ${q.tf}: ${base.length} bars so far, ${minBars} needed for a trend and structure reading`);

    const trends: TrendReading[] = [];
    const texts: string[] = [];
    const over = Math.min(window, base.length);
    const higher = higherTimeframes(q.tf, this.params.higherTimeframes);
    for (let k = -1; k < higher.length; k++) {
      const b = k < 0 ? base : barsFor(this.bars, q.symbol, higher[k], base, q.asOf, minBars);
      if (b.length < minBars) continue;
      const t = this.trend(q.symbol, q.tf, b, over);
      if (t) {
        trends.push(t.reading);
        texts.push(t.text);
      }
    }
    let tw = 0;
    let trend = 0;
    for (let i = 0; i < trends.length; i++) {
      trend += TF_WEIGHTS[i] * trends[i].score;
      tw += TF_WEIGHTS[i];
    }
    trend = tw > 0 ? trend / tw : 0;

    // Structure over the last max(2·window, 60) bars; levels, pattern and ATR read only the last few of them.
    const sw = swings(base, swingStrength, Math.max(0, base.length - Math.max(2 * window, 60)));
    const st = structureScore(sw);
    const lv = levels(base, sw);
    const lvScore = lv.breakout !== 0 ? lv.breakout : lv.position !== null ? clamp(0.5 - lv.position, -0.5, 0.5) : 0;
    const pat = candlePattern(base);

    // Weights 0.5 trend, 0.25 structure, 0.15 levels, 0.10 pattern.
    const s = 0.5 * trend + 0.25 * st.score + 0.15 * lvScore + 0.1 * pat.score;
    const mag = 0.5 * Math.abs(trend) + 0.25 * Math.abs(st.score) + 0.15 * Math.abs(lvScore) + 0.1 * Math.abs(pat.score);
    const signal = clamp(s, -1, 1);
    const agreement = mag > 0 ? Math.abs(s) / mag : 0;
    const r2 = trends[0]?.r2 ?? 0;
    const sufficiency = Math.min(1, base.length / window);
    const confidence = clamp(agreement * (0.4 + 0.6 * r2) * sufficiency, 0, 1);

    const close = base[base.length - 1].c;
    const atr = meanTrueRange(base, 14);
    const trendText = texts.join(', ');
    const lvText =
      lv.breakout > 0
        ? `close ${fmt(close, 6)} broke above the last swing high`
        : lv.breakout < 0
          ? `close ${fmt(close, 6)} broke below the last swing low`
          : `close ${fmt(close, 6)}` + (lv.support !== null ? `, support ${fmt(lv.support, 6)} (${fmt((close - lv.support) / (atr || 1), 2)} ATR below)` : '') + (lv.resistance !== null ? `, resistance ${fmt(lv.resistance, 6)} (${fmt((lv.resistance - close) / (atr || 1), 2)} ATR above)` : '');
    const rationale = `${q.symbol} ${q.tf}: trend ${trendText}; ${st.text}; ${lvText}` + (pat.name ? `; last bar: ${pat.name}` : '') + `. Leaning ${signal > 0.05 ? 'long' : signal < -0.05 ? 'short' : 'neither way'}.`;

    const features: Record<string, number> = { trend, structure: st.score, levels: lvScore, pattern: pat.score, agreement };
    for (let i = 0; i < trends.length; i++) {
      const t = trends[i];
      features[FEATURE_KEYS[t.tf][0]] = t.score;
      features[FEATURE_KEYS[t.tf][1]] = t.r2;
    }
    if (lv.support !== null) features.support = lv.support;
    if (lv.resistance !== null) features.resistance = lv.resistance;
    return opinionDraft(head, signal, toProbabilities(signal, confidence), confidence, rationale, features);
  }

  configure(patch: Record<string, unknown>): Record<string, unknown> {
    this.params = applyParams(MARKET_ANALYSIS_PARAMS, this.params, patch);
    return { ...this.params };
  }

  config(): Record<string, unknown> {
    return { ...this.params };
  }

  snapshot(): Record<string, unknown> {
    return { bars: this.bars.describe() };
  }
}
