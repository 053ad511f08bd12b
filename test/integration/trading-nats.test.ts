/**
 * The decision path across nodes over the real NATS server: node A runs `risk`, node B
 * runs `trading` and the real `market-data`; they share a unique namespace and a real
 * PostgreSQL. decision.made (A) → risk.evaluate (A) → trading.book/submit (B, caller
 * `risk` on the wire) → paper fill at the ingested ask (B) → position.changed (seen on A).
 */
import type { ServiceBroker } from 'moleculer';
import { randomBytes } from 'node:crypto';
import { setConfig } from '../../config';
import { closeDb } from '../../lib/storage/connect';
import { createBroker, loadServices } from '../../runner';
import type { Decision } from '../../types/agents';
import type { Order, Position, SubmitParams } from '../../types/trading';
import { createTestDatabase, NATS_URL, TestDatabase, testConfig } from '../helpers/infra';
import { createTenants, EventRecorder, sql } from '../helpers/trading';

describe('decision → risk → order → fill → position over NATS (two brokers)', () => {
  let db: TestDatabase;
  let a: ServiceBroker;
  let b: ServiceBroker;
  let rec: EventRecorder;
  const namespace = `t-${process.pid}-${randomBytes(3).toString('hex')}`;

  beforeAll(async () => {
    db = await createTestDatabase('nats');
    const mk = (services: string, id: string) => {
      const cfg = setConfig(testConfig({ DATABASE_URL: db.url, TRANSPORTER: NATS_URL, SERVICES: services, NODE_ID: `${id}-${namespace}` }));
      const broker = createBroker(cfg, { namespace });
      loadServices(broker, cfg);
      return broker;
    };
    b = mk('trading,market-data', 'node-b');
    a = mk('risk', 'node-a');
    rec = new EventRecorder(a, ['order.filled', 'position.changed']);
    a.createService({
      name: 'strategy',
      actions: { go: { params: { p: 'object' }, handler: (ctx: { call: ServiceBroker['call']; params: { p: SubmitParams } }) => ctx.call('trading.submit', ctx.params.p) } },
    });
    try {
      await b.start();
      await a.start();
      await a.waitForServices(['trading', 'market-data', 'risk'], 15_000);
      // B emits fills to A's listeners only once it has A's node info.
      await b.waitForServices(['risk', 'recorder'], 15_000);
    } catch (e) {
      await closeDb();
      throw e;
    }
    await createTenants(db.url, ['n1']);
    await a.call('market-data.ingest', { source: 'test:1@local', ticks: [{ symbol: 'EURUSD', time_msc: Date.now(), bid: 1.25, ask: 1.25015 }] });
  });

  afterAll(async () => {
    await a?.stop();
    await b?.stop();
    await closeDb();
    await db?.drop();
  });

  it('runs the loop across the two nodes', async () => {
    expect(a.registry.getServiceList({ onlyLocal: true }).map((s) => s.name)).not.toContain('trading');
    const d: Decision = {
      id: `dec-${namespace}`,
      tenantId: 'n1',
      symbol: 'EURUSD',
      tf: 'M5',
      asOf: Date.now(),
      action: 'buy',
      p: { buy: 0.8, hold: 0.15, sell: 0.05 },
      confidence: 0.8,
      method: 'weighted',
      fusions: [],
      opinions: [],
      abstained: [],
      vetoes: [],
      latencyMs: 2,
      traceId: null,
    };
    await a.emit('decision.made', d);
    const filled = (await rec.wait('order.filled', (e) => (e.order as Order).decisionId === d.id, 10_000)) as { order: Order; fill: { price: number }; position: Position };
    expect(filled.fill.price).toBe(1.25015); // a buy at the ingested ask
    expect(filled.order).toMatchObject({ status: 'filled', idempotencyKey: d.id, volume: 5 });
    const changed = (await rec.wait('position.changed', (e) => (e.position as Position).id === filled.position.id, 10_000)) as { position: Position; change: string };
    expect(changed).toMatchObject({ change: 'opened', position: { tenantId: 'n1', symbol: 'EURUSD', side: 'buy', volume: 5, priceOpen: 1.25015 } });
    const rows = await sql(db.url, `SELECT o.decision_id, f.price, p.volume FROM orders o JOIN fills f ON f.order_id = o.id JOIN positions p ON p.id = f.position_id WHERE o.tenant_id = 'n1'`);
    expect(rows).toEqual([{ decision_id: d.id, price: 1.25015, volume: 5 }]);
  });

  it('trading.submit from another service is refused over the wire too', async () => {
    const p: SubmitParams = { tenantId: 'n1', idempotencyKey: 'sneaky', intent: { symbol: 'EURUSD', side: 'buy', type: 'market', volume: 1 } };
    await expect(a.call('strategy.go', { p })).rejects.toMatchObject({ code: 403, type: 'FORBIDDEN_CALLER' });
    expect(await sql(db.url, `SELECT count(*)::int AS n FROM orders WHERE idempotency_key = 'sneaky'`)).toEqual([{ n: 0 }]);
  });
});
