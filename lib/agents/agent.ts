/**
 * The agent contract (ARCHITECTURE §7). An agent is a pure object: it keeps its
 * own state from the market facts it subscribes to (`update`) and answers
 * `opine(query)` from that state alone. No broker, no clock, no I/O, no
 * randomness: time comes from the data (candle times, `query.asOf`), so the same
 * class runs unchanged under the broker (through `createAgentMixin`) and inside
 * the backtester.
 */
import type { AgentGroup, Decision, Opinion, OpinionQuery } from '../../types/agents';
import type { CalendarEvent, NewsItem, NotificationSent, PortfolioSnapshot, RegimeChange } from '../../types/events';
import type { SpanBatch } from '../../types/flowchain';
import type { Candle, Tick } from '../../types/market';
import type { Fill, Order } from '../../types/trading';

export type AgentScope = 'market' | 'tenant';

/** Everything an agent can be fed, one variant per broker event name. */
export type AgentEvent =
  | { type: 'candle.closed'; candle: Candle }
  | { type: 'ticks.received'; ticks: Tick[] }
  | { type: 'news.published'; item: NewsItem }
  | { type: 'calendar.published'; events: CalendarEvent[] }
  | { type: 'positions.updated'; snapshot: PortfolioSnapshot }
  | { type: 'decision.made'; decision: Decision }
  | { type: 'order.accepted'; order: Order }
  | { type: 'order.filled'; order: Order; fill?: Fill }
  | { type: 'regime.changed'; change: RegimeChange }
  | { type: 'notification.sent'; notification: NotificationSent }
  | { type: 'flowchain.spans'; batch: SpanBatch };

export type AgentEventType = AgentEvent['type'];

export const AGENT_EVENT_TYPES: readonly AgentEventType[] = [
  'candle.closed',
  'ticks.received',
  'news.published',
  'calendar.published',
  'positions.updated',
  'decision.made',
  'order.accepted',
  'order.filled',
  'regime.changed',
  'notification.sent',
  'flowchain.spans',
];

/**
 * A fact an agent derived from what it was fed (`regime.changed`,
 * `agents.reliability.updated`), handed to the runtime to publish. Broadcast
 * facts reach every instance of every listening service (state that each
 * instance must hold, such as reliabilities); the others are emitted once per
 * service group.
 */
export interface AgentFact {
  event: string;
  payload: unknown;
  broadcast?: boolean;
}

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
  /** Facts derived since the last call, oldest first; the runtime publishes them after each `update`. */
  drainFacts?(): AgentFact[];
  /**
   * Work that improves later opinions but that no opinion waits for (a model refit). An
   * agent queues it in `update` and does what is still queued at the start of its next
   * `update`, so what it says never depends on whether, or when, `maintain` ran; the
   * runtime calls `maintain` once the agent has answered for the bar (or a while after the
   * bar when nobody asks), so the work is off the decision's path.
   */
  maintain?(): void;
  /** True while `maintain` has work queued. */
  maintenanceDue?(): boolean;
}
