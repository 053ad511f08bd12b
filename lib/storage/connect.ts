/**
 * Process-wide database handle: one pool per process, migrated once.
 * DATABASE_URL → real PostgreSQL; otherwise the embedded PGlite server (started
 * here, or the one another local process already serves for the same DATA_DIR).
 */
import type { Config } from '../../config';
import { MIGRATIONS_DIR } from '../../paths';
import type { Db } from './db';
import { PgDb } from './adapters/pg';
import { EmbeddedServer, runningEmbeddedUrl, startEmbeddedPostgres } from './adapters/pglite-server';
import { migrate, readMigrations } from './migrate';

let current: Promise<{ db: Db; embedded: EmbeddedServer | null }> | null = null;
let currentKey: string | null = null;
let migrated: Promise<string[]> | null = null;

const keyOf = (cfg: Config) => cfg.databaseUrl ?? `embedded:${cfg.dataDir}`;

async function open(cfg: Config): Promise<{ db: Db; embedded: EmbeddedServer | null }> {
  if (cfg.databaseUrl) return { db: new PgDb({ connectionString: cfg.databaseUrl }), embedded: null };
  const url = runningEmbeddedUrl(cfg.dataDir);
  if (url) return { db: new PgDb({ connectionString: url, kind: 'pglite', max: 4 }), embedded: null };
  const embedded = await startEmbeddedPostgres(cfg.dataDir);
  return { db: new PgDb({ connectionString: embedded.url, kind: 'pglite', max: 8 }), embedded };
}

/** The process's Db (opened on first use). */
export async function getDb(cfg: Config): Promise<Db> {
  if (current && currentKey !== keyOf(cfg)) await closeDb();
  if (!current) {
    current = open(cfg);
    currentKey = keyOf(cfg);
  }
  try {
    return (await current).db;
  } catch (e) {
    current = null;
    throw e;
  }
}

/** Open the Db and apply pending migrations once per process. Returns versions applied now. */
export async function getMigratedDb(cfg: Config): Promise<Db> {
  const db = await getDb(cfg);
  migrated ??= migrate(db, readMigrations(MIGRATIONS_DIR));
  try {
    await migrated;
  } catch (e) {
    migrated = null;
    throw e;
  }
  return db;
}

/** Close the pool and stop the embedded server if this process runs it. */
export async function closeDb(): Promise<void> {
  const c = current;
  current = null;
  currentKey = null;
  migrated = null;
  if (!c) return;
  const { db, embedded } = await c.catch(() => ({ db: null, embedded: null }));
  await db?.close().catch(() => undefined);
  await embedded?.stop();
}
