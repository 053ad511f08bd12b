/**
 * FlowChain's in-memory engine, free of the broker and the database (the
 * service drives it with a clock): spans come in batches, are buffered per
 * trace until the trace has been quiet for `settleMs`, then the trace's
 * executions are assembled, counted in the live statistics and kept in a
 * bounded ring of recent executions for the dashboard.
 *
 * Why "quiet for settleMs": spans arrive when they finish, children before
 * their parents but events and calls that outlive their caller after; spans of
 * one trace come from several nodes whose exporters flush independently. A
 * trace is complete when nothing has arrived for it for longer than the
 * exporters' flush interval plus transport delay. A span arriving after its
 * trace was assembled is counted as late and dropped.
 */
import type { Execution, SpanRecord } from '../types/flowchain';
import { assembleTraceWithWait } from './assemble';
import { ChainRegistry } from './chain';
import { BUILT_IN_CHAINS } from './definitions';
import {
  ALL_VIEW,
  bottleneckRanges,
  BottleneckOptions,
  BottleneckWindows,
  chainBottlenecks,
  chainStats,
  DEFAULT_BOTTLENECK_OPTIONS,
  FlowStats,
  StatsOptions,
} from './stats';
import type { Bottleneck, ChainStats } from '../types/flowchain';

export interface EngineOptions {
  /** A trace is assembled once no span arrived for it for this long, ms. */
  settleMs: number;
  /** A trace still receiving spans after this long is assembled anyway, ms. */
  maxTraceMs: number;
  /** Spans buffered at most; beyond it the oldest traces are assembled early. */
  maxBufferedSpans: number;
  /** Recent executions kept in memory for the dashboard and `executions/:traceId`. */
  maxRecent: number;
  /** Assembled trace ids remembered to recognise late and duplicate spans. */
  rememberTraces: number;
  stats: Partial<StatsOptions>;
}

export const DEFAULT_ENGINE_OPTIONS: EngineOptions = {
  settleMs: 600,
  maxTraceMs: 30_000,
  maxBufferedSpans: 200_000,
  maxRecent: 5_000,
  rememberTraces: 100_000,
  stats: {},
};

interface PendingTrace {
  spans: Map<string, SpanRecord>;
  first: number;
  last: number;
  /** Held open until then for handed-off work (a chain's waitMs); re-checked when spans arrive. */
  holdUntil?: number;
  /** `last` when the hold was decided. */
  heldAt?: number;
}

export interface EngineCounters {
  spansIn: number;
  duplicateSpans: number;
  lateSpans: number;
  tracesAssembled: number;
  tracesForced: number;
  /** Traces kept open for work an anchor handed off (chain waitMs). */
  tracesHeld: number;
  executions: number;
  bufferedTraces: number;
  bufferedSpans: number;
}

/** Who is asking: operators see every tenant; a tenant sees its own executions and statistics only. */
export type Viewer = { role: 'admin'; tenantId?: string | null } | { role: 'tenant'; tenantId: string };

/** The statistics view key a viewer reads (admin: all tenants, or one tenant when named). */
export function viewKeyFor(v: Viewer): string {
  if (v.role === 'admin') return v.tenantId ? v.tenantId : ALL_VIEW;
  return v.tenantId;
}

/** Whether a viewer may see an execution. */
export function canSee(v: Viewer, e: { tenantId: string | null }): boolean {
  if (v.role === 'admin') return !v.tenantId || e.tenantId === v.tenantId;
  return e.tenantId === v.tenantId;
}

export class FlowChainEngine {
  readonly opts: EngineOptions;
  readonly registry: ChainRegistry;
  readonly stats: FlowStats;
  private readonly pending = new Map<string, PendingTrace>();
  private bufferedSpans = 0;
  private ready = false;
  private flushing = false;
  private readonly done = new Map<string, number>();
  /** Ring of recent executions: `recent[(head + i) % maxRecent]`, i < recentCount, oldest first. */
  private readonly recent: (Execution | undefined)[] = [];
  private head = 0;
  private recentCount = 0;
  private readonly recentByTrace = new Map<string, Execution[]>();
  readonly counters: EngineCounters = {
    spansIn: 0,
    duplicateSpans: 0,
    lateSpans: 0,
    tracesAssembled: 0,
    tracesForced: 0,
    tracesHeld: 0,
    executions: 0,
    bufferedTraces: 0,
    bufferedSpans: 0,
  };

