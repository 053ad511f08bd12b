/**
 * Data access for trading: accounts, orders, fills, positions. SQL only; no rules.
 * Every query on tenant-owned rows filters by tenant_id, except the engine's
 * start-up scans (recovery, SL/TP index), which are documented as cross-tenant.
 */
import { prepared, type Queryable, type Row } from '../../lib/storage/db';
import type { Account, BrokerKind, Fill, Order, OrderHistoryEntry, OrderStatus, Position, RiskStamp } from '../../types/trading';

const num = (v: unknown): number => (v === null || v === undefined ? NaN : Number(v));
const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
const strOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

export function toOrder(r: Row): Order {
  return {
    id: String(r.id),
    tenantId: String(r.tenant_id),
    accountId: String(r.account_id),
    idempotencyKey: String(r.idempotency_key),
    decisionId: strOrNull(r.decision_id),
    symbol: String(r.symbol),
    side: r.side as Order['side'],
    type: r.type as Order['type'],
    volume: num(r.volume),
    price: numOrNull(r.price),
    sl: numOrNull(r.sl),
    tp: numOrNull(r.tp),
    trailing: numOrNull(r.trailing_stop),
    positionId: strOrNull(r.position_id),
    status: r.status as OrderStatus,
    filledVolume: num(r.filled_volume),
    avgPrice: numOrNull(r.avg_price),
    brokerOrder: strOrNull(r.broker_order),
    reason: strOrNull(r.reason),
    comment: strOrNull(r.comment),
    origin: String(r.origin),
    risk: (r.risk as RiskStamp | null) ?? null,
    history: (r.history as OrderHistoryEntry[]) ?? [],
    createdAt: num(r.created_at),
    updatedAt: num(r.updated_at),
    expiresAt: numOrNull(r.expires_at),
  };
}

export function toFill(r: Row): Fill {
  return {
    id: String(r.id),
    tenantId: String(r.tenant_id),
    accountId: String(r.account_id),
    orderId: String(r.order_id),
    symbol: String(r.symbol),
    side: r.side as Fill['side'],
    volume: num(r.volume),
    price: num(r.price),
    commission: num(r.commission),
    realizedPnl: num(r.realized_pnl),
    positionId: String(r.position_id),
    deal: strOrNull(r.deal),
    time: num(r.time),
  };
}

export function toPosition(r: Row): Position {
  return {
    id: String(r.id),
    tenantId: String(r.tenant_id),
    accountId: String(r.account_id),
    symbol: String(r.symbol),
    side: r.side as Position['side'],
    volume: num(r.volume),
    priceOpen: num(r.price_open),
    sl: numOrNull(r.sl),
    tp: numOrNull(r.tp),
    trailing: numOrNull(r.trailing_stop),
    status: r.status as Position['status'],
    realizedPnl: num(r.realized_pnl),
    ticket: strOrNull(r.ticket),
    openedAt: num(r.opened_at),
    updatedAt: num(r.updated_at),
    closedAt: numOrNull(r.closed_at),
  };
}

export interface AccountRow extends Account {
  settings: Record<string, unknown>;
}

export function toAccount(r: Row): AccountRow {
  return {
    tenantId: String(r.tenant_id),
    id: String(r.id),
    broker: r.broker as BrokerKind,
    mode: r.mode as Account['mode'],
    currency: String(r.currency),
    balance: num(r.balance),
    dayStartEquity: num(r.day_start_equity),
    day: String(r.day),
    peakEquity: num(r.peak_equity),
    settings: (r.settings as Record<string, unknown>) ?? {},
  };
}

const DAY_MS = 86_400_000;
/** The last day formatted, kept: risk reads the book (and so the day) on every order. */
let lastDay = { start: 0, end: 0, text: '' };

