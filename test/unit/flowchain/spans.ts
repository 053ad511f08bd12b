/** Builders for span records in FlowChain unit tests. */
import type { SpanRecord } from '../../../types/flowchain';

/**
 * A span record: `op` decides the kind — `name@service` is an event, `GET /x` an
 * HTTP request, `svc.action` an action, anything else a custom span.
 */
export function sp(id: string, parentId: string | null, op: string, start: number, duration: number, extra: Partial<SpanRecord> = {}): SpanRecord {
  const base: SpanRecord = {
    id,
    traceId: extra.traceId ?? 'T1',
    parentId,
    kind: 'custom',
    name: op,
    op,
    service: null,
    node: 'n1',
    tenantId: null,
    start,
    duration,
    error: null,
  };
  if (op.includes('@')) {
    const [event, service] = op.split('@');
    Object.assign(base, { kind: 'event', event, service, name: `event '${event}' in '${service}'` });
  } else if (/^(GET|POST|PUT|DELETE|PATCH) /.test(op)) {
    Object.assign(base, { kind: 'http', action: 'api.rest', service: 'api', name: op });
  } else if (op.includes('.')) {
    Object.assign(base, { kind: 'action', action: op, service: op.slice(0, op.lastIndexOf('.')), name: `action '${op}'` });
  }
  return { ...base, ...extra };
}

/** A deterministic pseudo-random generator (LCG) for test data. */
export function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}
