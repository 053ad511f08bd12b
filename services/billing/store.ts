/**
 * Invoices and payment records over the `Db` port; every tenant-owned query
 * filters by tenant_id. Numbers come from a per-month sequence allocated in the
 * same transaction as the invoice, so a rolled-back invoice leaves no gap in use
 * and a period invoice is created at most once per tenant (advisory lock +
 * partial unique index).
 */
import { randomUUID } from 'node:crypto';
import { Currency } from '../../lib/billing/money';
import { InvoiceDraft, InvoiceLine, invoiceNumber } from '../../lib/billing/invoice';
import { periodKey, periodOf } from '../../lib/billing/period';
import { Tier } from '../../lib/billing/tiers';
import { NotFoundError } from '../../lib/errors';
import { Db, maybeOne, Queryable } from '../../lib/storage/db';

export type InvoiceStatus = 'open' | 'paid' | 'void';
export type PaymentStatus = 'pending' | 'paid' | 'failed';

export interface Invoice {
  id: string;
  tenantId: string;
  number: string;
  kind: 'period' | 'change';
  periodStart: number;
  periodEnd: number;
  currency: Currency;
  lines: InvoiceLine[];
  subtotal: number;
  taxBps: number;
  tax: number;
  total: number;
  status: InvoiceStatus;
  targetTier: Tier | null;
  createdAt: number;
  paidAt: number | null;
}

export interface PaymentRecord {
  invoiceId: string;
  provider: string;
  providerRef: string;
  status: PaymentStatus;
  amount: number;
  currency: Currency;
  createdAt: number;
}

type Row = {
  id: string; tenant_id: string; number: string; kind: 'period' | 'change'; period_start: Date; period_end: Date; currency: Currency; lines: InvoiceLine[];
  subtotal: number; tax_bps: number; tax: number; total: number; status: InvoiceStatus; target_tier: Tier | null; created_at: Date; paid_at: Date | null;
};
const COLS = 'id, tenant_id, number, kind, period_start, period_end, currency, lines, subtotal, tax_bps, tax, total, status, target_tier, created_at, paid_at';
const toInvoice = (r: Row): Invoice => ({
  id: r.id, tenantId: r.tenant_id, number: r.number, kind: r.kind, periodStart: r.period_start.getTime(), periodEnd: r.period_end.getTime(),
  currency: r.currency, lines: r.lines, subtotal: Number(r.subtotal), taxBps: Number(r.tax_bps), tax: Number(r.tax), total: Number(r.total),
  status: r.status, targetTier: r.target_tier, createdAt: r.created_at.getTime(), paidAt: r.paid_at ? r.paid_at.getTime() : null,
});

export interface NewInvoice {
  tenantId: string;
  kind: 'period' | 'change';
  draft: InvoiceDraft;
  targetTier?: Tier;
  idempotencyKey?: string;
}

/**
 * Persist an invoice unless its twin exists (same tenant and period for a
 * period invoice; same idempotency key; or, for a change invoice, an open one
 * for the same target tier this period). Returns the invoice and whether it is new.
 */
export async function insertInvoice(db: Db, n: NewInvoice): Promise<{ invoice: Invoice; created: boolean }> {
  const period = { start: n.draft.periodStart, end: n.draft.periodEnd };
  return db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`invoice:${n.tenantId}`]);
    const twin = n.idempotencyKey
      ? await maybeOne<Row>(tx, `SELECT ${COLS} FROM invoices WHERE tenant_id = $1 AND idempotency_key = $2`, [n.tenantId, n.idempotencyKey])
      : n.kind === 'period'
        ? await maybeOne<Row>(tx, `SELECT ${COLS} FROM invoices WHERE tenant_id = $1 AND kind = 'period' AND period_start = $2`, [n.tenantId, new Date(period.start)])
        : await maybeOne<Row>(tx, `SELECT ${COLS} FROM invoices WHERE tenant_id = $1 AND kind = 'change' AND status = 'open' AND target_tier = $2 AND period_start = $3`, [n.tenantId, n.targetTier ?? null, new Date(period.start)]);
    if (twin) return { invoice: toInvoice(twin), created: false };
    const [seq] = await tx.query<{ last: number }>(
      'INSERT INTO invoice_sequences (period, last) VALUES ($1, 1) ON CONFLICT (period) DO UPDATE SET last = invoice_sequences.last + 1 RETURNING last',
      [periodKey(periodOf(period.start))],
    );
    const d = n.draft;
    const status: InvoiceStatus = d.total === 0 ? 'paid' : 'open';
    const [r] = await tx.query<Row>(
      `INSERT INTO invoices (id, tenant_id, number, kind, period_start, period_end, currency, lines, subtotal, tax_bps, tax, total, status, target_tier, idempotency_key, paid_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, CASE WHEN $13 = 'paid' THEN now() END) RETURNING ${COLS}`,
      ['inv_' + randomUUID().replace(/-/g, '').slice(0, 16), n.tenantId, invoiceNumber(period, Number(seq.last)), n.kind, new Date(period.start), new Date(period.end), d.currency,
        JSON.stringify(d.lines), d.subtotal, d.taxBps, d.tax, d.total, status, n.targetTier ?? null, n.idempotencyKey ?? null],
    );
    return { invoice: toInvoice(r), created: true };
  });
}

