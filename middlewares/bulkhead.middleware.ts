/**
 * Bounded concurrency per action and per event handler, as Moleculer's "Bulkhead"
 * middleware (which it replaces; see moleculer.config.ts): at most `concurrency`
 * running, up to `maxQueueSize` waiting in order, `QueueIsFullError` beyond;
 * options from the broker's `bulkhead` merged with the action's or event's own.
 *
 * The built-in one writes two gauges through the metric registry on every call,
 * start and end (label objects built and hashed four times per call). Here the
 * in-flight and queued counts are read when `/metrics` renders, under the same
 * series names: moleculer_request_bulkhead_inflight / _queue_size {action, service},
 * moleculer_event_bulkhead_inflight / _queue_size {event, service}.
 */
import { Errors, ServiceBroker } from 'moleculer';
import { requestMetricsOf } from './request-metrics.middleware';

interface BulkheadOptions {
  enabled?: boolean;
  concurrency?: number;
  maxQueueSize?: number;
}

type Handler = (ctx: { eventName?: string; nodeID?: string | null; action?: { name: string } }) => Promise<unknown>;

interface Waiting {
  ctx: Parameters<Handler>[0];
  resolve(v: unknown): void;
  reject(e: unknown): void;
}

/** One bulkhead: `run(ctx)` runs now or queues; `full(ctx)` is the error past the queue. */
function bulkhead(handler: Handler, concurrency: number, maxQueueSize: number, full: (ctx: Parameters<Handler>[0]) => Error) {
  const queue: Waiting[] = [];
  const state = { inflight: 0, queue };
  const settle = () => {
    state.inflight--;
    if (queue.length > 0 && state.inflight < concurrency) {
      const next = queue.shift()!;
      state.inflight++;
      handler(next.ctx).then(
        (r) => {
          settle();
          next.resolve(r);
        },
        (e: unknown) => {
          settle();
          next.reject(e);
        },
      );
    }
  };
  const run: Handler = (ctx) => {
    if (state.inflight < concurrency) {
      state.inflight++;
      return handler(ctx).then(
        (r) => {
          settle();
          return r;
        },
        (e: unknown) => {
          settle();
          throw e;
        },
      );
    }
    if (maxQueueSize && queue.length >= maxQueueSize) return Promise.reject(full(ctx));
    return new Promise((resolve, reject) => queue.push({ ctx, resolve, reject }));
  };
  return { run, state };
}

export function BulkheadMiddleware(broker: ServiceBroker): Record<string, unknown> {
  const defaults = (broker.options.bulkhead ?? {}) as BulkheadOptions;
  const store = requestMetricsOf(broker);
  return {
    name: 'Bulkhead',
    localAction(handler: Handler, action: { name: string; bulkhead?: BulkheadOptions; service?: { fullName?: string } }): Handler {
      const opts = { ...defaults, ...(action.bulkhead ?? {}) };
      if (!opts.enabled) return handler;
      const b = bulkhead(handler, opts.concurrency ?? 3, opts.maxQueueSize ?? 10, (ctx) => new Errors.QueueIsFullError({ action: ctx.action?.name ?? action.name, nodeID: ctx.nodeID ?? undefined }));
      const labels = { action: action.name, service: action.service?.fullName ?? null };
      store.gauge('moleculer_request_bulkhead_inflight', 'Number of inflight calls', labels, () => b.state.inflight);
      store.gauge('moleculer_request_bulkhead_queue_size', 'Number of calls waiting in the bulkhead queue', labels, () => b.state.queue.length);
      return b.run;
    },
    localEvent(handler: Handler, event: { name: string; bulkhead?: BulkheadOptions; service?: { fullName?: string } }): Handler {
      const opts = { ...defaults, ...(event.bulkhead ?? {}) };
      if (!opts.enabled) return handler;
      const service = event.service?.fullName ?? null;
      const b = bulkhead(handler, opts.concurrency ?? 3, opts.maxQueueSize ?? 10, (ctx) => new Errors.QueueIsFullError({ event: ctx.eventName, service, nodeID: ctx.nodeID ?? undefined } as never));
      const labels = { event: event.name, service };
      store.gauge('moleculer_event_bulkhead_inflight', 'Number of inflight event handlers', labels, () => b.state.inflight);
      store.gauge('moleculer_event_bulkhead_queue_size', 'Number of events waiting in the bulkhead queue', labels, () => b.state.queue.length);
      return b.run;
    },
  };
}
