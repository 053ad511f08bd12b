/**
 * A span per local action call and per event handler, as Moleculer's "Tracing"
 * middleware (which it replaces; see moleculer.config.ts): the same span names, ids,
 * types, parents, sampling and tags, and the same `tracing` options on actions and
 * events (`enabled`, `tags` as an object or a function, `spanName`, `safetyTags`).
 *
 * The built-in one merges the tag options (`{ params: true, ...global, ...local }`)
 * and deep-merges the action's options on every call, and picks meta keys with lodash.
 * Those depend only on the action and the broker's options, so they are settled here
 * once per action; per call only the tags themselves are built.
 */
import { ServiceBroker, Utils } from 'moleculer';

type TagsFn = (this: unknown, ctx: unknown, res?: unknown) => Record<string, unknown> | null | undefined;
interface TagOptions {
  params?: boolean | string[];
  meta?: boolean | string[];
  response?: boolean | string[];
}
interface TracingOptions {
  enabled?: boolean;
  tags?: TagOptions | TagsFn;
  spanName?: string | ((this: unknown, ctx: unknown) => string);
  safetyTags?: boolean;
}

interface SpanLike {
  sampled: boolean;
  addTags(t: Record<string, unknown>): unknown;
  setError(e: unknown): unknown;
}
interface Ctx {
  id: string;
  requestID: string | null;
  parentID: string | null;
  level: number;
  nodeID: string | null;
  tracing: boolean | null;
  params: unknown;
  meta: Record<string, unknown> | null;
  options: { timeout?: number; retries?: number };
  action?: { name: string; rawName?: string };
  eventName?: string;
  eventType?: string;
  cachedResult?: boolean;
  service?: unknown;
  broker: { nodeID: string };
  startSpan(name: string, opts: Record<string, unknown>): SpanLike;
  finishSpan(span: SpanLike): void;
}
type Handler = (ctx: Ctx, ...rest: unknown[]) => Promise<unknown>;

function normalise(o: boolean | TracingOptions | undefined): TracingOptions & { enabled: boolean } {
  if (o === true || o === false) return { enabled: o };
  return Object.assign({ enabled: true }, o ?? {});
}

/** The tag options in force: the local function, else the global function, else `{params: true, ...global, ...local}`. */
function tagOptions(local: TracingOptions['tags'], global: TagOptions | TagsFn | undefined): TagOptions | TagsFn {
  if (typeof local === 'function') return local;
  if (!local && typeof global === 'function') return global;
  return Object.assign({ params: true }, global, local);
}

/**
 * lodash `pick`: each path present in `obj` (own or inherited) is copied, a dotted path
 * (`req.url`, as moleculer-web tags its spans) into the same nesting, unless `obj` has a
 * key with that literal name.
 */
function pick(obj: unknown, paths: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (obj === null || typeof obj !== 'object') return out;
  for (const path of paths) {
    if (path in obj) {
      out[path] = (obj as Record<string, unknown>)[path];
      continue;
    }
    const parts = path.split('.');
    let v: unknown = obj;
    let found = true;
    for (const p of parts) {
      if (v === null || (typeof v !== 'object' && typeof v !== 'function') || !(p in (v as object))) {
        found = false;
        break;
      }
      v = (v as Record<string, unknown>)[p];
    }
    if (!found) continue;
    let o = out;
    for (let i = 0; i < parts.length - 1; i++) {
      const next = o[parts[i]];
      o = (next !== null && typeof next === 'object' ? next : (o[parts[i]] = {})) as Record<string, unknown>;
    }
    o[parts[parts.length - 1]] = v;
  }
  return out;
}

const copy = (v: unknown) => (v != null && Utils.isPlainObject(v) ? Object.assign({}, v) : v);

/** `tags.params` / `tags.meta` from the tag options (object form). */
function addRequestTags(tags: Record<string, unknown>, opts: TagOptions, ctx: Ctx): void {
  if (opts.params === true) tags.params = copy(ctx.params);
  else if (Array.isArray(opts.params)) tags.params = pick(ctx.params, opts.params);
  if (opts.meta === true) tags.meta = ctx.meta != null ? Object.assign({}, ctx.meta) : ctx.meta;
  else if (Array.isArray(opts.meta)) tags.meta = pick(ctx.meta, opts.meta);
}

