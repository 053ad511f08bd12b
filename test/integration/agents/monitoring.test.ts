import { ServiceBroker } from 'moleculer';
import { setConfig } from '../../../config';
import { getMigratedDb } from '../../../lib/storage/connect';
import type { Db } from '../../../lib/storage/db';
import { Platform, startPlatform } from '../../../runner';
import { createApiKey, createTenant } from '../../../services/users/tenants';
import type { Decision } from '../../../types/agents';
import type { Tick } from '../../../types/market';
import { eurusdTicks20140508, ticksToM1 } from '../../helpers/bars';
import { http } from '../../helpers/http';
import { createTestDatabase, TestDatabase, testConfig } from '../../helpers/infra';
import { sleep, waitFor } from '../../helpers/wait';

const ticks = eurusdTicks20140508();
const m1 = ticksToM1(ticks);

/** Minutes [from, to) of the day: their ticks, then their candle. */
async function replay(broker: ServiceBroker, from: number, to: number): Promise<void> {
  let k = ticks.findIndex((t) => t.time_msc >= m1[from].t);
  for (let i = from; i < to; i++) {
    const end = m1[i].t + 60_000;
    const batch: Tick[] = [];
    while (k < ticks.length && ticks[k].time_msc < end) batch.push(ticks[k++]);
    await broker.emit('ticks.received', { symbol: 'EURUSD', ticks: batch });
    await broker.emit('candle.closed', m1[i]);
  }
}

