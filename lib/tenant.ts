/** The tenant of a request, from `ctx.meta` (set by `api` or the gateway session). */
import { DomainError } from './errors';
import type { TenantMeta } from '../types/meta';

/** The caller's tenant id; 401 UNAUTHENTICATED when the request carries none. */
export function requireTenant(meta: Partial<TenantMeta> | undefined | null): string {
  const t = meta?.tenantId;
  if (typeof t !== 'string' || t.length === 0) throw new DomainError('UNAUTHENTICATED', 'this action needs a tenant (ctx.meta.tenantId)', 401);
  return t;
}
