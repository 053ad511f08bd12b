/**
 * `createDbMixin()` gives a service `this.db` (the process's migrated Db) before
 * its own `started` runs. Services never open pools themselves.
 */
import type { ServiceSchema } from 'moleculer';
import { config } from '../config';
import { getMigratedDb } from '../lib/storage/connect';
import type { Db } from '../lib/storage/db';

export interface DbThis {
  db: Db;
}

export function createDbMixin(): Partial<ServiceSchema> {
  return {
    async started() {
      (this as unknown as DbThis).db = await getMigratedDb(config());
    },
  };
}
