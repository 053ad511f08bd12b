/**
 * Metered usage: what each tier includes per billing period, and what the
 * excess costs. Prices are per block (e.g. per 1,000 decisions); a started
 * block is billed whole, so the amount is `ceil(excess / blockSize) * blockPrice`,
 * exact in minor units. A meter without `overage` is a hard cap: usage above
 * the allowance is refused (subscription.check), never billed — that is how
 * the free tier works.
 */
import { Currency } from './money';
import { ceilDiv } from './money';
import { Tier } from './tiers';

export const METERS = ['decisions', 'orders', 'apiCalls'] as const;
export type Meter = (typeof METERS)[number];
export type Usage = Record<Meter, number>;

export interface MeterSpec {
  /** Units included per billing period. */
  included: number;
  /** Overage pricing; absent → hard cap at `included`. */
  overage?: { blockSize: number; blockPrice: Record<Currency, number> };
}

export const METER_TITLES: Record<Meter, string> = { decisions: 'AI decisions', orders: 'Orders', apiCalls: 'API calls' };

export const USAGE_PLANS: Record<Tier, Record<Meter, MeterSpec>> = {
  free: {
    decisions: { included: 3_000 },
    orders: { included: 1_500 },
    apiCalls: { included: 100_000 },
  },
  pro: {
    decisions: { included: 100_000, overage: { blockSize: 1_000, blockPrice: { IDR: 5_000, USD: 30 } } },
    orders: { included: 60_000, overage: { blockSize: 1_000, blockPrice: { IDR: 10_000, USD: 60 } } },
    apiCalls: { included: 2_000_000, overage: { blockSize: 100_000, blockPrice: { IDR: 15_000, USD: 100 } } },
  },
  enterprise: {
    decisions: { included: 2_000_000, overage: { blockSize: 10_000, blockPrice: { IDR: 25_000, USD: 150 } } },
    orders: { included: 3_000_000, overage: { blockSize: 10_000, blockPrice: { IDR: 50_000, USD: 300 } } },
    apiCalls: { included: 50_000_000, overage: { blockSize: 1_000_000, blockPrice: { IDR: 75_000, USD: 500 } } },
  },
};

export interface UsageCharge {
  meter: Meter;
  used: number;
  included: number;
  excess: number;
  blocks: number;
  blockSize: number;
  blockPrice: number;
  amount: number;
}

export function emptyUsage(): Usage {
  return { decisions: 0, orders: 0, apiCalls: 0 };
}

/**
 * Overage charges for one period's usage on `tier`, in minor units of `currency`.
 * Only meters with billable excess appear. Hard-capped meters never charge.
 */
export function priceUsage(tier: Tier, usage: Usage, currency: Currency): UsageCharge[] {
  const out: UsageCharge[] = [];
  for (const meter of METERS) {
    const spec = USAGE_PLANS[tier][meter];
    const used = usage[meter];
    if (!Number.isSafeInteger(used) || used < 0) throw new RangeError(`usage.${meter} must be a non-negative integer, got ${used}`);
    const excess = Math.max(0, used - spec.included);
    if (!spec.overage || excess === 0) continue;
    const blocks = ceilDiv(excess, spec.overage.blockSize);
    const blockPrice = spec.overage.blockPrice[currency];
    out.push({ meter, used, included: spec.included, excess, blocks, blockSize: spec.overage.blockSize, blockPrice, amount: blocks * blockPrice });
  }
  return out;
}

/**
 * Whether one more unit of `meter` is allowed: true unless the meter is hard-capped
 * and `used` already reached the allowance.
 */
export function withinAllowance(tier: Tier, meter: Meter, used: number): boolean {
  const spec = USAGE_PLANS[tier][meter];
  return Boolean(spec.overage) || used < spec.included;
}
