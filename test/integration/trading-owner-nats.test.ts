/**
 * Two trading nodes over the real NATS server on one real PostgreSQL: the first to take a
 * tenant owns its order intake (services/trading/intake.ts); orders that reach the other
 * node are forwarded to the owner, so each key is still one order and every order fills.
 */
import type { ServiceBroker } from 'moleculer';
import { randomBytes } from 'node:crypto';
import { setConfig } from '../../config';
import { closeDb } from '../../lib/storage/connect';
import { createBroker, loadServices } from '../../runner';
import type { Order, SubmitParams } from '../../types/trading';
import { createTestDatabase, NATS_URL, TestDatabase, testConfig } from '../helpers/infra';
import { createTenants, sql, until } from '../helpers/trading';

describe('order intake ownership across two trading nodes (NATS)', () => {
  let db: TestDatabase;
  const brokers: ServiceBroker[] = [];
  let caller: ServiceBroker;
  const namespace = `own-${process.pid}-${randomBytes(3).toString('hex')}`;
  const id = (n: string) => `${n}-${namespace}`;

  beforeAll(async () => {
    db = await createTestDatabase('owner');
    const mk = (services: string, name: string) => {
      const cfg = setConfig(testConfig({ DATABASE_URL: db.url, TRANSPORTER: NATS_URL, SERVICES: services, NODE_ID: id(name) }));
      const broker = createBroker(cfg, { namespace });
      if (services) loadServices(broker, cfg);
      brokers.push(broker);
      return broker;
    };
    mk('trading,market-data', 'trading-1');
    mk('trading', 'trading-2');
    caller = mk('', 'caller');
    // A stand-in for risk that sends each order to the trading node it names.
    caller.createService({
      name: 'risk',
      actions: {
        send: {
          params: { p: 'object', node: 'string' },
          handler: (ctx: { call: ServiceBroker['call']; params: { p: SubmitParams; node: string } }) => ctx.call('trading.submit', ctx.params.p, { nodeID: ctx.params.node }),
        },
      },
    });
    try {
      for (const b of brokers) await b.start();
      await caller.waitForServices(['trading', 'market-data'], 15_000);
      await until(() => caller.registry.getServiceList({ onlyAvailable: true }).filter((s) => s.name === 'trading').length === 2, 15_000);
    } catch (e) {
      await closeDb();
      throw e;
    }
    await createTenants(db.url, ['o1']);
    await caller.call('market-data.ingest', { source: 'test:1@local', ticks: [{ symbol: 'EURUSD', time_msc: Date.now(), bid: 1.25, ask: 1.25015 }] });
  });

  afterAll(async () => {
    for (const b of brokers.reverse()) await b.stop();
    await closeDb();
    await db?.drop();
  });

  it('orders sent to either node become one order per key, written by the owner, and all fill', async () => {
    const send = (k: number, node: string) =>
      caller.call<{ order: Order; replayed: boolean }, object>('risk.send', {
        p: { tenantId: 'o1', idempotencyKey: `k-${k}`, intent: { symbol: 'EURUSD', side: 'buy', type: 'market', volume: 0.01 } },
        node: id(node),
      });
    const first = await send(0, 'trading-1');
    expect(first.replayed).toBe(false);
    const holders = async () =>
      (
        await sql<{ name: string }>(
          db.url,
          `SELECT a.application_name AS name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
            WHERE l.locktype = 'advisory' AND l.mode = 'ExclusiveLock' AND l.granted AND l.objid = hashtext('o1')::oid`,
        )
      ).map((r) => r.name);
    expect(await until(async () => ((await holders()).length ? holders() : null), 5000)).toEqual([`plan2-trading:${id('trading-1')}`]);
    const results = [];
    for (let k = 1; k <= 20; k++) results.push(await send(k, k % 2 ? 'trading-2' : 'trading-1'));
    // The same keys again through the other node: replays of the same orders.
    const again = await send(5, 'trading-1');
    expect(again).toMatchObject({ replayed: true, order: { id: results[4].order.id } });
    expect(results.every((r) => !r.replayed)).toBe(true);
    const filled = await until(async () => {
      const rows = await sql<{ n: number }>(db.url, `SELECT count(*)::int AS n FROM orders WHERE tenant_id = 'o1' AND status = 'filled'`);
      return rows[0].n === 21 ? rows : null;
    }, 10_000);
    expect(filled).toEqual([{ n: 21 }]);
    const byKey = await sql<{ n: number }>(db.url, `SELECT count(DISTINCT idempotency_key)::int AS n FROM orders WHERE tenant_id = 'o1'`);
    expect(byKey).toEqual([{ n: 21 }]);
    // Orders sent to trading-2 were written by the owner: trading-2 never took the lock.
    expect(await holders()).toEqual([`plan2-trading:${id('trading-1')}`]);
  });
});
