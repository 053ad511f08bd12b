/**
 * The trading engine: idempotent order intake, routing through a broker port, fills and
 * positions in one transaction, engine-managed SL/TP/trailing stops for paper accounts,
 * cancel/modify, and recovery of orders a crash left in `new`.
 *
 * Concurrency model:
 * - the database is the truth: the order insert is guarded by UNIQUE (tenant_id,
 *   idempotency_key) and by the tenant's intake lock (one node writes a tenant's orders,
 *   intake.ts), every state change is a guarded UPDATE (… WHERE status = ANY(from)),
 *   and a fill locks the account row (SELECT … FOR UPDATE) while it reads the positions
 *   and writes order, fill, position and balance together;
 * - in memory, each account has a serial queue for executions and a book (open
 *   positions, working orders) that mirrors what the engine itself committed. One engine
 *   instance owns an account at a time (the book is what risk reads for its checks).
 *
 * Durability: paper accounts write through `fastDb` (asynchronous commit: an application
 * crash loses nothing, a database-server crash may lose the last fraction of a second of
 * paper orders); a paper order of an owned tenant is acknowledged once it is journaled and
 * its INSERT is in the kernel (the same guarantee, intake.ts) and routed after the commit; live (MT5)
 * accounts always write with synchronous commit before routing.
 */
import { DomainError, NotFoundError, UnavailableError } from '../../lib/errors';
import { newId } from '../../lib/ids';
import { notionalOf, ExposureLine } from '../../lib/risk/checks';
import { isTerminal, LIVE_STATUSES, statesBefore } from '../../lib/trading/order-state';
import { commissionOf, DEFAULT_PAPER, PaperSettings, pendingFillPrice, protectiveTrigger, trailedStop } from '../../lib/trading/paper';
import { applyHedgingFill, applyNettingFill, FillEffect, quoteToAccount, roundLots, unrealizedPnl } from '../../lib/trading/positions';
import type { PriceSource } from '../../lib/trading/price-source';
import { requestHash } from '../../lib/trading/request-hash';
import { validateOrder, validateQuote, validateStops } from '../../lib/trading/validate';
import type { Db } from '../../lib/storage/db';
import { InFlight } from '../../lib/util/in-flight';
import type { Logger } from '../../lib/util/logger';
import type { Account, AccountMode, Book, Fill, Order, OrderIntent, OrderStatus, Position, Quote, SubmitParams, SymbolSpec } from '../../types/trading';
import { Broker, Mt5Broker, Mt5Send, PaperBroker, RouteResult } from './brokers';
import { ORDER_REFUSED, type OrderIntake } from './intake';
import { WorkingOrders } from './working-orders';
import * as store from './trading.store';

export type EngineLogger = Required<Logger>;

export interface QuoteCache {
  observe(q: Quote): void;
  cached(symbol: string): Quote | null;
}

export interface EngineOptions {
  db: Db;
  /** Asynchronous-commit handle for paper accounts (may be `db`). */
  fastDb?: Db;
  /** Where order rows are written on a real PostgreSQL (ownership, acknowledgement on hand-off); absent: `insertOrder` on the pool. */
  intake?: OrderIntake;
  prices: PriceSource & Partial<QuoteCache>;
  /** `mt5-gateway.send` behind a function; null when no gateway is configured. */
  mt5Send?: Mt5Send | null;
  /**
   * Publish an event (called after commit). `via` is what `submit` was given for the
   * order the event is about (the submitting call, so its events join that trace), if any.
   */
  emit(event: string, payload: unknown, via?: unknown): void;
  now?: () => number;
  logger: EngineLogger;
  paper?: { balance?: number; currency?: string; mode?: AccountMode; settings?: Partial<PaperSettings> };
}

interface AccountBook {
  key: string;
  account: store.AccountRow;
  settings: PaperSettings;
  positions: Map<string, Position>;
  working: WorkingOrders;
  /** Orders/positions with an execution already queued (no double trigger from ticks). */
  busy: Set<string>;
  /** Paper orders waiting for the account's next routing pass (see `routeInBackground`). */
  toRoute: string[];
  queue: Promise<unknown>;
  marksDirty: boolean;
  /** Live accounts: equity as the terminal last reported it (`mt5.account`). */
  brokerEquity: number | null;
}

export interface ExecInput {
  price: number;
  volume: number;
  deal?: string | null;
  brokerOrder?: string | null;
  ticket?: string | null;
  commission?: number;
  note?: string;
}

export interface FillOutcome {
  order: Order;
  fill: Fill;
  position: Position;
  change: FillEffect['change'];
}

class AlreadyApplied extends Error {}

/** One fill computed in memory, not yet written. */
interface PlannedFill extends FillOutcome {
  /** What `recordFill` (or a batch's `recordFills`) writes; `order` is the order after it. */
  write: store.FillWrite;
}

/** Paper market orders of one account routed together, with what their fills will write. */
interface PaperBatch {
  fills: (PlannedFill & { exec: ExecInput; spec: SymbolSpec })[];
  /** Open positions as the batch leaves them so far (the book's, plus the planned fills). */
  positions: Map<string, Position>;
}

const SIGN = { buy: 1, sell: -1 } as const;

/** A paper order as its acknowledgement shows it: accepted at `at`. */
function acceptedOf(o: Order, at: number): Order {
  // Spread, not Object.assign: V8 clones the row's shape in one step instead of adding 26 properties one by one.
  return { ...o, status: 'accepted', history: [...o.history, { status: 'accepted', at }] };
}

export class TradingEngine {
  private readonly books = new Map<string, Promise<AccountBook>>();
  private readonly loaded = new Map<string, AccountBook>();
  private readonly brokers: { paper: Broker; mt5: Broker | null };
  private readonly now: () => number;
  private readonly fastDb: Db;
  private readonly paper: { balance: number; currency: string; mode: AccountMode; settings: PaperSettings };
  private readonly inflight = new InFlight();
  /** Fills written, the statements that wrote them (a batch of paper fills is one), and batches refused (then written fill by fill). */
  readonly fillStats = { fills: 0, statements: 0, refusedBatches: 0 };

  constructor(private readonly o: EngineOptions) {
    this.now = o.now ?? Date.now;
    this.fastDb = o.fastDb ?? o.db;
    this.brokers = { paper: new PaperBroker(), mt5: o.mt5Send ? new Mt5Broker(o.mt5Send) : null };
    this.paper = {
      balance: o.paper?.balance ?? 100_000,
      currency: o.paper?.currency ?? 'USD',
      mode: o.paper?.mode ?? 'netting',
      settings: { ...DEFAULT_PAPER, ...(o.paper?.settings ?? {}) },
    };
  }

  // ------------------------------------------------------------------ books

  private q(b: AccountBook): Db {
    return b.account.broker === 'paper' ? this.fastDb : this.o.db;
  }

