/**
 * FlowChain's storage on the `Db` port (migrations/0501_flowchain.sql):
 * executions, per-bucket statistics rows, run-time chain definitions, retention.
 *
 * Writes are batched (one statement per batch through `jsonb_to_recordset`)
 * and idempotent (`ON CONFLICT DO NOTHING`): several `flowchain` replicas see
 * the same spans and write the same rows. Rows of a tenant that does not exist
 * (a span carrying a made-up tenant id) are skipped, not failed. Every query a
 * tenant can reach filters by its tenant id.
 */
import type { Db } from '../lib/storage/db';
import type { Execution } from '../types/flowchain';
import type { ChainDefinition } from './chain';
import type { Viewer } from './engine';
import { ALL_VIEW, StatsRow, SYSTEM_VIEW } from './stats';

export interface ExecutionFilter {
  chain?: string;
  status?: 'ok' | 'error';
  /** ms since epoch, inclusive */
  from?: number;
  /** ms since epoch, exclusive */
  to?: number;
  limit: number;
  /** opaque, from a previous page's `nextCursor` */
  cursor?: string;
}

/** Store executions; returns how many rows were new. */
export async function saveExecutions(db: Db, execs: readonly Execution[]): Promise<number> {
  if (execs.length === 0) return 0;
  const rows = execs.map((e) => ({
    id: e.id,
    trace_id: e.traceId,
    chain: e.chain,
    tenant_id: e.tenantId,
    status: e.status,
    failing_step: e.failingStep,
    failing_op: e.failingOp,
    error: e.error,
    start_ms: e.start,
    duration_ms: e.durationMs,
    sample_rate: e.sampleRate,
    nodes: e.nodes,
    span_count: e.spanCount,
    steps: e.steps,
    missing: e.missing,
    critical_path: e.criticalPath,
    tree: e.tree,
  }));
  const res = await db.query(
    `INSERT INTO flowchain_executions (id, trace_id, chain, tenant_id, status, failing_step, failing_op, error, started_at, start_ms,
       duration_ms, sample_rate, nodes, span_count, steps, missing, critical_path, tree)
     SELECT r.id, r.trace_id, r.chain, r.tenant_id, r.status, r.failing_step, r.failing_op, r.error, to_timestamp(r.start_ms / 1000.0), r.start_ms,
       r.duration_ms, r.sample_rate, r.nodes, r.span_count, r.steps, r.missing, r.critical_path, r.tree
     FROM jsonb_to_recordset($1::jsonb) AS r(id text, trace_id text, chain text, tenant_id text, status text, failing_step text, failing_op text,
       error jsonb, start_ms double precision, duration_ms double precision, sample_rate double precision, nodes jsonb, span_count integer,
       steps jsonb, missing jsonb, critical_path jsonb, tree jsonb)
     WHERE r.tenant_id IS NULL OR EXISTS (SELECT 1 FROM tenants t WHERE t.id = r.tenant_id)
     ON CONFLICT DO NOTHING
     RETURNING 1`,
    [JSON.stringify(rows)],
  );
  return res.length;
}

function scopeOf(view: string): { scope: 'all' | 'system' | 'tenant'; tenantId: string | null } {
  if (view === ALL_VIEW) return { scope: 'all', tenantId: null };
  if (view === SYSTEM_VIEW) return { scope: 'system', tenantId: null };
  return { scope: 'tenant', tenantId: view };
}

