/**
 * What was acknowledged before the database confirmed it, kept in a local file until it is.
 *
 * A write handed to a pipelined session is in the kernel, but that is not enough to
 * survive the process: when a client dies, PostgreSQL finishes the statement it is running,
 * fails to send the reply and ends the session, so statements still queued behind it are
 * never run (and a reset connection may drop bytes the server had not yet read). So each
 * acknowledged record is appended here first (one `write`, no fsync: it survives the
 * process, like the asynchronous commit it stands in for), and the file is emptied
 * whenever nothing is waiting for confirmation. A process that starts replays the files
 * of processes that are gone (`orphans`), then deletes them.
 *
 * One file per process: `<dir>/<name>-<pid>.jsonl`, one JSON record per line. A file this
 * process would open but finds non-empty belongs to an earlier process with the same pid
 * (a container's process is often pid 1 on every start): it is set aside as
 * `<name>-orphan-<time>.jsonl`, and orphans are always replayed.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { processAlive } from '../util/process';

/** A journal name for what `prefix` writes to a database: one per database (host, port, name), so it is only ever replayed there. */
export function journalName(prefix: string, databaseUrl: string): string {
  const u = new URL(databaseUrl);
  return `${prefix}-${createHash('sha256').update(`${u.hostname}:${u.port || 5432}${u.pathname}`).digest('hex').slice(0, 12)}`;
}

const NEWLINE = Buffer.from('\n');

export interface Orphan<T> {
  file: string;
  records: T[];
}

export class AckJournal<T = unknown> {
  readonly file: string;
  private fd: number | null;
  private unconfirmed = 0;

  constructor(
    private readonly dir: string,
    private readonly name: string,
  ) {
    fs.mkdirSync(dir, { recursive: true });
    this.file = path.join(dir, `${name}-${process.pid}.jsonl`);
    if (fs.existsSync(this.file) && fs.statSync(this.file).size > 0) {
      fs.renameSync(this.file, path.join(dir, `${name}-orphan-${Date.now()}-${process.hrtime.bigint()}.jsonl`));
    }
    this.fd = fs.openSync(this.file, 'a');
  }

  /** Records not yet confirmed. */
  get pending(): number {
    return this.unconfirmed;
  }

  /** Append a record (before acknowledging it). */
  append(record: T): void {
    this.appendJson(JSON.stringify(record));
  }

  /** Append a record already serialised as one line of JSON (that parses to a `T`), whole or in chunks (one write either way). */
  appendJson(line: string | readonly Uint8Array[]): void {
    if (this.fd === null) throw new Error(`journal ${this.file} is closed`);
    if (typeof line === 'string') fs.writeSync(this.fd, line + '\n');
    else fs.writevSync(this.fd, [...line, NEWLINE]);
    this.unconfirmed++;
  }

  /** One record is confirmed (stored, or known never to need storing); the file empties when none is left. */
  confirmed(): void {
    if (this.unconfirmed > 0) this.unconfirmed--;
    if (this.unconfirmed === 0 && this.fd !== null) fs.ftruncateSync(this.fd, 0);
  }

  /** Close; the file goes when nothing is unconfirmed, and stays for the next start otherwise. */
  close(): void {
    if (this.fd === null) return;
    fs.closeSync(this.fd);
    this.fd = null;
    if (this.unconfirmed === 0) fs.rmSync(this.file, { force: true });
  }

  /** The files left by processes of this name that are no longer running, and the files set aside. */
  private static orphanFiles(dir: string, name: string): string[] {
    if (!fs.existsSync(dir)) return [];
    const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const live = new RegExp(`^${escaped}-(\\d+)\\.jsonl$`);
    const setAside = new RegExp(`^${escaped}-orphan-[\\d-]+\\.jsonl$`);
    return fs
      .readdirSync(dir)
      .filter((f) => {
        const m = live.exec(f);
        return m ? Number(m[1]) !== process.pid && !processAlive(Number(m[1])) : setAside.test(f);
      })
      .map((f) => path.join(dir, f));
  }

  /** Are there records to replay (without reading them)? */
  static hasOrphans(dir: string, name: string): boolean {
    return AckJournal.orphanFiles(dir, name).length > 0;
  }

  /** The records left by processes of this name that are no longer running (a torn last line is skipped). */
  static orphans<T>(dir: string, name: string): Orphan<T>[] {
    return AckJournal.orphanFiles(dir, name).map((file) => {
      const records: T[] = [];
      for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
        if (!line) continue;
        try {
          records.push(JSON.parse(line) as T);
        } catch {
          // a line cut short by the crash: its write never completed, so it was never acknowledged
        }
      }
      return { file, records };
    });
  }

  /**
   * Store the orphans' records through `store`, then delete their files; returns the
   * records replayed (`store` answering false skips one uncounted). An error `down` calls
   * the database being down propagates, and the file stays for the next start. A record
   * whose error `keep` accepts (it cannot be placed now, but may be later) is set aside in
   * a new orphan file, replayed by the next `replay`; any other error is a refusal: the
   * record goes to `refused` and is dropped.
   */
  static async replay<T>(
    dir: string,
    name: string,
    store: (record: T) => Promise<boolean | void>,
    on: { down(e: unknown): boolean; refused(record: T, e: unknown): void; keep?(record: T, e: unknown): boolean },
  ): Promise<number> {
    let n = 0;
    for (const { file, records } of AckJournal.orphans<T>(dir, name)) {
      const kept: T[] = [];
      for (const r of records) {
        try {
          if ((await store(r)) === false) continue;
        } catch (e) {
          if (on.down(e)) throw e; // the whole file stays: what was stored is found by its key next time
          if (on.keep?.(r, e)) {
            kept.push(r);
            continue;
          }
          on.refused(r, e);
        }
        n++;
      }
      AckJournal.setAside(dir, name, kept);
      fs.rmSync(file, { force: true });
    }
    return n;
  }

  /** Write records to a new orphan file (one write), replayed by the next `replay`. */
  private static setAside(dir: string, name: string, records: readonly unknown[]): void {
    if (records.length === 0) return;
    const file = path.join(dir, `${name}-orphan-${Date.now()}-${process.hrtime.bigint()}.jsonl`);
    fs.writeFileSync(`${file}.tmp`, records.map((r) => JSON.stringify(r)).join('\n') + '\n');
    fs.renameSync(`${file}.tmp`, file);
  }
}
