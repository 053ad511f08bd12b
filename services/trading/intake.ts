/**
 * Order intake: where every order row is written, and how a paper order is acknowledged
 * without waiting for the database's reply.
 *
 * Ownership. A trading node owns a tenant's intake once its intake session holds the
 * advisory lock (ORDER_LOCK_CLASS, hashtext(tenant)). Every order insert, on any node, is
 * guarded by the shared form of that lock (store.INSERT_ORDER), so while a node owns a
 * tenant no other session can add an order for it: the owner knows every key the tenant
 * has. The lock lives and dies with the session (a killed node frees its tenants at once).
 *
 * Keys. For a tenant it owns, the intake keeps a Bloom filter of every idempotency key the
 * tenant has used (loaded after the lock is held, extended as writes confirm) and the
 * writes in flight. A key the filter has never seen is new: no round trip is needed to
 * learn it. A "maybe" (a used key, or a 0.1 % false positive) takes the ordinary path.
 *
 * Acknowledgement. A new paper order is appended to the node's journal (lib/storage/
 * ack-journal.ts: one local `write`) and its INSERT written to the pipelined session; once
 * the INSERT's bytes are in the kernel (`handedOff`) the order is acknowledged. Routing
 * still waits for the commit (fills reference the row). If the process dies first, the
 * next start replays the journal (`replayJournals`): the kernel's copy alone is not
 * enough, since PostgreSQL ends a session whose client is gone after the statement it is
 * running, and the rest of the pipeline is never run. This is the durability paper orders
 * already had with asynchronous commit: a process crash loses nothing, a database-server
 * crash may lose the last fraction of a second. Live (MT5) orders are always written with
 * synchronous commit and awaited.
 */
import { UnavailableError } from '../../lib/errors';
import { isConnectionError } from '../../lib/storage/adapters/pg';
import type { Db } from '../../lib/storage/db';
import { PipelinedConnection } from '../../lib/storage/pipelined-connection';
import { AckJournal } from '../../lib/storage/ack-journal';
import { BloomFilter } from '../../lib/util/bloom';
import type { Logger } from '../../lib/util/logger';
import type { Order } from '../../types/trading';
import * as store from './trading.store';
import { InFlight } from '../../lib/util/in-flight';

type State = 'claiming' | 'loading' | 'owned' | 'shared';

interface Pending {
  order: Order;
  hash: string;
  written: Promise<Order | null>;
}

interface TenantIntake {
  state: State;
  keys: BloomFilter;
  /** Fast-path writes not yet confirmed, by idempotency key. */
  pending: Map<string, Pending>;
  /** Keys confirmed since the claim started (added to the loaded filter). */
  confirmedWhileLoading: string[];
  /** `shared`: when to try to claim again. */
  retryAt: number;
  /** Claims started: a claim whose number is no longer current gave way to a newer one. */
  claim: number;
}

export type KeyLookup = { kind: 'pending'; order: Order; hash: string } | { kind: 'new' } | { kind: 'ask' };

export interface FastWrite {
  /** The statement was in the kernel when `write` returned: safe to acknowledge now. */
  handedOff: boolean;
  /** The order once committed; null if the key turned out to be taken (then the order does not exist). */
  written: Promise<Order | null>;
}

export interface IntakeOptions {
  conn: PipelinedConnection;
  /** For reading keys and owners (a pool, not the intake session). */
  db: Db;
  logger: Logger;
  now?: () => number;
  /** Keys read per page when loading a tenant's filter. */
  pageSize?: number;
  /**
   * Acknowledged writes not yet committed, at most (default 512). Beyond it orders wait for
   * their own commit: when the database falls behind, acknowledgements slow down with it
   * instead of queueing without bound.
   */
  maxInFlight?: number;
  /** Directory of the acknowledgement journal (`<dir>/<journalName>-<pid>.jsonl`); none: no fast path. */
  journalDir?: string;
  /** The journal's name: one per database, so a journal is only ever replayed into the database it was written for. */
  journalName?: string;
  /**
   * An acknowledged order whose tenant another node now owns (its write here failed, or the
   * process that acknowledged it died): store it through `owner`'s intake (the application
   * name of the session holding the tenant, null when unknown). Resolves true when stored
   * there, false when its key was already taken there; throws when it cannot be placed now.
   * Without it such an order waits until this node can claim the tenant again.
   */
  handOver?: (order: Order, requestHash: string, owner: string | null) => Promise<boolean>;
}

