import { ServiceBroker } from 'moleculer';
import { setConfig } from '../../config';
import { createAgentMixin } from '../../mixins/agent.mixin';
import { startPlatform, Platform } from '../../runner';
import type { Decision } from '../../types/agents';
import type { Tick } from '../../types/market';
import { eurusdTicks20140508, ticksToM1 } from '../helpers/bars';
import { createTestDatabase, TestDatabase, testConfig } from '../helpers/infra';
import { sleep, waitFor } from '../helpers/wait';
import { Pool } from 'pg';
import type { Agent, OpinionDraft } from '../../lib/agents/agent';
import { toProbabilities } from '../../lib/agents/opinion';
import type { OpinionQuery } from '../../types/agents';

const ticks = eurusdTicks20140508();
const m1 = ticksToM1(ticks);
const EIGHT = ['execution-timing', 'fundamental-analysis', 'market-analysis', 'news-sentiment', 'portfolio-optimization', 'risk-assessment', 'strategy-formulation', 'technical-indicator'];

/** Replay minutes [from, to) of the day: the minute's ticks, then its candle. */
async function replay(broker: ServiceBroker, from: number, to: number): Promise<void> {
  let k = ticks.findIndex((t) => t.time_msc >= m1[from].t);
  for (let i = from; i < to; i++) {
    const end = m1[i].t + 60_000;
    const batch: Tick[] = [];
    while (k < ticks.length && ticks[k].time_msc < end) batch.push(ticks[k++]);
    await broker.emit('ticks.received', batch);
    await broker.emit('candle.closed', m1[i]);
  }
}

/** A research agent that follows the last bar, for a controlled veto-free check. */
class FailingAgent implements Agent {
  readonly id = 'always-fails';
  readonly group = 'research' as const;
  readonly scope = 'market' as const;
  readonly events = [] as const;
  update(): void {}
  opine(_q: OpinionQuery): OpinionDraft {
    throw new Error('model file missing');
  }
}

async function seedTenants(url: string, ids: string[], tier = 'pro'): Promise<void> {
  const pool = new Pool({ connectionString: url });
  for (const id of ids) await pool.query("INSERT INTO tenants (id, name, tier) VALUES ($1, $1, $2) ON CONFLICT DO NOTHING", [id, tier]);
  await pool.end();
}

