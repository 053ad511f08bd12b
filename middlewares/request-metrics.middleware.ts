/**
 * Per-request metrics at a fraction of the built-in cost. Moleculer's "Metrics"
 * middleware makes five registry calls per action call (each building a label
 * object and hashing it), keeps a rate per counter and rotating quantile windows
 * per histogram: ≈ 8.6 µs of an 18 µs local call here, paid on every agent
 * `opine`, order and event. This one keeps one plain record per
 * (action, caller) found once through a Map, and renders the same Prometheus
 * series Moleculer would:
 *
 *   moleculer_request_total / _active / _error_total / _time (histogram, ms)
 *     {service, action, type, caller}
 *   moleculer_event_received_total / _active / _error_total / _time
 *     {service, group, event, caller}
 *
 * Histograms have buckets, `_sum` and `_count` (quantiles come from the buckets,
 * `histogram_quantile` in Prometheus), no client-side quantiles or rates.
 * Everything else of the built-in middleware (metric registration for transit
 * and transporter counters, emit/broadcast counters) is kept as it is.
 */
import { performance } from 'node:perf_hooks';
import * as moleculer from 'moleculer';
import type { ServiceBroker } from 'moleculer';

/** Moleculer's built-in middleware factories (exported at runtime, not in its typings). */
const Middlewares = (moleculer as unknown as { Middlewares: Record<string, (b: ServiceBroker) => Record<string, unknown>> }).Middlewares;

/** Moleculer's default buckets (ms). */
export const REQUEST_BUCKETS_MS = [1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000];

type Labels = Record<string, string | number | null | undefined>;

class Series {
  total = 0;
  active = 0;
  count = 0;
  sum = 0;
  readonly buckets = new Float64Array(REQUEST_BUCKETS_MS.length);
  readonly errors = new Map<string, { labels: Labels; n: number }>();
  constructor(readonly labels: Labels) {}

  done(ms: number): void {
    this.active--;
    this.count++;
    this.sum += ms;
    const b = this.buckets;
    for (let i = 0; i < b.length; i++) if (ms <= REQUEST_BUCKETS_MS[i]) b[i]++;
  }

  error(err: unknown): void {
    const e = (err ?? {}) as { name?: string; code?: string | number; type?: string };
    const key = `${e.name}\u0000${e.code}\u0000${e.type}`;
    const hit = this.errors.get(key);
    if (hit) hit.n++;
    else this.errors.set(key, { labels: { ...this.labels, errorName: e.name ?? null, errorCode: e.code ?? null, errorType: e.type ?? null }, n: 1 });
  }
}

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function labelStr(labels: Labels, extra?: Labels): string {
  const parts: string[] = [];
  for (const src of extra ? [labels, extra] : [labels]) {
    for (const [k, v] of Object.entries(src)) parts.push(`${k}="${v === null || v === undefined ? '' : escapeLabel(String(v))}"`);
  }
  return parts.length ? `{${parts.join(',')}}` : '';
}

/** The records of one broker, rendered into its `/metrics`. */
export class RequestMetricsStore {
  readonly requests: Series[] = [];
  readonly events: Series[] = [];
  /**
   * Gauges read when rendered (no work per call): name → help and, per label set, its
   * readers, summed (Moleculer wraps an action more than once: each wrap registers one).
   */
  readonly gauges = new Map<string, { help: string; items: Map<string, { labels: Labels; reads: (() => number)[] }> }>();

  gauge(name: string, help: string, labels: Labels, read: () => number): void {
    let g = this.gauges.get(name);
    if (!g) this.gauges.set(name, (g = { help, items: new Map() }));
    const key = labelStr(labels);
    const it = g.items.get(key);
    if (it) it.reads.push(read);
    else g.items.set(key, { labels, reads: [read] });
  }

  private readonly byLabels = new Map<string, Series>();

  /** The series of these labels (one per label set, however many wrappers record into it). */
  request(labels: Labels): Series {
    return this.series('r', labels, this.requests);
  }

  event(labels: Labels): Series {
    return this.series('e', labels, this.events);
  }

  private series(kind: string, labels: Labels, list: Series[]): Series {
    const key = kind + labelStr(labels);
    let s = this.byLabels.get(key);
    if (!s) {
      this.byLabels.set(key, (s = new Series(labels)));
      list.push(s);
    }
    return s;
  }

