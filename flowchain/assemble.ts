/**
 * Cuts chain executions out of the spans of one trace (the rules are in
 * chain.ts), splits them per tenant, and computes per-step timings and the
 * critical path.
 *
 * Tenants. `meta.tenantId` is inherited by every call below the one that set
 * it, so a trace is a tree whose tenant-less top (e.g. one `candle.closed`)
 * may fan out into several tenants' subtrees (each tenant's decision). Such an
 * execution is split: one per tenant, each keeping the tenant-less spans (shared
 * market-scoped work such as agents' opinions) and only its own tenant's
 * subtrees. A span that lost another tenant's children ends, for this tenant,
 * when its last kept child ends (its own end waited for others). So no
 * execution, statistic or tree ever holds another tenant's span.
 *
 * Critical path. Walking back from the end of the anchor: the child finishing
 * last before the cursor is on the path; time between it and the cursor is the
 * parent's own; recurse into the child, move the cursor to its start, repeat.
 * Children are clamped into their parent's interval (clock skew between nodes,
 * calls that outlive a timed-out caller). Segments sum to the execution's duration.
 */
import type { Execution, ExecutionSpan, SpanError, SpanRecord, StepTiming } from '../types/flowchain';
import type { CompiledChain } from './chain';

interface Node {
  s: SpanRecord;
  parent: Node | null;
  children: Node[];
}

/** Span trees of one trace: roots are spans whose parent is absent. Duplicate ids keep the first. */
export function buildForest(spans: readonly SpanRecord[]): Node[] {
  const byId = new Map<string, Node>();
  for (const s of spans) if (!byId.has(s.id)) byId.set(s.id, { s, parent: null, children: [] });
  const roots: Node[] = [];
  for (const n of byId.values()) {
    const p = n.s.parentId !== null && n.s.parentId !== n.s.id ? byId.get(n.s.parentId) : undefined;
    if (p) {
      n.parent = p;
      p.children.push(n);
    } else roots.push(n);
  }
  for (const n of byId.values()) n.children.sort((a, b) => a.s.start - b.s.start);
  return roots.sort((a, b) => a.s.start - b.s.start);
}

/** A node of the execution's (pruned) tree. */
interface XNode {
  s: SpanRecord;
  children: XNode[];
  step: number;
  /** own match (not inherited) */
  matched: boolean;
  /** lost children that belonged to another tenant */
  pruned: boolean;
  end: number;
  critical: number;
}

function spanEnd(s: SpanRecord): number {
  return s.start + s.duration;
}

function tenantsUnder(anchor: Node, chain: CompiledChain): string[] {
  const out = new Set<string>();
  const stack: Node[] = [anchor];
  while (stack.length > 0) {
    const n = stack.pop() as Node;
    if (n !== anchor && chain.isBoundary(n.s)) continue;
    if (n.s.tenantId !== null) {
      out.add(n.s.tenantId);
      continue; // the subtree inherits this tenant
    }
    stack.push(...n.children);
  }
  return [...out].sort();
}

/**
 * The execution tree for `tenant` (null: everything): boundary subtrees and
 * other tenants' subtrees removed, steps attributed, effective ends computed.
 */
function buildTree(anchor: Node, chain: CompiledChain, tenant: string | null): XNode {
  const make = (n: Node, parentStep: number, sticky: boolean): XNode => {
    let step = parentStep;
    let matched = false;
    if (!sticky) {
      const own = chain.stepOf(n.s);
      if (own >= 0) {
        step = own;
        matched = true;
      }
    }
    const isSticky = sticky || (matched && chain.steps[step].def.sticky === true);
    const x: XNode = { s: n.s, children: [], step, matched, pruned: false, end: spanEnd(n.s), critical: 0 };
    for (const c of n.children) {
      if (chain.isBoundary(c.s)) continue;
      if (tenant !== null && c.s.tenantId !== null && c.s.tenantId !== tenant) {
        x.pruned = true;
        continue;
      }
      x.children.push(make(c, step, isSticky));
    }
    return x;
  };
  const root = make(anchor, -1, false);
  const fixEnds = (x: XNode): number => {
    let last = -Infinity;
    for (const c of x.children) last = Math.max(last, fixEnds(c));
    if (x.pruned) x.end = Math.max(x.s.start, last);
    return x.end;
  };
  fixEnds(root);
  return root;
}

interface Segment {
  node: XNode;
  ms: number;
}

/**
 * Clocks of two nodes disagree by about this much (ms): a child ending up to
 * this long after its parent's cursor still counts as finished before it.
 */
export const SKEW_TOLERANCE_MS = 2;

