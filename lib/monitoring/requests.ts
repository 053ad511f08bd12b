/**
 * API requests per tenant, from tracing spans (the `flowchain.spans` batches).
 *
 * An HTTP request is the span moleculer-web opens for the route (`kind:
 * 'http'`); it starts before authentication, so its tenant comes from the
 * first span below it that carries `meta.tenantId` (the action the route
 * called). Children finish first, so they arrive in the same batch or an
 * earlier one; the last `memory` child→tenant links are kept for that.
 */
import type { SpanBatch, SpanRecord } from '../../types/flowchain';

export type RequestStatus = 'ok' | 'client_error' | 'rate_limited' | 'server_error';

export interface ApiRequest {
  tenantId: string;
  /** Start, ms since epoch (wall clock of the node). */
  start: number;
  durationMs: number;
  status: RequestStatus;
  op: string;
}

function statusOf(s: SpanRecord): RequestStatus {
  if (!s.error) return 'ok';
  const c = s.error.code;
  if (c === 429) return 'rate_limited';
  if (typeof c === 'number' && c >= 400 && c < 500) return 'client_error';
  return 'server_error';
}

export class RequestAttributor {
  /** parent span id → tenant, for spans that carried a tenant. */
  private readonly parentTenant = new Map<string, string>();

  constructor(private readonly memory = 20_000) {}

  /** The tenant requests finished in this batch (requests of no tenant — unauthenticated — are left out). */
  take(batch: SpanBatch): ApiRequest[] {
    for (const s of batch.spans) {
      if (s.kind !== 'http' && s.tenantId && s.parentId && !this.parentTenant.has(s.parentId)) {
        this.parentTenant.set(s.parentId, s.tenantId);
        if (this.parentTenant.size > this.memory) this.parentTenant.delete(this.parentTenant.keys().next().value as string);
      }
    }
    const out: ApiRequest[] = [];
    for (const s of batch.spans) {
      if (s.kind !== 'http') continue;
      const tenantId = s.tenantId ?? this.parentTenant.get(s.id);
      this.parentTenant.delete(s.id);
      if (!tenantId) continue;
      out.push({ tenantId, start: s.start, durationMs: s.duration, status: statusOf(s), op: s.op });
    }
    return out;
  }
}

/** Nearest-rank quantile of a copy (q ∈ [0,1]); null when empty. */
export function quantileOf(xs: readonly number[], q: number): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
}
