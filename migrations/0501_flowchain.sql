-- FlowChain: chain executions assembled from tracing spans, per-bucket step statistics,
-- and chain definitions added at run time.
--
-- tenant_id is NULL for market-scoped (system) work such as tick ingest, which only
-- operators see; every tenant row belongs to an existing tenant and goes with it.
CREATE TABLE flowchain_executions (
  id            text PRIMARY KEY,
  trace_id      text NOT NULL,
  chain         text NOT NULL,
  tenant_id     text REFERENCES tenants(id) ON DELETE CASCADE,
  status        text NOT NULL CHECK (status IN ('ok', 'error')),
  failing_step  text,
  failing_op    text,
  error         jsonb,
  started_at    timestamptz NOT NULL,
  start_ms      double precision NOT NULL,
  duration_ms   double precision NOT NULL,
  sample_rate   double precision NOT NULL,
  nodes         jsonb NOT NULL,
  span_count    integer NOT NULL,
  steps         jsonb NOT NULL,
  missing       jsonb NOT NULL,
  critical_path jsonb NOT NULL,
  tree          jsonb NOT NULL
);
CREATE INDEX flowchain_executions_tenant ON flowchain_executions (tenant_id, chain, started_at DESC, id DESC);
CREATE INDEX flowchain_executions_chain ON flowchain_executions (chain, started_at DESC, id DESC);
CREATE INDEX flowchain_executions_trace ON flowchain_executions (trace_id);
CREATE INDEX flowchain_executions_started ON flowchain_executions (started_at);

-- One row per bucket, chain, view and cell: step '' is the chain itself, op '' the step itself.
-- scope 'all' is the operators' all-tenants view, 'system' the tenant-less work, 'tenant' one tenant's.
CREATE TABLE flowchain_step_stats (
  bucket_start timestamptz NOT NULL,
  bucket_ms    integer NOT NULL,
  chain        text NOT NULL,
  scope        text NOT NULL CHECK (scope IN ('all', 'system', 'tenant')),
  tenant_id    text REFERENCES tenants(id) ON DELETE CASCADE,
  step         text NOT NULL,
  op           text NOT NULL,
  count        integer NOT NULL,
  errors       integer NOT NULL,
  critical_ms  double precision NOT NULL,
  weight       double precision NOT NULL,
  sketch       jsonb NOT NULL,
  CHECK ((scope = 'tenant') = (tenant_id IS NOT NULL))
);
CREATE UNIQUE INDEX flowchain_step_stats_key ON flowchain_step_stats (bucket_start, chain, scope, COALESCE(tenant_id, ''), step, op);
CREATE INDEX flowchain_step_stats_view ON flowchain_step_stats (scope, tenant_id, chain, bucket_start);

CREATE TABLE flowchain_chains (
  name       text PRIMARY KEY,
  definition jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
