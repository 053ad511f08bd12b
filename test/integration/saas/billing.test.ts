/** billing on real PostgreSQL: period invoices (once per tenant and period), change invoices, payment records, isolation. */
import { setConfig } from '../../../config';
import { getMigratedDb } from '../../../lib/storage/connect';
import type { Db } from '../../../lib/storage/db';
import { Platform, startPlatform } from '../../../runner';
import { addUsage } from '../../../services/subscription/store';
import { createApiKey, createTenant } from '../../../services/users/tenants';
import { createTestDatabase, TestDatabase, testConfig } from '../../helpers/infra';
import { http } from '../../helpers/http';

describe('billing on real PostgreSQL', () => {
  let tdb: TestDatabase;
  let p: Platform;
  let db: Db;
  let base: string;
  let A: { id: string; key: string };
  let B: { id: string; key: string };
  const MARCH = Date.UTC(2024, 2, 15);

  beforeAll(async () => {
    tdb = await createTestDatabase('bill');
    const cfg = setConfig(testConfig({ DATABASE_URL: tdb.url, SERVICES: 'api,storage,users,subscription,billing' }));
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

  it('invoices a period once: plan + overage + 11 % VAT, numbered INV-YYYYMM-NNNN', async () => {
    await addUsage(db, A.id, 'decisions', 100_001, MARCH);
    await addUsage(db, A.id, 'orders', 61_500, MARCH);
    const [r1, r2] = await Promise.all([
      p.broker.call<{ invoice: { id: string; number: string; subtotal: number; tax: number; total: number; lines: unknown[]; status: string }; created: boolean }, object>('billing.invoicePeriod', { tenantId: A.id, at: MARCH }),
      p.broker.call<{ invoice: { id: string }; created: boolean }, object>('billing.invoicePeriod', { tenantId: A.id, at: MARCH }),
    ]);
    expect(r1.invoice.id).toBe(r2.invoice.id);
    expect([r1.created, r2.created].filter(Boolean)).toHaveLength(1);
    expect(r1.invoice).toMatchObject({ number: 'INV-202403-0001', subtotal: 815_000, tax: 89_650, total: 904_650, status: 'open' });
    expect(r1.invoice.lines).toHaveLength(3);
    const again = await p.broker.call<{ created: boolean }, object>('billing.invoicePeriod', { tenantId: A.id, at: MARCH + 86_400_000 });
    expect(again.created).toBe(false);
    const b = await p.broker.call<{ invoice: { number: string; total: number; status: string } }, object>('billing.invoicePeriod', { tenantId: B.id, at: MARCH });
    expect(b.invoice).toMatchObject({ number: 'INV-202403-0002', total: 0, status: 'paid' });
  });

  it('lists and reads own invoices over REST; another tenant\'s is 404', async () => {
    const la = await http(base, 'GET', '/api/v1/invoices', { key: A.key });
    expect(la.status).toBe(200);
    expect(la.body.items).toHaveLength(1);
    const id = la.body.items[0].id as string;
    const own = await http(base, 'GET', `/api/v1/invoices/${id}`, { key: A.key });
    expect(own.status).toBe(200);
    expect(own.body).toMatchObject({ id, tenantId: A.id, payments: [] });
    const other = await http(base, 'GET', `/api/v1/invoices/${id}`, { key: B.key });
    expect(other.status).toBe(404);
    expect(JSON.stringify(other.body)).not.toContain(A.id);
  });

  it('records a payment once and marks the invoice paid once', async () => {
    const id = (await http(base, 'GET', '/api/v1/invoices', { key: A.key })).body.items[0].id as string;
    const pay = { tenantId: A.id, invoiceId: id, provider: 'test', providerRef: 'tx-1', status: 'paid', amount: 904_650 };
    const [x, y] = await Promise.all([p.broker.call<{ transitioned: boolean; recorded: boolean }, object>('billing.recordPayment', pay), p.broker.call<{ transitioned: boolean; recorded: boolean }, object>('billing.recordPayment', pay)]);
    expect([x.transitioned, y.transitioned].filter(Boolean)).toHaveLength(1);
    expect([x.recorded, y.recorded].filter(Boolean)).toHaveLength(1);
    const inv = await http(base, 'GET', `/api/v1/invoices/${id}`, { key: A.key });
    expect(inv.body.status).toBe('paid');
    expect(inv.body.payments).toHaveLength(1);
  });

  it('an upgrade opens a change invoice; paying it applies the tier through users', async () => {
    const r = await http(base, 'POST', '/api/v1/subscription/change', { key: B.key, body: { tier: 'pro', confirm: true } });
    expect(r.status).toBe(202);
    expect(r.body.status).toBe('payment_required');
    expect(r.body.invoice.total).toBe(r.body.proration.net + Math.floor((r.body.proration.net * 1100 * 2 + 10_000) / 20_000));
    const again = await http(base, 'POST', '/api/v1/subscription/change', { key: B.key, body: { tier: 'pro', confirm: true } });
    expect(again.body.invoice.id).toBe(r.body.invoice.id);
    expect((await http(base, 'GET', '/api/v1/tenant', { key: B.key })).body.tier).toBe('free');
    await p.broker.call('billing.recordPayment', { tenantId: B.id, invoiceId: r.body.invoice.id, provider: 'test', providerRef: 'tx-2', status: 'paid', amount: r.body.invoice.total });
    expect((await http(base, 'GET', '/api/v1/tenant', { key: B.key })).body.tier).toBe('pro');
    expect((await http(base, 'GET', '/api/v1/subscription', { key: B.key })).body.tier).toBe('pro');
  });
});
