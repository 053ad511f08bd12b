/**
 * `plan2 flowchain …` both ways: from the stored statistics (no cluster) and
 * from a running flowchain service over real NATS.
 */
import { randomBytes } from 'node:crypto';
import type { ServiceBroker } from 'moleculer';
import { main } from '../../../cli/plan2';
import { setConfig } from '../../../config';
import { assembleTrace } from '../../../flowchain/assemble';
import { ChainRegistry } from '../../../flowchain/chain';
import { BUILT_IN_CHAINS } from '../../../flowchain/definitions';
import FlowChainService from '../../../flowchain/flowchain.service';
import { FlowStats } from '../../../flowchain/stats';
import { saveStatsRows } from '../../../flowchain/store';
import { closeDb, getMigratedDb } from '../../../lib/storage/connect';
import { createBroker } from '../../../runner';
import type { Bottleneck, ChainStats, SpanRecord } from '../../../types/flowchain';
import { createTestDatabase, NATS_URL, TestDatabase, testConfig } from '../../helpers/infra';
import { createFixtures, FixtureKnobs, waitFor } from './fixtures';

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const w1 = process.stdout.write.bind(process.stdout);
  const w2 = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((s: string) => ((out += s), true)) as typeof process.stdout.write;
  process.stderr.write = ((s: string) => ((err += s), true)) as typeof process.stderr.write;
  try {
    const code = await main(argv);
    return { code, out, err };
  } finally {
    process.stdout.write = w1;
    process.stderr.write = w2;
  }
}

function trace(id: string, tenantId: string, t0: number, slowMs: number): SpanRecord[] {
  const base = { traceId: id, node: 'n1', error: null, kind: 'action' as const };
  return [
    { ...base, id: `${id}-cc`, parentId: null, kind: 'event', name: 'cc', op: 'candle.closed@consensus', event: 'candle.closed', service: 'consensus', tenantId: null, start: t0, duration: slowMs + 5 },
    { ...base, id: `${id}-d`, parentId: `${id}-cc`, name: 'd', op: 'consensus.decide', action: 'consensus.decide', service: 'consensus', tenantId, start: t0 + 0.5, duration: slowMs + 4 },
    { ...base, id: `${id}-s`, parentId: `${id}-d`, name: 's', op: 'agent-slow.opine', action: 'agent-slow.opine', service: 'agent-slow', tenantId, start: t0 + 1, duration: slowMs },
    { ...base, id: `${id}-r`, parentId: `${id}-d`, name: 'r', op: 'risk.evaluate', action: 'risk.evaluate', service: 'risk', tenantId, start: t0 + 2 + slowMs, duration: 1 },
  ];
}

describe('plan2 flowchain', () => {
  let tdb: TestDatabase;
  beforeAll(async () => {
    tdb = await createTestDatabase('fccli');
  });
  afterAll(async () => {
    await closeDb();
    await tdb.drop();
  });

  it('reads the stored statistics when no TRANSPORTER is set', async () => {
    setConfig(testConfig({ DATABASE_URL: tdb.url }));
    const db = await getMigratedDb(setConfig(testConfig({ DATABASE_URL: tdb.url })));
    await db.query(`INSERT INTO tenants (id, name) VALUES ('alpha', 'Alpha') ON CONFLICT DO NOTHING`);
    const chains = new ChainRegistry(BUILT_IN_CHAINS).compiled();
    const st = new FlowStats({ bucketMs: 10_000, retainMs: 600_000 });
    const now = Date.now();
    for (let i = 0; i < 30; i++) for (const e of assembleTrace(trace(`t${i}`, 'alpha', now - 60_000, 40), chains)) st.add(e, now - 60_000 + i);
    expect(await saveStatsRows(db, st.takeClosed(now))).toBeGreaterThan(0);

    const b = await run(['flowchain', 'bottlenecks', '--chain', 'AI_Decision']);
    expect(b.code).toBe(0);
    expect(b.out).toMatch(/^AI_Decision \(all tenants\): opine holds \d+\.\d % of the critical path; agent-slow\.opine \d+\.\d %/);
    expect(b.out).toMatch(/30 executions in 5m/);
    const j = await run(['flowchain', 'bottlenecks', '--json', '--tenant', 'alpha']);
    const items = JSON.parse(j.out) as Bottleneck[];
    expect(items.find((x) => x.chain === 'AI_Decision')).toMatchObject({ kind: 'critical-path', step: 'opine', op: 'agent-slow.opine', tenantId: 'alpha' });
    const steps = await run(['flowchain', 'steps', 'AI_Decision', '--window', '10m']);
    expect(steps.out).toMatch(/AI_Decision — all tenants, last 10m: 30 executions traced/);
    expect(steps.out).toMatch(/\nopine\s+30\s+0\.0 %/);
    const chainsOut = await run(['flowchain', 'chains']);
    expect(chainsOut.out.split('\n').filter(Boolean)).toHaveLength(3);
    expect((await run(['flowchain', 'steps'])).code).toBe(2);
    expect((await run(['flowchain', 'bottlenecks', '--window', 'soon'])).code).toBe(2);
    expect((await run(['flowchain', 'nonsense'])).code).toBe(2);
    await closeDb();
  });

  it('asks the running flowchain service over NATS when TRANSPORTER is set', async () => {
    // a database of its own: the first test stored statistics that a 5-minute window would merge in
    const tdb2 = await createTestDatabase('fccli2');
    const cfg = setConfig(testConfig({ DATABASE_URL: tdb2.url, TRANSPORTER: NATS_URL }));
    const namespace = `fccli-${process.pid}-${randomBytes(3).toString('hex')}`;
    const knobs: FixtureKnobs = { tenants: ['alpha'], slowAgentMs: 25, agentMs: 1, rejectTenants: new Set() };
    const broker: ServiceBroker = createBroker(cfg, { namespace, nodeID: 'fccli-cluster' });
    createFixtures(broker, knobs, ['market-data', 'agents', 'consensus', 'risk', 'trading']);
    broker.createService({ ...FlowChainService, settings: { ...FlowChainService.settings, flowchain: { settleMs: 300, tickMs: 50 } } } as never);
    await broker.start();
    let last: ChainStats | null = null;
    try {
      for (let i = 0; i < 3; i++) await broker.call('market-data.ingest', { symbol: 'EURUSD', bid: 1.1, close: true });
      await waitFor(
        async () => {
          last = await broker.call<ChainStats, object>('flowchain.stats', { name: 'AI_Decision' }, { meta: { role: 'admin' } });
          return last.executions.sampled >= 3;
        },
        10_000,
        'three decisions',
      );
      expect((last as ChainStats | null)?.executions.sampled).toBe(3);
      const r = await run(['flowchain', 'bottlenecks', '--chain', 'AI_Decision', '--namespace', namespace]);
      expect(r.err).toBe('');
      expect(r.code).toBe(0);
      expect(r.out).toMatch(/^AI_Decision \(all tenants\): opine holds .* agent-slow\.opine .* 3 executions in 5m/);
      const s = await run(['flowchain', 'steps', 'AI_Decision', '--namespace', namespace, '--json']);
      expect((JSON.parse(s.out) as ChainStats).executions.sampled).toBe(3);
    } finally {
      await broker.stop();
      await closeDb();
      await tdb2.drop();
    }
  });
});
