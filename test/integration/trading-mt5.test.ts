/**
 * Live routing through an in-test `mt5-gateway` peer that answers `mt5-gateway.send` like
 * the real gateway (correlated `order_result`, or `{outcome: 'unknown'}` on timeout), on a
 * real broker and PostgreSQL: fills, rejections, unknown outcomes reconciled from the EA's
 * position snapshot (never re-sent), pending orders filled by DEAL_ADD transactions, cancel,
 * trailing stops sent as `modify`, and recovery of an MT5 order left in `new`.
 */
import type { ServiceBroker } from 'moleculer';
import { setConfig } from '../../config';
import { closeDb } from '../../lib/storage/connect';
import { Platform, startPlatform } from '../../runner';
import type { Mt5Command, Mt5Reply } from '../../services/trading/brokers';
import type { Order, OrderIntent, Position } from '../../types/trading';
import { createTestDatabase, TestDatabase, testConfig } from '../helpers/infra';
import { createTenants, EventRecorder, MarketDataPeer, sql, until } from '../helpers/trading';

class GatewayPeer {
  readonly sent: { account: string; message: Mt5Command }[] = [];
  reply: (m: Mt5Command) => Mt5Reply = () => ({ retcode: 10009 });

  constructor(broker: ServiceBroker) {
    broker.createService({
      name: 'mt5-gateway',
      actions: {
        send: {
          params: { account: 'string', message: 'object' },
          handler: (ctx: { params: { account: string; message: Mt5Command } }) => {
            this.sent.push(ctx.params);
            return this.reply(ctx.params.message);
          },
        },
      },
    });
  }

  orders(id?: string) {
    return this.sent.filter((s) => s.message.type === 'order' && (id === undefined || s.message.id === id));
  }
}

const meta = (tenantId: string, key?: string) => ({ meta: { tenantId, tier: 'pro', role: 'tenant', ...(key ? { idempotencyKey: key } : {}) } });

async function boot(url: string) {
  const cfg = setConfig(testConfig({ DATABASE_URL: url, SERVICES: 'trading,risk' }));
  let p: Platform;
  try {
    p = await startPlatform(cfg);
  } catch (e) {
    await closeDb();
    throw e;
  }
  const md = new MarketDataPeer(p.broker);
  const gw = new GatewayPeer(p.broker);
  const rec = new EventRecorder(p.broker, ['order.filled', 'order.rejected', 'order.unknown', 'position.changed']);
  await p.broker.waitForServices(['market-data', 'mt5-gateway', 'recorder']);
  return { p, md, gw, rec };
}