/** `YYYY-MM-DD` of the UTC day of `ms`. */
export function utcDay(ms: number): string {
  if (ms >= lastDay.start && ms < lastDay.end) return lastDay.text;
  const start = Math.floor(ms / DAY_MS) * DAY_MS;
  const text = new Date(ms).toISOString().slice(0, 10);
  lastDay = { start, end: start + DAY_MS, text };
  return text;
}

// ------------------------------------------------------------------ accounts

export async function getAccount(q: Queryable, tenantId: string, id: string, forUpdate = false): Promise<AccountRow | null> {
  const rows = await q.query(`SELECT * FROM trading_accounts WHERE tenant_id = $1 AND id = $2${forUpdate ? ' FOR UPDATE' : ''}`, [tenantId, id]);
  return rows.length ? toAccount(rows[0]) : null;
}

export async function createAccount(
  q: Queryable,
  a: { tenantId: string; id: string; broker: BrokerKind; mode: Account['mode']; currency: string; balance: number; settings?: Record<string, unknown> },
  now: number,
): Promise<AccountRow> {
  await q.query(
    `INSERT INTO trading_accounts (tenant_id, id, broker, mode, currency, balance, day_start_equity, day, peak_equity, settings, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $6, $7, $6, $8, $9, $9) ON CONFLICT (tenant_id, id) DO NOTHING`,
    [a.tenantId, a.id, a.broker, a.mode, a.currency, a.balance, utcDay(now), JSON.stringify(a.settings ?? {}), now],
  );
  const acc = await getAccount(q, a.tenantId, a.id);
  if (!acc) throw new Error(`account ${a.tenantId}/${a.id} vanished after insert`);
  return acc;
}

export async function listAccounts(q: Queryable, tenantId: string): Promise<AccountRow[]> {
  return (await q.query('SELECT * FROM trading_accounts WHERE tenant_id = $1 ORDER BY id', [tenantId])).map(toAccount);
}

/** Accounts of a broker with this id across tenants (an MT5 login belongs to one tenant). */
export async function accountsByBrokerId(q: Queryable, broker: BrokerKind, id: string): Promise<AccountRow[]> {
  return (await q.query('SELECT * FROM trading_accounts WHERE broker = $1 AND id = $2', [broker, id])).map(toAccount);
}

export async function updateAccountSettings(q: Queryable, tenantId: string, id: string, patch: { mode?: string; settings?: Record<string, unknown>; balance?: number }, now: number): Promise<void> {
  await q.query(
    `UPDATE trading_accounts SET mode = coalesce($3, mode), settings = coalesce($4::jsonb, settings),
       balance = coalesce($5, balance), day_start_equity = coalesce($5, day_start_equity), peak_equity = coalesce($5, peak_equity), updated_at = $6
     WHERE tenant_id = $1 AND id = $2`,
    [tenantId, id, patch.mode ?? null, patch.settings ? JSON.stringify(patch.settings) : null, patch.balance ?? null, now],
  );
}

export async function saveEquityMarks(q: Queryable, tenantId: string, id: string, m: { dayStartEquity: number; day: string; peakEquity: number }, now: number): Promise<void> {
  await q.query('UPDATE trading_accounts SET day_start_equity = $3, day = $4, peak_equity = $5, updated_at = $6 WHERE tenant_id = $1 AND id = $2', [tenantId, id, m.dayStartEquity, m.day, m.peakEquity, now]);
}

export async function setBalance(q: Queryable, tenantId: string, id: string, balance: number, now: number): Promise<void> {
  await q.query('UPDATE trading_accounts SET balance = $3, updated_at = $4 WHERE tenant_id = $1 AND id = $2', [tenantId, id, balance, now]);
}

export async function addToBalance(q: Queryable, tenantId: string, id: string, delta: number, now: number): Promise<number> {
  const rows = await q.query<{ balance: number }>('UPDATE trading_accounts SET balance = balance + $3, updated_at = $4 WHERE tenant_id = $1 AND id = $2 RETURNING balance', [tenantId, id, delta, now]);
  return Number(rows[0].balance);
}