/**
 * A journal record: the acknowledged order, by name, with its request hash. Replayed through
 * the INSERT of the code that replays it, so a journal survives an upgrade that changes the
 * statement. Journals written before version 1 hold INSERT_ORDER's parameters by position
 * (`LEGACY_LAYOUT`); those are still read.
 */
export interface JournalOrder {
  v: 1;
  requestHash: string;
  order: Order;
}
type Acked = JournalOrder | unknown[];

/** Where the fields of an order were in a journal record written before version 1 (INSERT_ORDER's parameters then). */
const LEGACY_LAYOUT = ['id', 'tenantId', 'accountId', 'idempotencyKey', 'requestHash', 'decisionId', 'symbol', 'side', 'type', 'volume', 'price', 'sl', 'tp', 'trailing',
  'positionId', 'status', 'comment', 'origin', 'risk', 'history', 'createdAt', 'expiresAt'] as const;

/** The order and request hash of a journal record, either version; throws on a record that is neither. */
export function journalled(r: Acked): { order: Order; requestHash: string } {
  if (Array.isArray(r)) {
    if (r.length !== LEGACY_LAYOUT.length) throw new TypeError(`a journal record of ${r.length} fields, not ${LEGACY_LAYOUT.length}`);
    const f = Object.fromEntries(LEGACY_LAYOUT.map((k, i) => [k, r[i]])) as Record<(typeof LEGACY_LAYOUT)[number], unknown>;
    const { requestHash, risk, history, ...rest } = f;
    const order = store.unfilledOrder({
      ...(rest as Omit<Order, 'risk' | 'history' | 'filledVolume' | 'avgPrice' | 'brokerOrder' | 'reason' | 'updatedAt'>),
      risk: typeof risk === 'string' ? JSON.parse(risk) : null,
      history: typeof history === 'string' ? JSON.parse(history) : [],
    });
    return { order, requestHash: String(requestHash) };
  }
  if (r && typeof r === 'object' && r.v === 1 && r.order && typeof r.requestHash === 'string') return { order: r.order, requestHash: r.requestHash };
  throw new TypeError(`an unknown journal record (version ${String((r as { v?: unknown } | null)?.v)})`);
}

/** The error type with which a node's database refuses an order's row itself (a check): final wherever the order is sent. */
export const ORDER_REFUSED = 'ORDER_REFUSED';

/** An acknowledged order no node can store now (its tenant's owner could not take it): kept, and tried again later. */
export class NotPlacedYet extends UnavailableError {
  constructor(message: string) {
    super('trading', message);
  }
}

/** A journal record, for a log line. */
function recordName(r: Acked): string {
  try {
    const { order } = journalled(r);
    return `${order.id} of ${order.tenantId}`;
  } catch {
    return JSON.stringify(r).slice(0, 120);
  }
}

/** Another node owns the tenant: send the order there. */
export class OwnedElsewhere extends UnavailableError {
  constructor(
    readonly tenantId: string,
    readonly owner: string | null,
  ) {
    super('trading', `the order intake of tenant ${tenantId} is owned by ${owner ?? 'another trading node'}`);
  }
}

const SHARED_RETRY_MS = 10_000;

export class OrderIntake {
  private readonly tenants = new Map<string, TenantIntake>();
  private readonly writes = new InFlight();
  private readonly now: () => number;
  private closed = false;
  private inFlight = 0;
  private readonly journal: AckJournal<Acked> | null;
  /** A replay running (replays do not overlap). */
  private replaying: Promise<number> | null = null;
  /**
   * Fast-path acknowledgements, those that waited for the statement to leave, writes checked
   * again after a lost session, acknowledged orders stored by the tenant's owner, and journal
   * records set aside for a later replay (no node could store them yet).
   */
  readonly stats = { fast: 0, fastAwaited: 0, slow: 0, reconciled: 0, handedOver: 0, setAside: 0 };

  constructor(private readonly o: IntakeOptions) {
    this.now = o.now ?? Date.now;
    this.journal = o.journalDir ? new AckJournal<Acked>(o.journalDir, o.journalName ?? 'intake') : null;
  }

