/**
 * FlowChain with the agents on a second node over the real NATS server: consensus asks
 * them through that node's agent-host (one message per decision), and each decision is
 * still one AI_Decision execution whose `opine` step holds the host's span and every
 * agent's own, timed on the critical path.
 */
import { randomBytes } from 'node:crypto';
import { Pool } from 'pg';
import { setConfig } from '../../../config';
import { Platform, startPlatform } from '../../../runner';
import type { ChainStats, Execution } from '../../../types/flowchain';
import { createTestDatabase, NATS_URL, TestDatabase, testConfig } from '../../helpers/infra';
import { ADMIN, decisionStats, ingestMinutes, waitFor } from './fixtures';

/**
 * A tenant watching EURUSD M1 and 12 minutes of ticks, a batch per minute: 11 closed M1
 * candles, 11 decisions. FlowChain's AI_Decision stats, and consensus's agent-host calls.
 */
async function elevenDecisions(p: Platform, url: string, tenantId: string): Promise<{ st: ChainStats; hostCalls: number }> {
  const pool = new Pool({ connectionString: url });
  await pool.query("INSERT INTO tenants (id, name, tier) VALUES ($1, $1, 'pro')", [tenantId]);
  await pool.end();
  await p.broker.call('consensus.watchlistSeed', { tenantId, items: [{ symbol: 'EURUSD', tf: 'M1' }] });
  await ingestMinutes(p.broker, 12);
  const st = await decisionStats(p.broker, 11, 30_000);
  return { st, hostCalls: (p.broker.getLocalService('consensus') as unknown as { hostCalls: number }).hostCalls };
}

describe('FlowChain with the agents on another node', () => {
  let db: TestDatabase;
  let a: Platform | undefined;
  let b: Platform | undefined;
  const ns = `plan2fc-${process.pid}-${randomBytes(3).toString('hex')}`;

  beforeAll(async () => {
    db = await createTestDatabase('fcnats');
  });
  afterAll(async () => {
    await b?.stop();
    await a?.stop();
    await db?.drop();
  });

  it('assembles each remote-agent decision as one execution, with the host and the agents in its opine step', async () => {
    a = await startPlatform(
      setConfig(testConfig({ DATABASE_URL: db.url, TRANSPORTER: NATS_URL, NAMESPACE: ns, NODE_ID: `${ns}-a`, SERVICES: 'market-data,consensus,flowchain', CONSENSUS_DEADLINE_MS: '500' })),
      { logger: false },
    );
    b = await startPlatform(testConfig({ TRANSPORTER: NATS_URL, NAMESPACE: ns, NODE_ID: `${ns}-b`, SERVICES: 'agents/research,agents/decision' }), { logger: false });
    const pa = a;
    await waitFor(() => pa.broker.registry.getServiceList({ onlyAvailable: true }).filter((s) => s.name.startsWith('agent.')).length === 8, 15_000, 'the agents');
    const { st, hostCalls } = await elevenDecisions(pa, db.url, 'fc1');
    expect(hostCalls).toBe(11);
    const opine = st.steps.find((x) => x.step === 'opine')!;
    expect(opine.count).toBe(st.executions.sampled);
    const ops = opine.ops.map((o) => o.op);
    expect(ops).toContain('agent-host.opine');
    expect(ops.filter((o) => /^agent\..+\.opine$/.test(o)).length).toBe(8);
    expect(st.steps.reduce((x, s) => x + s.criticalShare, 0)).toBeCloseTo(1, 2);
    // One execution's opine step: the host's span and the eight agents' on node B.
    const page = await pa.broker.call<{ items: Omit<Execution, 'tree'>[] }, object>('flowchain.executions', { chain: 'AI_Decision', limit: 1 }, ADMIN);
    const e = page.items[0];
    expect(e.tenantId).toBe('fc1');
    expect(e.steps.find((s) => s.step === 'opine')?.spans).toBe(9);
    expect(e.nodes).toEqual([`${ns}-a`, `${ns}-b`].sort());
    expect(e.criticalPath.reduce((x, p) => x + p.ms, 0)).toBeCloseTo(e.durationMs, 2);
  }, 90_000);

  it('in one process, the agents are called as functions and each still makes its span in the opine step', async () => {
    const idb = await createTestDatabase('fcinproc');
    const p = await startPlatform(
      setConfig(testConfig({ DATABASE_URL: idb.url, SERVICES: 'market-data,consensus,flowchain,agents/research,agents/decision', CONSENSUS_DEADLINE_MS: '500' })),
      { logger: false },
    );
    try {
      const { st, hostCalls } = await elevenDecisions(p, idb.url, 'fc2');
      expect(hostCalls).toBe(0);
      const opine = st.steps.find((x) => x.step === 'opine')!;
      expect(opine.count).toBe(st.executions.sampled);
      expect(opine.ops.map((o) => o.op).sort()).toEqual(
        ['execution-timing', 'fundamental-analysis', 'market-analysis', 'news-sentiment', 'portfolio-optimization', 'risk-assessment', 'strategy-formulation', 'technical-indicator'].map((a) => `agent.${a}.opine`),
      );
      const page = await p.broker.call<{ items: Omit<Execution, 'tree'>[] }, object>('flowchain.executions', { chain: 'AI_Decision', limit: 1 }, ADMIN);
      expect(page.items[0]).toMatchObject({ tenantId: 'fc2', status: 'ok' });
      expect(page.items[0].steps.find((s) => s.step === 'opine')?.spans).toBe(8);
    } finally {
      await p.stop();
      await idb.drop();
    }
  }, 90_000);
});
