import { ServiceBroker } from 'moleculer';
import { setConfig } from '../../../config';
import { getMigratedDb } from '../../../lib/storage/connect';
import type { Db } from '../../../lib/storage/db';
import { Platform, startPlatform } from '../../../runner';
import { createApiKey, createTenant } from '../../../services/users/tenants';
import type { Decision } from '../../../types/agents';
import type { Tick } from '../../../types/market';
import { eurusdTicks20140508, ticksToM1 } from '../../helpers/bars';
import { FakeWeaviate, startFakeWeaviate } from '../../helpers/fake-weaviate';
import { http } from '../../helpers/http';
import { createTestDatabase, TestDatabase, testConfig } from '../../helpers/infra';
import { waitFor } from '../../helpers/wait';

const SIXTEEN = [
  'adaptation',
  'business-intelligence',
  'compliance',
  'execution-timing',
  'fundamental-analysis',
  'knowledge-synthesis',
  'market-analysis',
  'model-improvement',
  'news-sentiment',
  'performance-analysis',
  'portfolio-optimization',
  'risk-assessment',
  'strategy-formulation',
  'system-health',
  'technical-indicator',
  'user-experience',
];
const ADVISERS = ['business-intelligence', 'compliance', 'model-improvement', 'performance-analysis', 'system-health', 'user-experience'];

const ticks = eurusdTicks20140508();
const m1 = ticksToM1(ticks);
const N = 260;

async function replay(broker: ServiceBroker, from: number, to: number): Promise<void> {
  let k = ticks.findIndex((t) => t.time_msc >= m1[from].t);
  for (let i = from; i < to; i++) {
    const end = m1[i].t + 60_000;
    const batch: Tick[] = [];
    while (k < ticks.length && ticks[k].time_msc < end) batch.push(ticks[k++]);
    await broker.emit('ticks.received', { symbol: 'EURUSD', ticks: batch });
    await broker.emit('candle.closed', m1[i]);
    // Each candle its own turn of the event loop, as when it arrives from the gateway's socket.
    await new Promise((r) => setImmediate(r));
  }
}

