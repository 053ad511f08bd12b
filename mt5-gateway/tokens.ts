/**
 * Terminal tokens: the secret an EA sends in `hello`. Bound to a tenant, and
 * optionally to one MT5 account (login + server). Only a SHA-256 hash is stored;
 * the token itself is shown once, when it is created.
 */
import { createHash, randomBytes } from 'node:crypto';
import { DomainError, NotFoundError } from '../lib/errors';
import { maybeOne, Queryable } from '../lib/storage/db';

export const TOKEN_PREFIX = 'p2mt5_';

export interface Mt5TokenInfo {
  id: string;
  tenantId: string;
  label: string;
  /** Set when the token accepts only this account. */
  login: string | null;
  server: string | null;
  createdAt: number;
  lastUsedAt: number | null;
  revokedAt: number | null;
}

export interface CreatedMt5Token {
  id: string;
  tenantId: string;
  label: string;
  /** The secret; never stored, shown once. */
  token: string;
  login: string | null;
  server: string | null;
}

/** SHA-256 hex of a token (what the table stores). */
export function hashMt5Token(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/**
 * Create a terminal token for `tenantId`. With `bind`, the token accepts only
 * that MT5 account. Throws NotFoundError when the tenant does not exist.
 */
export async function createMt5Token(db: Queryable, tenantId: string, label = 'default', bind?: { login: string; server: string }): Promise<CreatedMt5Token> {
  if (bind && (!/^\d{1,20}$/.test(bind.login) || !bind.server)) throw new DomainError('BAD_ACCOUNT', 'login must be digits and server non-empty', 422);
  const tenant = await maybeOne<{ id: string }>(db, 'SELECT id FROM tenants WHERE id = $1', [tenantId]);
  if (!tenant) throw new NotFoundError('tenant', tenantId);
  const token = TOKEN_PREFIX + randomBytes(24).toString('base64url');
  const id = 'mt5k_' + randomBytes(6).toString('hex');
  await db.query('INSERT INTO mt5_tokens (id, tenant_id, label, token_hash, login, server) VALUES ($1, $2, $3, $4, $5, $6)', [
    id,
    tenantId,
    label,
    hashMt5Token(token),
    bind?.login ?? null,
    bind?.server ?? null,
  ]);
  return { id, tenantId, label, token, login: bind?.login ?? null, server: bind?.server ?? null };
}

interface TokenRow {
  id: string;
  tenant_id: string;
  label: string;
  login: string | null;
  server: string | null;
  created_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

function toInfo(r: TokenRow): Mt5TokenInfo {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    label: r.label,
    login: r.login,
    server: r.server,
    createdAt: r.created_at.getTime(),
    lastUsedAt: r.last_used_at?.getTime() ?? null,
    revokedAt: r.revoked_at?.getTime() ?? null,
  };
}

/** The live token matching `token` (not revoked, tenant not disabled), or null. Marks it used. */
export async function verifyMt5Token(db: Queryable, token: string): Promise<Mt5TokenInfo | null> {
  if (!token.startsWith(TOKEN_PREFIX) || token.length > 128) return null;
  const row = await maybeOne<TokenRow>(
    db,
    `UPDATE mt5_tokens k SET last_used_at = now()
       FROM tenants t
      WHERE k.token_hash = $1 AND k.revoked_at IS NULL AND t.id = k.tenant_id AND t.disabled_at IS NULL
      RETURNING k.id, k.tenant_id, k.label, k.login, k.server, k.created_at, k.last_used_at, k.revoked_at`,
    [hashMt5Token(token)],
  );
  return row ? toInfo(row) : null;
}

/** Tokens of a tenant (never the secrets), newest first. */
export async function listMt5Tokens(db: Queryable, tenantId: string): Promise<Mt5TokenInfo[]> {
  const rows = await db.query<TokenRow>('SELECT id, tenant_id, label, login, server, created_at, last_used_at, revoked_at FROM mt5_tokens WHERE tenant_id = $1 ORDER BY created_at DESC, id', [tenantId]);
  return rows.map(toInfo);
}

/** Revoke a token of a tenant; false when no live token had that id. */
export async function revokeMt5Token(db: Queryable, tenantId: string, id: string): Promise<boolean> {
  const rows = await db.query('UPDATE mt5_tokens SET revoked_at = now() WHERE tenant_id = $1 AND id = $2 AND revoked_at IS NULL RETURNING id', [tenantId, id]);
  return rows.length > 0;
}
