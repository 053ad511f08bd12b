-- Backtest jobs of tenants: parameters, state, and the result (stats, trades, equity) once done.
CREATE TABLE backtests (
  id          text PRIMARY KEY,
  tenant_id   text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  status      text NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed')),
  request     jsonb NOT NULL,
  progress    double precision NOT NULL DEFAULT 0,
  result      jsonb,
  error       text,
  created_at  timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz
);
CREATE INDEX backtests_tenant_created ON backtests (tenant_id, created_at DESC, id);
