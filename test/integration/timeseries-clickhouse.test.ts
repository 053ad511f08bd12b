import { ClickHouseTimeSeriesStore } from '../../lib/storage/adapters/clickhouse-timeseries';
import { clickHouseTestDatabase, ensureClickHouse } from '../helpers/clickhouse';
import { timeSeriesContract } from './timeseries.contract';

timeSeriesContract('ClickHouse', async () => {
  const url = await ensureClickHouse();
  const store = new ClickHouseTimeSeriesStore({ url, database: clickHouseTestDatabase('ts') });
  return {
    store,
    async cleanup() {
      await store.dropDatabase();
      await store.close();
    },
  };
});