  /**
   * Before taking orders: store the orders that processes which have died had acknowledged
   * but not seen committed (their journals), then delete those journals. Returns how many
   * records were replayed (a record already stored counts too: it is found by its key).
   *
   * An order of a tenant another node owns is handed to that node (`handOver`); one that no
   * node can store now (the owner unreachable, or no `handOver`) is set aside and replayed
   * again later (`pendingReplay`): an acknowledged order is never dropped for want of an owner.
   * `onStored` gets each order stored here (a replay while the node runs routes them; at start
   * the engine's recovery finds them in `new`). A call while a replay runs joins that replay.
   */
  replayJournals(onStored?: (order: Order) => void): Promise<number> {
    if (!this.o.journalDir) return Promise.resolve(0);
    const dir = this.o.journalDir;
    this.replaying ??= AckJournal.replay<Acked>(dir, this.o.journalName ?? 'intake', (r) => this.replayOne(r, onStored), {
      down: (e) => (e instanceof UnavailableError && !(e instanceof OwnedElsewhere) && !(e instanceof NotPlacedYet)) || isConnectionError(e),
      keep: (r, e) => {
        if (!(e instanceof OwnedElsewhere) && !(e instanceof NotPlacedYet)) return false;
        this.stats.setAside++;
        this.o.logger.warn(`trading: acknowledged order ${recordName(r)} is kept for a later replay: ${(e as Error).message}`);
        return true;
      },
      refused: (r, e) => this.o.logger.error(`trading: acknowledged order ${recordName(r)} could not be replayed: ${(e as Error).message}`),
    }).finally(() => (this.replaying = null));
    return this.replaying;
  }

  /** Journal records set aside for a later replay exist (in this node's journal directory). */
  pendingReplay(): boolean {
    return this.o.journalDir ? AckJournal.hasOrphans(this.o.journalDir, this.o.journalName ?? 'intake') : false;
  }

  /** One journal record: stored here, or by the tenant's owner. */
  private async replayOne(r: Acked, onStored?: (order: Order) => void): Promise<void> {
    const { order, requestHash } = journalled(r);
    try {
      if (await this.insertRow(store.insertParams(order, requestHash))) onStored?.(order);
    } catch (e) {
      if (!(e instanceof OwnedElsewhere)) throw e;
      await this.handOver(order, requestHash, e);
    }
  }

  /** Store an acknowledged order through the node that owns its tenant; NotPlacedYet when that cannot happen now. */
  private async handOver(order: Order, requestHash: string, owned: OwnedElsewhere): Promise<boolean> {
    if (!this.o.handOver) throw owned;
    try {
      const stored = await this.o.handOver(order, requestHash, owned.owner);
      this.stats.handedOver++;
      if (!stored) this.o.logger.warn(`trading: acknowledged order ${order.id} of ${order.tenantId} was handed to ${owned.owner ?? 'its owner'}, where its key ${order.idempotencyKey} was already taken`);
      return stored;
    } catch (e) {
      const err = e as { type?: unknown; message?: string };
      // The owner's database refusing the row itself stands (as it would here); anything else
      // (unreachable, timed out, ownership moved again, a node of another version) may pass later.
      if (err?.type === ORDER_REFUSED) throw e;
      throw new NotPlacedYet(`the order intake of tenant ${owned.tenantId} is owned by ${owned.owner ?? 'another trading node'}, which could not take it now (${err?.message ?? String(e)})`);
    }
  }

  /** The session was lost: its locks went with it. Every tenant is claimed again on its next order. */
  sessionLost(): void {
    for (const t of this.tenants.values()) {
      t.state = 'shared';
      t.retryAt = 0;
      t.claim++;
    }
  }

  /** Does this node own the tenant's intake (lock held, keys loaded)? */
  owns(tenantId: string): boolean {
    return this.tenants.get(tenantId)?.state === 'owned';
  }

  /**
   * What is known about (tenant, key) without a round trip. Starts claiming the tenant the
   * first time it is seen. Synchronous: a `new` answer holds until the caller's `write`.
   */
  lookup(tenantId: string, key: string): KeyLookup {
    const t = this.tenant(tenantId);
    const p = t.pending.get(key);
    if (p) return { kind: 'pending', order: p.order, hash: p.hash };
    if (t.state === 'owned' && this.journal && this.o.conn.ready && this.inFlight < (this.o.maxInFlight ?? 512) && !t.keys.mayContain(key)) return { kind: 'new' };
    return { kind: 'ask' };
  }

