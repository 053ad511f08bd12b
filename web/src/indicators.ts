/**
 * Chart overlays computed in the browser from the bars on screen with the
 * platform's own indicators (lib/indicators, TA-Lib conventions): the same
 * numbers agents and backtests see. NaN marks the warm-up.
 */
import { BBands } from '../../lib/indicators/bbands';
import { Ema } from '../../lib/indicators/ema';
import { Macd } from '../../lib/indicators/macd';
import { Rsi } from '../../lib/indicators/rsi';

export interface Overlays {
  bb: { upper: Float64Array; middle: Float64Array; lower: Float64Array };
  ema: Float64Array;
  rsi: Float64Array;
  macd: { macd: Float64Array; signal: Float64Array; hist: Float64Array };
}

export const OVERLAY_PARAMS = { bb: 'BB(20, 2)', ema: 'EMA(20)', rsi: 'RSI(14)', macd: 'MACD(12, 26, 9)' } as const;

/** BB(20, 2σ population), EMA(20), RSI(14, Wilder), MACD(12, 26, 9) over `closes`. */
export function computeOverlays(closes: ArrayLike<number>): Overlays {
  return {
    bb: new BBands(20, 2).computeTyped(closes),
    ema: new Ema(20).computeTyped(closes).values,
    rsi: new Rsi(14).computeTyped(closes).values,
    macd: new Macd(12, 26, 9).computeTyped(closes),
  };
}
