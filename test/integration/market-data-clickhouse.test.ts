import type { ServiceBroker } from 'moleculer';
import { setConfig } from '../../config';
import { ClickHouseTimeSeriesStore } from '../../lib/storage/adapters/clickhouse-timeseries';
import { closeDb } from '../../lib/storage/connect';
import { createBroker, loadServices } from '../../runner';
import type { CandleItem, Page } from '../../services/market-data/market-data';
import { TF_MS, Tick, TIMEFRAMES } from '../../types/market';
import { clickHouseTestDatabase, ensureClickHouse } from '../helpers/clickhouse';
import { createTestDatabase, TestDatabase, testConfig } from '../helpers/infra';
import { groupBy, LEAN_DAY, leanTicks } from '../helpers/lean';

async function startNode(env: Record<string, string>): Promise<ServiceBroker> {
  const cfg = setConfig(testConfig({ ...env, SERVICES: 'market-data' }));
  const broker = createBroker(cfg);
  loadServices(broker, cfg);
  await broker.start();
  return broker;
}

async function ingest(broker: ServiceBroker, ticks: Tick[]): Promise<void> {
  for (let i = 0; i < ticks.length; i += 5000) await broker.call('market-data.ingest', { source: 'ch:1@test', ticks: ticks.slice(i, i + 5000) });
}

describe('market-data service with ClickHouse as the time-series store', () => {
  let tdb: TestDatabase;
  let env: Record<string, string>;
  let chStore: ClickHouseTimeSeriesStore;

  beforeAll(async () => {
    const url = await ensureClickHouse();
    const database = clickHouseTestDatabase('md');
    chStore = new ClickHouseTimeSeriesStore({ url, database });
    tdb = await createTestDatabase('mdch');
    env = { DATABASE_URL: tdb.url, CLICKHOUSE_URL: `${url.replace(/\/+$/, '')}/${database}` };
  }, 300_000);

  afterAll(async () => {
    await chStore?.dropDatabase();
    await chStore?.close();
    await tdb?.drop();
  });

  it('stores the Lean day across a restart: candles equal the group-by, none lost or duplicated', async () => {
    const ticks = leanTicks();
    const split = ticks.findIndex((t) => t.time_msc >= LEAN_DAY + 15 * 3_600_000 + 7_250);
    const a = await startNode(env);
    try {
      await ingest(a, ticks.slice(0, split));
    } finally {
      await a.stop();
      await closeDb();
    }
    const b = await startNode(env);
    try {
      await ingest(b, ticks.slice(split));
      const st = await b.call<{ store: string }, object>('market-data.status', {});
      expect(st.store).toBe('clickhouse');
      for (const tf of TIMEFRAMES) {
        const page = await b.call<Page<CandleItem>, object>('market-data.candles', { symbol: 'EURUSD', tf, from: LEAN_DAY, limit: 10_000 });
        expect(page.items.map(({ t, o, h, l, c, n }) => ({ t, o, h, l, c, n }))).toEqual(groupBy(ticks, TF_MS[tf]));
      }
      const syms = await b.call<Page<{ symbol: string; ticks: number }>, object>('market-data.symbols', {});
      expect(syms.items).toEqual([expect.objectContaining({ symbol: 'EURUSD', ticks: ticks.length })]);
    } finally {
      await b.stop();
      await closeDb();
    }
  });
});
