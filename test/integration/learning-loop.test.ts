/**
 * The learning loop on the real broker and PostgreSQL: performance-analysis
 * scores the opinions of the decisions it sees and publishes reliabilities,
 * consensus stores them and uses them; adaptation publishes regimes that
 * strategy-formulation takes up.
 */
import { Pool } from 'pg';
import { setConfig } from '../../config';
import { startPlatform, Platform } from '../../runner';
import type { Decision } from '../../types/agents';
import type { Tick } from '../../types/market';
import { eurusdTicks20140508, ticksToM1 } from '../helpers/bars';
import { createTestDatabase, TestDatabase, testConfig } from '../helpers/infra';
import { waitFor } from '../helpers/wait';

const ticks = eurusdTicks20140508();
const m1 = ticksToM1(ticks);

describe('learning loop', () => {
  let db: TestDatabase;
  let p: Platform;
  beforeAll(async () => {
    db = await createTestDatabase('learn');
    p = await startPlatform(setConfig(testConfig({ DATABASE_URL: db.url, SERVICES: 'consensus,agents', CONSENSUS_DEADLINE_MS: '1000' })), { logger: false });
    const pool = new Pool({ connectionString: db.url });
    await pool.query("INSERT INTO tenants (id, name, tier) VALUES ('tl', 'tl', 'pro')");
    await pool.end();
  }, 60_000);
  afterAll(async () => {
    await p?.stop();
    await db?.drop();
  });

  it('reliabilities flow from performance-analysis into consensus, regimes into strategy-formulation', async () => {
    const made: Decision[] = [];
    p.broker.createService({ name: 'probe', events: { 'decision.made'(ctx: { params: Decision }) { made.push(ctx.params); } } });
    await p.broker.call('consensus.watchlistSeed', { tenantId: 'tl', items: [{ symbol: 'EURUSD', tf: 'M1' }] });
    const N = 320;
    let k = 0;
    for (let i = 0; i < N; i++) {
      const end = m1[i].t + 60_000;
      const batch: Tick[] = [];
      while (k < ticks.length && ticks[k].time_msc < end) batch.push(ticks[k++]);
      await p.broker.emit('ticks.received', { symbol: 'EURUSD', ticks: batch });
      await p.broker.emit('candle.closed', m1[i]);
    }
    await waitFor(() => made.length >= N, 60_000);
    const meta = { meta: { tenantId: 'tl' } };
    const agents = await waitFor(async () => {
      const r = await p.broker.call<{ items: { id: string; reliability: { alpha: number; beta: number; multiplier: number } }[] }, object>('consensus.agentsList', {}, meta);
      return r.items.some((a) => a.reliability.alpha + a.reliability.beta > 10) ? r : null;
    }, 20_000);
    const ma = agents!.items.find((a) => a.id === 'market-analysis')!;
    expect(ma.reliability.alpha + ma.reliability.beta).toBeGreaterThan(10);
    expect(ma.reliability.multiplier).not.toBe(1);
    const pool = new Pool({ connectionString: db.url });
    const rows = await pool.query<{ agent: string }>('SELECT agent FROM agent_reliability');
    await pool.end();
    expect(rows.rows.map((r) => r.agent)).toContain('market-analysis');
    const perf = await p.broker.call<{ items: { agent: string; n: number }[] }, object>('agent.performance-analysis.performance', {});
    expect(perf.items.find((x) => x.agent === 'market-analysis')!.n).toBeGreaterThan(100);

    const last = made[made.length - 1];
    // all sixteen agents, each an opinion or a named abstention
    expect(last.opinions.length + last.abstained.length).toBe(16);
    expect(last.opinions.length).toBeGreaterThanOrEqual(14);
    expect(last.opinions.find((o) => o.agent === 'adaptation')!.rationale).toMatch(/regime (trending|ranging|volatile)/);
    expect(last.opinions.find((o) => o.agent === 'strategy-formulation')!.rationale).toMatch(/regime from adaptation/);

    // Walk-forward training from the gathered samples: a version is kept either way; a promoted one reaches consensus.
    const t = await p.broker.call<{ version: number; promoted: boolean; reason: string }, object>('agent.model-improvement.train', {}, { timeout: 120_000 });
    expect(t.version).toBe(1);
    expect(t.reason).toMatch(/out-of-sample log loss/);
    const pool2 = new Pool({ connectionString: db.url });
    const versions = await pool2.query<{ version: number; active: boolean; metrics: { oosLogLoss: number } }>('SELECT version, active, metrics FROM ensemble_models');
    await pool2.end();
    expect(versions.rows).toHaveLength(1);
    expect(versions.rows[0].active).toBe(t.promoted);
    expect(versions.rows[0].metrics.oosLogLoss).toBeGreaterThan(0);
    if (t.promoted) await waitFor(async () => (await p.broker.call<{ model: { version: number } | null }, object>('consensus.agentsList', {}, meta)).model?.version === 1);
  }, 180_000);
});
