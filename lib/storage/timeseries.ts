/**
 * `TimeSeriesStore`: where ticks and candles live. Market-scoped (no tenant):
 * the same market for everyone. Adapters: Postgres (default; real server or
 * embedded PGlite) in adapters/pg-timeseries.ts and ClickHouse in
 * adapters/clickhouse-timeseries.ts; both pass test/integration/timeseries.contract.ts.
 *
 * Conventions: times are ms since epoch UTC; ranges are `from` inclusive, `to`
 * exclusive; candles are keyed by (symbol, tf, t) and written by upsert (the last
 * write of a key wins), so replaying a write after a restart never duplicates a bar.
 */
import type { Candle, Tick, Timeframe } from '../../types/market';

/** A candle as stored: `closed` is false while the bar is still forming (its snapshot is upserted periodically). */
export interface StoredCandle extends Candle {
  closed: boolean;
}

/** A tick as stored, with the feed (account key) it came from. */
export interface StoredTick extends Tick {
  source: string;
}

/** A tick as both adapters read it back from their tables (absent `last`/`volume` are NULL). */
export interface TickRow {
  symbol: string;
  time_msc: number;
  bid: number;
  ask: number;
  last: number | null;
  volume: number | null;
  source: string;
}

export interface TickQuery {
  symbol: string;
  /** Inclusive lower bound (ms); none = from the start. */
  from?: number;
  /** Exclusive upper bound (ms); none = up to the end. */
  to?: number;
  limit: number;
  /** 'asc' (default) = the oldest `limit` in the range; 'desc' = the newest `limit`, newest first. */
  order?: 'asc' | 'desc';
}

export interface CandleQuery extends TickQuery {
  tf: Timeframe;
}

/** What the store holds for one symbol. */
export interface SymbolSummary {
  symbol: string;
  firstTime: number;
  lastTime: number;
  ticks: number;
}

export interface TimeSeriesStore {
  readonly kind: 'postgres' | 'pglite' | 'clickhouse';
  /** Create what the adapter needs (ClickHouse tables); Postgres tables come from migrations. */
  init(): Promise<void>;
  /** Append ticks (validated, one source). Multi-row, one round trip per call. */
  writeTicks(batch: readonly Tick[], source: string): Promise<void>;
  /** Upsert candles by (symbol, tf, t); within one batch the last occurrence of a key wins. */
  writeCandles(batch: readonly StoredCandle[]): Promise<void>;
  /** Ticks of a symbol in time order (ties in an unspecified but stable-per-call order). */
  readTicks(q: TickQuery): Promise<StoredTick[]>;
  readCandles(q: CandleQuery): Promise<StoredCandle[]>;
  /** The newest candle of every (symbol, tf): what an aggregator resumes from after a restart. */
  latestCandles(): Promise<StoredCandle[]>;
  /** Every symbol with ticks: first and last tick time and tick count, by symbol name. */
  symbols(): Promise<SymbolSummary[]>;
  close(): Promise<void>;
}

/** Largest |ms| accepted in queries; outside is a caller error. */
export const MAX_TIME = Number.MAX_SAFE_INTEGER;

/** Check and default a query's bounds: integer ms, limit ≥ 1. Throws RangeError. */
export function queryBounds(q: TickQuery): { from: number; to: number; limit: number; desc: boolean } {
  const from = q.from ?? -MAX_TIME;
  const to = q.to ?? MAX_TIME;
  if (!Number.isSafeInteger(from) || !Number.isSafeInteger(to)) throw new RangeError('from/to must be integer ms');
  if (!Number.isSafeInteger(q.limit) || q.limit < 1) throw new RangeError('limit must be an integer ≥ 1');
  return { from, to, limit: q.limit, desc: q.order === 'desc' };
}

/** Keep the last occurrence of each (symbol, tf, t) in batch order. */
export function dedupeCandles(batch: readonly StoredCandle[]): StoredCandle[] {
  if (batch.length < 2) return batch.slice();
  const seen = new Map<string, number>();
  const out: StoredCandle[] = [];
  for (const c of batch) {
    const key = `${c.symbol}\u0000${c.tf}\u0000${c.t}`;
    const at = seen.get(key);
    if (at === undefined) {
      seen.set(key, out.length);
      out.push(c);
    } else out[at] = c;
  }
  return out;
}