/**
 * Critical path of `x` clamped to [lo, hi], appended latest-first to `out`.
 * `end` overrides the span's own end (an anchor that handed its work off and
 * returned early ends, for the execution, when its last step ends).
 *
 * Happens-before: only a child that had finished by the cursor can be what the
 * parent waited for, so the path goes through the child finishing last before
 * the cursor. A child still running then (a late agent the decision went on
 * without, past its deadline) is not on the path; the parent's wait for its
 * deadline is the parent's own time. Children that started before the parent
 * are clamped to its start.
 */
function criticalPath(x: XNode, lo: number, hi: number, out: Segment[], end = Math.min(x.end, hi)): void {
  const start = Math.max(x.s.start, lo);
  if (!(end > start)) return;
  let cursor = end;
  let rest = x.children;
  while (cursor > start) {
    rest = rest.filter((c) => c.s.start < cursor && c.end <= cursor + SKEW_TOLERANCE_MS);
    let best: XNode | null = null;
    for (const c of rest) if (!best || c.end > best.end) best = c;
    if (!best) break;
    const chosen = best;
    rest = rest.filter((c) => c !== chosen);
    const cEnd = Math.min(chosen.end, cursor);
    const cStart = Math.max(chosen.s.start, start);
    if (!(cEnd > cStart)) continue;
    if (cEnd < cursor) out.push({ node: x, ms: cursor - cEnd });
    criticalPath(chosen, cStart, cEnd, out);
    cursor = cStart;
  }
  if (cursor > start) out.push({ node: x, ms: cursor - start });
}

function flatten(x: XNode, out: XNode[] = []): XNode[] {
  out.push(x);
  for (const c of x.children) flatten(c, out);
  return out;
}

/** The span where an error originated: descend through failed children, the last-ending first. */
function errorOrigin(x: XNode): XNode {
  let cur = x;
  for (;;) {
    const failed = cur.children.filter((c) => c.s.error !== null).sort((a, b) => b.end - a.end);
    if (failed.length === 0) return cur;
    cur = failed[0];
  }
}

function findFailure(root: XNode, chain: CompiledChain): XNode | null {
  if (root.s.error !== null) return errorOrigin(root);
  // A failed span that is itself a (non-fan-out) step fails the execution even if its caller recovered.
  const candidates = flatten(root).filter((x) => x.s.error !== null && x.matched && chain.steps[x.step].def.fanout !== true);
  if (candidates.length === 0) return null;
  const origins = candidates.map(errorOrigin).sort((a, b) => a.s.start - b.s.start);
  return origins[0];
}

function rateOf(anchor: Node): number {
  for (let n: Node | null = anchor; n !== null; n = n.parent) if (n.s.sampleRate !== undefined) return n.s.sampleRate;
  return 1;
}

function toTree(x: XNode, t0: number, chain: CompiledChain): ExecutionSpan {
  return {
    id: x.s.id,
    parentId: x.s.parentId,
    op: x.s.op,
    kind: x.s.kind,
    step: x.step >= 0 ? chain.steps[x.step].def.id : null,
    service: x.s.service,
    node: x.s.node,
    tenantId: x.s.tenantId,
    offsetMs: round(x.s.start - t0),
    durationMs: round(x.end - x.s.start),
    criticalMs: round(x.critical),
    error: x.s.error,
    children: x.children.map((c) => toTree(c, t0, chain)),
  };
}

function round(v: number): number {
  return Math.round(v * 1000) / 1000;
}