// ------------------------------------------------------------------ orders

export interface NewOrderRow {
  id: string;
  tenantId: string;
  accountId: string;
  idempotencyKey: string;
  requestHash: string;
  decisionId: string | null;
  symbol: string;
  side: string;
  type: string;
  volume: number;
  price: number | null;
  sl: number | null;
  tp: number | null;
  trailing: number | null;
  positionId: string | null;
  comment: string | null;
  origin: string;
  risk: RiskStamp | null;
  createdAt: number;
  expiresAt: number | null;
  /** Status to insert with (engine-made protective orders start `new` too). */
  status?: OrderStatus;
}

/**
 * Advisory-lock class of order intake: a trading node that takes the session lock
 * (ORDER_LOCK_CLASS, hashtext(tenant_id)) owns the tenant's order intake (see intake.ts).
 */
export const ORDER_LOCK_CLASS = 1347177010;

/**
 * The order insert, guarded: it writes only if no other session owns the tenant's intake
 * (the shared transaction-level lock conflicts with another session's exclusive one, and
 * never with the owner's own). Zero rows back means another node owns the tenant.
 */
export const INSERT_ORDER = prepared('orders.insert.guarded', `INSERT INTO orders (id, tenant_id, account_id, idempotency_key, request_hash, decision_id, symbol, side, type, volume, price, sl, tp, trailing_stop,
                         position_id, status, comment, origin, risk, history, created_at, updated_at, expires_at)
     SELECT $1::text, $2::text, $3::text, $4::text, $5::text, $6::text, $7::text, $8::text, $9::text, $10::numeric, $11::numeric, $12::numeric, $13::numeric, $14::numeric,
            $15::text, $16::text, $17::text, $18::text, $19::json, $20::jsonb, $21::bigint, $21::bigint, $22::bigint
     WHERE pg_try_advisory_xact_lock_shared(${ORDER_LOCK_CLASS}, hashtext($2::text))
     RETURNING 1 AS ok`);

/** The unique key that makes an idempotency key name one order per tenant. */
const IDEMPOTENCY_KEY_CONSTRAINT = 'orders_tenant_id_idempotency_key_key';

/** A unique violation of the idempotency key (the order already exists). */
export function isKeyTaken(e: unknown): boolean {
  const err = e as { code?: string; constraint?: string; message?: string };
  return err?.code === '23505' && (err.constraint ?? err.message ?? '').includes(IDEMPOTENCY_KEY_CONSTRAINT);
}

/** The guarded insert wrote nothing: another session owns the tenant's order intake. */
export class IntakeOwnedElsewhere extends Error {
  constructor(readonly tenantId: string) {
    super(`another trading node owns the order intake of tenant ${tenantId}`);
  }
}

/** The order a `new` row becomes (what the insert writes, not read back). */
export function newOrderOf(o: NewOrderRow): Order {
  const status = o.status ?? 'new';
  return {
    id: o.id, tenantId: o.tenantId, accountId: o.accountId, idempotencyKey: o.idempotencyKey, decisionId: o.decisionId,
    symbol: o.symbol, side: o.side as Order['side'], type: o.type as Order['type'], volume: o.volume, price: o.price, sl: o.sl, tp: o.tp, trailing: o.trailing,
    positionId: o.positionId, status, filledVolume: 0, avgPrice: null, brokerOrder: null, reason: null, comment: o.comment, origin: o.origin,
    risk: o.risk, history: [{ status, at: o.createdAt }], createdAt: o.createdAt, updatedAt: o.createdAt, expiresAt: o.expiresAt,
  };
}

/** An order nothing has filled or routed yet, from the fields it was written with (a journal record's, a handed-over one's). */
export function unfilledOrder(o: Omit<Order, 'filledVolume' | 'avgPrice' | 'brokerOrder' | 'reason' | 'updatedAt'>): Order {
  return { ...o, filledVolume: 0, avgPrice: null, brokerOrder: null, reason: null, updatedAt: o.createdAt };
}

