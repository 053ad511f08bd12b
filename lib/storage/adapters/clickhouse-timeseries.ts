/**
 * TimeSeriesStore on ClickHouse over HTTP (`@clickhouse/client`), written for
 * the oldest server we support (18.16, Debian's package):
 * - no query parameters: values are inlined, strings escaped, numbers checked to be integers;
 * - no DateTime64: times are Int64 ms;
 * - candles are a ReplacingMergeTree versioned by write order and read with FINAL,
 *   so an upsert is an insert and the newest version of (symbol, tf, t) wins;
 * - 64-bit integers come back as JSON numbers (`output_format_json_quote_64bit_integers: 0`);
 * - inserts use RowBinary: 18.16's text parsers read decimal fractions one ulp off
 *   (`1.3903` → 1.3902999999999999), binary doubles arrive bit for bit.
 * Tables live in their own database (`plan2` unless the URL's path names one).
 */
import { Readable } from 'node:stream';
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import { UnavailableError } from '../../errors';
import type { Tick } from '../../../types/market';
import { CandleQuery, dedupeCandles, queryBounds, StoredCandle, StoredTick, SymbolSummary, TickQuery, TickRow, TimeSeriesStore } from '../timeseries';

export interface ClickHouseStoreOptions {
  /** `http://host:8123` (a path `/name` selects the database). */
  url: string;
  /** Database for the tables; overrides the URL's path. Default `plan2`. */
  database?: string;
  requestTimeoutMs?: number;
}

/** Quote a string literal for ClickHouse SQL. */
export function chString(s: string): string {
  return "'" + s.replace(/\\/g, '\\\\').replace(/'/g, "\\'") + "'";
}

function chIdent(s: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(s)) throw new RangeError(`bad ClickHouse database name ${JSON.stringify(s)}`);
  return s;
}

function isConnectionError(e: unknown): boolean {
  const code = (e as { code?: string }).code;
  return code === 'ECONNREFUSED' || code === 'ECONNRESET' || code === 'ETIMEDOUT' || code === 'EHOSTUNREACH' || /timeout|socket hang up/i.test((e as Error).message ?? '');
}

/** Little-endian RowBinary encoder into one growing buffer. */
class RowBinary {
  private buf: Buffer;
  private pos = 0;

  constructor(size: number) {
    this.buf = Buffer.allocUnsafe(Math.max(64, size));
  }

  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  f64(x: number): void {
    this.room(8);
    this.buf.writeDoubleLE(x, this.pos);
    this.pos += 8;
  }

  i64(x: number): void {
    this.room(8);
    this.buf.writeBigInt64LE(BigInt(x), this.pos);
    this.pos += 8;
  }

  u64(x: number): void {
    this.room(8);
    this.buf.writeBigUInt64LE(BigInt(x), this.pos);
    this.pos += 8;
  }

  u32(x: number): void {
    this.room(4);
    this.buf.writeUInt32LE(x, this.pos);
    this.pos += 4;
  }

  u8(x: number): void {
    this.room(1);
    this.buf[this.pos++] = x;
  }

  /** Nullable(Float64): a null flag byte, then the value. */
  nf64(x: number | undefined): void {
    if (x === undefined) this.u8(1);
    else {
      this.u8(0);
      this.f64(x);
    }
  }

  str(s: string): void {
    const n = Buffer.byteLength(s, 'utf8');
    this.room(n + 5);
    let len = n;
    while (len >= 0x80) {
      this.buf[this.pos++] = (len & 0x7f) | 0x80;
      len >>>= 7;
    }
    this.buf[this.pos++] = len;
    this.pos += this.buf.write(s, this.pos, 'utf8');
  }

  bytes(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
}

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
  closed: number;
}

export class ClickHouseTimeSeriesStore implements TimeSeriesStore {
  readonly kind = 'clickhouse' as const;
  readonly database: string;
  private readonly client: ClickHouseClient;
  private version = 0;

  constructor(opts: ClickHouseStoreOptions) {
    const u = new URL(opts.url);
    const fromPath = u.pathname.replace(/^\/+|\/+$/g, '');
    this.database = chIdent(opts.database ?? (fromPath || 'plan2'));
    u.pathname = '/';
    this.client = createClient({
      url: u.toString(),
      request_timeout: opts.requestTimeoutMs ?? 30_000,
      clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
    });
  }

  private get ticks(): string {
    return `${this.database}.ticks`;
  }

  private get candles(): string {
    return `${this.database}.candles`;
  }

