/**
 * Writes whose result nobody waits for, so what follows them (an event announcing the row)
 * is not held up by the round trip. The commit is still followed: a write whose session
 * failed is sent again through the pool until the database takes it (a unique violation
 * then means the first attempt had committed). `settled()` waits for every write in
 * flight: readers call it first and see their own writes. Without a usable session, or
 * with `maxInFlight` writes waiting, a write goes through the pool and waits for its commit.
 *
 * - Without a journal, `write` returns once the statement has left the process on a
 *   pipelined session (PipelinedConnection, `handedOff`).
 * - With a journal (`journal`), `write` returns once the write is appended to a local file
 *   (lib/storage/ack-journal.ts: that, not the kernel's copy of the socket, is what
 *   survives the process), and the statement goes to the session at the end of the
 *   event-loop turn (`setImmediate`, several writes of a turn together): the event
 *   announcing the row and its subscribers run first, and a crash in between loses nothing
 *   (`replay()` at the next start stores what a dead process had journaled but not seen
 *   committed). JSON parameters given as `JsonText` are encoded once: the journal line
 *   embeds their bytes, and the session sends the same bytes.
 *
 * Statements must be insert-once (a replayed row that is already there is a unique
 * violation, taken as done).
 */
import { UnavailableError } from '../errors';
import { AckJournal } from './ack-journal';
import { isConnectionError } from './adapters/pg';
import { Db, JsonText, Statement } from './db';
import { PipelinedConnection } from './pipelined-connection';
import { InFlight } from '../util/in-flight';
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

/** A journal record: the statement's name, its parameters, and which of them were `JsonText` (kept as JSON). */
type Written = [string, unknown[], number[]?];

/** The journal line of a write, `[name, params, jsonIndexes?]`, as chunks: JsonText parameters embedded as their bytes. */
export function journalLine(name: string, params: readonly unknown[]): Buffer[] {
  const chunks: Buffer[] = [];
  let text = '[' + JSON.stringify(name) + ',[';
  let json: number[] | null = null;
  for (let i = 0; i < params.length; i++) {
    const p = params[i];
    if (i > 0) text += ',';
    if (p instanceof JsonText) {
      chunks.push(Buffer.from(text), p.bytes);
      text = '';
      (json ??= []).push(i);
    } else text += p === undefined ? 'null' : JSON.stringify(p);
  }
  chunks.push(Buffer.from(text + ']' + (json ? ',' + JSON.stringify(json) : '') + ']'));
  return chunks;
}

/** A journal record's parameters as the statement takes them (JSON ones as text again). */
function paramsOf([, params, json]: Written): unknown[] {
  if (json) for (const i of json) params[i] = JSON.stringify(params[i]);
  return params;
}

interface Queued {
  sql: Statement;
  params: readonly unknown[];
  settle: (e?: unknown) => void;
}

function isUniqueViolation(e: unknown): boolean {
  return (e as { code?: string })?.code === '23505';
}

export class HandoffWriter {
  private readonly pending = new InFlight();
  private closed = false;
  readonly stats = { handedOff: 0, awaited: 0, retried: 0, failed: 0 };
  private readonly journal: AckJournal<Written> | null;
  /** Journaled writes waiting for the end of the turn to go to the session. */
  private queue: Queued[] = [];

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
      async (record) => {
        const sql = byName.get(record[0]);
        if (!sql) {
          this.o.logger.error(`${this.o.what}: a journal holds a statement this version does not know (${record[0]}); skipped`);
          return false;
        }
        await this.o.db.query(sql, paramsOf(record));
      },
      {
        down: (e) => isConnectionError(e) || e instanceof UnavailableError,
        refused: (_r, e) => {
          if (!isUniqueViolation(e)) this.o.logger.error(`${this.o.what}: a journaled write was refused on replay: ${(e as Error).message}`);
        },
      },
    );
  }

  /** Resolves once the write is journaled (with a journal) or in the kernel (without), or else committed. */
  async write(sql: Statement, params: readonly unknown[]): Promise<void> {
    if (!this.o.conn.ready && !this.closed) await this.o.conn.connect().catch(() => undefined);
    if (!this.o.conn.ready || this.pending.size >= (this.o.maxInFlight ?? 256)) {
      this.stats.awaited++;
      await this.o.db.query(sql, params);
      return;
    }
    const journal = this.journal;
    if (journal) {
      journal.appendJson(journalLine(sql.name, params));
      const sent = new Promise<void>((resolve, reject) => {
        if (this.queue.push({ sql, params, settle: (e) => (e === undefined ? resolve() : reject(e)) }) === 1) setImmediate(() => this.flush());
      });
      void this.follow(sql, params, sent, journal); // followed to its commit; failures are logged there
      this.stats.handedOff++;
      return;
    }
    const sent = this.o.conn.send(sql, params);
    const done = this.follow(sql, params, sent.rows, null);
    if (sent.handedOff) {
      this.stats.handedOff++;
      return;
    }
    this.stats.awaited++;
    await done;
  }

  /** Send the turn's journaled writes to the session (through the pool, retried, when it is gone). */
  private flush(): void {
    const queue = this.queue;
    this.queue = [];
    for (const w of queue) {
      try {
        this.o.conn.send(w.sql, w.params).rows.then(() => w.settle(), w.settle);
      } catch (e) {
        w.settle(e);
      }
    }
  }

  /** Track a write until it is committed (retried through the pool after a lost session), then confirm it in the journal. */
  private follow(sql: Statement, params: readonly unknown[], sent: Promise<unknown>, journal: AckJournal<Written> | null): Promise<void> {
    const done = sent
      .then(
        () => undefined,
        (e: unknown) => this.retry(sql, params, e),
      )
      .finally(() => journal?.confirmed());
    void this.pending.track(done);
    // Nobody need await `done`: its failure is logged, never unhandled.
    done.catch(() => undefined);
    return done;
  }

  /** Every write in flight committed (or given up): read-your-writes for readers. */
  async settled(): Promise<void> {
    await this.pending.idle();
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
