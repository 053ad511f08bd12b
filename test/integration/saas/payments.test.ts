/** payments: Snap checkout against a faithful local fake, and signed notifications posted to the real webhook route. */
import { setConfig } from '../../../config';
import { getMigratedDb } from '../../../lib/storage/connect';
import type { Db } from '../../../lib/storage/db';
import { Platform, startPlatform } from '../../../runner';
import { mapStatus, notificationSignature } from '../../../services/payments/midtrans';
import { createApiKey, createTenant } from '../../../services/users/tenants';
import { FakeMidtrans, signedNotification, startFakeMidtrans } from '../../helpers/fake-midtrans';
import { createTestDatabase, TestDatabase, testConfig } from '../../helpers/infra';
import { http } from '../../helpers/http';

const KEY = 'SB-Mid-server-TESTKEY123';

describe('Midtrans signature and status mapping', () => {
  it('is sha512(order_id + status_code + gross_amount + server_key) in hex', () => {
    // sha512("ORDER-1" "200" "10000.00" "key") computed independently with coreutils sha512sum
    expect(notificationSignature('ORDER-1', '200', '10000.00', 'key')).toBe(
      '40be90c770dcb4f7b22f8a09457a26ac52c3ad982d4dd22c4d0ed31fd1b1dde77451845515f4dc47e80758e1c6b33cf4ee9edb7aa0fe50b3d43c5ff45a5316f7',
    );
  });
  it.each([
    ['capture', 'accept', 'paid'], ['capture', 'challenge', 'pending'], ['settlement', undefined, 'paid'], ['pending', undefined, 'pending'],
    ['deny', undefined, 'failed'], ['cancel', undefined, 'failed'], ['expire', undefined, 'failed'], ['failure', undefined, 'failed'],
  ])('%s (%s) → %s', (s, f, want) => expect(mapStatus(s, f)).toBe(want));
});

