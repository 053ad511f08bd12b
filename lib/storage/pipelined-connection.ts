/**
 * One PostgreSQL session in pipeline mode: every statement is written to the socket the
 * moment it is sent, without waiting for the replies of those before it.
 *
 * `send` reports whether the statement's bytes are already in the kernel when it returns
 * (`handedOff`): nothing of it is left to do in this process. That alone does not make it
 * survive the process: when a client dies, PostgreSQL finishes the statement it is running,
 * fails to send the reply and ends the session, so the statements queued behind it never
 * run (and a reset connection can drop bytes the server had not read yet). A caller that
 * acknowledges on hand-off keeps its own record until the outcome arrives in `rows`
 * (lib/storage/ack-journal.ts).
 *
 * The session is what session-level state hangs on (advisory locks, `SET`): when it is
 * lost, `onReset` says so, and the next `connect` opens a fresh one.
 */
import { Client } from 'pg';
import { UnavailableError } from '../errors';
import type { Row, Statement } from './db';

export interface PipelinedOptions {
  connectionString: string;
  /** Shown in `pg_stat_activity.application_name` (how other nodes find who holds a lock). */
  applicationName: string;
  connectTimeoutMs?: number;
  /** The session was lost (its locks and settings with it). */
  onReset?: (cause: Error) => void;
}

export interface Sent<R> {
  /** The statement's rows, once the server has answered. */
  rows: Promise<R[]>;
  /** True when the whole statement was in the kernel's socket buffer as `send` returned. */
  handedOff: boolean;
}

interface PgInternals {
  connection: { stream: { writable: boolean; writableLength: number } };
  _queryable: boolean;
  _ending: boolean;
}

export class PipelinedConnection {
  private client: Client | null = null;
  private opening: Promise<Client> | null = null;
  private closed = false;

  constructor(private readonly o: PipelinedOptions) {}

  /** True while a session is open and accepts statements. */
  get ready(): boolean {
    const c = this.client as unknown as PgInternals | null;
    return c !== null && c._queryable && !c._ending && c.connection.stream.writable;
  }

  /** Open the session if it is not open. */
  async connect(): Promise<void> {
    if (this.ready) return;
    if (this.closed) throw new UnavailableError('database', 'pipelined connection closed');
    if (!this.opening) {
      this.opening = this.open().finally(() => {
        this.opening = null;
      });
    }
    await this.opening;
  }

  private async open(): Promise<Client> {
    const client = new Client({
      connectionString: this.o.connectionString,
      application_name: this.o.applicationName,
      connectionTimeoutMillis: this.o.connectTimeoutMs ?? 3000,
      pipeline: true,
    } as ConstructorParameters<typeof Client>[0]);
    let lost = false;
    const reset = (e: Error) => {
      if (lost) return;
      lost = true;
      if (this.client === client) this.client = null;
      if (!this.closed) this.o.onReset?.(e);
    };
    client.on('error', reset);
    client.on('end', () => reset(new Error('connection ended')));
    try {
      await client.connect();
    } catch (e) {
      client.removeAllListeners();
      throw new UnavailableError('database', (e as Error).message, e);
    }
    if (this.closed) {
      await client.end().catch(() => undefined);
      throw new UnavailableError('database', 'pipelined connection closed');
    }
    this.client = client;
    return client;
  }

  /** Write one statement now (the session must be `ready`). */
  send<R = Row>(sql: string | Statement, params?: readonly unknown[]): Sent<R> {
    const client = this.client;
    if (!client || !this.ready) throw new UnavailableError('database', 'pipelined connection not open');
    const config = typeof sql === 'string' ? { text: sql, values: params as unknown[] } : { name: sql.name, text: sql.text, values: params as unknown[] };
    const rows = client.query(config).then((r) => r.rows as R[]);
    const stream = (client as unknown as PgInternals).connection.stream;
    return { rows, handedOff: stream.writable && stream.writableLength === 0 };
  }

  /** Open if needed, send, and wait for the rows. */
  async query<R = Row>(sql: string | Statement, params?: readonly unknown[]): Promise<R[]> {
    await this.connect();
    return this.send<R>(sql, params).rows;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.opening?.catch(() => undefined);
    const c = this.client;
    this.client = null;
    await c?.end().catch(() => undefined);
  }
}
