import { setConfig } from '../../config';
import { discoverServices, selectService, startPlatform } from '../../runner';
import { AGENT_HOST } from '../../mixins/agent-host';
import { createTestDatabase, TestDatabase, testConfig } from '../helpers/infra';

describe('runner', () => {
  it('selects services by glob', () => {
    expect(selectService('api', [])).toBe(true);
    expect(selectService('api', ['api'])).toBe(true);
    expect(selectService('agents/research/market-analysis', ['agents/*'])).toBe(true);
    expect(selectService('agents/research/market-analysis', ['agents'])).toBe(true);
    expect(selectService('agents/research/market-analysis', ['agents/decision/*'])).toBe(false);
    expect(selectService('market-data', ['market-*'])).toBe(true);
    expect(selectService('api', ['storage', 'market-data'])).toBe(false);
  });

  it('discovers the storage service', () => {
    expect(discoverServices().map((s) => s.key)).toContain('storage');
  });

  describe('on real PostgreSQL', () => {
    let tdb: TestDatabase;
    beforeAll(async () => {
      tdb = await createTestDatabase('run');
    });
    afterAll(async () => tdb.drop());

    it('starts a node with only the storage service and reports health and migrations', async () => {
      const cfg = setConfig(testConfig({ DATABASE_URL: tdb.url, SERVICES: 'storage' }));
      const p = await startPlatform(cfg);
      try {
        expect(p.services).toEqual(['storage']);
        const h = await p.broker.call<{ status: string }, object>('storage.health', {});
        expect(h.status).toBe('up');
        const m = await p.broker.call<{ pending: string[]; applied: unknown[] }, object>('storage.migrations', {});
        expect(m.pending).toEqual([]);
        expect(m.applied.length).toBeGreaterThan(0);
      } finally {
        await p.stop();
      }
    });

    it('a node of agents receives their market events once, in its agent-host, and every agent folds them', async () => {
      const cfg = setConfig(testConfig({ DATABASE_URL: tdb.url, SERVICES: 'agents/research,agents/decision' }));
      const p = await startPlatform(cfg);
      try {
        const subscribers = (event: string) => p.broker.registry.events.getAllEndpoints(event).filter((e) => e.local).map((e) => e.service.name);
        // one subscription per node for the eight agents' candles and ticks, none of their own
        expect(subscribers('candle.closed')).toEqual([AGENT_HOST]);
        expect(subscribers('ticks.received')).toEqual([AGENT_HOST]);
        const t0 = Date.UTC(2024, 0, 2, 10, 0);
        for (let i = 0; i < 5; i++) await p.broker.emit('candle.closed', { symbol: 'EURUSD', tf: 'M1', t: t0 + i * 60_000, o: 1.1, h: 1.1005, l: 1.0995, c: 1.1 + i * 1e-4, v: 10, n: 10 });
        await p.broker.emit('candle.closed', { nonsense: true });
        for (const id of ['market-analysis', 'technical-indicator', 'risk-assessment', 'execution-timing']) {
          const st = await p.broker.call<{ state: { bars?: Record<string, number> }; errors: { update: number } }, object>(`agent.${id}.status`, {});
          expect(JSON.stringify(st.state)).toMatch(/EURUSD/);
          expect(st.errors.update).toBe(1); // the malformed payload, counted by each agent that wanted it
        }
      } finally {
        await p.stop();
      }
    });

    it('refuses a SERVICES selection that matches nothing', async () => {
      const cfg = setConfig(testConfig({ DATABASE_URL: tdb.url, SERVICES: 'nothing-here' }));
      await expect(startPlatform(cfg)).rejects.toThrow(/selects no service/);
    });
  });
});