  private async run<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      if (isConnectionError(e)) throw new UnavailableError('clickhouse', `${what}: ${(e as Error).message}`, e);
      throw e;
    }
  }

  private async select<R>(query: string): Promise<R[]> {
    return this.run('select', async () => {
      const rs = await this.client.query({ query, format: 'JSONEachRow' });
      return rs.json<R>();
    });
  }

  private command(query: string): Promise<void> {
    return this.run('command', async () => {
      await this.client.command({ query });
    });
  }

  /** A write version that grows across calls and restarts (µs wall clock, strictly increasing). */
  private nextVersion(): number {
    const now = Date.now() * 1000;
    this.version = now > this.version ? now : this.version + 1;
    return this.version;
  }

  private insertBinary(target: string, data: Buffer): Promise<void> {
    return this.run('insert', async () => {
      const res = await this.client.exec({ query: `INSERT INTO ${target} FORMAT RowBinary`, values: Readable.from([data]) });
      res.stream.resume();
      await new Promise<void>((resolve, reject) => {
        res.stream.once('end', resolve);
        res.stream.once('close', resolve);
        res.stream.once('error', reject);
      });
    });
  }

  async init(): Promise<void> {
    await this.command(`CREATE DATABASE IF NOT EXISTS ${this.database}`);
    await this.command(
      `CREATE TABLE IF NOT EXISTS ${this.ticks} (symbol String, time_msc Int64, bid Float64, ask Float64, last Nullable(Float64), volume Nullable(Float64), source String)
       ENGINE = MergeTree() ORDER BY (symbol, time_msc)`,
    );
    await this.command(
      `CREATE TABLE IF NOT EXISTS ${this.candles} (symbol String, tf String, t Int64, o Float64, h Float64, l Float64, c Float64, v Float64, n UInt32, closed UInt8, ver UInt64)
       ENGINE = ReplacingMergeTree(ver) ORDER BY (symbol, tf, t)`,
    );
  }

  /** Drop the whole database (tests). */
  async dropDatabase(): Promise<void> {
    await this.command(`DROP DATABASE IF EXISTS ${this.database}`);
  }

  async writeTicks(batch: readonly Tick[], source: string): Promise<void> {
    if (batch.length === 0) return;
    const w = new RowBinary(batch.length * 64);
    for (let i = 0; i < batch.length; i++) {
      const t = batch[i];
      w.str(t.symbol);
      w.i64(t.time_msc);
      w.f64(t.bid);
      w.f64(t.ask);
      w.nf64(t.last);
      w.nf64(t.volume);
      w.str(source);
    }
    await this.insertBinary(`${this.ticks} (symbol, time_msc, bid, ask, last, volume, source)`, w.bytes());
  }

  async writeCandles(batch: readonly StoredCandle[]): Promise<void> {
    if (batch.length === 0) return;
    const w = new RowBinary(batch.length * 96);
    for (const c of dedupeCandles(batch)) {
      w.str(c.symbol);
      w.str(c.tf);
      w.i64(c.t);
      w.f64(c.o);
      w.f64(c.h);
      w.f64(c.l);
      w.f64(c.c);
      w.f64(c.v);
      w.u32(c.n);
      w.u8(c.closed ? 1 : 0);
      w.u64(this.nextVersion());
    }
    await this.insertBinary(`${this.candles} (symbol, tf, t, o, h, l, c, v, n, closed, ver)`, w.bytes());
  }

  async readTicks(q: TickQuery): Promise<StoredTick[]> {
    const { from, to, limit, desc } = queryBounds(q);
    const rows = await this.select<TickRow>(
      `SELECT symbol, time_msc, bid, ask, last, volume, source FROM ${this.ticks}
       WHERE symbol = ${chString(q.symbol)} AND time_msc >= ${from} AND time_msc < ${to} ORDER BY time_msc ${desc ? 'DESC' : 'ASC'} LIMIT ${limit}`,
    );
    return rows.map((r) => {
      const t: StoredTick = { symbol: r.symbol, time_msc: r.time_msc, bid: r.bid, ask: r.ask, source: r.source };
      if (r.last !== null) t.last = r.last;
      if (r.volume !== null) t.volume = r.volume;
      return t;
    });
  }

  private static toCandle(r: CandleRow): StoredCandle {
    return { symbol: r.symbol, tf: r.tf, t: r.t, o: r.o, h: r.h, l: r.l, c: r.c, v: r.v, n: r.n, closed: r.closed === 1 };
  }

  async readCandles(q: CandleQuery): Promise<StoredCandle[]> {
    const { from, to, limit, desc } = queryBounds(q);
    const rows = await this.select<CandleRow>(
      `SELECT symbol, tf, t, o, h, l, c, v, n, closed FROM ${this.candles} FINAL
       WHERE symbol = ${chString(q.symbol)} AND tf = ${chString(q.tf)} AND t >= ${from} AND t < ${to} ORDER BY t ${desc ? 'DESC' : 'ASC'} LIMIT ${limit}`,
    );
    return rows.map(ClickHouseTimeSeriesStore.toCandle);
  }

  async latestCandles(): Promise<StoredCandle[]> {
    const rows = await this.select<CandleRow>(
      `SELECT symbol, tf, t, o, h, l, c, v, n, closed FROM ${this.candles} FINAL ORDER BY symbol, tf, t DESC LIMIT 1 BY symbol, tf`,
    );
    return rows.map(ClickHouseTimeSeriesStore.toCandle);
  }

  async symbols(): Promise<SymbolSummary[]> {
    return this.select<SymbolSummary>(
      `SELECT symbol, min(time_msc) AS firstTime, max(time_msc) AS lastTime, count() AS ticks FROM ${this.ticks} GROUP BY symbol ORDER BY symbol`,
    );
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}
