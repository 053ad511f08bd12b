/**
 * The agent contract (ARCHITECTURE §7). An agent is a pure object: it keeps its
 * own state from the market facts it subscribes to (`update`) and answers
 * `opine(query)` from that state alone. No broker, no clock, no I/O, no
 * randomness: time comes from the data (candle times, `query.asOf`), so the same
 * class runs unchanged under the broker (through `createAgentMixin`) and inside
 * the backtester.
 */
import type { AgentGroup, Decision, Opinion, OpinionQuery } from '../../types/agents';
import type { CalendarEvent, NewsItem, PortfolioSnapshot } from '../../types/events';
import type { Candle, Tick } from '../../types/market';

export type AgentScope = 'market' | 'tenant';

/** Everything an agent can be fed, one variant per broker event name. */
export type AgentEvent =
  | { type: 'candle.closed'; candle: Candle }
  | { type: 'ticks.received'; ticks: Tick[] }
  | { type: 'news.published'; item: NewsItem }
  | { type: 'calendar.published'; events: CalendarEvent[] }
  | { type: 'positions.updated'; snapshot: PortfolioSnapshot }
  | { type: 'decision.made'; decision: Decision }
  | { type: 'regime.changed'; regime: RegimeChange }
  | { type: 'order.updated'; order: OrderUpdate }
  | { type: 'clock'; now: number; loopLagMs?: number }
  | { type: 'requests.observed'; requests: RequestObservation[] }
  | { type: 'notification.sent'; tenantId: string; time: number };

/** One API request of a tenant, from the tracing spans (`flowchain.spans`, kind http). */
export interface RequestObservation {
  tenantId: string;
  /** `GET /api/v1/decisions/:id` */
  op: string;
  durationMs: number;
  error: boolean;
  /** Start, ms. */
  time: number;
}

/** `regime.changed` payload (emitted by the adaptation agent). */
export interface RegimeChange {
  symbol: string;
  tf: import('../../types/market').Timeframe;
  regime: 'trending' | 'ranging' | 'volatile';
  p: { trending: number; ranging: number; volatile: number };
  /** Data time of the reading (close of the bar it was made on). */
  asOf: number;
}

/** What agents read from trading's order events (`order.accepted|filled|rejected|cancelled`). */
export interface OrderUpdate {
  tenantId: string;
  symbol: string;
  side: 'buy' | 'sell';
  volume: number;
  status: string;
  /** Order time, ms. */
  time: number;
}

/** An event an agent asks the runtime to publish (drained after each update). */
export interface Outgoing {
  event: string;
  payload: unknown;
}

export type AgentEventType = AgentEvent['type'];

export const AGENT_EVENT_TYPES: readonly AgentEventType[] = ['candle.closed', 'ticks.received', 'news.published', 'calendar.published', 'positions.updated', 'decision.made', 'regime.changed', 'order.updated', 'clock', 'requests.observed', 'notification.sent'];

/** An opinion before the runtime stamps its latency. */
export type OpinionDraft = Omit<Opinion, 'latencyMs'>;

export interface Agent {
  /** Kebab-case id, unique across the platform: `market-analysis`. */
  readonly id: string;
  readonly group: AgentGroup;
  /** `market`: one opinion per (symbol, tf, candle) shared by every tenant; `tenant`: per tenant. */
  readonly scope: AgentScope;
  /** Event types it wants; the runtime subscribes it to exactly these. */
  readonly events: readonly AgentEventType[];
  /** Fold one fact into the state. Idempotent for a repeated candle (same symbol, tf, t). */
  update(event: AgentEvent): void;
  /** The opinion on `query.symbol`/`query.tf` as of `query.asOf` (default: the latest data seen). */
  opine(query: OpinionQuery): OpinionDraft;
  /** Change parameters (all tenants, or one tenant for tenant-scoped agents); returns the effective config. Throws DomainError on a bad key or value. */
  configure?(patch: Record<string, unknown>, tenantId?: string): Record<string, unknown>;
  /** Effective config (of one tenant for tenant-scoped agents). */
  config?(tenantId?: string): Record<string, unknown>;
  /** A small summary of the state for `status` (symbols tracked, bars held …). */
  snapshot?(): Record<string, unknown>;
  /** Events to publish, taken once (the runtime drains after every update). Keeps the agent free of a broker. */
  drain?(): Outgoing[];
}