  /** The account's in-memory book, loaded once (the paper account is created on first use). */
  async bookOf(tenantId: string, accountId: string): Promise<AccountBook> {
    const key = `${tenantId}\u0000${accountId}`;
    let p = this.books.get(key);
    if (!p) {
      p = this.loadBook(tenantId, accountId, key);
      this.books.set(key, p);
      p.catch(() => this.books.delete(key));
    }
    return p;
  }

  private async loadBook(tenantId: string, accountId: string, key: string): Promise<AccountBook> {
    let account = await store.getAccount(this.o.db, tenantId, accountId);
    if (!account && accountId === 'paper') {
      account = await store.createAccount(
        this.o.db,
        { tenantId, id: 'paper', broker: 'paper', mode: this.paper.mode, currency: this.paper.currency, balance: this.paper.balance },
        this.now(),
      );
    }
    if (!account) throw new NotFoundError('account', accountId);
    const [positions, live] = await Promise.all([store.openPositionsOf(this.o.db, tenantId, accountId), store.liveOrdersOf(this.o.db, tenantId, accountId)]);
    const book: AccountBook = {
      key,
      account,
      settings: { ...this.paper.settings, ...(account.settings as Partial<PaperSettings>) },
      positions: new Map(positions.map((p) => [p.id, p])),
      working: new WorkingOrders(live),
      busy: new Set(),
      toRoute: [],
      queue: Promise.resolve(),
      marksDirty: false,
      brokerEquity: null,
    };
    this.loaded.set(key, book);
    return book;
  }

  /** Run `fn` after everything queued on this account (executions never interleave). */
  private serial<T>(b: AccountBook, fn: () => Promise<T>): Promise<T> {
    const run = b.queue.then(fn);
    b.queue = run.catch(() => undefined);
    return run;
  }

  /** Keep a background task referenced; log its failure instead of dropping it. */
  private background(what: string, p: Promise<unknown>): void {
    const t = p.catch((e: unknown) => {
      // A missing dependency (market-data down) is retried by `retryNew`; anything else is a bug or the database.
      if (e instanceof UnavailableError) this.o.logger.warn(`trading: ${what} postponed: ${e.message}`);
      else this.o.logger.error(`trading: ${what} failed`, e);
    });
    void this.inflight.track(t);
  }

  /** Until the tenant's acknowledged orders are in the database (read-your-writes for readers). */
  settled(tenantId: string): Promise<void> {
    return this.o.intake?.settled(tenantId) ?? Promise.resolve();
  }

  /** Wait for queued executions (tests, shutdown). */
  async idle(): Promise<void> {
    await this.o.intake?.idle();
    await this.inflight.idle();
    await Promise.allSettled([...this.loaded.values()].map((b) => b.queue));
  }

  private broker(b: AccountBook): Broker {
    if (b.account.broker === 'paper') return this.brokers.paper;
    if (!this.brokers.mt5) throw new DomainError('NO_GATEWAY', `account ${b.account.id} is an MT5 account but no MT5 gateway is configured`, 503);
    return this.brokers.mt5;
  }

  private async specOf(symbol: string): Promise<SymbolSpec> {
    const spec = await this.o.prices.spec(symbol);
    if (!spec) throw new DomainError('INVALID_ORDER', `unknown symbol ${symbol}`, 422, { field: 'symbol' });
    return spec;
  }

  // ------------------------------------------------------------------ intake

  /**
   * Validate, persist (`new`), route. Same key + same request → the existing order
   * (`replayed: true`); same key + another request → IDEMPOTENCY_CONFLICT (409).
   */
  /** What each order's events go out through while its submission is being executed (see `emit`). */
  private readonly via = new Map<string, unknown>();

  /** `via`: an opaque handle handed back to `emit` for this order's events (the submitting call). */
  async submit(p: SubmitParams, via?: unknown): Promise<{ order: Order; replayed: boolean }> {
    const intent = p.intent;
    const accountId = intent.account ?? 'paper';
    const hash = requestHash(intent, p.decisionId);
    const book = await this.bookOf(p.tenantId, accountId);
    const spec = await this.specOf(intent.symbol);
    const quote = validateQuote(await this.o.prices.latest(intent.symbol), intent.symbol);
    validateOrder(intent, spec, quote);
    if (intent.positionId !== undefined) this.checkClosingTarget(book, intent);
    const now = this.now();
    const row: store.NewOrderRow = {
      id: newId('o_'),
      tenantId: p.tenantId,
      accountId,
      idempotencyKey: p.idempotencyKey,
      requestHash: hash,
      decisionId: p.decisionId ?? null,
      symbol: intent.symbol,
      side: intent.side,
      type: intent.type,
      volume: intent.volume,
      price: intent.price ?? null,
      sl: intent.sl ?? null,
      tp: intent.tp ?? null,
      trailing: intent.trailing ?? null,
      positionId: intent.positionId ?? null,
      comment: intent.comment ?? null,
      origin: p.decisionId ? 'decision' : 'client',
      risk: p.risk ?? null,
      createdAt: now,
      expiresAt: intent.expiresAt ?? null,
    };
    const paper = book.account.broker === 'paper';
    const intake = this.o.intake;
    let inserted: Order | null;
    if (intake) {
      const known = intake.lookup(p.tenantId, p.idempotencyKey);
      // Acknowledged moments ago, its row still on the way: the same acknowledgement.
      if (known.kind === 'pending') return this.replay(acceptedOf(known.order, known.order.createdAt), known.hash, hash, p.idempotencyKey);
      if (known.kind === 'new' && paper) return this.acceptNow(book, row, intake, via);
      inserted = await intake.insert(store.newOrderOf(row), hash, { syncCommit: !paper });
    } else {
      inserted = await store.insertOrder(this.q(book), row);
    }
    if (!inserted) return this.replayStored(p.tenantId, p.idempotencyKey, hash);
    book.working.set(inserted.id, inserted);
    if (via !== undefined) this.via.set(inserted.id, via);
    if (paper) {
      // Paper acceptance is certain once persisted: execution follows on the account's queue.
      this.routeInBackground(book, inserted.id);
      return { order: acceptedOf(inserted, now), replayed: false };
    }
    try {
      const order = await this.serial(book, () => this.execute(book, inserted.id));
      return { order: order ?? inserted, replayed: false };
    } finally {
      this.via.delete(inserted.id);
    }
  }

