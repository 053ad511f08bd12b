/** Data access for risk: per-tenant limits and the evaluation log. Every query filters by tenant_id. */
import { DEFAULT_LIMITS, mergeLimits, RiskLimits, RiskLimitsPatch } from '../../lib/risk/limits';
import { prepared, type Queryable, type Row } from '../../lib/storage/db';
import type { RiskCheckResult } from '../../types/trading';

export interface LimitsRow {
  limits: RiskLimits;
  breaker: { at: number; reason: string } | null;
  updatedAt: number | null;
}

export async function getLimits(q: Queryable, tenantId: string): Promise<LimitsRow> {
  const rows = await q.query('SELECT limits, breaker_tripped_at, breaker_reason, updated_at FROM risk_limits WHERE tenant_id = $1', [tenantId]);
  if (rows.length === 0) return { limits: DEFAULT_LIMITS, breaker: null, updatedAt: null };
  const r = rows[0];
  // Stored limits are merged over the defaults so limits added later get their default.
  return {
    limits: mergeLimits(DEFAULT_LIMITS, r.limits as RiskLimitsPatch),
    breaker: r.breaker_tripped_at === null ? null : { at: Number(r.breaker_tripped_at), reason: String(r.breaker_reason ?? '') },
    updatedAt: Number(r.updated_at),
  };
}

export async function saveLimits(q: Queryable, tenantId: string, limits: RiskLimits, resetBreaker: boolean, now: number): Promise<void> {
  await q.query(
    `INSERT INTO risk_limits (tenant_id, limits, updated_at) VALUES ($1, $2, $3)
     ON CONFLICT (tenant_id) DO UPDATE SET limits = excluded.limits, updated_at = excluded.updated_at,
       breaker_tripped_at = CASE WHEN $4 THEN NULL ELSE risk_limits.breaker_tripped_at END,
       breaker_reason = CASE WHEN $4 THEN NULL ELSE risk_limits.breaker_reason END`,
    [tenantId, JSON.stringify(limits), now, resetBreaker],
  );
}

/** Latch the drawdown breaker (first trip wins). */
export async function tripBreaker(q: Queryable, tenantId: string, limits: RiskLimits, reason: string, now: number): Promise<void> {
  await q.query(
    `INSERT INTO risk_limits (tenant_id, limits, breaker_tripped_at, breaker_reason, updated_at) VALUES ($1, $2, $3, $4, $3)
     ON CONFLICT (tenant_id) DO UPDATE SET breaker_tripped_at = coalesce(risk_limits.breaker_tripped_at, excluded.breaker_tripped_at),
       breaker_reason = coalesce(risk_limits.breaker_reason, excluded.breaker_reason)`,
    [tenantId, JSON.stringify(limits), now, reason],
  );
}

export interface Evaluation {
  id: string;
  tenantId: string;
  source: 'decision' | 'manual';
  decisionId: string | null;
  idempotencyKey: string;
  accountId: string;
  symbol: string;
  side: string | null;
  volume: number | null;
  verdict: 'approved' | 'rejected';
  reason: string | null;
  checks: RiskCheckResult[];
  sizing: Record<string, unknown> | null;
  latencyUs: number | null;
  createdAt: number;
}

function toEvaluation(r: Row): Evaluation {
  return {
    id: String(r.id),
    tenantId: String(r.tenant_id),
    source: r.source as Evaluation['source'],
    decisionId: r.decision_id === null ? null : String(r.decision_id),
    idempotencyKey: String(r.idempotency_key),
    accountId: String(r.account_id),
    symbol: String(r.symbol),
    side: r.side === null ? null : String(r.side),
    volume: r.volume === null ? null : Number(r.volume),
    verdict: r.verdict as Evaluation['verdict'],
    reason: r.reason === null ? null : String(r.reason),
    checks: (r.checks as RiskCheckResult[] | null) ?? [],
    sizing: (r.sizing as Record<string, unknown> | null) ?? null,
    latencyUs: r.latency_us === null ? null : Number(r.latency_us),
    createdAt: Number(r.created_at),
  };
}

