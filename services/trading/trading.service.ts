/**
 * `trading`: orders, fills, positions and accounts; brokers paper and mt5.
 *
 * `trading.submit` is reserved for the `risk` service (checked on `ctx.caller`): strategies,
 * agents and clients reach the market only through risk. Everything else is tenant-scoped
 * and read from `ctx.meta.tenantId`.
 */
import * as path from 'node:path';
import { Context, Errors, ServiceSchema, ServiceSettingSchema } from 'moleculer';
import { config } from '../../config';
import { emitUnder, TraceParent, traceParent } from '../../flowchain/trace-parent';
import { DomainError, NotFoundError } from '../../lib/errors';
import { PgDb } from '../../lib/storage/adapters/pg';
import type { Db } from '../../lib/storage/db';
import { journalName } from '../../lib/storage/ack-journal';
import { PipelinedConnection } from '../../lib/storage/pipelined-connection';
import { BrokerPriceSource } from '../../lib/trading/price-source';
import { ADOPTED_ORDER_SCHEMA, ORDER_INTENT_SCHEMA } from '../../lib/trading/schemas';
import { requireTenant } from '../../lib/tenant';
import { createDbMixin, DbThis } from '../../mixins/db.mixin';
import type { TenantMeta } from '../../types/meta';
import type { Order, Quote, SubmitParams } from '../../types/trading';
import { GatewayUnreachable, Mt5Command, Mt5Reply } from './brokers';
import { TradingEngine } from './engine';
import { OrderIntake, OwnedElsewhere } from './intake';
import * as store from './trading.store';

/** The one service allowed to call `trading.submit` (and trading itself, forwarding to the node that owns a tenant). */
export const SUBMIT_CALLER = 'risk';
const FORWARDER = 'trading';

type Ctx<P = Record<string, unknown>> = Context<P, Partial<TenantMeta> & { intakeForward?: boolean; intakeHandOver?: boolean }>;

/** How often a node looks for acknowledged orders set aside for a later replay (intake.ts, replayJournals). */
const REPLAY_KEPT_MS = 10_000;

interface TradingVars {
  engine: TradingEngine;
  prices: BrokerPriceSource;
  fastDb: Db | null;
  intake: OrderIntake | null;
  timers: NodeJS.Timeout[];
}

const optNum = { type: 'number', convert: true, optional: true } as const;
const nullableNum = { type: 'number', convert: true, optional: true, nullable: true } as const;
const limitParam = { type: 'number', integer: true, positive: true, max: 10_000, convert: true, optional: true } as const;

/** The database URL with asynchronous commit (paper writes, see engine.ts, Durability); null without a real PostgreSQL. */
function asyncCommitUrl(): string | null {
  const url = config().databaseUrl;
  if (!url) return null;
  const u = new URL(url);
  u.searchParams.set('options', '-c synchronous_commit=off');
  return u.toString();
}

/** `application_name` of a node's intake session: how another node finds the owner of a tenant. */
const INTAKE_APP = 'plan2-trading:';

/** The node whose intake session has this application name; null when it is not a trading node's. */
function intakeNode(app: string | null): string | null {
  return app?.startsWith(INTAKE_APP) ? app.slice(INTAKE_APP.length) : null;
}

