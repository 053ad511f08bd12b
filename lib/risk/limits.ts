/**
 * A tenant's risk limits: one value per named pre-trade check (null switches that check
 * off) and the sizing policy for decisions. Stored per tenant in `risk_limits`.
 *
 * Units: lots for position sizes, account currency for exposures (notional), fractions
 * of equity for losses (0.05 = 5 %), ms for quote age, points for spread and distances.
 */
import { DomainError } from '../errors';

export type SizingMethod = 'fixed' | 'fixed_fraction' | 'volatility' | 'kelly';

export interface SizingPolicy {
  method: SizingMethod;
  /** Lots for `fixed` (and the fallback when a method lacks its inputs). */
  volume: number;
  /** Fraction of equity lost at the stop (fixed_fraction, volatility, Kelly's upper bound). */
  riskFraction: number;
  /** Stop distance in points: places the SL of decision orders and sizes fixed_fraction/kelly. */
  stopPoints: number | null;
  /** Take-profit distance in points (TP of decision orders; Kelly's payoff = tp / stop). */
  takeProfitPoints: number | null;
  /** Risk unit in ATRs for `volatility` (the ATR comes from the decision's opinions' `features.atr`). */
  atrMultiple: number;
  /** Multiplier on full Kelly (0.5 = half Kelly). */
  kellyFraction: number;
}

export interface RiskLimits {
  /** |net lots| per symbol after the order (positions + working orders). */
  maxPositionLots: number | null;
  /** Per-symbol overrides of maxPositionLots. */
  symbolMaxPositionLots: Record<string, number>;
  /** |net notional| of one symbol after the order, account currency. */
  maxSymbolExposure: number | null;
  /** Σ |net notional| over symbols after the order, account currency. */
  maxTotalExposure: number | null;
  /** Total exposure / equity after the order. */
  maxLeverage: number | null;
  /** Loss since the UTC day's start as a fraction of that day's starting equity. */
  maxDailyLoss: number | null;
  /** Drawdown from peak equity that trips the (latched) circuit breaker, fraction. */
  maxDrawdown: number | null;
  /** Orders approved in the last 60 s, including this one. */
  maxOrdersPerMinute: number | null;
  /** Age of the quote (ms since it was received, or since its time when never received). */
  maxQuoteAgeMs: number | null;
  /** (ask − bid) / point. */
  maxSpreadPoints: number | null;
  sizing: SizingPolicy;
  /** Account that decisions trade on (`paper` by default). */
  decisionAccount: string;
  /** Whether `decision.made` events are traded at all. */
  tradeDecisions: boolean;
}

export const DEFAULT_LIMITS: RiskLimits = {
  maxPositionLots: 10,
  symbolMaxPositionLots: {},
  maxSymbolExposure: 1_000_000,
  maxTotalExposure: 3_000_000,
  maxLeverage: 30,
  maxDailyLoss: 0.05,
  maxDrawdown: 0.2,
  maxOrdersPerMinute: 60,
  maxQuoteAgeMs: 60_000,
  maxSpreadPoints: 50,
  sizing: { method: 'fixed_fraction', volume: 0.1, riskFraction: 0.01, stopPoints: 200, takeProfitPoints: 400, atrMultiple: 2, kellyFraction: 0.5 },
  decisionAccount: 'paper',
  tradeDecisions: true,
};

export type RiskLimitsPatch = Partial<Omit<RiskLimits, 'sizing'>> & { sizing?: Partial<SizingPolicy> };

/** Apply a partial update (null clears a limit; omitted keeps it). */
export function mergeLimits(base: RiskLimits, patch: RiskLimitsPatch): RiskLimits {
  const out: RiskLimits = { ...base, symbolMaxPositionLots: { ...base.symbolMaxPositionLots }, sizing: { ...base.sizing } };
  for (const [k, v] of Object.entries(patch)) {
    if (v === undefined || k === 'sizing' || k === 'symbolMaxPositionLots') continue;
    (out as unknown as Record<string, unknown>)[k] = v;
  }
  if (patch.symbolMaxPositionLots) out.symbolMaxPositionLots = { ...patch.symbolMaxPositionLots };
  if (patch.sizing) for (const [k, v] of Object.entries(patch.sizing)) if (v !== undefined) (out.sizing as unknown as Record<string, unknown>)[k] = v;
  return out;
}