describe('payments on real PostgreSQL with a fake Snap API', () => {
  let tdb: TestDatabase;
  let p: Platform;
  let db: Db;
  let base: string;
  let fake: FakeMidtrans;
  let A: { id: string; key: string };
  let B: { id: string; key: string };

  beforeAll(async () => {
    fake = await startFakeMidtrans(KEY);
    tdb = await createTestDatabase('pay');
    const cfg = setConfig(testConfig({ DATABASE_URL: tdb.url, SERVICES: 'api,storage,users,subscription,billing,payments', MIDTRANS_SERVER_KEY: KEY, MIDTRANS_BASE_URL: fake.url }));
    p = await startPlatform(cfg);
    base = `http://127.0.0.1:${(await p.broker.call<{ port: number }, object>('api.address', {})).port}`;
    db = await getMigratedDb(cfg);
    const a = await createTenant(db, 'Alpha', 'free');
    const b = await createTenant(db, 'Beta', 'free');
    A = { id: a.id, key: (await createApiKey(db, a.id)).key };
    B = { id: b.id, key: (await createApiKey(db, b.id)).key };
    await new Promise((r) => setTimeout(r, 150));
  });
  afterAll(async () => {
    await p?.stop();
    await tdb.drop();
    await fake.close();
  });

  let invoice: { id: string; number: string; total: number };
  let orderId: string;

  it('creates a Snap transaction for an upgrade invoice (Basic auth, order and amount)', async () => {
    const ch = await http(base, 'POST', '/api/v1/subscription/change', { key: A.key, body: { tier: 'pro', confirm: true } });
    expect(ch.status).toBe(202);
    invoice = ch.body.invoice;
    const r = await http(base, 'POST', '/api/v1/payments', { key: A.key, body: { invoiceId: invoice.id } });
    expect(r.status).toBe(201);
    expect(r.body.token).toMatch(/^[0-9a-f-]{36}$/);
    expect(r.body.redirectUrl).toBe(`${fake.url}/snap/v4/redirection/${r.body.token}`);
    orderId = r.body.orderId;
    expect(orderId).toBe(invoice.number);
    const sent = fake.requests.at(-1)!;
    expect(sent.auth).toBe('Basic ' + Buffer.from(KEY + ':').toString('base64'));
    expect(sent.body.transaction_details).toEqual({ order_id: invoice.number, gross_amount: invoice.total });
    expect(sent.body.item_details[0]).toMatchObject({ price: invoice.total, quantity: 1 });
    // asked again: the same pending transaction, not a second one
    const again = await http(base, 'POST', '/api/v1/payments', { key: A.key, body: { invoiceId: invoice.id } });
    expect(again.body.token).toBe(r.body.token);
    expect(fake.requests).toHaveLength(1);
    // another tenant cannot pay (or see) it
    expect((await http(base, 'POST', '/api/v1/payments', { key: B.key, body: { invoiceId: invoice.id } })).status).toBe(404);
  });

  it('refuses a bad signature (401) and an unknown order (404)', async () => {
    const bad = { ...signedNotification(KEY, orderId, invoice.total, 'settlement'), signature_key: 'f'.repeat(128) };
    const r1 = await http(base, 'POST', '/webhooks/midtrans', { body: bad });
    expect(r1.status).toBe(401);
    expect(r1.body.error.code).toBe('BAD_SIGNATURE');
    const forged = signedNotification('wrong-key', orderId, invoice.total, 'settlement');
    expect((await http(base, 'POST', '/webhooks/midtrans', { body: forged })).status).toBe(401);
    const r2 = await http(base, 'POST', '/webhooks/midtrans', { body: signedNotification(KEY, 'INV-000000-9999', 1000, 'settlement') });
    expect(r2.status).toBe(404);
    const r3 = await http(base, 'POST', '/webhooks/midtrans', { body: signedNotification(KEY, orderId, invoice.total + 1, 'settlement') });
    expect(r3.status).toBe(422);
    expect((await http(base, 'GET', '/api/v1/tenant', { key: A.key })).body.tier).toBe('free');
  });

  it('pending, then settlement (repeated): paid once, tier upgraded through users', async () => {
    const pend = await http(base, 'POST', '/webhooks/midtrans', { body: signedNotification(KEY, orderId, invoice.total, 'pending') });
    expect(pend.status).toBe(200);
    expect(pend.body).toMatchObject({ status: 'pending' });
    expect((await http(base, 'GET', '/api/v1/tenant', { key: A.key })).body.tier).toBe('free');
    const n = signedNotification(KEY, orderId, invoice.total, 'settlement');
    const rs = await Promise.all([1, 2, 3].map(() => http(base, 'POST', '/webhooks/midtrans', { body: n })));
    expect(rs.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(rs.filter((r) => r.body.recorded)).toHaveLength(1);
    expect((await http(base, 'GET', '/api/v1/tenant', { key: A.key })).body.tier).toBe('pro');
    const inv = await http(base, 'GET', `/api/v1/invoices/${invoice.id}`, { key: A.key });
    expect(inv.body.status).toBe('paid');
    expect(inv.body.payments.map((x: { status: string }) => x.status)).toEqual(['pending', 'paid']);
    const changes = await db.query("SELECT 1 FROM audit_log WHERE tenant_id = $1 AND action = 'tenant.tier_changed'", [A.id]);
    expect(changes).toHaveLength(1);
    // a late expire does not undo it
    const late = await http(base, 'POST', '/webhooks/midtrans', { body: signedNotification(KEY, orderId, invoice.total, 'expire') });
    expect(late.status).toBe(200);
    expect((await http(base, 'GET', `/api/v1/invoices/${invoice.id}`, { key: A.key })).body.status).toBe('paid');
    expect((await http(base, 'POST', '/api/v1/payments', { key: A.key, body: { invoiceId: invoice.id } })).status).toBe(409);
  });
});
