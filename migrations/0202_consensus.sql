-- Consensus: per-tenant settings, agent settings and watchlists; learned reliability;
-- decisions with every opinion and all three fusions; neural-ensemble model versions.
CREATE TABLE consensus_settings (
  tenant_id   text PRIMARY KEY REFERENCES tenants(id) ON DELETE CASCADE,
  method      text NOT NULL DEFAULT 'bayesian' CHECK (method IN ('weighted', 'bayesian', 'neural')),
  quorum      integer NOT NULL DEFAULT 1 CHECK (quorum >= 0),
  updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE agent_settings (
  tenant_id   text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  agent       text NOT NULL,
  enabled     boolean NOT NULL DEFAULT true,
  weight      double precision NOT NULL DEFAULT 1 CHECK (weight >= 0),
  params      jsonb NOT NULL DEFAULT '{}',
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, agent)
);

CREATE TABLE watchlists (
  tenant_id   text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  symbol      text NOT NULL,
  tf          text NOT NULL CHECK (tf IN ('M1', 'M5', 'M15', 'H1', 'D1')),
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, symbol, tf)
);
CREATE INDEX watchlists_symbol_tf ON watchlists (symbol, tf);

-- Market-wide learned reliability: Beta(alpha, beta) posterior of each agent's directional hit rate.
CREATE TABLE agent_reliability (
  agent       text PRIMARY KEY,
  alpha       double precision NOT NULL DEFAULT 1 CHECK (alpha > 0),
  beta        double precision NOT NULL DEFAULT 1 CHECK (beta > 0),
  updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE decisions (
  id          uuid PRIMARY KEY,
  tenant_id   text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  symbol      text NOT NULL,
  tf          text NOT NULL,
  as_of       bigint NOT NULL,
  candle_t    bigint,
  action      text NOT NULL CHECK (action IN ('buy', 'hold', 'sell')),
  p_buy       double precision NOT NULL,
  p_hold      double precision NOT NULL,
  p_sell      double precision NOT NULL,
  confidence  double precision NOT NULL,
  method      text NOT NULL,
  fusions     jsonb NOT NULL,
  opinions    jsonb NOT NULL,
  abstained   jsonb NOT NULL,
  vetoes      jsonb NOT NULL,
  latency_ms  double precision NOT NULL,
  trace_id    text,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX decisions_tenant_symbol_asof ON decisions (tenant_id, symbol, as_of DESC, id DESC);
CREATE INDEX decisions_tenant_asof ON decisions (tenant_id, as_of DESC, id DESC);

CREATE TABLE ensemble_models (
  version     integer PRIMARY KEY,
  agents      jsonb NOT NULL,
  weights     jsonb NOT NULL,
  metrics     jsonb NOT NULL DEFAULT '{}',
  active      boolean NOT NULL DEFAULT false,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX ensemble_models_one_active ON ensemble_models (active) WHERE active;
