/**
 * Scratch databases on a real PostgreSQL server for tests and benchmarks: a fresh,
 * uniquely named database that is dropped (connections forced off) afterwards.
 */
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

export interface ScratchDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

/** Create an empty database named `plan2_<tag>_<pid>_<random>` next to `adminUrl`'s. */
export async function createScratchDatabase(adminUrl: string, tag = 't'): Promise<ScratchDatabase> {
  const name = `plan2_${tag}_${process.pid}_${randomBytes(4).toString('hex')}`.toLowerCase().replace(/[^a-z0-9_]/g, '_');
  const admin = new Client({ connectionString: adminUrl, connectionTimeoutMillis: 3000 });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end().catch(() => undefined);
  }
  const u = new URL(adminUrl);
  u.pathname = '/' + name;
  return {
    name,
    url: u.toString(),
    async drop() {
      const c = new Client({ connectionString: adminUrl });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end().catch(() => undefined);
      }
    },
  };
}

/** Run `fn` with a scratch database's URL; the database is dropped afterwards. */
export async function withScratchDatabase<T>(adminUrl: string, tag: string, fn: (url: string) => Promise<T>): Promise<T> {
  const db = await createScratchDatabase(adminUrl, tag);
  try {
    return await fn(db.url);
  } finally {
    await db.drop();
  }
}
