/**
 * Price structure from bars: swing points, support/resistance, and a few
 * candlestick patterns. Pure functions over candles (oldest first).
 */
import type { Candle } from '../../../types/market';

export interface Swing {
  index: number;
  price: number;
  kind: 'high' | 'low';
}

/**
 * Swing highs/lows: a bar whose high (low) is strictly above (below) the `k`
 * bars on each side. The last `k` bars cannot be confirmed yet and never are.
 * With `from`, over bars[from..] (indices counted from there), as over that slice.
 */
export function swings(bars: readonly Candle[], k: number, from = 0): Swing[] {
  const out: Swing[] = [];
  for (let i = from + k; i < bars.length - k; i++) {
    let isHigh = true;
    let isLow = true;
    for (let j = i - k; j <= i + k && (isHigh || isLow); j++) {
      if (j === i) continue;
      if (bars[j].h >= bars[i].h) isHigh = false;
      if (bars[j].l <= bars[i].l) isLow = false;
    }
    if (isHigh) out.push({ index: i - from, price: bars[i].h, kind: 'high' });
    if (isLow) out.push({ index: i - from, price: bars[i].l, kind: 'low' });
  }
  return out;
}

/**
 * Trend structure from the last two swing highs and lows: +1 higher highs and
 * higher lows, −1 lower highs and lower lows, in between when mixed, 0 without
 * enough swings.
 */
export function structureScore(sw: readonly Swing[]): { score: number; text: string } {
  // The last two swing highs and lows, newest first.
  const highs: number[] = [];
  const lows: number[] = [];
  for (let i = sw.length - 1; i >= 0 && (highs.length < 2 || lows.length < 2); i--) {
    const list = sw[i].kind === 'high' ? highs : lows;
    if (list.length < 2) list.push(sw[i].price);
  }
  if (highs.length < 2 || lows.length < 2) return { score: 0, text: 'not enough swings for a structure' };
  const hh = Math.sign(highs[0] - highs[1]);
  const hl = Math.sign(lows[0] - lows[1]);
  const score = (hh + hl) / 2;
  const hs = hh > 0 ? 'higher highs' : hh < 0 ? 'lower highs' : 'equal highs';
  const ls = hl > 0 ? 'higher lows' : hl < 0 ? 'lower lows' : 'equal lows';
  return { score, text: `${hs} and ${ls}` };
}

export interface Levels {
  support: number | null;
  resistance: number | null;
  /** +1 close above the last swing high, −1 below the last swing low, else 0. */
  breakout: number;
  /** Position of the close between support (0) and resistance (1), when both exist. */
  position: number | null;
}

/** Nearest swing level below and above the last close, and whether the close broke the latest swing. */
export function levels(bars: readonly Candle[], sw: readonly Swing[]): Levels {
  const close = bars[bars.length - 1].c;
  let support: number | null = null;
  let resistance: number | null = null;
  for (const s of sw) {
    if (s.price < close && (support === null || s.price > support)) support = s.price;
    if (s.price > close && (resistance === null || s.price < resistance)) resistance = s.price;
  }
  let lastHigh: Swing | undefined;
  let lastLow: Swing | undefined;
  for (let i = sw.length - 1; i >= 0 && (!lastHigh || !lastLow); i--) {
    if (sw[i].kind === 'high') lastHigh ??= sw[i];
    else lastLow ??= sw[i];
  }
  const breakout = lastHigh && close > lastHigh.price ? 1 : lastLow && close < lastLow.price ? -1 : 0;
  const position = support !== null && resistance !== null ? (close - support) / (resistance - support) : null;
  return { support, resistance, breakout, position };
}

/** The pattern of the last one or two bars: score +1 bullish … −1 bearish, and its name. */
export function candlePattern(bars: readonly Candle[]): { score: number; name: string | null } {
  const n = bars.length;
  if (n < 3) return { score: 0, name: null };
  const a = bars[n - 2];
  const b = bars[n - 1];
  const bodyA = Math.abs(a.c - a.o);
  const bodyB = Math.abs(b.c - b.o);
  const rangeB = b.h - b.l;
  if (rangeB <= 0) return { score: 0, name: null };
  if (a.c < a.o && b.c > b.o && b.o <= a.c && b.c >= a.o && bodyB > bodyA) return { score: 1, name: 'bullish engulfing' };
  if (a.c > a.o && b.c < b.o && b.o >= a.c && b.c <= a.o && bodyB > bodyA) return { score: -1, name: 'bearish engulfing' };
  const upper = b.h - Math.max(b.o, b.c);
  const lower = Math.min(b.o, b.c) - b.l;
  const priorMove = b.c - bars[n - 3].c;
  if (lower >= 2 * bodyB && upper <= bodyB && lower > 0.5 * rangeB && priorMove < 0) return { score: 0.5, name: 'hammer' };
  if (upper >= 2 * bodyB && lower <= bodyB && upper > 0.5 * rangeB && priorMove > 0) return { score: -0.5, name: 'shooting star' };
  if (bodyB <= 0.1 * rangeB) return { score: 0, name: 'doji' };
  return { score: 0, name: null };
}

export { meanTrueRange } from '../../../lib/agents/bars';