  /**
   * A paper order another trading node acknowledged for a tenant this node owns, and could
   * not store itself (its write failed after this node took the tenant, or it died and its
   * journal was replayed elsewhere): stored through this node's intake and routed here,
   * once. True when stored; false when its key was already taken (the order under that key
   * stands). Throws OwnedElsewhere (503) if this node does not own the tenant either.
   */
  async adopt(order: Order, hash: string): Promise<boolean> {
    const intake = this.o.intake;
    if (!intake) throw new UnavailableError('trading', 'no order intake on this node (embedded database)');
    if (order.status !== 'new') throw new DomainError('INVALID_ORDER', `only an order in new is adopted, not one in ${order.status}`, 422, { orderId: order.id });
    const book = await this.bookOf(order.tenantId, order.accountId);
    if (book.account.broker !== 'paper') throw new DomainError('INVALID_ORDER', `account ${order.accountId} is not a paper account: live orders are never acknowledged before their commit`, 422);
    let stored: Order | null;
    try {
      stored = await intake.insert(order, hash);
    } catch (e) {
      const code = (e as { code?: unknown }).code;
      // The database refuses the row itself (a check): that stands wherever it is sent.
      if (typeof code === 'string' && code.startsWith('23')) throw new DomainError(ORDER_REFUSED, `order ${order.id} refused by the database: ${(e as Error).message}`, 422, { orderId: order.id });
      throw e;
    }
    if (!stored) return false;
    this.routeStored(book, order);
    return true;
  }

  /**
   * Acknowledged orders set aside by an earlier replay (no node could store them then), and
   * journals of processes that died since: replayed while this node runs; those stored here
   * are routed here.
   */
  async replayKept(): Promise<number> {
    const intake = this.o.intake;
    if (!intake) return 0;
    const stored: Order[] = [];
    const n = await intake.replayJournals((o) => stored.push(o));
    for (const o of stored) this.routeStored(await this.bookOf(o.tenantId, o.accountId), o);
    return n;
  }

  /** A paper order stored outside `submit` (adopted, replayed, or left in `new`): among its book's working orders, and routed. */
  private routeStored(book: AccountBook, order: Order): void {
    book.working.set(order.id, order);
    this.routeInBackground(book, order.id);
  }

  /** The stored order of a key that was taken, as a replay. */
  private async replayStored(tenantId: string, key: string, hash: string): Promise<{ order: Order; replayed: boolean }> {
    const existing = await store.orderByKey(this.o.db, tenantId, key);
    if (!existing) throw new Error(`order with key ${key} conflicted but cannot be read`);
    const { requestHash, ...order } = existing;
    return this.replay(order, requestHash, hash, key);
  }

  /** Same key again: the order it named, or IDEMPOTENCY_CONFLICT if the request differs. */
  private replay(order: Order, storedHash: string, hash: string, key: string): { order: Order; replayed: boolean } {
    if (storedHash !== hash) {
      throw new DomainError('IDEMPOTENCY_CONFLICT', `Idempotency-Key ${key} was already used for a different order (${order.id})`, 409, { orderId: order.id });
    }
    return { order, replayed: true };
  }

  /**
   * A new key of a tenant this node owns, on a paper account: acknowledged once the INSERT
   * has left for the database (intake.ts, Acknowledgement); routed once it has committed.
   */
  private async acceptNow(book: AccountBook, row: store.NewOrderRow, intake: OrderIntake, via: unknown): Promise<{ order: Order; replayed: boolean }> {
    const order = store.newOrderOf(row);
    const w = intake.write(order, row.requestHash);
    book.working.set(order.id, order);
    book.busy.add(order.id); // not routable (retryNew, ticks) before its row exists
    if (via !== undefined) this.via.set(order.id, via);
    const routed = w.written.then(
      (ok) => {
        book.busy.delete(order.id);
        if (ok) {
          this.routeInBackground(book, order.id);
          return;
        }
        book.working.delete(order.id);
        this.via.delete(order.id);
      },
      (e: unknown) => {
        book.busy.delete(order.id);
        book.working.delete(order.id);
        this.via.delete(order.id);
        throw e;
      },
    );
    this.background(`intake of ${order.id}`, routed);
    // Not acknowledged yet and the key turned out to be taken: answer as a replay.
    if (!w.handedOff && !(await w.written)) return this.replayStored(row.tenantId, row.idempotencyKey, row.requestHash);
    return { order: acceptedOf(order, row.createdAt), replayed: false };
  }

  /**
   * Queue a paper order's execution; an infrastructure failure leaves it `new` for `retryNew`.
   * Orders that arrive while the account's queue is busy are routed together in one pass,
   * and their fills written in one statement (`routePaper`).
   */
  private routeInBackground(book: AccountBook, orderId: string): void {
    if (book.busy.has(orderId)) return;
    book.busy.add(orderId);
    book.toRoute.push(orderId);
    if (book.toRoute.length > 1) return; // the pass already queued takes this order too
    this.background(
      `execution of ${orderId}`,
      this.serial(book, async () => {
        const ids = book.toRoute;
        book.toRoute = [];
        try {
          await this.routePaper(book, ids);
        } finally {
          for (const id of ids) {
            book.busy.delete(id);
            this.via.delete(id);
          }
        }
      }),
    );
  }

  /**
   * Route paper orders in arrival order. Market fills are planned one after another against
   * a running copy of the positions and written together (`flushPaper`); anything else
   * (a pending order, a rejection, a fill the plan refuses) goes through the one-order path
   * after the fills before it are written. A failure to reach prices stops the pass: the
   * orders not yet written stay `new` for `retryNew`.
   */
  private async routePaper(book: AccountBook, ids: string[]): Promise<void> {
    let batch: PaperBatch = { fills: [], positions: new Map(book.positions) };
    const now = this.now();
    try {
      for (const id of ids) {
        const order = book.working.get(id);
        if (!order || order.status !== 'new') continue;
        const spec = await this.specOf(order.symbol);
        const quote = await this.o.prices.latest(order.symbol);
        const routed = await this.brokers.paper.route(order, { spec, quote, settings: book.settings, positionTicket: null });
        if (routed.kind === 'fill') {
          const exec: ExecInput = { price: routed.price, volume: routed.volume, note: routed.note };
          let plan: PlannedFill | null = null;
          try {
            plan = this.planFill(book, batch.positions, order, exec, spec, now);
          } catch (e) {
            if (!(e instanceof DomainError)) throw e;
          }
          if (plan) {
            batch.fills.push(Object.assign(plan, { exec, spec }));
            if (plan.position.status === 'open') batch.positions.set(plan.position.id, plan.position);
            else batch.positions.delete(plan.position.id);
            continue;
          }
        }
        await this.flushPaper(book, batch);
        batch = { fills: [], positions: new Map(book.positions) };
        await this.applyRoute(book, order, routed, spec);
      }
    } finally {
      await this.flushPaper(book, batch);
    }
  }

