/** `storage`: database health and migration status. Migrations themselves run in every process's db mixin, under a lock. */
import type { ServiceSchema, ServiceSettingSchema } from 'moleculer';
import { config } from '../../config';
import { migrationStatus, readMigrations } from '../../lib/storage/migrate';
import { createDbMixin, DbThis } from '../../mixins/db.mixin';
import { MIGRATIONS_DIR } from '../../paths';

export interface DependencyHealth {
  name: string;
  status: 'up' | 'down';
  required: boolean;
  latencyMs: number | null;
  detail?: string;
}

const StorageService: ServiceSchema<ServiceSettingSchema, object, DbThis> = {
  name: 'storage',
  mixins: [createDbMixin()],
  settings: { rest: '/' },
  actions: {
    /** Database reachability and round-trip latency. */
    health: {
      params: {},
      async handler(): Promise<DependencyHealth> {
        const kind = this.db.kind === 'pglite' ? 'database (embedded PGlite)' : 'database (PostgreSQL)';
        try {
          const ms = await this.db.ping();
          return { name: kind, status: 'up', required: true, latencyMs: Math.round(ms * 1000) / 1000 };
        } catch (e) {
          return { name: kind, status: 'down', required: true, latencyMs: null, detail: (e as Error).message };
        }
      },
    },
    /** Applied and pending migrations. */
    migrations: {
      params: {},
      rest: 'GET /storage/migrations',
      async handler() {
        return migrationStatus(this.db, readMigrations(MIGRATIONS_DIR));
      },
    },
  },
  created() {
    this.logger.info(`storage: ${config().databaseUrl ? 'PostgreSQL' : 'embedded PGlite in ' + config().dataDir}`);
  },
};

export default StorageService;
