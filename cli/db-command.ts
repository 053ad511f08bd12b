/** Helpers for CLI commands that work on the database directly (no broker needed). */
import { configOrExit } from '../config';
import { closeDb, getMigratedDb } from '../lib/storage/connect';
import type { Db } from '../lib/storage/db';

/**
 * Run `fn` with the migrated Db of this configuration: DATABASE_URL, or the embedded
 * database (served by a running `plan2 start` for the same DATA_DIR, or opened here).
 */
export async function withDb<T>(fn: (db: Db) => Promise<T>): Promise<T> {
  const cfg = configOrExit();
  try {
    return await fn(await getMigratedDb(cfg));
  } finally {
    await closeDb();
  }
}