/** Store statistics rows; returns how many were new. */
export async function saveStatsRows(db: Db, rows: readonly StatsRow[]): Promise<number> {
  if (rows.length === 0) return 0;
  const json = rows.map((r) => {
    const { scope, tenantId } = scopeOf(r.view);
    return {
      bucket_start_ms: r.bucketStart,
      bucket_ms: r.bucketMs,
      chain: r.chain,
      scope,
      tenant_id: tenantId,
      step: r.step,
      op: r.op,
      count: r.count,
      errors: r.errors,
      critical_ms: r.criticalMs,
      weight: r.weight,
      sketch: r.sketch,
    };
  });
  const res = await db.query(
    `INSERT INTO flowchain_step_stats (bucket_start, bucket_ms, chain, scope, tenant_id, step, op, count, errors, critical_ms, weight, sketch)
     SELECT to_timestamp(r.bucket_start_ms / 1000.0), r.bucket_ms, r.chain, r.scope, r.tenant_id, r.step, r.op, r.count, r.errors, r.critical_ms, r.weight, r.sketch
     FROM jsonb_to_recordset($1::jsonb) AS r(bucket_start_ms double precision, bucket_ms integer, chain text, scope text, tenant_id text,
       step text, op text, count integer, errors integer, critical_ms double precision, weight double precision, sketch jsonb)
     WHERE r.tenant_id IS NULL OR EXISTS (SELECT 1 FROM tenants t WHERE t.id = r.tenant_id)
     ON CONFLICT DO NOTHING
     RETURNING 1`,
    [JSON.stringify(json)],
  );
  return res.length;
}

/**
 * Stored statistics rows of one view over [from, to) (ms), optionally one chain.
 * `view` is '*' (all tenants), '' (system) or a tenant id.
 */
export async function loadStatsRows(db: Db, view: string, from: number, to: number, chain?: string): Promise<StatsRow[]> {
  const { scope, tenantId } = scopeOf(view);
  const params: unknown[] = [scope, from / 1000, to / 1000];
  let sql = `SELECT extract(epoch FROM bucket_start) * 1000 AS bucket_start, bucket_ms, chain, step, op, count, errors, critical_ms, weight, sketch
     FROM flowchain_step_stats
     WHERE scope = $1 AND bucket_start >= to_timestamp($2) AND bucket_start < to_timestamp($3)`;
  if (tenantId !== null) {
    params.push(tenantId);
    sql += ` AND tenant_id = $${params.length}`;
  } else sql += ' AND tenant_id IS NULL';
  if (chain !== undefined) {
    params.push(chain);
    sql += ` AND chain = $${params.length}`;
  }
  const rows = await db.query<{
    bucket_start: number | string;
    bucket_ms: number;
    chain: string;
    step: string;
    op: string;
    count: number;
    errors: number;
    critical_ms: number;
    weight: number;
    sketch: StatsRow['sketch'];
  }>(sql, params);
  return rows.map((r) => ({
    bucketStart: Math.round(Number(r.bucket_start)),
    bucketMs: r.bucket_ms,
    chain: r.chain,
    view,
    step: r.step,
    op: r.op,
    count: r.count,
    errors: r.errors,
    criticalMs: r.critical_ms,
    weight: r.weight,
    sketch: r.sketch,
  }));
}

interface ExecutionRow {
  id: string;
  trace_id: string;
  chain: string;
  tenant_id: string | null;
  status: 'ok' | 'error';
  failing_step: string | null;
  failing_op: string | null;
  error: Execution['error'];
  start_ms: number;
  duration_ms: number;
  sample_rate: number;
  nodes: string[];
  span_count: number;
  steps: Execution['steps'];
  missing: string[];
  critical_path: Execution['criticalPath'];
  tree: Execution['tree'] | null;
}

function toExecution(r: ExecutionRow): Execution {
  return {
    id: r.id,
    traceId: r.trace_id,
    chain: r.chain,
    tenantId: r.tenant_id,
    status: r.status,
    failingStep: r.failing_step,
    failingOp: r.failing_op,
    error: r.error,
    start: r.start_ms,
    durationMs: r.duration_ms,
    sampleRate: r.sample_rate,
    steps: r.steps,
    missing: r.missing,
    criticalPath: r.critical_path,
    nodes: r.nodes,
    spanCount: r.span_count,
    tree: r.tree as Execution['tree'],
  };
}

function viewerClause(v: Viewer, params: unknown[]): string {
  if (v.role === 'admin' && !v.tenantId) return 'TRUE';
  params.push(v.tenantId);
  return `tenant_id = $${params.length}`;
}

export function encodeCursor(startMs: number, id: string): string {
  return Buffer.from(JSON.stringify([startMs, id])).toString('base64url');
}

