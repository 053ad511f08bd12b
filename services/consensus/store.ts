/**
 * Consensus persistence over the `Db` port. Every tenant-owned query filters by
 * tenant_id. Decisions are written in one multi-row statement per batch (the
 * candle fan-out writes every tenant's decision at once).
 */
import { JsonText, prepared, type Db, type Queryable, type Statement } from '../../lib/storage/db';
import { modelFromJson, EnsembleModel, EnsembleModelJson, modelToJson } from '../../lib/consensus/neural';
import type { AgentTrust } from '../../lib/consensus/common';
import type { Decision, FusionMethod, Opinion } from '../../types/agents';
import type { Timeframe } from '../../types/market';

export interface TenantSettings {
  method: FusionMethod;
  quorum: number;
}

export const DEFAULT_SETTINGS: TenantSettings = { method: 'bayesian', quorum: 1 };

export interface AgentSetting {
  agent: string;
  enabled: boolean;
  weight: number;
  params: Record<string, unknown>;
}

export async function loadTenantSettings(db: Queryable, tenantId: string): Promise<TenantSettings> {
  const rows = await db.query<{ method: FusionMethod; quorum: number }>('SELECT method, quorum FROM consensus_settings WHERE tenant_id = $1', [tenantId]);
  return rows[0] ? { method: rows[0].method, quorum: rows[0].quorum } : { ...DEFAULT_SETTINGS };
}

export async function saveTenantSettings(db: Queryable, tenantId: string, s: TenantSettings): Promise<void> {
  await db.query(
    `INSERT INTO consensus_settings (tenant_id, method, quorum) VALUES ($1, $2, $3)
     ON CONFLICT (tenant_id) DO UPDATE SET method = EXCLUDED.method, quorum = EXCLUDED.quorum, updated_at = now()`,
    [tenantId, s.method, s.quorum],
  );
}

export async function loadAgentSettings(db: Queryable, tenantId: string): Promise<Map<string, AgentSetting>> {
  const rows = await db.query<AgentSetting>('SELECT agent, enabled, weight, params FROM agent_settings WHERE tenant_id = $1', [tenantId]);
  return new Map(rows.map((r) => [r.agent, r]));
}

export async function saveAgentSetting(db: Queryable, tenantId: string, s: AgentSetting): Promise<void> {
  await db.query(
    `INSERT INTO agent_settings (tenant_id, agent, enabled, weight, params) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (tenant_id, agent) DO UPDATE SET enabled = EXCLUDED.enabled, weight = EXCLUDED.weight, params = EXCLUDED.params, updated_at = now()`,
    [tenantId, s.agent, s.enabled, s.weight, JSON.stringify(s.params)],
  );
}

/** Every tenant-configured agent parameter set, for replaying tenant configs into agents on start. */
export async function loadAllAgentParams(db: Queryable): Promise<{ tenantId: string; agent: string; params: Record<string, unknown> }[]> {
  const rows = await db.query<{ tenant_id: string; agent: string; params: Record<string, unknown> }>("SELECT tenant_id, agent, params FROM agent_settings WHERE params <> '{}'::jsonb");
  return rows.map((r) => ({ tenantId: r.tenant_id, agent: r.agent, params: r.params }));
}

export async function loadReliability(db: Queryable): Promise<Map<string, Pick<AgentTrust, 'alpha' | 'beta'>>> {
  const rows = await db.query<{ agent: string; alpha: number; beta: number }>('SELECT agent, alpha, beta FROM agent_reliability');
  return new Map(rows.map((r) => [r.agent, { alpha: r.alpha, beta: r.beta }]));
}

export async function saveReliability(db: Queryable, agent: string, alpha: number, beta: number): Promise<void> {
  await db.query(
    `INSERT INTO agent_reliability (agent, alpha, beta) VALUES ($1, $2, $3)
     ON CONFLICT (agent) DO UPDATE SET alpha = EXCLUDED.alpha, beta = EXCLUDED.beta, updated_at = now()`,
    [agent, alpha, beta],
  );
}