describe('MT5 routing (real PostgreSQL, in-test gateway)', () => {
  let db: TestDatabase;
  let h: Awaited<ReturnType<typeof boot>>;
  const order = (key: string, intent: Partial<OrderIntent> = {}) =>
    h.p.broker.call<Order, object>('risk.submitOrder', { account: '5001', symbol: 'EURUSD', side: 'buy', volume: 0.1, ...intent }, meta('m1', key));

  beforeAll(async () => {
    db = await createTestDatabase('mt5');
    h = await boot(db.url);
    await createTenants(db.url, ['m1', 'm2']);
    await h.md.tick('EURUSD', 1.1, 1.10012);
    await h.p.broker.call('trading.linkAccount', { id: '5001', mode: 'hedging' }, meta('m1'));
    // The EA reports the account (balance, equity) on connect and periodically.
    await h.p.broker.emit('mt5.account', { account: '5001', balance: 50_000, equity: 50_000 });
    await until(async () => (await sql<{ balance: number }>(db.url, `SELECT balance FROM trading_accounts WHERE id = '5001'`))[0].balance === 50_000);
  });
  afterAll(async () => {
    await h?.p.stop();
    await db?.drop();
  });

  it('linking needs a paid tier and an account no other tenant holds', async () => {
    await expect(h.p.broker.call('trading.linkAccount', { id: '5002', mode: 'netting' }, { meta: { tenantId: 'm2', tier: 'free', role: 'tenant' } })).rejects.toMatchObject({ code: 403 });
    await expect(h.p.broker.call('trading.linkAccount', { id: '5001', mode: 'netting' }, meta('m2'))).rejects.toMatchObject({ code: 409 });
  });

  it('a DONE result fills the order with the deal, order and position tickets; the request uses MqlTradeRequest names', async () => {
    h.gw.reply = (m) => (m.type === 'order' ? { retcode: 10009, order: '9001', deal: '7001', position: '8001', volume: m.volume, price: 1.10014 } : { retcode: 10009 });
    const o = await order('live-1', { sl: 1.09, tp: 1.12 });
    expect(o).toMatchObject({ status: 'filled', brokerOrder: '9001', avgPrice: 1.10014 });
    const sent = h.gw.orders(o.id);
    expect(sent).toHaveLength(1);
    expect(sent[0]).toEqual({ account: '5001', message: { type: 'order', id: o.id, action: 'deal', symbol: 'EURUSD', volume: 0.1, order_type: 'buy', sl: 1.09, tp: 1.12, deviation: 10 } });
    const f = (await h.rec.wait('order.filled', (e) => (e.order as Order).id === o.id)) as { fill: { deal: string }; position: Position };
    expect(f.fill.deal).toBe('7001');
    expect(f.position).toMatchObject({ ticket: '8001', sl: 1.09, tp: 1.12 });
  });

  it('a refusal is a rejected order with the retcode', async () => {
    h.gw.reply = () => ({ retcode: 10019, comment: 'No money' });
    const o = await order('live-2');
    expect(o).toMatchObject({ status: 'rejected', reason: 'MT5 retcode 10019: No money' });
  });

  it('a timeout leaves the order unknown until the EA snapshot shows it; it is never sent twice', async () => {
    h.gw.reply = () => ({ outcome: 'unknown' });
    const o = await order('live-3', { volume: 0.2 });
    expect(o.status).toBe('unknown');
    // The client retries with the same key: the same order comes back, nothing is re-sent.
    const again = await order('live-3', { volume: 0.2 });
    expect(again.id).toBe(o.id);
    await h.p.broker.emit('mt5.positions', { account: '5001', positions: [{ ticket: '8002', symbol: 'EURUSD', type: 'buy', volume: 0.2, price_open: 1.10016, comment: `p2:${o.id}` }] });
    const f = (await h.rec.wait('order.filled', (e) => (e.order as Order).id === o.id)) as { order: Order; position: Position };
    expect(f.order.history.map((x) => x.status)).toEqual(['new', 'unknown', 'filled']);
    expect(f.position).toMatchObject({ ticket: '8002', priceOpen: 1.10016, volume: 0.2 });
    expect(h.gw.orders(o.id)).toHaveLength(1);
  });

  it('a pending order is PLACED, filled by the DEAL_ADD transaction once, and cancel goes to the terminal', async () => {
    h.gw.reply = (m) => (m.type === 'order' ? { retcode: 10008, order: '9100' } : { retcode: 10009 });
    const lim = await order('live-4', { type: 'limit', price: 1.095 });
    expect(lim).toMatchObject({ status: 'accepted', brokerOrder: '9100' });
    expect(h.gw.orders(lim.id)[0].message).toMatchObject({ action: 'pending', order_type: 'buy_limit', price: 1.095 });
    const tx = { account: '5001', transaction: { type: 'deal_add', deal: '7100', order: '9100', position: '8100', price: 1.095, volume: 0.1, symbol: 'EURUSD' } };
    await h.p.broker.emit('mt5.trade_transaction', tx);
    await h.p.broker.emit('mt5.trade_transaction', tx); // reported twice
    await h.rec.wait('order.filled', (e) => (e.order as Order).id === lim.id);
    await new Promise((r) => setTimeout(r, 100));
    expect(await sql(db.url, 'SELECT deal FROM fills WHERE order_id = $1', [lim.id])).toEqual([{ deal: '7100' }]);

    const other = await order('live-5', { type: 'stop', price: 1.11 });
    const c = await h.p.broker.call<Order, object>('trading.cancelOrder', { id: other.id }, meta('m1'));
    expect(c.status).toBe('cancelled');
    expect(h.gw.sent.find((s) => s.message.type === 'cancel')!.message).toMatchObject({ ticket: '9100' });
  });

  it('a partial fill (DONE_PARTIAL) is partially_filled until the rest arrives as a deal', async () => {
    h.gw.reply = (m) => (m.type === 'order' ? { retcode: 10010, order: '9300', deal: '7300', position: '8300', volume: 0.04, price: 1.10012 } : { retcode: 10009 });
    const o = await order('live-7', { volume: 0.1 });
    expect(o).toMatchObject({ status: 'partially_filled', filledVolume: 0.04 });
    await h.p.broker.emit('mt5.trade_transaction', { account: '5001', transaction: { type: 'deal_add', deal: '7301', order: '9300', position: '8300', price: 1.10022, volume: 0.06, symbol: 'EURUSD' } });
    const f = (await h.rec.wait('order.filled', (e) => (e.order as Order).id === o.id && (e.order as Order).status === 'filled')) as { order: Order; position: Position };
    expect(f.order.history.map((x) => x.status)).toEqual(['new', 'accepted', 'partially_filled', 'filled']);
    expect(f.order.avgPrice).toBeCloseTo((0.04 * 1.10012 + 0.06 * 1.10022) / 0.1, 12);
    expect(f.position).toMatchObject({ ticket: '8300', volume: 0.1 });
  });

  it('trailing stops of live positions are sent as modify with the position ticket', async () => {
    h.gw.reply = (m) => (m.type === 'order' ? { retcode: 10009, order: '9200', deal: '7200', position: '8200', volume: m.volume, price: 1.10012 } : { retcode: 10009 });
    const o = await order('live-6', { trailing: 0.001 });
    await h.rec.wait('order.filled', (e) => (e.order as Order).id === o.id);
    await h.md.tick('EURUSD', 1.1031, 1.10322);
    await until(() => h.gw.sent.find((s) => s.message.type === 'modify' && (s.message as { ticket: string }).ticket === '8200'));
    const mod = h.gw.sent.find((s) => s.message.type === 'modify' && (s.message as { ticket: string }).ticket === '8200')!;
    expect(mod.message).toMatchObject({ sl: 1.1021 });
    const pos = await until(async () => (await sql<{ sl: number }>(db.url, `SELECT sl FROM positions WHERE ticket = '8200'`)).find((r) => r.sl === 1.1021));
    expect(pos.sl).toBe(1.1021);
  });
});