function bad(message: string, field: string): never {
  throw new DomainError('CONTRADICTORY_LIMITS', message, 422, { field });
}

function positiveOrNull(field: string, v: number | null): void {
  if (v !== null && !(typeof v === 'number' && Number.isFinite(v) && v > 0)) bad(`${field} must be a positive number or null, got ${v}`, field);
}

function fractionOrNull(field: string, v: number | null): void {
  if (v !== null && !(typeof v === 'number' && v > 0 && v <= 1)) bad(`${field} must be a fraction in (0, 1] or null, got ${v}`, field);
}

/**
 * Validate a complete set of limits; throws CONTRADICTORY_LIMITS (422) naming the field.
 * Contradictions refused: a per-symbol exposure above the total exposure; a daily loss
 * limit above the drawdown breaker (the breaker would always trip first); one trade's
 * planned loss (sizing.riskFraction) above the daily loss limit; a per-symbol position
 * override above what the symbol exposure allows is NOT checked (needs prices).
 */
export function validateLimits(l: RiskLimits): RiskLimits {
  positiveOrNull('maxPositionLots', l.maxPositionLots);
  positiveOrNull('maxSymbolExposure', l.maxSymbolExposure);
  positiveOrNull('maxTotalExposure', l.maxTotalExposure);
  positiveOrNull('maxLeverage', l.maxLeverage);
  fractionOrNull('maxDailyLoss', l.maxDailyLoss);
  fractionOrNull('maxDrawdown', l.maxDrawdown);
  positiveOrNull('maxOrdersPerMinute', l.maxOrdersPerMinute);
  positiveOrNull('maxQuoteAgeMs', l.maxQuoteAgeMs);
  positiveOrNull('maxSpreadPoints', l.maxSpreadPoints);
  for (const [s, v] of Object.entries(l.symbolMaxPositionLots)) positiveOrNull(`symbolMaxPositionLots.${s}`, v);
  const z = l.sizing;
  if (!['fixed', 'fixed_fraction', 'volatility', 'kelly'].includes(z.method)) bad(`sizing.method must be fixed, fixed_fraction, volatility or kelly`, 'sizing.method');
  positiveOrNull('sizing.volume', z.volume);
  fractionOrNull('sizing.riskFraction', z.riskFraction);
  positiveOrNull('sizing.stopPoints', z.stopPoints);
  positiveOrNull('sizing.takeProfitPoints', z.takeProfitPoints);
  positiveOrNull('sizing.atrMultiple', z.atrMultiple);
  positiveOrNull('sizing.kellyFraction', z.kellyFraction);
  if ((z.method === 'fixed_fraction' || z.method === 'kelly') && z.stopPoints === null) bad(`sizing.method ${z.method} needs sizing.stopPoints`, 'sizing.stopPoints');
  if (l.maxSymbolExposure !== null && l.maxTotalExposure !== null && l.maxSymbolExposure > l.maxTotalExposure) {
    bad(`maxSymbolExposure ${l.maxSymbolExposure} exceeds maxTotalExposure ${l.maxTotalExposure}`, 'maxSymbolExposure');
  }
  if (l.maxDailyLoss !== null && l.maxDrawdown !== null && l.maxDailyLoss > l.maxDrawdown) {
    bad(`maxDailyLoss ${l.maxDailyLoss} exceeds maxDrawdown ${l.maxDrawdown}: the drawdown breaker would always trip first`, 'maxDailyLoss');
  }
  if (l.maxDailyLoss !== null && z.method !== 'fixed' && z.riskFraction > l.maxDailyLoss) {
    bad(`sizing.riskFraction ${z.riskFraction} exceeds maxDailyLoss ${l.maxDailyLoss}: one stopped trade would breach the daily limit`, 'sizing.riskFraction');
  }
  if (!l.decisionAccount || typeof l.decisionAccount !== 'string') bad('decisionAccount must name an account', 'decisionAccount');
  return l;
}