export interface WatchEntry {
  tenantId: string;
  symbol: string;
  tf: Timeframe;
}

export async function loadWatchlists(db: Queryable): Promise<WatchEntry[]> {
  const rows = await db.query<{ tenant_id: string; symbol: string; tf: Timeframe }>(
    'SELECT w.tenant_id, w.symbol, w.tf FROM watchlists w JOIN tenants t ON t.id = w.tenant_id WHERE t.disabled_at IS NULL ORDER BY w.tenant_id, w.symbol, w.tf',
  );
  return rows.map((r) => ({ tenantId: r.tenant_id, symbol: r.symbol, tf: r.tf }));
}

export async function loadWatchlist(db: Queryable, tenantId: string): Promise<{ symbol: string; tf: Timeframe }[]> {
  return db.query<{ symbol: string; tf: Timeframe }>('SELECT symbol, tf FROM watchlists WHERE tenant_id = $1 ORDER BY symbol, tf', [tenantId]);
}

/** Replace a tenant's watchlist. */
export async function saveWatchlist(db: Db, tenantId: string, items: { symbol: string; tf: Timeframe }[]): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.query('DELETE FROM watchlists WHERE tenant_id = $1', [tenantId]);
    if (items.length > 0) await tx.query('INSERT INTO watchlists (tenant_id, symbol, tf) SELECT $1, x.symbol, x.tf FROM jsonb_to_recordset($2::jsonb) AS x(symbol text, tf text)', [tenantId, JSON.stringify(items)]);
  });
}

/** Give a tenant these watchlist entries if it has none yet (first start of a demo tenant). Returns whether it did. */
export async function seedWatchlist(db: Queryable, tenantId: string, items: { symbol: string; tf: Timeframe }[]): Promise<boolean> {
  const rows = await db.query(
    `INSERT INTO watchlists (tenant_id, symbol, tf)
     SELECT $1, x.symbol, x.tf FROM jsonb_to_recordset($2::jsonb) AS x(symbol text, tf text)
     WHERE NOT EXISTS (SELECT 1 FROM watchlists WHERE tenant_id = $1) ON CONFLICT DO NOTHING RETURNING symbol`,
    [tenantId, JSON.stringify(items)],
  );
  return rows.length > 0;
}

export interface StoredDecision extends Decision {
  candleT: number | null;
}

const DECISION_COLUMNS = 'id, tenant_id, symbol, tf, as_of, candle_t, action, p_buy, p_hold, p_sell, confidence, method, fusions, opinions, abstained, vetoes, latency_ms, trace_id, opinion_count';

/** One decision, typed parameters (the per-candle case): no JSON recordset to parse on the server. */
export const INSERT_DECISION = prepared(
  'decisions.insert',
  `WITH async_commit AS (SELECT set_config('synchronous_commit', 'off', true))
   INSERT INTO decisions (${DECISION_COLUMNS})
   SELECT $1::uuid, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13::json, $14::json, $15::json, $16::json, $17, $18, $19 FROM async_commit`,
);

/** Many decisions (one candle fanned out to every watching tenant): one JSON recordset. */
export const INSERT_DECISIONS = prepared(
  'decisions.insertMany',
  `WITH async_commit AS (SELECT set_config('synchronous_commit', 'off', true))
   INSERT INTO decisions (${DECISION_COLUMNS})
   SELECT ${DECISION_COLUMNS}
   FROM async_commit, json_to_recordset($1::json) AS x(id uuid, tenant_id text, symbol text, tf text, as_of bigint, candle_t bigint, action text, p_buy double precision, p_hold double precision,
     p_sell double precision, confidence double precision, method text, fusions json, opinions json, abstained json, vetoes json, latency_ms double precision, trace_id text, opinion_count integer)`,
);

/**
 * Insert decisions in one statement, committed asynchronously
 * (`synchronous_commit = off` for this transaction only): the commit returns
 * without waiting for the WAL flush (≈ 2 ms saved on a busy disk). Nothing
 * becomes inconsistent; a server crash may lose the last ~200 ms of decisions.
 * An order that links to a decision is committed synchronously later, and
 * that flush carries the earlier decision with it, so no durable order ever
 * points at a lost decision. Opinions and fusions are stored as json, verbatim
 * (migration 0205).
 */
