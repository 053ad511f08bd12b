/**
 * Per-step statistics of chain executions over time, per tenant view.
 *
 * Executions are counted into fixed time buckets (`bucketMs`, by the time
 * FlowChain assembled them). A bucket holds, per chain and per view, a map of
 * cells: the chain itself (key ''), each step (key = step id) and each
 * operation within a step (key = step + '\u0001' + op). A cell counts
 * executions, errors, critical-path ms, Σ 1/sampleRate (the estimated number of
 * executions that happened) and a mergeable quantile sketch of durations. A
 * window's statistics merge the cells of its buckets; the same cells are the
 * rows stored in Postgres, so a window beyond the live one merges stored rows.
 *
 * Views: every execution is counted in the all-tenants view ('*', operators)
 * and in its own tenant's view (tenant id; '' for market-scoped system work).
 * A tenant's view is built from its own executions only.
 */
import type { Bottleneck, ChainStats, Execution, OpStats, StepStats } from '../types/flowchain';
import type { ChainDefinition } from './chain';
import { QuantileSketch, SketchJson } from './sketch';

export const ALL_VIEW = '*';
export const SYSTEM_VIEW = '';
const OP_SEP = '\u0001';
export const OTHER_OP = '(other)';

export function viewOf(tenantId: string | null): string {
  return tenantId ?? SYSTEM_VIEW;
}

export function cellKey(step: string, op?: string): string {
  return op === undefined ? step : step + OP_SEP + op;
}

export function splitCellKey(key: string): { step: string; op: string } {
  const i = key.indexOf(OP_SEP);
  return i < 0 ? { step: key, op: '' } : { step: key.slice(0, i), op: key.slice(i + 1) };
}

export interface Cell {
  count: number;
  errors: number;
  criticalMs: number;
  /** Σ 1/sampleRate */
  weight: number;
  sketch: QuantileSketch;
}

export type Cells = Map<string, Cell>;

export interface StatsOptions {
  /** Bucket width, ms. */
  bucketMs: number;
  /** How long buckets stay in memory, ms (the live window). */
  retainMs: number;
  /** Relative accuracy of the quantile sketches. */
  accuracy: number;
  /** Distinct operations kept per step and bucket; the rest count as '(other)'. */
  maxOpsPerStep: number;
  /** Tenant views per chain and bucket; beyond it executions count in the all-tenants view only. */
  maxViews: number;
}

export const DEFAULT_STATS_OPTIONS: StatsOptions = {
  bucketMs: 10_000,
  retainMs: 20 * 60_000,
  accuracy: 0.01,
  maxOpsPerStep: 64,
  maxViews: 10_000,
};

export function newCell(accuracy: number): Cell {
  return { count: 0, errors: 0, criticalMs: 0, weight: 0, sketch: new QuantileSketch(accuracy, 256) };
}

export function mergeCell(into: Cell, c: Cell): void {
  into.count += c.count;
  into.errors += c.errors;
  into.criticalMs += c.criticalMs;
  into.weight += c.weight;
  into.sketch.merge(c.sketch);
}

export function mergeCells(into: Cells, from: Cells, accuracy: number): Cells {
  for (const [k, c] of from) {
    let t = into.get(k);
    if (!t) into.set(k, (t = newCell(accuracy)));
    mergeCell(t, c);
  }
  return into;
}

/** Count one execution into a cell map. */
export function recordExecution(cells: Cells, e: Execution, accuracy: number, maxOpsPerStep = Infinity): void {
  const cell = (k: string): Cell => {
    let c = cells.get(k);
    if (!c) cells.set(k, (c = newCell(accuracy)));
    return c;
  };
  const w = 1 / (e.sampleRate > 0 ? e.sampleRate : 1);
  const ch = cell('');
  ch.count++;
  ch.errors += e.status === 'error' ? 1 : 0;
  ch.criticalMs += e.durationMs;
  ch.weight += w;
  ch.sketch.add(e.durationMs);
  for (const st of e.steps) {
    const sc = cell(cellKey(st.step));
    sc.count++;
    sc.errors += st.errors > 0 ? 1 : 0;
    sc.criticalMs += st.criticalMs;
    sc.weight += w;
    sc.sketch.add(st.durationMs);
    for (const o of st.ops) {
      let key = cellKey(st.step, o.op);
      if (!cells.has(key) && countOps(cells, st.step) >= maxOpsPerStep) key = cellKey(st.step, OTHER_OP);
      const oc = cell(key);
      oc.count++;
      oc.errors += o.error ? 1 : 0;
      oc.criticalMs += o.criticalMs;
      oc.weight += w;
      oc.sketch.add(o.durationMs);
    }
  }
}

