/**
 * `risk`: pre-trade risk. The only caller of `trading.submit`.
 *
 * - `risk.evaluate` (decision or manual order) runs the named checks, sizes decisions,
 *   records the evaluation and, when approved, submits with the idempotency key;
 * - `decision.made` events are evaluated for their tenant (non-hold; paper by default);
 * - REST: `POST /orders` (manual orders, Idempotency-Key required), `GET/PUT /risk/limits`,
 *   `GET /risk/evaluations`, `GET /risk/report`.
 */
import { Context, Errors, ServiceSchema, ServiceSettingSchema } from 'moleculer';
import { config } from '../../config';
import { DomainError } from '../../lib/errors';
import { mergeLimits, RiskLimitsPatch, validateLimits } from '../../lib/risk/limits';
import type { ExposureLine } from '../../lib/risk/checks';
import { PgDb } from '../../lib/storage/adapters/pg';
import type { Db } from '../../lib/storage/db';
import { requireTenant } from '../../lib/tenant';
import { BrokerPriceSource } from '../../lib/trading/price-source';
import { ORDER_INTENT_PROPS, ORDER_INTENT_SCHEMA } from '../../lib/trading/schemas';
import { createDbMixin, DbThis } from '../../mixins/db.mixin';
import { untraced } from '../../mixins/untraced';
import type { Decision } from '../../types/agents';
import type { TenantMeta } from '../../types/meta';
import type { Book, Order, OrderIntent, Quote, SubmitParams } from '../../types/trading';
import { EvaluationLog } from './evaluation-log';
import { EvaluationResult, RiskEvaluator, TradingCalls } from './evaluator';
import { buildReport, HistorySource } from './report';
import * as store from './risk.store';

type Ctx<P = Record<string, unknown>> = Context<P, Partial<TenantMeta> & { $statusCode?: number; $location?: string }>;

interface RiskVars {
  evaluator: RiskEvaluator;
  evalLog: EvaluationLog;
  prices: BrokerPriceSource;
  history: HistorySource;
  fastDb: Db | null;
  lastTick: Map<string, number>;
}

const nullablePositive = { type: 'number', positive: true, convert: true, optional: true, nullable: true } as const;
const nullableFraction = { type: 'number', positive: true, max: 1, convert: true, optional: true, nullable: true } as const;

function openFastDb(): Db | null {
  const url = config().databaseUrl;
  if (!url) return null;
  const u = new URL(url);
  u.searchParams.set('options', '-c synchronous_commit=off');
  return new PgDb({ connectionString: u.toString(), max: 4 });
}

/** The order a client sees: the order with its risk verdicts. */
/** Trading calls from this request's context: `ctx.call` marks them `caller: 'risk'`, which trading.submit requires. */
function tradingCalls(ctx: Context<unknown, Record<string, unknown>>): TradingCalls {
  return {
    book: (tenantId, account) => ctx.call('trading.book', { tenantId, account }),
    submit: (p: SubmitParams) => ctx.call('trading.submit', p),
    order: (tenantId, id) => ctx.call('trading.getOrder', { id }, { meta: { tenantId } }),
  };
}

function present(r: EvaluationResult): Order & { replayed: boolean } {
  if (!r.order) throw new Error('approved evaluation without an order');
  return Object.assign({}, r.order, { replayed: r.replayed });
}

