/**
 * Proration of a tier change in the middle of a billing period, by whole UTC days.
 *
 * Convention: the day of the change counts as a day on the new tier, so
 * `remainingDays = days from the change's UTC day (inclusive) to period end`.
 * `credit` = unused part of the old tier's price, `charge` = the new tier's price
 * for the remaining days, each `price * remainingDays / periodDays` rounded half
 * up to the minor unit, and `net = charge - credit` (> 0: the tenant pays now;
 * < 0: a credit carried to the next invoice).
 */
import { Currency, mulDivRound, tierPriceMinor } from './money';
import { DAY_MS, Period, periodDays } from './period';
import { TIERS, Tier } from './tiers';

export interface Proration {
  from: Tier;
  to: Tier;
  currency: Currency;
  periodDays: number;
  remainingDays: number;
  credit: number;
  charge: number;
  net: number;
  direction: 'upgrade' | 'downgrade' | 'none';
  /** When the change takes effect (ms). */
  effectiveAt: number;
}

export function tierRank(t: Tier): number {
  return TIERS.indexOf(t);
}

export function prorate(from: Tier, to: Tier, period: Period, at: number, currency: Currency): Proration {
  if (at < period.start || at >= period.end) throw new RangeError(`change time ${at} is outside the period [${period.start}, ${period.end})`);
  const total = periodDays(period);
  const changeDay = Math.floor((at - period.start) / DAY_MS);
  const remaining = total - changeDay;
  const credit = mulDivRound(tierPriceMinor(from, currency), remaining, total);
  const charge = mulDivRound(tierPriceMinor(to, currency), remaining, total);
  const r = tierRank(to) - tierRank(from);
  return { from, to, currency, periodDays: total, remainingDays: remaining, credit, charge, net: charge - credit, direction: r > 0 ? 'upgrade' : r < 0 ? 'downgrade' : 'none', effectiveAt: at };
}
