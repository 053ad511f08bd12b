/**
 * Tenants, API keys and the audit log over the `Db` port. Used by the `users`
 * service and directly by the CLI (which may run with no broker).
 *
 * API keys look like `p2k_<id>_<secret>`: `id` (12 hex) finds the row, only
 * sha256(secret) is stored, and the comparison is constant-time. A key is shown
 * once, at creation. Every write is one transaction with its audit entry.
 */
import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { DomainError, NotFoundError } from '../../lib/errors';
import { isTier, Tier } from '../../lib/billing/tiers';
import { Db, maybeOne, Queryable } from '../../lib/storage/db';

export interface Tenant {
  id: string;
  name: string;
  tier: Tier;
  createdAt: number;
}

export interface ApiKeyInfo {
  id: string;
  tenantId: string;
  name: string;
  role: 'tenant' | 'admin';
  createdAt: number;
  lastUsedAt: number | null;
  revokedAt: number | null;
}

export interface AuthResult {
  tenantId: string;
  tier: Tier;
  role: 'tenant' | 'admin';
  keyId: string;
}

const KEY_RE = /^p2k_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/;

function sha256(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}

function ms(d: unknown): number | null {
  return d == null ? null : new Date(d as string).getTime();
}

export async function audit(q: Queryable, tenantId: string | null, actor: string, action: string, data: Record<string, unknown> = {}): Promise<void> {
  await q.query('INSERT INTO audit_log (tenant_id, actor, action, data) VALUES ($1, $2, $3, $4)', [tenantId, actor, action, JSON.stringify(data)]);
}

export async function createTenant(db: Db, name: string, tier: Tier = 'free', actor = 'system'): Promise<Tenant> {
  if (!name.trim()) throw new DomainError('VALIDATION_ERROR', 'tenant name must not be empty', 422);
  if (!isTier(tier)) throw new DomainError('VALIDATION_ERROR', `tier must be free, pro or enterprise, got ${String(tier)}`, 422);
  const id = 't_' + randomUUID().replace(/-/g, '').slice(0, 16);
  return db.transaction(async (tx) => {
    const [row] = await tx.query<{ created_at: Date }>('INSERT INTO tenants (id, name, tier) VALUES ($1, $2, $3) RETURNING created_at', [id, name.trim(), tier]);
    await audit(tx, id, actor, 'tenant.created', { name: name.trim(), tier });
    return { id, name: name.trim(), tier, createdAt: ms(row.created_at)! };
  });
}

export async function getTenant(db: Queryable, id: string): Promise<Tenant> {
  const r = await maybeOne<{ id: string; name: string; tier: Tier; created_at: Date }>(db, 'SELECT id, name, tier, created_at FROM tenants WHERE id = $1 AND disabled_at IS NULL', [id]);
  if (!r) throw new NotFoundError('tenant', id);
  return { id: r.id, name: r.name, tier: r.tier, createdAt: ms(r.created_at)! };
}

export async function listTenants(db: Queryable): Promise<Tenant[]> {
  const rows = await db.query<{ id: string; name: string; tier: Tier; created_at: Date }>('SELECT id, name, tier, created_at FROM tenants WHERE disabled_at IS NULL ORDER BY created_at, id');
  return rows.map((r) => ({ id: r.id, name: r.name, tier: r.tier, createdAt: ms(r.created_at)! }));
}

export async function setTenantTier(db: Db, id: string, tier: Tier, actor: string): Promise<Tenant> {
  if (!isTier(tier)) throw new DomainError('VALIDATION_ERROR', `unknown tier ${String(tier)}`, 422);
  return db.transaction(async (tx) => {
    const rows = await tx.query('UPDATE tenants SET tier = $2 WHERE id = $1 AND disabled_at IS NULL RETURNING id', [id, tier]);
    if (rows.length === 0) throw new NotFoundError('tenant', id);
    await audit(tx, id, actor, 'tenant.tier_changed', { tier });
    return getTenant(tx, id);
  });
}

