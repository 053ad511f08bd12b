/**
 * The named pre-trade checks. Each is a pure function of the order, the account's book
 * and the tenant's limits, returning a verdict with what it measured; `runChecks` runs
 * all of them (never stopping at the first failure, so the record shows every verdict).
 *
 * Exposure conventions:
 * - a symbol's net lots = Σ signed open positions + Σ signed working orders (+ buy, − sell);
 * - notional (account currency) of n lots = |n| · contractSize units of the base currency,
 *   valued at 1 when the base is the account currency, else at the mid price converted
 *   from the profit currency (see `quoteToAccount`);
 * - total exposure = Σ over symbols of |net notional|; leverage = total exposure / equity;
 * - an order that only reduces a symbol's |net lots| (without reversing) is risk-reducing:
 *   the exposure, loss and spread checks let it through (it can only lower risk).
 */
import type { Quote, Side, SymbolSpec } from '../../types/trading';
import { quoteToAccount } from '../trading/positions';
import type { RiskLimits } from './limits';

export type { RiskCheckResult } from '../../types/trading';
import type { RiskCheckResult } from '../../types/trading';

export const CHECK_NAMES = [
  'compliance_veto',
  'duplicate_decision',
  'drawdown_breaker',
  'daily_loss',
  'orders_per_minute',
  'stale_data',
  'spread',
  'max_position',
  'symbol_exposure',
  'total_exposure',
  'leverage',
] as const;
export type CheckName = (typeof CHECK_NAMES)[number];

export interface ExposureLine {
  symbol: string;
  /** Signed net lots (positions + working orders). */
  netLots: number;
  /** |net| notional in account currency. */
  notional: number;
}

export interface CheckInput {
  limits: RiskLimits;
  order: { symbol: string; side: Side; volume: number };
  spec: SymbolSpec;
  quote: Quote;
  /** ms since the quote was received (or since its own time when never received). */
  quoteAgeMs: number;
  accountCurrency: string;
  equity: number;
  dayStartEquity: number;
  peakEquity: number;
  /** Current exposure per symbol (positions + working orders), before this order. */
  exposure: ExposureLine[];
  /** Orders approved in the last 60 s, before this one. */
  ordersLastMinute: number;
  vetoes: { agent: string; reason: string }[];
  /** The decision was already evaluated. */
  duplicate: boolean;
  /** The drawdown breaker is latched (since, why). */
  breaker: { at: number; reason: string } | null;
}

/** Notional in account currency of `lots` (sign ignored) at `price`. */
export function notionalOf(lots: number, spec: SymbolSpec, price: number, accountCurrency: string): number {
  const units = Math.abs(lots) * spec.trade_contract_size;
  if (spec.currency_base === accountCurrency) return units;
  return units * price * quoteToAccount(spec, accountCurrency, price);
}

function signed(side: Side, v: number): number {
  return side === 'buy' ? v : -v;
}

/** Net lots of the order's symbol before and after, and whether the order only reduces them. */
export function orderEffect(i: CheckInput): { before: number; after: number; reducing: boolean } {
  const before = i.exposure.find((e) => e.symbol === i.order.symbol)?.netLots ?? 0;
  const after = Math.round((before + signed(i.order.side, i.order.volume)) * 1e8) / 1e8;
  const reducing = before !== 0 && Math.abs(after) < Math.abs(before) && (after === 0 || Math.sign(after) === Math.sign(before));
  return { before, after, reducing };
}

const mid = (q: Quote) => (q.bid + q.ask) / 2;

function result(name: CheckName, passed: boolean, value: RiskCheckResult['value'], limit: RiskCheckResult['limit'], reason?: string): RiskCheckResult {
  return reason === undefined ? { name, passed, value, limit } : { name, passed, value, limit, reason };
}

function skipped(name: CheckName, reason: string): RiskCheckResult {
  return { name, passed: true, skipped: true, value: null, limit: null, reason };
}

const round = (x: number, d = 6) => Math.round(x * 10 ** d) / 10 ** d;

