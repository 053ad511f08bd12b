/**
 * FlowChain messages crossing service boundaries: the compact span records the
 * tracing exporter ships to `flowchain`, the `flowchain.updated` event, and the
 * REST answers (executions, step statistics, bottlenecks).
 *
 * Times are ms since epoch UTC (fractional: spans are timed with
 * `performance.now()` offsets); durations are ms.
 */

/** The error a span finished with: Moleculer's error fields, `data` truncated. */
export interface SpanError {
  name: string;
  message: string;
  code?: number | string;
  type?: string;
  data?: unknown;
}

/**
 * One finished tracing span, reduced to what FlowChain matches on. Built from a
 * Moleculer span by `toSpanRecord` (flowchain/span.ts) on the node that ran it.
 */
export interface SpanRecord {
  id: string;
  traceId: string;
  /** Parent span id; null at a trace root. The parent may be absent (unsampled or lost). */
  parentId: string | null;
  kind: 'action' | 'event' | 'http' | 'custom';
  /** Span name as Moleculer gave it: `action 'risk.evaluate'`, `GET /api/v1/x`, `validate`. */
  name: string;
  /** Operation: the action name, `<event>@<service>` for events, `METHOD /path` (ids → :id) for HTTP, the name otherwise. */
  op: string;
  /** Action name (`risk.evaluate`) for action and http spans. */
  action?: string;
  /** Event name (`candle.closed`) for event spans. */
  event?: string;
  /** Service full name (`consensus`, `v2.trading`). */
  service: string | null;
  node: string | null;
  /** `ctx.meta.tenantId` at span start; null for market-scoped (system) work. */
  tenantId: string | null;
  /** Start, ms since epoch. */
  start: number;
  /** Duration, ms. */
  duration: number;
  error: SpanError | null;
  /**
   * Head-sampling rate the trace was kept at, set by the sampling middleware on
   * the span where the decision was taken (rate rules on trace roots, 1 on
   * always-traced entries). Absent elsewhere: inherited from the nearest ancestor.
   */
  sampleRate?: number;
  /** Remaining scalar tags (flattened `a.b` keys), e.g. ones a service added with `ctx.span.addTags`. */
  tags?: Record<string, string | number | boolean>;
}

/** Payload of the `flowchain.spans` broadcast (the FlowChain exporter, one per node). */
export interface SpanBatch {
  node: string;
  spans: SpanRecord[];
}

export type ExecutionStatus = 'ok' | 'error';

/** One step of one execution. */
export interface StepTiming {
  step: string;
  /** Spans attributed to the step (a fan-out step such as agents' `opine` has several). */
  spans: number;
  /** ms from the execution start to the step's first span start. */
  offsetMs: number;
  /** Wall time from the step's first span start to its last span end, ms. */
  durationMs: number;
  /** Time the step holds on the execution's critical path, ms. */
  criticalMs: number;
  errors: number;
  /** Operations seen in the step with their own duration (longest span) and critical ms. */
  ops: { op: string; durationMs: number; criticalMs: number; error: boolean }[];
}

/** A node of an execution's step tree (`GET /flowchain/executions/:traceId`). */
export interface ExecutionSpan {
  id: string;
  parentId: string | null;
  op: string;
  kind: SpanRecord['kind'];
  step: string | null;
  service: string | null;
  node: string | null;
  tenantId: string | null;
  /** ms from the execution start. */
  offsetMs: number;
  durationMs: number;
  /** ms of this span on the critical path (its self time on it). */
  criticalMs: number;
  error: SpanError | null;
  children: ExecutionSpan[];
}

/** A chain execution assembled from the spans of one trace. */
export interface Execution {
  /** `<traceId>:<anchorSpanId>[:<tenantId>]`, stable across replicas. */
  id: string;
  traceId: string;
  chain: string;
  tenantId: string | null;
  status: ExecutionStatus;
  /** Step whose span the error originated in (the deepest failed span), when status is error. */
  failingStep: string | null;
  failingOp: string | null;
  error: SpanError | null;
  /** ms since epoch. */
  start: number;
  durationMs: number;
  /** Head-sampling rate this execution was kept at (1 = always traced). */
  sampleRate: number;
  /** Steps in definition order; steps not seen are absent from `steps` and named in `missing`. */
  steps: StepTiming[];
  missing: string[];
  /** Critical path from start to end: consecutive segments, summing to `durationMs`. */
  criticalPath: { spanId: string; op: string; step: string | null; ms: number }[];
  nodes: string[];
  spanCount: number;
  tree: ExecutionSpan;
}

/** Statistics of one operation (action/event) within a step. */
export interface OpStats {
  op: string;
  count: number;
  errors: number;
  errorRate: number;
  p50: number;
  p95: number;
  p99: number;
  /** Share of the chain's total critical-path time spent in this operation (0..1). */
  criticalShare: number;
}

export interface StepStats {
  step: string;
  label: string;
  /** Executions in which the step appeared. */
  count: number;
  errors: number;
  errorRate: number;
  /** Step wall duration (first span start → last span end) quantiles, ms. */
  p50: number;
  p95: number;
  p99: number;
  /** Share of the chain's total critical-path time held by this step (0..1); shares sum to 1. */
  criticalShare: number;
  /** Mean ms per execution on the critical path. */
  criticalMsMean: number;
  ops: OpStats[];
}

export interface ChainStats {
  chain: string;
  /** null: all tenants (operators' view) or system work, per `scope`. */
  tenantId: string | null;
  scope: 'all' | 'system' | 'tenant';
  window: { from: number; to: number; ms: number };
  executions: {
    /** Executions FlowChain saw (traced). */
    sampled: number;
    /** Σ 1/sampleRate: the executions that happened, estimated from the sampled ones. */
    estimatedTotal: number;
    /** sampled / estimatedTotal (1 when everything is traced). */
    sampledFraction: number;
    errors: number;
    errorRate: number;
    p50: number;
    p95: number;
    p99: number;
  };
  steps: StepStats[];
}

/** A reported bottleneck with the numbers that justify it. */
export type Bottleneck =
  | {
      kind: 'critical-path';
      chain: string;
      tenantId: string | null;
      step: string;
      /** The operation within the step holding most of its critical time (the slow agent). */
      op: string;
      /** Share of the chain's critical path (0..1). */
      share: number;
      opShare: number;
      evidence: { executions: number; criticalMsMean: number; stepP99: number; opP99: number; windowMs: number };
    }
  | {
      kind: 'regression';
      chain: string;
      tenantId: string | null;
      step: string;
      /** null when the whole step regressed; else the operation. */
      op: string | null;
      factor: number;
      evidence: { recentP99: number; baselineP99: number; ratio: number; recentCount: number; baselineCount: number; recentMs: number; baselineMs: number };
    };

/** Payload of the `flowchain.updated` event (≤ 1 per second per chain and tenant view). */
export interface FlowChainUpdated {
  chain: string;
  /** The tenant whose view changed; null for the operators' all-tenants view. */
  tenantId: string | null;
  stats: ChainStats;
}