  /**
   * Write a batch of planned paper fills in one statement (one transaction), then apply
   * them to the book and emit their events in order. If the statement refuses (a guard
   * found the book stale), nothing was written and each order takes the one-fill path,
   * which reloads and retries on its own.
   */
  private async flushPaper(book: AccountBook, batch: PaperBatch): Promise<void> {
    const fills = batch.fills.splice(0);
    if (fills.length === 0) return;
    if (fills.length === 1) {
      const cur = book.working.get(fills[0].write.orderId);
      if (cur && cur.status === 'new') await this.applyFillSafely(book, cur, fills[0].exec, fills[0].spec);
      return;
    }
    let balance: number;
    try {
      balance = await store.recordFills(this.q(book), book.account.id, fills.map((f) => f.write), book.positions);
    } catch (e) {
      if (e instanceof UnavailableError) throw e;
      this.fillStats.refusedBatches++;
      this.o.logger.warn(`trading: ${book.account.tenantId}/${book.account.id}: ${fills.length} fills refused as a batch (${(e as Error).message}); writing them one by one`);
      for (const f of fills) {
        const cur = book.working.get(f.write.orderId);
        if (cur && cur.status === 'new') await this.applyFillSafely(book, cur, f.exec, f.spec);
      }
      return;
    }
    this.committed(book, balance, fills);
  }

  /**
   * Fills one statement committed (in order): the account's new balance, positions and
   * working orders into the book, then each fill's events through its order's `via`.
   */
  private committed(book: AccountBook, balance: number, fills: readonly FillOutcome[]): void {
    this.fillStats.fills += fills.length;
    this.fillStats.statements++;
    book.account.balance = balance;
    book.marksDirty = true;
    for (const f of fills) {
      if (f.position.status === 'open') book.positions.set(f.position.id, f.position);
      else book.positions.delete(f.position.id);
      if (isTerminal(f.order.status)) book.working.delete(f.order.id);
      else book.working.set(f.order.id, f.order);
      const via = this.via.get(f.order.id);
      this.o.emit('order.filled', { tenantId: f.order.tenantId, order: f.order, fill: f.fill, position: f.position }, via);
      this.o.emit('position.changed', { tenantId: f.order.tenantId, position: f.position, change: f.change }, via);
    }
  }

  /**
   * Paper orders still `new` after `minAgeMs` (their routing failed on missing prices or a
   * database hiccup) are routed again; the guarded transition keeps it to one execution.
   */
  retryNew(minAgeMs = 2000): number {
    const now = this.now();
    let n = 0;
    for (const b of this.loaded.values()) {
      if (b.account.broker !== 'paper') continue;
      for (const o of b.working.values()) {
        if (o.status !== 'new' || b.busy.has(o.id) || now - o.createdAt < minAgeMs) continue;
        this.routeInBackground(b, o.id);
        n++;
      }
    }
    return n;
  }

  private checkClosingTarget(book: AccountBook, intent: OrderIntent): void {
    const pos = [...book.positions.values()].find((x) => x.id === intent.positionId || (x.ticket !== null && x.ticket === intent.positionId));
    if (!pos) throw new DomainError('INVALID_ORDER', `position ${intent.positionId} is not open on account ${book.account.id}`, 422, { field: 'positionId' });
    if (pos.symbol !== intent.symbol) throw new DomainError('INVALID_ORDER', `position ${pos.id} is on ${pos.symbol}, not ${intent.symbol}`, 422, { field: 'positionId' });
    if (pos.side === intent.side) throw new DomainError('INVALID_ORDER', `closing position ${pos.id} (${pos.side}) needs a ${pos.side === 'buy' ? 'sell' : 'buy'} order`, 422, { field: 'side' });
    if (intent.volume > pos.volume + 1e-9) throw new DomainError('INVALID_ORDER', `position ${pos.id} holds ${pos.volume} lots; cannot close ${intent.volume}`, 422, { field: 'volume' });
  }

  /** Route a persisted order once (on the account's queue). Returns its new state. */
  private async execute(book: AccountBook, orderId: string): Promise<Order | null> {
    const order = book.working.get(orderId);
    if (!order || isTerminal(order.status)) return order ?? null;
    if (order.status !== 'new') return order;
    const spec = await this.specOf(order.symbol);
    const quote = await this.o.prices.latest(order.symbol);
    const positionTicket = order.positionId ? (book.positions.get(order.positionId)?.ticket ?? null) : null;
    const result = await this.broker(book).route(order, { spec, quote, settings: book.settings, positionTicket });
    return this.applyRoute(book, order, result, spec);
  }

  private async applyRoute(book: AccountBook, order: Order, r: RouteResult, spec: SymbolSpec): Promise<Order | null> {
    switch (r.kind) {
      case 'fill': {
        const out = await this.applyFillSafely(book, order, { price: r.price, volume: r.volume, deal: r.deal, brokerOrder: r.brokerOrder, ticket: r.ticket, note: r.note }, spec);
        return out?.order ?? book.working.get(order.id) ?? null;
      }
      case 'accepted':
        return this.transition(book, order, { status: 'accepted', brokerOrder: r.brokerOrder ?? null, note: r.note }, 'order.accepted');
      case 'rejected':
        return this.transition(book, order, { status: 'rejected', reason: r.reason, note: r.reason }, 'order.rejected');
      case 'unknown':
        return this.transition(book, order, { status: 'unknown', reason: r.reason, note: r.reason }, 'order.unknown');
    }
  }

  private async transition(book: AccountBook, order: Order, patch: store.StatusPatch, event: string): Promise<Order | null> {
    const updated = await store.transitionOrder(this.q(book), order.tenantId, order.id, statesBefore(patch.status), patch, this.now());
    if (!updated) return this.refresh(book, order.id);
    if (isTerminal(updated.status)) book.working.delete(updated.id);
    else book.working.set(updated.id, updated);
    this.o.emit(event, { tenantId: updated.tenantId, order: updated }, this.via.get(updated.id));
    return updated;
  }

  private async refresh(book: AccountBook, orderId: string): Promise<Order | null> {
    const fresh = await store.orderById(this.o.db, book.account.tenantId, orderId);
    if (!fresh || isTerminal(fresh.status)) book.working.delete(orderId);
    else book.working.set(orderId, fresh);
    return fresh;
  }

  // ------------------------------------------------------------------ fills

  /** Apply a fill; a fill the order no longer accepts (already filled/cancelled) is a no-op. */
  private async applyFillSafely(book: AccountBook, order: Order, exec: ExecInput, spec: SymbolSpec): Promise<FillOutcome | null> {
    try {
      return await this.applyFill(book, order, exec, spec);
    } catch (e) {
      if (e instanceof AlreadyApplied) {
        await this.refresh(book, order.id);
        return null;
      }
      if (e instanceof DomainError) {
        await this.transition(book, order, { status: 'rejected', reason: e.message, note: e.message }, 'order.rejected');
        return null;
      }
      throw e;
    }
  }

