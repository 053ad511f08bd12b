import * as net from 'node:net';
import { setConfig } from '../../config';
import { getMigratedDb } from '../../lib/storage/connect';
import { Platform, startPlatform } from '../../runner';
import { createApiKey, createTenant } from '../../services/users/tenants';
import { createTestDatabase, REDIS_URL, redisPrefix, TestDatabase, testConfig } from '../helpers/infra';
import { http } from '../helpers/http';

describe('api on real PostgreSQL and Redis', () => {
  let tdb: TestDatabase;
  let p: Platform;
  let base: string;
  let keyA: string;
  let keyB: string;
  let tenantA: string;
  let admin: string;

  beforeAll(async () => {
    tdb = await createTestDatabase('api');
    const cfg = setConfig(testConfig({ DATABASE_URL: tdb.url, REDIS_URL, REDIS_PREFIX: redisPrefix(), SERVICES: 'api,storage,users' }));
    p = await startPlatform(cfg);
    const addr = await p.broker.call<{ port: number }, object>('api.address', {});
    base = `http://127.0.0.1:${addr.port}`;
    const db = await getMigratedDb(cfg);
    const a = await createTenant(db, 'Alpha', 'pro');
    const b = await createTenant(db, 'Beta', 'free');
    tenantA = a.id;
    keyA = (await createApiKey(db, a.id)).key;
    keyB = (await createApiKey(db, b.id)).key;
    admin = (await createApiKey(db, a.id, 'ops', 'admin')).key;
    await new Promise((r) => setTimeout(r, 150)); // alias regeneration debounce
  });
  afterAll(async () => {
    await p?.stop();
    await tdb.drop();
  });

  it('serves /health with each dependency', async () => {
    const r = await http(base, 'GET', '/health');
    expect(r.status).toBe(200);
    expect(r.body.status).toBe('ok');
    const names = r.body.dependencies.map((d: { name: string }) => d.name);
    expect(names).toEqual(expect.arrayContaining(['database (PostgreSQL)', 'redis']));
    expect(r.body.dependencies.every((d: { status: string }) => d.status === 'up')).toBe(true);
  });

  it('serves Prometheus metrics', async () => {
    await http(base, 'GET', '/api/v1/tenant', { key: keyA });
    const r = await http(base, 'GET', '/metrics');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/text\/plain/);
    expect(r.text).toMatch(/# TYPE moleculer_request_total counter/);
    expect(r.text).toMatch(/moleculer_request_total\{[^}]*action="users.me"/);
  });

  it('authenticates by Bearer or X-API-Key and puts the tenant in meta', async () => {
    const r1 = await http(base, 'GET', '/api/v1/tenant', { key: keyA });
    expect(r1.status).toBe(200);
    expect(r1.body).toMatchObject({ id: tenantA, name: 'Alpha', tier: 'pro' });
    expect(r1.body.plan.requestsPerMinute).toBe(1200);
    const r2 = await http(base, 'GET', '/api/v1/tenant', { headers: { 'x-api-key': keyB } });
    expect(r2.body.name).toBe('Beta');
  });

  it.each([
    ['no key', {}],
    ['malformed key', { authorization: 'Bearer nope' }],
    ['unknown key', { 'x-api-key': 'p2k_000000000000_' + 'a'.repeat(43) }],
  ])('401 with %s', async (_n, headers) => {
    const r = await http(base, 'GET', '/api/v1/tenant', { headers: headers as Record<string, string> });
    expect(r.status).toBe(401);
    expect(r.body.error.code).toBe('UNAUTHENTICATED');
  });

  it('keeps tenants apart: another tenant\'s key id is 404, never the row', async () => {
    const own = await http(base, 'POST', '/api/v1/keys', { key: keyA, body: { name: 'ci' } });
    expect(own.status).toBe(201);
    expect(own.body.key).toMatch(/^p2k_/);
    const id = own.body.id as string;
    expect((await http(base, 'GET', `/api/v1/keys/${id}`, { key: keyA })).status).toBe(200);
    const other = await http(base, 'GET', `/api/v1/keys/${id}`, { key: keyB });
    expect(other.status).toBe(404);
    expect(other.text).not.toContain(tenantA);
    const list = await http(base, 'GET', '/api/v1/keys', { key: keyB });
    expect(list.body.items.map((k: { id: string }) => k.id)).not.toContain(id);
    expect((await http(base, 'DELETE', `/api/v1/keys/${id}`, { key: keyB })).status).toBe(404);
  });

  it('rejects a revoked key at once', async () => {
    const created = await http(base, 'POST', '/api/v1/keys', { key: keyA, body: { name: 'temp' } });
    const temp = created.body.key as string;
    expect((await http(base, 'GET', '/api/v1/tenant', { key: temp })).status).toBe(200);
    expect((await http(base, 'DELETE', `/api/v1/keys/${created.body.id}`, { key: keyA })).status).toBe(200);
    const r = await http(base, 'GET', '/api/v1/tenant', { key: temp });
    expect(r.status).toBe(401);
  });

  it('maps errors: 422 with fields, 404 route, 400 bad JSON, 413 too large, 403 admin-only', async () => {
    const v = await http(base, 'POST', '/api/v1/keys', { key: keyA, body: { name: '' } });
    expect(v.status).toBe(422);
    expect(v.body.error.code).toBe('VALIDATION_ERROR');
    expect(v.body.error.data[0].field).toBe('name');
    const nf = await http(base, 'GET', '/api/v1/no-such-thing', { key: keyA });
    expect(nf.status).toBe(404);
    expect(nf.body.error.code).toBe('NOT_FOUND');
    const bj = await http(base, 'POST', '/api/v1/keys', { key: keyA, raw: '{"name": ' });
    expect(bj.status).toBe(400);
    expect(bj.body.error.code).toBe('BAD_JSON');
    const big = await http(base, 'POST', '/api/v1/keys', { key: keyA, raw: JSON.stringify({ name: 'x'.repeat(2 * 1024 * 1024) }) });
    expect(big.status).toBe(413);
    const forbidden = await http(base, 'POST', '/api/v1/tenants', { key: keyA, body: { name: 'Gamma' } });
    expect(forbidden.status).toBe(403);
    const ok = await http(base, 'POST', '/api/v1/tenants', { key: admin, body: { name: 'Gamma', tier: 'enterprise' } });
    expect(ok.status).toBe(200);
    expect(ok.body.tier).toBe('enterprise');
  });

  it('rate-limits per tenant by tier with 429 and Retry-After', async () => {
    // free tier: 120/min, burst 30
    const results = await Promise.all(Array.from({ length: 45 }, () => http(base, 'GET', '/api/v1/tenant', { key: keyB })));
    const limited = results.filter((r) => r.status === 429);
    expect(limited.length).toBeGreaterThanOrEqual(10);
    expect(limited[0].body.error.code).toBe('RATE_LIMITED');
    expect(Number(limited[0].headers.get('retry-after'))).toBeGreaterThan(0);
    // the other tenant is unaffected
    expect((await http(base, 'GET', '/api/v1/tenant', { key: keyA })).status).toBe(200);
  });

  it('publishes an OpenAPI document generated from the routes', async () => {
    const r = await http(base, 'GET', '/api/openapi.json');
    expect(r.status).toBe(200);
    expect(r.body.openapi).toBe('3.1.0');
    expect(r.body.paths['/api/v1/keys/{id}'].get.parameters[0]).toMatchObject({ name: 'id', in: 'path', required: true });
    expect(r.body.paths['/api/v1/keys'].post.requestBody.content['application/json'].schema.properties.name).toMatchObject({ type: 'string', maxLength: 100 });
    expect(r.body.paths['/health']).toBeDefined();
  });
});

