/**
 * FlowChain over the platform's real services (market-data, the agents,
 * consensus, risk, trading, users, api) on real PostgreSQL: ticks in as the
 * MT5 gateway sends them, decisions for a tenant watching EURUSD M1, HTTP
 * requests with the tenant's key.
 */
import type { Execution } from '../../../types/flowchain';
import { setConfig } from '../../../config';
import { getMigratedDb } from '../../../lib/storage/connect';
import { Platform, startPlatform } from '../../../runner';
import { ensureDemo } from '../../../services/users/demo';
import type { Bottleneck, ChainStats } from '../../../types/flowchain';
import { createTestDatabase, TestDatabase, testConfig } from '../../helpers/infra';
import { ADMIN, decisionStats, ingestMinutes, waitFor } from './fixtures';
import * as os from 'node:os';
import * as path from 'node:path';

describe('FlowChain on the real services', () => {
  let tdb: TestDatabase;
  let p: Platform;
  let tenantId: string;
  let apiKey: string;
  let port: number;

  beforeAll(async () => {
    tdb = await createTestDatabase('fcplat');
    const cfg = setConfig(testConfig({ DATABASE_URL: tdb.url, TICK_TRACE_RATE: '0.1', DATA_DIR: path.join(os.tmpdir(), `fcplat-${process.pid}`) }));
    p = await startPlatform(cfg);
    const demo = await ensureDemo(await getMigratedDb(cfg), cfg.dataDir);
    tenantId = demo.tenantId;
    apiKey = demo.apiKey;
    await p.broker.call('consensus.watchlistSeed', { tenantId, items: [{ symbol: 'EURUSD', tf: 'M1' }] });
    port = (await p.broker.call<{ port: number }, object>('api.address', {})).port;
    // 40 minutes of ticks, a batch per minute (each closes the previous M1 candle), as the gateway ingests them
    await ingestMinutes(p.broker, 40);
    await fetch(`http://127.0.0.1:${port}/api/v1/candles?symbol=EURUSD&tf=M1&limit=5`, { headers: { authorization: `Bearer ${apiKey}` } });
  }, 120_000);


  afterAll(async () => {
    await p?.stop();
    await tdb?.drop();
  });

  it('assembles each decision as one AI_Decision execution, none lost while consensus works through its queue', async () => {
    const s = await decisionStats(p.broker, 39, 60_000);
    // 40 batches close 39 M1 candles: 39 decisions, every one assembled whole (no span arrived after its trace)
    const status = await p.broker.call<{ engine: { lateSpans: number } }, object>('flowchain.status', {}, ADMIN);
    expect(status.engine.lateSpans).toBe(0);
    expect(s.executions.sampled).toBe(39);
    const steps = Object.fromEntries(s.steps.map((x) => [x.step, x]));
    for (const id of ['candle', 'opine', 'fusion', 'risk']) expect(steps[id].count).toBe(s.executions.sampled);
    // Traded decisions reach the fill in the same trace (order.filled is emitted from within trading.submit's call).
    expect(steps.fusion.ops.map((o) => o.op).sort()).toEqual(['fusion', 'persist']);
    expect(steps.opine.ops.length).toBeGreaterThanOrEqual(5); // the enabled agents, each its own operation
    expect(steps.opine.ops.every((o) => /^agent\..+\.opine$/.test(o.op))).toBe(true);
    expect(s.steps.reduce((a, x) => a + x.criticalShare, 0)).toBeCloseTo(1, 2);
    const page = await p.broker.call<{ items: Omit<Execution, 'tree'>[] }, object>('flowchain.executions', { chain: 'AI_Decision', limit: 5 }, ADMIN);
    for (const e of page.items) {
      expect(e.tenantId).toBe(tenantId);
      expect(e.criticalPath.reduce((a, x) => a + x.ms, 0)).toBeCloseTo(e.durationMs, 2);
    }
    // the decision records its trace: FlowChain shows the decision's execution from it
    const dec = await p.broker.call<{ items: { traceId: string | null }[] }, object>('consensus.list', { symbol: 'EURUSD', limit: 1 }, { meta: { tenantId, role: 'tenant' } });
    const traceId = dec.items[0].traceId as string;
    // (the newest decision's trace settles a moment after it is made)
    const ex = await waitFor(() => p.broker.call<{ items: Execution[] }, object>('flowchain.execution', { traceId }, { meta: { tenantId, role: 'tenant' } }).catch(() => null), 5000, 'the decision’s execution');
    expect(ex.items.map((e) => e.chain)).toEqual(['AI_Decision']);
  }, 90_000);

  it('samples tick ingest, and serves the tenant its bottlenecks over REST', async () => {
    const mt5 = await p.broker.call<ChainStats, object>('flowchain.stats', { name: 'MT5_To_Database' }, ADMIN);
    expect(mt5.executions.sampled).toBe(4);
    expect(mt5.executions.estimatedTotal).toBe(40);
    // Each sampled ingest shows every step of the chain: receive, validate, aggregate, store.
    for (const step of ['receive', 'validate', 'aggregate', 'store']) expect(mt5.steps.find((s) => s.step === step)?.count).toBe(4);
    const res = await fetch(`http://127.0.0.1:${port}/api/v1/flowchain/bottlenecks?chain=AI_Decision`, { headers: { authorization: `Bearer ${apiKey}` } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { items: Bottleneck[] };
    const cp = body.items.find((b) => b.kind === 'critical-path');
    expect(cp).toMatchObject({ chain: 'AI_Decision', tenantId });
    const uw = await waitFor(
      async () => {
        const st = await p.broker.call<ChainStats, object>('flowchain.stats', { name: 'User_Workflow', tenantId }, ADMIN);
        return st.executions.sampled >= 1 ? st : null;
      },
      10_000,
      'the HTTP requests',
    );
    expect(uw.steps.find((x) => x.step === 'response')?.count).toBe(uw.executions.sampled);
    expect(uw.steps.find((x) => x.step === 'data')?.ops.map((o) => o.op)).toContain('market-data.candles');
  });
});
