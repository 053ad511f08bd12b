/**
 * agent-host answers for several agents of its node in one reply, within its budget, and
 * consensus's HostBatch sends one host call per node and settles each agent on its own.
 */
import { ServiceBroker } from 'moleculer';
import { AGENT_HOST, agentHostSchema, HostResult } from '../../../mixins/agent-host';
import { createBroker } from '../../../runner';
import { HostBatch } from '../../../services/consensus/host-batch';
import type { Opinion } from '../../../types/agents';
import { testConfig } from '../../helpers/infra';

describe('agent-host', () => {
  let broker: ServiceBroker;
  const seen: { agent: string; tenantParam?: string; tenantMeta?: string }[] = [];
  const fake = (id: string, answer: (params: Record<string, unknown>) => Promise<unknown> | unknown) => ({
    name: `agent.${id}`,
    actions: {
      opine: {
        params: { symbol: 'string', tf: 'string', tenantId: { type: 'string', optional: true }, asOf: { type: 'number', optional: true } },
        handler(ctx: { params: Record<string, unknown>; meta: Record<string, unknown> }) {
          seen.push({ agent: id, tenantParam: ctx.params.tenantId as string | undefined, tenantMeta: ctx.meta.tenantId as string | undefined });
          return answer(ctx.params);
        },
      },
    },
  });
  beforeAll(async () => {
    broker = createBroker(testConfig({ LOG_LEVEL: 'error' }), { logger: false });
    broker.createService(agentHostSchema());
    broker.createService(fake('fast', (p) => ({ agent: 'fast', signal: 0.5, asOf: p.asOf })));
    broker.createService(fake('other', () => ({ agent: 'other', signal: -0.2 })));
    broker.createService(fake('broken', () => Promise.reject(new Error('no data'))));
    broker.createService(fake('slow', () => new Promise((r) => setTimeout(() => r({ agent: 'slow' }), 300))));
    broker.createService(fake('book', (p) => ({ agent: 'book', tenant: p.tenantId })));
    await broker.start();
  });
  afterAll(() => broker.stop());

  const ask = (params: Record<string, unknown>) => broker.call<{ results: HostResult[] }, object>(`${AGENT_HOST}.opine`, { symbol: 'EURUSD', tf: 'M1', budgetMs: 50, ...params });

  it('answers for every named agent in one reply: opinions, and errors by type and message', async () => {
    const r = await ask({ agents: ['fast', 'other', 'broken', 'missing'], asOf: 60_000 });
    const by = Object.fromEntries(r.results.map((x) => [x.agent, x]));
    expect(by.fast).toEqual({ agent: 'fast', opinion: { agent: 'fast', signal: 0.5, asOf: 60_000 } });
    expect(by.other).toEqual({ agent: 'other', opinion: { agent: 'other', signal: -0.2 } });
    expect(by.broken).toMatchObject({ agent: 'broken', error: { message: 'no data' } });
    expect(by.missing).toMatchObject({ agent: 'missing', error: { type: 'SERVICE_NOT_FOUND' } });
  });

  it('replies when its budget runs out, leaving out the agent still thinking', async () => {
    const t0 = Date.now();
    const r = await ask({ agents: ['fast', 'slow'], budgetMs: 40 });
    expect(Date.now() - t0).toBeLessThan(250);
    expect(r.results.map((x) => x.agent)).toEqual(['fast']);
  });

  it('asks tenant-scoped agents for the tenant (param and meta) and market-scoped ones without it', async () => {
    seen.length = 0;
    const r = await ask({ agents: ['fast'], tenantAgents: ['book'], tenantId: 't1' });
    expect(r.results.find((x) => x.agent === 'book')).toEqual({ agent: 'book', opinion: { agent: 'book', tenant: 't1' } });
    expect(seen).toEqual([
      { agent: 'fast', tenantParam: undefined, tenantMeta: undefined },
      { agent: 'book', tenantParam: 't1', tenantMeta: 't1' },
    ]);
    await expect(ask({ agents: [], tenantAgents: ['book'] })).rejects.toMatchObject({ code: 422, type: 'TENANT_REQUIRED' });
    await expect(ask({ agents: 'fast' })).rejects.toMatchObject({ code: 422 });
  });
});

describe('HostBatch', () => {
  it('sends one call per node with the agents asked in the same tick, split by scope, and settles each agent on its own', async () => {
    const sent: { node: string; market: string[]; tenant: string[] }[] = [];
    let release!: (r: { results: HostResult[] }) => void;
    const b = new HostBatch((node, market, tenant) => {
      sent.push({ node, market, tenant });
      if (node === 'down') return Promise.reject(Object.assign(new Error('node gone'), { type: 'NOT_AVAILABLE' }));
      return new Promise((r) => (release = r));
    });
    const op = (agent: string) => ({ agent }) as unknown as Opinion;
    const a = b.ask('n1', 'a', false);
    const t = b.ask('n1', 't', true);
    const e = b.ask('n1', 'e', false);
    const late = b.ask('n1', 'late', false);
    const gone = b.ask('down', 'g', false);
    await Promise.resolve();
    expect(sent).toEqual([
      { node: 'n1', market: ['a', 'e', 'late'], tenant: ['t'] },
      { node: 'down', market: ['g'], tenant: [] },
    ]);
    expect(b.calls).toBe(2);
    await expect(gone).rejects.toMatchObject({ type: 'NOT_AVAILABLE' });
    release({ results: [{ agent: 'a', opinion: op('a') }, { agent: 't', opinion: op('t') }, { agent: 'e', error: { type: 'AGENT_FAILED', message: 'boom' } }] });
    await expect(a).resolves.toEqual(op('a'));
    await expect(t).resolves.toEqual(op('t'));
    await expect(e).rejects.toEqual({ type: 'AGENT_FAILED', message: 'boom' });
    // Left out by the host (late): still pending, for gather's deadline to record.
    const state = await Promise.race([late.then(() => 'settled', () => 'settled'), new Promise((r) => setTimeout(() => r('pending'), 20))]);
    expect(state).toBe('pending');
    // The next tick starts a new batch.
    void b.ask('n1', 'a', false);
    await Promise.resolve();
    expect(sent).toHaveLength(3);
  });
});