  /** Prometheus exposition text of every series with data; `base` labels (namespace, nodeID) lead, as in the registry's. */
  render(base: Labels = {}): string {
    const out: string[] = [];
    const withBase = (l: Labels) => ({ ...base, ...l });
    const family = (prefix: string, what: string, series: Series[]) => {
      const used = series.filter((s) => s.total > 0);
      if (used.length === 0) return;
      out.push(`# HELP ${prefix}_total Number of ${what}`, `# TYPE ${prefix}_total counter`);
      for (const s of used) out.push(`${prefix}_total${labelStr(withBase(s.labels))} ${s.total}`);
      out.push('', `# HELP ${prefix}_active Number of active ${what}`, `# TYPE ${prefix}_active gauge`);
      for (const s of used) out.push(`${prefix}_active${labelStr(withBase(s.labels))} ${s.active}`);
      const errs = used.flatMap((s) => [...s.errors.values()]);
      if (errs.length > 0) {
        out.push('', `# HELP ${prefix}_error_total Number of ${what} that failed`, `# TYPE ${prefix}_error_total counter`);
        for (const e of errs) out.push(`${prefix}_error_total${labelStr(withBase(e.labels))} ${e.n}`);
      }
      out.push('', `# HELP ${prefix}_time Time of ${what} in milliseconds`, `# TYPE ${prefix}_time histogram`);
      for (const s of used) {
        const labels = withBase(s.labels);
        REQUEST_BUCKETS_MS.forEach((le, i) => out.push(`${prefix}_time_bucket${labelStr(labels, { le })} ${s.buckets[i]}`));
        out.push(`${prefix}_time_bucket${labelStr(labels, { le: '+Inf' })} ${s.count}`);
        out.push(`${prefix}_time_sum${labelStr(labels)} ${s.sum}`, `${prefix}_time_count${labelStr(labels)} ${s.count}`);
      }
      out.push('');
    };
    family('moleculer_request', 'requests', this.requests);
    family('moleculer_event_received', 'received events', this.events);
    for (const [name, g] of this.gauges) {
      out.push(`# HELP ${name} ${g.help}`, `# TYPE ${name} gauge`);
      for (const it of g.items.values()) out.push(`${name}${labelStr(withBase(it.labels))} ${it.reads.reduce((a, read) => a + read(), 0)}`);
      out.push('');
    }
    return out.join('\n');
  }
}

const stores = new WeakMap<ServiceBroker, RequestMetricsStore>();

/** The request metrics of a broker (created on first use). */
export function requestMetricsOf(broker: ServiceBroker): RequestMetricsStore {
  let s = stores.get(broker);
  if (!s) stores.set(broker, (s = new RequestMetricsStore()));
  return s;
}

type Handler = (ctx: { caller: string | null; eventName?: string }) => Promise<unknown>;

/** Count a call into `series`, start the clock, then `run` it (its synchronous part included); time it and its error when it settles. */
function timed(series: Series, run: () => Promise<unknown>): Promise<unknown> {
  series.total++;
  series.active++;
  const t0 = performance.now();
  return run().then(
    (res) => {
      series.done(performance.now() - t0);
      return res;
    },
    (err: unknown) => {
      series.done(performance.now() - t0);
      series.error(err);
      throw err;
    },
  );
}

/**
 * Replaces the built-in "Metrics" middleware (list it among the internal middlewares in
 * its place, see moleculer.config.ts). Needs metrics enabled on the broker to do anything.
 */
export function RequestMetricsMiddleware(broker: ServiceBroker): Record<string, unknown> {
  const builtin = Middlewares.Metrics(broker);
  const store = requestMetricsOf(broker);

  const wrapAction = (type: 'local' | 'remote') =>
    function (next: Handler, action: { name: string; service?: { fullName?: string } }): Handler {
      if (!broker.isMetricsEnabled()) return next;
      const service = action.service?.fullName ?? null;
      const byCaller = new Map<string | null, Series>();
      return function requestMetrics(ctx) {
        let s = byCaller.get(ctx.caller);
        if (s === undefined) byCaller.set(ctx.caller, (s = store.request({ service, action: action.name, type, caller: ctx.caller })));
        return timed(s, () => next(ctx));
      };
    };

  return {
    ...builtin,
    name: 'RequestMetrics',
    localAction: wrapAction('local'),
    remoteAction: wrapAction('remote'),
    localEvent(next: Handler, event: { group?: string; service?: { name?: string } }): Handler {
      if (!broker.isMetricsEnabled()) return next;
      const service = event.service?.name ?? null;
      const group = event.group ?? service;
      const byKey = new Map<string, Series>();
      return function eventMetrics(this: unknown, ctx) {
        const key = `${ctx.eventName}\u0000${ctx.caller}`;
        let s = byKey.get(key);
        if (s === undefined) byKey.set(key, (s = store.event({ service, group, event: ctx.eventName, caller: ctx.caller })));
        return timed(s, () => next.call(this, ctx));
      };
    },
  };
}
