/**
 * What the gateway persists: accounts it has seen, symbol specs per account,
 * and the order journal (every command's id, written before it is sent).
 * Every query is scoped by tenant and account.
 */
import type { Queryable } from '../lib/storage/db';
import type { HelloMsg, SymbolSpec, TradeCommand } from './protocol';

export interface AccountRef {
  tenantId: string;
  login: string;
  server: string;
}

export type OrderOutcome = 'pending' | 'done' | 'rejected' | 'unknown';

export interface StoredSymbol {
  name: string;
  canonical: string;
  spec: SymbolSpec;
}

export interface StoredOrder {
  id: string;
  command: TradeCommand;
  outcome: OrderOutcome;
  result: Record<string, unknown> | null;
  resolvedFrom: string | null;
  orderTicket: string | null;
  dealTicket: string | null;
  positionTicket: string | null;
  sentAt: number;
  resolvedAt: number | null;
}

/** Insert or refresh the account row from a hello. */
export async function upsertAccount(db: Queryable, a: AccountRef, hello: HelloMsg): Promise<void> {
  const { token: _token, ...pub } = hello;
  await db.query(
    `INSERT INTO mt5_accounts (tenant_id, login, server, company, currency, leverage, margin_mode, trade_mode, hello)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
     ON CONFLICT (tenant_id, login, server) DO UPDATE SET
       company = EXCLUDED.company, currency = EXCLUDED.currency, leverage = EXCLUDED.leverage,
       margin_mode = EXCLUDED.margin_mode, trade_mode = EXCLUDED.trade_mode, hello = EXCLUDED.hello, last_seen = now()`,
    [a.tenantId, a.login, a.server, hello.company ?? null, hello.currency ?? null, hello.leverage ?? null, hello.margin_mode ?? null, hello.trade_mode ?? null, JSON.stringify(pub)],
  );
}

export async function loadSymbols(db: Queryable, a: AccountRef): Promise<StoredSymbol[]> {
  return db.query<StoredSymbol>('SELECT name, canonical, spec FROM mt5_symbols WHERE tenant_id = $1 AND login = $2 AND server = $3 ORDER BY name', [a.tenantId, a.login, a.server]);
}

/** Upsert many specs in one statement. */
export async function saveSymbols(db: Queryable, a: AccountRef, rows: StoredSymbol[]): Promise<void> {
  if (rows.length === 0) return;
  await db.query(
    `INSERT INTO mt5_symbols (tenant_id, login, server, name, canonical, spec)
     SELECT $1, $2, $3, r.name, r.canonical, r.spec FROM jsonb_to_recordset($4::jsonb) AS r(name text, canonical text, spec jsonb)
     ON CONFLICT (tenant_id, login, server, name) DO UPDATE SET canonical = EXCLUDED.canonical, spec = EXCLUDED.spec, updated_at = now()`,
    [a.tenantId, a.login, a.server, JSON.stringify(rows)],
  );
}

interface OrderRow {
  id: string;
  command: TradeCommand;
  outcome: OrderOutcome;
  result: Record<string, unknown> | null;
  resolved_from: string | null;
  order_ticket: string | null;
  deal_ticket: string | null;
  position_ticket: string | null;
  sent_at: Date;
  resolved_at: Date | null;
}

function toOrder(r: OrderRow): StoredOrder {
  return {
    id: r.id,
    command: r.command,
    outcome: r.outcome,
    result: r.result,
    resolvedFrom: r.resolved_from,
    orderTicket: r.order_ticket,
    dealTicket: r.deal_ticket,
    positionTicket: r.position_ticket,
    sentAt: r.sent_at.getTime(),
    resolvedAt: r.resolved_at?.getTime() ?? null,
  };
}

const ORDER_COLS = 'id, command, outcome, result, resolved_from, order_ticket, deal_ticket, position_ticket, sent_at, resolved_at';

/**
 * Journal a command before it is sent. Returns `{inserted: true}` for a new id,
 * or the existing row when this id was already sent for this account.
 */
export async function journalOrder(db: Queryable, a: AccountRef, cmd: TradeCommand): Promise<{ inserted: boolean; order: StoredOrder }> {
  const ins = await db.query<OrderRow>(
    `INSERT INTO mt5_orders (tenant_id, login, server, id, command) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (tenant_id, login, server, id) DO NOTHING RETURNING ${ORDER_COLS}`,
    [a.tenantId, a.login, a.server, cmd.id, JSON.stringify(cmd)],
  );
  if (ins.length > 0) return { inserted: true, order: toOrder(ins[0]) };
  const existing = await getOrder(db, a, cmd.id);
  if (!existing) throw new Error(`order ${cmd.id} neither inserted nor found`);
  return { inserted: false, order: existing };
}

export async function getOrder(db: Queryable, a: AccountRef, id: string): Promise<StoredOrder | null> {
  const rows = await db.query<OrderRow>(`SELECT ${ORDER_COLS} FROM mt5_orders WHERE tenant_id = $1 AND login = $2 AND server = $3 AND id = $4`, [a.tenantId, a.login, a.server, id]);
  return rows.length > 0 ? toOrder(rows[0]) : null;
}

/** Orders still pending or unknown for an account (to resolve from snapshots). */
export async function openOrders(db: Queryable, a: AccountRef): Promise<StoredOrder[]> {
  const rows = await db.query<OrderRow>(`SELECT ${ORDER_COLS} FROM mt5_orders WHERE tenant_id = $1 AND login = $2 AND server = $3 AND outcome IN ('pending', 'unknown') ORDER BY sent_at`, [a.tenantId, a.login, a.server]);
  return rows.map(toOrder);
}

/**
 * Record an outcome. A final outcome (done/rejected) is written only over
 * pending/unknown, never over another final one; returns whether the row changed.
 */
export async function resolveOrder(
  db: Queryable,
  a: AccountRef,
  id: string,
  outcome: Exclude<OrderOutcome, 'pending'>,
  result: Record<string, unknown> | null,
  resolvedFrom: string,
  tickets: { order?: string; deal?: string; position?: string } = {},
): Promise<boolean> {
  const rows = await db.query(
    `UPDATE mt5_orders SET outcome = $5, result = COALESCE($6, result), resolved_from = $7,
            order_ticket = COALESCE($8, order_ticket), deal_ticket = COALESCE($9, deal_ticket), position_ticket = COALESCE($10, position_ticket),
            resolved_at = CASE WHEN $5 = 'unknown' THEN NULL ELSE now() END
      WHERE tenant_id = $1 AND login = $2 AND server = $3 AND id = $4 AND outcome IN ('pending', 'unknown')
      RETURNING id`,
    [a.tenantId, a.login, a.server, id, outcome, result === null ? null : JSON.stringify(result), resolvedFrom, tickets.order ?? null, tickets.deal ?? null, tickets.position ?? null],
  );
  return rows.length > 0;
}