describe('api health when the database goes away', () => {
  let tdb: TestDatabase;
  let proxy: net.Server;
  const sockets = new Set<net.Socket>();

  beforeAll(async () => {
    tdb = await createTestDatabase('hl');
    // A TCP proxy in front of PostgreSQL that the test can cut, as a network partition would.
    proxy = net.createServer((c) => {
      const s = net.connect(5432, '127.0.0.1');
      sockets.add(c).add(s);
      c.pipe(s).pipe(c);
      const end = () => {
        c.destroy();
        s.destroy();
      };
      c.on('error', end).on('close', end);
      s.on('error', end).on('close', end);
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  });
  afterAll(async () => {
    if (proxy.listening) await new Promise((r) => proxy.close(r));
    for (const s of sockets) s.destroy();
    await tdb.drop();
  });

  it('turns 503 and names the database when Postgres is unreachable', async () => {
    const port = (proxy.address() as net.AddressInfo).port;
    const url = new URL(tdb.url);
    url.host = `127.0.0.1:${port}`;
    const cfg = setConfig(testConfig({ DATABASE_URL: url.toString(), SERVICES: 'api,storage' }));
    const p = await startPlatform(cfg);
    try {
      const addr = await p.broker.call<{ port: number }, object>('api.address', {});
      const base = `http://127.0.0.1:${addr.port}`;
      expect((await http(base, 'GET', '/health')).status).toBe(200);
      proxy.close();
      for (const s of sockets) s.destroy();
      const t0 = Date.now();
      const r = await http(base, 'GET', '/health');
      expect(Date.now() - t0).toBeLessThan(5000);
      expect(r.status).toBe(503);
      expect(r.body.status).toBe('down');
      expect(r.body.dependencies[0]).toMatchObject({ status: 'down', required: true });
      expect(r.body.dependencies[0].detail).toMatch(/database unavailable/);
    } finally {
      await p.stop();
    }
  });

  it('fails to start within 5 s with a clear error when DATABASE_URL is unreachable', async () => {
    const cfg = setConfig(testConfig({ DATABASE_URL: 'postgres://postgres@127.0.0.1:1/nowhere', SERVICES: 'storage' }));
    const t0 = Date.now();
    await expect(startPlatform(cfg)).rejects.toThrow(/database unavailable/);
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  it('fails to start within 5 s with a clear error when REDIS_URL is unreachable', async () => {
    const cfg = setConfig(testConfig({ DATABASE_URL: tdb.url, REDIS_URL: 'redis://127.0.0.1:1', SERVICES: 'api,storage' }));
    const t0 = Date.now();
    await expect(startPlatform(cfg)).rejects.toThrow(/redis unavailable/);
    expect(Date.now() - t0).toBeLessThan(5000);
  });
});
