import { PgDb } from '../../lib/storage/adapters/pg';
import { prepared } from '../../lib/storage/db';
import { createTestDatabase, TestDatabase } from '../helpers/infra';

describe('prepared statements on real PostgreSQL', () => {
  let tdb: TestDatabase;
  let db: PgDb;
  beforeAll(async () => {
    tdb = await createTestDatabase('prep');
    db = new PgDb({ connectionString: tdb.url, max: 1 });
    await db.query('CREATE TABLE t (id int PRIMARY KEY, v text)');
  });
  afterAll(async () => {
    await db.close();
    await tdb.drop();
  });

  const SELECT = prepared('t.byId', 'SELECT * FROM t WHERE id = $1');

  it('runs named: the server keeps the statement for the connection', async () => {
    await db.query('INSERT INTO t VALUES (1, $1), (2, $2)', ['a', 'b']);
    expect(await db.query(SELECT, [1])).toEqual([{ id: 1, v: 'a' }]);
    expect(await db.query(SELECT, [2])).toEqual([{ id: 2, v: 'b' }]);
    const names = await db.query<{ name: string }>('SELECT name FROM pg_prepared_statements');
    expect(names.map((r) => r.name)).toContain('t.byId');
  });

  it('survives a table changing under the prepared statement (a migration elsewhere)', async () => {
    await db.query('ALTER TABLE t ADD COLUMN w int DEFAULT 7');
    expect(await db.query(SELECT, [1])).toEqual([{ id: 1, v: 'a', w: 7 }]);
  });

  it('inside a transaction too, and bad parameters still fail clearly', async () => {
    const rows = await db.transaction((tx) => tx.query(SELECT, [2]));
    expect(rows).toEqual([{ id: 2, v: 'b', w: 7 }]);
    await expect(db.query(SELECT, ['not a number'])).rejects.toThrow(/invalid input syntax for type integer/);
  });
});
