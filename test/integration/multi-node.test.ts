/** The same build as two nodes over the real NATS: an api node calls services living on another node. */
import { randomBytes } from 'node:crypto';
import { setConfig } from '../../config';
import { getMigratedDb } from '../../lib/storage/connect';
import { Platform, startPlatform } from '../../runner';
import { createApiKey, createTenant } from '../../services/users/tenants';
import { createTestDatabase, NATS_URL, TestDatabase, testConfig } from '../helpers/infra';
import { http } from '../helpers/http';

describe('two nodes over NATS', () => {
  let tdb: TestDatabase;
  let apiNode: Platform;
  let dataNode: Platform;

  beforeAll(async () => {
    tdb = await createTestDatabase('nats');
  });
  afterAll(async () => {
    await apiNode?.stop();
    await dataNode?.stop();
    await tdb.drop();
  });

  it('routes an authenticated REST call from the api node to users/storage on the other node', async () => {
    const ns = `plan2-test-${randomBytes(4).toString('hex')}`;
    const common = { DATABASE_URL: tdb.url, TRANSPORTER: NATS_URL };
    const cfgData = setConfig(testConfig({ ...common, SERVICES: 'storage,users', NODE_ID: 'data-1' }));
    dataNode = await startPlatform(cfgData, { namespace: ns });
    const cfgApi = testConfig({ ...common, SERVICES: 'api', NODE_ID: 'api-1' });
    apiNode = await startPlatform(cfgApi, { namespace: ns });
    await apiNode.broker.waitForServices(['users', 'storage'], 10_000);

    const db = await getMigratedDb(cfgData);
    const t = await createTenant(db, 'Remote', 'free');
    const { key } = await createApiKey(db, t.id);
    const addr = await apiNode.broker.call<{ port: number }, object>('api.address', {});
    const base = `http://127.0.0.1:${addr.port}`;

    // Auto-aliases arrive as the other node's services are discovered.
    let r = await http(base, 'GET', '/api/v1/tenant', { key });
    for (let i = 0; i < 40 && r.status === 404; i++) {
      await new Promise((res) => setTimeout(res, 50));
      r = await http(base, 'GET', '/api/v1/tenant', { key });
    }
    expect(r.status).toBe(200);
    expect(r.body.name).toBe('Remote');
    expect(apiNode.broker.registry.getServiceList({ onlyLocal: true }).map((s) => s.name)).not.toContain('users');

    const h = await http(base, 'GET', '/health');
    expect(h.status).toBe(200);
    expect(h.body.nodes).toBe(2);
    expect(h.body.dependencies.map((d: { name: string }) => d.name)).toContain('transporter (NATS)');

    // The data node goes away: its services become unavailable, health says so with 503.
    await dataNode.stop();
    dataNode = undefined as unknown as Platform;
    const down = await http(base, 'GET', '/health');
    expect(down.status).toBe(503);
    const call = await http(base, 'GET', '/api/v1/tenant', { key: 'p2k_000000000000_' + 'b'.repeat(43) });
    expect([401, 404, 503]).toContain(call.status);
  });
});

describe('an unreachable NATS', () => {
  it('fails the start within 5 s with a message naming the transporter', async () => {
    const cfg = setConfig(testConfig({ TRANSPORTER: 'nats://127.0.0.1:1', SERVICES: 'storage', DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/postgres' }));
    const t0 = Date.now();
    await expect(startPlatform(cfg)).rejects.toThrow(/transporter unavailable: NATS at nats:\/\/127.0.0.1:1/);
    expect(Date.now() - t0).toBeLessThan(5000);
  });
});