export async function insertEvaluation(q: Queryable, e: Evaluation): Promise<void> {
  await q.query(
    `INSERT INTO risk_evaluations (id, tenant_id, source, decision_id, idempotency_key, account_id, symbol, side, volume, verdict, reason, checks, sizing, latency_us, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
    [e.id, e.tenantId, e.source, e.decisionId, e.idempotencyKey, e.accountId, e.symbol, e.side, e.volume, e.verdict, e.reason, JSON.stringify(e.checks), e.sizing ? JSON.stringify(e.sizing) : null, e.latencyUs, e.createdAt],
  );
}

/** The order an evaluation created, which holds its checks when the log row has none (the unique key index finds it). */
const WITH_ORDER = `LEFT JOIN orders o ON e.checks IS NULL AND o.tenant_id = e.tenant_id AND o.idempotency_key = e.idempotency_key AND o.risk->>'evaluationId' = e.id`;
const CHECKS = `coalesce(e.checks, (o.risk->'checks')::jsonb, '[]'::jsonb)`;
const SIZING = `coalesce(e.sizing, (o.risk->'sizing')::jsonb)`;

/** Many evaluations in one statement of fixed text (prepared once per connection, whatever the batch size). */
const INSERT_EVALUATIONS = prepared(
  'risk.insertEvaluations',
  `INSERT INTO risk_evaluations (id, tenant_id, source, decision_id, idempotency_key, account_id, symbol, side, volume, verdict, reason, checks, sizing, latency_us, created_at)
   SELECT id, tenant_id, source, decision_id, idempotency_key, account_id, symbol, side, volume, verdict, reason, checks, sizing, latency_us, created_at
   FROM jsonb_to_recordset($1::jsonb) AS x(id text, tenant_id text, source text, decision_id text, idempotency_key text, account_id text, symbol text, side text, volume numeric,
     verdict text, reason text, checks jsonb, sizing jsonb, latency_us integer, created_at bigint)
   ON CONFLICT (id) DO NOTHING`,
);

/**
 * An evaluation as the log writes it: `onOrder` when the order created with it carries its
 * checks and sizing (`orders.risk`, same evaluation id), which are then not written again.
 */
export interface LoggedEvaluation {
  e: Evaluation;
  onOrder: boolean;
}

export async function insertEvaluations(q: Queryable, list: readonly LoggedEvaluation[]): Promise<void> {
  if (list.length === 0) return;
  const rows = list.map(({ e, onOrder }) => ({
    id: e.id, tenant_id: e.tenantId, source: e.source, decision_id: e.decisionId, idempotency_key: e.idempotencyKey, account_id: e.accountId, symbol: e.symbol,
    side: e.side, volume: e.volume, verdict: e.verdict, reason: e.reason, checks: onOrder ? null : e.checks, sizing: onOrder ? null : e.sizing, latency_us: e.latencyUs,
    created_at: e.createdAt,
  }));
  await q.query(INSERT_EVALUATIONS, [JSON.stringify(rows)]);
}

export async function listEvaluations(q: Queryable, tenantId: string, f: { verdict?: string; limit: number }): Promise<Evaluation[]> {
  return (
    await q.query(
      `SELECT e.*, ${CHECKS} AS checks, ${SIZING} AS sizing FROM risk_evaluations e ${WITH_ORDER}
       WHERE e.tenant_id = $1 AND ($2::text IS NULL OR e.verdict = $2) ORDER BY e.created_at DESC, e.id DESC LIMIT $3`,
      [tenantId, f.verdict ?? null, f.limit],
    )
  ).map(toEvaluation);
}

/** What a tenant's risk state needs after a restart: recent approvals (rate) and evaluated decisions (duplicates). */
export async function recentState(q: Queryable, tenantId: string, now: number): Promise<{ approvedAt: number[]; decisions: string[] }> {
  const rows = await q.query<{ created_at: number; decision_id: string | null; verdict: string }>(
    `SELECT created_at, decision_id, verdict FROM risk_evaluations WHERE tenant_id = $1 AND created_at >= $2 ORDER BY created_at`,
    [tenantId, now - 86_400_000],
  );
  return {
    approvedAt: rows.filter((r) => r.verdict === 'approved' && Number(r.created_at) >= now - 60_000).map((r) => Number(r.created_at)),
    decisions: rows.filter((r) => r.decision_id !== null).map((r) => String(r.decision_id)),
  };
}

/** Verdict counts per check over a window (for the report). */
export async function checkStats(q: Queryable, tenantId: string, since: number): Promise<{ name: string; failed: number; total: number }[]> {
  const rows = await q.query<{ name: string; failed: number; total: number }>(
    `SELECT c->>'name' AS name, count(*) FILTER (WHERE (c->>'passed')::boolean = false)::int AS failed, count(*)::int AS total
     FROM risk_evaluations e ${WITH_ORDER}, jsonb_array_elements(${CHECKS}) c
     WHERE e.tenant_id = $1 AND e.created_at >= $2 GROUP BY 1 ORDER BY 1`,
    [tenantId, since],
  );
  return rows;
}
