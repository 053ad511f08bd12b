/**
 * The tier catalogue: what each plan unlocks and its limits. One source for
 * rate limiting (api), entitlements (subscription), the dashboard's Plan page
 * and billing. Prices in IDR (Midtrans) and USD for display.
 */
export const TIERS = ['free', 'pro', 'enterprise'] as const;
export type Tier = (typeof TIERS)[number];

export type Feature =
  | 'paper_trading'
  | 'live_trading'
  | 'backtests'
  | 'optimization'
  | 'neural_ensemble'
  | 'flowchain'
  | 'telegram'
  | 'api_access'
  | 'custom_agents_config';

export interface TierSpec {
  tier: Tier;
  title: string;
  priceUsdMonthly: number;
  priceIdrMonthly: number;
  /** Sustained API requests per minute per tenant (token bucket; burst = one minute's worth / 4). */
  requestsPerMinute: number;
  /** Symbols a tenant may trade and receive decisions for. */
  maxSymbols: number;
  /** Orders per day across all symbols. */
  maxOrdersPerDay: number;
  /** Backtest jobs per day. */
  maxBacktestsPerDay: number;
  /** MT5 accounts connected at once. */
  maxMt5Accounts: number;
  features: Feature[];
}

export const TIER_CATALOGUE: Record<Tier, TierSpec> = {
  free: {
    tier: 'free', title: 'Free', priceUsdMonthly: 0, priceIdrMonthly: 0,
    requestsPerMinute: 120, maxSymbols: 2, maxOrdersPerDay: 50, maxBacktestsPerDay: 5, maxMt5Accounts: 1,
    features: ['paper_trading', 'backtests', 'api_access'],
  },
  pro: {
    tier: 'pro', title: 'Pro', priceUsdMonthly: 49, priceIdrMonthly: 790_000,
    requestsPerMinute: 1200, maxSymbols: 20, maxOrdersPerDay: 2000, maxBacktestsPerDay: 200, maxMt5Accounts: 3,
    features: ['paper_trading', 'live_trading', 'backtests', 'optimization', 'flowchain', 'telegram', 'api_access', 'custom_agents_config'],
  },
  enterprise: {
    tier: 'enterprise', title: 'Enterprise', priceUsdMonthly: 499, priceIdrMonthly: 7_990_000,
    requestsPerMinute: 12_000, maxSymbols: 500, maxOrdersPerDay: 100_000, maxBacktestsPerDay: 10_000, maxMt5Accounts: 50,
    features: ['paper_trading', 'live_trading', 'backtests', 'optimization', 'neural_ensemble', 'flowchain', 'telegram', 'api_access', 'custom_agents_config'],
  },
};

export function isTier(x: unknown): x is Tier {
  return typeof x === 'string' && (TIERS as readonly string[]).includes(x);
}

export function hasFeature(tier: Tier, f: Feature): boolean {
  return TIER_CATALOGUE[tier].features.includes(f);
}
