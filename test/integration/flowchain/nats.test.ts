/**
 * One decision spanning two nodes over real NATS: node A runs market-data,
 * consensus and flowchain; node B the agents, risk and trading. Each node's
 * FlowChain exporter ships its own spans; FlowChain assembles them as one.
 */
import { randomBytes } from 'node:crypto';
import type { ServiceBroker } from 'moleculer';
import { setConfig } from '../../../config';
import FlowChainService from '../../../flowchain/flowchain.service';
import { closeDb, getMigratedDb } from '../../../lib/storage/connect';
import { createBroker } from '../../../runner';
import type { Execution, ExecutionSpan } from '../../../types/flowchain';
import { createTestDatabase, NATS_URL, TestDatabase, testConfig } from '../../helpers/infra';
import { ADMIN, createFixtures, FixtureKnobs, waitFor } from './fixtures';

function spansOf(t: ExecutionSpan, out: ExecutionSpan[] = []): ExecutionSpan[] {
  out.push(t);
  for (const c of t.children) spansOf(c, out);
  return out;
}

describe('flowchain across two nodes over real NATS', () => {
  let tdb: TestDatabase;
  let a: ServiceBroker;
  let b: ServiceBroker;
  const knobs: FixtureKnobs = { tenants: ['alpha'], slowAgentMs: 5, agentMs: 1, rejectTenants: new Set() };

  beforeAll(async () => {
    tdb = await createTestDatabase('fcnats');
    const cfg = setConfig(testConfig({ DATABASE_URL: tdb.url, TRANSPORTER: NATS_URL }));
    const namespace = `fc-${process.pid}-${randomBytes(3).toString('hex')}`;
    a = createBroker(cfg, { namespace, nodeID: 'fc-a' });
    b = createBroker(cfg, { namespace, nodeID: 'fc-b' });
    createFixtures(a, knobs, ['market-data', 'consensus']);
    a.createService({ ...FlowChainService, settings: { ...FlowChainService.settings, flowchain: { settleMs: 400, tickMs: 50, persistMs: 200, bucketMs: 1000 } } } as never);
    createFixtures(b, knobs, ['agents', 'risk', 'trading']);
    await Promise.all([a.start(), b.start()]);
    await a.waitForServices(['agent-trend', 'agent-momentum', 'agent-slow', 'risk', 'trading'], 10_000);
    await b.waitForServices(['flowchain'], 10_000);
    const db = await getMigratedDb(cfg);
    await db.query(`INSERT INTO tenants (id, name) VALUES ('alpha', 'Alpha')`);
  });

  afterAll(async () => {
    await b?.stop();
    await a?.stop();
    await closeDb();
    await tdb?.drop();
  });

  it('assembles a decision whose spans come from both nodes as one execution', async () => {
    await a.call('market-data.ingest', { symbol: 'EURUSD', bid: 1.1, close: true });
    const page = await waitFor(
      async () => {
        const p = await a.call<{ items: Omit<Execution, 'tree'>[] }, object>('flowchain.executions', { chain: 'AI_Decision' }, ADMIN);
        return p.items.length > 0 ? p : null;
      },
      15_000,
      'the decision',
    );
    expect(page.items).toHaveLength(1);
    const e = page.items[0];
    expect(e).toMatchObject({ tenantId: 'alpha', status: 'ok', missing: [], nodes: ['fc-a', 'fc-b'] });
    expect(e.steps.map((s) => s.step)).toEqual(['candle', 'opine', 'fusion', 'risk', 'submit', 'fill']);
    expect(e.steps.find((s) => s.step === 'opine')?.spans).toBe(3);
    const { items } = await a.call<{ items: Execution[] }, object>('flowchain.execution', { traceId: e.traceId }, ADMIN);
    // the tick's own trace is sampled too (first tick): MT5_To_Database on node A, cut at candle.closed
    expect(items.map((x) => x.chain).sort()).toEqual(['AI_Decision', 'MT5_To_Database']);
    const mt5 = items.find((x) => x.chain === 'MT5_To_Database') as Execution;
    expect(spansOf(mt5.tree).every((s) => s.node === 'fc-a')).toBe(true);
    const dec = items.find((x) => x.chain === 'AI_Decision') as Execution;
    const tree = spansOf(dec.tree);
    const nodeOf = (op: string) => tree.find((s) => s.op === op)?.node;
    expect(nodeOf('consensus.decide')).toBe('fc-a');
    expect(nodeOf('agent-slow.opine')).toBe('fc-b');
    expect(nodeOf('risk.evaluate')).toBe('fc-b');
    expect(nodeOf('trading.submit')).toBe('fc-b');
    // one tree: every span but the root hangs under a parent of the same execution
    const ids = new Set(tree.map((s) => s.id));
    expect(tree.filter((s) => !ids.has(s.parentId ?? '')).map((s) => s.op)).toEqual(['candle.closed@consensus']);
    expect(dec.criticalPath.reduce((x, p) => x + p.ms, 0)).toBeCloseTo(dec.durationMs, 2);
  });
});