/** The statement and parameters that insert `ds` (one row: a prepared single insert; more: one json_to_recordset insert). */
export function decisionInsert(ds: readonly StoredDecision[]): [Statement, unknown[]] {
  if (ds.length === 1) {
    const d = ds[0];
    return [
      INSERT_DECISION,
      [
        d.id, d.tenantId, d.symbol, d.tf, d.asOf, d.candleT, d.action, d.p.buy, d.p.hold, d.p.sell, d.confidence, d.method,
        JsonText.of(d.fusions), JsonText.of(d.opinions), JsonText.of(d.abstained), JsonText.of(d.vetoes), d.latencyMs, d.traceId, d.opinions.length,
      ],
    ];
  }
  const rows = ds.map((d) => ({
    id: d.id,
    tenant_id: d.tenantId,
    symbol: d.symbol,
    tf: d.tf,
    as_of: d.asOf,
    candle_t: d.candleT,
    action: d.action,
    p_buy: d.p.buy,
    p_hold: d.p.hold,
    p_sell: d.p.sell,
    confidence: d.confidence,
    method: d.method,
    fusions: d.fusions,
    opinions: d.opinions,
    abstained: d.abstained,
    vetoes: d.vetoes,
    latency_ms: d.latencyMs,
    trace_id: d.traceId,
    opinion_count: d.opinions.length,
  }));
  return [INSERT_DECISIONS, [JsonText.of(rows)]];
}

export async function insertDecisions(db: Queryable, ds: readonly StoredDecision[]): Promise<void> {
  if (ds.length === 0) return;
  const [sql, params] = decisionInsert(ds);
  await db.query(sql, params);
}

interface DecisionRow {
  id: string;
  tenant_id: string;
  symbol: string;
  tf: Timeframe;
  as_of: number;
  candle_t: number | null;
  action: Decision['action'];
  p_buy: number;
  p_hold: number;
  p_sell: number;
  confidence: number;
  method: FusionMethod;
  fusions: Decision['fusions'];
  opinions: Decision['opinions'];
  abstained: Decision['abstained'];
  vetoes: Decision['vetoes'];
  latency_ms: number;
  trace_id: string | null;
  created_at?: Date | string;
}

/** The decision record's flat list of advisory notes, each with its agent. */
export function advisoriesOf(opinions: readonly Opinion[]): NonNullable<Decision['advisories']> {
  return opinions.flatMap((o) => (o.advisory ?? []).map((n) => ({ agent: o.agent, ...n })));
}

function fromRow(r: DecisionRow): StoredDecision {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    symbol: r.symbol,
    tf: r.tf,
    asOf: r.as_of,
    candleT: r.candle_t,
    action: r.action,
    p: { buy: r.p_buy, hold: r.p_hold, sell: r.p_sell },
    confidence: r.confidence,
    method: r.method,
    fusions: r.fusions,
    opinions: r.opinions,
    abstained: r.abstained,
    vetoes: r.vetoes,
    advisories: advisoriesOf(r.opinions),
    latencyMs: r.latency_ms,
    traceId: r.trace_id,
    ...(r.created_at ? { madeAt: new Date(r.created_at).getTime() } : {}),
  };
}

export async function getDecision(db: Queryable, tenantId: string, id: string): Promise<StoredDecision | null> {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) return null;
  const rows = await db.query<DecisionRow>('SELECT * FROM decisions WHERE tenant_id = $1 AND id = $2', [tenantId, id]);
  return rows[0] ? fromRow(rows[0]) : null;
}

export type DecisionSummary = Omit<StoredDecision, 'opinions' | 'fusions'> & { opinionCount: number };

/** Cursor: base64url of "asOf:id" of the last item of the previous page. */
export function encodeCursor(asOf: number, id: string): string {
  return Buffer.from(`${asOf}:${id}`).toString('base64url');
}

