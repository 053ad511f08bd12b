/**
 * What the `flowchain` service runs, apart from the broker: the engine, the
 * write-behind to Postgres, the per-second update digest and the queries that
 * combine the live window (memory) with stored statistics (older buckets).
 * The service owns the timers and calls in here with the clock.
 */
import type { Db } from '../lib/storage/db';
import { NotFoundError } from '../lib/errors';
import type { Bottleneck, ChainStats, Execution, FlowChainUpdated, SpanRecord } from '../types/flowchain';
import type { ChainDefinition } from './chain';
import { FlowChainEngine, Viewer, viewKeyFor } from './engine';
import { ALL_VIEW, BottleneckOptions, bottleneckRanges, BottleneckWindows, Cells, cellsFromRows, chainBottlenecks, chainStats, mergeCells, StatsRow, SYSTEM_VIEW, viewOf } from './stats';
import * as store from './store';

export interface FlowChainSettings {
  /** Quiet time after which a trace is assembled, ms. */
  settleMs: number;
  /** Statistics bucket width, ms (memory and storage). */
  bucketMs: number;
  /** Live window kept in memory, ms. */
  liveWindowMs: number;
  /** Default window of statistics and of `flowchain.updated`, ms. */
  defaultWindowMs: number;
  /** Regression detection: recent window and the baseline before it, ms. */
  recentMs: number;
  baselineMs: number;
  slowFactor: number;
  minRecent: number;
  minBaseline: number;
  /** Timer periods, ms. */
  tickMs: number;
  /** CPU budget of one assembly slice, ms; a backlog continues in further slices, yielding to I/O in between. */
  sliceMs: number;
  persistMs: number;
  updateMs: number;
  retentionEveryMs: number;
  /** Executions and statistics older than this are deleted, days. */
  retentionDays: number;
  maxRecent: number;
  /** Executions waiting for the database at most; beyond it the oldest are dropped (counted). */
  maxPendingWrites: number;
}

export const DEFAULT_SETTINGS: FlowChainSettings = {
  settleMs: 600,
  bucketMs: 10_000,
  liveWindowMs: 20 * 60_000,
  defaultWindowMs: 5 * 60_000,
  recentMs: 60_000,
  baselineMs: 15 * 60_000,
  slowFactor: 2,
  minRecent: 20,
  minBaseline: 50,
  tickMs: 100,
  sliceMs: 4,
  persistMs: 1000,
  updateMs: 1000,
  retentionEveryMs: 3_600_000,
  retentionDays: 7,
  maxRecent: 5000,
  maxPendingWrites: 50_000,
};

export interface RuntimeCounters {
  persistedExecutions: number;
  persistedStatsRows: number;
  persistErrors: number;
  droppedWrites: number;
  invalidSpans: number;
  updatesEmitted: number;
  lastPersistError: string | null;
}

export class FlowChainRuntime {
  readonly s: FlowChainSettings;
  readonly engine: FlowChainEngine;
  db: Db | null = null;
  private pendingExecs: Execution[] = [];
  private pendingRows: StatsRow[] = [];
  private readonly dirty = new Set<string>();
  private readonly lastUpdate = new Map<string, number>();
  private persisting: Promise<void> | null = null;
  readonly counters: RuntimeCounters = {
    persistedExecutions: 0,
    persistedStatsRows: 0,
    persistErrors: 0,
    droppedWrites: 0,
    invalidSpans: 0,
    updatesEmitted: 0,
    lastPersistError: null,
  };

  constructor(settings: Partial<FlowChainSettings> = {}, engine?: FlowChainEngine) {
    this.s = { ...DEFAULT_SETTINGS, ...settings };
    this.engine =
      engine ??
      new FlowChainEngine({
        settleMs: this.s.settleMs,
        maxRecent: this.s.maxRecent,
        stats: { bucketMs: this.s.bucketMs, retainMs: Math.max(this.s.liveWindowMs, this.s.recentMs + this.s.baselineMs + this.s.bucketMs) },
      });
  }

