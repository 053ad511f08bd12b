/**
 * The `/ws` protocol of the `stream` service (JSON text frames, one message each).
 * The dashboard and any other client speak it; the server never sends anything
 * the client did not subscribe to, apart from protocol replies.
 *
 * Topics:
 * - `ticks:<symbol>`            data: `TicksReceivedEvent` `{symbol, ticks}` (batches as ingested)
 * - `candles:<symbol>:<tf>`     data: `Candle` (closed bars)
 * - `decisions:<symbol>`        data: `Decision` (tenant-owned)
 * - `orders`                    data: `{event: 'order.filled'|…, tenantId, order, …}` (tenant-owned)
 * - `positions`                 data: `{event: 'position.changed', tenantId, position, change}` (tenant-owned)
 * - `flowchain:<chain>`         data: `FlowChainUpdated` `{chain, tenantId, stats}` (tenant-owned)
 * - `backtests:<id>`            data: `{event: 'backtest.progress'|…, id, …}` (tenant-owned when it names a tenant)
 *
 * Tenant-owned topics deliver only events of the subscriber's own tenant.
 */

/** Client → server. `id` (optional) is echoed in the reply. */
export type StreamClientMessage =
  | { type: 'auth'; key: string; id?: string | number }
  | { type: 'subscribe'; topics: string[] | string; id?: string | number }
  | { type: 'unsubscribe'; topics: string[] | string; id?: string | number }
  | { type: 'ping'; id?: string | number };

/** Server → client. */
export type StreamServerMessage =
  | { type: 'ready'; tenantId: string; tier: string; role: string; id?: string | number }
  | { type: 'subscribed'; topics: string[]; id?: string | number }
  | { type: 'unsubscribed'; topics: string[]; id?: string | number }
  | { type: 'pong'; time: number; id?: string | number }
  | { type: 'event'; topic: string; data: unknown }
  | { type: 'error'; code: StreamErrorCode; message: string; topic?: string; id?: string | number };

export type StreamErrorCode = 'UNAUTHENTICATED' | 'BAD_MESSAGE' | 'BAD_TOPIC' | 'TOO_MANY_TOPICS' | 'AUTH_UNAVAILABLE';

/** WebSocket close codes the server uses. */
export const STREAM_CLOSE = {
  /** Server shutting down. */
  GOING_AWAY: 1001,
  /** Slow consumer: the client's send buffer passed the limit (RFC 6455 "try again later"). */
  TRY_AGAIN_LATER: 1013,
  /** Missing, wrong or revoked API key, or no auth within the deadline. */
  UNAUTHORIZED: 4401,
} as const;
