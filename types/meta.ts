/** What travels in `ctx.meta` for every tenant-scoped call (set by `api` or the MT5 gateway session). */
import type { Tier } from '../lib/billing/tiers';

export interface TenantMeta {
  tenantId: string;
  tier: Tier;
  /** 'admin' keys (operators) may see all tenants where a route allows it. */
  role: 'tenant' | 'admin';
  keyId?: string;
  userId?: string;
  /** Client's Idempotency-Key header for money-relevant writes. */
  idempotencyKey?: string;
}

/** Response controls understood by the HTTP gateway (moleculer-web). */
export interface HttpMeta {
  $statusCode?: number;
  $responseType?: string;
  $responseHeaders?: Record<string, string>;
  $location?: string;
}

/** Meta of a call that came in through REST. */
export type ApiMeta = TenantMeta & HttpMeta;
