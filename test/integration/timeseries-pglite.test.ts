import { PgDb } from '../../lib/storage/adapters/pg';
import { PgTimeSeriesStore } from '../../lib/storage/adapters/pg-timeseries';
import { migrate, readMigrations } from '../../lib/storage/migrate';
import { MIGRATIONS_DIR } from '../../paths';
import { startPglite } from '../helpers/pglite';
import { timeSeriesContract } from './timeseries.contract';

// The embedded default of `npm start`: PGlite over the wire protocol, same adapter, same SQL.
timeSeriesContract('embedded PGlite', async () => {
  const server = await startPglite();
  const db = new PgDb({ connectionString: server.url, kind: 'pglite', max: 4 });
  await migrate(db, readMigrations(MIGRATIONS_DIR));
  return {
    store: new PgTimeSeriesStore(db),
    async cleanup() {
      await db.close();
      await server.stop();
    },
  };
});
