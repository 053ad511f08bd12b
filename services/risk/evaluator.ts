/**
 * Pre-trade risk evaluation: the only road from a decision or a client's order to
 * `trading.submit`.
 *
 * For each request: resolve symbol, quote and the account's book; size (decisions) or
 * take the client's volume (manual orders); run every named check of lib/risk/checks.ts;
 * record the evaluation with all verdicts; if approved, submit with the idempotency key
 * (the decision id, or the client's Idempotency-Key) and the verdicts stamped on the order.
 *
 * Evaluations of one tenant run one at a time (a per-tenant queue), so limits that count
 * (position, exposure, orders per minute) see every earlier approval of that tenant in
 * this process; trading's book already holds submitted orders as working exposure.
 */
import { DomainError } from '../../lib/errors';
import { approved, CheckInput, runChecks } from '../../lib/risk/checks';
import { sizeDecision } from '../../lib/risk/decision-sizing';
import type { RiskLimits } from '../../lib/risk/limits';
import type { PriceSource } from '../../lib/trading/price-source';
import { requestHash } from '../../lib/trading/request-hash';
import { validateOrder, validateQuote } from '../../lib/trading/validate';
import type { Db } from '../../lib/storage/db';
import type { Decision } from '../../types/agents';
import type { Book, Order, OrderIntent, RiskCheckResult, SubmitParams, SymbolSpec } from '../../types/trading';
import type { ExposureLine } from '../../lib/risk/checks';
import { newId } from '../../lib/ids';
import * as store from './risk.store';

export type EvaluationRequest =
  | { kind: 'decision'; tenantId: string; decision: Decision }
  | { kind: 'manual'; tenantId: string; idempotencyKey: string; intent: OrderIntent };

export interface EvaluationResult {
  /** Null when a key this process already handled is replayed (no second evaluation). */
  evaluation: store.Evaluation | null;
  order: Order | null;
  replayed: boolean;
}

/**
 * What an evaluation calls on `trading`, bound to the request's context (so the calls
 * carry `caller: 'risk'` and the request's trace).
 */
export interface TradingCalls {
  book(tenantId: string, account: string): Promise<Book & { exposure: ExposureLine[] }>;
  submit(p: SubmitParams): Promise<{ order: Order; replayed: boolean }>;
  /** Current state of an order (replays of a key). */
  order(tenantId: string, id: string): Promise<Order>;
}

export interface EvaluatorDeps {
  db: Db;
  /** Where approved (and trading-refused) evaluations go, write-behind (see evaluation-log.ts). */
  log: { add(e: store.Evaluation, onOrder?: boolean): void };
  prices: PriceSource;
  /** Wall-clock ms when a tick of `symbol` last arrived, if ticks are observed. */
  lastTickAt(symbol: string): number | null;
  now?: () => number;
}

interface TenantState {
  limits: RiskLimits;
  breaker: { at: number; reason: string } | null;
  approvedAt: number[];
  decisions: Set<string>;
  /** Manual idempotency keys seen by this process → the request (hashed only when the key comes back) and order id. */
  keys: Map<string, { intent: OrderIntent; orderId: string }>;
  queue: Promise<unknown>;
}

const MAX_REMEMBERED = 10_000;

export class RiskEvaluator {
  private readonly tenants = new Map<string, Promise<TenantState>>();
  private readonly now: () => number;

  constructor(private readonly d: EvaluatorDeps) {
    this.now = d.now ?? Date.now;
  }

  private state(tenantId: string): Promise<TenantState> {
    let s = this.tenants.get(tenantId);
    if (!s) {
      s = (async () => {
        const now = this.now();
        const [l, recent] = await Promise.all([store.getLimits(this.d.db, tenantId), store.recentState(this.d.db, tenantId, now)]);
        return { limits: l.limits, breaker: l.breaker, approvedAt: recent.approvedAt, decisions: new Set(recent.decisions), keys: new Map(), queue: Promise.resolve() };
      })();
      this.tenants.set(tenantId, s);
      s.catch(() => this.tenants.delete(tenantId));
    }
    return s;
  }