/** Parameters of INSERT_ORDER for an order built by `newOrderOf`. */
export function insertParams(o: Order, requestHash: string): unknown[] {
  return [
    o.id, o.tenantId, o.accountId, o.idempotencyKey, requestHash, o.decisionId, o.symbol, o.side, o.type, o.volume, o.price, o.sl, o.tp, o.trailing,
    o.positionId, o.status, o.comment, o.origin, o.risk ? JSON.stringify(o.risk) : null, JSON.stringify(o.history), o.createdAt, o.expiresAt,
  ];
}

/**
 * Insert a `new` order unless (tenant, key) exists; returns the inserted order (built from
 * the row written, not read back) or null when the key is taken. Throws
 * IntakeOwnedElsewhere when another node owns the tenant's intake.
 *
 * A plain INSERT whose unique violation means "taken", not `ON CONFLICT DO NOTHING`: the
 * speculative insertion behind ON CONFLICT costs every order ≈ 50–70 µs (measured here),
 * while a taken key is the rare replay. Runs outside a transaction (the violation ends
 * only this statement).
 */
export async function insertOrder(q: Queryable, o: NewOrderRow): Promise<Order | null> {
  const order = newOrderOf(o);
  return insertedOrNull(q.query(INSERT_ORDER, insertParams(order, o.requestHash)), order);
}

/** What an INSERT_ORDER's outcome means for `order`: the order, null (key taken), or IntakeOwnedElsewhere. */
export async function insertedOrNull(rows: Promise<unknown[]>, order: Order): Promise<Order | null> {
  try {
    if ((await rows).length === 0) throw new IntakeOwnedElsewhere(order.tenantId);
  } catch (e) {
    if (isKeyTaken(e)) return null;
    throw e;
  }
  return order;
}

export async function orderByKey(q: Queryable, tenantId: string, key: string): Promise<(Order & { requestHash: string }) | null> {
  const rows = await q.query('SELECT * FROM orders WHERE tenant_id = $1 AND idempotency_key = $2', [tenantId, key]);
  return rows.length ? { ...toOrder(rows[0]), requestHash: String(rows[0].request_hash) } : null;
}

export async function orderById(q: Queryable, tenantId: string, id: string): Promise<Order | null> {
  const rows = await q.query('SELECT * FROM orders WHERE tenant_id = $1 AND id = $2', [tenantId, id]);
  return rows.length ? toOrder(rows[0]) : null;
}

export interface StatusPatch {
  status: OrderStatus;
  note?: string;
  filledVolume?: number;
  avgPrice?: number | null;
  brokerOrder?: string | null;
  reason?: string | null;
  price?: number | null;
  sl?: number | null;
  tp?: number | null;
  trailing?: number | null;
  /** Extra history entries before the final one (e.g. `accepted` before `filled`). */
  via?: OrderStatus[];
}

const TRANSITION_ORDER = prepared('orders.transition', `UPDATE orders SET status = $4, history = history || $5::jsonb, updated_at = $6,
        filled_volume = coalesce($7, filled_volume), avg_price = coalesce($8, avg_price), broker_order = coalesce($9, broker_order),
        reason = coalesce($10, reason), price = coalesce($11, price), sl = CASE WHEN $15 THEN $12 ELSE sl END,
        tp = CASE WHEN $15 THEN $13 ELSE tp END, trailing_stop = CASE WHEN $15 THEN $14 ELSE trailing_stop END
     WHERE tenant_id = $1 AND id = $2 AND status = ANY($3::text[])
     RETURNING *`);

/**
 * Move an order to `patch.status` only if it is currently in one of `from` (the guard
 * that makes fills and cancels happen once). Returns the updated order or null.
 */