  constructor(opts: Partial<EngineOptions> = {}, registry = new ChainRegistry(BUILT_IN_CHAINS)) {
    this.opts = { ...DEFAULT_ENGINE_OPTIONS, ...opts };
    this.registry = registry;
    this.stats = new FlowStats(this.opts.stats);
  }

  /** Buffer finished spans (any order, any traces). */
  ingest(spans: readonly SpanRecord[], now: number): void {
    for (const s of spans) {
      this.counters.spansIn++;
      if (this.done.has(s.traceId)) {
        this.counters.lateSpans++;
        continue;
      }
      let t = this.pending.get(s.traceId);
      if (!t) this.pending.set(s.traceId, (t = { spans: new Map(), first: now, last: now }));
      if (t.spans.has(s.id)) {
        this.counters.duplicateSpans++;
        continue;
      }
      t.spans.set(s.id, s);
      t.last = now;
      this.bufferedSpans++;
    }
    this.counters.bufferedTraces = this.pending.size;
    this.counters.bufferedSpans = this.bufferedSpans;
  }

  /**
   * Assemble the traces that settled (or are too old, or must go to bound
   * memory); count their executions at `now`; return them. With `budgetMs`,
   * stop after that much CPU time (the rest stays ready for the next call), so
   * a burst never blocks the event loop for long; `hasReady` tells whether to
   * call again soon.
   */
  tick(now: number, budgetMs = Infinity): Execution[] {
    const t0 = performance.now();
    const ready: { id: string; t: PendingTrace; forced: boolean }[] = [];
    let readySpans = 0;
    for (const [id, t] of this.pending) {
      // A held trace is looked at again when new spans settled or its hold ran out.
      const held = t.holdUntil !== undefined && now < t.holdUntil && t.last === t.heldAt;
      const forced = now - t.first >= this.opts.maxTraceMs;
      if (forced || (!held && now - t.last >= this.opts.settleMs)) {
        ready.push({ id, t, forced });
        readySpans += t.spans.size;
      }
    }
    let over = this.bufferedSpans - readySpans - this.opts.maxBufferedSpans;
    if (over > 0) {
      // Map iteration is insertion order: oldest traces first.
      const taken = new Set(ready.map((r) => r.id));
      for (const [id, t] of this.pending) {
        if (over <= 0) break;
        if (taken.has(id)) continue;
        ready.push({ id, t, forced: true });
        over -= t.spans.size;
      }
    }
    const out: Execution[] = [];
    const chains = this.registry.compiled();
    this.ready = false;
    let done = 0;
    for (const { id, t, forced } of ready) {
      if (done++ > 0 && performance.now() - t0 > budgetMs) {
        this.ready = true;
        break;
      }
      const { executions, waitMs } = assembleTraceWithWait([...t.spans.values()], chains);
      if (waitMs > 0 && now < t.first + waitMs && !forced && !this.flushing) {
        if (t.holdUntil === undefined) this.counters.tracesHeld++;
        t.holdUntil = t.first + waitMs;
        t.heldAt = t.last;
        continue;
      }
      if (forced) this.counters.tracesForced++;
      this.pending.delete(id);
      this.bufferedSpans -= t.spans.size;
      this.remember(id, now);
      this.counters.tracesAssembled++;
      for (const e of executions) {
        this.stats.add(e, now);
        this.keep(e);
        out.push(e);
      }
    }
    this.counters.executions += out.length;
    this.counters.bufferedTraces = this.pending.size;
    this.counters.bufferedSpans = this.bufferedSpans;
    this.stats.evict(now);
    return out;
  }


