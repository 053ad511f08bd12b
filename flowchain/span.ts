/**
 * Turns a Moleculer tracing span (the live object an exporter receives, or the
 * plain copy the Event exporter emits on `$tracing.spans`) into a compact
 * `SpanRecord`. Pure: depends on the span's documented shape, not on moleculer.
 *
 * What is kept: ids, kind, operation name, service, node, `meta.tenantId`,
 * timing, error (name/message/code/type, `data` truncated), the sampling tag,
 * and the remaining *scalar* tags a service added itself. Params and meta
 * beyond `tenantId` never reach FlowChain (they are not span tags to begin
 * with, see moleculer.config.ts), and any `params.*` tag other than the HTTP
 * method and path is dropped here as well.
 */
import type { SpanError, SpanRecord } from '../types/flowchain';

/** The parts of a Moleculer span FlowChain reads (live `Span` or its `$tracing.spans` copy). */
export interface SpanLike {
  id: string;
  traceID: string;
  parentID?: string | null;
  name: string;
  type?: string;
  service?: { name?: string; fullName?: string; version?: string | number } | null;
  startTime: number | null;
  finishTime?: number | null;
  duration?: number | null;
  error?: unknown;
  tags?: Record<string, unknown> | null;
}

const ERROR_DATA_MAX = 1024;
const TAGS_MAX = 24;
const TAG_STRING_MAX = 200;

/** Tag keys FlowChain reads into dedicated fields or deliberately drops (noise, ids, options). */
const SKIP_TAGS = new Set([
  'action.name',
  'action.rawName',
  'event.name',
  'event.group',
  'eventName',
  'eventType',
  'callingLevel',
  'remoteCall',
  'callerNodeID',
  'nodeID',
  'requestID',
  'fromCache',
  'meta.tenantId',
  'sampling.rate',
  'sampling.rule',
]);

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function get(obj: Record<string, unknown> | null | undefined, path: string): unknown {
  let cur: unknown = obj;
  for (const k of path.split('.')) {
    if (!isPlainObject(cur)) return undefined;
    cur = cur[k];
  }
  return cur;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}

/**
 * An HTTP path with the query dropped and id-like segments replaced by `:id`, so
 * `GET /api/v1/orders/8f3e…?x=1` and the next order's request are one operation.
 */
export function normalizePath(url: string): string {
  const q = url.indexOf('?');
  const p = q >= 0 ? url.slice(0, q) : url;
  return p
    .split('/')
    .map((seg) => (/^\d+$/.test(seg) || /^[0-9a-f-]{16,}$/i.test(seg) || (seg.length >= 12 && /\d/.test(seg)) ? ':id' : seg))
    .join('/');
}

/** Top-level tags Moleculer sets itself: read into fields or dropped, never copied. */
const KNOWN_TOP = new Set(['callingLevel', 'action', 'remoteCall', 'callerNodeID', 'nodeID', 'options', 'requestID', 'meta', 'params', 'fromCache', 'event', 'eventName', 'eventType', 'sampling']);

function flatten(obj: Record<string, unknown>, prefix: string, out: Record<string, string | number | boolean>): void {
  for (const k in obj) {
    if (prefix === '' && KNOWN_TOP.has(k)) continue;
    if (Object.keys(out).length >= TAGS_MAX) return;
    const v = obj[k];
    const key = prefix ? `${prefix}.${k}` : k;
    if (SKIP_TAGS.has(key)) continue;
    if (isPlainObject(v)) flatten(v, key, out);
    else if (typeof v === 'string') out[key] = v.length > TAG_STRING_MAX ? v.slice(0, TAG_STRING_MAX) : v;
    else if (typeof v === 'number' && Number.isFinite(v)) out[key] = v;
    else if (typeof v === 'boolean') out[key] = v;
  }
}

/** Error fields of a span error (an Error or the Event exporter's plain copy). */
export function spanError(err: unknown): SpanError | null {
  if (err === null || err === undefined || err === false) return null;
  if (err === true) return { name: 'Error', message: 'failed' };
  if (!isPlainObject(err) && !(err instanceof Error)) return { name: 'Error', message: String(err) };
  const e = err as Record<string, unknown>;
  const out: SpanError = { name: str(e.name) ?? 'Error', message: typeof e.message === 'string' ? e.message : '' };
  if (typeof e.code === 'number' || typeof e.code === 'string') out.code = e.code;
  if (typeof e.type === 'string' && e.type) out.type = e.type;
  if (e.data !== undefined && e.data !== null) {
    let json: string | undefined;
    try {
      json = JSON.stringify(e.data);
    } catch {
      json = undefined; // circular data: leave it out rather than fail the span
    }
    if (json !== undefined) out.data = json.length <= ERROR_DATA_MAX ? (JSON.parse(json) as unknown) : { truncated: json.slice(0, ERROR_DATA_MAX) };
  }
  return out;
}

/** The compact record of a finished span. */
export function toSpanRecord(span: SpanLike): SpanRecord {
  const tags = (span.tags ?? {}) as Record<string, unknown>;
  const service = span.service ? (span.service.fullName ?? span.service.name ?? null) : null;
  const action = tags.action as { name?: unknown } | null | undefined;
  const actionName = str(action?.name);
  const eventName = str(tags.eventName) ?? str(get(tags, 'event.name'));
  const req = tags.params ? get(tags, 'params.req') : undefined;
  const method = isPlainObject(req) ? str(req.method) : undefined;
  const url = isPlainObject(req) ? str(req.url) : undefined;
  let kind: SpanRecord['kind'];
  let op: string;
  if (span.type === 'action' && method && url) {
    kind = 'http';
    op = `${method} ${normalizePath(url)}`;
  } else if (span.type === 'action' && actionName) {
    kind = 'action';
    op = actionName;
  } else if (span.type === 'event' && eventName) {
    kind = 'event';
    op = `${eventName}@${service ?? '?'}`;
  } else {
    kind = 'custom';
    op = span.name;
  }
  const start = span.startTime ?? 0;
  const duration = span.duration ?? (span.finishTime != null ? span.finishTime - start : 0);
  const rec: SpanRecord = {
    id: span.id,
    traceId: span.traceID,
    parentId: span.parentID ?? null,
    kind,
    name: span.name,
    op,
    service,
    node: str(tags.nodeID) ?? null,
    tenantId: str((tags.meta as { tenantId?: unknown } | null | undefined)?.tenantId) ?? null,
    start,
    duration: Math.max(0, duration),
    error: spanError(span.error),
  };
  if (actionName) rec.action = actionName;
  if (eventName) rec.event = eventName;
  const rate = (tags.sampling as { rate?: unknown } | null | undefined)?.rate;
  if (typeof rate === 'number' && rate > 0 && rate <= 1) rec.sampleRate = rate;
  const rest: Record<string, string | number | boolean> = {};
  flatten(tags, '', rest);
  if (Object.keys(rest).length > 0) rec.tags = rest;
  return rec;
}

/** True for a plausible SpanRecord (what arrives over the transporter is checked before use). */
export function isSpanRecord(v: unknown): v is SpanRecord {
  if (!isPlainObject(v)) return false;
  return (
    typeof v.id === 'string' &&
    typeof v.traceId === 'string' &&
    (v.parentId === null || typeof v.parentId === 'string') &&
    typeof v.op === 'string' &&
    typeof v.kind === 'string' &&
    typeof v.start === 'number' &&
    Number.isFinite(v.start) &&
    typeof v.duration === 'number' &&
    Number.isFinite(v.duration) &&
    v.duration >= 0
  );
}