  /**
   * Fill, position and balance in one atomic statement; events after commit. Positions are
   * computed from the book (what this engine committed); the statement's guards catch a
   * stale book (another writer), which is then reloaded from the database and retried once.
   */
  async applyFill(book: AccountBook, order: Order, exec: ExecInput, spec: SymbolSpec): Promise<FillOutcome> {
    for (let attempt = 0; ; attempt++) {
      const now = this.now();
      try {
        const res = await this.writeFill(book, order, exec, spec, now);
        if (!res) throw new AlreadyApplied();
        const out: FillOutcome = { order: res.order, fill: res.fill, position: res.position, change: res.change };
        this.committed(book, res.balance, [out]);
        return out;
      } catch (e) {
        if (attempt > 0 || !store.isConcurrentChange(e)) throw e;
        this.o.logger.warn(`trading: ${book.account.tenantId}/${book.account.id} changed outside this engine; reloading its book`);
        await this.reloadPositions(book);
      }
    }
  }

  private async reloadPositions(b: AccountBook): Promise<void> {
    const [acc, positions] = await Promise.all([store.getAccount(this.o.db, b.account.tenantId, b.account.id), store.openPositionsOf(this.o.db, b.account.tenantId, b.account.id)]);
    if (acc) b.account.balance = acc.balance;
    b.positions = new Map(positions.map((p) => [p.id, p]));
  }

  private async writeFill(book: AccountBook, order: Order, exec: ExecInput, spec: SymbolSpec, now: number) {
    const plan = this.planFill(book, book.positions, order, exec, spec, now);
    const written = await store.recordFill(this.q(book), plan.write);
    if (!written) return null;
    return { order: written.order, fill: plan.fill, position: plan.position, change: plan.change, balance: written.balance };
  }

  /**
   * What one fill writes: the order's next state, the fill, and the position it opens or
   * changes, computed against `positions` (the book's open positions, or a batch's running copy).
   */
  private planFill(book: AccountBook, positions: ReadonlyMap<string, Position>, order: Order, exec: ExecInput, spec: SymbolSpec, now: number): PlannedFill {
    const acc = book.account;
    const open = [...positions.values()].filter((p) => p.symbol === order.symbol).sort((a, b) => a.openedAt - b.openedAt);
    const netting = acc.mode === 'netting';
    let target: Position | null;
    // Hedging: a later deal of the same order (same broker position ticket, same side) adds to the
    // position its first deal opened, as MT5 does; otherwise an order opens its own position.
    let adding = false;
    if (netting) target = open[0] ?? null;
    else if (order.positionId) {
      target = open.find((p) => p.id === order.positionId || p.ticket === order.positionId) ?? null;
      if (!target) throw new DomainError('INVALID_ORDER', `position ${order.positionId} is no longer open`, 422, { field: 'positionId' });
    } else {
      target = exec.ticket ? (open.find((p) => p.ticket === exec.ticket && p.side === order.side) ?? null) : null;
      adding = target !== null;
    }
    const q2a = quoteToAccount(spec, acc.currency, exec.price);
    const fillIn = { side: order.side, volume: exec.volume, price: exec.price };
    const state = target ? { id: target.id, side: target.side, volume: target.volume, priceOpen: target.priceOpen } : null;
    const effect =
      netting || adding
        ? applyNettingFill(state, fillIn, spec.trade_contract_size, q2a, newId('p_'))
        : applyHedgingFill(state, fillIn, spec.trade_contract_size, q2a, newId('p_'));
    const commission = exec.commission ?? (acc.broker === 'paper' ? commissionOf(exec.volume, book.settings) : 0);
    const filled = roundLots(order.filledVolume + exec.volume);
    const status: OrderStatus = filled >= order.volume - 1e-9 ? 'filled' : 'partially_filled';
    const avgPrice = ((order.avgPrice ?? 0) * order.filledVolume + exec.price * exec.volume) / filled;
    const from = statesBefore(status).filter((s) => (LIVE_STATUSES as readonly string[]).includes(s));
    const protective = effect.change === 'opened' || effect.change === 'increased' || effect.change === 'reversed';
    const hasStops = order.sl !== null || order.tp !== null || order.trailing !== null;
    const takeOrderStops = protective && (hasStops || effect.change !== 'increased');
    const position: Position = {
      id: effect.position.id,
      tenantId: order.tenantId,
      accountId: order.accountId,
      symbol: order.symbol,
      side: effect.position.side,
      volume: effect.position.volume,
      priceOpen: effect.position.priceOpen,
      sl: takeOrderStops ? order.sl : (target?.sl ?? null),
      tp: takeOrderStops ? order.tp : (target?.tp ?? null),
      trailing: takeOrderStops ? order.trailing : (target?.trailing ?? null),
      status: effect.position.closed ? 'closed' : 'open',
      realizedPnl: (target?.realizedPnl ?? 0) + effect.realizedPnl,
      ticket: exec.ticket ?? target?.ticket ?? null,
      openedAt: effect.change === 'opened' || effect.change === 'reversed' ? now : (target?.openedAt ?? now),
      updatedAt: now,
      closedAt: effect.position.closed ? now : null,
    };
    const fill: Fill = {
      id: newId('f_'),
      tenantId: order.tenantId,
      accountId: order.accountId,
      orderId: order.id,
      symbol: order.symbol,
      side: order.side,
      volume: exec.volume,
      price: exec.price,
      commission,
      realizedPnl: effect.realizedPnl,
      positionId: position.id,
      deal: exec.deal ?? null,
      time: now,
    };
    const history = [
      ...(order.status === 'new' ? [{ status: 'accepted' as const, at: now }] : []),
      { status, at: now, ...(exec.note ? { note: exec.note } : {}) },
    ];
    const write: store.FillWrite = {
      tenantId: order.tenantId, orderId: order.id, from, status, history, filledVolume: filled, avgPrice, brokerOrder: exec.brokerOrder ?? null,
      fill, position, positionVersion: target && target.id === position.id ? target.updatedAt : null, netting, balanceDelta: effect.realizedPnl - commission, now,
    };
    // The order as the write leaves it (what `recordFill` reads back).
    const next: Order = { ...order, status, history: [...order.history, ...history], filledVolume: filled, avgPrice, brokerOrder: exec.brokerOrder ?? order.brokerOrder, updatedAt: now };
    return { write, order: next, fill, position, change: effect.change };
  }

  // ------------------------------------------------------------------ cancel / modify

