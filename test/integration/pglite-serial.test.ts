/**
 * Embedded PGlite serves every pool connection from one engine, message by message: a
 * statement whose messages arrive in several chunks (large parameters) used to interleave
 * with another connection's, binding one statement's parameters to another's (wrong
 * values, "portal does not exist"). PgDb queues statements on PGlite; this is the case
 * that failed about one query in twenty before.
 */
import { PgDb } from '../../lib/storage/adapters/pg';
import { PgliteServer, startPglite } from '../helpers/pglite';

describe('PgDb on embedded PGlite: concurrent statements with large parameters', () => {
  let server: PgliteServer;
  let db: PgDb;

  beforeAll(async () => {
    server = await startPglite();
    db = new PgDb({ connectionString: server.url, kind: 'pglite', max: 8 });
    await db.query('CREATE TABLE big (id int, v text)');
  }, 60_000);
  afterAll(async () => {
    await db?.close();
    await server?.stop();
  });

  it('runs every statement with its own parameters', async () => {
    const big = 'y'.repeat(300_000);
    const errors: string[] = [];
    const wrong: string[] = [];
    for (let round = 0; round < 15; round++) {
      await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          (i % 3 === 0
            ? db.query('INSERT INTO big (id, v) VALUES ($1, $2)', [round * 100 + i, big])
            : db.query<{ n: number }>('SELECT $1::bigint AS n', [round * 100 + i]).then((rows) => {
                if (rows[0]?.n !== round * 100 + i) wrong.push(`${round}/${i}: ${JSON.stringify(rows)}`);
              })
          ).catch((e: unknown) => void errors.push((e as Error).message.slice(0, 80))),
        ),
      );
    }
    expect(errors).toEqual([]);
    expect(wrong).toEqual([]);
    expect(await db.query('SELECT count(*)::int AS n, min(length(v))::int AS len FROM big')).toEqual([{ n: 60, len: 300_000 }]);
  }, 60_000);

  it('a transaction holds the queue: statements sent meanwhile run after its commit', async () => {
    await db.query('CREATE TABLE ordered (k int)');
    const order: string[] = [];
    const tx = db.transaction(async (t) => {
      await t.query('INSERT INTO ordered VALUES (1)');
      await new Promise((r) => setTimeout(r, 50));
      await t.query('INSERT INTO ordered VALUES (2)');
      order.push('tx');
    });
    const read = db.query<{ n: number }>('SELECT count(*)::int AS n FROM ordered').then((r) => order.push(`read ${r[0].n}`));
    await Promise.all([tx, read]);
    expect(order).toEqual(['tx', 'read 2']);
  });
});
