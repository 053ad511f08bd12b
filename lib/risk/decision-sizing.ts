/**
 * Turning a buy/sell decision into a sized order with protective stops, by the tenant's
 * sizing policy:
 * - `fixed`: `volume` lots;
 * - `fixed_fraction`: lose `riskFraction` of equity at an SL `stopPoints` away;
 * - `volatility`: lose `riskFraction` of equity per `atrMultiple`·ATR (ATR = the first
 *   `features.atr` among the decision's opinions); the SL is placed at that distance;
 *   without an ATR it falls back to fixed_fraction;
 * - `kelly`: Kelly fraction with win rate = the decision's probability of its action and
 *   payoff = takeProfitPoints / stopPoints (1 when no TP), times `kellyFraction`, capped
 *   at `riskFraction`, lost at an SL `stopPoints` away.
 * Entry is the ask for buys and the bid for sells; SL/TP are rounded to the symbol's digits.
 */
import type { Decision } from '../../types/agents';
import type { Quote, Side, SymbolSpec } from '../../types/trading';
import { quoteToAccount } from '../trading/positions';
import type { SizingPolicy } from './limits';
import { fixedFractionSize, kellySize, roundVolume, volatilityTargetSize, VolumeSpec } from './sizing';

export interface SizedOrder {
  volume: number;
  sl?: number;
  tp?: number;
  details: Record<string, unknown>;
}

function volumeSpec(spec: SymbolSpec): VolumeSpec {
  return { contractSize: spec.trade_contract_size, volumeMin: spec.volume_min, volumeMax: spec.volume_max, volumeStep: spec.volume_step };
}

/** The first positive `features.atr` among the decision's opinions, if any. */
export function decisionAtr(d: Pick<Decision, 'opinions'>): number | null {
  for (const o of d.opinions ?? []) {
    const a = o.features?.atr;
    if (typeof a === 'number' && a > 0 && Number.isFinite(a)) return a;
  }
  return null;
}

export function sizeDecision(
  policy: SizingPolicy,
  d: Pick<Decision, 'action' | 'p' | 'opinions'>,
  ctx: { equity: number; spec: SymbolSpec; quote: Quote; accountCurrency: string },
): SizedOrder {
  const side: Side = d.action === 'sell' ? 'sell' : 'buy';
  const entry = side === 'buy' ? ctx.quote.ask : ctx.quote.bid;
  const dir = side === 'buy' ? 1 : -1;
  const vs = volumeSpec(ctx.spec);
  const q2a = quoteToAccount(ctx.spec, ctx.accountCurrency, entry);
  const pt = ctx.spec.point;
  const px = (x: number) => Number(x.toFixed(ctx.spec.digits));
  const stops = (stopDistance: number | null) => {
    const out: { sl?: number; tp?: number } = {};
    if (stopDistance !== null) out.sl = px(entry - dir * stopDistance);
    if (policy.takeProfitPoints !== null) out.tp = px(entry + dir * policy.takeProfitPoints * pt);
    return out;
  };
  const stopDistance = policy.stopPoints !== null ? policy.stopPoints * pt : null;
  let method = policy.method;
  const atr = decisionAtr(d);
  if (method === 'volatility' && atr === null) method = stopDistance !== null ? 'fixed_fraction' : 'fixed';
  if ((method === 'fixed_fraction' || method === 'kelly') && stopDistance === null) method = 'fixed';

  if (method === 'volatility' && atr !== null) {
    const r = volatilityTargetSize({ equity: ctx.equity, targetFraction: policy.riskFraction, atr, atrMultiple: policy.atrMultiple, spec: vs, quoteToAccount: q2a });
    return { volume: r.volume, ...stops(policy.atrMultiple * atr), details: { method, atr, raw: r.raw, riskAmount: r.riskAmount, note: r.note } };
  }
  if (method === 'fixed_fraction' && stopDistance !== null) {
    const r = fixedFractionSize({ equity: ctx.equity, riskFraction: policy.riskFraction, stopDistance, spec: vs, quoteToAccount: q2a });
    return { volume: r.volume, ...stops(stopDistance), details: { method, raw: r.raw, riskAmount: r.riskAmount, note: r.note } };
  }
  if (method === 'kelly' && stopDistance !== null) {
    const winRate = Math.min(1, Math.max(0, side === 'buy' ? d.p.buy : d.p.sell));
    const payoff = policy.takeProfitPoints !== null && policy.stopPoints !== null ? policy.takeProfitPoints / policy.stopPoints : 1;
    const r = kellySize({ winRate, payoff, fraction: policy.kellyFraction, cap: policy.riskFraction, equity: ctx.equity, stopDistance, spec: vs, quoteToAccount: q2a });
    return { volume: r.volume, ...stops(stopDistance), details: { method, winRate, payoff, kelly: r.kelly, raw: r.raw, riskAmount: r.riskAmount, note: r.note } };
  }
  const r = roundVolume(policy.volume, vs);
  return { volume: r.volume, ...stops(stopDistance), details: { method: 'fixed', requested: policy.method, note: r.note } };
}