  get bottleneckWindows(): BottleneckWindows {
    return { windowMs: this.s.defaultWindowMs, recentMs: this.s.recentMs, baselineMs: this.s.baselineMs };
  }

  get bottleneckOptions(): BottleneckOptions {
    return { slowFactor: this.s.slowFactor, minRecent: this.s.minRecent, minBaseline: this.s.minBaseline };
  }

  ingest(spans: readonly SpanRecord[], now: number): void {
    this.engine.ingest(spans, now);
  }

  /** Assemble settled traces (all buffered ones when `force`); queue their executions for storage and their views for an update. */
  tick(now: number, force = false, budgetMs = Infinity): Execution[] {
    const ex = force ? this.engine.flushAll(now) : this.engine.tick(now, budgetMs);
    if (ex.length === 0) return ex;
    this.pendingExecs.push(...ex);
    const over = this.pendingExecs.length - this.s.maxPendingWrites;
    if (over > 0) {
      this.pendingExecs.splice(0, over);
      this.counters.droppedWrites += over;
    }
    for (const e of ex) {
      this.dirty.add(e.chain + '\u0000' + ALL_VIEW);
      if (e.tenantId !== null) this.dirty.add(e.chain + '\u0000' + viewOf(e.tenantId));
    }
    return ex;
  }

  /** Write queued executions and closed statistics buckets. One write at a time; failures keep the batch for the next round. */
  persist(now: number): Promise<void> {
    this.persisting ??= this.persistOnce(now).finally(() => {
      this.persisting = null;
    });
    return this.persisting;
  }

  private async persistOnce(now: number): Promise<void> {
    this.pendingRows.push(...this.engine.stats.takeClosed(now));
    const db = this.db;
    if (!db) return;
    // Small statements: serialising a batch is synchronous, so a big one would stall the event loop.
    while (this.pendingExecs.length > 0 || this.pendingRows.length > 0) {
      const execs = this.pendingExecs.splice(0, 200);
      const rows = this.pendingRows.splice(0, 1000);
      try {
        if (execs.length > 0) {
          await store.saveExecutions(db, execs);
          this.counters.persistedExecutions += execs.length;
        }
        if (rows.length > 0) {
          await store.saveStatsRows(db, rows);
          this.counters.persistedStatsRows += rows.length;
        }
      } catch (e) {
        this.pendingExecs.unshift(...execs);
        this.pendingRows.unshift(...rows);
        this.counters.persistErrors++;
        this.counters.lastPersistError = (e as Error).message;
        throw e;
      }
    }
  }

  /** Write everything queued now (before a list query, and at shutdown). */
  async drain(now: number): Promise<void> {
    for (let i = 0; i < 100; i++) {
      await this.persist(now);
      if (!this.db || (this.pendingExecs.length === 0 && this.pendingRows.length === 0)) return;
    }
  }

  /**
   * The `flowchain.updated` payloads due: one per chain and view that changed,
   * at most one per `updateMs` for each (a view emitted less than `updateMs` ago
   * stays pending for a later call).
   */
  updates(now: number): FlowChainUpdated[] {
    const out: FlowChainUpdated[] = [];
    for (const key of [...this.dirty]) {
      const [chain, view] = key.split('\u0000');
      if (!this.engine.registry.has(chain) || view === SYSTEM_VIEW) {
        this.dirty.delete(key);
        continue;
      }
      const last = this.lastUpdate.get(key);
      if (last !== undefined && now - last < this.s.updateMs) continue;
      this.lastUpdate.set(key, now);
      this.dirty.delete(key);
      const def = this.engine.registry.get(chain);
      const from = now - this.s.defaultWindowMs;
      const stats = chainStats(def, this.engine.stats.window(chain, view, from, now + 1), view, { from, to: now });
      out.push({ chain, tenantId: view === ALL_VIEW ? null : view, stats });
    }
    if (this.lastUpdate.size > 4 * this.dirty.size + 10_000) for (const [k, t] of this.lastUpdate) if (now - t >= this.s.updateMs) this.lastUpdate.delete(k);
    this.counters.updatesEmitted += out.length;
    return out;
  }