export function TracingMiddleware(broker: ServiceBroker): Record<string, unknown> {
  const tracer = broker.tracer as unknown as { opts: { actions: boolean; events: boolean; tags: { action?: TagOptions | TagsFn; event?: TagOptions | TagsFn } } };
  const on = broker.isTracingEnabled();

  function localAction(handler: Handler, action: { tracing?: boolean | TracingOptions }): Handler {
    const opts = normalise(action.tracing);
    if (!opts.enabled) return handler;
    const tagOpts = tagOptions(opts.tags, tracer.opts.tags.action);
    return function tracedAction(ctx: Ctx) {
      ctx.requestID = ctx.requestID || null;
      ctx.parentID = ctx.parentID || null;
      let tags: Record<string, unknown> = {
        callingLevel: ctx.level,
        action: ctx.action ? { name: ctx.action.name, rawName: ctx.action.rawName } : null,
        remoteCall: ctx.nodeID !== ctx.broker.nodeID,
        callerNodeID: ctx.nodeID,
        nodeID: ctx.broker.nodeID,
        options: { timeout: ctx.options.timeout, retries: ctx.options.retries },
        requestID: ctx.requestID,
      };
      if (typeof tagOpts === 'function') {
        const res = tagOpts.call(ctx.service, ctx);
        if (res) Object.assign(tags, res);
      } else addRequestTags(tags, tagOpts, ctx);
      if (opts.safetyTags) tags = Utils.safetyObject(tags) as Record<string, unknown>;
      let spanName = `action '${ctx.action!.name}'`;
      if (typeof opts.spanName === 'string') spanName = opts.spanName;
      else if (typeof opts.spanName === 'function') spanName = opts.spanName.call(ctx.service, ctx);

      const span = ctx.startSpan(spanName, { id: ctx.id, type: 'action', traceID: ctx.requestID, parentID: ctx.parentID, service: ctx.service, sampled: ctx.tracing, tags });
      ctx.tracing = span.sampled;
      return handler(ctx)
        .then((res) => {
          const done: Record<string, unknown> = { fromCache: ctx.cachedResult };
          if (typeof tagOpts === 'function') {
            const r = tagOpts.call(ctx.service, ctx, res);
            if (r) Object.assign(done, r);
          } else if (tagOpts.response === true) done.response = copy(res);
          else if (Array.isArray(tagOpts.response)) done.response = pick(res, tagOpts.response);
          span.addTags(done);
          ctx.finishSpan(span);
          return res;
        })
        .catch((err: unknown) => {
          span.setError(err);
          ctx.finishSpan(span);
          throw err;
        });
    };
  }

  function localEvent(handler: Handler, event: { name: string; group?: string; tracing?: boolean | TracingOptions; service: { fullName: string } }): Handler {
    const opts = normalise(event.tracing);
    if (!opts.enabled) return handler;
    const service = event.service;
    const tagOpts = tagOptions(opts.tags, tracer.opts.tags.event);
    const eventTag = { name: event.name, group: event.group };
    return function tracedEvent(this: unknown, ctx: Ctx, ...rest: unknown[]) {
      ctx.requestID = ctx.requestID || null;
      ctx.parentID = ctx.parentID || null;
      let tags: Record<string, unknown> = {
        event: Object.assign({}, eventTag),
        eventName: ctx.eventName,
        eventType: ctx.eventType,
        callerNodeID: ctx.nodeID,
        callingLevel: ctx.level,
        remoteCall: ctx.nodeID !== broker.nodeID,
        nodeID: broker.nodeID,
        requestID: ctx.requestID,
      };
      if (typeof tagOpts === 'function') {
        const res = tagOpts.call(service, ctx);
        if (res) Object.assign(tags, res);
      } else addRequestTags(tags, tagOpts, ctx);
      if (opts.safetyTags) tags = Utils.safetyObject(tags) as Record<string, unknown>;
      let spanName = `event '${ctx.eventName}' in '${service.fullName}'`;
      if (typeof opts.spanName === 'string') spanName = opts.spanName;
      else if (typeof opts.spanName === 'function') spanName = opts.spanName.call(service, ctx);

      const span = ctx.startSpan(spanName, { id: ctx.id, type: 'event', traceID: ctx.requestID, parentID: ctx.parentID, service, sampled: ctx.tracing, tags });
      ctx.tracing = span.sampled;
      return handler
        .call(service, ctx, ...rest)
        .then(() => {
          ctx.finishSpan(span);
        })
        .catch((err: unknown) => {
          span.setError(err);
          ctx.finishSpan(span);
          throw err;
        });
    };
  }

  return {
    name: 'Tracing',
    localAction: on && tracer.opts.actions ? localAction : null,
    localEvent: on && tracer.opts.events ? localEvent : null,
  };
}
