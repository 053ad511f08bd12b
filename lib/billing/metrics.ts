/**
 * SaaS metrics over subscriptions. Money results (MRR, ARPU) are in minor
 * units; ARPU is rounded half up to the minor unit. Ratios (churn) are plain
 * fractions in [0, 1]; LTV = ARPU / monthly churn (minor units, rounded; null
 * when churn is 0, i.e. unbounded); CAC payback = CAC / (ARPU × gross margin)
 * in months (null when that is 0).
 */
import { Currency, mulDivRound, tierPriceMinor } from './money';
import { Tier } from './tiers';

export interface SubscriptionFact {
  tier: Tier;
  /** ms; when the subscription began. */
  startedAt: number;
  /** ms; when it was cancelled, or null while active. */
  cancelledAt: number | null;
}

function activeAt(s: SubscriptionFact, t: number): boolean {
  return s.startedAt <= t && (s.cancelledAt === null || s.cancelledAt > t);
}

/** Monthly recurring revenue at time `t`: the sum of list prices of subscriptions active then. */
export function mrr(subs: SubscriptionFact[], t: number, currency: Currency): number {
  return subs.filter((s) => activeAt(s, t)).reduce((sum, s) => sum + tierPriceMinor(s.tier, currency), 0);
}

/**
 * Average revenue per account at `t`. `payingOnly` (default false) divides by
 * paying accounts instead of all active ones. 0 when there are none.
 */
export function arpu(subs: SubscriptionFact[], t: number, currency: Currency, payingOnly = false): number {
  const act = subs.filter((s) => activeAt(s, t) && (!payingOnly || tierPriceMinor(s.tier, currency) > 0));
  if (act.length === 0) return 0;
  return mulDivRound(mrr(act, t, currency), 1, act.length);
}

/**
 * Churn rate over [from, to): accounts active at `from` that cancelled before `to`,
 * divided by accounts active at `from`. 0 when none were active.
 */
export function churnRate(subs: SubscriptionFact[], from: number, to: number): number {
  const base = subs.filter((s) => activeAt(s, from));
  if (base.length === 0) return 0;
  const lost = base.filter((s) => s.cancelledAt !== null && s.cancelledAt < to).length;
  return lost / base.length;
}

/** Lifetime value = ARPU / churn (minor units, rounded); null when churn is 0. */
export function ltv(arpuMinor: number, churn: number): number | null {
  if (churn <= 0) return null;
  return Math.round(arpuMinor / churn);
}

/** Months to earn back a customer acquisition cost: CAC / (ARPU × grossMargin); null when that margin is 0. */
export function cacPaybackMonths(cacMinor: number, arpuMinor: number, grossMargin = 1): number | null {
  const monthly = arpuMinor * grossMargin;
  if (monthly <= 0) return null;
  return cacMinor / monthly;
}
