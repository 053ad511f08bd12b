/**
 * FlowChain on a real broker (tracing, sampling middleware and the FlowChain
 * exporter as configured in moleculer.config.ts) and real PostgreSQL, fed by
 * stand-in services that carry the platform's names.
 */
import type { ServiceBroker } from 'moleculer';
import { setConfig } from '../../../config';
import FlowChainService from '../../../flowchain/flowchain.service';
import { flowchainReplCommand } from '../../../flowchain/repl';
import { applyRetention, saveExecutions } from '../../../flowchain/store';
import { closeDb, getMigratedDb } from '../../../lib/storage/connect';
import type { Db } from '../../../lib/storage/db';
import { createBroker } from '../../../runner';
import type { Bottleneck, ChainStats, Execution, ExecutionSpan, FlowChainUpdated } from '../../../types/flowchain';
import { createTestDatabase, TestDatabase, testConfig } from '../../helpers/infra';
import { ADMIN, asTenant, createFixtures, FixtureKnobs, updatesRecorder, waitFor } from './fixtures';

type Page = { items: Omit<Execution, 'tree'>[]; nextCursor: string | null };

const FAST = {
  settleMs: 300,
  tickMs: 50,
  persistMs: 200,
  updateMs: 1000,
  bucketMs: 1000,
  defaultWindowMs: 60_000,
  recentMs: 3000,
  baselineMs: 30_000,
  minRecent: 3,
  minBaseline: 5,
};

function spansOf(t: ExecutionSpan, out: ExecutionSpan[] = []): ExecutionSpan[] {
  out.push(t);
  for (const c of t.children) spansOf(c, out);
  return out;
}

