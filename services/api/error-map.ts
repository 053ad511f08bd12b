/**
 * The one place that maps an error to an HTTP status and body
 * `{error: {code, message, data}}`. Business rejections keep their 4xx and
 * code; infrastructure trouble (unreachable service, timeout, database down)
 * is 503; anything else is a 500 that names its type without leaking internals.
 */
export interface HttpError {
  status: number;
  body: { error: { code: string; message: string; data?: unknown } };
  headers?: Record<string, string>;
}

interface AnyErr {
  name?: string;
  message?: string;
  code?: number | string;
  type?: string;
  status?: number;
  data?: unknown;
  retryable?: boolean;
}

const INFRA_TYPES = new Set(['SERVICE_NOT_FOUND', 'SERVICE_NOT_AVAILABLE', 'REQUEST_TIMEOUT', 'REQUEST_SKIPPED', 'REQUEST_REJECTED', 'QUEUE_FULL', 'SERVICE_UNAVAILABLE', 'CIRCUIT_BREAKER_OPEN', 'GRACEFUL_STOP_TIMEOUT']);

function body(code: string, message: string, data?: unknown): HttpError['body'] {
  return data === undefined ? { error: { code, message } } : { error: { code, message, data } };
}

export function toHttpError(e: unknown): HttpError {
  const err = (e ?? {}) as AnyErr;
  // body-parser errors (raised before any action runs)
  if (err.type === 'entity.parse.failed') return { status: 400, body: body('BAD_JSON', 'Request body is not valid JSON') };
  if (err.type === 'entity.too.large') return { status: 413, body: body('PAYLOAD_TOO_LARGE', 'Request body is too large') };
  if (err.type === 'encoding.unsupported' || err.type === 'charset.unsupported') return { status: 415, body: body('UNSUPPORTED_MEDIA_TYPE', err.message ?? 'Unsupported body encoding') };
  const type = typeof err.type === 'string' ? err.type : undefined;
  const code = typeof err.code === 'number' ? err.code : typeof err.status === 'number' ? err.status : undefined;
  if (type === 'VALIDATION_ERROR' || err.name === 'ValidationError') {
    const fields = Array.isArray(err.data) ? (err.data as { field?: string; message?: string; type?: string }[]).map((d) => ({ field: d.field, message: d.message, type: d.type })) : err.data;
    return { status: 422, body: body('VALIDATION_ERROR', 'Parameters are invalid', fields) };
  }
  if (type && INFRA_TYPES.has(type)) {
    return { status: 503, body: body('SERVICE_UNAVAILABLE', err.message ?? 'A service is unavailable'), headers: { 'Retry-After': '1' } };
  }
  if (err.name === 'UnAuthorizedError' || code === 401) {
    const c = type && type !== 'INVALID_TOKEN' && type !== 'NO_TOKEN' ? type : 'UNAUTHENTICATED';
    const m = !err.message || err.message === 'Unauthorized' ? 'A valid API key is required (Authorization: Bearer <key> or X-API-Key)' : err.message;
    return { status: 401, body: body(c, m) };
  }
  if (err.name === 'NotFoundError' && err.message === 'Not found') return { status: 404, body: body('NOT_FOUND', 'No such route') };
  if (code !== undefined && code >= 400 && code < 500) return { status: code, body: body(type ?? 'BAD_REQUEST', err.message ?? 'Bad request', err.data) };
  if (code === 503 || code === 504 || err.retryable) return { status: 503, body: body(type ?? 'SERVICE_UNAVAILABLE', err.message ?? 'Service unavailable'), headers: { 'Retry-After': '1' } };
  return { status: 500, body: body('INTERNAL_ERROR', `Internal error (${err.name ?? 'Error'})`) };
}