describe('monitoring agents in the decision record over REST and real PostgreSQL', () => {
  let tdb: TestDatabase;
  let p: Platform;
  let db: Db;
  let base: string;
  let a: { id: string; key: string };
  let b: { id: string; key: string };

  beforeAll(async () => {
    tdb = await createTestDatabase('monit');
    const cfg = setConfig(testConfig({ DATABASE_URL: tdb.url, SERVICES: 'api,users,consensus,agents/research/market-analysis,agents/monitoring', CONSENSUS_DEADLINE_MS: '500' }));
    p = await startPlatform(cfg, { logger: false });
    base = `http://127.0.0.1:${(await p.broker.call<{ port: number }, object>('api.address', {})).port}`;
    db = await getMigratedDb(cfg);
    const ta = await createTenant(db, 'Alpha', 'pro');
    const tb = await createTenant(db, 'Beta', 'pro');
    a = { id: ta.id, key: (await createApiKey(db, ta.id)).key };
    b = { id: tb.id, key: (await createApiKey(db, tb.id)).key };
    await replay(p.broker, 0, 90);
    await p.broker.call('agent.system-health.sample', {});
    await sleep(150); // REST alias regeneration
  }, 60_000);

  afterAll(async () => {
    await p?.stop();
    await tdb?.drop();
  });

  const decide = async (key: string) => {
    const r = await http<Decision>(base, 'POST', '/api/v1/decisions', { key, body: { symbol: 'EURUSD', tf: 'M1' } });
    expect(r.status).toBe(200);
    return r.body;
  };

  it('a healthy system with fresh data and no rules: both monitors speak without a market view and do not veto', async () => {
    const d = await decide(a.key);
    const agents = d.opinions.map((o) => o.agent).sort();
    expect(agents).toEqual(['business-intelligence', 'compliance', 'market-analysis', 'system-health', 'user-experience']);
    for (const o of d.opinions.filter((x) => x.group === 'monitoring')) expect(o).toMatchObject({ signal: 0, confidence: 0, advisory: expect.any(Array) });
    expect(d.vetoes).toEqual([]);
    const h = await http(base, 'GET', '/api/v1/system/health?symbol=EURUSD', { key: a.key });
    expect(h.status).toBe(200);
    expect(h.body.status).not.toBe('halted');
    expect(h.body.checks.map((c: { name: string }) => c.name)).toEqual(expect.arrayContaining(['stale_data', 'event_loop', 'database']));
  });

  it('a tripped compliance rule vetoes that tenant’s decisions with the rule’s name, audited; an override lifts it, audited too', async () => {
    const bad = await http(base, 'PUT', '/api/v1/compliance/rules', { key: a.key, body: { maxLeverage: -1 } });
    expect(bad.status).toBe(422);
    expect(bad.body.error.code).toBe('BAD_RULES');
    const put = await http(base, 'PUT', '/api/v1/compliance/rules', { key: a.key, body: { restrictedSymbols: ['EURUSD'] } });
    expect(put.status).toBe(200);
    const d = await decide(a.key);
    expect(d.action).toBe('hold');
    expect(d.vetoes).toEqual([{ agent: 'compliance', reason: "compliance rule restricted_symbols: EURUSD is on the tenant's restricted list" }]);
    expect(d.fusions.every((f) => /vetoed by compliance: compliance rule restricted_symbols/.test(f.note ?? ''))).toBe(true);
    expect(d.advisories).toEqual(expect.arrayContaining([{ agent: 'compliance', code: 'restricted_symbols', level: 'critical', message: "EURUSD is on the tenant's restricted list" }]));
    // the other tenant's rules are its own
    expect((await decide(b.key)).vetoes).toEqual([]);
    const audit = async (action: string) => db.query<{ tenant_id: string; actor: string; data: Record<string, unknown> }>('SELECT tenant_id, actor, data FROM audit_log WHERE action = $1 ORDER BY id', [action]);
    expect(await audit('compliance.rules_changed')).toEqual([expect.objectContaining({ tenant_id: a.id, data: expect.objectContaining({ after: expect.objectContaining({ restrictedSymbols: ['EURUSD'] }) }) })]);
    await waitFor(async () => (await audit('compliance.veto')).length === 1);
    expect((await audit('compliance.veto'))[0]).toMatchObject({ tenant_id: a.id, actor: 'agent.compliance', data: { decisionId: d.id, symbol: 'EURUSD', reason: expect.stringMatching(/^compliance rule restricted_symbols/) } });

    const ov = await http(base, 'POST', '/api/v1/compliance/overrides', { key: a.key, body: { rule: 'restricted_symbols', symbol: 'EURUSD', minutes: 5, reason: 'hedge the ECB exposure' } });
    expect(ov.status).toBe(200);
    const d2 = await decide(a.key);
    expect(d2.vetoes).toEqual([]);
    expect(d2.advisories).toEqual([expect.objectContaining({ agent: 'compliance', code: 'override_applied', level: 'warn' })]);
    expect(await audit('compliance.override')).toEqual([expect.objectContaining({ tenant_id: a.id, data: expect.objectContaining({ id: ov.body.id, rule: 'restricted_symbols', reason: 'hedge the ECB exposure' }) })]);
    await waitFor(async () => (await audit('compliance.override_applied')).length === 1);
    const del = await http(base, 'DELETE', `/api/v1/compliance/overrides/${ov.body.id}`, { key: a.key });
    expect(del.status).toBe(200);
    expect((await decide(a.key)).vetoes).toHaveLength(1);
    expect(await audit('compliance.override_revoked')).toHaveLength(1);
    // a tenant cannot revoke another's override
    expect((await http(base, 'DELETE', `/api/v1/compliance/overrides/${ov.body.id}`, { key: b.key })).status).toBe(404);
  });

  it('user-experience and business-intelligence see each tenant’s own requests and decisions (real spans through the api)', async () => {
    await waitFor(async () => (await http(base, 'GET', '/api/v1/experience', { key: a.key })).body.requests >= 5, 5000, 100);
    const ux = await http(base, 'GET', '/api/v1/experience', { key: a.key });
    expect(ux.body).toMatchObject({ tenantId: a.id, serverErrorRate: 0, clientErrorRate: expect.any(Number) });
    expect(ux.body.p95Ms).toBeGreaterThan(0);
    expect((await http(base, 'GET', `/api/v1/experience?tenantId=${b.id}`, { key: a.key })).status).toBe(403);
    const usage = await http(base, 'GET', '/api/v1/business/usage', { key: a.key });
    expect(usage.body).toMatchObject({ tenantId: a.id, tier: 'pro', ordersAllowed: 2000, symbols: ['EURUSD'] });
    expect(usage.body.decisions).toBeGreaterThanOrEqual(4);
    expect(usage.body.requests).toBeGreaterThanOrEqual(5);
    expect((await http(base, 'GET', '/api/v1/business/metrics', { key: a.key })).status).toBe(403);
    const d = await decide(a.key);
    const bi = d.opinions.find((o) => o.agent === 'business-intelligence')!;
    expect(bi.rationale).toMatch(/^Plan Pro, \d{4}-\d\d-\d\d: \d+ decisions, 0 of 2000 orders, 1 of 20 symbols/);
  });

  it('stale data vetoes every tenant’s decisions with the reason, until ticks flow again', async () => {
    await p.broker.call('agent.system-health.configure', { params: { staleAfterMs: 1000 } });
    await sleep(1300);
    await p.broker.call('agent.system-health.sample', {});
    const d = await decide(b.key);
    expect(d.action).toBe('hold');
    expect(d.vetoes).toEqual([{ agent: 'system-health', reason: expect.stringMatching(/^stale_data: no EURUSD tick for [\d.]+ s \(limit 1 s\)$/) }]);
    const h = await http(base, 'GET', '/api/v1/system/health', { key: b.key });
    expect(h.body.status).toBe('halted');
    await replay(p.broker, 90, 92);
    await p.broker.call('agent.system-health.sample', {});
    expect((await decide(b.key)).vetoes).toEqual([]);
  });
});
