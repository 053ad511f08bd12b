/**
 * `api`: the HTTP edge (moleculer-web) on PORT.
 *
 * - `/api/v1/*`: routes declared by services on their actions (`rest: 'GET /candles'`,
 *   service `settings.rest: '/'`), picked up automatically as nodes join.
 *   Every call is authenticated by API key (Bearer or X-API-Key) → `ctx.meta`
 *   `{tenantId, tier, role, keyId}`, rate-limited per tenant by tier, and
 *   `Idempotency-Key` is passed on as `ctx.meta.idempotencyKey`.
 * - `/webhooks/*`: unauthenticated provider callbacks (`POST /webhooks/midtrans`), signature-checked by their action.
 * - `/health` (each dependency with status and latency; 503 when a required one is
 *   down), `/metrics` (Prometheus text), `/api/openapi.json` (generated), and the
 *   dashboard's static files at `/`.
 * - One error map (./error-map.ts) for every response.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Context, ServiceSchema, ServiceSettingSchema } from 'moleculer';
import { Errors } from 'moleculer';
import ApiGateway from 'moleculer-web';
import type Redis from 'ioredis';
import type { Config } from '../../config';
import { TIER_CATALOGUE, Tier } from '../../lib/billing/tiers';
import { connectRedis } from '../../lib/storage/adapters/redis';
import { withTimeout } from '../../lib/util/timeout';
import { InlinePrometheusReporter } from '../../moleculer.config';
import { ROOT } from '../../paths';
import type { ApiMeta } from '../../types/meta';
import { toHttpError } from './error-map';
import { AliasInfo, buildOpenApi } from './openapi';
import { MemoryRateLimiter, RateLimiter, RedisRateLimiter } from './rate-limit';
import type { AuthResult } from '../users/tenants';

export interface DependencyStatus {
  name: string;
  status: 'up' | 'down';
  required: boolean;
  latencyMs: number | null;
  detail?: string;
}

interface ApiThis {
  cfg: Config;
  /** True once the node's broker has started and the REST aliases are built. */
  ready: boolean;
  routes: { opts: { autoAliases?: boolean } }[];
  regenerateAutoAliases(route: unknown): void;
  redis: Redis | null;
  limiter: RateLimiter;
  authCache: Map<string, { auth: AuthResult; exp: number }>;
  server: import('node:http').Server;
  aliases: { method: string; fullPath: string; action: string }[];
  /** Authenticated /api/v1 calls per tenant since the last `api.calls` flush (metered by subscription). */
  apiCalls: Map<string, number>;
  apiCallsTimer: NodeJS.Timeout | null;
  flushApiCalls(): Promise<void>;
}

const AUTH_TTL_MS = 10_000;
const WEB_DIST = path.join(ROOT, 'web', 'dist');

function sendHttpError(req: IncomingMessage, res: ServerResponse, err: unknown, logger?: { error(...a: unknown[]): void }): void {
  const m = toHttpError(err);
  if (m.status >= 500 && logger) logger.error('request failed', { url: req.url, error: (err as Error)?.message, name: (err as Error)?.name });
  if (res.headersSent) return;
  const retry = (err as { data?: { retryAfterSec?: number } })?.data?.retryAfterSec;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  for (const [k, v] of Object.entries(m.headers ?? {})) res.setHeader(k, v);
  if (m.status === 429 && retry) res.setHeader('Retry-After', String(retry));
  res.writeHead(m.status);
  res.end(JSON.stringify(m.body));
}