export function decodeCursor(c: string): { startMs: number; id: string } | null {
  try {
    const v = JSON.parse(Buffer.from(c, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(v) && typeof v[0] === 'number' && typeof v[1] === 'string') return { startMs: v[0], id: v[1] };
  } catch {
    return null; // a bad cursor is the caller's 422, decided by the null
  }
  return null;
}

/** A page of stored executions (newest first), without their trees; `nextCursor` when more exist. */
export async function queryExecutions(db: Db, v: Viewer, f: ExecutionFilter): Promise<{ items: Omit<Execution, 'tree'>[]; nextCursor: string | null }> {
  const params: unknown[] = [];
  const where = [viewerClause(v, params)];
  if (f.chain) {
    params.push(f.chain);
    where.push(`chain = $${params.length}`);
  }
  if (f.status) {
    params.push(f.status);
    where.push(`status = $${params.length}`);
  }
  if (f.from !== undefined) {
    params.push(f.from);
    where.push(`start_ms >= $${params.length}`);
  }
  if (f.to !== undefined) {
    params.push(f.to);
    where.push(`start_ms < $${params.length}`);
  }
  if (f.cursor) {
    const c = decodeCursor(f.cursor);
    if (c) {
      params.push(c.startMs, c.id);
      where.push(`(start_ms, id) < ($${params.length - 1}, $${params.length})`);
    }
  }
  params.push(f.limit + 1);
  const rows = await db.query<ExecutionRow>(
    `SELECT id, trace_id, chain, tenant_id, status, failing_step, failing_op, error, start_ms, duration_ms, sample_rate, nodes, span_count,
       steps, missing, critical_path, NULL AS tree
     FROM flowchain_executions WHERE ${where.join(' AND ')}
     ORDER BY start_ms DESC, id DESC LIMIT $${params.length}`,
    params,
  );
  const more = rows.length > f.limit;
  const page = rows.slice(0, f.limit).map((r) => {
    const { tree: _tree, ...rest } = toExecution(r);
    return rest;
  });
  const last = page[page.length - 1];
  return { items: page, nextCursor: more && last ? encodeCursor(last.start, last.id) : null };
}

/** Stored executions of one trace the viewer may see, with their trees. */
export async function executionsByTrace(db: Db, v: Viewer, traceId: string): Promise<Execution[]> {
  const params: unknown[] = [traceId];
  const rows = await db.query<ExecutionRow>(
    `SELECT id, trace_id, chain, tenant_id, status, failing_step, failing_op, error, start_ms, duration_ms, sample_rate, nodes, span_count,
       steps, missing, critical_path, tree
     FROM flowchain_executions WHERE trace_id = $1 AND ${viewerClause(v, params)} ORDER BY start_ms, id`,
    params,
  );
  return rows.map(toExecution);
}

/** Delete executions and statistics older than `days`; returns rows deleted per table. */
export async function applyRetention(db: Db, days: number): Promise<{ executions: number; stats: number }> {
  const e = await db.query<{ n: number }>(
    `WITH d AS (DELETE FROM flowchain_executions WHERE started_at < now() - make_interval(days => $1) RETURNING 1) SELECT count(*)::int AS n FROM d`,
    [days],
  );
  const s = await db.query<{ n: number }>(
    `WITH d AS (DELETE FROM flowchain_step_stats WHERE bucket_start < now() - make_interval(days => $1) RETURNING 1) SELECT count(*)::int AS n FROM d`,
    [days],
  );
  return { executions: e[0]?.n ?? 0, stats: s[0]?.n ?? 0 };
}

export async function saveDefinition(db: Db, def: ChainDefinition): Promise<void> {
  await db.query(
    `INSERT INTO flowchain_chains (name, definition) VALUES ($1, $2::jsonb)
     ON CONFLICT (name) DO UPDATE SET definition = EXCLUDED.definition, updated_at = now()`,
    [def.name, JSON.stringify(def)],
  );
}

export async function deleteDefinition(db: Db, name: string): Promise<void> {
  await db.query('DELETE FROM flowchain_chains WHERE name = $1', [name]);
}

export async function loadDefinitions(db: Db): Promise<unknown[]> {
  const rows = await db.query<{ definition: unknown }>('SELECT definition FROM flowchain_chains ORDER BY created_at, name');
  return rows.map((r) => r.definition);
}
