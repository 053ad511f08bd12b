/**
 * Payloads of the non-market facts agents listen to (ARCHITECTURE §7). Times are
 * ms since epoch, UTC. Prices and sizes in the instrument's own units.
 */

/** One news item (headline plus optional body), as published on `news.published`. */
export interface NewsItem {
  /** Stable id (the feed's guid or a hash of source+title+time); duplicates are ignored. */
  id: string;
  source: string;
  title: string;
  body?: string;
  publishedAt: number;
  /** Symbols or entities the publisher tagged; the agent also finds entities in the text. */
  symbols?: string[];
  url?: string;
}

export type Importance = 'low' | 'medium' | 'high';

/** One economic-calendar entry, as published on `calendar.published` (a batch). */
export interface CalendarEvent {
  id: string;
  /** ISO currency the release concerns: USD, EUR, GBP, JPY … */
  currency: string;
  /** Release name as the calendar spells it: "Non-Farm Employment Change", "ECB Main Refinancing Rate". */
  name: string;
  time: number;
  importance: Importance;
  actual?: number | null;
  forecast?: number | null;
  previous?: number | null;
  unit?: string;
}

/** A tenant's open exposure, as published on `positions.updated` by `trading`. */
export interface PortfolioSnapshot {
  tenantId: string;
  /** Account equity in the account currency. */
  equity: number;
  /** Signed exposure per symbol in account currency (long > 0, short < 0); `volume`: signed lots when known. */
  positions: { symbol: string; notional: number; volume?: number }[];
  /** Highest equity the account has seen (for drawdown), when the source knows it. */
  peakEquity?: number;
  time: number;
  /** Equity at the start of the UTC day, when known (daily-loss rules). */
  dayStartEquity?: number;
}

export type RegimeLabel = 'trending' | 'ranging' | 'volatile';
export const REGIME_LABELS: readonly RegimeLabel[] = ['trending', 'ranging', 'volatile'];

/**
 * `regime.changed`, published by the `adaptation` agent when the most probable
 * regime of a (symbol, tf) changes. `time` is the data time (close of the bar
 * that changed it), `p` the filtered regime probabilities then, `direction` the
 * sign of the trend (−1, 0, +1).
 */
export interface RegimeChange {
  symbol: string;
  tf: import('./market').Timeframe;
  time: number;
  regime: RegimeLabel;
  previous: RegimeLabel | null;
  p: Record<RegimeLabel, number>;
  direction: number;
}

/** `notification.sent`: one message delivered to a tenant (Telegram, e-mail, web push). */
export interface NotificationSent {
  tenantId: string;
  channel: string;
  /** What it was about: `decision`, `fill`, `risk`, `billing` … */
  kind: string;
  time: number;
}
