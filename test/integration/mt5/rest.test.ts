/** `GET /api/v1/feed/sessions` through the real api service: authenticated, tenant-scoped. */
import { setConfig } from '../../../config';
import { getMigratedDb } from '../../../lib/storage/connect';
import { createMt5Token } from '../../../mt5-gateway/tokens';
import { Platform, startPlatform } from '../../../runner';
import { createApiKey, createTenant } from '../../../services/users/tenants';
import { http } from '../../helpers/http';
import { createTestDatabase, TestDatabase, testConfig } from '../../helpers/infra';
import { RawClient } from './raw-client';

describe('REST feed sessions', () => {
  let tdb: TestDatabase;
  let p: Platform;
  let base: string;
  let keyA: string;
  let keyB: string;
  let tokenA: string;
  let tenantA: string;
  let client: RawClient | null = null;

  beforeAll(async () => {
    tdb = await createTestDatabase('mt5rest');
    const cfg = setConfig(testConfig({ DATABASE_URL: tdb.url, SERVICES: 'api,users,mt5-gateway', HOST: '127.0.0.1' }));
    p = await startPlatform(cfg);
    base = `http://127.0.0.1:${(await p.broker.call<{ port: number }, object>('api.address', {})).port}`;
    const db = await getMigratedDb(cfg);
    const a = await createTenant(db, 'Alpha', 'pro');
    const b = await createTenant(db, 'Beta', 'free');
    tenantA = a.id;
    keyA = (await createApiKey(db, a.id)).key;
    keyB = (await createApiKey(db, b.id)).key;
    tokenA = (await createMt5Token(db, a.id, 'rest')).token;
    await new Promise((r) => setTimeout(r, 150)); // alias regeneration debounce
  });
  afterAll(async () => {
    client?.destroy();
    await p?.stop();
    await tdb.drop();
  });

  it('lists a tenant its live MT5 sessions with seq and error counters, and nobody else', async () => {
    const { port } = await p.broker.call<{ port: number }, object>('mt5-gateway.info', {});
    client = await RawClient.tcp(port);
    client.hello(tokenA, { login: '4242' });
    await client.type('welcome');
    client.send({ type: 'symbols', symbols: [{ name: 'EURUSD', digits: 5, point: 0.00001 }] });
    await client.type('backfill');
    client.send({ type: 'tick', seq: 1, symbol: 'EURUSD', time_msc: 1399518008715, bid: 1.1, ask: 1.2 });
    client.send({ type: 'tick', seq: 3, symbol: 'EURUSD', time_msc: 1399518008716, bid: 1.1, ask: 1.2 });
    client.send('garbage\n');
    await client.next((m) => m.code === 'BAD_JSON');
    const mine = await http(base, 'GET', '/api/v1/feed/sessions', { key: keyA });
    expect(mine.status).toBe(200);
    expect(mine.body.items).toHaveLength(1);
    expect(mine.body.items[0]).toMatchObject({ account: `${tenantA}:4242@Test-Demo`, tenantId: tenantA, state: 'ready', lastSeq: 3, gaps: 1, missing: 1, malformed: 1, errors: { BAD_JSON: 1 } });
    const theirs = await http(base, 'GET', '/api/v1/feed/sessions', { key: keyB });
    expect(theirs.status).toBe(200);
    expect(theirs.body.items).toEqual([]);
    expect((await http(base, 'GET', '/api/v1/feed/sessions')).status).toBe(401);
  });
});