export async function transitionOrder(q: Queryable, tenantId: string, id: string, from: readonly OrderStatus[], patch: StatusPatch, now: number): Promise<Order | null> {
  const entries: OrderHistoryEntry[] = [...(patch.via ?? []).map((s) => ({ status: s, at: now })), { status: patch.status, at: now, ...(patch.note ? { note: patch.note } : {}) }];
  const rows = await q.query(
    TRANSITION_ORDER,
    [
      tenantId, id, from as string[], patch.status, JSON.stringify(entries), now,
      patch.filledVolume ?? null, patch.avgPrice ?? null, patch.brokerOrder ?? null, patch.reason ?? null, patch.price ?? null,
      patch.sl ?? null, patch.tp ?? null, patch.trailing ?? null, patch.sl !== undefined || patch.tp !== undefined || patch.trailing !== undefined,
    ],
  );
  return rows.length ? toOrder(rows[0]) : null;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

function encodeCursor(t: number, id: string): string {
  return Buffer.from(`${t}:${id}`).toString('base64url');
}

function decodeCursor(c: string | undefined): { t: number; id: string } | null {
  if (!c) return null;
  const s = Buffer.from(c, 'base64url').toString('utf8');
  const i = s.indexOf(':');
  const t = Number(s.slice(0, i));
  if (i < 0 || !Number.isFinite(t)) return null;
  return { t, id: s.slice(i + 1) };
}

export async function listOrders(q: Queryable, tenantId: string, f: { status?: string; symbol?: string; limit: number; cursor?: string }): Promise<Page<Order>> {
  const cur = decodeCursor(f.cursor);
  const rows = await q.query(
    `SELECT * FROM orders WHERE tenant_id = $1 AND ($2::text IS NULL OR status = $2) AND ($3::text IS NULL OR symbol = $3)
       AND ($4::bigint IS NULL OR (created_at, id) < ($4, $5))
     ORDER BY created_at DESC, id DESC LIMIT $6`,
    [tenantId, f.status ?? null, f.symbol ?? null, cur?.t ?? null, cur?.id ?? '', f.limit + 1],
  );
  const items = rows.slice(0, f.limit).map(toOrder);
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > f.limit && last ? encodeCursor(last.createdAt, last.id) : null };
}

/** Cross-tenant: orders in `new` (recovery after a crash). */
export async function ordersInStatus(q: Queryable, status: OrderStatus): Promise<Order[]> {
  return (await q.query('SELECT * FROM orders WHERE status = $1 ORDER BY created_at, id', [status])).map(toOrder);
}

export async function liveOrdersOf(q: Queryable, tenantId: string, accountId: string): Promise<Order[]> {
  return (
    await q.query(`SELECT * FROM orders WHERE tenant_id = $1 AND account_id = $2 AND status IN ('new', 'accepted', 'partially_filled', 'unknown') ORDER BY created_at`, [tenantId, accountId])
  ).map(toOrder);
}

/** Cross-tenant: accounts holding open positions or live orders (loaded at start so stops keep working). */
export async function activeAccounts(q: Queryable): Promise<{ tenantId: string; accountId: string }[]> {
  const rows = await q.query<{ tenant_id: string; account_id: string }>(
    `SELECT tenant_id, account_id FROM positions WHERE status = 'open'
     UNION SELECT tenant_id, account_id FROM orders WHERE status IN ('new', 'accepted', 'partially_filled', 'unknown')`,
  );
  return rows.map((r) => ({ tenantId: r.tenant_id, accountId: r.account_id }));
}

/** Orders created by this tenant since `since` (ms), for rate checks after a restart. */
export async function orderTimesSince(q: Queryable, tenantId: string, since: number): Promise<number[]> {
  return (await q.query<{ created_at: number }>(`SELECT created_at FROM orders WHERE tenant_id = $1 AND created_at >= $2 AND origin <> 'sl' AND origin <> 'tp'`, [tenantId, since])).map((r) => Number(r.created_at));
}

// ------------------------------------------------------------------ fills and positions

