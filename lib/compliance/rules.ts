/**
 * Per-tenant compliance rules and their evaluation. Pure.
 *
 * A rule set is the tenant's own trading policy (a fund mandate, a regulator's
 * leverage cap), distinct from `risk`'s engineering limits: compliance speaks
 * before the decision (a veto in the decision record, with the rule's name),
 * risk after it (sizing and order checks).
 *
 * Units: lots for position size, account currency for exposure (notional),
 * exposure / equity for leverage, a fraction of the UTC day's starting equity
 * for the daily loss, UTC for trading hours. A null limit is "no rule".
 *
 * A rule at or beyond its limit vetoes new trades on the symbol (the
 * decision's action becomes hold): the tenant's position can still be reduced
 * by hand. An active override (time-boxed, audited) turns that rule's veto into
 * a warning.
 */
import { DomainError } from '../errors';

export const RULE_NAMES = [
  'restricted_symbols',
  'trading_hours',
  'max_daily_loss',
  'max_position_lots',
  'max_symbol_exposure',
  'max_total_exposure',
  'max_leverage',
  'max_orders_per_minute',
] as const;
export type RuleName = (typeof RULE_NAMES)[number];

export interface TradingHours {
  /** UTC weekdays trading is allowed on, 0 = Sunday … 6 = Saturday. */
  days: number[];
  /** "HH:MM" UTC, inclusive. */
  from: string;
  /** "HH:MM" UTC, exclusive; earlier than `from` wraps past midnight. */
  to: string;
}

export interface ComplianceRules {
  restrictedSymbols: string[];
  tradingHours: TradingHours | null;
  maxDailyLoss: number | null;
  maxPositionLots: number | null;
  maxSymbolExposure: number | null;
  maxTotalExposure: number | null;
  maxLeverage: number | null;
  maxOrdersPerMinute: number | null;
}

export const NO_RULES: ComplianceRules = {
  restrictedSymbols: [],
  tradingHours: null,
  maxDailyLoss: null,
  maxPositionLots: null,
  maxSymbolExposure: null,
  maxTotalExposure: null,
  maxLeverage: null,
  maxOrdersPerMinute: null,
};

const HHMM = /^([01]\d|2[0-3]):([0-5]\d)$/;

function minutes(hhmm: string): number {
  const m = HHMM.exec(hhmm)!;
  return Number(m[1]) * 60 + Number(m[2]);
}

function bad(key: string, expected: string, got: unknown): never {
  throw new DomainError('BAD_RULES', `compliance rule ${key} must be ${expected}`, 422, { key, got });
}

/** New rules = current ⊕ patch (null clears a limit), validated. Unknown keys and bad values → 422 BAD_RULES. */
export function mergeRules(current: ComplianceRules, patch: Record<string, unknown>): ComplianceRules {
  const next: ComplianceRules = { ...current, restrictedSymbols: [...current.restrictedSymbols], tradingHours: current.tradingHours ? { ...current.tradingHours, days: [...current.tradingHours.days] } : null };
  for (const [k, v] of Object.entries(patch)) {
    switch (k) {
      case 'restrictedSymbols':
        if (!Array.isArray(v) || v.length > 1000 || !v.every((s) => typeof s === 'string' && /^[A-Za-z0-9._-]{1,32}$/.test(s))) bad(k, 'a list of symbols', v);
        next.restrictedSymbols = [...new Set(v as string[])].sort();
        break;
      case 'tradingHours': {
        if (v === null) {
          next.tradingHours = null;
          break;
        }
        const h = v as Partial<TradingHours>;
        if (typeof h !== 'object' || !Array.isArray(h.days) || h.days.length === 0 || !h.days.every((d) => Number.isInteger(d) && d >= 0 && d <= 6)) bad(k, '{days: [0-6, …], from: "HH:MM", to: "HH:MM"} (UTC) or null', v);
        if (typeof h.from !== 'string' || !HHMM.test(h.from) || typeof h.to !== 'string' || !HHMM.test(h.to) || h.from === h.to) bad(k, '{days, from: "HH:MM", to: "HH:MM"} with from ≠ to (UTC)', v);
        next.tradingHours = { days: [...new Set(h.days)].sort(), from: h.from, to: h.to };
        break;
      }
      case 'maxDailyLoss':
        if (v !== null && (typeof v !== 'number' || !(v > 0) || v > 1)) bad(k, 'a fraction in (0, 1] or null', v);
        next.maxDailyLoss = v as number | null;
        break;
      case 'maxPositionLots':
      case 'maxSymbolExposure':
      case 'maxTotalExposure':
      case 'maxLeverage':
        if (v !== null && (typeof v !== 'number' || !Number.isFinite(v) || !(v > 0))) bad(k, 'a positive number or null', v);
        next[k] = v as number | null;
        break;
      case 'maxOrdersPerMinute':
        if (v !== null && (typeof v !== 'number' || !Number.isInteger(v) || v < 1)) bad(k, 'a whole number ≥ 1 or null', v);
        next.maxOrdersPerMinute = v as number | null;
        break;
      default:
        throw new DomainError('BAD_RULES', `unknown compliance rule '${k}'`, 422, { known: Object.keys(NO_RULES) });
    }
  }
  return next;
}