const RiskService: ServiceSchema<ServiceSettingSchema & { rest: string }, Record<string, never>, DbThis & RiskVars> = {
  name: 'risk',
  mixins: [createDbMixin()],
  settings: { rest: '/' },

  actions: {
    /** Evaluate a decision or a manual order (exactly one); approved ones are submitted. */
    evaluate: {
      params: {
        tenantId: { type: 'string', min: 1, optional: true },
        decision: { type: 'object', optional: true },
        order: { ...ORDER_INTENT_SCHEMA, optional: true },
        idempotencyKey: { type: 'string', min: 1, max: 200, optional: true },
      },
      async handler(ctx: Ctx<{ tenantId?: string; decision?: Decision; order?: OrderIntent; idempotencyKey?: string }>): Promise<EvaluationResult> {
        const { decision, order } = ctx.params;
        if ((decision === undefined) === (order === undefined)) throw new DomainError('BAD_REQUEST', 'risk.evaluate takes exactly one of decision or order', 422);
        if (decision) {
          const tenantId = ctx.params.tenantId ?? decision.tenantId;
          if (!tenantId || tenantId !== decision.tenantId) throw new DomainError('BAD_REQUEST', 'the decision belongs to another tenant', 422);
          if (decision.action === 'hold') throw new DomainError('BAD_REQUEST', 'hold decisions are not orders', 422);
          return this.evaluator.evaluate({ kind: 'decision', tenantId, decision }, tradingCalls(ctx));
        }
        const tenantId = ctx.params.tenantId ?? requireTenant(ctx.meta);
        const key = ctx.params.idempotencyKey ?? ctx.meta.idempotencyKey;
        if (!key) throw new DomainError('IDEMPOTENCY_KEY_REQUIRED', 'manual orders need an idempotency key', 400);
        return this.evaluator.evaluate({ kind: 'manual', tenantId, idempotencyKey: key, intent: order! }, tradingCalls(ctx));
      },
    },

    /** POST /orders: a client's order, through risk. Needs the Idempotency-Key header. */
    submitOrder: {
      rest: 'POST /orders',
      params: ORDER_INTENT_PROPS,
      async handler(ctx: Ctx<OrderIntent>) {
        const tenantId = requireTenant(ctx.meta);
        const key = ctx.meta.idempotencyKey;
        if (typeof key !== 'string' || key.length === 0 || key.length > 200) {
          throw new DomainError('IDEMPOTENCY_KEY_REQUIRED', 'POST /orders needs an Idempotency-Key header (1–200 characters)', 400);
        }
        const r = await this.evaluator.evaluate({ kind: 'manual', tenantId, idempotencyKey: key, intent: { ...ctx.params, type: ctx.params.type ?? 'market' } }, tradingCalls(ctx));
        if (!r.order) {
          throw new Errors.MoleculerClientError(`risk rejected the order: ${r.evaluation?.reason ?? 'limits'}`, 422, 'RISK_LIMIT', {
            evaluationId: r.evaluation?.id,
            checks: r.evaluation?.checks,
          });
        }
        ctx.meta.$statusCode = r.replayed ? 200 : 201;
        if (!r.replayed) ctx.meta.$location = `/api/v1/orders/${r.order.id}`;
        return present(r);
      },
    },

    getLimits: {
      rest: 'GET /risk/limits',
      params: {},
      async handler(ctx: Ctx) {
        return this.evaluator.limitsOf(requireTenant(ctx.meta));
      },
    },

    /** Partial update; null switches a check off; contradictory limits → 422 CONTRADICTORY_LIMITS. */
    putLimits: {
      rest: 'PUT /risk/limits',
      params: {
        maxPositionLots: nullablePositive,
        symbolMaxPositionLots: { type: 'record', key: { type: 'string', max: 32 }, value: { type: 'number', positive: true, convert: true }, optional: true },
        maxSymbolExposure: nullablePositive,
        maxTotalExposure: nullablePositive,
        maxLeverage: nullablePositive,
        maxDailyLoss: nullableFraction,
        maxDrawdown: nullableFraction,
        maxOrdersPerMinute: nullablePositive,
        maxQuoteAgeMs: nullablePositive,
        maxSpreadPoints: nullablePositive,
        sizing: {
          type: 'object',
          optional: true,
          props: {
            method: { type: 'enum', values: ['fixed', 'fixed_fraction', 'volatility', 'kelly'], optional: true },
            volume: { type: 'number', positive: true, convert: true, optional: true },
            riskFraction: { type: 'number', positive: true, max: 1, convert: true, optional: true },
            stopPoints: nullablePositive,
            takeProfitPoints: nullablePositive,
            atrMultiple: { type: 'number', positive: true, convert: true, optional: true },
            kellyFraction: { type: 'number', positive: true, convert: true, optional: true },
          },
        },
        decisionAccount: { type: 'string', min: 1, max: 64, optional: true },
        tradeDecisions: { type: 'boolean', convert: true, optional: true },
        resetBreaker: { type: 'boolean', convert: true, optional: true },
      },
      async handler(ctx: Ctx<RiskLimitsPatch & { resetBreaker?: boolean }>) {
        const tenantId = requireTenant(ctx.meta);
        const { resetBreaker, ...patch } = ctx.params;
        const current = await this.evaluator.limitsOf(tenantId);
        const next = validateLimits(mergeLimits(current.limits, patch));
        await this.evaluator.setLimits(tenantId, next, resetBreaker === true);
        return this.evaluator.limitsOf(tenantId);
      },
    },

    listEvaluations: {
      rest: 'GET /risk/evaluations',
      params: { verdict: { type: 'enum', values: ['approved', 'rejected'], optional: true }, limit: { type: 'number', integer: true, positive: true, max: 10_000, convert: true, optional: true } },
      async handler(ctx: Ctx<{ verdict?: string; limit?: number }>) {
        await this.evalLog.flush();
        return { items: await store.listEvaluations(this.db, requireTenant(ctx.meta), { verdict: ctx.params.verdict, limit: ctx.params.limit ?? 100 }) };
      },
    },

    /** Exposure, VaR/ES, drawdown, scenario results and recent check verdicts of an account. */
    report: {
      rest: 'GET /risk/report',
      params: {
        account: { type: 'string', optional: true },
        shocks: { type: 'string', optional: true, max: 2000 },
        days: { type: 'number', integer: true, min: 30, max: 5000, convert: true, optional: true },
      },
      async handler(ctx: Ctx<{ account?: string; shocks?: string; days?: number }>) {
        const tenantId = requireTenant(ctx.meta);
        const { limits, breaker } = await this.evaluator.limitsOf(tenantId);
        const account = ctx.params.account ?? limits.decisionAccount;
        const book = await ctx.call<Book & { exposure: ExposureLine[] }, { tenantId: string; account: string }>('trading.book', { tenantId, account });
        const balances = await ctx.call<{ time: number; balance: number }[], { tenantId: string; account: string }>('trading.balanceHistory', { tenantId, account });
        const since = Date.now() - 86_400_000;
        await this.evalLog.flush();
        return buildReport({
          book,
          balances,
          limits,
          breaker,
          shocks: ctx.params.shocks,
          days: ctx.params.days ?? 500,
          history: this.history,
          spec: (s) => this.prices.spec(s),
          checkStats: await store.checkStats(this.db, tenantId, since),
          recent: (await store.listEvaluations(this.db, tenantId, { limit: 20 })).map((e) => ({
            id: e.id, at: e.createdAt, source: e.source, decisionId: e.decisionId, symbol: e.symbol, side: e.side, volume: e.volume, verdict: e.verdict, reason: e.reason,
            checks: e.checks.map((c) => ({ name: c.name, passed: c.passed, ...(c.skipped ? { skipped: true } : {}) })),
          })),
        });
      },
    },
  },

  events: {
    'decision.made': {
      async handler(ctx: Context<Decision>) {
        const d = ctx.params;
        if (!d || typeof d.tenantId !== 'string' || typeof d.id !== 'string' || d.action === 'hold') return;
        const { limits } = await this.evaluator.limitsOf(d.tenantId);
        if (!limits.tradeDecisions) return;
        // A span of its own so FlowChain's AI_Decision chain sees the evaluation, and a
        // rejection marks the execution failed at this step (with the check that refused).
        const span = ctx.tracing ? ctx.startSpan('risk.evaluate', { tags: { meta: { tenantId: d.tenantId }, decisionId: d.id } }) : null;
        try {
          const r = await this.evaluator.evaluate({ kind: 'decision', tenantId: d.tenantId, decision: d }, tradingCalls(ctx));
          if (!r.order) {
            this.logger.info(`risk: decision ${d.id} (${d.tenantId} ${d.action} ${d.symbol}) rejected: ${r.evaluation?.reason}`);
            span?.setError(new Errors.MoleculerClientError(`risk rejected decision ${d.id}: ${r.evaluation?.reason ?? 'rejected'}`, 422, 'RISK_LIMIT', { decisionId: d.id }));
          }
        } catch (e) {
          this.logger.warn(`risk: decision ${d.id} of ${d.tenantId} not traded: ${(e as Error).message}`);
          span?.setError(e as Error);
        } finally {
          if (span) ctx.finishSpan(span);
        }
      },
    },
    // Quote bookkeeping at tick rate: no step of any chain, no span.
    'ticks.received': untraced({
      handler(this: RiskVars, ctx: Context<{ symbol: string; ticks: Quote[] }>) {
        const { symbol, ticks } = ctx.params;
        if (typeof symbol !== 'string' || !Array.isArray(ticks) || ticks.length === 0) return;
        this.lastTick.set(symbol, Date.now());
        const last = ticks[ticks.length - 1];
        this.prices.observe({ symbol, bid: last.bid, ask: last.ask, time_msc: last.time_msc });
      },
    }),
  },

  created() {
    this.lastTick = new Map();
  },

  async started() {
    this.fastDb = this.db.kind === 'postgres' ? openFastDb() : null;
    this.prices = new BrokerPriceSource((action, params) => this.broker.call(action, params));
    this.history = new HistorySource((action, params) => this.broker.call(action, params));
    this.evalLog = new EvaluationLog(this.fastDb ?? this.db, (e) => this.logger.error('risk: writing evaluations failed', e));
    this.evaluator = new RiskEvaluator({
      db: this.db,
      log: this.evalLog,
      prices: this.prices,
      lastTickAt: (symbol) => this.lastTick.get(symbol) ?? null,
    });
  },

  async stopped() {
    await this.evalLog?.flush();
    await this.fastDb?.close();
  },
};

export default RiskService;