  /** Write a paper order whose key `lookup` just called new. */
  write(order: Order, hash: string): FastWrite {
    const t = this.tenants.get(order.tenantId);
    if (!t || t.state !== 'owned' || !this.journal) throw new Error(`intake: write for ${order.tenantId}, which this node does not own`);
    const journal = this.journal;
    const record: JournalOrder = { v: 1, requestHash: hash, order };
    journal.append(record);
    const sent = this.o.conn.send(store.INSERT_ORDER, store.insertParams(order, hash));
    this.inFlight++;
    const written = this.writes.track(
      store.insertedOrNull(sent.rows, order).then(
        (r) => {
          if (r) this.confirmed(t, order.idempotencyKey);
          else this.o.logger.error(`trading: order ${order.id} was acknowledged but its key ${order.idempotencyKey} is taken in the database (written outside the intake?)`);
          return r;
        },
        // The session failed with the statement in flight: it may or may not have committed.
        () => this.reconcile(order, hash),
      ),
    ).finally(() => {
      this.inFlight--;
      t.pending.delete(order.idempotencyKey);
      journal.confirmed();
    });
    t.pending.set(order.idempotencyKey, { order, hash, written });
    if (sent.handedOff) this.stats.fast++;
    else this.stats.fastAwaited++;
    return { handedOff: sent.handedOff, written };
  }

  /**
   * The ordinary path: insert through the intake session and wait. Returns the order, or
   * null when the key is taken. Throws OwnedElsewhere when another node owns the tenant.
   */
  async insert(order: Order, hash: string, opts: { syncCommit?: boolean } = {}): Promise<Order | null> {
    this.stats.slow++;
    return (await this.insertRow(store.insertParams(order, hash), opts.syncCommit === true)) ? order : null;
  }

  /**
   * One INSERT_ORDER (parameters as `store.insertParams` lays them out) through the intake
   * session and awaited: true when stored, false when its key is taken. Throws
   * OwnedElsewhere when another node owns the tenant.
   */
  private async insertRow(params: readonly unknown[], syncCommit = false): Promise<boolean> {
    const tenantId = String(params[1]);
    const t = this.tenant(tenantId);
    await this.o.conn.connect();
    let rows: Promise<unknown[]>;
    if (syncCommit) {
      // The session commits asynchronously; a live order waits for its commit to be durable.
      // The three statements leave together: nothing else is written between them.
      void this.o.conn.send('SET synchronous_commit TO on').rows.catch(() => undefined);
      rows = this.o.conn.send(store.INSERT_ORDER, params).rows;
      void this.o.conn.send('SET synchronous_commit TO off').rows.catch(() => undefined);
    } else {
      rows = this.o.conn.send(store.INSERT_ORDER, params).rows;
    }
    let stored = true;
    try {
      if ((await rows).length === 0) throw new OwnedElsewhere(tenantId, await this.ownerOf(tenantId));
    } catch (e) {
      if (!store.isKeyTaken(e)) throw e;
      stored = false;
    }
    if (stored) this.confirmed(t, String(params[3]));
    if (t.state === 'shared' && !this.closed) this.claim(tenantId, t); // the guard passed: nobody owns it now
    return stored;
  }

  /** Wait until the tenant's fast-path writes have settled (read-your-writes for readers). */
  async settled(tenantId: string): Promise<void> {
    const t = this.tenants.get(tenantId);
    if (!t || t.pending.size === 0) return;
    await Promise.allSettled([...t.pending.values()].map((p) => p.written));
  }

  /** Wait for every write in flight (shutdown, tests). */
  async idle(): Promise<void> {
    await this.writes.idle();
  }

  async close(): Promise<void> {
    await this.idle();
    this.closed = true;
    this.journal?.close();
    await this.o.conn.close();
  }

  // ---------------------------------------------------------------- internals

  private tenant(tenantId: string): TenantIntake {
    let t = this.tenants.get(tenantId);
    if (!t) {
      t = { state: 'shared', keys: new BloomFilter({ capacity: 64 }), pending: new Map(), confirmedWhileLoading: [], retryAt: 0, claim: 0 };
      this.tenants.set(tenantId, t);
    }
    if (t.state === 'shared' && t.retryAt <= this.now() && !this.closed) this.claim(tenantId, t);
    return t;
  }

  private confirmed(t: TenantIntake, key: string): void {
    t.keys.add(key);
    // From the moment the claim starts: the filter being loaded may or may not see this key.
    if (t.state === 'claiming' || t.state === 'loading') t.confirmedWhileLoading.push(key);
  }

