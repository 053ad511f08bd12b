/** `Db` over a `pg` Pool: real PostgreSQL or embedded PGlite behind pglite-socket. */
import { Pool, PoolClient, types } from 'pg';
import { UnavailableError } from '../../errors';
import type { Db, Queryable, Row, Statement } from '../db';

// BIGINT (int8) columns hold ms timestamps and counts well inside 2^53: return numbers, not strings.
types.setTypeParser(20, (v: string) => Number(v));
// NUMERIC as number (prices, volumes); precision beyond double is not used by Plan2.
types.setTypeParser(1700, (v: string) => Number(v));

const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EHOSTUNREACH', 'EPIPE', '57P01', '57P03', '08006', '08001', '08003', '08004']);

/** True for errors meaning "the database is not reachable", as opposed to a bad query. */
export function isConnectionError(e: unknown): boolean {
  const err = e as { code?: string; message?: string };
  if (err?.code && CONNECTION_CODES.has(err.code)) return true;
  return /timeout exceeded when trying to connect|Connection terminated|connect ECONNREFUSED|getaddrinfo/i.test(err?.message ?? '');
}

/** "cached plan must not change result type": a prepared statement outlived its table's shape. */
function isStalePlan(e: unknown): boolean {
  return (e as { code?: string }).code === '0A000' && /cached plan/.test((e as Error).message ?? '');
}

function wrap(e: unknown): never {
  if (isConnectionError(e)) throw new UnavailableError('database', (e as Error).message, e);
  throw e;
}

export interface PgDbOptions {
  connectionString: string;
  max?: number;
  kind?: Db['kind'];
  /** Fail a connection attempt after this long (ms). */
  connectTimeoutMs?: number;
}

export class PgDb implements Db {
  readonly kind: Db['kind'];
  readonly pool: Pool;
  /**
   * Embedded PGlite: one statement (or transaction) at a time. pglite-socket feeds every
   * connection into one engine message by message, so two connections' extended-protocol
   * messages interleave when one arrives in several chunks (large parameters), and a Bind
   * lands on another connection's unnamed statement: wrong parameters, or "portal does not
   * exist" (test/integration/pglite-serial.test.ts). The engine runs one statement at a
   * time anyway, so nothing is lost by queueing here.
   */
  private tail: Promise<unknown> = Promise.resolve();

  constructor(opts: PgDbOptions) {
    this.kind = opts.kind ?? 'postgres';
    this.pool = new Pool({
      connectionString: opts.connectionString,
      max: opts.max ?? 10,
      connectionTimeoutMillis: opts.connectTimeoutMs ?? 3000,
      idleTimeoutMillis: 30_000,
    });
    // An idle client losing its server must not crash the process; the next query reports it.
    this.pool.on('error', () => undefined);
  }

  /** pg's query config: named (prepared once per connection) on a real server, text otherwise. */
  private config(sql: string | Statement, params?: readonly unknown[]): { text: string; values?: unknown[]; name?: string } {
    if (typeof sql === 'string') return { text: sql, values: params as unknown[] };
    return this.kind === 'postgres' ? { name: sql.name, text: sql.text, values: params as unknown[] } : { text: sql.text, values: params as unknown[] };
  }

  async query<R = Row>(sql: string | Statement, params?: readonly unknown[]): Promise<R[]> {
    return this.kind === 'pglite' ? this.exclusive(() => this.run<R>(sql, params)) : this.run<R>(sql, params);
  }

  /** Run `fn` after everything queued before it (PGlite, see `tail`). */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.tail.then(fn, fn);
    this.tail = run.catch(() => undefined);
    return run;
  }

  private async run<R = Row>(sql: string | Statement, params?: readonly unknown[]): Promise<R[]> {
    try {
      const res = await this.pool.query(this.config(sql, params));
      return res.rows as R[];
    } catch (e) {
      // A table changed under a connection's prepared statement (a migration by another
      // node): the server refuses before executing, so running the text unnamed is safe.
      if (typeof sql !== 'string' && isStalePlan(e)) {
        try {
          return (await this.pool.query({ text: sql.text, values: params as unknown[] })).rows as R[];
        } catch (e2) {
          return wrap(e2);
        }
      }
      return wrap(e);
    }
  }

  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    // On PGlite the whole transaction holds the queue: `fn` must use `tx`, never this Db.
    return this.kind === 'pglite' ? this.exclusive(() => this.runTransaction(fn)) : this.runTransaction(fn);
  }

  private async runTransaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    let client: PoolClient;
    try {
      client = await this.pool.connect();
    } catch (e) {
      return wrap(e);
    }
    const tx: Queryable = {
      query: async <R = Row>(sql: string | Statement, params?: readonly unknown[]) => (await client.query(this.config(sql, params))).rows as R[],
    };
    try {
      await client.query('BEGIN');
      const out = await fn(tx);
      await client.query('COMMIT');
      return out;
    } catch (e) {
      await client.query('ROLLBACK').catch(() => undefined);
      return wrap(e);
    } finally {
      client.release();
    }
  }

  async ping(): Promise<number> {
    const t0 = performance.now();
    await this.query('SELECT 1');
    return performance.now() - t0;
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