  /** Cells of a view over [from, to): stored buckets before the live window, memory within it. */
  async cells(chain: string, view: string, from: number, to: number): Promise<Cells> {
    const liveStart = this.engine.stats.oldest(to);
    const mem = this.engine.stats.window(chain, view, Math.max(from, liveStart), to);
    if (from >= liveStart || !this.db) return mem;
    const rows = await store.loadStatsRows(this.db, view, from, liveStart, chain);
    const stored = cellsFromRows(rows).get(chain) ?? new Map();
    return mergeCells(stored, mem, this.engine.stats.opts.accuracy);
  }

  async chainStats(chain: string, viewer: Viewer, windowMs: number, now: number): Promise<ChainStats> {
    const def = this.engine.registry.get(chain);
    const view = viewKeyFor(viewer);
    const from = now - windowMs;
    return chainStats(def, await this.cells(chain, view, from, now + 1), view, { from, to: now });
  }

  async bottlenecks(viewer: Viewer, now: number, w: BottleneckWindows, o: BottleneckOptions, chains?: string[]): Promise<Bottleneck[]> {
    const view = viewKeyFor(viewer);
    const r = bottleneckRanges(now, w);
    const out: Bottleneck[] = [];
    for (const name of chains ?? this.engine.registry.list().map((d) => d.name)) {
      const def = this.engine.registry.get(name);
      const cells = {
        window: await this.cells(name, view, r.window[0], r.window[1] + 1),
        recent: await this.cells(name, view, r.recent[0], r.recent[1] + 1),
        baseline: await this.cells(name, view, r.baseline[0], r.baseline[1]),
      };
      out.push(...chainBottlenecks(def, view, now, w, cells, o));
    }
    return out;
  }

  /** Stored executions (queued ones written first), newest first. */
  async executions(viewer: Viewer, f: store.ExecutionFilter, now: number): Promise<{ items: Omit<Execution, 'tree'>[]; nextCursor: string | null }> {
    if (!this.db) {
      const items = this.engine.recentExecutions(viewer, f).map(({ tree: _t, ...rest }) => rest);
      return { items, nextCursor: null };
    }
    await this.drain(now);
    return store.queryExecutions(this.db, viewer, f);
  }

  /** The executions of a trace the viewer may see, with step trees; 404 when none. */
  async execution(traceId: string, viewer: Viewer): Promise<Execution[]> {
    let ex = this.engine.executionsOfTrace(traceId, viewer);
    if (ex.length === 0 && this.db) ex = await store.executionsByTrace(this.db, viewer, traceId);
    if (ex.length === 0) throw new NotFoundError('trace', traceId);
    return ex;
  }

  /** Add (or replace) a run-time chain and store it. */
  async defineChain(input: unknown, replace: boolean): Promise<ChainDefinition> {
    const def = this.engine.registry.add(input, { replace });
    if (this.db) await store.saveDefinition(this.db, def);
    return def;
  }

  async removeChain(name: string): Promise<boolean> {
    this.engine.registry.get(name);
    const had = this.engine.registry.remove(name);
    if (this.db) await store.deleteDefinition(this.db, name);
    return had;
  }

  /** Load stored run-time definitions; returns names loaded and the faults of those that no longer validate. */
  async loadDefinitions(): Promise<{ loaded: string[]; rejected: string[] }> {
    const loaded: string[] = [];
    const rejected: string[] = [];
    if (!this.db) return { loaded, rejected };
    for (const d of await store.loadDefinitions(this.db)) {
      try {
        loaded.push(this.engine.registry.add(d, { replace: true }).name);
      } catch (e) {
        rejected.push((e as Error).message);
      }
    }
    return { loaded, rejected };
  }

  async retention(): Promise<{ executions: number; stats: number }> {
    if (!this.db) return { executions: 0, stats: 0 };
    return store.applyRetention(this.db, this.s.retentionDays);
  }
}
