/**
 * The trading service on a real broker and a real PostgreSQL, with in-test peers:
 * `market-data` (quotes, specs) and a stand-in `risk` that forwards to trading.submit
 * (the real risk service is tested in risk.test.ts).
 */
import type { ServiceBroker } from 'moleculer';
import { setConfig } from '../../config';
import { closeDb } from '../../lib/storage/connect';
import { Platform, startPlatform } from '../../runner';
import type { Order, OrderIntent, Position, SubmitParams } from '../../types/trading';
import { createTestDatabase, TestDatabase, testConfig } from '../helpers/infra';
import { createTenants, EventRecorder, MarketDataPeer, sql, until } from '../helpers/trading';

const EVENTS = ['order.filled', 'order.rejected', 'order.accepted', 'order.cancelled', 'order.unknown', 'order.expired', 'position.changed'];

interface Harness {
  p: Platform;
  broker: ServiceBroker;
  md: MarketDataPeer;
  rec: EventRecorder;
  submit(tenantId: string, key: string, intent: OrderIntent, extra?: Partial<SubmitParams>): Promise<{ order: Order; replayed: boolean }>;
}

async function start(url: string): Promise<Harness> {
  const cfg = setConfig(testConfig({ DATABASE_URL: url, SERVICES: 'trading' }));
  let p: Platform;
  try {
    p = await startPlatform(cfg);
  } catch (e) {
    await closeDb();
    throw e;
  }
  const broker = p.broker;
  const md = new MarketDataPeer(broker);
  const rec = new EventRecorder(broker, EVENTS);
  broker.createService({
    name: 'risk',
    actions: {
      submit: { params: { p: 'object' }, handler: (ctx: { call: ServiceBroker['call']; params: { p: SubmitParams } }) => ctx.call('trading.submit', ctx.params.p) },
    },
  });
  await broker.waitForServices(['market-data', 'risk', 'recorder']);
  return {
    p,
    broker,
    md,
    rec,
    submit: (tenantId, key, intent, extra = {}) => broker.call('risk.submit', { p: { tenantId, idempotencyKey: key, intent, ...extra } }),
  };
}

const meta = (tenantId: string) => ({ meta: { tenantId, tier: 'pro', role: 'tenant' } });
const buy = (volume = 0.1, extra: Partial<OrderIntent> = {}): OrderIntent => ({ symbol: 'EURUSD', side: 'buy', type: 'market', volume, ...extra });

