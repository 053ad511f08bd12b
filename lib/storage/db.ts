/**
 * The relational `Db` port. One SQL dialect (PostgreSQL) and one client (`pg`)
 * for both the real server and embedded PGlite (served over the wire protocol
 * by pglite-socket), so no code path differs between `npm start` and production.
 */
export type Row = Record<string, unknown>;

/**
 * A statement the server keeps parsed and planned per connection (a named prepared
 * statement), for the few queries on a latency-critical path. Build it once at module
 * level with `prepared()`; the text must not vary. Embedded PGlite serves every
 * connection from one engine, where names would collide: there it runs unnamed.
 */
export interface Statement {
  readonly name: string;
  readonly text: string;
}

export function prepared(name: string, text: string): Statement {
  return Object.freeze({ name, text });
}

/**
 * A `json` parameter serialised once, to UTF-8 bytes: `pg` sends them as they are, as a
 * binary parameter (`toPostgres`; a `json` value's binary form is its text, so the
 * statement must take it as `$n::json`, which a jsonb column accepts on assignment), and a
 * journal embeds them as JSON, not as an escaped string (lib/storage/handoff-writer.ts).
 * A large document is encoded once, outside the JS heap: no string to flatten and encode
 * again per consumer, and nothing large for the young generation to copy while the write
 * is on its way.
 */
export class JsonText {
  private constructor(readonly bytes: Buffer) {}
  static of(value: unknown): JsonText {
    return new JsonText(Buffer.from(JSON.stringify(value) ?? 'null', 'utf8'));
  }
  /** The JSON text (decoded again: for tests and logs, not the hot path). */
  get text(): string {
    return this.bytes.toString('utf8');
  }
  toPostgres(): Buffer {
    return this.bytes;
  }
}

export interface Queryable {
  /** Run one statement with `$1…` parameters; returns its rows. */
  query<R = Row>(sql: string | Statement, params?: readonly unknown[]): Promise<R[]>;
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
export async function maybeOne<R = Row>(q: Queryable, sql: string | Statement, params?: readonly unknown[]): Promise<R | null> {
  const rows = await q.query<R>(sql, params);
  return rows.length > 0 ? rows[0] : null;
}
