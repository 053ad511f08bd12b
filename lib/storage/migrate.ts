/**
 * Versioned SQL migrations from `migrations/*.sql`, applied in file-name order.
 *
 * - Idempotent: applied versions are recorded in `schema_migrations` with a checksum;
 *   a changed file that was already applied is an error, not a silent re-run.
 * - Race-free: the whole run holds a transaction-scoped advisory lock, so nodes
 *   starting together apply each migration once.
 * - Atomic: each file runs in the same transaction as its bookkeeping row.
 *
 * Ranges by area keep parallel work from colliding: 00xx foundation, 01xx market
 * data, 02xx agents/consensus, 03xx trading/risk, 04xx backtests, 05xx flowchain,
 * 06xx billing/SaaS.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Db } from './db';

export interface Migration {
  version: string;
  name: string;
  sql: string;
  checksum: string;
}

export interface MigrationStatus {
  applied: { version: string; name: string; appliedAt: number }[];
  pending: string[];
}

const LOCK_KEY = 7_202_611; // any constant; shared by every Plan2 node

export function readMigrations(dir: string): Migration[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => /^\d{4}_[a-z0-9_]+\.sql$/.test(f))
    .sort()
    .map((f) => {
      const sql = fs.readFileSync(path.join(dir, f), 'utf8');
      return { version: f.slice(0, 4), name: f.slice(5, -4), sql, checksum: createHash('sha256').update(sql).digest('hex') };
    });
}

const BOOKKEEPING = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version text PRIMARY KEY, name text NOT NULL, checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`;

/** Apply pending migrations; returns the versions applied by this call. */
export async function migrate(db: Db, migrations: Migration[]): Promise<string[]> {
  return db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [LOCK_KEY]);
    await tx.query(BOOKKEEPING);
    const rows = await tx.query<{ version: string; checksum: string }>('SELECT version, checksum FROM schema_migrations');
    const done = new Map(rows.map((r) => [r.version, r.checksum]));
    const applied: string[] = [];
    for (const m of migrations) {
      const sum = done.get(m.version);
      if (sum !== undefined) {
        if (sum !== m.checksum) throw new Error(`migration ${m.version}_${m.name} changed after it was applied; add a new migration instead`);
        continue;
      }
      await tx.query(m.sql);
      await tx.query('INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)', [m.version, m.name, m.checksum]);
      applied.push(m.version);
    }
    return applied;
  });
}

export async function migrationStatus(db: Db, migrations: Migration[]): Promise<MigrationStatus> {
  await db.query(BOOKKEEPING);
  const rows = await db.query<{ version: string; name: string; applied_at: Date }>('SELECT version, name, applied_at FROM schema_migrations ORDER BY version');
  const have = new Set(rows.map((r) => r.version));
  return {
    applied: rows.map((r) => ({ version: r.version, name: r.name, appliedAt: new Date(r.applied_at).getTime() })),
    pending: migrations.filter((m) => !have.has(m.version)).map((m) => `${m.version}_${m.name}`),
  };
}
