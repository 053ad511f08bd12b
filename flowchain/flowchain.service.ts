/**
 * `flowchain`: the chain registry fed by tracing spans.
 *
 * Span intake — measured, then chosen (bench/flowchain.bench.ts, `exportLatency`
 * in bench/results/flowchain.json; 300 decisions spread over the flush phases):
 * Moleculer's Event exporter with `interval: 1` batches spans once a second per
 * node, so a trace can only be assembled once every node's next flush has surely
 * arrived (settle 1.3 s): executions became visible 1853 ms (p50) / 2327 ms
 * (p99) after they ended, at 713 bytes per span on the wire. The FlowChain
 * exporter (flowchain/exporter.ts) broadcasts compact records every 20 ms (100 ms
 * when this was measured); with the default 600 ms settle executions appeared
 * 674 ms (p50) / 743 ms (p99) after they ended, at 390 bytes per span. The
 * dashboard refreshes once a second, so the Event exporter is not "real time" enough: the FlowChain exporter is the one
 * registered in moleculer.config.ts. `$tracing.spans` is still accepted (spans
 * seen twice are dropped by id) for clusters configured with the Event exporter.
 * The settle (600 ms) bounds how long a trace may pause between two finishing
 * spans; a span arriving after its trace was assembled is counted as late.
 *
 * Everything else lives in flowchain/runtime.ts (engine, storage, queries);
 * this file wires timers, events and REST:
 *   GET    /flowchain/chains                    definitions + live statistics
 *   POST   /flowchain/chains                    add a definition (operators)
 *   DELETE /flowchain/chains/:name              remove a run-time definition (operators)
 *   GET    /flowchain/chains/:name/stats        ?window=5m&tenantId (operators only)
 *   GET    /flowchain/executions                ?chain&status&from&to&limit&cursor
 *   GET    /flowchain/executions/:traceId       step trees with timings
 *   GET    /flowchain/bottlenecks               ?chain&window&recent&baseline&factor
 *   GET    /flowchain/status                    intake counters (operators)
 * Operators (`ctx.meta.role === 'admin'`) see every tenant and may narrow to one
 * with `tenantId`; a tenant sees its own executions and statistics only.
 *
 * Emits `flowchain.updated` `{chain, tenantId, stats}` at most once a second per
 * chain and view (tenantId null: the operators' all-tenants view), for the
 * `stream` service's topic `flowchain:<chain>`.
 */
import { Context, Errors, ServiceSchema, ServiceSettingSchema } from 'moleculer';
import { config } from '../config';
import { createDbMixin, DbThis } from '../mixins/db.mixin';
import { untraced } from '../mixins/untraced';
import type { SpanBatch, SpanRecord } from '../types/flowchain';
import type { TenantMeta } from '../types/meta';
import { Viewer } from './engine';
import { DEFAULT_SETTINGS, FlowChainRuntime, FlowChainSettings } from './runtime';
import { isSpanRecord, SpanLike, toSpanRecord } from './span';
import { parseDuration } from './stats';
import { SPANS_EVENT } from './exporter';

export interface FlowChainServiceSettings extends ServiceSettingSchema {
  rest: string;
  flowchain: Partial<FlowChainSettings>;
}

interface Vars {
  rt: FlowChainRuntime;
  timers: NodeJS.Timeout[];
}

type This = DbThis & Vars & { logger: { warn(...a: unknown[]): void; info(...a: unknown[]): void }; broker: Context['broker'] };

type Meta = Partial<TenantMeta>;

/** Who is asking, from `ctx.meta`; `tenantId` narrows an operator's view. */
export function viewerOf(meta: Meta, tenantId?: string): Viewer {
  if (meta.role === 'admin') return { role: 'admin', tenantId: tenantId ?? null };
  if (typeof meta.tenantId === 'string' && meta.tenantId.length > 0) {
    if (tenantId !== undefined && tenantId !== meta.tenantId) throw new Errors.MoleculerClientError('a tenant sees only its own FlowChain data', 403, 'FORBIDDEN');
    return { role: 'tenant', tenantId: meta.tenantId };
  }
  throw new Errors.MoleculerClientError('FlowChain needs a tenant or an operator (ctx.meta.tenantId / role)', 401, 'UNAUTHORIZED');
}

function requireAdmin(meta: Meta): void {
  if (meta.role !== 'admin') throw new Errors.MoleculerClientError('only operators can change chain definitions', 403, 'FORBIDDEN');
}

function duration(name: string, v: string | undefined, dflt: number, max: number): number {
  if (v === undefined) return dflt;
  const ms = parseDuration(v);
  if (ms === null || ms > max) throw new Errors.MoleculerClientError(`${name} must be a duration like 90s, 5m, 1h or 7d (at most ${Math.round(max / 86_400_000)} d)`, 422, 'BAD_WINDOW', { [name]: v });
  return ms;
}

