/**
 * Consensus on one node, the eight agents on another, over the real NATS
 * server: decisions equal those of a single process for the same candles, and
 * with the agents' node gone consensus still decides (every agent abstained).
 */
import { randomBytes } from 'node:crypto';
import { Pool } from 'pg';
import { setConfig } from '../../config';
import { startPlatform, Platform } from '../../runner';
import type { Decision } from '../../types/agents';
import type { Tick } from '../../types/market';
import { eurusdTicks20140508, ticksToM1 } from '../helpers/bars';
import { createTestDatabase, NATS_URL, TestDatabase, testConfig } from '../helpers/infra';
import { waitFor } from '../helpers/wait';

const ticks = eurusdTicks20140508();
const m1 = ticksToM1(ticks);
const N = 60;
const EIGHT = ['execution-timing', 'fundamental-analysis', 'market-analysis', 'news-sentiment', 'portfolio-optimization', 'risk-assessment', 'strategy-formulation', 'technical-indicator'];

async function feed(p: Platform): Promise<void> {
  let k = 0;
  for (let i = 0; i < N; i++) {
    const end = m1[i].t + 60_000;
    const batch: Tick[] = [];
    while (k < ticks.length && ticks[k].time_msc < end) batch.push(ticks[k++]);
    await p.broker.emit('ticks.received', { symbol: 'EURUSD', ticks: batch });
    await p.broker.emit('candle.closed', m1[i]);
  }
}

function essence(d: Decision) {
  return { asOf: d.asOf, action: d.action, p: d.p, confidence: d.confidence, abstained: d.abstained, opinions: d.opinions.map(({ latencyMs: _l, ...o }) => o) };
}

describe('consensus with the agents on a second node over NATS', () => {
  let db: TestDatabase;
  const ns = `plan2t-${process.pid}-${randomBytes(3).toString('hex')}`;
  beforeAll(async () => {
    db = await createTestDatabase('nats');
  });
  afterAll(() => db.drop());

  it('decides as a single process does, and still decides with the agents’ node stopped', async () => {
    const env = { DATABASE_URL: db.url, CONSENSUS_DEADLINE_MS: '500' };

    // Reference: one process, local transporter.
    const local = await startPlatform(setConfig(testConfig({ ...env, SERVICES: 'consensus,agents/research,agents/decision' })), { logger: false });
    const ref: Decision[] = [];
    try {
      const pool = new Pool({ connectionString: db.url }); // migrated by the platform's start
      await pool.query("INSERT INTO tenants (id, name, tier) VALUES ('tn', 'tn', 'pro'), ('tl', 'tl', 'pro')");
      await pool.end();
      local.broker.createService({ name: 'probe', events: { 'decision.made'(ctx: { params: Decision }) { if (ctx.params.tenantId === 'tl') ref.push(ctx.params); } } });
      await local.broker.call('consensus.watchlistSeed', { tenantId: 'tl', items: [{ symbol: 'EURUSD', tf: 'M1' }] });
      await feed(local);
      await waitFor(() => ref.length >= N, 30_000);
    } finally {
      await local.stop();
    }

    // Two nodes over NATS.
    const cfgA = setConfig(testConfig({ ...env, TRANSPORTER: NATS_URL, NAMESPACE: ns, NODE_ID: `${ns}-consensus`, SERVICES: 'consensus' }));
    const a = await startPlatform(cfgA, { logger: false });
    const b = await startPlatform(testConfig({ TRANSPORTER: NATS_URL, NAMESPACE: ns, NODE_ID: `${ns}-agents`, SERVICES: 'agents/research,agents/decision' }), { logger: false });
    let bRunning = true;
    const got: Decision[] = [];
    try {
      a.broker.createService({ name: 'probe', events: { 'decision.made'(ctx: { params: Decision }) { if (ctx.params.tenantId === 'tn') got.push(ctx.params); } } });
      await waitFor(() => a.broker.registry.getServiceList({ onlyAvailable: true }).filter((s) => s.name.startsWith('agent.')).length === 8, 15_000);
      const listed = await a.broker.call<{ items: { id: string; nodes: string[] }[] }, object>('consensus.agentsList', {}, { meta: { tenantId: 'tn' } });
      expect(listed.items.map((i) => i.id)).toEqual(EIGHT);
      expect(listed.items.every((i) => i.nodes.length === 1 && i.nodes[0] === `${ns}-agents`)).toBe(true);
      await a.broker.call('consensus.watchlistSeed', { tenantId: 'tn', items: [{ symbol: 'EURUSD', tf: 'M1' }] });
      const consensus = a.broker.getLocalService('consensus') as unknown as { hostCalls: number };
      const hostCallsBefore = consensus.hostCalls;
      await feed(a);
      await waitFor(() => got.length >= N, 60_000);
      expect(got.map(essence)).toEqual(ref.map(essence));
      // Node B's agents are asked in one message per decision (its agent-host), not one per
      // agent: two per candle here, as both tenants watch EURUSD M1 (tl's watchlist is in the database).
      expect(consensus.hostCalls - hostCallsBefore).toBe(2 * N);
      expect(got[N - 1].opinions.map((o) => o.agent)).toEqual(EIGHT);

      await b.broker.stop();
      bRunning = false;
      await waitFor(() => !a.broker.registry.getServiceList({ onlyAvailable: true }).some((s) => s.name.startsWith('agent.')), 15_000);
      const t0 = Date.now();
      const d = await a.broker.call<Decision, object>('consensus.decide', { symbol: 'EURUSD', tf: 'M1' }, { meta: { tenantId: 'tn' } });
      expect(Date.now() - t0).toBeLessThan(1000);
      expect(d.opinions).toEqual([]);
      expect(d.abstained.map((x) => x.agent).sort()).toEqual(EIGHT);
      expect(d.abstained[0].reason).toMatch(/unavailable/);
      expect(d.action).toBe('hold');
      const back = await a.broker.call<Decision, object>('consensus.get', { id: d.id }, { meta: { tenantId: 'tn' } });
      expect(back.abstained).toHaveLength(8);
    } finally {
      if (bRunning) await b.broker.stop();
      await a.stop();
    }
  }, 120_000);
});
