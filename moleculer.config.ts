/**
 * Broker options built from `config.ts`. Every production knob is set on purpose:
 *
 * - transporter: local (in-process) unless TRANSPORTER names NATS;
 * - cacher: memory unless REDIS_URL (ioredis 5) is set;
 * - validator: fastest-validator, on; every action declares `params`;
 * - logs: pino JSON lines (LOG_PRETTY=1 for people);
 * - metrics: Prometheus text served by `api` at `/metrics` (no second HTTP port);
 * - tracing: the FlowChain exporter (flowchain/exporter.ts: compact span records
 *   broadcast on `flowchain.spans` every 100 ms; chosen over the Event exporter by
 *   measurement, see flowchain/flowchain.service.ts); params and meta are never
 *   copied into span tags, only `meta.tenantId` (FlowChain's per-tenant view);
 *   ticks are traced at TICK_TRACE_RATE, decisions, orders and user requests
 *   always (flowchain/sampling.ts);
 * - circuit breaker trips only on infrastructure errors (5xx), never on business rejections;
 * - retry: off by default (an order must not be retried blind), opted into per action;
 * - bulkhead: bounded concurrency per action with a bounded queue;
 * - Moleculer's "Metrics" and "Bulkhead" middlewares are swapped for middlewares/ versions
 *   that keep the same Prometheus series but do no metric-registry work per call (a local
 *   call 16.5 → 10 µs, measured); its "Tracing" middleware for one that settles the tag
 *   options once per action instead of per call, and its spans for `LightSpan`s
 *   (flowchain/light-span.ts, installed by runner.createBroker); same spans either way;
 *   state-update event handlers carry `tracing: false`;
 * - tracking: graceful shutdown waits for in-flight requests.
 */
import type { BrokerOptions, Errors, ServiceBroker } from 'moleculer';
import { MetricReporters } from 'moleculer';
import type { Config } from './config';
import { uuidV4 } from './lib/ids';
import { FlowChainExporter } from './flowchain/exporter';
import { createTraceSamplingMiddleware, plan2SamplingRules } from './flowchain/sampling';
import { BulkheadMiddleware } from './middlewares/bulkhead.middleware';
import { RequestMetricsMiddleware, requestMetricsOf } from './middlewares/request-metrics.middleware';
import { TracingMiddleware } from './middlewares/tracing.middleware';

/** A Prometheus reporter that renders text for `/metrics` without opening its own port. */
export class InlinePrometheusReporter extends MetricReporters.Prometheus {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  override init(registry: any): void {
    // BaseReporter.init only, skipping the reporter's own HTTP server.
    (MetricReporters.Base.prototype as unknown as { init(r: unknown): void }).init.call(this, registry);
    const self = this as unknown as { defaultLabels: unknown; opts: { defaultLabels: unknown } };
    self.defaultLabels = typeof self.opts.defaultLabels === 'function' ? (self.opts.defaultLabels as (r: unknown) => unknown).call(this, registry) : self.opts.defaultLabels;
  }
  override stop(): Promise<void> {
    return Promise.resolve();
  }
  /** Prometheus exposition text of every metric in the registry, and of the per-request series. */
  render(): string {
    const self = this as unknown as { registry: { broker: ServiceBroker }; defaultLabels?: Record<string, string> };
    const requests = requestMetricsOf(self.registry.broker).render(self.defaultLabels ?? {});
    return (this as unknown as { generatePrometheusResponse(): string }).generatePrometheusResponse() + requests;
  }
}

function isInfrastructureError(err: Errors.MoleculerError | Error): boolean {
  const code = (err as Errors.MoleculerError).code;
  return typeof code !== 'number' || code >= 500;
}