const windowParam = { type: 'string', optional: true, max: 16 } as const;
const tenantParam = { type: 'string', optional: true, max: 128 } as const;

const FlowChainService: ServiceSchema<FlowChainServiceSettings, Record<string, never>, This> = {
  name: 'flowchain',
  mixins: [createDbMixin()],
  settings: {
    rest: '/',
    flowchain: {},
  },

  events: {
    // `tracing: false` (a Moleculer option the typings lack): the intake of spans must not make spans.
    [SPANS_EVENT]: untraced({
      handler(this: This, ctx: Context<SpanBatch>) {
        const spans = Array.isArray(ctx.params?.spans) ? ctx.params.spans : [];
        const ok: SpanRecord[] = [];
        for (const s of spans) {
          if (isSpanRecord(s)) ok.push(s);
          else this.rt.counters.invalidSpans++;
        }
        this.rt.ingest(ok, Date.now());
      },
    }),
    'flowchain.chain.changed': {
      handler(this: This, ctx: Context<{ name: string; definition: unknown }>) {
        const { name, definition } = ctx.params;
        try {
          if (definition === null) {
            if (this.rt.engine.registry.has(name)) this.rt.engine.registry.remove(name);
          } else this.rt.engine.registry.add(definition, { replace: true });
        } catch (e) {
          this.logger.warn(`flowchain: chain ${name} change not applied: ${(e as Error).message}`);
        }
      },
    },
    '$tracing.spans': untraced({
      handler(this: This, ctx: Context<SpanLike[]>) {
        const spans = Array.isArray(ctx.params) ? ctx.params : [];
        const ok: SpanRecord[] = [];
        for (const s of spans) {
          const r = s && typeof s === 'object' ? toSpanRecord(s) : null;
          if (r && isSpanRecord(r)) {
            r.node ??= ctx.nodeID ?? null;
            ok.push(r);
          }
          else this.rt.counters.invalidSpans++;
        }
        this.rt.ingest(ok, Date.now());
      },
    }),
  },

  actions: {
    chains: {
      rest: 'GET /flowchain/chains',
      params: { window: windowParam, tenantId: tenantParam },
      async handler(this: This, ctx: Context<{ window?: string; tenantId?: string }, Meta>) {
        const viewer = viewerOf(ctx.meta, ctx.params.tenantId);
        const windowMs = duration('window', ctx.params.window, this.rt.s.defaultWindowMs, this.rt.s.retentionDays * 86_400_000);
        const now = Date.now();
        const items = [];
        for (const def of this.rt.engine.registry.list()) {
          items.push({ ...def, builtIn: def.builtIn === true, stats: await this.rt.chainStats(def.name, viewer, windowMs, now) });
        }
        return { items, nextCursor: null };
      },
    },

    define: {
      rest: 'POST /flowchain/chains',
      params: {
        name: { type: 'string', max: 64 },
        description: { type: 'string', optional: true, max: 500 },
        steps: { type: 'array', min: 1, max: 32, items: 'object' },
        boundaries: { type: 'array', optional: true, max: 16, items: 'object' },
        replace: { type: 'boolean', optional: true, convert: true },
      },
      async handler(this: This, ctx: Context<{ name: string; description?: string; steps: unknown[]; boundaries?: unknown[]; replace?: boolean }, Meta>) {
        requireAdmin(ctx.meta);
        const { replace, ...def } = ctx.params;
        const saved = await this.rt.defineChain(def, replace === true);
        // Other replicas load it too.
        await ctx.broadcast('flowchain.chain.changed', { name: saved.name, definition: saved });
        return saved;
      },
    },

    remove: {
      rest: 'DELETE /flowchain/chains/:name',
      params: { name: { type: 'string', max: 64 } },
      async handler(this: This, ctx: Context<{ name: string }, Meta>) {
        requireAdmin(ctx.meta);
        await this.rt.removeChain(ctx.params.name);
        await ctx.broadcast('flowchain.chain.changed', { name: ctx.params.name, definition: null });
        return { name: ctx.params.name, removed: true };
      },
    },

    stats: {
      rest: 'GET /flowchain/chains/:name/stats',
      params: { name: { type: 'string', max: 64 }, window: windowParam, tenantId: tenantParam },
      async handler(this: This, ctx: Context<{ name: string; window?: string; tenantId?: string }, Meta>) {
        const viewer = viewerOf(ctx.meta, ctx.params.tenantId);
        const windowMs = duration('window', ctx.params.window, this.rt.s.defaultWindowMs, this.rt.s.retentionDays * 86_400_000);
        return this.rt.chainStats(ctx.params.name, viewer, windowMs, Date.now());
      },
    },

    executions: {
      rest: 'GET /flowchain/executions',
      params: {
        chain: { type: 'string', optional: true, max: 64 },
        status: { type: 'enum', values: ['ok', 'error'], optional: true },
        from: { type: 'number', optional: true, convert: true },
        to: { type: 'number', optional: true, convert: true },
        limit: { type: 'number', integer: true, min: 1, max: 10_000, optional: true, convert: true },
        cursor: { type: 'string', optional: true, max: 200 },
        tenantId: tenantParam,
      },
      async handler(
        this: This,
        ctx: Context<{ chain?: string; status?: 'ok' | 'error'; from?: number; to?: number; limit?: number; cursor?: string; tenantId?: string }, Meta>,
      ) {
        const viewer = viewerOf(ctx.meta, ctx.params.tenantId);
        const { tenantId: _t, limit, ...f } = ctx.params;
        return this.rt.executions(viewer, { ...f, limit: limit ?? 100 }, Date.now());
      },
    },

    execution: {
      rest: 'GET /flowchain/executions/:traceId',
      params: { traceId: { type: 'string', max: 128 }, tenantId: tenantParam },
      async handler(this: This, ctx: Context<{ traceId: string; tenantId?: string }, Meta>) {
        const viewer = viewerOf(ctx.meta, ctx.params.tenantId);
        return { traceId: ctx.params.traceId, items: await this.rt.execution(ctx.params.traceId, viewer) };
      },
    },

    bottlenecks: {
      rest: 'GET /flowchain/bottlenecks',
      params: {
        chain: { type: 'string', optional: true, max: 64 },
        window: windowParam,
        recent: windowParam,
        baseline: windowParam,
        factor: { type: 'number', optional: true, convert: true, min: 1, max: 1000 },
        tenantId: tenantParam,
      },
      async handler(this: This, ctx: Context<{ chain?: string; window?: string; recent?: string; baseline?: string; factor?: number; tenantId?: string }, Meta>) {
        const viewer = viewerOf(ctx.meta, ctx.params.tenantId);
        const max = this.rt.s.retentionDays * 86_400_000;
        const w = {
          windowMs: duration('window', ctx.params.window, this.rt.s.defaultWindowMs, max),
          recentMs: duration('recent', ctx.params.recent, this.rt.s.recentMs, max),
          baselineMs: duration('baseline', ctx.params.baseline, this.rt.s.baselineMs, max),
        };
        const o = { ...this.rt.bottleneckOptions, ...(ctx.params.factor !== undefined ? { slowFactor: ctx.params.factor } : {}) };
        if (ctx.params.chain) this.rt.engine.registry.get(ctx.params.chain);
        const items = await this.rt.bottlenecks(viewer, Date.now(), w, o, ctx.params.chain ? [ctx.params.chain] : undefined);
        return { items, nextCursor: null, windows: w, factor: o.slowFactor };
      },
    },

    status: {
      rest: 'GET /flowchain/status',
      params: {},
      handler(this: This, ctx: Context<Record<string, never>, Meta>) {
        requireAdmin(ctx.meta);
        return { engine: this.rt.engine.counters, runtime: this.rt.counters, statsOverflow: this.rt.engine.stats.overflow, settings: this.rt.s };
      },
    },
  },

  created(this: This) {
    const self = this as unknown as { settings: FlowChainServiceSettings };
    this.rt = new FlowChainRuntime({ ...DEFAULT_SETTINGS, retentionDays: config().flowchainRetentionDays, ...self.settings.flowchain });
    this.timers = [];
  },

  async started(this: This) {
    this.rt.db = this.db;
    const defs = await this.rt.loadDefinitions();
    for (const r of defs.rejected) this.logger.warn(`flowchain: stored chain definition rejected: ${r}`);
    const rt = this.rt;
    // A periodic job never overlaps itself: a run still in flight skips the next beat.
    const every = (ms: number, fn: () => void | Promise<unknown>): void => {
      let busy = false;
      const t = setInterval(() => {
        if (busy) return;
        busy = true;
        Promise.resolve()
          .then(fn)
          .catch((e: unknown) => this.logger.warn(`flowchain: ${(e as Error).message}`))
          .finally(() => {
            busy = false;
          });
      }, ms);
      t.unref();
      this.timers.push(t);
    };
    every(rt.s.tickMs, async () => {
      // Assemble in slices of sliceMs, yielding to I/O between them, until nothing settled is left.
      for (;;) {
        rt.tick(Date.now(), false, rt.s.sliceMs);
        if (!rt.engine.hasReady) return;
        await new Promise<void>((r) => setImmediate(r));
      }
    });
    every(rt.s.persistMs, () => rt.persist(Date.now()));
    every(rt.s.updateMs, async () => {
      for (const u of rt.updates(Date.now())) await this.broker.emit('flowchain.updated', u);
    });
    every(rt.s.retentionEveryMs, () => rt.retention());
    await rt.retention();
  },

  async stopped(this: This) {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    const now = Date.now();
    this.rt.tick(now, true);
    await this.rt.drain(now + this.rt.s.bucketMs).catch((e: unknown) => this.logger.warn(`flowchain: final write failed: ${(e as Error).message}`));
  },
};

export default FlowChainService;
