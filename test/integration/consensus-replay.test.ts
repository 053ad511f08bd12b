import { Pool } from 'pg';
import { setConfig } from '../../config';
import { createRunner } from '../../lib/consensus/neural';
import { startPlatform, Platform } from '../../runner';
import { saveModel } from '../../services/consensus/store';
import { PgDb } from '../../lib/storage/adapters/pg';
import type { Decision } from '../../types/agents';
import type { Tick } from '../../types/market';
import { eurusdTicks20140508, ticksToM1 } from '../helpers/bars';
import { createTestDatabase, TestDatabase, testConfig } from '../helpers/infra';
import { waitFor } from '../helpers/wait';

const ticks = eurusdTicks20140508();
const m1 = ticksToM1(ticks);
const N = 150;

async function run(db: TestDatabase, tenant: string, after?: (p: Platform, made: Decision[]) => Promise<void>): Promise<Decision[]> {
  const cfg = setConfig(testConfig({ DATABASE_URL: db.url, SERVICES: 'consensus,news,calendar,agents/research,agents/decision', CONSENSUS_DEADLINE_MS: '1000' }));
  const p = await startPlatform(cfg, { logger: false });
  const made: Decision[] = [];
  try {
    p.broker.createService({ name: 'probe', events: { 'decision.made'(ctx: { params: Decision }) { made.push(ctx.params); } } });
    const pool = new Pool({ connectionString: db.url });
    await pool.query("INSERT INTO tenants (id, name, tier) VALUES ($1, $1, 'enterprise') ON CONFLICT DO NOTHING", [tenant]);
    await pool.end();
    await p.broker.call('consensus.watchlistSeed', { tenantId: tenant, items: [{ symbol: 'EURUSD', tf: 'M1' }] });
    let k = 0;
    for (let i = 0; i < N; i++) {
      const end = m1[i].t + 60_000;
      const batch: Tick[] = [];
      while (k < ticks.length && ticks[k].time_msc < end) batch.push(ticks[k++]);
      await p.broker.emit('ticks.received', { symbol: 'EURUSD', ticks: batch });
      await p.broker.emit('candle.closed', m1[i]);
    }
    // earlier runs' tenants watch the same series in this database: count this run's tenant only
    await waitFor(() => made.filter((d) => d.tenantId === tenant).length >= N, 60_000);
    if (after) await after(p, made);
  } finally {
    await p.stop();
  }
  return made.filter((d) => d.tenantId === tenant);
}

/** What must be identical between two replays (ids, latencies and trace ids differ by nature). */
function essence(d: Decision) {
  return {
    asOf: d.asOf,
    action: d.action,
    p: d.p,
    confidence: d.confidence,
    fusions: d.fusions,
    abstained: d.abstained,
    opinions: d.opinions.map(({ latencyMs: _l, ...o }) => o),
  };
}

describe('decisions replayed over the bundled EURUSD day', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase('replay');
  });
  afterAll(async () => db.drop());

  let first: Decision[] = [];

  it('are deterministic for the same inputs', async () => {
    first = await run(db, 'r1');
    const second = await run(db, 'r2');
    expect(first).toHaveLength(N);
    expect(second).toHaveLength(N);
    expect(second.map(essence)).toEqual(first.map(essence));
    // and they are not trivially constant
    expect(new Set(first.map((d) => d.p.buy.toFixed(6))).size).toBeGreaterThan(20);
  }, 120_000);

  it('take in news and calendar entries, use a trained model from Postgres, and refuse market-wide writes from tenants', async () => {
    await run(db, 'r3', async (p) => {
      const admin = { meta: { tenantId: 'r3', tier: 'enterprise', role: 'admin' } };
      const tenant = { meta: { tenantId: 'r3', tier: 'enterprise', role: 'tenant' } };
      const at = m1[N - 1].t + 30_000;
      await expect(p.broker.call('news.publish', { source: 'wire', title: 'ECB dovish', publishedAt: at }, tenant)).rejects.toMatchObject({ code: 403 });
      const r = await p.broker.call<{ duplicate: boolean }, object>('news.publish', { source: 'wire', title: 'Draghi signals ECB easing; euro slides', publishedAt: at }, admin);
      expect(r.duplicate).toBe(false);
      const again = await p.broker.call<{ duplicate: boolean }, object>('news.publish', { source: 'wire', title: 'Draghi signals ECB easing; euro slides', publishedAt: at }, admin);
      expect(again.duplicate).toBe(true);
      await p.broker.call('calendar.import', { format: 'csv', content: `time,currency,name,importance,actual,forecast,previous\n${new Date(at).toISOString()},EUR,ECB Main Refinancing Rate,high,0.25%,0.25%,0.25%` }, admin);
      const cal = await p.broker.call<{ items: unknown[] }, object>('calendar.list', { currency: 'EUR' });
      expect(cal.items).toHaveLength(1);

      // a model over two agents: it copies market-analysis' p into the output logits
      const pg = new PgDb({ connectionString: db.url });
      const w = new Array(10 * 3).fill(0);
      w[5 * 3 + 0] = 4; // market-analysis is slot 1: its p.buy → buy logit
      w[5 * 3 + 4] = 4; // p.hold → hold
      w[5 * 3 + 8] = 4; // p.sell → sell
      await saveModel(pg, createRunner({ version: 3, agents: ['news-sentiment', 'market-analysis'], layers: [{ in: 10, out: 3, activation: 'softmax', w: Float64Array.from(w), b: new Float64Array(3) }] }).model, true);
      await pg.close();
      await p.broker.broadcast('consensus.model.updated', {});
      await waitFor(async () => ((await p.broker.call<{ model: { version: number } | null }, object>('consensus.agentsList', {}, tenant)).model?.version ?? 0) === 3);

      const d = await p.broker.call<Decision, object>('consensus.decide', { symbol: 'EURUSD', tf: 'M1' }, tenant);
      const news = d.opinions.find((o) => o.agent === 'news-sentiment')!;
      expect(news.signal).toBeLessThan(0);
      expect(news.rationale).toMatch(/Draghi signals ECB easing/);
      const fund = d.opinions.find((o) => o.agent === 'fundamental-analysis')!;
      expect(fund.rationale).toMatch(/ECB Main Refinancing Rate/);
      const neural = d.fusions.find((f) => f.method === 'neural')!;
      expect(neural.fallback).toBeUndefined();
      expect(neural.note).toMatch(/^model v3/);
      const ma = d.opinions.find((o) => o.agent === 'market-analysis')!;
      expect(Math.sign(neural.p.buy - neural.p.sell)).toBe(Math.sign(ma.p.buy - ma.p.sell));
    });
  }, 120_000);
});