/** Is `t` (ms UTC) inside the trading hours? */
export function withinHours(h: TradingHours, t: number): boolean {
  const d = new Date(t);
  const m = d.getUTCHours() * 60 + d.getUTCMinutes();
  const from = minutes(h.from);
  const to = minutes(h.to);
  if (from < to) return h.days.includes(d.getUTCDay()) && m >= from && m < to;
  // wraps past midnight: the session belongs to the day it opened
  if (m >= from) return h.days.includes(d.getUTCDay());
  if (m < to) return h.days.includes((d.getUTCDay() + 6) % 7);
  return false;
}

/** A tenant's book as compliance sees it. */
export interface ComplianceBook {
  equity: number;
  dayStartEquity: number | null;
  /** Per symbol: signed net lots and signed notional (account currency). */
  positions: Map<string, { lots: number; notional: number }>;
}

export interface Override {
  id: string;
  rule: RuleName;
  /** null: every symbol. */
  symbol: string | null;
  until: number;
  reason: string;
  by: string;
}

export interface RuleCheck {
  rule: RuleName;
  /** `veto`: at or beyond the limit; `overridden`: would veto, an override is active; `near`: ≥ 80 % of it. */
  status: 'ok' | 'near' | 'veto' | 'overridden';
  value: number | string | null;
  limit: number | string | null;
  detail: string;
  override?: Override;
}

export interface EvaluationInput {
  rules: ComplianceRules;
  symbol: string;
  /** Time the rules are judged at (ms UTC). */
  at: number;
  book: ComplianceBook | null;
  ordersLastMinute: number;
  overrides: readonly Override[];
}

const NEAR = 0.8;

function fmtNum(x: number): string {
  return Math.abs(x) >= 1000 ? Math.round(x).toLocaleString('en-US') : Number(x.toPrecision(4)).toString();
}

/** Every configured rule for one symbol at one time. Rules without a limit are left out. */
export function evaluateRules(i: EvaluationInput): RuleCheck[] {
  const r = i.rules;
  const out: RuleCheck[] = [];
  const limitCheck = (rule: RuleName, value: number, limit: number | null, what: string) => {
    if (limit === null) return;
    const status = value >= limit ? 'veto' : value >= NEAR * limit ? 'near' : 'ok';
    out.push({ rule, status, value, limit, detail: `${what} ${fmtNum(value)} ${status === 'veto' ? 'reaches' : 'is within'} the limit of ${fmtNum(limit)}` });
  };
  if (r.restrictedSymbols.length > 0) {
    const hit = r.restrictedSymbols.includes(i.symbol);
    out.push({ rule: 'restricted_symbols', status: hit ? 'veto' : 'ok', value: i.symbol, limit: r.restrictedSymbols.join(','), detail: hit ? `${i.symbol} is on the tenant's restricted list` : `${i.symbol} is not restricted` });
  }
  if (r.tradingHours) {
    const h = r.tradingHours;
    const inside = withinHours(h, i.at);
    const when = new Date(i.at).toISOString().slice(0, 16) + 'Z';
    out.push({ rule: 'trading_hours', status: inside ? 'ok' : 'veto', value: when, limit: `${h.from}-${h.to} UTC on days ${h.days.join(',')}`, detail: `${when} is ${inside ? 'inside' : 'outside'} trading hours ${h.from}–${h.to} UTC (days ${h.days.join(',')})` });
  }
  const b = i.book;
  if (b) {
    if (r.maxDailyLoss !== null && b.dayStartEquity !== null && b.dayStartEquity > 0) limitCheck('max_daily_loss', Math.max(0, (b.dayStartEquity - b.equity) / b.dayStartEquity), r.maxDailyLoss, "today's loss (fraction of the day's starting equity)");
    const pos = b.positions.get(i.symbol);
    limitCheck('max_position_lots', Math.abs(pos?.lots ?? 0), r.maxPositionLots, `${i.symbol} position (lots)`);
    limitCheck('max_symbol_exposure', Math.abs(pos?.notional ?? 0), r.maxSymbolExposure, `${i.symbol} exposure`);
    let total = 0;
    for (const p of b.positions.values()) total += Math.abs(p.notional);
    limitCheck('max_total_exposure', total, r.maxTotalExposure, 'total exposure');
    if (b.equity > 0) limitCheck('max_leverage', total / b.equity, r.maxLeverage, 'leverage (exposure / equity)');
    else if (r.maxLeverage !== null && total > 0) out.push({ rule: 'max_leverage', status: 'veto', value: null, limit: r.maxLeverage, detail: 'equity is not positive: any exposure is beyond the leverage limit' });
  }
  limitCheck('max_orders_per_minute', i.ordersLastMinute, r.maxOrdersPerMinute, 'orders in the last minute');
  // overrides turn a veto into a warning
  for (const c of out) {
    if (c.status !== 'veto') continue;
    const o = i.overrides.find((x) => x.rule === c.rule && x.until > i.at && (x.symbol === null || x.symbol === i.symbol));
    if (o) {
      c.status = 'overridden';
      c.override = o;
      c.detail += ` — overridden by ${o.by} until ${new Date(o.until).toISOString().slice(0, 16)}Z: ${o.reason}`;
    }
  }
  return out;
}