describe('trading service (real PostgreSQL)', () => {
  let db: TestDatabase;
  let h: Harness;

  beforeAll(async () => {
    db = await createTestDatabase('trading');
    h = await start(db.url);
    await createTenants(db.url, ['t1', 't2', 't3', 't4', 't5', 't6', 't7', 't8', 't9', 't10']);
    await h.md.tick('EURUSD', 1.1, 1.1002);
    await h.md.tick('XAUUSD', 2000, 2000.5);
  });

  afterAll(async () => {
    await h?.p.stop();
    await db?.drop();
  });

  it("a submitted order's events join the submitting call's trace; the next order's are its own", async () => {
    const seen: { orderId: string; requestID: string | null }[] = [];
    h.broker.createService({
      name: 'trace-probe',
      events: { 'order.filled': (ctx: { params: { order: Order }; requestID: string | null }) => void seen.push({ orderId: ctx.params.order.id, requestID: ctx.requestID }) },
    });
    await h.broker.waitForServices(['trace-probe']);
    await createTenants(db.url, ['t-trace']);
    const ids: string[] = [];
    const orders: Order[] = [];
    for (const key of ['k-trace-1', 'k-trace-2']) {
      const r = await h.broker.call<{ order: Order; replayed: boolean }, object>('risk.submit', { p: { tenantId: 't-trace', idempotencyKey: key, intent: buy(0.01) } }, { requestID: `req-${key}` });
      ids.push(`req-${key}`);
      orders.push(r.order);
    }
    await until(() => seen.length >= 2);
    for (let i = 0; i < 2; i++) expect(seen.find((x) => x.orderId === orders[i].id)?.requestID).toBe(ids[i]);
    await h.broker.destroyService('trace-probe');
  });

  it('paper buys fill at the ask and sells at the bid; netting keeps one position', async () => {
    const a = await h.submit('t1', 'k-buy', buy(0.3));
    expect(a.order.status).toBe('accepted');
    const filled = (await h.rec.wait('order.filled', (e) => (e.order as Order).id === a.order.id)) as { order: Order; fill: { price: number }; position: Position };
    expect(filled.fill.price).toBe(1.1002);
    expect(filled.order.status).toBe('filled');
    expect(filled.order.history.map((x) => x.status)).toEqual(['new', 'accepted', 'filled']);
    expect(filled.position).toMatchObject({ side: 'buy', volume: 0.3, priceOpen: 1.1002, status: 'open' });
    const s = await h.submit('t1', 'k-sell', { ...buy(0.1), side: 'sell' });
    const sold = (await h.rec.wait('order.filled', (e) => (e.order as Order).id === s.order.id)) as { fill: { price: number; realizedPnl: number }; position: Position };
    expect(sold.fill.price).toBe(1.1);
    expect(sold.fill.realizedPnl).toBeCloseTo((1.1 - 1.1002) * 0.1 * 100_000, 6); // −2 USD: the spread
    expect(sold.position).toMatchObject({ id: filled.position.id, volume: 0.2, status: 'open' });
    const rows = await sql(db.url, `SELECT count(*)::int AS n FROM positions WHERE tenant_id = 't1' AND status = 'open'`);
    expect(rows[0].n).toBe(1);
    const acc = await sql<{ balance: number }>(db.url, `SELECT balance FROM trading_accounts WHERE tenant_id = 't1'`);
    expect(acc[0].balance).toBeCloseTo(100_000 - 2, 6);
    // The event came after the commit: the fill is in the database.
    const f = await sql(db.url, 'SELECT count(*)::int AS n FROM fills WHERE order_id = $1', [s.order.id]);
    expect(f[0].n).toBe(1);
  });

  it('100 concurrent submits with one key make exactly one order and one fill', async () => {
    const results = await Promise.all(Array.from({ length: 100 }, () => h.submit('t2', 'same-key', buy(0.05))));
    const ids = new Set(results.map((r) => r.order.id));
    expect(ids.size).toBe(1);
    expect(results.filter((r) => !r.replayed)).toHaveLength(1);
    await h.rec.wait('order.filled', (e) => (e.order as Order).id === results[0].order.id);
    const o = await sql(db.url, `SELECT count(*)::int AS n FROM orders WHERE tenant_id = 't2'`);
    const f = await sql(db.url, `SELECT count(*)::int AS n FROM fills WHERE tenant_id = 't2'`);
    expect([o[0].n, f[0].n]).toEqual([1, 1]);
    // A later replay returns the order as it is now.
    const again = await h.submit('t2', 'same-key', buy(0.05));
    expect(again).toMatchObject({ replayed: true, order: { id: results[0].order.id, status: 'filled' } });
  });

  it('the same key with a different body is a 409 IDEMPOTENCY_CONFLICT', async () => {
    await h.submit('t2', 'k-conf', buy(0.05));
    await expect(h.submit('t2', 'k-conf', buy(0.06))).rejects.toMatchObject({ code: 409, type: 'IDEMPOTENCY_CONFLICT' });
  });

  it('trading.submit refuses every caller but risk', async () => {
    const p: SubmitParams = { tenantId: 't3', idempotencyKey: 'direct', intent: buy(0.1) };
    await expect(h.broker.call('trading.submit', p)).rejects.toMatchObject({ code: 403, type: 'FORBIDDEN_CALLER' });
    h.broker.createService({ name: 'strategy', actions: { go: { params: {}, handler: (ctx: { call: ServiceBroker['call'] }) => ctx.call('trading.submit', p) } } });
    await h.broker.waitForServices('strategy');
    await expect(h.broker.call('strategy.go', {})).rejects.toMatchObject({ code: 403, type: 'FORBIDDEN_CALLER', data: { caller: 'strategy' } });
    const rows = await sql(db.url, `SELECT count(*)::int AS n FROM orders WHERE tenant_id = 't3'`);
    expect(rows[0].n).toBe(0);
  });

  it.each([
    ['zero volume', buy(0), /volume must be a positive finite number/],
    ['negative volume', buy(-1), /volume must be a positive finite number/],
    ['below the minimum', buy(0.001), /below EURUSD's minimum 0.01/],
    ['not a step multiple', buy(0.015), /not a multiple of EURUSD's volume step/],
    ['unknown symbol', { ...buy(0.1), symbol: 'NOPE' }, /unknown symbol NOPE/],
    ['SL on the wrong side', buy(0.1, { sl: 1.2 }), /stop loss 1.20000 of a buy must be below/],
  ] as [string, OrderIntent, RegExp][])('refuses %s with 422 and persists nothing', async (_n, intent, msg) => {
    const before = await sql(db.url, 'SELECT count(*)::int AS n FROM orders');
    const err = await h.submit('t3', `bad-${_n}`, intent).catch((e: unknown) => e as { code: number; type: string; message: string });
    expect(err).toMatchObject({ code: 422 });
    expect((err as { message: string }).message).toMatch(msg);
    const after = await sql(db.url, 'SELECT count(*)::int AS n FROM orders');
    expect(after[0].n).toBe(before[0].n);
  });

  it('another tenant\'s order is 404; the owner sees it with its fills', async () => {
    const a = await h.submit('t4', 'mine', buy(0.1));
    await h.rec.wait('order.filled', (e) => (e.order as Order).id === a.order.id);
    const own = await h.broker.call<Order & { fills: unknown[] }, object>('trading.getOrder', { id: a.order.id }, meta('t4'));
    expect(own.fills).toHaveLength(1);
    await expect(h.broker.call('trading.getOrder', { id: a.order.id }, meta('t5'))).rejects.toMatchObject({ code: 404, type: 'NOT_FOUND' });
    await expect(h.broker.call('trading.cancelOrder', { id: a.order.id }, meta('t5'))).rejects.toMatchObject({ code: 404 });
    const list = await h.broker.call<{ items: Order[] }, object>('trading.listOrders', {}, meta('t5'));
    expect(list.items).toHaveLength(0);
    await expect(h.broker.call('trading.listOrders', {})).rejects.toMatchObject({ code: 401 });
  });

  it('limit and stop orders work from the tick stream; cancel and modify', async () => {
    const lim = await h.submit('t5', 'lim', buy(0.1, { type: 'limit', price: 1.098 }));
    await until(async () => (await sql(db.url, 'SELECT status FROM orders WHERE id = $1', [lim.order.id]))[0].status === 'accepted');
    await h.md.tick('EURUSD', 1.0985, 1.0987); // not yet
    await h.md.tick('EURUSD', 1.0975, 1.0977); // gaps through the limit: filled at the better ask
    const f = (await h.rec.wait('order.filled', (e) => (e.order as Order).id === lim.order.id)) as { fill: { price: number } };
    expect(f.fill.price).toBe(1.0977);
    await h.md.tick('EURUSD', 1.1, 1.1002);
    const stop = await h.submit('t5', 'stop', { ...buy(0.1, { type: 'stop', price: 1.0985 }), side: 'sell' });
    const mod = await h.broker.call<Order, object>('trading.modifyOrder', { id: stop.order.id, price: 1.097 }, meta('t5'));
    expect(mod.price).toBe(1.097);
    await h.md.tick('EURUSD', 1.0971, 1.0973); // above the moved stop
    const cancelled = await h.broker.call<Order, object>('trading.cancelOrder', { id: stop.order.id }, meta('t5'));
    expect(cancelled.status).toBe('cancelled');
    await expect(h.broker.call('trading.cancelOrder', { id: stop.order.id }, meta('t5'))).rejects.toMatchObject({ code: 409, type: 'ORDER_STATE' });
    await expect(h.broker.call('trading.cancelOrder', { id: lim.order.id }, meta('t5'))).rejects.toMatchObject({ code: 409 });
    await h.md.tick('EURUSD', 1.1, 1.1002);
  });

  it('pending orders expire at their time', async () => {
    const o = await h.submit('t5', 'exp', buy(0.1, { type: 'limit', price: 1.05, expiresAt: Date.now() + 300 }));
    const e = await h.rec.wait('order.expired', (x) => (x.order as Order).id === o.order.id, 5000);
    expect((e.order as Order).status).toBe('expired');
  });

  it('SL and TP close paper positions on the closing side of the quote; trailing stops follow', async () => {
    const a = await h.submit('t6', 'sl', buy(0.2, { sl: 1.095, tp: 1.11 }));
    const opened = (await h.rec.wait('order.filled', (e) => (e.order as Order).id === a.order.id)) as { position: Position };
    expect(opened.position).toMatchObject({ sl: 1.095, tp: 1.11 });
    await h.md.tick('EURUSD', 1.0951, 1.0949 + 0.0004); // bid above SL
    await h.md.tick('EURUSD', 1.095, 1.0952); // bid touches SL
    const closed = (await h.rec.wait('position.changed', (e) => (e.position as Position).id === opened.position.id && e.change === 'closed')) as { position: Position };
    expect(closed.position.status).toBe('closed');
    expect(closed.position.realizedPnl).toBeCloseTo((1.095 - 1.1002) * 0.2 * 100_000, 6);
    const origin = await sql(db.url, `SELECT origin, side FROM orders WHERE tenant_id = 't6' AND origin = 'sl'`);
    expect(origin).toEqual([{ origin: 'sl', side: 'sell' }]);

    await h.md.tick('EURUSD', 1.1, 1.1002);
    const t = await h.submit('t6', 'trail', buy(0.1, { trailing: 0.002 }));
    const pos = ((await h.rec.wait('order.filled', (e) => (e.order as Order).id === t.order.id)) as { position: Position }).position;
    await h.md.tick('EURUSD', 1.1052, 1.1054); // +50 pips: SL → 1.1032
    const moved = (await h.rec.wait('position.changed', (e) => (e.position as Position).id === pos.id && e.change === 'modified')) as { position: Position };
    expect(moved.position.sl).toBe(1.1032);
    await h.md.tick('EURUSD', 1.1031, 1.1033); // falls through the trailed stop
    const out = (await h.rec.wait('position.changed', (e) => (e.position as Position).id === pos.id && e.change === 'closed')) as { position: Position };
    expect(out.position.realizedPnl).toBeCloseTo((1.1031 - 1.1002) * 0.1 * 100_000, 6);
    await h.md.tick('EURUSD', 1.1, 1.1002);
  });

  it('hedging accounts keep one position per fill and close the named one; slippage and commission apply', async () => {
    await h.broker.call('trading.listAccounts', {}, meta('t7'));
    await h.broker.call('trading.configureAccount', { id: 'paper', mode: 'hedging', slippagePoints: 2, commissionPerLot: 7 }, meta('t7'));
    const a = await h.submit('t7', 'h1', buy(0.5));
    const b = await h.submit('t7', 'h2', buy(0.5));
    const fa = (await h.rec.wait('order.filled', (e) => (e.order as Order).id === a.order.id)) as { fill: { price: number; commission: number }; position: Position };
    const fb = (await h.rec.wait('order.filled', (e) => (e.order as Order).id === b.order.id)) as { position: Position };
    expect(fa.fill.price).toBeCloseTo(1.10022, 12); // ask + 2 points
    expect(fa.fill.commission).toBeCloseTo(3.5, 12);
    expect(fb.position.id).not.toBe(fa.position.id);
    const c = await h.submit('t7', 'h3', { ...buy(0.5), side: 'sell', positionId: fa.position.id });
    const fc = (await h.rec.wait('order.filled', (e) => (e.order as Order).id === c.order.id)) as { fill: { price: number }; position: Position };
    expect(fc.fill.price).toBeCloseTo(1.09998, 12); // bid − 2 points
    expect(fc.position).toMatchObject({ id: fa.position.id, status: 'closed' });
    const open = await h.broker.call<{ items: Position[] }, object>('trading.listPositions', {}, meta('t7'));
    expect(open.items.map((x) => x.id)).toEqual([fb.position.id]);
    await expect(h.submit('t7', 'h4', { ...buy(0.6), side: 'sell', positionId: fb.position.id })).rejects.toMatchObject({ code: 422 });
    await expect(h.broker.call('trading.modifyPosition', { id: fb.position.id, sl: 1.2 }, meta('t7'))).rejects.toMatchObject({ code: 422 });
    const m = await h.broker.call<Position, object>('trading.modifyPosition', { id: fb.position.id, sl: 1.09, tp: 1.12 }, meta('t7'));
    expect([m.sl, m.tp]).toEqual([1.09, 1.12]);
    const acc = await sql<{ balance: number }>(db.url, `SELECT balance FROM trading_accounts WHERE tenant_id = 't7'`);
    expect(acc[0].balance).toBeCloseTo(100_000 - 3 * 3.5 + (1.09998 - 1.10022) * 0.5 * 100_000, 6);
  });

  it('a position changed behind the engine\'s back is detected by the fill statement, reloaded, and the fill retried once', async () => {
    const a = await h.submit('t8', 'g1', buy(0.1));
    const pos = ((await h.rec.wait('order.filled', (e) => (e.order as Order).id === a.order.id)) as { position: Position }).position;
    await sql(db.url, 'UPDATE positions SET volume = 0.5, updated_at = updated_at + 1 WHERE id = $1', [pos.id]);
    const b = await h.submit('t8', 'g2', buy(0.1));
    const after = ((await h.rec.wait('order.filled', (e) => (e.order as Order).id === b.order.id)) as { position: Position }).position;
    expect(after).toMatchObject({ id: pos.id, volume: 0.6 });
    expect(await sql(db.url, `SELECT volume FROM positions WHERE tenant_id = 't8' AND status = 'open'`)).toEqual([{ volume: 0.6 }]);
    // A netting account can never hold two open positions in one symbol.
    await expect(
      sql(db.url, `INSERT INTO positions (id, tenant_id, account_id, symbol, side, volume, price_open, status, netting, opened_at, updated_at) VALUES ('p_dup', 't8', 'paper', 'EURUSD', 'buy', 1, 1.1, 'open', true, 0, 0)`),
    ).rejects.toThrow(/positions_netting_one_open/);
  });

  const fillStats = () =>
    (h.broker.getLocalService('trading') as unknown as { engine: { fillStats: { fills: number; statements: number; refusedBatches: number } } }).engine.fillStats;
  const openPositions = (tenant: string) =>
    sql<{ id: string; symbol: string; side: string; volume: number }>(db.url, `SELECT id, symbol, side, volume FROM positions WHERE tenant_id = $1 AND status = 'open' ORDER BY symbol`, [tenant]);
  const bookOf = (tenant: string) =>
    h.broker.call<{ account: { balance: number }; positions: Position[]; pendingBySymbol: Record<string, number> }, object>('trading.book', { tenantId: tenant });

  it('paper orders queued behind each other are filled in one statement, one fill each, and the account adds up', async () => {
    const before = { ...fillStats() };
    const intents: OrderIntent[] = Array.from({ length: 40 }, (_, i) =>
      i % 5 === 0 ? buy(0.02, { symbol: 'XAUUSD' }) : i % 3 === 2 ? { ...buy(0.05), side: 'sell' } : buy(0.1),
    );
    const subs = await Promise.all(intents.map((it, i) => h.submit('t9', `batch-${i}`, it)));
    await Promise.all(subs.map((s) => h.rec.wait('order.filled', (e) => (e.order as Order).id === s.order.id)));
    const after = fillStats();
    expect(after.fills - before.fills).toBe(40);
    // At least one statement wrote several fills (the queue was busy while orders arrived).
    expect(after.statements - before.statements).toBeLessThan(40);

    const orders = await sql<{ id: string; status: string; volume: number; filled_volume: number; history: { status: string }[] }>(
      db.url, `SELECT id, status, volume, filled_volume, history FROM orders WHERE tenant_id = 't9'`,
    );
    expect(orders).toHaveLength(40);
    for (const o of orders) {
      expect([o.status, o.filled_volume, o.history.map((x) => x.status)]).toEqual(['filled', o.volume, ['new', 'accepted', 'filled']]);
    }
    const fills = await sql<{ order_id: string; realized_pnl: number; commission: number }>(db.url, `SELECT order_id, realized_pnl, commission FROM fills WHERE tenant_id = 't9'`);
    expect(new Set(fills.map((f) => f.order_id)).size).toBe(40);
    expect(fills).toHaveLength(40);

    // Netting: one open position per symbol holding the signed sum of the orders.
    const signed = (sym: string) => intents.filter((i) => i.symbol === sym).reduce((a, i) => a + (i.side === 'buy' ? 1 : -1) * i.volume, 0);
    const open = await openPositions('t9');
    expect(open.map((p) => [p.symbol, p.side, p.volume])).toEqual([
      ['EURUSD', 'buy', Math.round(signed('EURUSD') * 100) / 100],
      ['XAUUSD', 'buy', Math.round(signed('XAUUSD') * 100) / 100],
    ]);
    // The balance is the start plus every fill's realised P&L less commission, in the database and in the engine's book.
    const [acc] = await sql<{ balance: number }>(db.url, `SELECT balance FROM trading_accounts WHERE tenant_id = 't9'`);
    expect(acc.balance).toBeCloseTo(100_000 + fills.reduce((a, f) => a + f.realized_pnl - f.commission, 0), 9);
    const book = await bookOf('t9');
    expect(book.account.balance).toBeCloseTo(acc.balance, 9);
    expect(book.positions.map((p) => [p.id, p.volume]).sort()).toEqual(open.map((p) => [p.id, p.volume]).sort());
    expect(book.pendingBySymbol).toEqual({});
  });

  it('a batch whose position changed behind the engine is written nowhere, then fill by fill after a reload', async () => {
    const a = await h.submit('t10', 'x0', buy(0.1));
    const pos = ((await h.rec.wait('order.filled', (e) => (e.order as Order).id === a.order.id)) as { position: Position }).position;
    await sql(db.url, 'UPDATE positions SET volume = 0.5, updated_at = updated_at + 1 WHERE id = $1', [pos.id]);
    // A slow GBPUSD feed (no ticks, so every read asks market-data) holds the account's queue
    // while ten EURUSD orders arrive: they are routed together, against the stale position.
    h.md.quotes.set('GBPUSD', { symbol: 'GBPUSD', bid: 1.25, ask: 1.2502, time_msc: Date.now() });
    h.md.delays.set('GBPUSD', 150);
    const refused = fillStats().refusedBatches;
    const slow = await h.submit('t10', 'slow', buy(0.1, { symbol: 'GBPUSD' }));
    const subs = await Promise.all(Array.from({ length: 10 }, (_, i) => h.submit('t10', `x${i + 1}`, buy(0.1))));
    await Promise.all([slow, ...subs].map((s) => h.rec.wait('order.filled', (e) => (e.order as Order).id === s.order.id)));
    h.md.delays.delete('GBPUSD');
    expect(fillStats().refusedBatches).toBe(refused + 1);
    expect((await openPositions('t10')).filter((p) => p.symbol === 'EURUSD')).toEqual([{ id: pos.id, symbol: 'EURUSD', side: 'buy', volume: 1.5 }]);
    expect(await sql(db.url, `SELECT count(*)::int AS n, count(DISTINCT order_id)::int AS orders FROM fills WHERE tenant_id = 't10'`)).toEqual([{ n: 12, orders: 12 }]);
    expect((await bookOf('t10')).positions.filter((p) => p.symbol === 'EURUSD').map((p) => p.volume)).toEqual([1.5]);
  });

  it('the book gives equity and exposure for risk', async () => {
    const book = await h.broker.call<{ equity: number; exposure: { symbol: string; netLots: number; notional: number }[] }, object>('trading.book', { tenantId: 't1' });
    const line = book.exposure.find((e) => e.symbol === 'EURUSD')!;
    expect(line.netLots).toBe(0.2);
    expect(line.notional).toBeCloseTo(0.2 * 100_000 * 1.1001, 4);
    // Long 0.2 from 1.1002 marked at the bid 1.1.
    expect(book.equity).toBeCloseTo(100_000 - 2 + (1.1 - 1.1002) * 0.2 * 100_000, 6);
  });
});

describe('crash between persisting and routing (real PostgreSQL)', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase('recovery');
  });
  afterAll(async () => db?.drop());

  it('an order left in new is routed exactly once on restart', async () => {
    let h = await start(db.url);
    await createTenants(db.url, ['r1']);
    await h.md.tick('EURUSD', 1.2, 1.2003);
    await h.broker.call('trading.listAccounts', {}, meta('r1')); // creates the paper account
    await h.p.stop();
    // What a crash right after the INSERT leaves behind.
    const now = Date.now();
    await sql(
      db.url,
      `INSERT INTO orders (id, tenant_id, account_id, idempotency_key, request_hash, symbol, side, type, volume, status, history, created_at, updated_at)
       VALUES ('o_crashed', 'r1', 'paper', 'crash-key', 'h', 'EURUSD', 'buy', 'market', 0.4, 'new', $1, $2, $2)`,
      [JSON.stringify([{ status: 'new', at: now }]), now],
    );
    for (let i = 0; i < 2; i++) {
      h = await start(db.url);
      h.md.quotes.set('EURUSD', { symbol: 'EURUSD', bid: 1.2, ask: 1.2003, time_msc: Date.now() });
      await until(async () => (await sql(db.url, `SELECT status FROM orders WHERE id = 'o_crashed'`))[0].status === 'filled');
      await h.p.stop();
    }
    const fills = await sql<{ price: number; volume: number }>(db.url, `SELECT price, volume FROM fills WHERE order_id = 'o_crashed'`);
    expect(fills).toEqual([{ price: 1.2003, volume: 0.4 }]);
    const pos = await sql(db.url, `SELECT volume FROM positions WHERE tenant_id = 'r1' AND status = 'open'`);
    expect(pos).toEqual([{ volume: 0.4 }]);
  });
});