  /** Take the tenant's lock on the intake session, then load its keys. */
  private claim(tenantId: string, t: TenantIntake): void {
    t.state = 'claiming';
    t.confirmedWhileLoading = [];
    const claim = ++t.claim;
    const run = async () => {
      const [row] = await this.o.conn.query<{ ok: boolean }>(`SELECT pg_try_advisory_lock(${store.ORDER_LOCK_CLASS}, hashtext($1::text)) AS ok`, [tenantId]);
      if (t.claim !== claim) return; // the session was lost meanwhile; a newer claim runs
      if (!row?.ok) {
        t.state = 'shared';
        t.retryAt = this.now() + SHARED_RETRY_MS;
        return;
      }
      // Held from here on: no other session adds keys, so the keys read now are all of them.
      t.state = 'loading';
      // Small to start (a tenant's first stage is ≈ 0.5 KB); the filter grows by stages as keys arrive.
      const keys = new BloomFilter({ capacity: 256 });
      for await (const page of this.keyPages(tenantId)) for (const k of page) keys.add(k);
      if (t.claim !== claim || t.state !== 'loading') return; // the session was lost meanwhile
      for (const k of t.confirmedWhileLoading) keys.add(k);
      t.confirmedWhileLoading = [];
      t.keys = keys;
      t.state = 'owned';
    };
    void this.writes.track(
      run().catch((e: unknown) => {
        if (t.claim !== claim) return;
        t.state = 'shared';
        t.retryAt = this.now() + 1000;
        this.o.logger.warn(`trading: claiming the order intake of ${tenantId} failed: ${(e as Error).message}`);
      }),
    );
  }

  private async *keyPages(tenantId: string): AsyncGenerator<string[]> {
    const size = this.o.pageSize ?? 50_000;
    let after = '';
    for (;;) {
      const rows = await this.o.db.query<{ k: string }>(
        'SELECT idempotency_key AS k FROM orders WHERE tenant_id = $1 AND idempotency_key > $2 ORDER BY idempotency_key LIMIT $3',
        [tenantId, after, size],
      );
      if (rows.length === 0) return;
      yield rows.map((r) => r.k);
      if (rows.length < size) return;
      after = rows[rows.length - 1].k;
    }
  }

  /** The application name of the session holding the tenant's lock, if any. */
  private async ownerOf(tenantId: string): Promise<string | null> {
    const rows = await this.o.db
      .query<{ name: string }>(
        `SELECT a.application_name AS name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
          WHERE l.locktype = 'advisory' AND l.objsubid = 2 AND l.mode = 'ExclusiveLock' AND l.granted
            AND l.classid = ${store.ORDER_LOCK_CLASS}::oid AND l.objid = hashtext($1::text)::oid`,
        [tenantId],
      )
      .catch(() => []);
    return rows[0]?.name || null;
  }

  /**
   * A fast-path write whose session failed: find out whether it committed; if not, write it
   * again through the ordinary path, or through the tenant's owner if another node has taken
   * it meanwhile. Retries until one of them answers (the order was acknowledged, so it is
   * never dropped while this process lives; its journal record stays until then).
   */
  private async reconcile(order: Order, hash: string): Promise<Order | null> {
    this.stats.reconciled++;
    for (let attempt = 0; ; attempt++) {
      try {
        const existing = await store.orderByKey(this.o.db, order.tenantId, order.idempotencyKey);
        if (existing) return existing.id === order.id ? order : null;
        const r = await this.insert(order, hash);
        if (r) return r;
      } catch (e) {
        let why = e;
        if (e instanceof OwnedElsewhere && this.o.handOver) {
          try {
            await this.handOver(order, hash, e);
            return null; // stored by the owner, which routes it: not an order of this node's books
          } catch (h) {
            if (!(h instanceof NotPlacedYet)) {
              this.o.logger.error(`trading: acknowledged order ${order.id} was refused by ${e.owner ?? 'the owner'} of tenant ${order.tenantId}: ${(h as Error).message}`);
              return null;
            }
            why = h;
          }
        }
        if (this.closed) throw why;
        this.o.logger.warn(`trading: order ${order.id} not yet confirmed after the intake session failed (${(why as Error).message}); retrying`);
      }
      await new Promise((res) => setTimeout(res, Math.min(5000, 100 * 2 ** attempt)));
    }
  }
}