  /** Current limits and breaker of a tenant. */
  async limitsOf(tenantId: string): Promise<{ limits: RiskLimits; breaker: TenantState['breaker'] }> {
    const s = await this.state(tenantId);
    return { limits: s.limits, breaker: s.breaker };
  }

  /** Replace a tenant's cached limits after `PUT /risk/limits`. */
  async setLimits(tenantId: string, limits: RiskLimits, resetBreaker: boolean): Promise<void> {
    const s = await this.state(tenantId);
    await this.serial(s, async () => {
      await store.saveLimits(this.d.db, tenantId, limits, resetBreaker, this.now());
      s.limits = limits;
      if (resetBreaker) s.breaker = null;
    });
  }

  private serial<T>(s: TenantState, fn: () => Promise<T>): Promise<T> {
    const run = s.queue.then(fn);
    s.queue = run.catch(() => undefined);
    return run;
  }

  async evaluate(req: EvaluationRequest, calls: TradingCalls): Promise<EvaluationResult> {
    const s = await this.state(req.tenantId);
    return this.serial(s, () => this.evaluateNow(s, req, calls));
  }

  private async evaluateNow(s: TenantState, req: EvaluationRequest, calls: TradingCalls): Promise<EvaluationResult> {
    const t0 = process.hrtime.bigint();
    const now = this.now();
    const tenantId = req.tenantId;
    const symbol = req.kind === 'decision' ? req.decision.symbol : req.intent.symbol;

    // A manual key this process already handled: replay or conflict, never a second evaluation.
    if (req.kind === 'manual') {
      const seen = s.keys.get(req.idempotencyKey);
      if (seen) {
        if (requestHash(seen.intent, null) !== requestHash(req.intent, null)) {
          throw new DomainError('IDEMPOTENCY_CONFLICT', `Idempotency-Key ${req.idempotencyKey} was already used for a different order (${seen.orderId})`, 409, { orderId: seen.orderId });
        }
        return { evaluation: null, order: await calls.order(tenantId, seen.orderId), replayed: true };
      }
    }

    const spec = await this.d.prices.spec(symbol);
    if (!spec) throw new DomainError('INVALID_ORDER', `unknown symbol ${symbol}`, 422, { field: 'symbol' });
    const quote = validateQuote(await this.d.prices.latest(symbol), symbol);
    if (req.kind === 'manual') validateOrder(req.intent, spec, quote);

    const accountId = req.kind === 'decision' ? s.limits.decisionAccount : (req.intent.account ?? 'paper');
    const book = await calls.book(tenantId, accountId);
    const currency = book.account.currency;

    let intent: OrderIntent;
    let sizing: Record<string, unknown> | null = null;
    const extra: RiskCheckResult[] = [];
    if (req.kind === 'decision') {
      const side = req.decision.action === 'sell' ? 'sell' : 'buy';
      const sized = sizeDecision(s.limits.sizing, req.decision, { equity: book.equity, spec, quote, accountCurrency: currency });
      sizing = Object.assign({}, sized.details, { volume: sized.volume, equity: book.equity });
      intent = { account: accountId, symbol, side, type: 'market', volume: sized.volume };
      if (sized.sl !== undefined) intent.sl = sized.sl;
      if (sized.tp !== undefined) intent.tp = sized.tp;
      if (!(sized.volume > 0)) extra.push({ name: 'sizing', passed: false, value: 0, limit: spec.volume_min, reason: String(sized.details.note ?? 'sized to zero lots') });
    } else {
      // A spread, not Object.assign: the intent is client JSON, and assigning a `__proto__` key would set the copy's prototype.
      intent = { ...req.intent, account: accountId };
    }

    const lastTick = this.d.lastTickAt(symbol);
    const input: CheckInput = {
      limits: s.limits,
      order: { symbol, side: intent.side, volume: intent.volume },
      spec,
      quote,
      quoteAgeMs: lastTick !== null ? now - lastTick : now - quote.time_msc,
      accountCurrency: currency,
      equity: book.equity,
      dayStartEquity: book.account.dayStartEquity,
      peakEquity: book.account.peakEquity,
      exposure: book.exposure,
      ordersLastMinute: this.ordersInLastMinute(s, now),
      vetoes: req.kind === 'decision' ? (req.decision.vetoes ?? []) : [],
      duplicate: req.kind === 'decision' && s.decisions.has(req.decision.id),
      breaker: s.breaker,
    };
    const checks = [...runChecks(input), ...extra];
    await this.maybeTripBreaker(s, tenantId, checks, now);
    const ok = approved(checks);
    const evaluation: store.Evaluation = {
      id: newId('ev_'),
      tenantId,
      source: req.kind,
      decisionId: req.kind === 'decision' ? req.decision.id : null,
      idempotencyKey: req.kind === 'decision' ? req.decision.id : req.idempotencyKey,
      accountId,
      symbol,
      side: intent.side,
      volume: intent.volume,
      verdict: ok ? 'approved' : 'rejected',
      reason: ok ? null : checks.filter((c) => !c.passed).map((c) => `${c.name}: ${c.reason ?? 'failed'}`).join('; '),
      checks,
      sizing,
      latencyUs: null,
      createdAt: now,
    };
    if (req.kind === 'decision') this.remember(s.decisions, req.decision.id);

    if (!ok) {
      evaluation.latencyUs = Number((process.hrtime.bigint() - t0) / 1000n);
      await store.insertEvaluation(this.d.db, evaluation);
      return { evaluation, order: null, replayed: false };
    }

    s.approvedAt.push(now);
    const submit: SubmitParams = {
      tenantId,
      idempotencyKey: evaluation.idempotencyKey,
      decisionId: evaluation.decisionId,
      intent,
      risk: { evaluationId: evaluation.id, checks, ...(sizing ? { sizing } : {}) },
    };
    let result: { order: Order; replayed: boolean };
    try {
      result = await calls.submit(submit);
    } catch (e) {
      s.approvedAt.pop();
      evaluation.verdict = 'rejected';
      evaluation.reason = `trading refused: ${(e as Error).message}`;
      evaluation.latencyUs = Number((process.hrtime.bigint() - t0) / 1000n);
      this.d.log.add(evaluation);
      throw e;
    }
    evaluation.latencyUs = Number((process.hrtime.bigint() - t0) / 1000n);
    this.d.log.add(evaluation, !result.replayed && result.order.risk?.evaluationId === evaluation.id);
    if (req.kind === 'manual') {
      s.keys.set(req.idempotencyKey, { intent: req.intent, orderId: result.order.id });
      if (s.keys.size > MAX_REMEMBERED) s.keys.delete(s.keys.keys().next().value as string);
    }
    if (result.replayed) s.approvedAt.pop();
    return { evaluation, order: result.order, replayed: result.replayed };
  }

  private ordersInLastMinute(s: TenantState, now: number): number {
    while (s.approvedAt.length > 0 && s.approvedAt[0] <= now - 60_000) s.approvedAt.shift();
    return s.approvedAt.length;
  }

  private remember(set: Set<string>, id: string): void {
    set.add(id);
    if (set.size > MAX_REMEMBERED) set.delete(set.values().next().value as string);
  }

  /** A failing drawdown check (not yet latched, not a reducing order) latches the breaker. */
  private async maybeTripBreaker(s: TenantState, tenantId: string, checks: RiskCheckResult[], now: number): Promise<void> {
    const dd = checks.find((c) => c.name === 'drawdown_breaker');
    if (!dd || dd.passed || s.breaker) return;
    s.breaker = { at: now, reason: dd.reason ?? 'drawdown limit reached' };
    await store.tripBreaker(this.d.db, tenantId, s.limits, s.breaker.reason, now);
  }

  /** Specs for the report (same port). */
  spec(symbol: string): Promise<SymbolSpec | null> {
    return this.d.prices.spec(symbol);
  }
}
