import type { ServiceBroker, ServiceSchema } from 'moleculer';
import { WebSocket } from 'ws';
import { setConfig } from '../../config';
import { closeDb, getMigratedDb } from '../../lib/storage/connect';
import { createBroker, discoverServices, loadServices } from '../../runner';
import createStreamService from '../../services/stream/stream.service';
import { createApiKey, createTenant } from '../../services/users/tenants';
import type { Candle, Tick } from '../../types/market';
import { createTestDatabase, TestDatabase, testConfig } from '../helpers/infra';
import { groupBy, leanTicks } from '../helpers/lean';
import { StreamClient } from '../helpers/ws-client';

interface Stats {
  clients: number;
  authenticated: number;
  subscriptions: number;
  deliveries: number;
  slowDrops: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('stream service (/ws) on a real broker, api server and PostgreSQL', () => {
  let tdb: TestDatabase;
  let broker: ServiceBroker;
  let url: string;
  let keyA: string;
  let keyB: string;
  let tenantA: string;
  let tenantB: string;
  const clients: StreamClient[] = [];

  const open = async (query = ''): Promise<StreamClient> => {
    const c = await StreamClient.open(url + query);
    clients.push(c);
    return c;
  };
  const signedIn = async (key: string): Promise<StreamClient> => {
    const c = await open();
    const r = await c.auth(key);
    expect(r.type).toBe('ready');
    return c;
  };
  const stats = () => broker.call<Stats, object>('stream.stats', {});

  beforeAll(async () => {
    tdb = await createTestDatabase('stream');
    const cfg = setConfig(testConfig({ DATABASE_URL: tdb.url, SERVICES: 'api,users,market-data' }));
    broker = createBroker(cfg);
    loadServices(broker, cfg);
    // The real stream service with limits small enough to exercise in a test.
    broker.createService({
      name: 'stream',
      mixins: [createStreamService()],
      settings: { maxBufferedBytes: 64 * 1024, authTimeoutMs: 700, closeGraceMs: 3000, maxTopics: 8 },
    } as ServiceSchema);
    await broker.start();
    const db = await getMigratedDb(cfg);
    const a = await createTenant(db, 'A', 'pro');
    const b = await createTenant(db, 'B', 'free');
    tenantA = a.id;
    tenantB = b.id;
    keyA = (await createApiKey(db, a.id, 'ws')).key;
    keyB = (await createApiKey(db, b.id, 'ws')).key;
    const addr = await broker.call<{ port: number }, object>('api.address', {});
    url = `ws://127.0.0.1:${addr.port}/ws`;
  });

  afterEach(() => {
    for (const c of clients.splice(0)) c.close();
  });

  afterAll(async () => {
    await broker?.stop();
    await closeDb();
    await tdb?.drop();
  });

  it('is discovered as the service key "stream"', () => {
    expect(discoverServices().map((s) => s.key)).toContain('stream');
  });

  describe('authentication', () => {
    it('accepts the key as ?key= and replies ready with the tenant', async () => {
      const c = await open(`?key=${encodeURIComponent(keyA)}`);
      const r = await c.next((m) => m.type === 'ready');
      expect(r).toMatchObject({ type: 'ready', tenantId: tenantA, tier: 'pro', role: 'tenant' });
    });

    it('closes with 4401 on a wrong key in the query', async () => {
      const c = await open('?key=p2k_000000000000_' + 'x'.repeat(43));
      const e = await c.next((m) => m.type === 'error');
      expect(e).toMatchObject({ code: 'UNAUTHENTICATED' });
      expect((await c.waitClose()).code).toBe(4401);
    });

    it('closes with 4401 on a wrong first-message key, and on a key that is not a string', async () => {
      const c = await open();
      expect(await c.auth('nope')).toMatchObject({ type: 'error', code: 'UNAUTHENTICATED' });
      expect((await c.waitClose()).code).toBe(4401);
      const d = await open();
      d.send({ type: 'auth', key: 42 });
      expect((await d.waitClose()).code).toBe(4401);
    });

    it('refuses subscriptions before auth and closes unauthenticated connections after the deadline', async () => {
      const c = await open();
      c.send({ type: 'subscribe', topics: ['ticks:EURUSD'], id: 1 });
      expect(await c.next((m) => m.type === 'error')).toMatchObject({ code: 'UNAUTHENTICATED', id: 1 });
      const closed = await c.waitClose(3000);
      expect(closed).toEqual({ code: 4401, reason: 'authentication timeout' });
    });

    it('closes the connections of a revoked key with 4401', async () => {
      const c = await signedIn(keyB);
      const other = await signedIn(keyA);
      const { keyId } = (await broker.call<{ keyId: string }, { key: string }>('users.authenticate', { key: keyB }))!;
      await broker.broadcast('keys.revoked', { keyId });
      expect((await c.waitClose()).code).toBe(4401);
      expect(other.closed).toBeNull();
    });
  });

  describe('messages', () => {
    it('answers bad JSON, unknown types and bad topics with errors and keeps the connection', async () => {
      const c = await signedIn(keyA);
      c.ws.send('{not json');
      expect(await c.next((m) => m.type === 'error' && m.code === 'BAD_MESSAGE')).toBeTruthy();
      c.send({ type: 'dance', id: 7 });
      expect(await c.next((m) => m.type === 'error' && m.id === 7)).toMatchObject({ code: 'BAD_MESSAGE' });
      const r = await c.subscribe('candles:EURUSD:M2', 'ticks:EUR USD', 'weather', 'orders');
      expect(r).toMatchObject({ topics: ['orders'] });
      expect(c.messages.filter((m) => m.type === 'error' && m.code === 'BAD_TOPIC').length).toBe(3);
      c.send({ type: 'ping', id: 'p' });
      expect(await c.next((m) => m.type === 'pong')).toMatchObject({ id: 'p' });
    });

    it('limits subscriptions per connection', async () => {
      const c = await signedIn(keyA);
      const topics = Array.from({ length: 10 }, (_, i) => `ticks:SYM${i}`);
      const r = await c.subscribe(...topics);
      expect(r).toMatchObject({ topics: topics.slice(0, 8) });
      expect(await c.next((m) => m.type === 'error' && m.code === 'TOO_MANY_TOPICS')).toBeTruthy();
    });

    it('answers upgrades on other paths with 404 when no one else handles them', async () => {
      const other = url.replace('/ws', '/elsewhere');
      await expect(StreamClient.open(other)).rejects.toThrow(/404/);
    });
  });

  describe('market topics', () => {
    it('delivers closed candles and tick batches as market-data ingests them; unsubscribe stops them', async () => {
      const c = await signedIn(keyA);
      await c.subscribe('candles:EURUSD:M1', 'ticks:EURUSD', 'candles:EURUSD:M5');
      const other = await signedIn(keyB);
      await other.subscribe('candles:GBPUSD:M1');
      const day = leanTicks();
      const start = day.findIndex((t) => t.time_msc >= day[0].time_msc + 3 * 60_000);
      const ticks: Tick[] = day.slice(0, start + 1); // three whole minutes plus the first tick of the fourth
      for (let i = 0; i < ticks.length; i += 500) {
        await broker.call('market-data.ingest', { source: 't1:1@test', ticks: ticks.slice(i, i + 500) });
      }
      const expected = groupBy(ticks, 60_000).slice(0, -1);
      expect(expected.length).toBeGreaterThanOrEqual(3);
      await c.next((m) => m.type === 'event' && m.topic === 'candles:EURUSD:M1' && (m.data as Candle).t === expected[expected.length - 1].t);
      const got = c.events<Candle>('candles:EURUSD:M1');
      expect(got.map((x) => ({ t: x.t, o: x.o, h: x.h, l: x.l, c: x.c, n: x.n }))).toEqual(expected);
      expect(got.every((x) => x.symbol === 'EURUSD' && x.tf === 'M1')).toBe(true);
      const tickEvents = c.events<{ symbol: string; ticks: Tick[] }>('ticks:EURUSD');
      expect(tickEvents.length).toBeGreaterThan(0);
      await c.next(() => c.events<{ ticks: Tick[] }>('ticks:EURUSD').reduce((n, e) => n + e.ticks.length, 0) === ticks.length);
      expect(other.events('candles:GBPUSD:M1')).toEqual([]);
      expect(other.messages.filter((m) => m.type === 'event')).toEqual([]);

      await c.unsubscribe('ticks:EURUSD', 'candles:EURUSD:M1');
      const before = c.messages.length;
      const more = day.slice(start + 1, day.findIndex((t) => t.time_msc >= day[0].time_msc + 5 * 60_000) + 1);
      await broker.call('market-data.ingest', { source: 't1:1@test', ticks: more });
      await c.subscribe('orders'); // a round trip: anything published before it has arrived
      const after = c.messages.slice(before).filter((m) => m.type === 'event');
      expect(after.every((m) => m.type === 'event' && m.topic === 'candles:EURUSD:M5')).toBe(true);
    });
  });

  describe('tenant-owned topics', () => {
    it('deliver only the subscriber tenant\u2019s events', async () => {
      const a = await signedIn(keyA);
      const b = await signedIn(keyB);
      const topics = ['orders', 'positions', 'decisions:EURUSD', 'flowchain:AI_Decision', 'backtests:bt1'];
      await a.subscribe(...topics);
      await b.subscribe(...topics);
      await broker.emit('order.filled', { tenantId: tenantA, order: { id: 'oA' } });
      await broker.emit('position.changed', { tenantId: tenantA, position: { id: 'pA' }, change: 'opened' });
      await broker.emit('decision.made', { id: 'dA', tenantId: tenantA, symbol: 'EURUSD', action: 'buy' }, { meta: { tenantId: tenantA } });
      await broker.emit('flowchain.updated', { chain: 'AI_Decision', tenantId: tenantA, stats: { n: 1 } });
      await broker.emit('flowchain.updated', { chain: 'AI_Decision', tenantId: null, stats: { n: 'all' } });
      await broker.emit('backtest.progress', { id: 'bt1', tenantId: tenantA, done: 0.5 });
      await broker.emit('order.accepted', { order: { id: 'no-tenant' } });
      // B's own events come after A's: once B has them, A's would have arrived too.
      await broker.emit('order.filled', { tenantId: tenantB, order: { id: 'oB' } });
      await broker.emit('decision.made', { id: 'dB', tenantId: tenantB, symbol: 'EURUSD', action: 'sell' });
      await b.next((m) => m.type === 'event' && m.topic === 'decisions:EURUSD');
      await a.next((m) => m.type === 'event' && m.topic === 'backtests:bt1');

      expect(a.events('orders')).toEqual([{ event: 'order.filled', tenantId: tenantA, order: { id: 'oA' } }]);
      expect(a.events('positions')).toEqual([{ event: 'position.changed', tenantId: tenantA, position: { id: 'pA' }, change: 'opened' }]);
      expect(a.events('decisions:EURUSD')).toEqual([{ id: 'dA', tenantId: tenantA, symbol: 'EURUSD', action: 'buy' }]);
      expect(a.events('flowchain:AI_Decision')).toEqual([{ chain: 'AI_Decision', tenantId: tenantA, stats: { n: 1 } }]);
      expect(a.events('backtests:bt1')).toEqual([{ event: 'backtest.progress', id: 'bt1', tenantId: tenantA, done: 0.5 }]);
      expect(b.events('orders')).toEqual([{ event: 'order.filled', tenantId: tenantB, order: { id: 'oB' } }]);
      expect(b.events('decisions:EURUSD')).toEqual([{ id: 'dB', tenantId: tenantB, symbol: 'EURUSD', action: 'sell' }]);
      expect(b.events('positions')).toEqual([]);
      expect(b.events('flowchain:AI_Decision')).toEqual([]);
      expect(b.events('backtests:bt1')).toEqual([]);
    });
  });

  describe('slow consumers', () => {
    it('drops a client that stops reading (close 1013) while a reading client keeps receiving', async () => {
      const slow = await signedIn(keyA);
      const fast = await signedIn(keyB);
      await slow.subscribe('ticks:SLOW');
      await fast.subscribe('ticks:SLOW');
      const s0 = await stats();
      // Stop reading: the server's writes fill the kernel buffers, then its own.
      (slow.ws as unknown as { _socket: { pause(): void } })._socket.pause();
      const ticks = Array.from({ length: 1000 }, (_, i) => ({ symbol: 'SLOW', time_msc: 1_400_000_000_000 + i, bid: 1.1 + i * 1e-5, ask: 1.1002 + i * 1e-5 }));
      let sent = 0;
      let s = s0;
      for (; sent < 2000; sent++) {
        await broker.emit('ticks.received', { symbol: 'SLOW', ticks });
        await new Promise((r) => setImmediate(r));
        if (sent % 20 === 19) {
          s = await stats();
          if (s.slowDrops > s0.slowDrops) break;
        }
      }
      expect(s.slowDrops).toBe(s0.slowDrops + 1);
      // The dropped client gets nothing more: only the fast one is subscribed now.
      await broker.emit('ticks.received', { symbol: 'SLOW', ticks: ticks.slice(0, 1) });
      const s2 = await stats();
      expect(s2.deliveries - s.deliveries).toBe(1);
      // The fast client received every batch, the last one included.
      await fast.next(() => fast.events('ticks:SLOW').length === sent + 2, 10_000);
      expect(fast.closed).toBeNull();
      // Reading again, the slow client finds the close frame behind what was buffered.
      (slow.ws as unknown as { _socket: { resume(): void } })._socket.resume();
      const closed = await slow.waitClose(10_000);
      expect(closed.code).toBe(1013);
      expect(closed.reason).toMatch(/^slow consumer: \d+ bytes unsent \(limit 65536\)$/);
      expect(slow.events('ticks:SLOW').length).toBeLessThan(sent + 1);
    });

    it('destroys a dropped client that never reads its close frame', async () => {
      const slow = await signedIn(keyA);
      await slow.subscribe('ticks:STUCK');
      (slow.ws as unknown as { _socket: { pause(): void } })._socket.pause();
      const ticks = Array.from({ length: 1000 }, (_, i) => ({ symbol: 'STUCK', time_msc: 1_400_000_000_000 + i, bid: 1.1, ask: 1.1002 }));
      const s0 = await stats();
      for (let i = 0; i < 2000; i++) {
        await broker.emit('ticks.received', { symbol: 'STUCK', ticks });
        await new Promise((r) => setImmediate(r));
        if (i % 20 === 19 && (await stats()).slowDrops > s0.slowDrops) break;
      }
      const dropped = await stats();
      expect(dropped.slowDrops).toBe(s0.slowDrops + 1);
      // After the grace period (3 s here) the server destroys the socket; the server forgets the client.
      const t0 = Date.now();
      while ((await stats()).clients >= dropped.clients && Date.now() - t0 < 8000) await sleep(100);
      expect((await stats()).clients).toBe(dropped.clients - 1);
    });
  });

  it('closes every connection with 1001 when the node stops', async () => {
    const cfg = setConfig(testConfig({ DATABASE_URL: tdb.url, SERVICES: 'api,users,stream' }));
    const b2 = createBroker(cfg);
    loadServices(b2, cfg);
    await b2.start();
    try {
      const addr = await b2.call<{ port: number }, object>('api.address', {});
      const ws = new WebSocket(`ws://127.0.0.1:${addr.port}/ws?key=${encodeURIComponent(keyA)}`);
      const code = new Promise<number>((r) => ws.on('close', (c) => r(c)));
      await new Promise((r) => ws.on('message', r));
      await b2.stop();
      expect(await code).toBe(1001);
    } finally {
      await b2.stop().catch(() => undefined);
    }
  });
});