describe('flowchain service on a real broker and PostgreSQL', () => {
  let tdb: TestDatabase;
  let broker: ServiceBroker;
  let db: Db;
  const updates: { at: number; u: FlowChainUpdated }[] = [];
  const knobs: FixtureKnobs = { tenants: ['alpha', 'beta'], slowAgentMs: 30, agentMs: 1, rejectTenants: new Set(['beta']) };

  async function candles(n: number): Promise<void> {
    for (let i = 0; i < n; i++) await broker.call('market-data.ingest', { symbol: 'EURUSD', bid: 1.1 + i / 1e4, close: true });
  }

  async function executions(query: Record<string, unknown>, opts: object = ADMIN): Promise<Page> {
    return broker.call<Page, Record<string, unknown>>('flowchain.executions', query, opts);
  }

  beforeAll(async () => {
    tdb = await createTestDatabase('flowchain');
    const cfg = setConfig(testConfig({ DATABASE_URL: tdb.url, TICK_TRACE_RATE: '0.1' }));
    broker = createBroker(cfg, { nodeID: 'fc-single' });
    createFixtures(broker, knobs, ['market-data', 'agents', 'consensus', 'risk', 'trading']);
    broker.createService({ ...FlowChainService, settings: { ...FlowChainService.settings, flowchain: FAST } } as never);
    broker.createService(updatesRecorder(updates));
    await broker.start();
    db = await getMigratedDb(cfg);
    await db.query(`INSERT INTO tenants (id, name) VALUES ('alpha', 'Alpha'), ('beta', 'Beta'), ('ops', 'Operators')`);
    // 6 closed candles → 12 decisions (alpha and beta each), plus 6 sampled-or-not ticks
    await candles(6);
    await waitFor(async () => (await executions({ chain: 'AI_Decision' })).items.length >= 12, 15_000, '12 decisions');
  });

  afterAll(async () => {
    await broker?.stop();
    await closeDb();
    await tdb?.drop();
  });

  it('names the deliberately slowed agent as the AI_Decision bottleneck, with its measured share', async () => {
    const res = await broker.call<{ items: Bottleneck[] }, object>('flowchain.bottlenecks', { chain: 'AI_Decision', tenantId: 'alpha' }, ADMIN);
    const cp = res.items.find((b) => b.kind === 'critical-path');
    if (!cp || cp.kind !== 'critical-path') throw new Error('no critical-path bottleneck');
    expect(cp).toMatchObject({ chain: 'AI_Decision', tenantId: 'alpha', step: 'opine', op: 'agent-slow.opine' });
    // the share it reports is the one measured in the executions themselves
    const page = await executions({ chain: 'AI_Decision', tenantId: 'alpha' });
    const total = page.items.reduce((a, e) => a + e.durationMs, 0);
    const slow = page.items.reduce((a, e) => a + (e.steps.find((s) => s.step === 'opine')?.ops.find((o) => o.op === 'agent-slow.opine')?.criticalMs ?? 0), 0);
    expect(cp.opShare).toBeCloseTo(slow / total, 3);
    expect(cp.share).toBeGreaterThan(0.6);
    expect(cp.evidence.opP99).toBeGreaterThanOrEqual(29);
    expect(cp.evidence.executions).toBe(page.items.length);
  });

  it('marks a failing risk check as an execution failed at risk.evaluate, with the error', async () => {
    const failed = await executions({ chain: 'AI_Decision', status: 'error' });
    expect(failed.items.length).toBe(6);
    for (const e of failed.items) {
      expect(e).toMatchObject({ tenantId: 'beta', status: 'error', failingStep: 'risk', failingOp: 'risk.evaluate' });
      expect(e.error).toMatchObject({ type: 'RISK_LIMIT', message: 'exposure limit reached', code: 422 });
      expect(e.missing).toEqual(['submit', 'fill']);
    }
    const ok = await executions({ chain: 'AI_Decision', status: 'ok' });
    expect(ok.items.every((e) => e.tenantId === 'alpha' && e.missing.length === 0)).toBe(true);
    const stats = await broker.call<ChainStats, object>('flowchain.stats', { name: 'AI_Decision', window: '5m' }, asTenant('beta'));
    expect(stats.steps.find((s) => s.step === 'risk')).toMatchObject({ count: 6, errors: 6, errorRate: 1 });
    expect(stats.executions).toMatchObject({ sampled: 6, errors: 6, errorRate: 1 });
  });

  it('never mixes two tenants\u2019 executions, trees or statistics', async () => {
    const alpha = await executions({ chain: 'AI_Decision' }, asTenant('alpha'));
    expect(alpha.items.length).toBe(6);
    expect(alpha.items.every((e) => e.tenantId === 'alpha')).toBe(true);
    // the same candle trace holds both tenants' decisions; each sees only its own
    const traceId = alpha.items[0].traceId;
    const mine = await broker.call<{ items: Execution[] }, object>('flowchain.execution', { traceId }, asTenant('alpha'));
    const theirs = await broker.call<{ items: Execution[] }, object>('flowchain.execution', { traceId }, asTenant('beta'));
    expect(mine.items.map((e) => e.tenantId)).toEqual(['alpha']);
    expect(theirs.items.map((e) => e.tenantId)).toEqual(['beta']);
    for (const s of spansOf(mine.items[0].tree)) expect(s.tenantId === null || s.tenantId === 'alpha').toBe(true);
    for (const s of spansOf(theirs.items[0].tree)) expect(s.tenantId === null || s.tenantId === 'beta').toBe(true);
    expect(spansOf(mine.items[0].tree).some((s) => s.op === 'trading.submit')).toBe(true);
    expect(spansOf(theirs.items[0].tree).some((s) => s.op === 'trading.submit')).toBe(false);
    const ops = await broker.call<{ items: Execution[] }, object>('flowchain.execution', { traceId }, ADMIN);
    expect(ops.items.map((e) => e.tenantId).sort()).toEqual(['alpha', 'beta']);
    const a = await broker.call<ChainStats, object>('flowchain.stats', { name: 'AI_Decision' }, asTenant('alpha'));
    expect(a).toMatchObject({ scope: 'tenant', tenantId: 'alpha', executions: { sampled: 6, errors: 0 } });
    const all = await broker.call<ChainStats, object>('flowchain.stats', { name: 'AI_Decision' }, ADMIN);
    expect(all).toMatchObject({ scope: 'all', executions: { sampled: 12, errors: 6 } });
    await expect(broker.call('flowchain.stats', { name: 'AI_Decision', tenantId: 'beta' }, asTenant('alpha'))).rejects.toMatchObject({ code: 403 });
    await expect(broker.call('flowchain.executions', {}, { meta: {} })).rejects.toMatchObject({ code: 401 });
    // persisted copies keep the split too
    const stored = await db.query<{ tenant_id: string; tree: ExecutionSpan }>(`SELECT tenant_id, tree FROM flowchain_executions WHERE trace_id = $1`, [traceId]);
    expect(stored.map((r) => r.tenant_id).sort()).toEqual(['alpha', 'beta']);
    for (const r of stored) for (const s of spansOf(r.tree)) expect(s.tenantId === null || s.tenantId === r.tenant_id).toBe(true);
  });

  it('samples ticks at TICK_TRACE_RATE, still traces every decision, and shows the sampling in the statistics', async () => {
    const before = await broker.call<ChainStats, object>('flowchain.stats', { name: 'MT5_To_Database' }, ADMIN);
    const decBefore = (await broker.call<ChainStats, object>('flowchain.stats', { name: 'AI_Decision' }, ADMIN)).executions.sampled;
    // 200 more ticks, every 20th closes a candle: 10 candles → 20 decisions
    for (let i = 0; i < 200; i++) await broker.call('market-data.ingest', { symbol: 'EURUSD', bid: 1.1, close: i % 20 === 19 });
    const after = await waitFor(
      async () => {
        const s = await broker.call<ChainStats, object>('flowchain.stats', { name: 'MT5_To_Database' }, ADMIN);
        const d = await broker.call<ChainStats, object>('flowchain.stats', { name: 'AI_Decision' }, ADMIN);
        return s.executions.sampled - before.executions.sampled === 20 && d.executions.sampled - decBefore === 20 ? s : null;
      },
      15_000,
      'sampled ticks and all decisions',
    );
    expect(after.executions.sampledFraction).toBeCloseTo(0.1, 6);
    expect(after.executions.estimatedTotal).toBeCloseTo(after.executions.sampled * 10, 6);
    expect(after.steps.map((s) => [s.step, s.count > 0])).toEqual([
      ['receive', true],
      ['validate', true],
      ['aggregate', true],
      ['store', true],
    ]);
    expect(after.steps.find((s) => s.step === 'store')?.p50).toBeGreaterThanOrEqual(1.5);
  });

  it('emits flowchain.updated at most once a second per chain and view', async () => {
    await waitFor(() => updates.length > 0, 5000, 'an update');
    const byKey = new Map<string, number[]>();
    for (const { u } of updates) {
      const k = `${u.chain}|${u.tenantId}`;
      byKey.set(k, [...(byKey.get(k) ?? []), u.stats.window.to]);
    }
    expect([...byKey.keys()]).toEqual(expect.arrayContaining(['AI_Decision|null', 'AI_Decision|alpha', 'AI_Decision|beta']));
    // `stats.window.to` is the clock of the emission: at least a second apart per chain and view
    for (const ats of byKey.values()) for (let i = 1; i < ats.length; i++) expect(ats[i] - ats[i - 1]).toBeGreaterThanOrEqual(1000);
    const alpha = updates.find((x) => x.u.tenantId === 'alpha')?.u;
    expect(alpha?.stats).toMatchObject({ chain: alpha?.chain, scope: 'tenant', tenantId: 'alpha' });
  });

  it('lists stored executions with filters and cursor pages, and rejects bad windows', async () => {
    const p1 = await executions({ chain: 'AI_Decision', limit: 5 });
    expect(p1.items).toHaveLength(5);
    expect(p1.nextCursor).not.toBeNull();
    const p2 = await executions({ chain: 'AI_Decision', limit: 5, cursor: p1.nextCursor });
    expect(p2.items).toHaveLength(5);
    expect(new Set([...p1.items, ...p2.items].map((e) => e.id)).size).toBe(10);
    expect(p1.items[4].start).toBeGreaterThanOrEqual(p2.items[0].start);
    const future = await executions({ from: Date.now() + 60_000 });
    expect(future.items).toEqual([]);
    await expect(broker.call('flowchain.stats', { name: 'AI_Decision', window: 'soon' }, ADMIN)).rejects.toMatchObject({ code: 422, type: 'BAD_WINDOW' });
    await expect(broker.call('flowchain.stats', { name: 'Nope' }, ADMIN)).rejects.toMatchObject({ code: 404 });
    await expect(broker.call('flowchain.execution', { traceId: 'no-such-trace' }, ADMIN)).rejects.toMatchObject({ code: 404 });
  });

  it('lists the three built-in chains with live statistics, and takes run-time definitions from operators only', async () => {
    const list = await broker.call<{ items: (ChainStats & { name: string; builtIn: boolean; stats: ChainStats })[] }, object>('flowchain.chains', {}, ADMIN);
    expect(list.items.map((c) => c.name)).toEqual(['MT5_To_Database', 'AI_Decision', 'User_Workflow']);
    expect(list.items.find((c) => c.name === 'AI_Decision')?.stats.executions.sampled).toBeGreaterThanOrEqual(12);
    const def = { name: 'Orders', description: 'risk to fill', steps: [{ id: 'risk', label: 'Risk', match: [{ action: 'risk.evaluate' }] }, { id: 'submit', label: 'Submit', match: [{ action: 'trading.submit' }] }] };
    await expect(broker.call('flowchain.define', def, asTenant('alpha'))).rejects.toMatchObject({ code: 403 });
    await expect(broker.call('flowchain.define', { ...def, steps: [{ id: 'X', match: [] }] }, ADMIN)).rejects.toMatchObject({ code: 422 });
    await broker.call('flowchain.define', def, ADMIN);
    const rows = await db.query<{ name: string }>(`SELECT name FROM flowchain_chains`);
    expect(rows.map((r) => r.name)).toEqual(['Orders']);
    await candles(1);
    const got = await waitFor(
      async () => {
        const items = (await executions({ chain: 'Orders' })).items;
        return items.length >= 2 ? items : null;
      },
      10_000,
      'Orders executions',
    );
    // risk is the entry; alpha's order went through, beta's was rejected
    expect(got.map((e) => [e.tenantId, e.status]).sort()).toEqual([
      ['alpha', 'ok'],
      ['beta', 'error'],
    ]);
    await broker.call('flowchain.remove', { name: 'Orders' }, ADMIN);
    expect(await db.query(`SELECT name FROM flowchain_chains`)).toEqual([]);
  });

  it('prints a chain\u2019s step table from the REPL command', async () => {
    const lines: string[] = [];
    const log = jest.spyOn(console, 'log').mockImplementation((s: string) => void lines.push(s));
    try {
      await flowchainReplCommand.action(broker, { chain: 'AI_Decision', options: { window: '10m' } });
      await flowchainReplCommand.action(broker, { chain: 'AI_Decision', options: { tenant: 'beta' } });
    } finally {
      log.mockRestore();
    }
    expect(lines[0]).toMatch(/^AI_Decision — all tenants, last 10m: \d+ executions traced/);
    expect(lines[0]).toMatch(/\nopine +\d+ +0\.0 % .* agent-slow\.opine \(/);
    expect(lines[1]).toMatch(/^AI_Decision — tenant beta, last 1m: \d+ executions traced, 100\.0 % failed/);
    expect(lines[1]).toMatch(/\nrisk +\d+ +100\.0 %/);
    expect(flowchainReplCommand.command).toBe('flowchain <chain>');
  });

  it('deletes executions and statistics older than the retention', async () => {
    const [e] = (await broker.call<{ items: Execution[] }, object>('flowchain.execution', { traceId: (await executions({ limit: 1 })).items[0].traceId }, ADMIN)).items;
    const old = { ...e, id: 'old-' + e.id, start: Date.now() - 10 * 86_400_000 };
    expect(await saveExecutions(db, [old])).toBe(1);
    expect(await saveExecutions(db, [old])).toBe(0); // idempotent
    expect(await saveExecutions(db, [{ ...old, id: 'ghost', tenantId: 'no-such-tenant' }])).toBe(0);
    const r = await applyRetention(db, 7);
    expect(r.executions).toBe(1);
    const left = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM flowchain_executions WHERE id LIKE 'old-%'`);
    expect(left[0].n).toBe(0);
    const stats = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM flowchain_step_stats`);
    expect(stats[0].n).toBeGreaterThan(0);
  });
});