/** The tenant's invoice; another tenant's is "not found". */
export async function getInvoice(q: Queryable, tenantId: string, id: string): Promise<Invoice> {
  const r = await maybeOne<Row>(q, `SELECT ${COLS} FROM invoices WHERE tenant_id = $1 AND id = $2`, [tenantId, id]);
  if (!r) throw new NotFoundError('invoice', id);
  return toInvoice(r);
}

/** Newest first; `cursor` is the last id of the previous page. */
export async function listInvoices(q: Queryable, tenantId: string, limit: number, cursor?: string): Promise<{ items: Invoice[]; nextCursor: string | null }> {
  const rows = cursor
    ? await q.query<Row>(`SELECT ${COLS} FROM invoices WHERE tenant_id = $1 AND (created_at, id) < (SELECT created_at, id FROM invoices WHERE tenant_id = $1 AND id = $2) ORDER BY created_at DESC, id DESC LIMIT $3`, [tenantId, cursor, limit + 1])
    : await q.query<Row>(`SELECT ${COLS} FROM invoices WHERE tenant_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2`, [tenantId, limit + 1]);
  const items = rows.slice(0, limit).map(toInvoice);
  return { items, nextCursor: rows.length > limit ? items[items.length - 1].id : null };
}

export async function listPayments(q: Queryable, tenantId: string, invoiceId: string): Promise<PaymentRecord[]> {
  const rows = await q.query<{ invoice_id: string; provider: string; provider_ref: string; status: PaymentStatus; amount: number; currency: Currency; created_at: Date }>(
    'SELECT invoice_id, provider, provider_ref, status, amount, currency, created_at FROM invoice_payments WHERE tenant_id = $1 AND invoice_id = $2 ORDER BY id', [tenantId, invoiceId]);
  return rows.map((r) => ({ invoiceId: r.invoice_id, provider: r.provider, providerRef: r.provider_ref, status: r.status, amount: Number(r.amount), currency: r.currency, createdAt: r.created_at.getTime() }));
}

/**
 * Record a payment status for an invoice (once per provider reference and
 * status) and, for `paid`, move the invoice from open to paid. `transitioned` is
 * true only for the call that marked it paid, so effects run once.
 */
export async function recordPayment(db: Db, tenantId: string, invoiceId: string, p: { provider: string; providerRef: string; status: PaymentStatus; amount: number; raw: unknown }): Promise<{ invoice: Invoice; recorded: boolean; transitioned: boolean }> {
  return db.transaction(async (tx) => {
    const inv = await maybeOne<Row>(tx, `SELECT ${COLS} FROM invoices WHERE tenant_id = $1 AND id = $2 FOR UPDATE`, [tenantId, invoiceId]);
    if (!inv) throw new NotFoundError('invoice', invoiceId);
    const ins = await tx.query(
      'INSERT INTO invoice_payments (tenant_id, invoice_id, provider, provider_ref, status, amount, currency, raw) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (provider, provider_ref, status) DO NOTHING RETURNING id',
      [tenantId, invoiceId, p.provider, p.providerRef, p.status, p.amount, inv.currency, JSON.stringify(p.raw ?? {})],
    );
    let transitioned = false;
    if (p.status === 'paid') {
      transitioned = (await tx.query("UPDATE invoices SET status = 'paid', paid_at = now() WHERE tenant_id = $1 AND id = $2 AND status = 'open' RETURNING id", [tenantId, invoiceId])).length > 0;
    }
    const [r] = await tx.query<Row>(`SELECT ${COLS} FROM invoices WHERE tenant_id = $1 AND id = $2`, [tenantId, invoiceId]);
    return { invoice: toInvoice(r), recorded: ins.length > 0, transitioned };
  });
}