  async cancel(tenantId: string, orderId: string): Promise<Order> {
    await this.settled(tenantId);
    const order = await store.orderById(this.o.db, tenantId, orderId);
    if (!order) throw new NotFoundError('order', orderId);
    if (isTerminal(order.status)) throw new DomainError('ORDER_STATE', `order ${orderId} is ${order.status} and cannot be cancelled`, 409, { status: order.status });
    const book = await this.bookOf(tenantId, order.accountId);
    return this.serial(book, async () => {
      const cur = (await store.orderById(this.o.db, tenantId, orderId))!;
      if (isTerminal(cur.status)) throw new DomainError('ORDER_STATE', `order ${orderId} is ${cur.status} and cannot be cancelled`, 409, { status: cur.status });
      if (book.account.broker === 'mt5') {
        if (cur.status === 'unknown' || !cur.brokerOrder) throw new DomainError('ORDER_STATE', `order ${orderId} has no confirmed MT5 ticket (status ${cur.status}); it cannot be cancelled safely`, 409);
        const r = await this.broker(book).cancel(cur);
        if (!r.ok) throw new DomainError('CANCEL_FAILED', `MT5 refused to cancel order ${orderId}: ${r.reason}`, 409);
      }
      const updated = await store.transitionOrder(this.q(book), tenantId, orderId, statesBefore('cancelled'), { status: 'cancelled', note: 'cancelled by client' }, this.now());
      if (!updated) throw new DomainError('ORDER_STATE', `order ${orderId} changed state while cancelling`, 409);
      book.working.delete(orderId);
      this.o.emit('order.cancelled', { tenantId, order: updated });
      return updated;
    });
  }

  /** Change a working pending order's price/SL/TP/trailing (re-validated against the quote). */
  async modifyOrder(tenantId: string, orderId: string, f: { price?: number; sl?: number | null; tp?: number | null; trailing?: number | null }): Promise<Order> {
    await this.settled(tenantId);
    const order = await store.orderById(this.o.db, tenantId, orderId);
    if (!order) throw new NotFoundError('order', orderId);
    if (order.type === 'market' || !(order.status === 'accepted' || order.status === 'new')) {
      throw new DomainError('ORDER_STATE', `only working limit/stop orders can be modified; ${orderId} is a ${order.status} ${order.type} order`, 409);
    }
    const book = await this.bookOf(tenantId, order.accountId);
    const spec = await this.specOf(order.symbol);
    const quote = validateQuote(await this.o.prices.latest(order.symbol), order.symbol);
    const next = {
      price: f.price ?? order.price,
      sl: f.sl === undefined ? order.sl : f.sl,
      tp: f.tp === undefined ? order.tp : f.tp,
      trailing: f.trailing === undefined ? order.trailing : f.trailing,
    };
    validateOrder(
      { symbol: order.symbol, side: order.side, type: order.type, volume: order.volume, price: next.price ?? undefined, sl: next.sl ?? undefined, tp: next.tp ?? undefined, trailing: next.trailing ?? undefined },
      spec,
      quote,
    );
    return this.serial(book, async () => {
      if (book.account.broker === 'mt5') {
        if (!order.brokerOrder) throw new DomainError('ORDER_STATE', `order ${orderId} has no MT5 ticket yet`, 409);
        const r = await this.o.mt5Send!(order.accountId, { type: 'modify', id: `${orderId}:m${this.now()}`, ticket: order.brokerOrder, price: next.price ?? undefined, sl: next.sl ?? undefined, tp: next.tp ?? undefined });
        if ('outcome' in r || r.retcode !== 10009) throw new DomainError('MODIFY_FAILED', `MT5 did not confirm the modification of ${orderId}`, 409);
      }
      const updated = await store.modifyWorkingOrder(this.q(book), tenantId, orderId, next, this.now());
      if (!updated) throw new DomainError('ORDER_STATE', `order ${orderId} is no longer working`, 409);
      book.working.set(orderId, updated);
      return updated;
    });
  }

  /** Move a position's SL/TP/trailing (validated against the price it would close at). */
  async modifyPosition(tenantId: string, positionId: string, f: { sl?: number | null; tp?: number | null; trailing?: number | null }): Promise<Position> {
    const pos = await store.positionById(this.o.db, tenantId, positionId);
    if (!pos) throw new NotFoundError('position', positionId);
    if (pos.status !== 'open') throw new DomainError('POSITION_STATE', `position ${positionId} is closed`, 409);
    const book = await this.bookOf(tenantId, pos.accountId);
    const spec = await this.specOf(pos.symbol);
    const quote = validateQuote(await this.o.prices.latest(pos.symbol), pos.symbol);
    const next = { sl: f.sl === undefined ? pos.sl : f.sl, tp: f.tp === undefined ? pos.tp : f.tp, trailing: f.trailing === undefined ? pos.trailing : f.trailing };
    validateStops(pos.side, pos.side === 'buy' ? quote.bid : quote.ask, next.sl, next.tp, spec);
    if (next.trailing !== null && !(next.trailing > 0)) throw new DomainError('INVALID_ORDER', 'trailing must be a positive distance', 422, { field: 'trailing' });
    return this.serial(book, async () => {
      if (book.account.broker === 'mt5') {
        if (!pos.ticket) throw new DomainError('POSITION_STATE', `position ${positionId} has no MT5 ticket`, 409);
        const r = await this.broker(book).modifyPosition!(pos.accountId, pos.ticket, next.sl, next.tp);
        if (!r.ok) throw new DomainError('MODIFY_FAILED', `MT5 refused: ${r.reason}`, 409);
      }
      const updated = await store.updatePositionStops(this.q(book), tenantId, positionId, next, this.now());
      if (!updated) throw new DomainError('POSITION_STATE', `position ${positionId} is closed`, 409);
      book.positions.set(updated.id, updated);
      this.o.emit('position.changed', { tenantId, position: updated, change: 'modified' });
      return updated;
    });
  }

  // ------------------------------------------------------------------ ticks: pending orders, SL/TP, trailing

  /** Process a batch of ticks of one symbol (paper executions; trailing for every broker). */
  async onTicks(symbol: string, ticks: Quote[]): Promise<void> {
    if (ticks.length === 0) return;
    for (const t of ticks) this.o.prices.observe?.({ symbol, bid: t.bid, ask: t.ask, time_msc: t.time_msc });
    const books = [...this.loaded.values()].filter((b) => hasSymbol(b, symbol));
    if (books.length === 0) return;
    const spec = await this.o.prices.spec(symbol);
    if (!spec) return;
    const last = ticks[ticks.length - 1];
    for (const b of books) {
      if (b.account.broker === 'paper') this.paperTicks(b, symbol, ticks, spec);
      this.trail(b, symbol, last, spec);
    }
  }

