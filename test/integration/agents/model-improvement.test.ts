import { Pool } from 'pg';
import { setConfig } from '../../../config';
import { toProbabilities } from '../../../lib/agents/opinion';
import { Platform, startPlatform } from '../../../runner';
import type { Decision, Opinion } from '../../../types/agents';
import type { Candle } from '../../../types/market';
import { createTestDatabase, TestDatabase, testConfig } from '../../helpers/infra';
import { seeded } from '../../helpers/rng';
import { waitFor } from '../../helpers/wait';

const T0 = Date.UTC(2024, 0, 2, 8);
const M = 60_000;

/** A seeded M1 walk, and decisions on it from a reliable agent and a confident contrarian one. */
function history(n: number): { bars: Candle[]; decisions: Decision[] } {
  const r = seeded(21);
  let c = 1.1;
  const bars: Candle[] = Array.from({ length: n }, (_, i) => {
    const o = c;
    c = c * Math.exp((r() - 0.5) * 0.002);
    return { symbol: 'EURUSD', tf: 'M1', t: T0 + i * M, o, h: Math.max(o, c), l: Math.min(o, c), c, v: 1, n: 1 };
  });
  const decisions: Decision[] = [];
  for (let i = 110; i + 5 < n; i++) {
    const asOf = bars[i].t + M;
    const truth = Math.sign(Math.log(bars[i + 5].c / bars[i].c)) || 1;
    const good = (r() < 0.8 ? truth : -truth) * 0.8;
    const contra = (r() < 0.85 ? -truth : truth) * 0.9;
    const op = (agent: string, s: number, conf: number): Opinion => ({ agent, group: 'research', symbol: 'EURUSD', tf: 'M1', signal: s, p: toProbabilities(s, conf), confidence: conf, rationale: 'r', asOf, latencyMs: 0 });
    decisions.push({ id: `d${i}`, tenantId: 'tm', symbol: 'EURUSD', tf: 'M1', asOf, action: 'hold', p: toProbabilities(0, 0), confidence: 0, method: 'bayesian', fusions: [], opinions: [op('good', good, 0.7), op('contrarian', contra, 0.9)], abstained: [], vetoes: [], latencyMs: 0, traceId: null });
  }
  return { bars, decisions };
}

describe('model-improvement: walk-forward training on a worker thread, versions in PostgreSQL, promotion to consensus', () => {
  let db: TestDatabase;
  let p: Platform;
  const tenant = { meta: { tenantId: 'tm', tier: 'enterprise', role: 'tenant' } };

  beforeAll(async () => {
    db = await createTestDatabase('model');
    const cfg = setConfig(testConfig({ DATABASE_URL: db.url, SERVICES: 'consensus,agents/learning/model-improvement' }));
    p = await startPlatform(cfg, { logger: false });
    const pool = new Pool({ connectionString: db.url });
    await pool.query("INSERT INTO tenants (id, name, tier) VALUES ('tm', 'tm', 'enterprise')");
    await pool.end();
    await p.broker.call('agent.model-improvement.configure', { params: { minSamples: 200, folds: 2, epochs: 15, retrainEvery: 100_000 } });
    const { bars, decisions } = history(900);
    // as live: each bar closes, then its decision is announced
    let d = 0;
    for (const b of bars) {
      await p.broker.emit('candle.closed', b);
      while (d < decisions.length && decisions[d].asOf <= b.t + M) await p.broker.emit('decision.made', decisions[d++]);
    }
  }, 60_000);

  afterAll(async () => {
    await p?.stop();
    await db?.drop();
  });

  it('trains once enough decisions are labelled, reports progress, promotes a model that beats Bayesian fusion out of sample, and consensus loads it', async () => {
    const progress: { fold: number; epoch: number }[] = [];
    p.broker.createService({ name: 'progress-probe', events: { 'model.training.progress'(ctx: { params: { fold: number; epoch: number } }) { progress.push(ctx.params); } } });
    // the periodic check starts it by itself (minSamples 200 reached)
    const models = () => p.broker.call<{ items: { version: number; active: boolean; metrics: Record<string, number>; evaluation: { reason: string; promote: boolean; folds: unknown[] } }[]; samples: number }, object>('agent.model-improvement.models', {});
    await waitFor(async () => (await models()).items.length === 1, 90_000, 200);
    const m = await models();
    expect(m.samples).toBeGreaterThan(700);
    const v1 = m.items[0];
    expect(v1).toMatchObject({ version: 1, active: true, evaluation: { promote: true, folds: [expect.anything(), expect.anything()] } });
    expect(v1.evaluation.reason).toMatch(/beats Bayesian fusion \(no model yet\)'s/);
    expect(v1.metrics.oosLogLoss).toBeLessThan(v1.metrics.incumbentLogLoss);
    expect(progress.length).toBeGreaterThan(0);
    await waitFor(async () => (await p.broker.call<{ model: { version: number } | null }, object>('consensus.agentsList', {}, tenant)).model?.version === 1, 5000);
    const o = await p.broker.call<Opinion, object>('agent.model-improvement.opine', { symbol: 'EURUSD', tf: 'M1' });
    expect(o).toMatchObject({ signal: 0, confidence: 0, advisory: [expect.objectContaining({ code: 'model_promoted' })] });
    expect(o.rationale).toMatch(/^neural ensemble v1 decides for tenants who chose it \(over 2 agents, out-of-sample log loss [\d.]+\)/);
  }, 120_000);

  it('keeps a retrained model that is no better out, stored with the reason', async () => {
    const r = await p.broker.call<{ version: number; promoted: boolean; report: { reason: string } }, object>('agent.model-improvement.train', {}, { timeout: 120_000 });
    expect(r.version).toBe(2);
    expect(r.promoted).toBe(false);
    expect(r.report.reason).toMatch(/model v1/);
    const pool = new Pool({ connectionString: db.url });
    const rows = (await pool.query('SELECT version, active, promoted_at IS NOT NULL AS promoted FROM ensemble_models ORDER BY version')).rows;
    await pool.end();
    expect(rows).toEqual([{ version: 1, active: true, promoted: true }, { version: 2, active: false, promoted: false }]);
  }, 120_000);
});