export function brokerOptions(cfg: Config, overrides: Partial<BrokerOptions> = {}): BrokerOptions {
  const opts: BrokerOptions = {
    namespace: cfg.namespace,
    nodeID: cfg.nodeId,
    transporter: cfg.transporter
      ? { type: 'NATS', options: { url: cfg.transporter, maxReconnectAttempts: -1, reconnectTimeWait: 1000 } }
      : null,
    cacher: cfg.redisUrl
      ? ({ type: 'Redis', options: { prefix: cfg.redisPrefix + 'cache', ttl: 30, redis: cfg.redisUrl } } as unknown as BrokerOptions['cacher'])
      : { type: 'Memory', options: { ttl: 30, maxParamsLength: 200 } },
    serializer: 'JSON',
    validator: true,
    logger: cfg.logPretty
      ? { type: 'Console', options: { formatter: 'short', colors: true } }
      : { type: 'Pino', options: { pino: { options: { level: cfg.logLevel, base: { node: cfg.nodeId ?? undefined } } } } },
    logLevel: cfg.logLevel,
    requestTimeout: cfg.requestTimeoutMs,
    retryPolicy: {
      enabled: false,
      retries: 3,
      delay: 100,
      maxDelay: 2000,
      factor: 2,
      // Only infrastructure trouble is retryable; MoleculerRetryableError sets retryable.
      check: (err: Error) => Boolean((err as Errors.MoleculerRetryableError).retryable),
    },
    circuitBreaker: {
      enabled: true,
      threshold: 0.5,
      minRequestCount: 20,
      windowTime: 60,
      halfOpenTime: 10_000,
      check: (err: Error) => isInfrastructureError(err),
    },
    bulkhead: { enabled: true, concurrency: 200, maxQueueSize: 2000 },
    tracking: { enabled: true, shutdownTimeout: 5000 },
    heartbeatInterval: 5,
    heartbeatTimeout: 15,
    registry: { strategy: 'RoundRobin', preferLocal: true },
    contextParamsCloning: false,
    // Context, request and span ids: v4 UUIDs read out of a scratch buffer as one flat string
    // (lib/ids.ts), where Moleculer's default and crypto.randomUUID join some twenty strings
    // per id; every call, event and span takes one (fewer young-GC pauses).
    uidGenerator: uuidV4,
    metrics: {
      enabled: true,
      reporter: [new InlinePrometheusReporter({ includes: ['moleculer.**', 'process.**', 'os.**', 'plan2.**'] }) as never],
    },
    tracing: {
      enabled: true,
      sampling: { rate: 1.0 },
      actions: true,
      events: true,
      stackTrace: false,
      errorFields: ['name', 'message', 'code', 'type', 'data'],
      tags: {
        action: { params: false, meta: ['tenantId'] },
        event: { params: false, meta: ['tenantId'] },
      },
      exporter: [new FlowChainExporter({ flushMs: 20, maxBatch: 500 }) as never],
    },
    middlewares: [createTraceSamplingMiddleware(plan2SamplingRules(cfg.tickTraceRate))],
    ...overrides,
  };
  // Moleculer's internal middlewares in their own order, with the per-request metrics and the
  // bulkhead replaced by leaner ones keeping the same series (middlewares/).
  if (opts.internalMiddlewares === undefined) {
    opts.internalMiddlewares = false;
    opts.middlewares = [...(opts.middlewares ?? []), ...INTERNAL_MIDDLEWARES];
  }
  return opts;
}

/**
 * ServiceBroker.INTERNAL_MIDDLEWARES of Moleculer 0.15 in its order, with "Metrics",
 * "Bulkhead" and "Tracing" swapped for versions that do less per call (same series, same spans).
 */
const INTERNAL_MIDDLEWARES: NonNullable<BrokerOptions['middlewares']> = [
  'ActionHook',
  'Validator',
  BulkheadMiddleware as never,
  'Cacher',
  'ContextTracker',
  'CircuitBreaker',
  'Timeout',
  'Retry',
  'Fallback',
  'ErrorHandler',
  TracingMiddleware as never,
  RequestMetricsMiddleware as never,
  'Debounce',
  'Throttle',
];
