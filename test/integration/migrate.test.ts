import { PgDb } from '../../lib/storage/adapters/pg';
import { migrate, migrationStatus, readMigrations } from '../../lib/storage/migrate';
import { MIGRATIONS_DIR } from '../../paths';
import { createTestDatabase, TestDatabase } from '../helpers/infra';

describe('migrations on real PostgreSQL', () => {
  let tdb: TestDatabase;
  let a: PgDb;
  let b: PgDb;
  beforeAll(async () => {
    tdb = await createTestDatabase('mig');
    a = new PgDb({ connectionString: tdb.url });
    b = new PgDb({ connectionString: tdb.url });
  });
  afterAll(async () => {
    await a.close();
    await b.close();
    await tdb.drop();
  });

  it('applies every migration once even when two nodes start together', async () => {
    const ms = readMigrations(MIGRATIONS_DIR);
    expect(ms.length).toBeGreaterThan(0);
    const [x, y] = await Promise.all([migrate(a, ms), migrate(b, ms)]);
    expect([...x, ...y].sort()).toEqual(ms.map((m) => m.version));
    expect(await migrate(a, ms)).toEqual([]);
    const st = await migrationStatus(a, ms);
    expect(st.pending).toEqual([]);
    expect(st.applied.map((r) => r.version)).toEqual(ms.map((m) => m.version));
  });

  it('refuses a migration whose file changed after it was applied', async () => {
    const ms = readMigrations(MIGRATIONS_DIR).map((m, i) => (i === 0 ? { ...m, checksum: 'x' } : m));
    await expect(migrate(a, ms)).rejects.toThrow(/changed after it was applied/);
  });

  it('rolls back a failing migration completely', async () => {
    const ms = [...readMigrations(MIGRATIONS_DIR), { version: '9999', name: 'broken', sql: 'CREATE TABLE half_done (x int); SELECT nope FROM nowhere;', checksum: 'c' }];
    await expect(migrate(a, ms)).rejects.toThrow();
    const rows = await a.query("SELECT to_regclass('half_done') AS t");
    expect(rows[0].t).toBeNull();
    expect((await migrationStatus(a, ms)).pending).toEqual(['9999_broken']);
  });
});