describe('MT5 order left in new by a crash', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase('mt5rec');
  });
  afterAll(async () => db?.drop());

  it('is marked unknown on restart, not re-sent, and reconciled from the snapshot', async () => {
    let h = await boot(db.url);
    await createTenants(db.url, ['m3']);
    await h.p.broker.call('trading.linkAccount', { id: '6001', mode: 'netting' }, meta('m3'));
    await h.p.stop();
    const now = Date.now();
    await sql(
      db.url,
      `INSERT INTO orders (id, tenant_id, account_id, idempotency_key, request_hash, symbol, side, type, volume, status, history, created_at, updated_at)
       VALUES ('o_mt5crash', 'm3', '6001', 'k', 'h', 'EURUSD', 'sell', 'market', 0.3, 'new', $1, $2, $2)`,
      [JSON.stringify([{ status: 'new', at: now }]), now],
    );
    h = await boot(db.url);
    h.md.quotes.set('EURUSD', { symbol: 'EURUSD', bid: 1.2, ask: 1.2001, time_msc: Date.now() });
    expect((await sql(db.url, `SELECT status FROM orders WHERE id = 'o_mt5crash'`))[0].status).toBe('unknown');
    await h.p.broker.emit('mt5.positions', { account: '6001', positions: [{ ticket: '8300', symbol: 'EURUSD', type: 'sell', volume: 0.3, price_open: 1.19995, comment: 'p2:o_mt5crash' }] });
    await until(async () => (await sql(db.url, `SELECT status FROM orders WHERE id = 'o_mt5crash'`))[0].status === 'filled');
    expect(h.gw.sent).toHaveLength(0);
    expect(await sql(db.url, `SELECT side, volume, price_open, ticket FROM positions WHERE tenant_id = 'm3'`)).toEqual([{ side: 'sell', volume: 0.3, price_open: 1.19995, ticket: '8300' }]);
    await h.p.stop();
  });
});
