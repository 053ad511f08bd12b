/**
 * Trading and risk over HTTP: the real `api` (API keys, Idempotency-Key header, one error
 * map), `users`, `trading` and `risk` on a real PostgreSQL; market-data is an in-test peer.
 */
import { setConfig } from '../../config';
import { getMigratedDb } from '../../lib/storage/connect';
import { Platform, startPlatform } from '../../runner';
import { createApiKey, createTenant } from '../../services/users/tenants';
import type { Order } from '../../types/trading';
import { http } from '../helpers/http';
import { createTestDatabase, TestDatabase, testConfig } from '../helpers/infra';
import { EventRecorder, MarketDataPeer } from '../helpers/trading';

describe('orders, positions, fills and risk over REST', () => {
  let tdb: TestDatabase;
  let p: Platform;
  let base: string;
  let keyA: string;
  let keyB: string;
  let rec: EventRecorder;

  beforeAll(async () => {
    tdb = await createTestDatabase('rest');
    const cfg = setConfig(testConfig({ DATABASE_URL: tdb.url, SERVICES: 'api,users,trading,risk' }));
    p = await startPlatform(cfg);
    const md = new MarketDataPeer(p.broker);
    rec = new EventRecorder(p.broker, ['order.filled']);
    await p.broker.waitForServices(['market-data', 'recorder']);
    await md.tick('EURUSD', 1.1, 1.1001);
    const addr = await p.broker.call<{ port: number }, object>('api.address', {});
    base = `http://127.0.0.1:${addr.port}`;
    const db = await getMigratedDb(cfg);
    keyA = (await createApiKey(db, (await createTenant(db, 'Alpha', 'pro')).id)).key;
    keyB = (await createApiKey(db, (await createTenant(db, 'Beta', 'pro')).id)).key;
    await new Promise((r) => setTimeout(r, 200)); // alias regeneration debounce
  });
  afterAll(async () => {
    await p?.stop();
    await tdb?.drop();
  });

  const post = (body: unknown, key?: string, as = keyA) => http(base, 'POST', '/api/v1/orders', { key: as, body, headers: key ? { 'idempotency-key': key } : {} });

  it('POST /orders needs an Idempotency-Key, goes through risk, replays and conflicts', async () => {
    const none = await post({ symbol: 'EURUSD', side: 'buy', volume: 0.1 });
    expect(none.status).toBe(400);
    expect(none.body.error.code).toBe('IDEMPOTENCY_KEY_REQUIRED');
    const r = await post({ symbol: 'EURUSD', side: 'buy', volume: 0.1, sl: 1.09 }, 'rest-1');
    expect(r.status).toBe(201);
    expect(r.headers.get('location')).toBe(`/api/v1/orders/${r.body.id}`);
    expect(r.body).toMatchObject({ status: 'accepted', symbol: 'EURUSD', volume: 0.1, idempotencyKey: 'rest-1' });
    expect(r.body.risk.checks).toHaveLength(11);
    const again = await post({ symbol: 'EURUSD', side: 'buy', volume: 0.1, sl: 1.09 }, 'rest-1');
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(r.body.id);
    const conflict = await post({ symbol: 'EURUSD', side: 'buy', volume: 0.2 }, 'rest-1');
    expect(conflict.status).toBe(409);
    expect(conflict.body.error.code).toBe('IDEMPOTENCY_CONFLICT');
    await rec.wait('order.filled', (e) => (e.order as Order).id === r.body.id);
  });

  it.each([
    [{ symbol: 'EURUSD', side: 'buy', volume: -1 }, /volume must be a positive finite number/],
    [{ symbol: 'EURUSD', side: 'buy', volume: 0 }, /volume must be a positive finite number/],
    [{ symbol: 'EURUSD', side: 'buy', volume: 0.005 }, /below EURUSD's minimum/],
    [{ symbol: 'EURUSD', side: 'buy', volume: 0.011 }, /volume step/],
    [{ symbol: 'XXXYYY', side: 'buy', volume: 0.1 }, /unknown symbol XXXYYY/],
    [{ symbol: 'EURUSD', side: 'sell', volume: 0.1, sl: 1.05 }, /stop loss 1.05000 of a sell must be above/],
  ])('422 with the reason for %j', async (body, msg) => {
    const r = await post(body, `bad-${JSON.stringify(body)}`);
    expect(r.status).toBe(422);
    expect(r.body.error.message).toMatch(msg);
  });

  it('422 VALIDATION_ERROR for a non-numeric volume', async () => {
    const r = await post({ symbol: 'EURUSD', side: 'buy', volume: 'many' }, 'bad-type');
    expect(r.status).toBe(422);
    expect(r.body.error.code).toBe('VALIDATION_ERROR');
  });

  it('GET /orders/:id with its fills; another tenant gets 404; lists; cancel of a filled order is 409', async () => {
    const list = await http(base, 'GET', '/api/v1/orders?limit=10', { key: keyA });
    expect(list.status).toBe(200);
    const id = list.body.items[0].id as string;
    const one = await http(base, 'GET', `/api/v1/orders/${id}`, { key: keyA });
    expect(one.status).toBe(200);
    expect(one.body.fills).toHaveLength(1);
    expect(one.body.fills[0].price).toBe(1.1001);
    expect(one.body.decisionId).toBeNull();
    const other = await http(base, 'GET', `/api/v1/orders/${id}`, { key: keyB });
    expect(other.status).toBe(404);
    expect((await http(base, 'DELETE', `/api/v1/orders/${id}`, { key: keyB })).status).toBe(404);
    const del = await http(base, 'DELETE', `/api/v1/orders/${id}`, { key: keyA });
    expect(del.status).toBe(409);
    const pos = await http(base, 'GET', '/api/v1/positions', { key: keyA });
    expect(pos.body.items).toHaveLength(1);
    expect(pos.body.items[0]).toMatchObject({ symbol: 'EURUSD', volume: 0.1, sl: 1.09 });
    expect((await http(base, 'GET', '/api/v1/positions', { key: keyB })).body.items).toHaveLength(0);
    const fills = await http(base, 'GET', '/api/v1/fills', { key: keyA });
    expect(fills.body.items).toHaveLength(1);
  });

  it('a pending order can be cancelled with DELETE', async () => {
    const r = await post({ symbol: 'EURUSD', side: 'buy', type: 'limit', price: 1.05, volume: 0.1 }, 'pend-1');
    expect(r.status).toBe(201);
    let cancelled: { status: number; body: { status: string } } | null = null;
    for (let i = 0; i < 50 && cancelled?.status !== 200; i++) {
      cancelled = await http(base, 'DELETE', `/api/v1/orders/${r.body.id}`, { key: keyA });
      if (cancelled.status !== 200) await new Promise((res) => setTimeout(res, 20));
    }
    expect(cancelled).toMatchObject({ status: 200, body: { status: 'cancelled' } });
  });

  it('GET /risk/report and PUT /risk/limits (contradictions → 422)', async () => {
    const rep = await http(base, 'GET', '/api/v1/risk/report', { key: keyA });
    expect(rep.status).toBe(200);
    expect(rep.body.exposure.bySymbol[0].symbol).toBe('EURUSD');
    expect(rep.body.var['95'].historical.var).toBeGreaterThan(0);
    expect(rep.body.scenarios.length).toBeGreaterThan(2);
    const bad = await http(base, 'PUT', '/api/v1/risk/limits', { key: keyA, body: { maxSymbolExposure: 9e6, maxTotalExposure: 1e6 } });
    expect(bad.status).toBe(422);
    expect(bad.body.error.code).toBe('CONTRADICTORY_LIMITS');
    const ok = await http(base, 'PUT', '/api/v1/risk/limits', { key: keyA, body: { maxPositionLots: 3 } });
    expect(ok.status).toBe(200);
    expect(ok.body.limits.maxPositionLots).toBe(3);
  });

  it('trading.submit is not reachable over HTTP', async () => {
    const r = await http(base, 'POST', '/api/v1/trading/submit', { key: keyA, body: {} });
    expect(r.status).toBe(404);
  });
});
