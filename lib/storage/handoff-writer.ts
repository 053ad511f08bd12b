/**
 * Writes whose result nobody waits for: a statement is sent on a pipelined session and
 * `write` returns as soon as it has left the process (PipelinedConnection, `handedOff`),
 * so what follows it (an event announcing the row) is not held up by the round trip.
 *
 * The commit is still followed: a write whose session failed is sent again through the
 * pool until the database takes it (a unique violation then means the first attempt had
 * committed). `settled()` waits for every write in flight: readers call it first and see
 * their own writes. Without a usable session the write goes through the pool and waits.
 *
 * With a journal (`journal`), each handed-off write is appended to a local file first and
 * `replay()` at the next start stores what a dead process had announced but not seen
 * committed (see lib/storage/ack-journal.ts for why the kernel's copy is not enough).
 * Statements must be insert-once (a replayed row that is already there is a unique
 * violation, taken as done).
 */
import { UnavailableError } from '../errors';
import { AckJournal } from './ack-journal';
import { isConnectionError } from './adapters/pg';
import type { Db, Statement } from './db';
import { PipelinedConnection } from './pipelined-connection';
import type { Logger } from '../util/logger';

export interface HandoffOptions {
  conn: PipelinedConnection;
  /** The pool used when the session is unusable, and for retries. */
  db: Db;
  logger: Logger;
  /** What the rows are, for log lines ("decisions"). */
  what: string;
  /** Writes in flight at most; beyond it `write` waits for its own commit (default 256). */
  maxInFlight?: number;
  /** A journal of handed-off writes: its directory and name, and the statements it may hold (by name, for replay). */
  journal?: { dir: string; name: string; statements: readonly Statement[] };
}

/** A journal record: the statement's name and its parameters. */
type Written = [string, unknown[]];

function isUniqueViolation(e: unknown): boolean {
  return (e as { code?: string })?.code === '23505';
}

export class HandoffWriter {
  private readonly pending = new Set<Promise<void>>();
  private closed = false;
  readonly stats = { handedOff: 0, awaited: 0, retried: 0, failed: 0 };
  private readonly journal: AckJournal<Written> | null;

  constructor(private readonly o: HandoffOptions) {
    this.journal = o.journal ? new AckJournal<Written>(o.journal.dir, o.journal.name) : null;
  }

  /**
   * Store what processes that are gone had handed off but not seen committed (their
   * journals), then delete those journals. Returns the records replayed. A record the
   * database refuses is logged and dropped; a database that is down keeps the file.
   */
  async replay(): Promise<number> {
    const j = this.o.journal;
    if (!j) return 0;
    const byName = new Map(j.statements.map((st) => [st.name, st]));
    return AckJournal.replay<Written>(
      j.dir,
      j.name,
      async ([name, params]) => {
        const sql = byName.get(name);
        if (!sql) {
          this.o.logger.error(`${this.o.what}: a journal holds a statement this version does not know (${name}); skipped`);
          return false;
        }
        await this.o.db.query(sql, params);
      },
      {
        down: (e) => isConnectionError(e) || e instanceof UnavailableError,
        refused: (_r, e) => {
          if (!isUniqueViolation(e)) this.o.logger.error(`${this.o.what}: a journaled write was refused on replay: ${(e as Error).message}`);
        },
      },
    );
  }

  /** Resolves once the statement is in the kernel (or, failing that, committed). */
  async write(sql: Statement, params: readonly unknown[]): Promise<void> {
    if (!this.o.conn.ready && !this.closed) await this.o.conn.connect().catch(() => undefined);
    if (!this.o.conn.ready || this.pending.size >= (this.o.maxInFlight ?? 256)) {
      this.stats.awaited++;
      await this.o.db.query(sql, params);
      return;
    }
    const journal = this.journal;
    journal?.append([sql.name, params as unknown[]]);
    const sent = this.o.conn.send(sql, params);
    const done = sent.rows
      .then(
        () => undefined,
        (e: unknown) => this.retry(sql, params, e),
      )
      .finally(() => journal?.confirmed());
    this.pending.add(done);
    void done.finally(() => this.pending.delete(done)).catch(() => undefined);
    if (sent.handedOff) {
      this.stats.handedOff++;
      // Nobody awaits `done` from here on: its failure is logged, never unhandled.
      done.catch(() => undefined);
      return;
    }
    this.stats.awaited++;
    await done;
  }

  /** Every write in flight committed (or given up): read-your-writes for readers. */
  async settled(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  async close(): Promise<void> {
    await this.settled();
    this.closed = true;
    this.journal?.close();
    await this.o.conn.close();
  }

  private async retry(sql: Statement, params: readonly unknown[], first: unknown): Promise<void> {
    if (!isConnectionError(first) && !/Connection terminated|not queryable|pipelined connection/i.test((first as Error)?.message ?? '')) {
      // The server refused the statement itself: sending it again would not help.
      this.stats.failed++;
      this.o.logger.error(`${this.o.what}: a write was refused: ${(first as Error).message}`);
      throw first;
    }
    this.stats.retried++;
    for (let attempt = 0; ; attempt++) {
      try {
        await this.o.db.query(sql, params);
        return;
      } catch (e) {
        if (isUniqueViolation(e)) return; // the first attempt had committed
        if (this.closed && attempt >= 3) {
          this.stats.failed++;
          this.o.logger.error(`${this.o.what}: a write was lost after its session failed: ${(e as Error).message}`);
          throw e;
        }
        this.o.logger.warn(`${this.o.what}: write not yet stored after its session failed (${(e as Error).message}); retrying`);
      }
      await new Promise((r) => setTimeout(r, Math.min(5000, 50 * 2 ** attempt)));
    }
  }
}
