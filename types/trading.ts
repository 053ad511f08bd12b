/**
 * Orders, fills, positions and quotes crossing service boundaries (ARCHITECTURE §5).
 * Prices are in the symbol's quote currency, volumes in lots, money in the account
 * currency, times in ms since epoch UTC.
 */

export type Side = 'buy' | 'sell';
export type OrderType = 'market' | 'limit' | 'stop';
export const ORDER_TYPES: readonly OrderType[] = ['market', 'limit', 'stop'];

/**
 * `new` = persisted, not yet known to the broker; `unknown` = sent to MT5 and the
 * outcome was lost (timeout) until reconciled from the EA's snapshots.
 */
export type OrderStatus = 'new' | 'accepted' | 'partially_filled' | 'filled' | 'rejected' | 'cancelled' | 'expired' | 'unknown';
export const ORDER_STATUSES: readonly OrderStatus[] = ['new', 'accepted', 'partially_filled', 'filled', 'rejected', 'cancelled', 'expired', 'unknown'];

export type BrokerKind = 'paper' | 'mt5';
/** MT5 ACCOUNT_MARGIN_MODE: one position per symbol (netting) or many (hedging). */
export type AccountMode = 'netting' | 'hedging';

/** Latest quote of a symbol (MqlTick names). */
export interface Quote {
  symbol: string;
  bid: number;
  ask: number;
  time_msc: number;
}

/** What trading needs of a symbol's specification (MT5 SYMBOL_* names, lower-cased). */
export interface SymbolSpec {
  name: string;
  digits: number;
  point: number;
  trade_contract_size: number;
  volume_min: number;
  volume_max: number;
  volume_step: number;
  /** Minimal SL/TP distance from the price, in points (0 = none). */
  trade_stops_level?: number;
  currency_base?: string;
  currency_profit?: string;
}

/** A sized order as `risk` hands it to `trading.submit`. */
export interface OrderIntent {
  /** Trading account id; `paper` (the default) is the tenant's paper account. */
  account?: string;
  symbol: string;
  side: Side;
  type: OrderType;
  volume: number;
  /** Limit or stop price (required for limit and stop orders). */
  price?: number;
  sl?: number;
  tp?: number;
  /** Trailing-stop distance in price units. */
  trailing?: number;
  /** Hedging accounts: the position this order closes (opposite side). */
  positionId?: string;
  /** Pending orders expire at this time (ms). */
  expiresAt?: number;
  comment?: string;
}

export interface RiskCheckResult {
  /** Stable name: max_position, daily_loss, stale_data … */
  name: string;
  passed: boolean;
  /** Skipped when its limit is not configured or it does not apply. */
  skipped?: boolean;
  /** What was measured against the limit. */
  value?: number | string | null;
  limit?: number | string | null;
  reason?: string;
}

/** The risk verdict an order carries (what ran and how each check ended). */
export interface RiskStamp {
  evaluationId: string;
  checks: RiskCheckResult[];
  sizing?: Record<string, unknown>;
}

export interface SubmitParams {
  tenantId: string;
  /** Decision id for decisions, the client's Idempotency-Key for manual orders. */
  idempotencyKey: string;
  decisionId?: string | null;
  intent: OrderIntent;
  risk?: RiskStamp;
}

export interface OrderHistoryEntry {
  status: OrderStatus;
  at: number;
  note?: string;
}

export interface Order {
  id: string;
  tenantId: string;
  accountId: string;
  idempotencyKey: string;
  decisionId: string | null;
  symbol: string;
  side: Side;
  type: OrderType;
  volume: number;
  price: number | null;
  sl: number | null;
  tp: number | null;
  trailing: number | null;
  positionId: string | null;
  status: OrderStatus;
  filledVolume: number;
  avgPrice: number | null;
  /** Broker's ticket (MT5 order ticket) when known. */
  brokerOrder: string | null;
  reason: string | null;
  comment: string | null;
  /** Why the engine created it: client/decision, or `sl`, `tp`, `stop_out` for protective closes. */
  origin: string;
  risk: RiskStamp | null;
  history: OrderHistoryEntry[];
  createdAt: number;
  updatedAt: number;
  expiresAt: number | null;
}

export interface Fill {
  id: string;
  tenantId: string;
  accountId: string;
  orderId: string;
  symbol: string;
  side: Side;
  volume: number;
  price: number;
  commission: number;
  /** Realised P&L of the volume this fill closed (account currency, before commission). */
  realizedPnl: number;
  positionId: string;
  /** Broker deal ticket (MT5) when known. */
  deal: string | null;
  time: number;
}

export interface Position {
  id: string;
  tenantId: string;
  accountId: string;
  symbol: string;
  side: Side;
  volume: number;
  priceOpen: number;
  sl: number | null;
  tp: number | null;
  trailing: number | null;
  status: 'open' | 'closed';
  realizedPnl: number;
  /** Broker position ticket (MT5) when known. */
  ticket: string | null;
  openedAt: number;
  updatedAt: number;
  closedAt: number | null;
}

export interface Account {
  tenantId: string;
  id: string;
  broker: BrokerKind;
  mode: AccountMode;
  currency: string;
  balance: number;
  /** Equity at the start of the current UTC day. */
  dayStartEquity: number;
  /** UTC day (YYYY-MM-DD) `dayStartEquity` belongs to. */
  day: string;
  /** Highest equity seen. */
  peakEquity: number;
}

/** What risk reads from trading to run its checks (one tenant, one account). */
export interface Book {
  account: Account;
  /** balance + unrealised P&L at the latest quotes. */
  equity: number;
  positions: Position[];
  /** Working (accepted, not yet filled) orders' remaining volume by symbol, signed (+buy, −sell). */
  pendingBySymbol: Record<string, number>;
  /** The quotes positions were marked at. */
  quotes: Record<string, { bid: number; ask: number }>;
}

/** `order.filled`, `order.rejected`, `order.accepted`, `order.cancelled` payload. */
export interface OrderEvent {
  tenantId: string;
  order: Order;
  fill?: Fill;
  position?: Position;
}

/** `position.changed` payload. */
export interface PositionEvent {
  tenantId: string;
  position: Position;
  /** opened, increased, reduced, closed, reversed, modified. */
  change: string;
}