describe('all sixteen agents on real PostgreSQL: every decision has sixteen opinions or named abstentions', () => {
  let tdb: TestDatabase;
  let weaviate: FakeWeaviate;
  let p: Platform;
  let db: Db;
  let base: string;
  let key: string;
  let tenantId: string;
  const made: Decision[] = [];
  const reliabilityEvents: unknown[] = [];

  beforeAll(async () => {
    tdb = await createTestDatabase('sixteen');
    weaviate = await startFakeWeaviate();
    const cfg = setConfig(testConfig({ DATABASE_URL: tdb.url, SERVICES: 'api,users,consensus,news,calendar,agents', CONSENSUS_DEADLINE_MS: '2000', WEAVIATE_URL: weaviate.url }));
    p = await startPlatform(cfg, { logger: false });
    base = `http://127.0.0.1:${(await p.broker.call<{ port: number }, object>('api.address', {})).port}`;
    db = await getMigratedDb(cfg);
    const t = await createTenant(db, 'Sixteen', 'enterprise');
    tenantId = t.id;
    key = (await createApiKey(db, t.id)).key;
    p.broker.createService({
      name: 'probe',
      events: {
        'decision.made'(ctx: { params: Decision }) {
          made.push(ctx.params);
        },
        'agents.reliability.updated'(ctx: { params: unknown }) {
          reliabilityEvents.push(ctx.params);
        },
      },
    });
    await p.broker.call('agent.model-improvement.configure', { params: { minSamples: 120, folds: 2, epochs: 10, retrainEvery: 60 } });
    // a shared test machine can stall the whole process for a second; that veto is tested in monitoring.test.ts
    await p.broker.call('agent.system-health.configure', { params: { maxLagMs: 60_000, warnLagMs: 60_000 } });
    await p.broker.call('consensus.watchlistSeed', { tenantId, items: [{ symbol: 'EURUSD', tf: 'M1' }] });
    await replay(p.broker, 0, N);
    await waitFor(() => made.length >= N, 120_000, 100);
  }, 240_000);

  afterAll(async () => {
    await p?.stop();
    await weaviate?.close();
    await tdb?.drop();
  });

  it('runs sixteen agents, and every decision names all sixteen: an opinion or an abstention with its reason', async () => {
    const r = await p.broker.call<{ items: { id: string; group: string }[] }, object>('consensus.agentsList', {}, { meta: { tenantId, tier: 'enterprise', role: 'tenant' } });
    expect(r.items.map((a) => a.id)).toEqual(SIXTEEN);
    expect(made).toHaveLength(N);
    let abstentions = 0;
    for (const d of made) {
      const named = [...d.opinions.map((o) => o.agent), ...d.abstained.map((a) => a.agent)].sort();
      expect(named).toEqual(SIXTEEN);
      for (const a of d.abstained) expect(a.reason.length).toBeGreaterThan(5);
      abstentions += d.abstained.length;
    }
    expect(abstentions / (N * 16)).toBeLessThan(0.02);
    const last = made[made.length - 1];
    for (const o of last.opinions) {
      expect(o.rationale.length).toBeGreaterThan(10);
      if (ADVISERS.includes(o.agent)) expect(o).toMatchObject({ signal: 0, confidence: 0, advisory: expect.any(Array) });
    }
    expect(made.filter((d) => d.vetoes.length > 0)).toEqual([]);
  });

  it('the regime is read: adaptation names one once it has enough bars, and strategy-formulation uses the published regime', () => {
    const late = made[made.length - 1];
    const ad = late.opinions.find((o) => o.agent === 'adaptation')!;
    expect(ad.rationale).toMatch(/^EURUSD M1: regime (trending|ranging|volatile) \(/);
    const sf = late.opinions.find((o) => o.agent === 'strategy-formulation')!;
    expect(sf.rationale).toMatch(/adaptation's HMM/);
  });

  it('reliabilities change as the replay goes on and consensus uses them', async () => {
    expect(reliabilityEvents.length).toBeGreaterThan(10);
    // Broadcast at once, written at most every 2 s: the table catches up.
    const rows = await waitFor<{ agent: string; alpha: number; beta: number }[] | null>(async () => {
      const r = await db.query<{ agent: string; alpha: number; beta: number }>('SELECT agent, alpha, beta FROM agent_reliability ORDER BY agent');
      return r.some((x) => x.agent === 'strategy-formulation') ? r : null;
    }, 10_000, 100) ?? [];
    expect(rows.map((x) => x.agent)).toEqual(expect.arrayContaining(['market-analysis', 'strategy-formulation']));
    expect(rows.every((x) => x.alpha + x.beta > 2)).toBe(true);
    const list = await http(base, 'GET', '/api/v1/agents', { key });
    const ma = list.body.items.find((a: { id: string }) => a.id === 'market-analysis');
    expect(ma.reliability.multiplier).not.toBe(1);
    const perf = await http(base, 'GET', '/api/v1/agents/performance?symbol=EURUSD', { key });
    expect(perf.status).toBe(200);
    const scored = perf.body.agents.find((a: { agent: string }) => a.agent === 'market-analysis');
    expect(scored.scored).toBeGreaterThan(200);
    expect(scored.hitRate).toBeGreaterThan(0);
    expect(Object.keys(scored.byRegime)).toEqual(expect.arrayContaining(['unknown']));
  });

  it('model versions change as the replay goes on', async () => {
    await waitFor(async () => (await http(base, 'GET', '/api/v1/agents/models', { key })).body.items.length >= 1, 120_000, 500);
    const m = await http(base, 'GET', '/api/v1/agents/models', { key });
    expect(m.body.items[0]).toMatchObject({ version: expect.any(Number), evaluation: { reason: expect.any(String), folds: expect.any(Array) } });
    expect(m.body.samples).toBeGreaterThan(200);
  }, 150_000);

  it('situations go to the vector store (Weaviate here) and come back as the nearest past ones; agents’ agreement is reported', async () => {
    await waitFor(() => weaviate.requests.some((r) => r.path === '/v1/batch/objects'), 10_000);
    const s = await http(base, 'GET', '/api/v1/knowledge/similar?symbol=EURUSD&tf=M1&k=5', { key });
    expect(s.status).toBe(200);
    expect(s.body.store).toBe('weaviate');
    expect(s.body.items).toHaveLength(5);
    for (let i = 1; i < 5; i++) expect(s.body.items[i].distance).toBeGreaterThanOrEqual(s.body.items[i - 1].distance);
    const a = await http(base, 'GET', '/api/v1/agents/agreement', { key });
    expect(a.body.items.length).toBeGreaterThan(3);
    const ks = made[made.length - 1].opinions.find((o) => o.agent === 'knowledge-synthesis')!;
    expect(ks.rationale).toMatch(/past situations nearest to the agents' view/);
  });

  it('system health is served over REST', async () => {
    const h = await http(base, 'GET', '/api/v1/system/health', { key });
    expect(h.status).toBe(200);
    expect(['ok', 'degraded', 'halted']).toContain(h.body.status);
    expect(h.body.db.ok).toBe(true);
  });
});
