/**
 * Order intake on a real PostgreSQL (services/trading/intake.ts): ownership of a tenant by
 * advisory lock, acknowledgement once the INSERT has left the process, idempotency without
 * a round trip, and what survives a killed process or a lost session.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createTestDatabase, TestDatabase } from '../helpers/infra';
import { BUY, IntakeEngine, intakeEngine, owned } from '../helpers/intake-engine';
import { createTenants, sql, until } from '../helpers/trading';
import { JournalOrder, OwnedElsewhere } from '../../services/trading/intake';
import { insertParams, newOrderOf } from '../../services/trading/trading.store';
import { requestHash } from '../../lib/trading/request-hash';
import type { Order } from '../../types/trading';
import { PgDb } from '../../lib/storage/adapters/pg';
import { migrate, readMigrations } from '../../lib/storage/migrate';
import { MIGRATIONS_DIR } from '../../paths';

const CHILD = path.join(__dirname, '..', '..', 'dist', 'test', 'helpers', 'intake-engine.js');

describe('order intake (real PostgreSQL)', () => {
  let db: TestDatabase;
  const open: IntakeEngine[] = [];
  const engine = (name: string, opts?: Parameters<typeof intakeEngine>[2]) => {
    const e = intakeEngine(db.url, name, opts);
    open.push(e);
    return e;
  };

  beforeAll(async () => {
    db = await createTestDatabase('intake');
    const m = new PgDb({ connectionString: db.url, max: 1 });
    await migrate(m, readMigrations(MIGRATIONS_DIR));
    await m.close();
    await createTenants(db.url, ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j']);
  });
  afterEach(async () => {
    for (const e of open.splice(0)) await e.close();
  });
  afterAll(async () => db?.drop());

  it('acknowledges new keys of an owned tenant before the commit, and every acknowledged order is stored and filled', async () => {
    const e = engine('n1');
    await owned(e, 'a', 'warm-a');
    const fastBefore = e.intake.stats.fast;
    const acks = [];
    for (let i = 0; i < 50; i++) acks.push(await e.engine.submit({ tenantId: 'a', idempotencyKey: `a-${i}`, intent: BUY }));
    expect(e.intake.stats.fast - fastBefore).toBe(50);
    expect(acks.every((a) => a.order.status === 'accepted' && !a.replayed)).toBe(true);
    await e.engine.idle();
    const rows = await sql<{ id: string; status: string }>(db.url, `SELECT id, status FROM orders WHERE tenant_id = 'a' AND idempotency_key LIKE 'a-%' ORDER BY created_at`);
    expect(rows.map((r) => r.id).sort()).toEqual(acks.map((a) => a.order.id).sort());
    expect(new Set(rows.map((r) => r.status))).toEqual(new Set(['filled']));
  });

  it('a key repeated while its row is on the way is the same order; a different body is 409; one order for 100 concurrent submits', async () => {
    const e = engine('n1');
    await owned(e, 'b', 'warm-b');
    const all = await Promise.all(Array.from({ length: 100 }, () => e.engine.submit({ tenantId: 'b', idempotencyKey: 'same', intent: BUY })));
    expect(new Set(all.map((r) => r.order.id)).size).toBe(1);
    expect(all.filter((r) => !r.replayed)).toHaveLength(1);
    const first = e.engine.submit({ tenantId: 'b', idempotencyKey: 'k2', intent: BUY });
    const other = e.engine.submit({ tenantId: 'b', idempotencyKey: 'k2', intent: { ...BUY, volume: 0.02 } });
    await expect(first).resolves.toMatchObject({ replayed: false });
    await expect(other).rejects.toMatchObject({ status: 409, code: 'IDEMPOTENCY_CONFLICT' });
    await e.engine.idle();
    expect(await sql(db.url, `SELECT count(*)::int AS n FROM orders WHERE tenant_id = 'b' AND idempotency_key IN ('same', 'k2')`)).toEqual([{ n: 2 }]);
  });

  it('a key used before this node took the tenant is found (not a new order), through the ordinary path', async () => {
    const e1 = engine('n1');
    await owned(e1, 'c', 'warm-c');
    const o = await e1.engine.submit({ tenantId: 'c', idempotencyKey: 'old-key', intent: BUY });
    await e1.close();
    open.splice(open.indexOf(e1), 1);
    const e2 = engine('n2');
    await owned(e2, 'c', 'warm-c2');
    const slowBefore = e2.intake.stats.slow;
    const again = await e2.engine.submit({ tenantId: 'c', idempotencyKey: 'old-key', intent: BUY });
    expect(again).toMatchObject({ replayed: true, order: { id: o.order.id } });
    expect(e2.intake.stats.slow - slowBefore).toBe(1);
  });

  it('one node owns a tenant: another cannot insert its orders and is told who owns it; the owner leaving frees it', async () => {
    const e1 = engine('owner-node');
    const e2 = engine('other-node');
    await owned(e1, 'd', 'warm-d');
    const err = await e2.engine.submit({ tenantId: 'd', idempotencyKey: 'from-2', intent: BUY }).catch((x: unknown) => x);
    expect(err).toBeInstanceOf(OwnedElsewhere);
    expect(err).toMatchObject({ owner: 'plan2-trading:owner-node', dependency: 'trading' });
    expect(await sql(db.url, `SELECT count(*)::int AS n FROM orders WHERE idempotency_key = 'from-2'`)).toEqual([{ n: 0 }]);
    await e1.close();
    open.splice(open.indexOf(e1), 1);
    const r = await e2.engine.submit({ tenantId: 'd', idempotencyKey: 'from-2', intent: BUY });
    expect(r.replayed).toBe(false);
    await until(() => e2.intake.owns('d'));
  });

  it('orders acknowledged by a process killed before it read any reply are all stored after the journal is replayed, and routed once', async () => {
    const journalDir = fs.mkdtempSync(path.join(os.tmpdir(), 'plan2-crash-'));
    const e = engine('n1', { journalDir });
    await e.engine.bookOf('e', 'paper'); // the account exists before the child runs
    const child = spawn(process.execPath, [CHILD, db.url, 'e', '40', journalDir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => process.stderr.write(d));
    const signal = await new Promise<NodeJS.Signals | null>((res) => child.on('exit', (_c, s) => res(s)));
    expect(signal).toBe('SIGKILL');
    const { ids, fast } = JSON.parse(out.trim()) as { ids: string[]; fast: number };
    expect(fast).toBeGreaterThanOrEqual(40);
    // What the server ran before it noticed the client was gone is stored; the journal has every acknowledged order.
    const journals = fs.readdirSync(journalDir).filter((f) => f.startsWith('intake-'));
    expect(journals.length).toBe(2); // the child's, and this engine's own (empty)
    expect(await e.intake.replayJournals()).toBe(40);
    expect(fs.readdirSync(journalDir).filter((f) => f.startsWith('intake-')).length).toBe(1);
    const stored = await sql<{ id: string }>(db.url, `SELECT id FROM orders WHERE tenant_id = 'e' AND idempotency_key LIKE 'crash-%'`);
    expect(stored.map((r) => r.id).sort()).toEqual([...ids].sort());
    // The restarted engine finds them in `new` and fills each exactly once.
    const r = await e.engine.recover();
    expect(r.paperRouted).toBeGreaterThanOrEqual(40);
    await e.engine.idle();
    const fills = await sql<{ n: number; orders: number }>(db.url, `SELECT count(*)::int AS n, count(DISTINCT order_id)::int AS orders FROM fills WHERE tenant_id = 'e' AND order_id = ANY($1)`, [ids]);
    expect(fills).toEqual([{ n: 40, orders: 40 }]);
    expect(await e.intake.replayJournals()).toBe(0);
  });

  it('a lost session: writes in flight are confirmed or written again, and the tenant is claimed again', async () => {
    const e = engine('n1');
    await owned(e, 'f', 'warm-f');
    const acks = await Promise.all(Array.from({ length: 20 }, (_, i) => e.engine.submit({ tenantId: 'f', idempotencyKey: `f-${i}`, intent: BUY })));
    await sql(db.url, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'plan2-trading:n1'`);
    await e.engine.idle();
    const rows = await sql<{ id: string }>(db.url, `SELECT id FROM orders WHERE tenant_id = 'f' AND idempotency_key LIKE 'f-%'`);
    expect(rows.map((r) => r.id).sort()).toEqual(acks.map((a) => a.order.id).sort());
    const next = await e.engine.submit({ tenantId: 'f', idempotencyKey: 'f-after', intent: BUY });
    expect(next.replayed).toBe(false);
    await until(() => e.intake.owns('f'));
    const again = await e.engine.submit({ tenantId: 'f', idempotencyKey: 'f-3', intent: BUY });
    expect(again).toMatchObject({ replayed: true, order: { id: acks[3].order.id } });
  });

  it('at most maxInFlight acknowledgements wait for their commit; beyond it orders wait for their own', async () => {
    const e = engine('n1', { maxInFlight: 5 });
    await owned(e, 'g', 'warm-g');
    const before = { ...e.intake.stats };
    await Promise.all(Array.from({ length: 30 }, (_, i) => e.engine.submit({ tenantId: 'g', idempotencyKey: `g-${i}`, intent: BUY })));
    expect(e.intake.stats.fast - before.fast).toBe(5);
    expect(e.intake.stats.slow - before.slow).toBe(25);
    await e.engine.idle();
    expect(await sql(db.url, `SELECT count(*)::int AS n FROM orders WHERE tenant_id = 'g' AND idempotency_key LIKE 'g-%'`)).toEqual([{ n: 30 }]);
  });

  it('a journal record the database refuses (a volume its check forbids) is logged and skipped; the others are stored', async () => {
    const journalDir = fs.mkdtempSync(path.join(os.tmpdir(), 'plan2-replay-'));
    const e = engine('n1', { journalDir });
    await e.engine.bookOf('g', 'paper');
    const order = (tenantId: string, key: string, volume = 0.01) => ({
      id: `o_${key}`, tenantId, accountId: 'paper', idempotencyKey: key, decisionId: null, symbol: 'EURUSD', side: 'buy', type: 'market', volume,
      price: null, sl: null, tp: null, trailing: null, positionId: null, status: 'new', filledVolume: 0, avgPrice: null, brokerOrder: null, reason: null,
      comment: null, origin: 'client', risk: null, history: [{ status: 'new', at: 1 }], createdAt: 1, updatedAt: 1, expiresAt: null,
    });
    fs.writeFileSync(
      path.join(journalDir, 'intake-99999999.jsonl'),
      [insertParams(order('g', 'lost-1', 0) as Order, 'h'), insertParams(order('g', 'replayed-1') as Order, 'h')].map((r) => JSON.stringify(r)).join('\n') + '\n',
    );
    expect(await e.intake.replayJournals()).toBe(2);
    expect(await sql(db.url, `SELECT id, status FROM orders WHERE idempotency_key IN ('lost-1', 'replayed-1')`)).toEqual([{ id: 'o_replayed-1', status: 'new' }]);
    expect(fs.existsSync(path.join(journalDir, 'intake-99999999.jsonl'))).toBe(false);
  });

  /** What a process that died leaves in its journal: acknowledged paper orders of `tenantId`, by name. */
  const deadJournal = (dir: string, tenantId: string, keys: string[]) => {
    const records: JournalOrder[] = keys.map((k) => {
      const hash = requestHash(BUY, undefined);
      const order = newOrderOf({ id: `o_${k}`, tenantId, accountId: 'paper', idempotencyKey: k, requestHash: hash, decisionId: null, symbol: 'EURUSD', side: 'buy', type: 'market', volume: 0.01,
        price: null, sl: null, tp: null, trailing: null, positionId: null, comment: null, origin: 'client', risk: null, createdAt: Date.now(), expiresAt: null });
      return { v: 1, requestHash: hash, order };
    });
    fs.writeFileSync(path.join(dir, 'intake-99999998.jsonl'), records.map((r) => JSON.stringify(r)).join('\n') + '\n');
  };

  it('acknowledged orders of a tenant another node owns now are handed to the owner on replay: stored and filled once, there', async () => {
    const journalDir = fs.mkdtempSync(path.join(os.tmpdir(), 'plan2-handover-'));
    const owner = engine('owner-h');
    await owned(owner, 'h', 'warm-h');
    const other = engine('other-h', { journalDir, handOver: (order, hash) => owner.engine.adopt(order, hash) });
    deadJournal(journalDir, 'h', ['ho-1', 'ho-2', 'warm-h']); // the last: a key the owner already used
    expect(await other.intake.replayJournals()).toBe(3);
    expect(other.intake.stats.handedOver).toBe(3);
    await owner.engine.idle();
    const rows = await sql<{ id: string; status: string }>(db.url, `SELECT id, status FROM orders WHERE tenant_id = 'h' AND idempotency_key IN ('ho-1', 'ho-2') ORDER BY id`);
    expect(rows).toEqual([{ id: 'o_ho-1', status: 'filled' }, { id: 'o_ho-2', status: 'filled' }]);
    expect(await sql(db.url, `SELECT count(*)::int AS n FROM fills WHERE order_id IN ('o_ho-1', 'o_ho-2')`)).toEqual([{ n: 2 }]);
    expect(await sql(db.url, `SELECT count(*)::int AS n FROM orders WHERE id = 'o_warm-h'`)).toEqual([{ n: 0 }]); // the key's first order stands
    expect(fs.readdirSync(journalDir).filter((f) => f.includes('99999998') || f.includes('orphan'))).toEqual([]);
  });

  it('an owner that cannot take them now: the orders are set aside, not dropped, and stored once a node can (here, after the owner left)', async () => {
    const journalDir = fs.mkdtempSync(path.join(os.tmpdir(), 'plan2-kept-'));
    const owner = engine('owner-i');
    await owned(owner, 'i', 'warm-i');
    // What the broker answers when the owner's node is not reachable (404, but not the owner's verdict on the order).
    const other = engine('other-i', {
      journalDir,
      handOver: async () => {
        throw Object.assign(new Error('Service trading.adopt is not available on owner-i'), { code: 404, type: 'SERVICE_NOT_FOUND', retryable: true });
      },
    });
    deadJournal(journalDir, 'i', ['kept-1']);
    expect(await other.intake.replayJournals()).toBe(0);
    expect(other.intake.stats.setAside).toBe(1);
    expect(other.intake.pendingReplay()).toBe(true);
    expect(await sql(db.url, `SELECT count(*)::int AS n FROM orders WHERE idempotency_key = 'kept-1'`)).toEqual([{ n: 0 }]);
    // A replay while running: set aside again while the owner still cannot take it.
    expect(await other.engine.replayKept()).toBe(0);
    expect(other.intake.stats.setAside).toBe(2);
    // The owner leaves; the next replay stores it here and routes it here.
    await owner.close();
    open.splice(open.indexOf(owner), 1);
    expect(await other.engine.replayKept()).toBe(1);
    expect(other.intake.pendingReplay()).toBe(false);
    await other.engine.idle();
    expect(await sql(db.url, `SELECT id, status FROM orders WHERE idempotency_key = 'kept-1'`)).toEqual([{ id: 'o_kept-1', status: 'filled' }]);
    expect(await sql(db.url, `SELECT count(*)::int AS n FROM fills WHERE order_id = 'o_kept-1'`)).toEqual([{ n: 1 }]);
  });

  it('a write whose session failed, when another node has taken the tenant meanwhile, is handed to that node: stored there once, not dropped', async () => {
    const owner = engine('owner-j');
    await owned(owner, 'j', 'warm-j');
    const other = engine('other-j', { handOver: (order, hash) => owner.engine.adopt(order, hash) });
    // What the node whose session failed does with each acknowledged write it cannot confirm
    // (called directly: the moment the tenant changes hands between the failure and the retry is not reproducible).
    const order = newOrderOf({ id: 'o_rec-1', tenantId: 'j', accountId: 'paper', idempotencyKey: 'rec-1', requestHash: requestHash(BUY, undefined), decisionId: null, symbol: 'EURUSD', side: 'buy', type: 'market',
      volume: 0.01, price: null, sl: null, tp: null, trailing: null, positionId: null, comment: null, origin: 'client', risk: null, createdAt: Date.now(), expiresAt: null });
    const reconcile = (other.intake as unknown as { reconcile(o: Order, h: string): Promise<Order | null> }).reconcile.bind(other.intake);
    await expect(reconcile(order, requestHash(BUY, undefined))).resolves.toBeNull(); // not this node's order any more
    expect(other.intake.stats.handedOver).toBe(1);
    await owner.engine.idle();
    expect(await sql(db.url, `SELECT id, status FROM orders WHERE idempotency_key = 'rec-1'`)).toEqual([{ id: 'o_rec-1', status: 'filled' }]);
    // Asked again (a second failure of the same write): found by its key, stored once.
    await expect(reconcile(order, requestHash(BUY, undefined))).resolves.toMatchObject({ id: 'o_rec-1' });
    expect(await sql(db.url, `SELECT count(*)::int AS n FROM orders WHERE idempotency_key = 'rec-1'`)).toEqual([{ n: 1 }]);
  });
});