const TradingService: ServiceSchema<ServiceSettingSchema & { rest: string }, Record<string, never>, DbThis & TradingVars> = {
  name: 'trading',
  mixins: [createDbMixin()],
  settings: { rest: '/' },

  actions: {
    /** Persist and route a sized order. Reserved for `risk`. */
    submit: {
      params: {
        tenantId: { type: 'string', min: 1 },
        idempotencyKey: { type: 'string', min: 1, max: 200 },
        decisionId: { type: 'string', optional: true, nullable: true },
        intent: ORDER_INTENT_SCHEMA,
        risk: { type: 'object', optional: true },
      },
      async handler(ctx: Ctx<SubmitParams>) {
        const forwarded = ctx.caller === FORWARDER && ctx.meta.intakeForward === true;
        if (ctx.caller !== SUBMIT_CALLER && !forwarded) {
          throw new Errors.MoleculerClientError(
            `trading.submit is reserved for the risk service; orders reach the market only through risk.evaluate (caller: ${ctx.caller ?? 'none'})`,
            403,
            'FORBIDDEN_CALLER',
            { caller: ctx.caller },
          );
        }
        // The order's events (order.filled …, often after this call has answered) join this
        // call's trace: the engine hands the reference back to `emit` (flowchain/trace-parent).
        try {
          return await this.engine.submit(ctx.params, traceParent(ctx));
        } catch (e) {
          // Another node owns the tenant's order intake (services/trading/intake.ts): the order goes there, once.
          const owner = e instanceof OwnedElsewhere && !forwarded ? intakeNode(e.owner) : null;
          if (!owner || owner === this.broker.nodeID) throw e;
          return ctx.call('trading.submit', ctx.params, { nodeID: owner, meta: { intakeForward: true } });
        }
      },
    },

    /**
     * An acknowledged paper order of a tenant this node owns, handed over by the trading node
     * that acknowledged it and could not store it (intake.ts, `handOver`): stored here and
     * routed, once. Between trading nodes only (no REST route); `{stored: false}` when its key
     * was already taken here.
     */
    adopt: {
      params: { order: ADOPTED_ORDER_SCHEMA, requestHash: { type: 'string', min: 1, max: 128 } },
      async handler(ctx: Ctx<{ order: Order; requestHash: string }>) {
        if (ctx.meta.intakeHandOver !== true) throw new Errors.MoleculerClientError('trading.adopt is between trading nodes only', 403, 'FORBIDDEN_CALLER');
        return { stored: await this.engine.adopt(store.unfilledOrder(ctx.params.order), ctx.params.requestHash) };
      },
    },

    /** Equity, positions, working orders and exposure of an account (for risk). */
    book: {
      params: { tenantId: { type: 'string', min: 1 }, account: { type: 'string', optional: true } },
      async handler(ctx: Ctx<{ tenantId: string; account?: string }>) {
        return this.engine.book(ctx.params.tenantId, ctx.params.account ?? 'paper');
      },
    },

    /** Balance after each fill of an account (for the risk report's drawdown). */
    balanceHistory: {
      params: { tenantId: { type: 'string', min: 1 }, account: { type: 'string', optional: true } },
      async handler(ctx: Ctx<{ tenantId: string; account?: string }>) {
        const book = await this.engine.book(ctx.params.tenantId, ctx.params.account ?? 'paper');
        return store.balanceHistory(this.db, ctx.params.tenantId, book.account.id, book.account.balance);
      },
    },

    listOrders: {
      rest: 'GET /orders',
      params: { status: { type: 'string', optional: true }, symbol: { type: 'string', optional: true }, limit: limitParam, cursor: { type: 'string', optional: true } },
      async handler(ctx: Ctx<{ status?: string; symbol?: string; limit?: number; cursor?: string }>) {
        const t = requireTenant(ctx.meta);
        await this.engine.settled(t);
        return store.listOrders(this.db, t, { ...ctx.params, limit: ctx.params.limit ?? 100 });
      },
    },

    getOrder: {
      rest: 'GET /orders/:id',
      params: { id: { type: 'string', min: 1 } },
      async handler(ctx: Ctx<{ id: string }>) {
        const t = requireTenant(ctx.meta);
        await this.engine.settled(t);
        const order = await store.orderById(this.db, t, ctx.params.id);
        if (!order) throw new NotFoundError('order', ctx.params.id);
        return { ...order, fills: await store.fillsOfOrder(this.db, t, order.id) };
      },
    },

    cancelOrder: {
      rest: 'DELETE /orders/:id',
      params: { id: { type: 'string', min: 1 } },
      async handler(ctx: Ctx<{ id: string }>) {
        return this.engine.cancel(requireTenant(ctx.meta), ctx.params.id);
      },
    },

    modifyOrder: {
      rest: 'PATCH /orders/:id',
      params: { id: { type: 'string', min: 1 }, price: optNum, sl: nullableNum, tp: nullableNum, trailing: nullableNum },
      async handler(ctx: Ctx<{ id: string; price?: number; sl?: number | null; tp?: number | null; trailing?: number | null }>) {
        const { id, ...f } = ctx.params;
        return this.engine.modifyOrder(requireTenant(ctx.meta), id, f);
      },
    },

    listPositions: {
      rest: 'GET /positions',
      params: { status: { type: 'enum', values: ['open', 'closed', 'all'], optional: true }, symbol: { type: 'string', optional: true }, limit: limitParam },
      async handler(ctx: Ctx<{ status?: 'open' | 'closed' | 'all'; symbol?: string; limit?: number }>) {
        const t = requireTenant(ctx.meta);
        const status = ctx.params.status ?? 'open';
        return { items: await store.listPositions(this.db, t, { status: status === 'all' ? undefined : status, symbol: ctx.params.symbol, limit: ctx.params.limit ?? 100 }) };
      },
    },

    modifyPosition: {
      rest: 'PATCH /positions/:id',
      params: { id: { type: 'string', min: 1 }, sl: nullableNum, tp: nullableNum, trailing: nullableNum },
      async handler(ctx: Ctx<{ id: string; sl?: number | null; tp?: number | null; trailing?: number | null }>) {
        const { id, ...f } = ctx.params;
        return this.engine.modifyPosition(requireTenant(ctx.meta), id, f);
      },
    },

    listFills: {
      rest: 'GET /fills',
      params: { symbol: { type: 'string', optional: true }, limit: limitParam, cursor: { type: 'string', optional: true } },
      async handler(ctx: Ctx<{ symbol?: string; limit?: number; cursor?: string }>) {
        const t = requireTenant(ctx.meta);
        return store.listFills(this.db, t, { ...ctx.params, limit: ctx.params.limit ?? 100 });
      },
    },

    listAccounts: {
      rest: 'GET /accounts',
      params: {},
      async handler(ctx: Ctx) {
        const t = requireTenant(ctx.meta);
        await this.engine.bookOf(t, 'paper');
        return { items: await store.listAccounts(this.db, t) };
      },
    },

    /** Link an MT5 account (login) to the tenant: needs the `live_trading` feature. */
    linkAccount: {
      rest: 'POST /accounts',
      params: { id: { type: 'string', pattern: /^[0-9]{1,20}$/ }, mode: { type: 'enum', values: ['netting', 'hedging'] }, currency: { type: 'string', pattern: /^[A-Z]{3}$/, optional: true } },
      async handler(ctx: Ctx<{ id: string; mode: 'netting' | 'hedging'; currency?: string }>) {
        const t = requireTenant(ctx.meta);
        if (ctx.meta.tier === 'free') throw new DomainError('TIER_LIMIT', 'live MT5 trading needs the pro or enterprise tier', 403);
        const taken = (await store.accountsByBrokerId(this.db, 'mt5', ctx.params.id)).filter((a) => a.tenantId !== t);
        if (taken.length > 0) throw new DomainError('ACCOUNT_TAKEN', `MT5 account ${ctx.params.id} belongs to another tenant`, 409);
        return store.createAccount(this.db, { tenantId: t, id: ctx.params.id, broker: 'mt5', mode: ctx.params.mode, currency: ctx.params.currency ?? 'USD', balance: 0 }, Date.now());
      },
    },

    /** Paper account settings; the mode and balance change only while the account is flat. */
    configureAccount: {
      rest: 'PUT /accounts/:id',
      params: {
        id: { type: 'string' },
        mode: { type: 'enum', values: ['netting', 'hedging'], optional: true },
        balance: { type: 'number', positive: true, convert: true, optional: true },
        slippagePoints: { type: 'number', min: 0, max: 10_000, convert: true, optional: true },
        commissionPerLot: { type: 'number', min: 0, max: 10_000, convert: true, optional: true },
      },
      async handler(ctx: Ctx<{ id: string; mode?: 'netting' | 'hedging'; balance?: number; slippagePoints?: number; commissionPerLot?: number }>) {
        const t = requireTenant(ctx.meta);
        const book = await this.engine.book(t, ctx.params.id);
        if (book.account.broker !== 'paper') throw new DomainError('ACCOUNT_BROKER', 'only paper accounts are configured here; MT5 settings live in the terminal', 422);
        const flat = book.positions.length === 0 && Object.keys(book.pendingBySymbol).length === 0;
        if ((ctx.params.mode !== undefined || ctx.params.balance !== undefined) && !flat) {
          throw new DomainError('ACCOUNT_NOT_FLAT', 'close positions and working orders before changing the mode or the balance', 409);
        }
        const acc = (await store.getAccount(this.db, t, ctx.params.id))!;
        const settings = { ...acc.settings };
        if (ctx.params.slippagePoints !== undefined) settings.slippagePoints = ctx.params.slippagePoints;
        if (ctx.params.commissionPerLot !== undefined) settings.commissionPerLot = ctx.params.commissionPerLot;
        await store.updateAccountSettings(this.db, t, ctx.params.id, { mode: ctx.params.mode, balance: ctx.params.balance, settings }, Date.now());
        await this.engine.reloadBook(t, ctx.params.id);
        return store.getAccount(this.db, t, ctx.params.id);
      },
    },
  },

  events: {
    'ticks.received': {
      async handler(ctx: Context<{ symbol: string; ticks: Quote[] }>) {
        const { symbol, ticks } = ctx.params;
        if (typeof symbol !== 'string' || !Array.isArray(ticks)) return;
        await this.engine.onTicks(symbol, ticks);
      },
    },
    'mt5.positions': {
      async handler(ctx: Context<{ account: string; positions: { ticket: string; symbol: string; type: string; volume: number; price_open?: number; comment?: string }[] }>) {
        if (typeof ctx.params.account !== 'string' || !Array.isArray(ctx.params.positions)) return;
        await this.engine.onMt5Positions(ctx.params.account, ctx.params.positions);
      },
    },
    'mt5.account': {
      async handler(ctx: Context<{ account: string; balance: number; equity: number }>) {
        if (typeof ctx.params.account !== 'string') return;
        await this.engine.onMt5Account(ctx.params.account, ctx.params);
      },
    },
    'mt5.trade_transaction': {
      async handler(ctx: Context<{ account: string; transaction: Record<string, unknown>; request?: { comment?: string } }>) {
        if (typeof ctx.params.account !== 'string' || !ctx.params.transaction) return;
        await this.engine.onMt5Transaction(ctx.params.account, ctx.params.transaction as never, ctx.params.request);
      },
    },
  },

  async started() {
    const asyncUrl = this.db.kind === 'postgres' ? asyncCommitUrl() : null;
    this.fastDb = asyncUrl ? new PgDb({ connectionString: asyncUrl, max: 10 }) : null;
    this.intake = asyncUrl
      ? new OrderIntake({
          conn: new PipelinedConnection({
            connectionString: asyncUrl,
            applicationName: `${INTAKE_APP}${this.broker.nodeID}`.slice(0, 63),
            onReset: (e) => {
              this.logger.warn(`trading: order intake session lost (${e.message}); tenants are claimed again on their next order`);
              this.intake?.sessionLost();
            },
          }),
          db: this.db,
          logger: this.logger,
          journalDir: path.join(config().dataDir, 'journal'),
          journalName: journalName('intake', asyncUrl),
          handOver: async (order, requestHash, owner) => {
            const node = intakeNode(owner);
            if (!node || node === this.broker.nodeID) throw new Error(`no trading node to hand it to (owner ${owner ?? 'unknown'})`);
            const r = await this.broker.call<{ stored: boolean }, object>('trading.adopt', { order, requestHash }, { nodeID: node, meta: { intakeHandOver: true } });
            return r.stored;
          },
        })
      : null;
    this.prices = new BrokerPriceSource((action, params) => this.broker.call(action, params));
    const send = async (account: string, message: Mt5Command): Promise<Mt5Reply> => {
      try {
        return await this.broker.call<Mt5Reply, { account: string; message: Mt5Command }>('mt5-gateway.send', { account, message });
      } catch (e) {
        const t = (e as { type?: string }).type;
        if (t === 'SERVICE_NOT_FOUND' || t === 'SERVICE_NOT_AVAILABLE') throw new GatewayUnreachable((e as Error).message);
        throw e;
      }
    };
    this.engine = new TradingEngine({
      db: this.db,
      fastDb: this.fastDb ?? this.db,
      intake: this.intake ?? undefined,
      prices: this.prices,
      mt5Send: send,
      // Events of a submitted order join its `trading.submit` call's trace (a TraceParent); tick-driven ones come from the broker.
      emit: (event, payload, via) => {
        const parent = via as TraceParent | undefined;
        (parent ? emitUnder(this.broker, parent, event, payload) : this.broker.emit(event, payload)).catch((e: unknown) => this.logger.error(`trading: emit ${event} failed`, e));
      },
      logger: this.logger,
    });
    // Orders a previous process acknowledged but did not see committed, then orders left in `new`.
    const replayed = (await this.intake?.replayJournals()) ?? 0;
    if (replayed > 0) this.logger.warn(`trading: replayed ${replayed} acknowledged order(s) from the journal of a process that stopped`);
    const r = await this.engine.recover();
    if (r.paperRouted + r.mt5Unknown > 0) this.logger.warn(`trading: recovered ${r.paperRouted} paper order(s) left in new; ${r.mt5Unknown} MT5 order(s) marked unknown`);
    const metrics = this.broker.isMetricsEnabled() ? this.broker.metrics : null;
    metrics?.register({ type: 'counter', name: 'plan2.trading.fills', description: 'Fills written (paper and live)' });
    metrics?.register({ type: 'counter', name: 'plan2.trading.fill_statements', description: 'Statements that wrote them (paper fills queued together share one)' });
    const reported = { fills: 0, statements: 0 };
    this.timers = [
      setInterval(() => {
        if (metrics) {
          const s = this.engine.fillStats;
          metrics.increment('plan2.trading.fills', undefined, s.fills - reported.fills);
          metrics.increment('plan2.trading.fill_statements', undefined, s.statements - reported.statements);
          Object.assign(reported, s);
        }
        this.engine.retryNew();
        this.engine.sweepExpired().catch((e: unknown) => this.logger.error('trading: expiry sweep failed', e));
        this.engine.flushMarks().catch((e: unknown) => this.logger.error('trading: equity marks flush failed', e));
      }, 1000),
      setInterval(() => {
        if (this.intake?.pendingReplay()) this.engine.replayKept().catch((e: unknown) => this.logger.warn(`trading: replaying kept orders failed: ${(e as Error).message}`));
      }, REPLAY_KEPT_MS),
    ];
    for (const t of this.timers) t.unref();
  },

  async stopped() {
    for (const t of this.timers ?? []) clearInterval(t);
    await this.engine?.idle();
    await this.engine?.flushMarks().catch(() => undefined);
    await this.intake?.close();
    await this.fastDb?.close();
  },
};

export default TradingService;