/** Create a key; the plaintext `key` is returned only here. */
export async function createApiKey(db: Db, tenantId: string, name = 'default', role: 'tenant' | 'admin' = 'tenant', actor = 'system'): Promise<{ key: string; info: ApiKeyInfo }> {
  const id = randomBytes(6).toString('hex');
  const secret = randomBytes(32).toString('base64url');
  const key = `p2k_${id}_${secret}`;
  return db.transaction(async (tx) => {
    await getTenant(tx, tenantId);
    const [row] = await tx.query<{ created_at: Date }>('INSERT INTO api_keys (id, tenant_id, name, role, secret_hash) VALUES ($1, $2, $3, $4, $5) RETURNING created_at', [id, tenantId, name, role, sha256(secret)]);
    await audit(tx, tenantId, actor, 'api_key.created', { keyId: id, name, role });
    return { key, info: { id, tenantId, name, role, createdAt: ms(row.created_at)!, lastUsedAt: null, revokedAt: null } };
  });
}

type KeyRow = { id: string; tenant_id: string; name: string; role: 'tenant' | 'admin'; created_at: Date; last_used_at: Date | null; revoked_at: Date | null };
const toInfo = (r: KeyRow): ApiKeyInfo => ({ id: r.id, tenantId: r.tenant_id, name: r.name, role: r.role, createdAt: ms(r.created_at)!, lastUsedAt: ms(r.last_used_at), revokedAt: ms(r.revoked_at) });

export async function listApiKeys(db: Queryable, tenantId: string): Promise<ApiKeyInfo[]> {
  const rows = await db.query<KeyRow>('SELECT id, tenant_id, name, role, created_at, last_used_at, revoked_at FROM api_keys WHERE tenant_id = $1 ORDER BY created_at, id', [tenantId]);
  return rows.map(toInfo);
}

/** A key of this tenant; another tenant's key is "not found", never revealed. */
export async function getApiKey(db: Queryable, tenantId: string, id: string): Promise<ApiKeyInfo> {
  const r = await maybeOne<KeyRow>(db, 'SELECT id, tenant_id, name, role, created_at, last_used_at, revoked_at FROM api_keys WHERE tenant_id = $1 AND id = $2', [tenantId, id]);
  if (!r) throw new NotFoundError('api key', id);
  return toInfo(r);
}

export async function revokeApiKey(db: Db, tenantId: string, id: string, actor: string): Promise<ApiKeyInfo> {
  return db.transaction(async (tx) => {
    const rows = await tx.query('UPDATE api_keys SET revoked_at = coalesce(revoked_at, now()) WHERE tenant_id = $1 AND id = $2 RETURNING id', [tenantId, id]);
    if (rows.length === 0) throw new NotFoundError('api key', id);
    await audit(tx, tenantId, actor, 'api_key.revoked', { keyId: id });
    return getApiKey(tx, tenantId, id);
  });
}

/** Verify a presented key; null when malformed, unknown, revoked or its tenant is disabled. */
export async function verifyApiKey(db: Queryable, key: string): Promise<AuthResult | null> {
  const m = KEY_RE.exec(key);
  if (!m) return null;
  const r = await maybeOne<{ id: string; tenant_id: string; role: 'tenant' | 'admin'; secret_hash: string; revoked_at: Date | null; tier: Tier; disabled_at: Date | null }>(
    db,
    'SELECT k.id, k.tenant_id, k.role, k.secret_hash, k.revoked_at, t.tier, t.disabled_at FROM api_keys k JOIN tenants t ON t.id = k.tenant_id WHERE k.id = $1',
    [m[1]],
  );
  if (!r || r.revoked_at || r.disabled_at) return null;
  const a = Buffer.from(sha256(m[2]), 'hex');
  const b = Buffer.from(r.secret_hash, 'hex');
  if (a.length !== b.length || !timingSafeEqual(a, b)) return null;
  return { tenantId: r.tenant_id, tier: r.tier, role: r.role, keyId: r.id };
}

export async function touchApiKey(db: Queryable, keyId: string): Promise<void> {
  await db.query("UPDATE api_keys SET last_used_at = now() WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')", [keyId]);
}
