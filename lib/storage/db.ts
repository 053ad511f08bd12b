/**
 * The relational `Db` port. One SQL dialect (PostgreSQL) and one client (`pg`)
 * for both the real server and embedded PGlite (served over the wire protocol
 * by pglite-socket), so no code path differs between `npm start` and production.
 */
export type Row = Record<string, unknown>;

export interface Queryable {
  /** Run one statement with `$1…` parameters; returns its rows. */
  query<R = Row>(sql: string, params?: readonly unknown[]): Promise<R[]>;
}

export interface Db extends Queryable {
  readonly kind: 'postgres' | 'pglite';
  /** Run `fn` inside BEGIN … COMMIT on one connection; ROLLBACK on throw. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /** Round-trip latency check (`SELECT 1`) in ms; throws UnavailableError when down. */
  ping(): Promise<number>;
  close(): Promise<void>;
}

/** First row or null. */
export async function maybeOne<R = Row>(q: Queryable, sql: string, params?: readonly unknown[]): Promise<R | null> {
  const rows = await q.query<R>(sql, params);
  return rows.length > 0 ? rows[0] : null;
}