function countOps(cells: Cells, step: string): number {
  let n = 0;
  const prefix = step + OP_SEP;
  for (const k of cells.keys()) if (k.startsWith(prefix)) n++;
  return n;
}

function q(c: Cell | undefined, p: number): number {
  if (!c || c.count === 0) return 0;
  return r3(c.sketch.quantile(p));
}

function r3(v: number): number {
  return Math.round(v * 1000) / 1000;
}

function r4(v: number): number {
  return Math.round(v * 10_000) / 10_000;
}

/** Statistics of one chain from a window's merged cells. */
export function chainStats(
  def: ChainDefinition,
  cells: Cells,
  view: string,
  window: { from: number; to: number },
): ChainStats {
  const ch = cells.get('');
  const total = ch?.criticalMs ?? 0;
  const n = ch?.count ?? 0;
  const steps: StepStats[] = def.steps.map((sd) => {
    const c = cells.get(cellKey(sd.id));
    const ops: OpStats[] = [];
    const prefix = sd.id + OP_SEP;
    for (const [k, oc] of cells) {
      if (!k.startsWith(prefix)) continue;
      ops.push({
        op: k.slice(prefix.length),
        count: oc.count,
        errors: oc.errors,
        errorRate: oc.count ? r4(oc.errors / oc.count) : 0,
        p50: q(oc, 0.5),
        p95: q(oc, 0.95),
        p99: q(oc, 0.99),
        criticalShare: total > 0 ? r4(oc.criticalMs / total) : 0,
      });
    }
    ops.sort((a, b) => b.criticalShare - a.criticalShare || b.p99 - a.p99);
    return {
      step: sd.id,
      label: sd.label,
      count: c?.count ?? 0,
      errors: c?.errors ?? 0,
      errorRate: c && c.count ? r4(c.errors / c.count) : 0,
      p50: q(c, 0.5),
      p95: q(c, 0.95),
      p99: q(c, 0.99),
      criticalShare: c && total > 0 ? r4(c.criticalMs / total) : 0,
      criticalMsMean: c && n > 0 ? r3(c.criticalMs / n) : 0,
      ops,
    };
  });
  const weight = ch?.weight ?? 0;
  return {
    chain: def.name,
    tenantId: view === ALL_VIEW || view === SYSTEM_VIEW ? null : view,
    scope: view === ALL_VIEW ? 'all' : view === SYSTEM_VIEW ? 'system' : 'tenant',
    window: { from: window.from, to: window.to, ms: window.to - window.from },
    executions: {
      sampled: n,
      estimatedTotal: r3(weight),
      sampledFraction: weight > 0 ? r4(n / weight) : 1,
      errors: ch?.errors ?? 0,
      errorRate: n ? r4((ch?.errors ?? 0) / n) : 0,
      p50: q(ch, 0.5),
      p95: q(ch, 0.95),
      p99: q(ch, 0.99),
    },
    steps,
  };
}

interface Bucket {
  start: number;
  /** chain → view → cells */
  chains: Map<string, Map<string, Cells>>;
  handedOut: boolean;
}

/** A row of stored statistics (one cell of one bucket). */
export interface StatsRow {
  bucketStart: number;
  bucketMs: number;
  chain: string;
  view: string;
  step: string;
  op: string;
  count: number;
  errors: number;
  criticalMs: number;
  weight: number;
  sketch: SketchJson;
}

export function cellToRow(bucketStart: number, bucketMs: number, chain: string, view: string, key: string, c: Cell): StatsRow {
  const { step, op } = splitCellKey(key);
  return { bucketStart, bucketMs, chain, view, step, op, count: c.count, errors: c.errors, criticalMs: c.criticalMs, weight: c.weight, sketch: c.sketch.toJSON() };
}

/** Merge stored rows (any buckets) into cells per chain. */
export function cellsFromRows(rows: readonly StatsRow[]): Map<string, Cells> {
  const out = new Map<string, Cells>();
  for (const r of rows) {
    let cells = out.get(r.chain);
    if (!cells) out.set(r.chain, (cells = new Map()));
    const key = r.op === '' ? cellKey(r.step) : cellKey(r.step, r.op);
    const sk = QuantileSketch.fromJSON(r.sketch, 256);
    const c: Cell = { count: r.count, errors: r.errors, criticalMs: r.criticalMs, weight: r.weight, sketch: sk };
    const t = cells.get(key);
    if (t) mergeCell(t, c);
    else cells.set(key, c);
  }
  return out;
}