export const CHECKS: Record<CheckName, (i: CheckInput) => RiskCheckResult> = {
  compliance_veto(i) {
    if (i.vetoes.length === 0) return result('compliance_veto', true, 0, 0);
    return result('compliance_veto', false, i.vetoes.length, 0, 'vetoed: ' + i.vetoes.map((v) => `${v.agent}: ${v.reason}`).join('; '));
  },

  duplicate_decision(i) {
    return i.duplicate ? result('duplicate_decision', false, 'seen', 'once', 'this decision was already evaluated') : result('duplicate_decision', true, 'new', 'once');
  },

  drawdown_breaker(i) {
    const lim = i.limits.maxDrawdown;
    if (lim === null) return skipped('drawdown_breaker', 'no drawdown limit');
    const dd = i.peakEquity > 0 ? Math.max(0, (i.peakEquity - i.equity) / i.peakEquity) : 0;
    if (orderEffect(i).reducing) return result('drawdown_breaker', true, round(dd), lim, 'risk-reducing order');
    if (i.breaker) return result('drawdown_breaker', false, round(dd), lim, `circuit breaker tripped at ${new Date(i.breaker.at).toISOString()}: ${i.breaker.reason}`);
    if (dd >= lim) return result('drawdown_breaker', false, round(dd), lim, `drawdown ${(dd * 100).toFixed(2)} % reached the ${(lim * 100).toFixed(2)} % breaker`);
    return result('drawdown_breaker', true, round(dd), lim);
  },

  daily_loss(i) {
    const lim = i.limits.maxDailyLoss;
    if (lim === null) return skipped('daily_loss', 'no daily loss limit');
    const loss = i.dayStartEquity > 0 ? Math.max(0, (i.dayStartEquity - i.equity) / i.dayStartEquity) : 0;
    if (orderEffect(i).reducing) return result('daily_loss', true, round(loss), lim, 'risk-reducing order');
    if (loss >= lim) return result('daily_loss', false, round(loss), lim, `today's loss ${(loss * 100).toFixed(2)} % reached the ${(lim * 100).toFixed(2)} % daily limit`);
    return result('daily_loss', true, round(loss), lim);
  },

  orders_per_minute(i) {
    const lim = i.limits.maxOrdersPerMinute;
    if (lim === null) return skipped('orders_per_minute', 'no order rate limit');
    const n = i.ordersLastMinute + 1;
    if (n > lim) return result('orders_per_minute', false, n, lim, `${n} orders in the last minute exceed ${lim}`);
    return result('orders_per_minute', true, n, lim);
  },

  stale_data(i) {
    const lim = i.limits.maxQuoteAgeMs;
    if (lim === null) return skipped('stale_data', 'no quote age limit');
    const age = Math.max(0, Math.round(i.quoteAgeMs));
    if (age > lim) return result('stale_data', false, age, lim, `the ${i.order.symbol} quote is ${age} ms old (limit ${lim} ms)`);
    return result('stale_data', true, age, lim);
  },

  spread(i) {
    const lim = i.limits.maxSpreadPoints;
    if (lim === null) return skipped('spread', 'no spread limit');
    const pts = round((i.quote.ask - i.quote.bid) / i.spec.point, 2);
    if (orderEffect(i).reducing) return result('spread', true, pts, lim, 'risk-reducing order');
    if (pts > lim) return result('spread', false, pts, lim, `spread ${pts} points exceeds ${lim}`);
    return result('spread', true, pts, lim);
  },

  max_position(i) {
    const lim = i.limits.symbolMaxPositionLots[i.order.symbol] ?? i.limits.maxPositionLots;
    if (lim === null || lim === undefined) return skipped('max_position', 'no position limit');
    const { after, reducing } = orderEffect(i);
    if (reducing) return result('max_position', true, Math.abs(after), lim, 'risk-reducing order');
    if (Math.abs(after) > lim + 1e-9) return result('max_position', false, Math.abs(after), lim, `${i.order.symbol} would hold ${Math.abs(after)} lots, above ${lim}`);
    return result('max_position', true, Math.abs(after), lim);
  },

  symbol_exposure(i) {
    const lim = i.limits.maxSymbolExposure;
    if (lim === null) return skipped('symbol_exposure', 'no symbol exposure limit');
    const { after, reducing } = orderEffect(i);
    const n = round(notionalOf(after, i.spec, mid(i.quote), i.accountCurrency), 2);
    if (reducing) return result('symbol_exposure', true, n, lim, 'risk-reducing order');
    if (n > lim) return result('symbol_exposure', false, n, lim, `${i.order.symbol} exposure ${n} ${i.accountCurrency} would exceed ${lim}`);
    return result('symbol_exposure', true, n, lim);
  },

  total_exposure(i) {
    const lim = i.limits.maxTotalExposure;
    if (lim === null) return skipped('total_exposure', 'no total exposure limit');
    const total = round(totalExposureAfter(i), 2);
    if (orderEffect(i).reducing) return result('total_exposure', true, total, lim, 'risk-reducing order');
    if (total > lim) return result('total_exposure', false, total, lim, `total exposure ${total} ${i.accountCurrency} would exceed ${lim}`);
    return result('total_exposure', true, total, lim);
  },

  leverage(i) {
    const lim = i.limits.maxLeverage;
    if (lim === null) return skipped('leverage', 'no leverage limit');
    const total = totalExposureAfter(i);
    const lev = i.equity > 0 ? round(total / i.equity, 4) : Infinity;
    if (orderEffect(i).reducing) return result('leverage', true, lev, lim, 'risk-reducing order');
    if (lev > lim) return result('leverage', false, Number.isFinite(lev) ? lev : null, lim, i.equity > 0 ? `leverage ${lev} would exceed ${lim}` : 'equity is not positive');
    return result('leverage', true, lev, lim);
  },
};

/** Σ |net notional| over symbols with this order applied (the order's symbol revalued at the current mid). */
export function totalExposureAfter(i: CheckInput): number {
  let total = 0;
  for (const e of i.exposure) if (e.symbol !== i.order.symbol) total += e.notional;
  total += notionalOf(orderEffect(i).after, i.spec, mid(i.quote), i.accountCurrency);
  return total;
}

/** Run every check in the documented order. */
export function runChecks(i: CheckInput): RiskCheckResult[] {
  return CHECK_NAMES.map((n) => CHECKS[n](i));
}

/** True when every check passed (or was skipped). */
export function approved(results: RiskCheckResult[]): boolean {
  return results.every((r) => r.passed);
}
