/**
 * Protocol conformance over a real socket: a client written from PROTOCOL.md
 * (raw-client.ts) against the real gateway service, real broker, real Postgres.
 */
import { EURUSD_SPEC, Harness, startHarness, until } from './harness';
import { RawClient } from './raw-client';

const OFFSET_MS = 10800 * 1000; // the raw client says server_offset_sec = 10800
const T0 = Date.UTC(2014, 4, 8, 0, 0, 8, 715); // a tick of the Lean EURUSD day, UTC

describe('MT5 gateway conformance', () => {
  let h: Harness;
  const clients: RawClient[] = [];
  async function client(kind: 'tcp' | 'ws' = 'tcp'): Promise<RawClient> {
    const c = kind === 'tcp' ? await RawClient.tcp(h.port) : await RawClient.ws(h.port);
    clients.push(c);
    return c;
  }
  async function ready(login = '51234567', extra: Record<string, unknown> = {}): Promise<RawClient> {
    const c = await client();
    c.hello(h.token, { login, ...extra });
    await c.type('welcome');
    return c;
  }

  beforeAll(async () => {
    h = await startHarness('mt5conf');
  });
  afterEach(() => {
    for (const c of clients.splice(0)) c.destroy();
    h.md.ticks.length = 0;
    h.md.delayMs = 0;
    h.events.length = 0;
  });
  afterAll(async () => h.stop());

  it('handshake: hello → welcome, symbols → backfill, ticks stored under the canonical name in UTC', async () => {
    const c = await client();
    c.hello(h.token);
    const w = await c.type('welcome');
    expect(w).toMatchObject({ protocol: 1, heartbeat_sec: 0.25, last_time_msc: {}, max_line_bytes: 65536 });
    expect(typeof w.session).toBe('string');
    c.send({ type: 'symbols', symbols: [EURUSD_SPEC] });
    const b = await c.type('backfill');
    expect(b).toEqual({ type: 'backfill', symbols: ['EURUSD.m'], last_time_msc: {} });
    c.tick('EURUSD.m', T0 + OFFSET_MS, 1.3921, 1.39222);
    c.tick('EURUSD.m', T0 + OFFSET_MS + 5, 1.39211, 1.39223);
    await until(() => h.md.ticks.length === 2, 3000, 'two ticks ingested');
    expect(h.md.ticks[0]).toEqual({ symbol: 'EURUSD', time_msc: T0, bid: 1.3921, ask: 1.39222 });
    expect(h.md.sources[h.md.sources.length - 1]).toBe('t_test:51234567@Test-Demo');
    const { items } = await h.broker.call<{ items: any[] }, any>('mt5-gateway.sessions', {});
    const s = items.find((x) => x.session === w.session);
    expect(s).toMatchObject({ account: 't_test:51234567@Test-Demo', state: 'ready', lastSeq: 2, ticks: 2, gaps: 0, ingested: 2, serverOffsetSec: 10800 });
    expect(h.events.find((e) => e.name === 'mt5.session')).toMatchObject({ payload: { state: 'connected', account: 't_test:51234567@Test-Demo' }, meta: { tenantId: 't_test' } });
  });

  it('refuses a wrong token with BAD_TOKEN and closes', async () => {
    const c = await client();
    c.hello('p2mt5_not-a-real-token');
    const e = await c.type('error');
    expect(e).toMatchObject({ code: 'BAD_TOKEN', fatal: true });
    await c.waitClosed();
  });

  it('names every missing hello field and keeps the connection open', async () => {
    const c = await client();
    c.send({ type: 'hello', protocol: 1, login: 5 });
    const e = await c.type('error');
    expect(e).toMatchObject({ code: 'MISSING_FIELD', fields: ['token', 'server', 'server_offset_sec'] });
    expect(e.fatal).toBeUndefined();
    c.send({ type: 'tick', seq: 1, symbol: 'X', time_msc: 1, bid: 1, ask: 1 });
    expect(await c.next((m) => m.code === 'NOT_AUTHENTICATED')).toBeTruthy();
    c.hello(h.token);
    await c.type('welcome');
  });

  it('refuses a token bound to another account, and an unsupported protocol version', async () => {
    const bound = await h.newToken('t_test', { login: '777', server: 'Test-Demo' });
    const c = await client();
    c.hello(bound, { login: '51234567' });
    expect(await c.type('error')).toMatchObject({ code: 'ACCOUNT_MISMATCH', fatal: true });
    await c.waitClosed();
    const c2 = await client();
    c2.hello(bound, { login: '777' });
    await c2.type('welcome');
    const c3 = await client();
    c3.hello(h.token, { protocol: 2 });
    expect(await c3.type('error')).toMatchObject({ code: 'UNSUPPORTED_PROTOCOL', fatal: true });
  });

  it('detects seq gaps, counts them, and drops duplicates with BAD_SEQ', async () => {
    const c = await ready('600');
    c.send({ type: 'symbols', symbols: [EURUSD_SPEC] });
    await c.type('backfill');
    const base = T0 + OFFSET_MS;
    for (const seq of [1, 2, 5, 6]) c.send({ type: 'tick', seq, symbol: 'EURUSD.m', time_msc: base + seq, bid: 1.1, ask: 1.2 });
    c.send({ type: 'tick', seq: 6, symbol: 'EURUSD.m', time_msc: base + 7, bid: 1.1, ask: 1.2 });
    expect(await c.next((m) => m.code === 'BAD_SEQ')).toMatchObject({ field: 'seq' });
    await until(() => h.md.ticks.length === 4, 3000, 'four ticks');
    const { items } = await h.broker.call<{ items: any[] }, any>('mt5-gateway.sessions', {});
    expect(items.find((s) => s.login === '600')).toMatchObject({ gaps: 1, missing: 2, duplicates: 1, lastSeq: 6, ticks: 5 });
    const st = await h.broker.call<any, any>('mt5-gateway.status', {});
    expect(st.totals.gaps).toBeGreaterThanOrEqual(1);
    expect(st.errors.BAD_SEQ).toBeGreaterThanOrEqual(1);
  });

  it('holds ticks for a symbol without specs and stores them under the canonical name once specs arrive', async () => {
    const c = await ready('601');
    const base = T0 + OFFSET_MS;
    c.tick('GBPUSDpro', base + 1, 1.68, 1.6802);
    c.tick('GBPUSDpro', base + 2, 1.6801, 1.6803);
    await new Promise((r) => setTimeout(r, 50));
    let items = (await h.broker.call<{ items: any[] }, any>('mt5-gateway.sessions', {})).items;
    expect(items.find((s) => s.login === '601')).toMatchObject({ held: 2 });
    expect(h.md.ticks).toHaveLength(0);
    c.send({ type: 'symbols', symbols: [{ name: 'GBPUSDpro', digits: 5, point: 0.00001, currency_base: 'GBP', currency_profit: 'USD' }] });
    await until(() => h.md.ticks.length === 2, 3000, 'released ticks');
    expect(h.md.ticks.map((t) => [t.symbol, t.time_msc])).toEqual([
      ['GBPUSD', T0 + 1],
      ['GBPUSD', T0 + 2],
    ]);
    items = (await h.broker.call<{ items: any[] }, any>('mt5-gateway.sessions', {})).items;
    expect(items.find((s) => s.login === '601')).toMatchObject({ held: 0 });
  });

  it('bounds held ticks: the oldest are dropped and counted', async () => {
    const gw = (h.broker.getLocalService('mt5-gateway') as any).gateway;
    const saved = gw.opts.maxHeld;
    gw.opts.maxHeld = 5;
    try {
      const c = await ready('613');
      for (let i = 1; i <= 8; i++) c.tick('AUDUSD.x', T0 + OFFSET_MS + i, 0.93, 0.9301);
      await new Promise((r) => setTimeout(r, 50));
      let s = (await h.broker.call<{ items: any[] }, any>('mt5-gateway.sessions', {})).items.find((x) => x.login === '613');
      expect(s).toMatchObject({ held: 5, heldDropped: 3 });
      c.send({ type: 'symbols', symbols: [{ name: 'AUDUSD.x', digits: 5, point: 0.00001 }] });
      await until(() => h.md.ticks.length === 5, 3000, 'released ticks');
      expect(h.md.ticks.map((t) => t.time_msc - T0)).toEqual([4, 5, 6, 7, 8]);
      expect(h.md.ticks[0].symbol).toBe('AUDUSD');
      s = (await h.broker.call<{ items: any[] }, any>('mt5-gateway.sessions', {})).items.find((x) => x.login === '613');
      expect(s).toMatchObject({ held: 0, heldDropped: 3 });
    } finally {
      gw.opts.maxHeld = saved;
    }
  });

  it('retries a failed ingest and still delivers the batch', async () => {
    const c = await ready('614');
    c.send({ type: 'symbols', symbols: [EURUSD_SPEC] });
    await c.type('backfill');
    h.md.failNext = 2;
    c.tick('EURUSD.m', T0 + OFFSET_MS, 1.1, 1.2);
    await until(() => h.md.ticks.length === 1, 3000, 'retried batch');
    expect(h.md.failNext).toBe(0);
  });

  it('backfills after a dropped connection from the last stored tick, in server clock', async () => {
    const c = await ready('602');
    c.send({ type: 'symbols', symbols: [EURUSD_SPEC] });
    await c.type('backfill');
    const base = T0 + OFFSET_MS;
    for (let i = 0; i < 50; i++) c.tick('EURUSD.m', base + i * 100, 1.39 + i / 1e5, 1.3901 + i / 1e5);
    await until(() => h.md.ticks.length === 50, 3000, '50 ticks');
    c.destroy();
    await until(() => h.events.some((e) => e.name === 'mt5.session' && e.payload.state === 'disconnected' && e.payload.account === 't_test:602@Test-Demo'), 3000, 'disconnect');
    const c2 = await client();
    c2.hello(h.token, { login: '602' });
    const w = await c2.type('welcome');
    expect(w.last_time_msc).toEqual({ 'EURUSD.m': base + 49 * 100 });
    // a symbols message re-announcing the same symbol gets the same point in its backfill answer
    c2.send({ type: 'symbols', symbols: [EURUSD_SPEC] });
    expect((await c2.type('backfill')).last_time_msc).toEqual({ 'EURUSD.m': base + 4900 });
    // the resent ticks (from last + 1) continue with seq 1 in the new session
    c2.tick('EURUSD.m', base + 4901, 1.4, 1.4001);
    await until(() => h.md.ticks.length === 51, 3000, 'backfilled tick');
    expect(h.md.ticks[50]).toMatchObject({ symbol: 'EURUSD', time_msc: T0 + 4901 });
    // the backfill window is capped: an outage longer than backfillMaxMs starts from now − backfillMaxMs
    const gw = (h.broker.getLocalService('mt5-gateway') as any).gateway;
    const saved = gw.opts.backfillMaxMs;
    gw.opts.backfillMaxMs = 3600_000;
    try {
      const c3 = await client();
      c3.hello(h.token, { login: '602' });
      const w3 = await c3.type('welcome');
      expect(Math.abs(w3.last_time_msc['EURUSD.m'] - (Date.now() - 3600_000 + OFFSET_MS))).toBeLessThan(5000);
    } finally {
      gw.opts.backfillMaxMs = saved;
    }
  });

  it('lets the newer terminal take over an account; the older is told why and closed', async () => {
    const older = await ready('603');
    const newer = await client();
    newer.hello(h.token, { login: '603' });
    const e = await older.type('error');
    expect(e).toMatchObject({ code: 'SESSION_REPLACED', fatal: true });
    expect(e.message).toContain('603@Test-Demo');
    await older.waitClosed();
    await newer.type('welcome');
    newer.send({ type: 'symbols', symbols: [EURUSD_SPEC] });
    await newer.type('backfill');
    newer.tick('EURUSD.m', T0 + OFFSET_MS, 1.1, 1.2);
    await until(() => h.md.ticks.length === 1, 3000, 'tick from the newer session');
    const st = await h.broker.call<any, any>('mt5-gateway.status', {});
    expect(st.totals.replaced).toBeGreaterThanOrEqual(1);
  });

  it('pings every heartbeat and drops a silent peer after 3 missed intervals', async () => {
    const alive = await ready('604');
    const silent = await ready('605');
    silent.autoPong = false;
    const t0 = Date.now();
    const e = await silent.next((m) => m.code === 'HEARTBEAT_TIMEOUT', 3000);
    expect(e.fatal).toBe(true);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(500);
    expect(silent.received.filter((m) => m.type === 'ping').length).toBeGreaterThanOrEqual(2);
    await silent.waitClosed();
    expect(alive.closed).toBe(false);
    const { items } = await h.broker.call<{ items: any[] }, any>('mt5-gateway.sessions', {});
    expect(items.find((s) => s.login === '604').rttMs).not.toBeNull();
  });

  it('sends an order, correlates order_result and trade_transaction, and never sends a resent id twice', async () => {
    const c = await ready('606');
    c.send({ type: 'symbols', symbols: [EURUSD_SPEC] });
    await c.type('backfill');
    const account = 't_test:606@Test-Demo';
    const sent = h.broker.call<any, any>('mt5-gateway.send', { account, message: { type: 'order', id: 'ord-1', action: 'deal', symbol: 'EURUSD', volume: 0.1, order_type: 'buy', magic: 1001 } });
    const order = await c.type('order');
    expect(order).toMatchObject({ id: 'ord-1', symbol: 'EURUSD.m', order_type: 'buy', volume: 0.1, magic: 1001 });
    c.send({ type: 'trade_transaction', transaction: { type: 'request' }, request: { action: 'deal', symbol: 'EURUSD.m', comment: 'p2:ord-1' }, result: { retcode: 10009, order: '3301', deal: '2201' } });
    c.send({ type: 'order_result', id: 'ord-1', retcode: 10009, retcode_external: 0, order: 3301, deal: '2201', position: '3301', volume: 0.1, price: 1.39224 });
    const r = await sent;
    expect(r).toMatchObject({ id: 'ord-1', account, outcome: 'done', result: { retcode: 10009, order: '3301', deal: '2201' } });
    // a later transaction carrying only the deal ticket is correlated through it
    c.send({ type: 'trade_transaction', transaction: { type: 'deal_add', deal: '2201', order: '3301', symbol: 'EURUSD.m', position: '3301' }, time_msc: T0 + OFFSET_MS });
    await until(() => h.events.filter((e) => e.name === 'mt5.trade_transaction').length === 2, 3000, 'transactions');
    const tx = h.events.filter((e) => e.name === 'mt5.trade_transaction');
    expect(tx.map((e) => e.payload.id)).toEqual(['ord-1', 'ord-1']);
    expect(tx[1].payload.time).toBe(T0);
    expect(h.events.find((e) => e.name === 'mt5.order_result')?.payload).toMatchObject({ id: 'ord-1', outcome: 'done', tenantId: 't_test' });
    // resend: same answer, nothing sent to the terminal
    const again = await h.broker.call<any, any>('mt5-gateway.send', { account, message: { type: 'order', id: 'ord-1', action: 'deal', symbol: 'EURUSD', volume: 0.1, order_type: 'buy' } });
    expect(again).toMatchObject({ id: 'ord-1', outcome: 'done', duplicate: true, result: { order: '3301' } });
    await new Promise((r) => setTimeout(r, 50));
    expect(c.received.filter((m) => m.type === 'order')).toHaveLength(1);
    const rows = await h.db.query<{ outcome: string; order_ticket: string }>("SELECT outcome, order_ticket FROM mt5_orders WHERE id = 'ord-1'");
    expect(rows).toEqual([{ outcome: 'done', order_ticket: '3301' }]);
  });

  it('returns an unknown outcome on timeout, never resends it, and resolves it later from a positions snapshot', async () => {
    const c = await ready('607');
    c.send({ type: 'symbols', symbols: [EURUSD_SPEC] });
    await c.type('backfill');
    const account = 't_test:607@Test-Demo';
    const message = { type: 'order', id: 'ord-slow', action: 'deal', symbol: 'EURUSD', volume: 0.2, order_type: 'sell' };
    const r = await h.broker.call<any, any>('mt5-gateway.send', { account, message, timeoutMs: 150 });
    expect(r).toMatchObject({ id: 'ord-slow', outcome: 'unknown' });
    const hr = await c.type('history_request');
    expect(hr.request_id).toBe('h_ord-slow');
    expect(hr.to_msc - hr.from_msc).toBeGreaterThan(60_000);
    const again = await h.broker.call<any, any>('mt5-gateway.send', { account, message, timeoutMs: 150 });
    expect(again).toMatchObject({ outcome: 'unknown', duplicate: true });
    expect(c.received.filter((m) => m.type === 'order')).toHaveLength(1);
    // the terminal had executed it: its position carries p2:<id> in the comment
    c.send({ type: 'positions', positions: [{ ticket: '4401', symbol: 'EURUSD.m', type: 'sell', volume: 0.2, comment: 'p2:ord-slow', time_msc: T0 + OFFSET_MS }] });
    await until(() => h.events.some((e) => e.name === 'mt5.order_result' && e.payload.id === 'ord-slow'), 3000, 'resolution');
    expect(h.events.find((e) => e.name === 'mt5.order_result')!.payload).toMatchObject({ outcome: 'done', resolvedFrom: 'positions' });
    expect(h.events.find((e) => e.name === 'mt5.positions')!.payload.positions[0].time_msc).toBe(T0);
    const third = await h.broker.call<any, any>('mt5-gateway.send', { account, message });
    expect(third).toMatchObject({ outcome: 'done', duplicate: true });
    expect(c.received.filter((m) => m.type === 'order')).toHaveLength(1);
  });

  it('refuses commands for unknown symbols, disconnected accounts and other tenants', async () => {
    const c = await ready('608');
    c.send({ type: 'symbols', symbols: [EURUSD_SPEC] });
    await c.type('backfill');
    const account = 't_test:608@Test-Demo';
    await expect(h.broker.call('mt5-gateway.send', { account, message: { type: 'order', id: 'x1', action: 'deal', symbol: 'USDJPY', volume: 1, order_type: 'buy' } })).rejects.toMatchObject({ code: 422, type: 'UNKNOWN_SYMBOL' });
    await expect(h.broker.call('mt5-gateway.send', { account, message: { type: 'order', id: 'x2', action: 'deal', symbol: 'EURUSD', volume: 0, order_type: 'buy' } })).rejects.toMatchObject({ code: 422, type: 'BAD_COMMAND' });
    await expect(h.broker.call('mt5-gateway.send', { account, message: { type: 'close', id: 'x3', ticket: '5' } }, { meta: { tenantId: 't_other', role: 'tenant' } })).rejects.toMatchObject({ code: 404 });
    await expect(h.broker.call('mt5-gateway.send', { account: 't_test:999@Test-Demo', message: { type: 'close', id: 'x4', ticket: '5' } })).rejects.toMatchObject({ code: 404 });
    c.destroy();
    await until(() => h.events.some((e) => e.name === 'mt5.session' && e.payload.state === 'disconnected' && e.payload.account === account), 3000, 'disconnect');
    await expect(h.broker.call('mt5-gateway.send', { account, message: { type: 'close', id: 'x5', ticket: '5' } })).rejects.toMatchObject({ code: 409, type: 'MT5_NOT_CONNECTED' });
  });

  it('sends pending orders with the expiration converted from UTC to the server clock', async () => {
    const c = await ready('615');
    c.send({ type: 'symbols', symbols: [EURUSD_SPEC] });
    await c.type('backfill');
    const expiration = Date.UTC(2014, 4, 9, 12, 0);
    const p = h.broker.call<any, any>('mt5-gateway.send', { account: 't_test:615@Test-Demo', message: { type: 'order', id: 'pend-1', action: 'pending', symbol: 'EURUSD', volume: 0.1, order_type: 'buy_limit', price: 1.385, type_time: 'specified', expiration } });
    const o = await c.type('order');
    expect(o).toMatchObject({ symbol: 'EURUSD.m', order_type: 'buy_limit', price: 1.385, type_time: 'specified', expiration: expiration + OFFSET_MS });
    c.send({ type: 'order_result', id: 'pend-1', retcode: 10008, order: '5501' });
    expect(await p).toMatchObject({ outcome: 'done', result: { retcode: 10008, order: '5501' } });
  });

  it('reports a rejection (10030 after the filling fallback) as rejected, not unknown', async () => {
    const c = await ready('616');
    c.send({ type: 'symbols', symbols: [EURUSD_SPEC] });
    await c.type('backfill');
    const p = h.broker.call<any, any>('mt5-gateway.send', { account: 't_test:616@Test-Demo', message: { type: 'order', id: 'rej-1', action: 'deal', symbol: 'EURUSD', volume: 0.1, order_type: 'buy' } });
    await c.type('order');
    c.send({ type: 'order_result', id: 'rej-1', retcode: 10030, retcode_external: 0, comment: 'Unsupported filling mode', check: { retcode: 10030 } });
    expect(await p).toMatchObject({ outcome: 'rejected', result: { retcode: 10030 } });
  });

  it('reassembles split snapshots, and bounds what unfinished ones may hold', async () => {
    const c = await ready('617');
    const pos = (t: number) => ({ ticket: String(t), symbol: 'EURUSD.m', type: 'buy', volume: 0.01, time_msc: T0 + OFFSET_MS });
    c.send({ type: 'positions', snapshot: 's1', part: 2, parts: 2, positions: [pos(3), pos(4)] });
    c.send({ type: 'positions', snapshot: 's1', part: 1, parts: 2, positions: [pos(1), pos(2)] });
    await until(() => h.events.some((e) => e.name === 'mt5.positions' && e.payload.account === 't_test:617@Test-Demo'), 3000, 'assembled snapshot');
    const ev = h.events.find((e) => e.name === 'mt5.positions' && e.payload.account === 't_test:617@Test-Demo')!;
    expect(ev.payload.positions.map((p: any) => p.ticket)).toEqual(['1', '2', '3', '4']);
    expect(ev.payload.positions[0].time_msc).toBe(T0);
    // 20 parts of 3,500 tiny items (each line under 64 KiB) would hold 70,000: refused once past the bound
    const items = Array.from({ length: 3500 }, (_, i) => ({ ticket: String(i + 1) }));
    expect(JSON.stringify({ type: 'orders', snapshot: 'big', part: 1, parts: 20, orders: items }).length).toBeLessThan(65_536);
    for (let part = 1; part <= 16; part++) c.send({ type: 'orders', snapshot: 'big', part, parts: 20, orders: items });
    const e = await c.next((m) => m.type === 'error' && m.field === 'parts');
    expect(e.message).toMatch(/exceed 50000 items/);
    expect(c.closed).toBe(false);
  });

  it('resolves an order as unknown when the connection drops while waiting', async () => {
    const c = await ready('609');
    const account = 't_test:609@Test-Demo';
    const p = h.broker.call<any, any>('mt5-gateway.send', { account, message: { type: 'close', id: 'cl-1', ticket: '77' }, timeoutMs: 5000 });
    await c.type('close');
    c.destroy();
    expect(await p).toMatchObject({ outcome: 'unknown', resolvedFrom: 'disconnected' });
  });

  it('speaks the same protocol over WebSocket at /mt5, and answers other paths with 404', async () => {
    const c = await client('ws');
    c.hello(h.token, { login: '610' });
    await c.type('welcome');
    c.send({ type: 'symbols', symbols: [EURUSD_SPEC] });
    await c.type('backfill');
    c.tick('EURUSD.m', T0 + OFFSET_MS, 1.3921, 1.39222);
    c.send('not json\n');
    expect(await c.next((m) => m.code === 'BAD_JSON')).toBeTruthy();
    c.tick('EURUSD.m', T0 + OFFSET_MS + 1, 1.3922, 1.39223);
    await until(() => h.md.ticks.length === 2, 3000, 'ws ticks');
    expect(h.md.ticks.map((t) => t.time_msc)).toEqual([T0, T0 + 1]);
    const { items } = await h.broker.call<{ items: any[] }, any>('mt5-gateway.sessions', {});
    expect(items.find((s) => s.login === '610')).toMatchObject({ transport: 'ws', ticks: 2 });
    await expect(RawClient.ws(h.port, '/elsewhere')).rejects.toThrow(/404/);
  });

  it('pauses reading while market-data is behind, never exceeds the in-flight cap, and delivers every tick in order', async () => {
    const gw = (h.broker.getLocalService('mt5-gateway') as any).gateway;
    gw.opts.maxInflight = 2;
    h.md.delayMs = 100;
    h.md.maxConcurrent = 0;
    const c = await ready('611');
    c.send({ type: 'symbols', symbols: [EURUSD_SPEC] });
    await c.type('backfill');
    const n = 20_000;
    let text = '';
    for (let i = 1; i <= n; i++) text += JSON.stringify({ type: 'tick', seq: i, symbol: 'EURUSD.m', time_msc: T0 + OFFSET_MS + i, bid: 1.3, ask: 1.3001 }) + '\n';
    c.send(text);
    await until(() => h.md.ticks.length === n, 20_000, 'all ticks');
    gw.opts.maxInflight = 4;
    expect(h.md.ticks.every((t, i) => t.time_msc === T0 + i + 1)).toBe(true);
    expect(h.md.maxConcurrent).toBe(2);
    const { items } = await h.broker.call<{ items: any[] }, any>('mt5-gateway.sessions', {});
    const s = items.find((x) => x.login === '611');
    expect(s.pauses).toBeGreaterThan(0);
    expect(s).toMatchObject({ gaps: 0, ingested: n, inflight: 0, paused: false });
  });

  it('shows a tenant only its own sessions', async () => {
    await ready('612');
    const mine = await h.broker.call<{ items: any[] }, any>('mt5-gateway.sessions', {}, { meta: { tenantId: 't_test', role: 'tenant' } });
    const theirs = await h.broker.call<{ items: any[] }, any>('mt5-gateway.sessions', {}, { meta: { tenantId: 't_other', role: 'tenant' } });
    expect(mine.items.length).toBeGreaterThan(0);
    expect(theirs.items).toEqual([]);
  });
});