export function decodeCursor(c: string): { asOf: number; id: string } | null {
  const s = Buffer.from(c, 'base64url').toString();
  const m = /^(\d+):([0-9a-f-]{36})$/.exec(s);
  return m ? { asOf: Number(m[1]), id: m[2] } : null;
}

/** A tenant's decisions, newest first, keyset-paginated. */
export async function listDecisions(
  db: Queryable,
  tenantId: string,
  q: { symbol?: string; from?: number; to?: number; limit: number; cursor?: { asOf: number; id: string } },
): Promise<{ items: DecisionSummary[]; nextCursor: string | null }> {
  const rows = await db.query<DecisionRow & { opinion_count: number }>(
    `SELECT id, tenant_id, symbol, tf, as_of, candle_t, action, p_buy, p_hold, p_sell, confidence, method, abstained, vetoes, latency_ms, trace_id,
            opinion_count, '[]'::json AS fusions, '[]'::json AS opinions
     FROM decisions
     WHERE tenant_id = $1 AND ($2::text IS NULL OR symbol = $2) AND as_of >= $3 AND as_of <= $4
       AND ($5::bigint IS NULL OR (as_of, id) < ($5::bigint, $6::uuid))
     ORDER BY as_of DESC, id DESC LIMIT $7`,
    [tenantId, q.symbol ?? null, q.from ?? 0, q.to ?? Number.MAX_SAFE_INTEGER, q.cursor?.asOf ?? null, q.cursor?.id ?? null, q.limit + 1],
  );
  const more = rows.length > q.limit;
  const items = rows.slice(0, q.limit).map((r) => {
    const { opinions: _o, fusions: _f, ...rest } = fromRow(r);
    return { ...rest, opinionCount: r.opinion_count };
  });
  const last = items[items.length - 1];
  return { items, nextCursor: more && last ? encodeCursor(last.asOf, last.id) : null };
}

/** Candle-triggered decisions of all tenants after (afterAsOf, afterId), or the newest `limit` (`newest`), oldest first, with their opinions (learning agents' history). */
export async function decisionHistory(db: Queryable, q: { afterAsOf: number; afterId: string | null; limit: number; newest?: boolean }): Promise<{ items: Decision[]; next: { afterAsOf: number; afterId: string } | null }> {
  const rows = q.newest
    ? await db.query<DecisionRow>('SELECT * FROM (SELECT * FROM decisions WHERE candle_t IS NOT NULL ORDER BY as_of DESC, id DESC LIMIT $1) t ORDER BY as_of, id', [q.limit])
    : await db.query<DecisionRow>(
        `SELECT * FROM decisions WHERE candle_t IS NOT NULL AND (as_of, id) > ($1::bigint, coalesce($2::uuid, '00000000-0000-0000-0000-000000000000'::uuid))
         ORDER BY as_of, id LIMIT $3`,
        [q.afterAsOf, q.afterId, q.limit],
      );
  const items = rows.map((r) => {
    const { candleT: _c, ...d } = fromRow(r);
    return d;
  });
  const last = items[items.length - 1];
  return { items, next: !q.newest && rows.length === q.limit && last ? { afterAsOf: last.asOf, afterId: last.id } : null };
}

export async function saveModel(db: Queryable, m: EnsembleModel, active: boolean): Promise<void> {
  const j = modelToJson(m);
  if (active) await db.query('UPDATE ensemble_models SET active = false WHERE active');
  await db.query('INSERT INTO ensemble_models (version, agents, weights, metrics, active) VALUES ($1, $2, $3, $4, $5)', [m.version, JSON.stringify(j.agents), JSON.stringify(j.layers), JSON.stringify(j.metrics ?? {}), active]);
}

export async function loadActiveModel(db: Queryable): Promise<EnsembleModel | null> {
  const rows = await db.query<{ version: number; agents: string[]; weights: EnsembleModelJson['layers']; metrics: Record<string, number> }>('SELECT version, agents, weights, metrics FROM ensemble_models WHERE active');
  if (!rows[0]) return null;
  return modelFromJson({ version: rows[0].version, agents: rows[0].agents, layers: rows[0].weights, metrics: rows[0].metrics });
}