/** The live, bounded, in-memory statistics. Clock is passed in (ms). */
export class FlowStats {
  readonly opts: StatsOptions;
  private readonly buckets: Bucket[] = [];
  /** Executions counted only in the all-tenants view because a bucket hit `maxViews`. */
  overflow = 0;

  constructor(opts: Partial<StatsOptions> = {}) {
    this.opts = { ...DEFAULT_STATS_OPTIONS, ...opts };
    if (!(this.opts.bucketMs > 0) || !(this.opts.retainMs >= this.opts.bucketMs)) throw new RangeError('stats: need bucketMs > 0 and retainMs ≥ bucketMs');
  }

  private bucketAt(now: number): Bucket {
    const start = Math.floor(now / this.opts.bucketMs) * this.opts.bucketMs;
    const last = this.buckets[this.buckets.length - 1];
    if (last && last.start === start) return last;
    if (last && last.start > start) {
      // clock went back: count into the newest bucket rather than reopen a closed one
      return last;
    }
    const b: Bucket = { start, chains: new Map(), handedOut: false };
    this.buckets.push(b);
    return b;
  }

  /** Count an execution at time `now` in the all-tenants view and its own view. */
  add(e: Execution, now: number): void {
    const b = this.bucketAt(now);
    let views = b.chains.get(e.chain);
    if (!views) b.chains.set(e.chain, (views = new Map()));
    const own = viewOf(e.tenantId);
    for (const v of [ALL_VIEW, own]) {
      let cells = views.get(v);
      if (!cells) {
        if (v !== ALL_VIEW && views.size > this.opts.maxViews) {
          this.overflow++;
          continue;
        }
        views.set(v, (cells = new Map()));
      }
      recordExecution(cells, e, this.opts.accuracy, this.opts.maxOpsPerStep);
    }
  }

  /** Drop buckets older than the live window. */
  evict(now: number): void {
    const keepFrom = now - this.opts.retainMs;
    while (this.buckets.length > 0 && this.buckets[0].start + this.opts.bucketMs <= keepFrom) this.buckets.shift();
  }

  /** Start of the oldest bucket held (the live window reaches back to it), or `now`. */
  oldest(now: number): number {
    return this.buckets.length > 0 ? this.buckets[0].start : now;
  }

  /** Merged cells of `chain` in `view` over buckets overlapping [from, to). */
  window(chain: string, view: string, from: number, to: number): Cells {
    const out: Cells = new Map();
    for (const b of this.buckets) {
      if (b.start + this.opts.bucketMs <= from || b.start >= to) continue;
      const cells = b.chains.get(chain)?.get(view);
      if (cells) mergeCells(out, cells, this.opts.accuracy);
    }
    return out;
  }

  /** Views with data for `chain` in [from, to). */
  views(chain: string, from: number, to: number): string[] {
    const out = new Set<string>();
    for (const b of this.buckets) {
      if (b.start + this.opts.bucketMs <= from || b.start >= to) continue;
      for (const v of b.chains.get(chain)?.keys() ?? []) out.add(v);
    }
    return [...out];
  }

  /** Rows of buckets that closed before `now` and were not handed out yet (for storage). */
  takeClosed(now: number): StatsRow[] {
    const rows: StatsRow[] = [];
    for (const b of this.buckets) {
      if (b.handedOut || b.start + this.opts.bucketMs > now) continue;
      b.handedOut = true;
      for (const [chain, views] of b.chains)
        for (const [view, cells] of views) for (const [k, c] of cells) rows.push(cellToRow(b.start, this.opts.bucketMs, chain, view, k, c));
    }
    return rows;
  }
}

export interface BottleneckOptions {
  /** A step or operation regressed when its recent p99 ≥ factor × its baseline p99. */
  slowFactor: number;
  /** Minimum executions in the recent window and the baseline for a regression verdict. */
  minRecent: number;
  minBaseline: number;
}

export const DEFAULT_BOTTLENECK_OPTIONS: BottleneckOptions = { slowFactor: 2, minRecent: 20, minBaseline: 50 };

