/** HandoffWriter on a real PostgreSQL: writes announced on hand-off, committed behind, retried after a lost session. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PgDb } from '../../lib/storage/adapters/pg';
import { JsonText, prepared } from '../../lib/storage/db';
import { HandoffWriter } from '../../lib/storage/handoff-writer';
import { PipelinedConnection } from '../../lib/storage/pipelined-connection';
import { createTestDatabase, TestDatabase } from '../helpers/infra';

const INSERT = prepared('handoff.insert', 'INSERT INTO items (id, body) VALUES ($1, $2)');
const INSERT_DOC = prepared('handoff.doc', 'INSERT INTO docs (id, doc) VALUES ($1, $2::json)');
const INSERT_PAIR = prepared('handoff.pair', 'INSERT INTO pairs (id, a, label, b) VALUES ($1, $2::json, $3, $4::json)');

describe('HandoffWriter (real PostgreSQL)', () => {
  let tdb: TestDatabase;
  let db: PgDb;
  const logged: string[] = [];
  const logger = { warn: (m: string) => logged.push(`warn ${m}`), error: (m: string) => logged.push(`error ${m}`) };
  const writer = (app: string, maxInFlight?: number) =>
    new HandoffWriter({ conn: new PipelinedConnection({ connectionString: tdb.url, applicationName: app }), db, logger, what: 'items', maxInFlight });

  beforeAll(async () => {
    tdb = await createTestDatabase('handoff');
    db = new PgDb({ connectionString: tdb.url, max: 2 });
    await db.query('CREATE TABLE items (id int PRIMARY KEY, body text NOT NULL)');
    await db.query('CREATE TABLE docs (id int PRIMARY KEY, doc jsonb NOT NULL)');
    await db.query('CREATE TABLE pairs (id int PRIMARY KEY, a json NOT NULL, label text NOT NULL, b jsonb NOT NULL)');
  });
  afterAll(async () => {
    await db?.close();
    await tdb?.drop();
  });
  beforeEach(async () => {
    logged.length = 0;
    await db.query('TRUNCATE items');
  });

  it('returns once the statement has left, and every row is there when settled', async () => {
    const w = writer('handoff-a');
    for (let i = 0; i < 200; i++) await w.write(INSERT, [i, `row ${i}`]);
    expect(w.stats.handedOff).toBe(200);
    await w.settled();
    expect(await db.query('SELECT count(*)::int AS n FROM items')).toEqual([{ n: 200 }]);
    await w.close();
  });

  it('writes in flight when the session is killed are stored exactly once (sent again through the pool)', async () => {
    const w = writer('handoff-kill');
    // The server is busy with a sleep when the 100 inserts arrive: they are still unread when the session dies.
    await w.write(prepared('handoff.sleep', 'SELECT pg_sleep(0.3)'), []);
    const writes = Array.from({ length: 100 }, (_, i) => w.write(INSERT, [i, `row ${i}`]));
    await Promise.all(writes);
    await db.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'handoff-kill'`);
    await w.settled();
    expect(w.stats.retried).toBe(101);
    expect(await db.query('SELECT count(*)::int AS n, count(DISTINCT id)::int AS d FROM items')).toEqual([{ n: 100, d: 100 }]);
    // The next write opens a new session.
    await w.write(INSERT, [1000, 'after']);
    await w.settled();
    expect(await db.query('SELECT body FROM items WHERE id = 1000')).toEqual([{ body: 'after' }]);
    await w.close();
  });

  it('a statement the server refuses is logged, not retried; beyond maxInFlight a write waits for its commit and fails with it', async () => {
    const w = writer('handoff-bad', 1);
    await w.write(INSERT, [1, null]); // handed off: its refusal arrives later
    await w.settled();
    expect(w.stats).toMatchObject({ failed: 1, retried: 0 });
    expect(logged.some((l) => /^error items: a write was refused: .*null value/.test(l))).toBe(true);
    const slow = w.write(INSERT, [2, 'ok']);
    const refused = w.write(INSERT, [3, null]); // one in flight already: this one waits, and sees the refusal
    await expect(refused).rejects.toMatchObject({ code: '23502' });
    await slow;
    await w.settled();
    expect(await db.query('SELECT id FROM items ORDER BY id')).toEqual([{ id: 2 }]);
    await w.close();
  });

  it('with a journal: each handed-off write is kept until committed, and a dead process\'s journal is replayed once', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'handoff-j-'));
    const journal = { dir, name: 'items', statements: [INSERT] };
    const w = new HandoffWriter({ conn: new PipelinedConnection({ connectionString: tdb.url, applicationName: 'handoff-j' }), db, logger, what: 'items', journal });
    await w.write(INSERT, [1, 'one']);
    const own = path.join(dir, `items-${process.pid}.jsonl`);
    expect(fs.readFileSync(own, 'utf8')).toBe('["handoff.insert",[1,"one"]]\n'); // kept while its commit is on the way
    await w.settled();
    expect(fs.statSync(own).size).toBe(0);
    // What a process killed with writes in flight leaves behind: one already stored, one not, one unknown statement, a torn line.
    fs.writeFileSync(path.join(dir, 'items-99999999.jsonl'), '["handoff.insert",[1,"one"]]\n["handoff.insert",[2,"two"]]\n["old.statement",[3]]\n["handoff.ins');
    expect(await w.replay()).toBe(2);
    expect(await db.query('SELECT id, body FROM items ORDER BY id')).toEqual([{ id: 1, body: 'one' }, { id: 2, body: 'two' }]);
    expect(logged.some((l) => /does not know \(old.statement\)/.test(l))).toBe(true);
    expect(fs.existsSync(path.join(dir, 'items-99999999.jsonl'))).toBe(false);
    expect(await w.replay()).toBe(0);
    await w.close();
    expect(fs.existsSync(own)).toBe(false);
  });

  it('with a journal: returns once journaled, sends at the end of the turn, and keeps a JSON parameter as JSON (replayed as sent)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'handoff-json-'));
    const conn = new PipelinedConnection({ connectionString: tdb.url, applicationName: 'handoff-json' });
    const sent: string[] = [];
    const send = conn.send.bind(conn);
    conn.send = ((sql, params) => {
      sent.push(typeof sql === 'string' ? sql : sql.name);
      return send(sql, params);
    }) as typeof conn.send;
    const w = new HandoffWriter({ conn, db, logger, what: 'docs', journal: { dir, name: 'docs', statements: [INSERT_DOC] } });
    const doc = { a: 'say "hi"\n', n: [1, 2.5], nested: { ok: true } };
    await w.write(INSERT_DOC, [1, JsonText.of(doc)]);
    await w.write(INSERT_DOC, [2, JsonText.of({ second: 1 })]);
    // Acknowledged from the journal: nothing has gone to the session in this turn yet.
    expect(sent).toEqual([]);
    const own = path.join(dir, `docs-${process.pid}.jsonl`);
    expect(fs.readFileSync(own, 'utf8')).toBe(`["handoff.doc",[1,${JSON.stringify(doc)}],[1]]\n["handoff.doc",[2,{"second":1}],[1]]\n`);
    await new Promise((r) => setImmediate(r));
    expect(sent).toEqual(['handoff.doc', 'handoff.doc']);
    await w.settled();
    expect(fs.statSync(own).size).toBe(0);
    expect(await db.query('SELECT id, doc FROM docs ORDER BY id')).toEqual([{ id: 1, doc }, { id: 2, doc: { second: 1 } }]);
    // A dead process's journal with a JSON parameter stores the same document.
    fs.writeFileSync(path.join(dir, 'docs-99999998.jsonl'), `["handoff.doc",[3,${JSON.stringify(doc)}],[1]]\n`);
    expect(await w.replay()).toBe(1);
    expect(await db.query('SELECT doc FROM docs WHERE id = 3')).toEqual([{ doc }]);
    await w.close();
  });

  it('with a journal: several JSON parameters around plain ones make one exact line, text beyond ASCII included, stored and replayed as written', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'handoff-pair-'));
    const w = new HandoffWriter({ conn: new PipelinedConnection({ connectionString: tdb.url, applicationName: 'handoff-pair' }), db, logger, what: 'pairs', journal: { dir, name: 'pairs', statements: [INSERT_PAIR] } });
    const a = [{ agent: 'risk', rationale: 'σ 0.012% per bar → hold; VaR −0.3%', p: { buy: 0.2, hold: 0.6, sell: 0.2 } }];
    const b = { method: 'bayesian', note: 'ünïcödé ✓', n: [1e-9, -2.5, 3] };
    await w.write(INSERT_PAIR, [1, JsonText.of(a), 'label “quoted” σ', JsonText.of(b)]);
    const own = path.join(dir, `pairs-${process.pid}.jsonl`);
    const line = `["handoff.pair",[1,${JSON.stringify(a)},${JSON.stringify('label “quoted” σ')},${JSON.stringify(b)}],[1,3]]\n`;
    expect(fs.readFileSync(own, 'utf8')).toBe(line);
    expect(JSON.parse(line)).toEqual(['handoff.pair', [1, a, 'label “quoted” σ', b], [1, 3]]);
    await w.settled();
    expect(await db.query('SELECT id, a, label, b FROM pairs')).toEqual([{ id: 1, a, label: 'label “quoted” σ', b }]);
    // The same line left by a dead process (with another id) is stored as it was written.
    fs.writeFileSync(path.join(dir, 'pairs-99999997.jsonl'), line.replace('[1,', '[2,'));
    expect(await w.replay()).toBe(1);
    expect(await db.query('SELECT a, label, b FROM pairs WHERE id = 2')).toEqual([{ a, label: 'label “quoted” σ', b }]);
    await w.close();
  });

  it('with a journal: writes journaled when the session is lost before the end of the turn go through the pool', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'handoff-lost-'));
    const conn = new PipelinedConnection({ connectionString: tdb.url, applicationName: 'handoff-lost' });
    const w = new HandoffWriter({ conn, db, logger, what: 'items', journal: { dir, name: 'items', statements: [INSERT] } });
    await w.write(INSERT, [1, 'one']);
    await w.settled();
    await w.write(INSERT, [2, 'two']);
    await conn.close(); // gone before the end of the turn
    await w.settled();
    expect(w.stats.retried).toBe(1);
    expect(await db.query('SELECT id FROM items ORDER BY id')).toEqual([{ id: 1 }, { id: 2 }]);
    expect(fs.statSync(path.join(dir, `items-${process.pid}.jsonl`)).size).toBe(0);
    await w.close();
  });
});
