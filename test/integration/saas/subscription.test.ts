/** subscription on real PostgreSQL: plans, exact metering, entitlements, tier changes, tenant isolation. */
import { setConfig } from '../../../config';
import { periodOf } from '../../../lib/billing/period';
import { prorate } from '../../../lib/billing/proration';
import { getMigratedDb } from '../../../lib/storage/connect';
import type { Db } from '../../../lib/storage/db';
import { Platform, startPlatform } from '../../../runner';
import { addUsage } from '../../../services/subscription/store';
import { createApiKey, createTenant } from '../../../services/users/tenants';
import { createTestDatabase, TestDatabase, testConfig } from '../../helpers/infra';
import { http } from '../../helpers/http';

async function waitFor<T>(f: () => Promise<T>, ok: (v: T) => boolean, ms = 5000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (ok(v) || Date.now() > end) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('subscription on real PostgreSQL', () => {
  let tdb: TestDatabase;
  let p: Platform;
  let db: Db;
  let base: string;
  let A: { id: string; key: string };
  let B: { id: string; key: string };

  beforeAll(async () => {
    tdb = await createTestDatabase('sub');
    const cfg = setConfig(testConfig({ DATABASE_URL: tdb.url, SERVICES: 'api,storage,users,subscription' }));
    p = await startPlatform(cfg);
    base = `http://127.0.0.1:${(await p.broker.call<{ port: number }, object>('api.address', {})).port}`;
    db = await getMigratedDb(cfg);
    const a = await createTenant(db, 'Alpha', 'pro');
    const b = await createTenant(db, 'Beta', 'free');
    A = { id: a.id, key: (await createApiKey(db, a.id)).key };
    B = { id: b.id, key: (await createApiKey(db, b.id)).key };
    await new Promise((r) => setTimeout(r, 150));
  });
  afterAll(async () => {
    await p?.stop();
    await tdb.drop();
  });

  it('creates the subscription from the tenant tier for the current UTC month', async () => {
    const r = await http(base, 'GET', '/api/v1/subscription', { key: A.key });
    expect(r.status).toBe(200);
    const per = periodOf(Date.now());
    expect(r.body).toMatchObject({ tenantId: A.id, tier: 'pro', status: 'active', currency: 'IDR', periodStart: per.start, periodEnd: per.end, credit: 0 });
  });

  it('counts decisions and orders exactly once per id, per tenant', async () => {
    const now = Date.now();
    const dec = (id: string, tenantId: string) => p.broker.emit('decision.made', { id, tenantId, action: 'hold', madeAt: now });
    await Promise.all([dec('d1', A.id), dec('d1', A.id), dec('d2', A.id), dec('d3', B.id)]);
    // 40 distinct orders, each filled twice (partial fills), concurrently.
    const fills = [];
    for (let i = 0; i < 40; i++) for (let k = 0; k < 2; k++) fills.push(p.broker.emit('order.filled', { tenantId: A.id, order: { id: `o${i}` } }));
    await Promise.all(fills);
    const ua = await waitFor(() => http(base, 'GET', '/api/v1/usage', { key: A.key }), (r) => r.body.usage.orders === 40 && r.body.usage.decisions === 2);
    expect(ua.body.usage).toMatchObject({ decisions: 2, orders: 40 });
    const ub = await http(base, 'GET', '/api/v1/usage', { key: B.key });
    expect(ub.body.usage).toMatchObject({ decisions: 1, orders: 0 });
    expect(ub.body.meters.find((m: { meter: string }) => m.meter === 'decisions')).toEqual({ meter: 'decisions', used: 1, included: 3000, hardCap: true });
  });

  it('meters API calls through the gateway', async () => {
    const before = (await http(base, 'GET', '/api/v1/usage', { key: B.key })).body.usage.apiCalls as number;
    for (let i = 0; i < 5; i++) await http(base, 'GET', '/api/v1/tenant', { key: B.key });
    const r = await waitFor(() => http(base, 'GET', '/api/v1/usage', { key: B.key }), (x) => x.body.usage.apiCalls >= before + 6, 4000);
    // the 5 calls, the first usage read, and the polling reads themselves
    expect(r.body.usage.apiCalls).toBeGreaterThanOrEqual(before + 6);
    const ra = await http(base, 'GET', '/api/v1/usage', { key: A.key });
    expect(ra.body.usage.apiCalls).toBeLessThan(r.body.usage.apiCalls);
  });

  it('refuses a feature outside the tier with TIER_LIMIT and the tier that unlocks it', async () => {
    await expect(p.broker.call('subscription.check', { feature: 'telegram' }, { meta: { tenantId: B.id } })).rejects.toMatchObject({ code: 403, type: 'TIER_LIMIT', data: { feature: 'telegram', tier: 'free', requiredTier: 'pro' } });
    await expect(p.broker.call('subscription.check', { feature: 'neural_ensemble' }, { meta: { tenantId: A.id } })).rejects.toMatchObject({ data: { requiredTier: 'enterprise' } });
    await expect(p.broker.call('subscription.check', { feature: 'telegram' }, { meta: { tenantId: A.id } })).resolves.toEqual({ ok: true, tier: 'pro' });
  });

  it('hard-caps a free meter at its allowance', async () => {
    await addUsage(db, B.id, 'decisions', 2998, Date.now()); // 1 + 2998 = 2999
    await expect(p.broker.call('subscription.check', { meter: 'decisions' }, { meta: { tenantId: B.id } })).resolves.toMatchObject({ ok: true });
    await addUsage(db, B.id, 'decisions', 1, Date.now());
    await expect(p.broker.call('subscription.check', { meter: 'decisions' }, { meta: { tenantId: B.id } })).rejects.toMatchObject({ type: 'TIER_LIMIT', data: { meter: 'decisions', used: 3000, included: 3000, requiredTier: 'pro' } });
  });

  it('previews a change with day-based proration, and applies a downgrade with a credit', async () => {
    const pv = await http(base, 'POST', '/api/v1/subscription/change', { key: A.key, body: { tier: 'enterprise' } });
    expect(pv.status).toBe(200);
    const exp = prorate('pro', 'enterprise', periodOf(Date.now()), Date.now(), 'IDR');
    expect(pv.body).toMatchObject({ status: 'preview', proration: { from: 'pro', to: 'enterprise', net: exp.net, remainingDays: exp.remainingDays, direction: 'upgrade' } });
    expect((await http(base, 'POST', '/api/v1/subscription/change', { key: A.key, body: { tier: 'pro' } })).body.error.code).toBe('SAME_TIER');

    const down = await http(base, 'POST', '/api/v1/subscription/change', { key: A.key, body: { tier: 'free', confirm: true } });
    expect(down.status).toBe(200);
    const credit = -prorate('pro', 'free', periodOf(Date.now()), Date.now(), 'IDR').net;
    expect(down.body).toMatchObject({ status: 'applied', subscription: { tier: 'free', credit } });
    expect(credit).toBeGreaterThan(0);
    const t = await http(base, 'GET', '/api/v1/tenant', { key: A.key });
    expect(t.body.tier).toBe('free');
    const audit = await db.query<{ action: string }>("SELECT action FROM audit_log WHERE tenant_id = $1 AND action = 'tenant.tier_changed'", [A.id]);
    expect(audit).toHaveLength(1);
    // B is untouched
    expect((await http(base, 'GET', '/api/v1/subscription', { key: B.key })).body).toMatchObject({ tier: 'free', credit: 0 });
  });

  it('gives operators MRR and ARPU, and tenants a 403', async () => {
    expect((await http(base, 'GET', '/api/v1/subscription/metrics', { key: B.key })).status).toBe(403);
    const admin = (await createApiKey(db, B.id, 'ops', 'admin')).key;
    const r = await http(base, 'GET', '/api/v1/subscription/metrics?currency=USD&cac=9800', { key: admin });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ currency: 'USD', accounts: 2, mrr: 0, arpu: 0, cacPaybackMonths: null });
  });
});
