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

/** Why market-data dropped a tick (counted per reason in the ingest reply and `/feed/status`). */
export const TICK_DROP_REASONS = ['bad_symbol', 'bad_time', 'not_finite', 'non_positive', 'crossed', 'time_backwards'] as const;
export type TickDropReason = (typeof TICK_DROP_REASONS)[number];

/** `market-data.ingest` params: one batch (up to ~5,000) of canonical-symbol, UTC ticks from one feed. */
export interface IngestParams {
  /** The feed's account key, e.g. `<tenantId>:<login>@<server>`. */
  source: string;
  ticks: Tick[];
}

/** `market-data.ingest` reply; awaiting it is the gateway's backpressure. `dropped` lists only reasons that occurred. */
export interface IngestReply {
  accepted: number;
  dropped: Partial<Record<TickDropReason, number>>;
}

/** `market-data.registerSymbol` params (extra spec fields are accepted and ignored). */
export interface SymbolSpecParams {
  symbol: string;
  digits: number;
  point: number;
  /** bid > ask is legitimate for this symbol. */
  allowCrossed?: boolean;
  /** Trading fields (MQL5 SYMBOL_* names) when the feed knows them; the trading engine validates volumes with them. */
  trade_contract_size?: number;
  volume_min?: number;
  volume_max?: number;
  volume_step?: number;
  trade_stops_level?: number;
  currency_base?: string;
  currency_profit?: string;
}

/** Payload of the `ticks.received` event: the good ticks of one symbol from one ingest batch. */
export interface TicksReceivedEvent {
  symbol: string;
  ticks: Tick[];
}
