import { PgDb } from '../../lib/storage/adapters/pg';
import { PgTimeSeriesStore } from '../../lib/storage/adapters/pg-timeseries';
import { migrate, readMigrations } from '../../lib/storage/migrate';
import { MIGRATIONS_DIR } from '../../paths';
import { createTestDatabase } from '../helpers/infra';
import { timeSeriesContract } from './timeseries.contract';

timeSeriesContract('PostgreSQL', async () => {
  const tdb = await createTestDatabase('ts');
  const db = new PgDb({ connectionString: tdb.url });
  await migrate(db, readMigrations(MIGRATIONS_DIR));
  return {
    store: new PgTimeSeriesStore(db),
    async cleanup() {
      await db.close();
      await tdb.drop();
    },
  };
});
