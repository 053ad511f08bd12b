/**
 * TimeSeriesStore on PostgreSQL (real server or embedded PGlite; same SQL).
 * Writes are one statement per batch: arrays bound as parameters and expanded
 * with `unnest`, so 5,000 ticks cost one round trip and one plan. The tick
 * insert and the per-symbol summary update are one atomic statement (a CTE).
 */
import type { Db } from '../db';
import type { Tick } from '../../../types/market';
import { CandleQuery, dedupeCandles, queryBounds, StoredCandle, StoredTick, SymbolSummary, TickQuery, TickRow, TimeSeriesStore } from '../timeseries';

const INSERT_TICKS = `WITH u AS (
  SELECT * FROM unnest($1::text[], $2::bigint[], $3::float8[], $4::float8[], $5::float8[], $6::float8[]) AS u(symbol, time_msc, bid, ask, last, volume)
), ins AS (
  INSERT INTO market_ticks (symbol, time_msc, bid, ask, last, volume, source)
  SELECT symbol, time_msc, bid, ask, last, volume, $7 FROM u
)
INSERT INTO market_symbols AS s (symbol, first_time, last_time, ticks)
SELECT symbol, min(time_msc), max(time_msc), count(*) FROM u GROUP BY symbol
ON CONFLICT (symbol) DO UPDATE SET
  first_time = LEAST(s.first_time, EXCLUDED.first_time),
  last_time = GREATEST(s.last_time, EXCLUDED.last_time),
  ticks = s.ticks + EXCLUDED.ticks`;

const UPSERT_CANDLES = `INSERT INTO market_candles (symbol, tf, t, o, h, l, c, v, n, closed)
SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::float8[], $5::float8[], $6::float8[], $7::float8[], $8::float8[], $9::int[], $10::bool[])
ON CONFLICT (symbol, tf, t) DO UPDATE SET
  o = EXCLUDED.o, h = EXCLUDED.h, l = EXCLUDED.l, c = EXCLUDED.c, v = EXCLUDED.v, n = EXCLUDED.n, closed = EXCLUDED.closed`;

interface CandleRow {
  symbol: string;
  tf: StoredCandle['tf'];
  t: number;
  o: number;
  h: number;
  l: number;
  c: number;
  v: number;
  n: number;
  closed: boolean;
}

/** An element of a Postgres array literal: double-quoted, `\\` and `"` escaped. */
function quoteArrayElement(s: string): string {
  return '"' + s.replace(/[\\"]/g, '\\$&') + '"';
}

function toTick(r: TickRow): StoredTick {
  const t: StoredTick = { symbol: r.symbol, time_msc: r.time_msc, bid: r.bid, ask: r.ask, source: r.source };
  if (r.last !== null) t.last = r.last;
  if (r.volume !== null) t.volume = r.volume;
  return t;
}

export class PgTimeSeriesStore implements TimeSeriesStore {
  readonly kind: 'postgres' | 'pglite';

  constructor(private readonly db: Db) {
    this.kind = db.kind;
  }

  async init(): Promise<void> {
    // Tables come from migrations/0101_market_data.sql; check they are there.
    await this.db.query('SELECT 1 FROM market_candles LIMIT 0');
  }

  async writeTicks(batch: readonly Tick[], source: string): Promise<void> {
    const n = batch.length;
    if (n === 0) return;
    // Array literals built here: about twice as fast as pg's generic array serialisation on this path.
    let symbols = '{';
    let times = '{';
    let bids = '{';
    let asks = '{';
    let lasts = '{';
    let volumes = '{';
    let anyLast = false;
    let anyVolume = false;
    let prevSymbol = '';
    let prevQuoted = '';
    for (let i = 0; i < n; i++) {
      const t = batch[i];
      const sep = i === 0 ? '' : ',';
      if (t.symbol !== prevSymbol) {
        prevSymbol = t.symbol;
        prevQuoted = quoteArrayElement(t.symbol);
      }
      symbols += sep + prevQuoted;
      times += sep + t.time_msc;
      bids += sep + t.bid;
      asks += sep + t.ask;
      if (t.last !== undefined) anyLast = true;
      if (t.volume !== undefined) anyVolume = true;
    }
    // unnest pads shorter arrays with NULLs: an empty array stands for "no value in any row".
    if (anyLast || anyVolume) {
      for (let i = 0; i < n; i++) {
        const t = batch[i];
        const sep = i === 0 ? '' : ',';
        lasts += sep + (t.last === undefined ? 'NULL' : t.last);
        volumes += sep + (t.volume === undefined ? 'NULL' : t.volume);
      }
    }
    await this.db.query(INSERT_TICKS, [symbols + '}', times + '}', bids + '}', asks + '}', lasts + '}', volumes + '}', source]);
  }

  async writeCandles(batch: readonly StoredCandle[]): Promise<void> {
    if (batch.length === 0) return;
    const rows = dedupeCandles(batch);
    const cols: unknown[][] = [[], [], [], [], [], [], [], [], [], []];
    for (const c of rows) {
      cols[0].push(c.symbol);
      cols[1].push(c.tf);
      cols[2].push(c.t);
      cols[3].push(c.o);
      cols[4].push(c.h);
      cols[5].push(c.l);
      cols[6].push(c.c);
      cols[7].push(c.v);
      cols[8].push(c.n);
      cols[9].push(c.closed);
    }
    await this.db.query(UPSERT_CANDLES, cols);
  }

  async readTicks(q: TickQuery): Promise<StoredTick[]> {
    const { from, to, limit, desc } = queryBounds(q);
    const rows = await this.db.query<TickRow>(
      `SELECT symbol, time_msc, bid, ask, last, volume, source FROM market_ticks
       WHERE symbol = $1 AND time_msc >= $2 AND time_msc < $3 ORDER BY time_msc ${desc ? 'DESC' : 'ASC'}, ctid ${desc ? 'DESC' : 'ASC'} LIMIT $4`,
      [q.symbol, from, to, limit],
    );
    return rows.map(toTick);
  }

  async readCandles(q: CandleQuery): Promise<StoredCandle[]> {
    const { from, to, limit, desc } = queryBounds(q);
    return this.db.query<CandleRow>(
      `SELECT symbol, tf, t, o, h, l, c, v, n, closed FROM market_candles
       WHERE symbol = $1 AND tf = $2 AND t >= $3 AND t < $4 ORDER BY t ${desc ? 'DESC' : 'ASC'} LIMIT $5`,
      [q.symbol, q.tf, from, to, limit],
    );
  }

  async latestCandles(): Promise<StoredCandle[]> {
    return this.db.query<CandleRow>(
      `SELECT DISTINCT ON (symbol, tf) symbol, tf, t, o, h, l, c, v, n, closed FROM market_candles ORDER BY symbol, tf, t DESC`,
    );
  }

  async symbols(): Promise<SymbolSummary[]> {
    return this.db.query<SymbolSummary>(
      `SELECT symbol, first_time AS "firstTime", last_time AS "lastTime", ticks FROM market_symbols ORDER BY symbol`,
    );
  }

  async close(): Promise<void> {
    // The Db belongs to the process (lib/storage/connect.ts); nothing of our own to close.
  }
}