/** The step holding the largest share of the chain's critical path, and its dominant operation. */
export function criticalPathBottleneck(s: ChainStats): Bottleneck | null {
  if (s.executions.sampled === 0) return null;
  const top = [...s.steps].filter((x) => x.count > 0).sort((a, b) => b.criticalShare - a.criticalShare)[0];
  if (!top) return null;
  const op = top.ops[0];
  return {
    kind: 'critical-path',
    chain: s.chain,
    tenantId: s.tenantId,
    step: top.step,
    op: op ? op.op : top.step,
    share: top.criticalShare,
    opShare: op ? op.criticalShare : top.criticalShare,
    evidence: { executions: s.executions.sampled, criticalMsMean: top.criticalMsMean, stepP99: top.p99, opP99: op ? op.p99 : top.p99, windowMs: s.window.ms },
  };
}

/** Steps and operations whose recent p99 exceeds their baseline p99 by `slowFactor`. */
export function regressions(recent: ChainStats, baseline: ChainStats, o: BottleneckOptions = DEFAULT_BOTTLENECK_OPTIONS): Bottleneck[] {
  const out: Bottleneck[] = [];
  const verdict = (step: string, op: string | null, r: { count: number; p99: number }, b: { count: number; p99: number }): boolean => {
    if (r.count < o.minRecent || b.count < o.minBaseline || !(b.p99 > 0)) return false;
    const ratio = r.p99 / b.p99;
    if (ratio < o.slowFactor) return false;
    out.push({
      kind: 'regression',
      chain: recent.chain,
      tenantId: recent.tenantId,
      step,
      op,
      factor: o.slowFactor,
      evidence: {
        recentP99: r.p99,
        baselineP99: b.p99,
        ratio: Math.round(ratio * 100) / 100,
        recentCount: r.count,
        baselineCount: b.count,
        recentMs: recent.window.ms,
        baselineMs: baseline.window.ms,
      },
    });
    return true;
  };
  for (const rs of recent.steps) {
    const bs = baseline.steps.find((x) => x.step === rs.step);
    if (!bs) continue;
    let anyOp = false;
    for (const ro of rs.ops) {
      const bo = bs.ops.find((x) => x.op === ro.op);
      if (bo && verdict(rs.step, ro.op, ro, bo)) anyOp = true;
    }
    if (!anyOp) verdict(rs.step, null, rs, bs);
  }
  return out;
}

export interface BottleneckWindows {
  /** Window for the critical-path verdict, ms. */
  windowMs: number;
  /** Recent window for regressions, ms (ending now). */
  recentMs: number;
  /** Baseline window, ms, ending where the recent one starts. */
  baselineMs: number;
}

/** The three [from, to) ranges the bottleneck verdicts read. */
export function bottleneckRanges(now: number, w: BottleneckWindows): { window: [number, number]; recent: [number, number]; baseline: [number, number] } {
  const rFrom = now - w.recentMs;
  return { window: [now - w.windowMs, now], recent: [rFrom, now], baseline: [rFrom - w.baselineMs, rFrom] };
}

/**
 * Bottlenecks of one chain in one view from the cells of the three windows:
 * the step dominating the critical path over the window, and steps/operations
 * whose recent p99 exceeds their baseline p99 by `slowFactor`.
 */
export function chainBottlenecks(
  def: ChainDefinition,
  view: string,
  now: number,
  w: BottleneckWindows,
  cells: { window: Cells; recent: Cells; baseline: Cells },
  o: BottleneckOptions = DEFAULT_BOTTLENECK_OPTIONS,
): Bottleneck[] {
  const r = bottleneckRanges(now, w);
  const out: Bottleneck[] = [];
  const cp = criticalPathBottleneck(chainStats(def, cells.window, view, { from: r.window[0], to: r.window[1] }));
  if (cp) out.push(cp);
  const recent = chainStats(def, cells.recent, view, { from: r.recent[0], to: r.recent[1] });
  const base = chainStats(def, cells.baseline, view, { from: r.baseline[0], to: r.baseline[1] });
  out.push(...regressions(recent, base, o));
  return out;
}

/**
 * A duration such as `90`, `90s`, `5m`, `1h`, `7d` (a bare number is seconds) in ms;
 * null when malformed.
 */
export function parseDuration(s: string): number | null {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/.exec(s);
  if (!m) return null;
  const n = Number(m[1]);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h' | 'd'];
  const v = n * unit;
  return v > 0 && Number.isFinite(v) ? v : null;
}
