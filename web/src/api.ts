/**
 * REST client of the dashboard. Every call carries the API key. Which routes the
 * server offers is read from `/api/openapi.json`, so a page asks only for what
 * exists (no 404 noise while a service is not deployed) and lights up when it is:
 * the route list is refreshed every `ROUTES_TTL_MS`.
 */

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const ROUTES_TTL_MS = 15_000;

export class Api {
  private routes: Set<string> | null = null;
  private routesAt = 0;
  private routesLoading: Promise<Set<string>> | null = null;

  constructor(
    readonly key: string,
    readonly base = '',
  ) {}

  /** GET `path` (with a query built from `q`, undefined values left out) as JSON. */
  async get<T>(path: string, q: Record<string, string | number | undefined> = {}): Promise<T> {
    const qs = Object.entries(q)
      .filter(([, v]) => v !== undefined && v !== '')
      .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`)
      .join('&');
    const r = await fetch(`${this.base}/api/v1${path}${qs ? '?' + qs : ''}`, { headers: { authorization: `Bearer ${this.key}` } });
    const text = await r.text();
    let body: unknown = null;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      body = text;
    }
    if (!r.ok) {
      const e = (body as { error?: { code?: string; message?: string } } | null)?.error;
      throw new ApiError(r.status, e?.code ?? 'HTTP_' + r.status, e?.message ?? r.statusText);
    }
    return body as T;
  }

  /** Route templates offered by the server, as `GET /api/v1/decisions/{}`. */
  async routeSet(force = false): Promise<Set<string>> {
    if (this.routes && !force && performance.now() - this.routesAt < ROUTES_TTL_MS) return this.routes;
    this.routesLoading ??= (async () => {
      try {
        const r = await fetch(`${this.base}/api/openapi.json`);
        const doc = (await r.json()) as { paths?: Record<string, Record<string, unknown>> };
        const set = new Set<string>();
        for (const [p, ops] of Object.entries(doc.paths ?? {})) {
          for (const m of Object.keys(ops)) set.add(`${m.toUpperCase()} ${normalise(p)}`);
        }
        this.routes = set;
        this.routesAt = performance.now();
        return set;
      } finally {
        this.routesLoading = null;
      }
    })();
    return this.routesLoading;
  }

  /** Whether the server has `GET /api/v1<path>` (path params written `:name`). */
  async has(path: string, method = 'GET'): Promise<boolean> {
    return (await this.routeSet()).has(`${method} ${normalise('/api/v1' + path)}`);
  }
}

/** `/a/:id/b` and `/a/{id}/b` → `/a/{}/b`. */
function normalise(p: string): string {
  return p.replace(/\{[^}]+\}|:[A-Za-z_][A-Za-z0-9_]*/g, '{}').replace(/\/+$/, '');
}