export default function createApiService(cfg: Config): ServiceSchema {
  const schema: ServiceSchema<ServiceSettingSchema & Record<string, unknown>, object, ApiThis> = {
    name: 'api',
    mixins: [ApiGateway as unknown as ServiceSchema],
    settings: {
      port: cfg.port,
      ip: cfg.host,
      debounceTime: 50,
      log4XXResponses: false,
      logRequest: 'debug',
      logResponse: 'debug',
      logRouteRegistration: 'debug',
      routes: [
        {
          name: 'v1',
          path: '/api/v1',
          authentication: true,
          authorization: true,
          autoAliases: true,
          mappingPolicy: 'restrict',
          blacklist: [/^api\./, /^\$node\./],
          bodyParsers: { json: { limit: '1mb', strict: false }, urlencoded: false },
          callOptions: { timeout: cfg.requestTimeoutMs },
          onBeforeCall(ctx: Context<unknown, ApiMeta>, _route: unknown, req: IncomingMessage) {
            const key = req.headers['idempotency-key'];
            if (typeof key === 'string' && key.length > 0) {
              if (key.length > 200) throw new Errors.MoleculerClientError('Idempotency-Key must be at most 200 characters', 400, 'BAD_IDEMPOTENCY_KEY');
              ctx.meta.idempotencyKey = key;
            }
          },
        },
        {
          // Payment providers cannot send an API key: each webhook action verifies the provider's signature itself.
          name: 'webhooks',
          path: '/webhooks',
          authentication: false,
          authorization: false,
          mappingPolicy: 'restrict',
          bodyParsers: { json: { limit: '256kb', strict: true }, urlencoded: false },
          aliases: {
            'POST /midtrans': 'payments.notify',
          },
        },
        {
          name: 'public',
          path: '/',
          authentication: false,
          mappingPolicy: 'restrict',
          bodyParsers: false,
          aliases: {
            'GET /health': 'api.health',
            'GET /metrics': 'api.metrics',
            'GET /api/openapi.json': 'api.openapi',
          },
        },
      ],
      assets: fs.existsSync(WEB_DIST) ? { folder: WEB_DIST, options: { index: 'index.html', maxAge: 0 } } : undefined,
      onError(this: { logger: { error(...a: unknown[]): void } }, req: IncomingMessage, res: ServerResponse, err: unknown) {
        sendHttpError(req, res, err, this.logger);
      },
    },
    methods: {
      /** Emit `api.calls` {counts: {tenantId: n}} for the calls counted since the last flush. */
      async flushApiCalls() {
        if (this.apiCalls.size === 0) return;
        const counts = Object.fromEntries(this.apiCalls);
        this.apiCalls.clear();
        await this.broker.emit('api.calls', { counts, at: Date.now() });
      },
      async authenticate(ctx: Context<unknown, ApiMeta>, _route: unknown, req: IncomingMessage) {
        const h = req.headers;
        const auth = typeof h.authorization === 'string' && /^bearer\s+/i.test(h.authorization) ? h.authorization.replace(/^bearer\s+/i, '').trim() : undefined;
        const key = (typeof h['x-api-key'] === 'string' ? h['x-api-key'] : undefined) ?? auth;
        if (!key) throw new ApiGateway.Errors.UnAuthorizedError(ApiGateway.Errors.ERR_NO_TOKEN, null);
        const now = Date.now();
        let hit = this.authCache.get(key);
        if (!hit || hit.exp < now) {
          const r = await ctx.call<AuthResult | null, { key: string }>('users.authenticate', { key });
          if (!r) {
            this.authCache.delete(key);
            throw new ApiGateway.Errors.UnAuthorizedError(ApiGateway.Errors.ERR_INVALID_TOKEN, null);
          }
          hit = { auth: r, exp: now + AUTH_TTL_MS };
          if (this.authCache.size > 10_000) this.authCache.clear();
          this.authCache.set(key, hit);
        }
        const a = hit.auth;
        ctx.meta.tenantId = a.tenantId;
        ctx.meta.tier = a.tier;
        ctx.meta.role = a.role;
        ctx.meta.keyId = a.keyId;
        return { tenantId: a.tenantId, keyId: a.keyId };
      },
      async authorize(ctx: Context<unknown, ApiMeta>) {
        const tier: Tier = ctx.meta.tier ?? 'free';
        this.apiCalls.set(ctx.meta.tenantId, (this.apiCalls.get(ctx.meta.tenantId) ?? 0) + 1);
        const d = await this.limiter.take(ctx.meta.tenantId, TIER_CATALOGUE[tier].requestsPerMinute);
        if (!d.allowed) {
          throw new Errors.MoleculerClientError(`Rate limit of the ${tier} tier exceeded (${TIER_CATALOGUE[tier].requestsPerMinute} requests/min)`, 429, 'RATE_LIMITED', { retryAfterSec: d.retryAfterSec, tier });
        }
        ctx.meta.$responseHeaders = { ...(ctx.meta.$responseHeaders ?? {}), 'X-RateLimit-Remaining': String(d.remaining) };
      },
    },
    actions: {
      health: {
        params: {},
        async handler(ctx: Context<unknown, ApiMeta>) {
          const deps: DependencyStatus[] = [];
          try {
            deps.push(await ctx.call<DependencyStatus, object>('storage.health', {}, { timeout: 3000 }));
          } catch (e) {
            deps.push({ name: 'database', status: 'down', required: true, latencyMs: null, detail: (e as Error).message });
          }
          if (this.cfg.redisUrl) {
            const t0 = performance.now();
            try {
              if (!this.redis) throw new Error('not connected');
              await withTimeout(this.redis.ping(), 2000, 'no answer within 2000 ms');
              deps.push({ name: 'redis', status: 'up', required: true, latencyMs: Math.round((performance.now() - t0) * 1000) / 1000 });
            } catch (e) {
              deps.push({ name: 'redis', status: 'down', required: true, latencyMs: null, detail: (e as Error).message });
            }
          }
          if (this.cfg.transporter) {
            const connected = Boolean((this.broker.transit as unknown as { connected?: boolean } | undefined)?.connected);
            deps.push({ name: 'transporter (NATS)', status: connected ? 'up' : 'down', required: true, latencyMs: null });
          }
          const nodes = this.broker.registry.getNodeList({ onlyAvailable: true, withServices: false }).length;
          const down = deps.filter((d) => d.required && d.status === 'down');
          const status = !this.ready ? 'starting' : down.length ? 'down' : 'ok';
          ctx.meta.$statusCode = status === 'ok' ? 200 : 503;
          return { status, node: this.broker.nodeID, nodes, uptimeSec: Math.round(process.uptime()), dependencies: deps, time: Date.now() };
        },
      },
      metrics: {
        params: {},
        handler(ctx: Context<unknown, ApiMeta>) {
          const reporters = ((this.broker.metrics as unknown as { reporter?: unknown[] }).reporter ?? []) as unknown[];
          const r = reporters.find((x) => x instanceof InlinePrometheusReporter) as InlinePrometheusReporter | undefined;
          ctx.meta.$responseType = 'text/plain; version=0.0.4; charset=utf-8';
          return r ? r.render() : '';
        },
      },
      openapi: {
        params: {},
        handler() {
          const actions = this.broker.registry.getActionList({}) as unknown as { name: string; action?: { params?: Record<string, never> } }[];
          const byName = new Map(actions.map((a) => [a.name, a.action?.params]));
          const aliases: AliasInfo[] = this.aliases.map((a) => ({ methods: a.method, fullPath: a.fullPath, actionName: a.action }));
          aliases.push({ methods: 'GET', fullPath: '/health', actionName: 'api.health' }, { methods: 'GET', fullPath: '/metrics', actionName: 'api.metrics' });
          const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string; description: string };
          return buildOpenApi(
            aliases.filter((a) => a.fullPath !== '/api/openapi.json'),
            (n) => byName.get(n),
            { title: 'Plan2 API', version: pkg.version, description: pkg.description + '. Times are ms since epoch UTC. Lists return {items, nextCursor}. Errors are {error: {code, message, data}}.' },
          );
        },
      },
      /** Where this node serves HTTP (tests use PORT=0). */
      address: {
        visibility: 'public',
        params: {},
        handler() {
          const a = this.server?.address();
          return typeof a === 'object' && a ? { host: a.address, port: a.port } : null;
        },
      },
    },
    events: {
      // All local services are up: build the REST aliases now (not after the debounce) and report ready.
      '$broker.started'() {
        for (const route of this.routes) if (route.opts.autoAliases) this.regenerateAutoAliases(route);
        this.ready = true;
      },
      'keys.revoked'(ctx: Context<{ keyId: string }>) {
        for (const [k, v] of this.authCache) if (v.auth.keyId === ctx.params.keyId) this.authCache.delete(k);
      },
      'tenant.tier_changed'(ctx: Context<{ tenantId: string }>) {
        for (const [k, v] of this.authCache) if (v.auth.tenantId === ctx.params.tenantId) this.authCache.delete(k);
      },
    },
    created() {
      this.cfg = cfg;
      this.ready = false;
      this.redis = null;
      this.limiter = new MemoryRateLimiter();
      this.authCache = new Map();
      this.apiCalls = new Map();
      this.apiCallsTimer = null;
    },
    async started() {
      if (cfg.redisUrl) {
        this.redis = await connectRedis(cfg.redisUrl);
        this.limiter = new RedisRateLimiter(this.redis, cfg.redisPrefix);
      }
      this.apiCallsTimer = setInterval(() => {
        this.flushApiCalls().catch((e: Error) => this.logger.warn('api.calls flush failed', e.message));
      }, 1000);
      this.apiCallsTimer.unref();
    },
    async stopped() {
      if (this.apiCallsTimer) clearInterval(this.apiCallsTimer);
      await this.flushApiCalls();
      this.redis?.disconnect();
    },
  };
  return schema as unknown as ServiceSchema;
}