  /** True when the last `tick` ran out of budget with traces still ready. */
  get hasReady(): boolean {
    return this.ready;
  }

  /** Assemble everything buffered now, holds included (shutdown, tests). */
  flushAll(now: number): Execution[] {
    for (const t of this.pending.values()) {
      t.last = -Infinity;
      t.holdUntil = undefined;
    }
    this.flushing = true;
    try {
      return this.tick(now);
    } finally {
      this.flushing = false;
    }
  }

  private remember(traceId: string, now: number): void {
    this.done.set(traceId, now);
    if (this.done.size > this.opts.rememberTraces) {
      const drop = this.done.size - this.opts.rememberTraces;
      let i = 0;
      for (const k of this.done.keys()) {
        if (i++ >= drop) break;
        this.done.delete(k);
      }
    }
  }

  private keep(e: Execution): void {
    const cap = this.opts.maxRecent;
    if (this.recentCount === cap) {
      const old = this.recent[this.head] as Execution;
      this.head = (this.head + 1) % cap;
      this.recentCount--;
      const l = this.recentByTrace.get(old.traceId);
      if (l) {
        const rest = l.filter((x) => x !== old);
        if (rest.length === 0) this.recentByTrace.delete(old.traceId);
        else this.recentByTrace.set(old.traceId, rest);
      }
    }
    this.recent[(this.head + this.recentCount) % cap] = e;
    this.recentCount++;
    const list = this.recentByTrace.get(e.traceId);
    if (list) list.push(e);
    else this.recentByTrace.set(e.traceId, [e]);
  }

  /** Recent executions of a trace the viewer may see (empty when none or evicted). */
  executionsOfTrace(traceId: string, viewer: Viewer): Execution[] {
    return (this.recentByTrace.get(traceId) ?? []).filter((e) => canSee(viewer, e));
  }

  /** Recent executions, newest first, filtered. */
  recentExecutions(viewer: Viewer, f: { chain?: string; status?: string; from?: number; to?: number; limit?: number } = {}): Execution[] {
    const out: Execution[] = [];
    const limit = f.limit ?? 100;
    for (let i = this.recentCount - 1; i >= 0 && out.length < limit; i--) {
      const e = this.recent[(this.head + i) % this.opts.maxRecent] as Execution;
      if (!canSee(viewer, e)) continue;
      if (f.chain && e.chain !== f.chain) continue;
      if (f.status && e.status !== f.status) continue;
      if (f.from !== undefined && e.start < f.from) continue;
      if (f.to !== undefined && e.start >= f.to) continue;
      out.push(e);
    }
    return out;
  }

  /** A chain's statistics over [now − windowMs, now] for a viewer, from the live buckets. */
  chainStats(chain: string, viewer: Viewer, windowMs: number, now: number): ChainStats {
    const def = this.registry.get(chain);
    const view = viewKeyFor(viewer);
    return chainStats(def, this.stats.window(chain, view, now - windowMs, now + 1), view, { from: now - windowMs, to: now });
  }

  /** Bottlenecks per chain for a viewer, from the live buckets (see `chainBottlenecks`). */
  bottlenecks(viewer: Viewer, now: number, w: BottleneckWindows, o: BottleneckOptions = DEFAULT_BOTTLENECK_OPTIONS, chains: string[] = this.registry.list().map((d) => d.name)): Bottleneck[] {
    const view = viewKeyFor(viewer);
    const r = bottleneckRanges(now, w);
    const out: Bottleneck[] = [];
    for (const name of chains) {
      const def = this.registry.get(name);
      const cells = {
        window: this.stats.window(name, view, r.window[0], r.window[1] + 1),
        recent: this.stats.window(name, view, r.recent[0], r.recent[1] + 1),
        baseline: this.stats.window(name, view, r.baseline[0], r.baseline[1]),
      };
      out.push(...chainBottlenecks(def, view, now, w, cells, o));
    }
    return out;
  }
}
