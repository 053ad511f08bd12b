import { setConfig } from '../../config';
import { discoverServices, selectService, startPlatform } from '../../runner';
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

    it('refuses a SERVICES selection that matches nothing', async () => {
      const cfg = setConfig(testConfig({ DATABASE_URL: tdb.url, SERVICES: 'nothing-here' }));
      await expect(startPlatform(cfg)).rejects.toThrow(/selects no service/);
    });
  });
});