function buildExecution(chain: CompiledChain, anchor: Node, tenant: string | null): Execution | null {
  const root = buildTree(anchor, chain, tenant);
  const all = flatten(root);
  const present = new Set(all.map((x) => x.step).filter((i) => i >= 0));
  for (const st of chain.steps) if (st.def.required && !present.has(st.index)) return null;
  if (present.size < (chain.def.minSteps ?? 1)) return null;

  // The execution ends when its anchor does or, for an anchor that handed its work off
  // (an event handler that queued the decision and returned), when the branch that
  // reached its last step returned: that step's spans and the spans they ran under.
  let lastStep = -1;
  for (const x of all) if (x.matched && x.step > lastStep) lastStep = x.step;
  let end = root.end;
  const parentOf = new Map<XNode, XNode>();
  for (const x of all) for (const c of x.children) parentOf.set(c, x);
  for (const x of all) {
    if (x.step !== lastStep) continue;
    for (let n: XNode | undefined = x; n && n !== root; n = parentOf.get(n)) if (n.end > end) end = n.end;
  }

  const segs: Segment[] = [];
  criticalPath(root, root.s.start, end, segs, end);
  segs.reverse();
  const path: Execution['criticalPath'] = [];
  for (const sg of segs) {
    sg.node.critical += sg.ms;
    const last = path[path.length - 1];
    if (last && last.spanId === sg.node.s.id) last.ms += sg.ms;
    else path.push({ spanId: sg.node.s.id, op: sg.node.s.op, step: sg.node.step >= 0 ? chain.steps[sg.node.step].def.id : null, ms: sg.ms });
  }
  for (const p of path) p.ms = round(p.ms);

  const t0 = root.s.start;
  const steps: StepTiming[] = [];
  const missing: string[] = [];
  for (const st of chain.steps) {
    const xs = all.filter((x) => x.step === st.index);
    if (xs.length === 0) {
      missing.push(st.def.id);
      continue;
    }
    const first = Math.min(...xs.map((x) => x.s.start));
    const last = Math.max(...xs.map((x) => x.end));
    const ops = new Map<string, { op: string; durationMs: number; criticalMs: number; error: boolean }>();
    for (const x of xs) {
      const o = ops.get(x.s.op) ?? { op: x.s.op, durationMs: 0, criticalMs: 0, error: false };
      o.durationMs = Math.max(o.durationMs, x.end - x.s.start);
      o.criticalMs += x.critical;
      o.error ||= x.s.error !== null;
      ops.set(x.s.op, o);
    }
    steps.push({
      step: st.def.id,
      spans: xs.filter((x) => x.matched).length || xs.length,
      offsetMs: round(first - t0),
      durationMs: round(last - first),
      criticalMs: round(xs.reduce((a, x) => a + x.critical, 0)),
      errors: xs.filter((x) => x.s.error !== null && x.matched).length,
      ops: [...ops.values()].map((o) => ({ ...o, durationMs: round(o.durationMs), criticalMs: round(o.criticalMs) })),
    });
  }

  const failure = findFailure(root, chain);
  const error: SpanError | null = failure ? failure.s.error : null;
  const nodes = [...new Set(all.map((x) => x.s.node).filter((n): n is string => n !== null))].sort();
  return {
    id: `${anchor.s.traceId}:${anchor.s.id}:${tenant ?? '-'}`,
    traceId: anchor.s.traceId,
    chain: chain.def.name,
    tenantId: tenant,
    status: failure ? 'error' : 'ok',
    failingStep: failure && failure.step >= 0 ? chain.steps[failure.step].def.id : null,
    failingOp: failure ? failure.s.op : null,
    error,
    start: t0,
    durationMs: round(end - t0),
    sampleRate: rateOf(anchor),
    steps,
    missing,
    criticalPath: path,
    nodes,
    spanCount: all.length,
    tree: toTree(root, t0, chain),
  };
}

/**
 * Executions of one chain anchored in these trees. `incomplete` counts anchors
 * that made no execution (yet: their remaining steps may still be running).
 */
export function executionsOf(chain: CompiledChain, roots: readonly Node[], incomplete = { n: 0 }): Execution[] {
  const out: Execution[] = [];
  const stack: Node[] = [...roots].reverse();
  while (stack.length > 0) {
    const n = stack.pop() as Node;
    const step = chain.stepOf(n.s);
    if (step >= 0 && chain.isEntry(step) && !chain.isBoundary(n.s)) {
      const tenants = n.s.tenantId !== null ? [n.s.tenantId] : tenantsUnder(n, chain);
      const before = out.length;
      if (tenants.length <= 1) {
        const e = buildExecution(chain, n, tenants[0] ?? null);
        if (e) out.push(e);
      } else {
        for (const t of tenants) {
          const e = buildExecution(chain, n, t);
          if (e) out.push(e);
        }
      }
      if (out.length === before) incomplete.n++;
      continue; // topmost entry only: the subtree belongs to this execution
    }
    for (let i = n.children.length - 1; i >= 0; i--) stack.push(n.children[i]);
  }
  return out;
}

/** Every execution of every chain in the spans of one trace. */
export function assembleTrace(spans: readonly SpanRecord[], chains: readonly CompiledChain[]): Execution[] {
  return assembleTraceWithWait(spans, chains).executions;
}

/**
 * The executions of one trace, and how long (ms, from the trace's first span)
 * it should stay open for anchors that made no execution yet: the largest
 * `waitMs` of their chains, 0 when none waits.
 */
export function assembleTraceWithWait(spans: readonly SpanRecord[], chains: readonly CompiledChain[]): { executions: Execution[]; waitMs: number } {
  const roots = buildForest(spans);
  const out: Execution[] = [];
  let waitMs = 0;
  for (const c of chains) {
    const incomplete = { n: 0 };
    out.push(...executionsOf(c, roots, incomplete));
    if (incomplete.n > 0 && c.def.waitMs) waitMs = Math.max(waitMs, c.def.waitMs);
  }
  return { executions: out, waitMs };
}