  private paperTicks(b: AccountBook, symbol: string, ticks: Quote[], spec: SymbolSpec): void {
    const now = this.now();
    for (const o of b.working.values()) {
      if (o.symbol !== symbol || o.type === 'market' || o.status !== 'accepted' || b.busy.has(o.id) || o.price === null) continue;
      if (o.expiresAt !== null && o.expiresAt <= now) continue; // the expiry sweep handles it
      for (const t of ticks) {
        const px = pendingFillPrice({ side: o.side, type: o.type, price: o.price }, t, b.settings.slippagePoints, spec.point);
        if (px === null) continue;
        b.busy.add(o.id);
        const note = `${o.type} ${o.price} triggered by ${o.side === 'buy' ? 'ask' : 'bid'} ${o.side === 'buy' ? t.ask : t.bid}`;
        this.background(
          `fill of ${o.id}`,
          this.serial(b, async () => {
            const cur = b.working.get(o.id);
            if (cur && cur.status === 'accepted') await this.applyFillSafely(b, cur, { price: px, volume: roundLots(cur.volume - cur.filledVolume), note }, spec);
          }).finally(() => b.busy.delete(o.id)),
        );
        break;
      }
    }
    for (const p of b.positions.values()) {
      if (p.symbol !== symbol || b.busy.has(p.id) || (p.sl === null && p.tp === null)) continue;
      for (const t of ticks) {
        const trig = protectiveTrigger(p, t, b.settings.slippagePoints, spec.point);
        if (!trig) continue;
        b.busy.add(p.id);
        this.background(`${trig.reason} of ${p.id}`, this.serial(b, () => this.closeByEngine(b, p.id, trig.reason, trig.price, spec)).finally(() => b.busy.delete(p.id)));
        break;
      }
    }
  }

  /**
   * Trailing stops: the new SL takes effect in the book at once (so the very next tick
   * can trigger it), then is persisted (and, live, sent to MT5) on the account's queue.
   */
  private trail(b: AccountBook, symbol: string, q: Quote, spec: SymbolSpec): void {
    for (const p of b.positions.values()) {
      if (p.symbol !== symbol || p.trailing === null || b.busy.has(p.id)) continue;
      const raw = trailedStop(p, q);
      if (raw === null) continue;
      const sl = Number(raw.toFixed(spec.digits));
      if (p.sl !== null && Math.abs(sl - p.sl) < spec.point / 2) continue;
      const previous = p.sl;
      b.positions.set(p.id, { ...p, sl });
      this.background(
        `trailing stop of ${p.id}`,
        this.serial(b, async () => {
          const cur = b.positions.get(p.id);
          if (!cur || cur.sl !== sl) return; // closed meanwhile, or a later trail superseded this one
          if (b.account.broker === 'mt5') {
            const r = cur.ticket ? await this.broker(b).modifyPosition!(cur.accountId, cur.ticket, sl, cur.tp) : { ok: false as const, reason: 'no ticket' };
            if (!r.ok) {
              if (b.positions.get(p.id)?.sl === sl) b.positions.set(p.id, { ...cur, sl: previous });
              return this.o.logger.warn(`trading: MT5 refused trailing SL ${sl} for ${cur.id}: ${r.reason}`);
            }
          }
          const updated = await store.updatePositionStops(this.q(b), cur.tenantId, cur.id, { sl, tp: cur.tp, trailing: cur.trailing }, this.now());
          if (!updated) return;
          if (b.positions.has(updated.id)) b.positions.set(updated.id, updated);
          this.o.emit('position.changed', { tenantId: updated.tenantId, position: updated, change: 'modified' });
        }),
      );
    }
  }

  /** An order the engine makes itself (stops): through the intake when there is one, as every order row. */
  private insertEngineOrder(b: AccountBook, row: store.NewOrderRow): Promise<Order | null> {
    if (!this.o.intake) return store.insertOrder(this.q(b), row);
    return this.o.intake.insert(store.newOrderOf(row), row.requestHash, { syncCommit: b.account.broker !== 'paper' });
  }

  /** Close a position at `price` with an engine-made order (origin `sl`/`tp`), idempotently. */
  private async closeByEngine(b: AccountBook, positionId: string, reason: 'sl' | 'tp', price: number, spec: SymbolSpec): Promise<void> {
    const p = b.positions.get(positionId);
    if (!p) return;
    const order = await this.insertEngineOrder(b, {
      id: newId('o_'),
      tenantId: p.tenantId,
      accountId: p.accountId,
      idempotencyKey: `${reason}:${p.id}:${p.openedAt}:${p.volume}`,
      requestHash: 'engine',
      decisionId: null,
      symbol: p.symbol,
      side: p.side === 'buy' ? 'sell' : 'buy',
      type: 'market',
      volume: p.volume,
      price: null,
      sl: null,
      tp: null,
      trailing: null,
      positionId: p.id,
      comment: `${reason === 'sl' ? 'stop loss' : 'take profit'} ${reason === 'sl' ? p.sl : p.tp}`,
      origin: reason,
      risk: null,
      createdAt: this.now(),
      expiresAt: null,
    });
    if (!order) return;
    b.working.set(order.id, order);
    await this.applyFillSafely(b, order, { price, volume: p.volume, note: `${reason} triggered` }, spec);
  }

  /** Expire pending orders whose time has come. */
  async sweepExpired(): Promise<number> {
    const now = this.now();
    let n = 0;
    for (const b of this.loaded.values()) {
      for (const o of b.working.values()) {
        if (o.expiresAt === null || o.expiresAt > now || o.status === 'unknown' || b.busy.has(o.id)) continue;
        if (b.account.broker === 'mt5') continue; // the terminal expires its own orders; snapshots report it
        await this.serial(b, () => this.transition(b, o, { status: 'expired', note: 'expired' }, 'order.expired'));
        n++;
      }
    }
    return n;
  }

  // ------------------------------------------------------------------ book for risk

  /** Equity, positions, working orders and exposure of one account (what risk checks read). */
  async book(tenantId: string, accountId: string): Promise<Book & { exposure: ExposureLine[] }> {
    const b = await this.bookOf(tenantId, accountId);
    const acc = b.account;
    const symbols = new Set<string>();
    for (const p of b.positions.values()) symbols.add(p.symbol);
    for (const s of b.working.symbols()) symbols.add(s);
    const marks = new Map<string, { spec: SymbolSpec; quote: Quote | null }>();
    await Promise.all(
      [...symbols].map(async (s) => {
        const spec = await this.o.prices.spec(s);
        if (spec) marks.set(s, { spec, quote: this.o.prices.cached?.(s) ?? (await this.o.prices.latest(s)) });
      }),
    );
    let unrealized = 0;
    const net = new Map<string, number>();
    const pending: Record<string, number> = {};
    for (const p of b.positions.values()) {
      const m = marks.get(p.symbol);
      if (m?.quote) unrealized += unrealizedPnl(p, m.quote.bid, m.quote.ask, m.spec.trade_contract_size, quoteToAccount(m.spec, acc.currency, m.quote.bid));
      net.set(p.symbol, (net.get(p.symbol) ?? 0) + SIGN[p.side] * p.volume);
    }
    for (const s of b.working.symbols()) {
      const rest = b.working.pendingLots(s);
      pending[s] = rest;
      net.set(s, (net.get(s) ?? 0) + rest);
    }
    // A live account's equity is the terminal's (it knows swaps and commissions); paper's is ours.
    const equity = b.account.broker === 'mt5' && b.brokerEquity !== null ? b.brokerEquity : acc.balance + unrealized;
    this.updateMarks(b, equity);
    const exposure: ExposureLine[] = [];
    for (const [symbol, lots] of net) {
      const m = marks.get(symbol);
      const mid = m?.quote ? (m.quote.bid + m.quote.ask) / 2 : 0;
      exposure.push({ symbol, netLots: roundLots(lots), notional: m ? notionalOf(lots, m.spec, mid, acc.currency) : 0 });
    }
    const account: Account = { tenantId: acc.tenantId, id: acc.id, broker: acc.broker, mode: acc.mode, currency: acc.currency, balance: acc.balance, dayStartEquity: acc.dayStartEquity, day: acc.day, peakEquity: acc.peakEquity };
    const quotes: Record<string, { bid: number; ask: number }> = {};
    for (const [s, m] of marks) if (m.quote) quotes[s] = { bid: m.quote.bid, ask: m.quote.ask };
    return { account, equity, positions: [...b.positions.values()], pendingBySymbol: pending, quotes, exposure };
  }

