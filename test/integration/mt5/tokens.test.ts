import { setConfig } from '../../../config';
import { main } from '../../../cli/plan2';
import { closeDb, getMigratedDb } from '../../../lib/storage/connect';
import { createMt5Token, hashMt5Token, listMt5Tokens, revokeMt5Token, verifyMt5Token } from '../../../mt5-gateway/tokens';
import { createTestDatabase, TestDatabase, testConfig } from '../../helpers/infra';

async function capture(fn: () => Promise<number>): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const o = jest.spyOn(process.stdout, 'write').mockImplementation((s: any) => (out.push(String(s)), true));
  const e = jest.spyOn(process.stderr, 'write').mockImplementation((s: any) => (err.push(String(s)), true));
  try {
    const code = await fn();
    return { code, out: out.join(''), err: err.join('') };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

describe('MT5 terminal tokens', () => {
  let tdb: TestDatabase;
  beforeAll(async () => {
    tdb = await createTestDatabase('mt5tok');
    setConfig(testConfig({ DATABASE_URL: tdb.url }));
    const db = await getMigratedDb(testConfig({ DATABASE_URL: tdb.url }));
    await db.query("INSERT INTO tenants (id, name) VALUES ('t_a', 'A'), ('t_b', 'B')");
  });
  afterAll(async () => {
    await closeDb();
    await tdb.drop();
  });

  it('stores only a hash, verifies, binds to an account, revokes, and refuses disabled tenants', async () => {
    const db = await getMigratedDb(testConfig({ DATABASE_URL: tdb.url }));
    const t = await createMt5Token(db, 't_a', 'terminal 1');
    expect(t.token).toMatch(/^p2mt5_[A-Za-z0-9_-]{32}$/);
    const raw = await db.query<{ token_hash: string }>('SELECT token_hash FROM mt5_tokens WHERE id = $1', [t.id]);
    expect(raw[0].token_hash).toBe(hashMt5Token(t.token));
    expect(JSON.stringify(raw)).not.toContain(t.token);
    expect(await verifyMt5Token(db, t.token)).toMatchObject({ id: t.id, tenantId: 't_a', login: null });
    expect(await verifyMt5Token(db, t.token + 'x')).toBeNull();
    expect(await verifyMt5Token(db, 'garbage')).toBeNull();
    const bound = await createMt5Token(db, 't_a', 'bound', { login: '51234567', server: 'MetaQuotes-Demo' });
    expect(await verifyMt5Token(db, bound.token)).toMatchObject({ login: '51234567', server: 'MetaQuotes-Demo' });
    expect((await listMt5Tokens(db, 't_a')).map((x) => x.id).sort()).toEqual([t.id, bound.id].sort());
    expect(await listMt5Tokens(db, 't_b')).toEqual([]);
    expect(await revokeMt5Token(db, 't_b', t.id)).toBe(false);
    expect(await revokeMt5Token(db, 't_a', t.id)).toBe(true);
    expect(await verifyMt5Token(db, t.token)).toBeNull();
    await db.query("UPDATE tenants SET disabled_at = now() WHERE id = 't_a'");
    expect(await verifyMt5Token(db, bound.token)).toBeNull();
    await db.query("UPDATE tenants SET disabled_at = NULL WHERE id = 't_a'");
    await expect(createMt5Token(db, 'nope')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('plan2 mt5 token create prints the token once; list and revoke work', async () => {
    const created = await capture(() => main(['mt5', 'token', 'create', '--tenant', 't_b', '--label', 'cli']));
    expect(created.code).toBe(0);
    const token = created.out.trim();
    expect(token).toMatch(/^p2mt5_/);
    expect(created.err).toContain('shown once');
    const db = await getMigratedDb(testConfig({ DATABASE_URL: tdb.url }));
    const info = await verifyMt5Token(db, token);
    expect(info).toMatchObject({ tenantId: 't_b', label: 'cli' });
    const listed = await capture(() => main(['mt5', 'token', 'list', '--tenant', 't_b', '--json']));
    expect(JSON.parse(listed.out)).toEqual([expect.objectContaining({ id: info!.id, label: 'cli' })]);
    expect(listed.out).not.toContain(token);
    const revoked = await capture(() => main(['mt5', 'token', 'revoke', '--tenant', 't_b', '--id', info!.id]));
    expect(revoked.code).toBe(0);
    expect((await capture(() => main(['mt5', 'token', 'create']))).code).toBe(2);
    expect((await capture(() => main(['mt5', 'token', 'create', '--tenant', 't_b', '--login', '5']))).code).toBe(2);
    expect((await capture(() => main(['mt5', 'token', 'create', '--tenant', 'missing']))).code).toBe(2);
  });
});