describe('consensus on real PostgreSQL with the eight agents', () => {
  let db: TestDatabase;
  let p: Platform;
  const made: Decision[] = [];
  const meta = (tenantId: string) => ({ meta: { tenantId, tier: 'pro', role: 'tenant' } });

  beforeAll(async () => {
    db = await createTestDatabase('cons');
    const cfg = setConfig(testConfig({ DATABASE_URL: db.url, SERVICES: 'consensus,news,calendar,agents/research,agents/decision', CONSENSUS_DEADLINE_MS: '250' }));
    p = await startPlatform(cfg, { logger: false });
    p.broker.createService({ name: 'decisions-probe', events: { 'decision.made'(ctx: { params: Decision }) { made.push(ctx.params); } } });
    await seedTenants(db.url, ['ta', 'tb']);
    await p.broker.call('consensus.watchlistPut', { items: [{ symbol: 'EURUSD', tf: 'M1' }] }, meta('ta'));
  }, 60_000);

  afterAll(async () => {
    await p?.stop();
    await db?.drop();
  });

  it('runs the eight agents', async () => {
    const r = await p.broker.call<{ items: { id: string; status: unknown }[] }, object>('consensus.agentsList', {}, meta('ta'));
    const ids = r.items.map((a) => a.id);
    for (const id of EIGHT) expect(ids).toContain(id);
    expect(r.items.every((a) => a.status !== null)).toBe(true);
  });

  it('decides on every closed candle for the tenants watching it, with every opinion, persisted and emitted', async () => {
    await replay(p.broker, 0, 120);
    await waitFor(() => made.filter((d) => d.tenantId === 'ta').length >= 120, 30_000);
    const mine = made.filter((d) => d.tenantId === 'ta');
    expect(mine).toHaveLength(120);
    expect(made.filter((d) => d.tenantId === 'tb')).toHaveLength(0);
    const last = mine[mine.length - 1];
    expect(last.opinions.map((o) => o.agent).sort()).toEqual(EIGHT);
    expect(last.abstained).toEqual([]);
    expect(last.fusions.map((f) => f.method)).toEqual(['weighted', 'bayesian', 'neural']);
    expect(last.fusions[2].fallback).toBe('bayesian');
    expect(last.asOf).toBe(m1[119].t + 60_000);
    // one series is decided and announced in candle order
    expect(mine.map((d) => d.asOf)).toEqual(m1.slice(0, 120).map((c) => c.t + 60_000));
    for (const o of last.opinions) expect(o.rationale.length).toBeGreaterThan(10);
    const listed = await p.broker.call<{ items: { id: string; opinionCount: number }[]; nextCursor: string | null }, object>('consensus.list', { symbol: 'EURUSD', limit: 50 }, meta('ta'));
    expect(listed.items).toHaveLength(50);
    expect(listed.items[0].id).toBe(last.id);
    expect(listed.items[0].opinionCount).toBe(last.opinions.length);
    const page2 = await p.broker.call<{ items: { id: string }[]; nextCursor: string | null }, object>('consensus.list', { symbol: 'EURUSD', limit: 50, cursor: listed.nextCursor }, meta('ta'));
    const page3 = await p.broker.call<{ items: { id: string }[]; nextCursor: string | null }, object>('consensus.list', { symbol: 'EURUSD', limit: 50, cursor: page2.nextCursor }, meta('ta'));
    expect(page3.items).toHaveLength(20);
    expect(page3.nextCursor).toBeNull();
    expect(new Set([...listed.items, ...page2.items, ...page3.items].map((d) => d.id)).size).toBe(120);
    const full = await p.broker.call<Decision, object>('consensus.get', { id: last.id }, meta('ta'));
    expect(full.opinions).toEqual(last.opinions);
    expect(full.fusions).toEqual(last.fusions);
  }, 60_000);

  it('keeps tenants apart: another tenant’s decision is a 404 and their lists are empty', async () => {
    const id = made.find((d) => d.tenantId === 'ta')!.id;
    await expect(p.broker.call('consensus.get', { id }, meta('tb'))).rejects.toMatchObject({ code: 404 });
    const r = await p.broker.call<{ items: unknown[] }, object>('consensus.list', {}, meta('tb'));
    expect(r.items).toEqual([]);
  });

  it('decides now on request and answers 404 with the known symbols or timeframes', async () => {
    const d = await p.broker.call<Decision, object>('consensus.decide', { symbol: 'EURUSD', tf: 'M1' }, meta('tb'));
    expect(d.tenantId).toBe('tb');
    expect(d.opinions).toHaveLength(8);
    await expect(p.broker.call('consensus.decide', { symbol: 'BTCXYZ', tf: 'M1' }, meta('tb'))).rejects.toMatchObject({ code: 404, data: { known: ['EURUSD'] } });
    await expect(p.broker.call('consensus.decide', { symbol: 'EURUSD', tf: 'M2' }, meta('tb'))).rejects.toMatchObject({ code: 404, data: { known: ['M1', 'M5', 'M15', 'H1', 'D1'] } });
    await expect(p.broker.call('consensus.decide', { symbol: 'EURUSD', tf: 'M1' })).rejects.toMatchObject({ code: 401 });
  });

  it('configures agents per tenant: weights ≥ 0, unknown agent 404, market-scoped params refused', async () => {
    await expect(p.broker.call('consensus.configureAgent', { id: 'market-analysis', weight: -1 }, meta('ta'))).rejects.toMatchObject({ code: 422 });
    await expect(p.broker.call('consensus.configureAgent', { id: 'nobody', weight: 1 }, meta('ta'))).rejects.toMatchObject({ code: 404, data: { known: expect.arrayContaining(['market-analysis']) } });
    await expect(p.broker.call('consensus.configureAgent', { id: 'market-analysis', params: { window: 30 } }, meta('ta'))).rejects.toMatchObject({ code: 422, type: 'MARKET_SCOPED' });
    await p.broker.call('consensus.configureAgent', { id: 'market-analysis', weight: 2.5 }, meta('ta'));
    const r = await p.broker.call<{ items: { id: string; weight: number }[] }, object>('consensus.agentsList', {}, meta('ta'));
    expect(r.items.find((a) => a.id === 'market-analysis')!.weight).toBe(2.5);
    const other = await p.broker.call<{ items: { id: string; weight: number }[] }, object>('consensus.agentsList', {}, meta('tb'));
    expect(other.items.find((a) => a.id === 'market-analysis')!.weight).toBe(1);
    await expect(p.broker.call('consensus.configureAgent', { id: 'market-analysis', weight: 1 }, { meta: { tenantId: 'tb', tier: 'free', role: 'tenant' } })).rejects.toMatchObject({ code: 403, type: 'TIER_LIMIT' });
  });

  it('a tenant-scoped veto makes the decision hold with the reason, for that tenant only', async () => {
    await p.broker.call('consensus.configureAgent', { id: 'risk-assessment', params: { maxVarPct: 0.0001 } }, meta('tb'));
    const vetoed = await p.broker.call<Decision, object>('consensus.decide', { symbol: 'EURUSD', tf: 'M1' }, meta('tb'));
    expect(vetoed.action).toBe('hold');
    expect(vetoed.vetoes[0]).toMatchObject({ agent: 'risk-assessment', reason: expect.stringMatching(/VaR 99% over 20 bars is .* above the 0.01% limit/) });
    expect(vetoed.fusions.every((f) => f.action === 'hold' && /vetoed by risk-assessment/.test(f.note ?? ''))).toBe(true);
    const free = await p.broker.call<Decision, object>('consensus.decide', { symbol: 'EURUSD', tf: 'M1' }, meta('ta'));
    expect(free.vetoes).toEqual([]);
  });

  it('records a failing and a deliberately slow agent as abstained and still decides within the deadline', async () => {
    p.broker.createService({ name: 'agent.always-fails', mixins: [createAgentMixin(() => new FailingAgent(), { warmupBars: 0 })] });
    p.broker.createService({
      name: 'agent.slow',
      metadata: { agent: { id: 'slow', group: 'research', scope: 'market', events: [] } },
      actions: {
        opine: {
          params: { symbol: 'string', tf: 'string', asOf: { type: 'number', optional: true }, candle: { type: 'object', optional: true } },
          async handler(ctx: { params: { symbol: string; tf: 'M1'; asOf?: number } }) {
            await sleep(2000);
            return { agent: 'slow', group: 'research', symbol: ctx.params.symbol, tf: ctx.params.tf, signal: 0, p: toProbabilities(0, 0), confidence: 0, rationale: 'late', asOf: ctx.params.asOf ?? 0, latencyMs: 2000 };
          },
        },
        status: { params: {}, handler: () => ({}) },
      },
    });
    await waitFor(() => p.broker.registry.getServiceList({ onlyAvailable: true }).some((s) => s.name === 'agent.slow'));
    await sleep(50);
    const t0 = Date.now();
    const d = await p.broker.call<Decision, object>('consensus.decide', { symbol: 'EURUSD', tf: 'M1' }, meta('ta'));
    const wall = Date.now() - t0;
    expect(d.abstained).toEqual(expect.arrayContaining([{ agent: 'slow', reason: 'no answer within 250 ms' }, { agent: 'always-fails', reason: expect.stringMatching(/AGENT_FAILED: .*model file missing/) }]));
    expect(d.opinions).toHaveLength(8);
    expect(d.latencyMs).toBeLessThan(250 + 60);
    expect(wall).toBeLessThan(250 + 150);
  });
});