  /** Roll the UTC day and raise the peak (persisted by `flushMarks`). */
  private updateMarks(b: AccountBook, equity: number): void {
    const day = store.utcDay(this.now());
    if (day !== b.account.day) {
      b.account.day = day;
      b.account.dayStartEquity = equity;
      b.marksDirty = true;
    }
    if (equity > b.account.peakEquity) {
      b.account.peakEquity = equity;
      b.marksDirty = true;
    }
  }

  /** Persist changed day-start and peak equity of every loaded account. */
  async flushMarks(): Promise<void> {
    for (const b of this.loaded.values()) {
      if (!b.marksDirty) continue;
      b.marksDirty = false;
      await store.saveEquityMarks(this.o.db, b.account.tenantId, b.account.id, b.account, this.now());
    }
  }

  /** Forget an account's book (after its settings change). */
  async reloadBook(tenantId: string, accountId: string): Promise<void> {
    const key = `${tenantId}\u0000${accountId}`;
    const b = this.loaded.get(key);
    if (b) await b.queue;
    this.loaded.delete(key);
    this.books.delete(key);
  }

  // ------------------------------------------------------------------ recovery

  /**
   * After a restart: load every account with open positions or live orders (so stops keep
   * working), then settle orders left in `new`: paper orders are routed exactly once (the
   * guarded transition makes a second attempt a no-op); MT5 orders are NEVER re-sent:
   * they become `unknown` until the EA's snapshots show what happened.
   */
  async recover(): Promise<{ paperRouted: number; mt5Unknown: number }> {
    for (const a of await store.activeAccounts(this.o.db)) await this.bookOf(a.tenantId, a.accountId);
    let paperRouted = 0;
    let mt5Unknown = 0;
    for (const o of await store.ordersInStatus(this.o.db, 'new')) {
      const b = await this.bookOf(o.tenantId, o.accountId);
      if (b.account.broker === 'paper') {
        paperRouted++;
        this.routeStored(b, o);
      } else {
        mt5Unknown++;
        await this.serial(b, () => this.transition(b, o, { status: 'unknown', note: 'process restarted before the gateway answered; not re-sent, waiting for the EA snapshot' }, 'order.unknown'));
      }
    }
    return { paperRouted, mt5Unknown };
  }

  // ------------------------------------------------------------------ MT5 reconciliation

  private async mt5Books(account: string): Promise<AccountBook[]> {
    const rows = await store.accountsByBrokerId(this.o.db, 'mt5', account);
    return Promise.all(rows.map((r) => this.bookOf(r.tenantId, r.id)));
  }

  /**
   * `mt5.positions` snapshot: an order in `unknown` (or still `new`) whose id appears in a
   * position's comment (the EA writes `p2:<id>`) was executed: record its fill from the
   * position (open price, volume, ticket).
   */
  async onMt5Positions(account: string, positions: { ticket: string; symbol: string; type: string; volume: number; price_open?: number; comment?: string }[]): Promise<number> {
    let n = 0;
    for (const b of await this.mt5Books(account)) {
      for (const o of [...b.working.values()]) {
        if (o.status !== 'unknown' && o.status !== 'new') continue;
        const pos = positions.find((p) => typeof p.comment === 'string' && p.comment.includes(o.id));
        if (!pos || !(pos.price_open && pos.price_open > 0)) continue;
        const spec = await this.specOf(o.symbol);
        await this.serial(b, () =>
          this.applyFillSafely(b, o, { price: pos.price_open!, volume: Math.min(roundLots(o.volume - o.filledVolume), pos.volume), ticket: pos.ticket, note: 'reconciled from the EA position snapshot' }, spec),
        );
        n++;
      }
    }
    return n;
  }

  /** `mt5.account`: the terminal's balance and equity are the truth for a live account. */
  async onMt5Account(account: string, a: { balance: number; equity: number }): Promise<void> {
    if (!(Number.isFinite(a.balance) && Number.isFinite(a.equity))) return;
    for (const b of await this.mt5Books(account)) {
      await this.serial(b, async () => {
        b.account.balance = a.balance;
        b.brokerEquity = a.equity;
        // A freshly linked account starts its day (and its peak) at the first reported equity.
        if (!(b.account.dayStartEquity > 0)) b.account.dayStartEquity = a.equity;
        if (a.equity > b.account.peakEquity) b.account.peakEquity = a.equity;
        b.marksDirty = true;
        await store.setBalance(this.o.db, b.account.tenantId, b.account.id, a.balance, this.now());
      });
    }
  }

  /** `mt5.trade_transaction`: a DEAL_ADD for one of our working orders records its fill (deal tickets are unique). */
  async onMt5Transaction(account: string, t: { type?: string; deal?: string; order?: string; position?: string; price?: number; volume?: number; symbol?: string }, request?: { comment?: string }): Promise<boolean> {
    const type = String(t.type ?? '').toLowerCase().replace(/^trade_transaction_/, '');
    if (type !== 'deal_add' || !t.deal || !(t.price && t.price > 0) || !(t.volume && t.volume > 0)) return false;
    for (const b of await this.mt5Books(account)) {
      const o = [...b.working.values()].find((x) => (t.order && x.brokerOrder === t.order) || (request?.comment && request.comment.includes(x.id)));
      if (!o) continue;
      const spec = await this.specOf(o.symbol);
      const out = await this.serial(b, () => this.applyFillSafely(b, o, { price: t.price!, volume: Math.min(t.volume!, roundLots(o.volume - o.filledVolume)), deal: t.deal, brokerOrder: t.order ?? null, ticket: t.position ?? null, note: 'MT5 deal' }, spec).catch((e: unknown) => {
        // A deal already recorded violates fills_deal: the same deal reported twice.
        if ((e as { code?: string }).code === '23505') return null;
        throw e;
      }));
      return out !== null;
    }
    return false;
  }
}

function hasSymbol(b: AccountBook, symbol: string): boolean {
  for (const p of b.positions.values()) if (p.symbol === symbol) return true;
  return b.working.holds(symbol);
}
