/** Reading the tenant from `ctx.meta` (set by `api` or the MT5 gateway session). */
import { Context, Errors } from 'moleculer';
import type { TenantMeta } from '../types/meta';

/** The calling tenant's id; 401 when the call carries no tenant. */
export function tenantOf(ctx: Context<unknown, Partial<TenantMeta>>): string {
  const t = ctx.meta?.tenantId;
  if (!t) throw new Errors.MoleculerClientError('This call needs an authenticated tenant', 401, 'UNAUTHENTICATED');
  return t;
}

export function isAdmin(ctx: Context<unknown, Partial<TenantMeta>>): boolean {
  return ctx.meta?.role === 'admin';
}

/** 403 unless the caller holds an operator (admin) key. */
export function requireAdmin(ctx: Context<unknown, Partial<TenantMeta>>): void {
  tenantOf(ctx);
  if (!isAdmin(ctx)) throw new Errors.MoleculerClientError('This call needs an operator (admin) key', 403, 'FORBIDDEN');
}