export async function insertFill(q: Queryable, f: Fill): Promise<void> {
  await q.query(
    `INSERT INTO fills (id, tenant_id, account_id, order_id, symbol, side, volume, price, commission, realized_pnl, position_id, deal, time)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
    [f.id, f.tenantId, f.accountId, f.orderId, f.symbol, f.side, f.volume, f.price, f.commission, f.realizedPnl, f.positionId, f.deal, f.time],
  );
}

export async function fillsOfOrder(q: Queryable, tenantId: string, orderId: string): Promise<Fill[]> {
  return (await q.query('SELECT * FROM fills WHERE tenant_id = $1 AND order_id = $2 ORDER BY time, id', [tenantId, orderId])).map(toFill);
}

export async function listFills(q: Queryable, tenantId: string, f: { symbol?: string; limit: number; cursor?: string }): Promise<Page<Fill>> {
  const cur = decodeCursor(f.cursor);
  const rows = await q.query(
    `SELECT * FROM fills WHERE tenant_id = $1 AND ($2::text IS NULL OR symbol = $2) AND ($3::bigint IS NULL OR (time, id) < ($3, $4))
     ORDER BY time DESC, id DESC LIMIT $5`,
    [tenantId, f.symbol ?? null, cur?.t ?? null, cur?.id ?? '', f.limit + 1],
  );
  const items = rows.slice(0, f.limit).map(toFill);
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > f.limit && last ? encodeCursor(last.time, last.id) : null };
}

export async function openPositionsOf(q: Queryable, tenantId: string, accountId: string, symbol?: string, forUpdate = false): Promise<Position[]> {
  const rows = await q.query(
    `SELECT * FROM positions WHERE tenant_id = $1 AND account_id = $2 AND status = 'open' AND ($3::text IS NULL OR symbol = $3) ORDER BY opened_at, id${forUpdate ? ' FOR UPDATE' : ''}`,
    [tenantId, accountId, symbol ?? null],
  );
  return rows.map(toPosition);
}

export async function positionById(q: Queryable, tenantId: string, id: string): Promise<Position | null> {
  const rows = await q.query('SELECT * FROM positions WHERE tenant_id = $1 AND id = $2', [tenantId, id]);
  return rows.length ? toPosition(rows[0]) : null;
}

export async function listPositions(q: Queryable, tenantId: string, f: { status?: 'open' | 'closed'; symbol?: string; limit: number }): Promise<Position[]> {
  return (
    await q.query(
      `SELECT * FROM positions WHERE tenant_id = $1 AND ($2::text IS NULL OR status = $2) AND ($3::text IS NULL OR symbol = $3) ORDER BY updated_at DESC, id DESC LIMIT $4`,
      [tenantId, f.status ?? null, f.symbol ?? null, f.limit],
    )
  ).map(toPosition);
}

export async function updatePositionStops(q: Queryable, tenantId: string, id: string, s: { sl: number | null; tp: number | null; trailing: number | null }, now: number): Promise<Position | null> {
  const rows = await q.query(`UPDATE positions SET sl = $3, tp = $4, trailing_stop = $5, updated_at = $6 WHERE tenant_id = $1 AND id = $2 AND status = 'open' RETURNING *`, [
    tenantId, id, s.sl, s.tp, s.trailing, now,
  ]);
  return rows.length ? toPosition(rows[0]) : null;
}

/** Change price/SL/TP/trailing of a working order (history notes the modification). */
export async function modifyWorkingOrder(q: Queryable, tenantId: string, id: string, f: { price: number | null; sl: number | null; tp: number | null; trailing: number | null }, now: number): Promise<Order | null> {
  const rows = await q.query(
    `UPDATE orders SET price = $3, sl = $4, tp = $5, trailing_stop = $6, updated_at = $7,
        history = history || jsonb_build_array(jsonb_build_object('status', status, 'at', $7::bigint, 'note', 'modified'))
     WHERE tenant_id = $1 AND id = $2 AND status IN ('new', 'accepted') RETURNING *`,
    [tenantId, id, f.price, f.sl, f.tp, f.trailing, now],
  );
  return rows.length ? toOrder(rows[0]) : null;
}

/**
 * Balance after each fill, oldest first: the balance before the first fill is today's
 * balance minus every fill's realised P&L net of commission.
 */
export async function balanceHistory(q: Queryable, tenantId: string, accountId: string, balanceNow: number): Promise<{ time: number; balance: number }[]> {
  const rows = await q.query<{ time: number; delta: number }>(
    `SELECT time, realized_pnl - commission AS delta FROM fills WHERE tenant_id = $1 AND account_id = $2 ORDER BY time, id`,
    [tenantId, accountId],
  );
  const total = rows.reduce((a, r) => a + Number(r.delta), 0);
  let b = balanceNow - total;
  const out = [{ time: rows.length ? Number(rows[0].time) : Date.now(), balance: b }];
  for (const r of rows) {
    b += Number(r.delta);
    out.push({ time: Number(r.time), balance: b });
  }
  return out;
}

export interface FillWrite {
  tenantId: string;
  orderId: string;
  /** The order moves only from these states (the once-only guard). */
  from: readonly OrderStatus[];
  status: OrderStatus;
  history: OrderHistoryEntry[];
  filledVolume: number;
  avgPrice: number;
  brokerOrder: string | null;
  fill: Fill;
  position: Position;
  /** `updated_at` the existing position row must still have (null for a new position). */
  positionVersion: number | null;
  netting: boolean;
  balanceDelta: number;
  now: number;
}

/** True for the errors `recordFill` raises when the book in memory was stale. */
export function isConcurrentChange(e: unknown): boolean {
  const code = (e as { code?: string }).code;
  return code === '40001' || (code === '23505' && /positions_netting_one_open/.test(String((e as { constraint?: string }).constraint ?? (e as Error).message)));
}

const RECORD_FILL = prepared('orders.fill', `WITH o AS (
       UPDATE orders SET status = $4, history = history || $5::jsonb, updated_at = $6, filled_volume = $7, avg_price = $8, broker_order = coalesce($9, broker_order)
       WHERE tenant_id = $1 AND id = $2 AND status = ANY($3::text[]) RETURNING *
     ), f AS (
       INSERT INTO fills (id, tenant_id, account_id, order_id, symbol, side, volume, price, commission, realized_pnl, position_id, deal, time)
       SELECT $10::text, $1, o.account_id, o.id, o.symbol, o.side, $11::numeric, $12::numeric, $13::numeric, $14::numeric, $15::text, $16::text, $6 FROM o
     ), p AS (
       INSERT INTO positions (id, tenant_id, account_id, symbol, side, volume, price_open, sl, tp, trailing_stop, status, realized_pnl, ticket, netting, opened_at, updated_at, closed_at)
       SELECT $15::text, $1, o.account_id, o.symbol, $17::text, $18::numeric, $19::numeric, $20::numeric, $21::numeric, $22::numeric, $23::text, $24::numeric, $25::text, $30::boolean, $26::bigint, $6, $27::bigint FROM o
       ON CONFLICT (tenant_id, id) DO UPDATE SET side = excluded.side, volume = excluded.volume, price_open = excluded.price_open, sl = excluded.sl, tp = excluded.tp,
         trailing_stop = excluded.trailing_stop, status = excluded.status, realized_pnl = excluded.realized_pnl, ticket = coalesce(excluded.ticket, positions.ticket),
         opened_at = excluded.opened_at, updated_at = excluded.updated_at, closed_at = excluded.closed_at
       WHERE positions.status = 'open' AND positions.updated_at = $29::bigint
       RETURNING id
     ), a AS (
       UPDATE trading_accounts SET balance = balance + $28::numeric, updated_at = $6
       WHERE tenant_id = $1 AND id = (SELECT account_id FROM o) RETURNING balance
     )
     SELECT o.*, (SELECT balance FROM a) AS account_balance,
            plan2_assert(EXISTS (SELECT 1 FROM p), 'position ' || $15 || ' changed since it was read') AS position_ok
     FROM o`);

/**
 * Order transition, fill, position upsert and balance change as ONE statement (one round
 * trip; data-modifying CTEs commit or roll back together). Guards: the order must be in
 * `from` (else nothing is written and null returns: already filled or cancelled); an existing
 * position must still be at `positionVersion` and a netting account may hold one open
 * position per symbol (else the statement aborts with 40001/23505: `isConcurrentChange`).
 */
export async function recordFill(q: Queryable, w: FillWrite): Promise<{ order: Order; balance: number } | null> {
  const f = w.fill;
  const p = w.position;
  const rows = await q.query(
    RECORD_FILL,
    [
      w.tenantId, w.orderId, w.from as string[], w.status, JSON.stringify(w.history), w.now, w.filledVolume, w.avgPrice, w.brokerOrder,
      f.id, f.volume, f.price, f.commission, f.realizedPnl, p.id, f.deal,
      p.side, p.volume, p.priceOpen, p.sl, p.tp, p.trailing, p.status, p.realizedPnl, p.ticket, p.openedAt, p.closedAt,
      w.balanceDelta, w.positionVersion ?? -1, w.netting,
    ],
  );
  if (rows.length === 0) return null;
  return { order: toOrder(rows[0]), balance: Number(rows[0].account_balance) };
}

const RECORD_FILLS = prepared('orders.fills', 'SELECT plan2_record_fills($1, $2, $3::jsonb) AS balance');

/**
 * Several fills of one account, in order, as ONE statement and one transaction (a group
 * commit of `recordFill`): every order must still be in its `from` states and every
 * position that existed before (in `before`) still at the version the batch read, or
 * nothing is written (40001). Positions are written once, in their final state.
 * Returns the account's balance after the batch.
 */
export async function recordFills(q: Queryable, accountId: string, writes: FillWrite[], before: ReadonlyMap<string, Position>): Promise<number> {
  const last = new Map<string, Position>();
  for (const w of writes) last.set(w.position.id, w.position);
  const updated: Record<string, unknown>[] = [];
  const opened: Record<string, unknown>[] = [];
  for (const p of last.values()) {
    const row = {
      id: p.id, symbol: p.symbol, side: p.side, volume: p.volume, price_open: p.priceOpen, sl: p.sl, tp: p.tp, trailing_stop: p.trailing, status: p.status,
      realized_pnl: p.realizedPnl, ticket: p.ticket, opened_at: p.openedAt, updated_at: p.updatedAt, closed_at: p.closedAt,
    };
    const prior = before.get(p.id);
    if (prior) updated.push(Object.assign(row, { version: prior.updatedAt }));
    else opened.push(row);
  }
  const batch = {
    orders: writes.map((w) => ({ id: w.orderId, from: w.from, status: w.status, history: w.history, filled_volume: w.filledVolume, avg_price: w.avgPrice, broker_order: w.brokerOrder, updated_at: w.now })),
    fills: writes.map((w) => {
      const f = w.fill;
      return { id: f.id, order_id: f.orderId, symbol: f.symbol, side: f.side, volume: f.volume, price: f.price, commission: f.commission, realized_pnl: f.realizedPnl, position_id: f.positionId, deal: f.deal, time: f.time };
    }),
    updated,
    opened,
    netting: writes[0].netting,
    // Summed as numeric in the statement, as one-by-one fills add them.
    balance_deltas: writes.map((w) => w.balanceDelta),
    now: writes[writes.length - 1].now,
  };
  const rows = await q.query<{ balance: number }>(RECORD_FILLS, [writes[0].tenantId, accountId, JSON.stringify(batch)]);
  return Number(rows[0].balance);
}
