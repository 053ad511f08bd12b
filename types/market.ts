/** Market messages crossing service boundaries (ARCHITECTURE §5). Times are ms since epoch, UTC. */

/** One quote, MQL5 `MqlTick` names. */
export interface Tick {
  symbol: string;
  time_msc: number;
  bid: number;
  ask: number;
  last?: number;
  volume?: number;
  flags?: number;
}

export const TIMEFRAMES = ['M1', 'M5', 'M15', 'H1', 'D1'] as const;
export type Timeframe = (typeof TIMEFRAMES)[number];

/** Length of each timeframe in ms. */
export const TF_MS: Record<Timeframe, number> = { M1: 60_000, M5: 300_000, M15: 900_000, H1: 3_600_000, D1: 86_400_000 };

/** OHLCV bar; `t` is the bar's open time; `n` the number of ticks in it. Bid-based for FX. */
export interface Candle {
  symbol: string;
  tf: Timeframe;
  t: number;
  o: number;
  h: number;
  l: number;
  c: number;
  v: number;
  n: number;
}
