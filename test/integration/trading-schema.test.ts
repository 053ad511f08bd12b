/**
 * The trading tables on real PostgreSQL: lookups of one order or position take the key
 * even on a new database (no statistics), and deleting a tenant removes its orders and fills.
 */
import { PgDb } from '../../lib/storage/adapters/pg';
import { migrate, readMigrations } from '../../lib/storage/migrate';
import { MIGRATIONS_DIR } from '../../paths';
import { createTestDatabase, TestDatabase } from '../helpers/infra';

describe('trading schema on real PostgreSQL', () => {
  let tdb: TestDatabase;
  let db: PgDb;
  beforeAll(async () => {
    tdb = await createTestDatabase('tschema');
    db = new PgDb({ connectionString: tdb.url, max: 1 });
    await migrate(db, readMigrations(MIGRATIONS_DIR));
  });
  afterAll(async () => {
    await db.close();
    await tdb.drop();
  });

  /** The scan a generic plan (what a prepared statement keeps) uses for one lookup. */
  async function genericScan(sql: string, types: string, args: string): Promise<string> {
    return db.transaction(async (tx) => {
      await tx.query('SET LOCAL plan_cache_mode = force_generic_plan');
      await tx.query(`PREPARE lookup(${types}) AS ${sql}`);
      try {
        const plan = await tx.query<{ 'QUERY PLAN': string }>(`EXPLAIN EXECUTE lookup(${args})`);
        return plan.map((r) => r['QUERY PLAN']).find((l) => /Scan/.test(l)) ?? '';
      } finally {
        await tx.query('DEALLOCATE lookup');
      }
    });
  }

  it.each([
    ['an order transition', `UPDATE orders SET status = 'filled' WHERE tenant_id = $1 AND id = $2 AND status = ANY($3::text[])`, 'text, text, text[]', `'t', 'o', '{new}'`, 'orders_pkey'],
    ['an order read', 'SELECT * FROM orders WHERE tenant_id = $1 AND id = $2', 'text, text', `'t', 'o'`, 'orders_pkey'],
    ['a position read', 'SELECT * FROM positions WHERE tenant_id = $1 AND id = $2', 'text, text', `'t', 'p'`, 'positions_pkey'],
  ])('%s uses the (tenant_id, id) key on a new, unanalysed table', async (_what, sql, types, args, index) => {
    expect(await genericScan(sql, types, args)).toContain(`Index Scan using ${index}`);
  });

  it('deleting a tenant deletes its orders and their fills, and no other tenant’s', async () => {
    const now = Date.now();
    for (const t of ['del-a', 'del-b']) {
      await db.query(`INSERT INTO tenants (id, name, tier) VALUES ($1, $1, 'free')`, [t]);
      await db.query(
        `INSERT INTO orders (id, tenant_id, account_id, idempotency_key, request_hash, symbol, side, type, volume, status, created_at, updated_at)
         VALUES ($1, $2, 'paper', 'k1', 'h', 'EURUSD', 'buy', 'market', 0.01, 'filled', $3, $3)`,
        [`o-${t}`, t, now],
      );
      await db.query(
        `INSERT INTO fills (id, tenant_id, account_id, order_id, symbol, side, volume, price, position_id, time)
         VALUES ($1, $2, 'paper', $3, 'EURUSD', 'buy', 0.01, 1.1, 'p1', $4)`,
        [`f-${t}`, t, `o-${t}`, now],
      );
    }
    await db.query(`DELETE FROM tenants WHERE id = 'del-a'`);
    const left = await db.query<{ tenant_id: string; n: number }>(
      `SELECT tenant_id, count(*)::int AS n FROM (SELECT tenant_id FROM orders UNION ALL SELECT tenant_id FROM fills) x WHERE tenant_id LIKE 'del-%' GROUP BY 1`,
    );
    expect(left).toEqual([{ tenant_id: 'del-b', n: 2 }]);
  });

  it('a fill cannot name another tenant’s order', async () => {
    await db.query(`INSERT INTO tenants (id, name, tier) VALUES ('x-a', 'x-a', 'free'), ('x-b', 'x-b', 'free')`);
    await db.query(
      `INSERT INTO orders (id, tenant_id, account_id, idempotency_key, request_hash, symbol, side, type, volume, status, created_at, updated_at)
       VALUES ('o-x', 'x-a', 'paper', 'k1', 'h', 'EURUSD', 'buy', 'market', 0.01, 'filled', 1, 1)`,
    );
    await expect(
      db.query(`INSERT INTO fills (id, tenant_id, account_id, order_id, symbol, side, volume, price, position_id, time) VALUES ('f-x', 'x-b', 'paper', 'o-x', 'EURUSD', 'buy', 0.01, 1.1, 'p1', 1)`),
    ).rejects.toMatchObject({ code: '23503' });
  });
});
