/**
 * Subscriptions and usage counters over the `Db` port. Every query filters by
 * tenant_id. Counters are exact: increments are single upserts
 * (`count = count + n`), and counting by reference (decision id, order id)
 * inserts the reference first so a repeated event is never counted twice.
 */
import { Currency } from '../../lib/billing/money';
import { Period, periodOf } from '../../lib/billing/period';
import { Tier } from '../../lib/billing/tiers';
import { emptyUsage, Meter, METERS, Usage } from '../../lib/billing/usage';
import { Db, maybeOne, Queryable } from '../../lib/storage/db';
import { NotFoundError } from '../../lib/errors';

export type SubscriptionStatus = 'active' | 'past_due' | 'cancelled';

export interface Subscription {
  tenantId: string;
  tier: Tier;
  status: SubscriptionStatus;
  currency: Currency;
  periodStart: number;
  periodEnd: number;
  credit: number;
  startedAt: number;
  cancelledAt: number | null;
}

type Row = { tenant_id: string; tier: Tier; status: SubscriptionStatus; currency: Currency; period_start: Date; period_end: Date; credit_minor: number; started_at: Date; cancelled_at: Date | null };
const COLS = 'tenant_id, tier, status, currency, period_start, period_end, credit_minor, started_at, cancelled_at';
const toSub = (r: Row): Subscription => ({
  tenantId: r.tenant_id, tier: r.tier, status: r.status, currency: r.currency,
  periodStart: r.period_start.getTime(), periodEnd: r.period_end.getTime(), credit: Number(r.credit_minor),
  startedAt: r.started_at.getTime(), cancelledAt: r.cancelled_at ? r.cancelled_at.getTime() : null,
});

/**
 * The tenant's subscription, created on first use from the tenant's tier, and
 * rolled forward to the period containing `now` (UTC month) when it has ended.
 */
export async function getSubscription(db: Db, tenantId: string, now: number): Promise<Subscription> {
  const p = periodOf(now);
  return db.transaction(async (tx) => {
    const t = await maybeOne<{ tier: Tier }>(tx, 'SELECT tier FROM tenants WHERE id = $1 AND disabled_at IS NULL', [tenantId]);
    if (!t) throw new NotFoundError('tenant', tenantId);
    await tx.query(
      `INSERT INTO subscriptions (tenant_id, tier, period_start, period_end) VALUES ($1, $2, $3, $4) ON CONFLICT (tenant_id) DO NOTHING`,
      [tenantId, t.tier, new Date(p.start), new Date(p.end)],
    );
    const rows = await tx.query<Row>(
      `UPDATE subscriptions SET period_start = $2, period_end = $3, updated_at = now() WHERE tenant_id = $1 AND period_end <= $2 RETURNING ${COLS}`,
      [tenantId, new Date(p.start), new Date(p.end)],
    );
    if (rows[0]) return toSub(rows[0]);
    const [r] = await tx.query<Row>(`SELECT ${COLS} FROM subscriptions WHERE tenant_id = $1`, [tenantId]);
    return toSub(r);
  });
}

/** Set the tier (and add a credit) on the tenant's subscription. */
export async function setSubscriptionTier(q: Queryable, tenantId: string, tier: Tier, addCredit = 0): Promise<void> {
  await q.query('UPDATE subscriptions SET tier = $2, credit_minor = credit_minor + $3, status = \'active\', cancelled_at = NULL, updated_at = now() WHERE tenant_id = $1', [tenantId, tier, addCredit]);
}

/** Take up to `max` of the tenant's credit (minor units); returns what was taken. */
export async function takeCredit(db: Db, tenantId: string, max: number): Promise<number> {
  const [r] = await db.query<{ taken: number }>(
    `WITH s AS (SELECT credit_minor FROM subscriptions WHERE tenant_id = $1 FOR UPDATE)
     UPDATE subscriptions SET credit_minor = credit_minor - LEAST(s.credit_minor, $2) FROM s WHERE subscriptions.tenant_id = $1
     RETURNING LEAST(s.credit_minor, $2) AS taken`,
    [tenantId, max],
  );
  return r ? Number(r.taken) : 0;
}

export async function setStatus(q: Queryable, tenantId: string, status: SubscriptionStatus): Promise<void> {
  await q.query(`UPDATE subscriptions SET status = $2, cancelled_at = CASE WHEN $2 = 'cancelled' THEN now() ELSE NULL END, updated_at = now() WHERE tenant_id = $1`, [tenantId, status]);
}

/** Add `n` to a counter of the period containing `at`. */
export async function addUsage(q: Queryable, tenantId: string, meter: Meter, n: number, at: number): Promise<void> {
  await q.query(
    `INSERT INTO usage_counters (tenant_id, period_start, meter, count) VALUES ($1, $2, $3, $4)
     ON CONFLICT (tenant_id, period_start, meter) DO UPDATE SET count = usage_counters.count + EXCLUDED.count`,
    [tenantId, new Date(periodOf(at).start), meter, n],
  );
}

/** Count one unit for `ref` unless it was counted before; true when counted now. */
export async function countOnce(db: Db, tenantId: string, meter: Meter, ref: string, at: number): Promise<boolean> {
  return db.transaction(async (tx) => {
    const ins = await tx.query('INSERT INTO usage_refs (tenant_id, meter, ref) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING ref', [tenantId, meter, ref]);
    if (ins.length === 0) return false;
    await addUsage(tx, tenantId, meter, 1, at);
    return true;
  });
}

/** The tenant's counters in `period`. */
export async function getUsage(q: Queryable, tenantId: string, period: Period): Promise<Usage> {
  const rows = await q.query<{ meter: Meter; count: number }>('SELECT meter, count FROM usage_counters WHERE tenant_id = $1 AND period_start = $2', [tenantId, new Date(period.start)]);
  const u = emptyUsage();
  for (const r of rows) if ((METERS as readonly string[]).includes(r.meter)) u[r.meter] = Number(r.count);
  return u;
}

/** All subscriptions (operators' metrics). */
export async function listSubscriptions(q: Queryable): Promise<Subscription[]> {
  return (await q.query<Row>(`SELECT ${COLS} FROM subscriptions ORDER BY tenant_id`)).map(toSub);
}
