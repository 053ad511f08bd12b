-- Trading: accounts, orders (idempotent per tenant and key), fills, positions.
-- Money in the account currency, prices in the quote currency, volumes in lots, times in ms UTC.
CREATE TABLE trading_accounts (
  tenant_id        text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  id               text NOT NULL,
  broker           text NOT NULL CHECK (broker IN ('paper', 'mt5')),
  mode             text NOT NULL DEFAULT 'netting' CHECK (mode IN ('netting', 'hedging')),
  currency         text NOT NULL DEFAULT 'USD',
  balance          numeric NOT NULL,
  day_start_equity numeric NOT NULL,
  day              text NOT NULL,
  peak_equity      numeric NOT NULL,
  -- paper: {slippagePoints, commissionPerLot}
  settings         jsonb NOT NULL DEFAULT '{}',
  created_at       bigint NOT NULL,
  updated_at       bigint NOT NULL,
  PRIMARY KEY (tenant_id, id)
);
CREATE INDEX trading_accounts_broker ON trading_accounts (broker, id);

CREATE TABLE orders (
  id              text PRIMARY KEY,
  tenant_id       text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  account_id      text NOT NULL,
  idempotency_key text NOT NULL,
  request_hash    text NOT NULL,
  decision_id     text,
  symbol          text NOT NULL,
  side            text NOT NULL CHECK (side IN ('buy', 'sell')),
  type            text NOT NULL CHECK (type IN ('market', 'limit', 'stop')),
  volume          numeric NOT NULL CHECK (volume > 0),
  price           numeric,
  sl              numeric,
  tp              numeric,
  trailing_stop   numeric,
  position_id     text,
  status          text NOT NULL CHECK (status IN ('new', 'accepted', 'partially_filled', 'filled', 'rejected', 'cancelled', 'expired', 'unknown')),
  filled_volume   numeric NOT NULL DEFAULT 0,
  avg_price       numeric,
  broker_order    text,
  reason          text,
  comment         text,
  origin          text NOT NULL DEFAULT 'client',
  risk            jsonb,
  history         jsonb NOT NULL DEFAULT '[]',
  created_at      bigint NOT NULL,
  updated_at      bigint NOT NULL,
  expires_at      bigint,
  FOREIGN KEY (tenant_id, account_id) REFERENCES trading_accounts (tenant_id, id),
  UNIQUE (tenant_id, idempotency_key)
);
CREATE INDEX orders_tenant_created ON orders (tenant_id, created_at DESC, id DESC);
CREATE INDEX orders_live ON orders (status) WHERE status IN ('new', 'accepted', 'partially_filled', 'unknown');
CREATE INDEX orders_decision ON orders (tenant_id, decision_id) WHERE decision_id IS NOT NULL;

CREATE TABLE positions (
  id           text PRIMARY KEY,
  tenant_id    text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  account_id   text NOT NULL,
  symbol       text NOT NULL,
  side         text NOT NULL CHECK (side IN ('buy', 'sell')),
  volume       numeric NOT NULL CHECK (volume >= 0),
  price_open   numeric NOT NULL,
  sl           numeric,
  tp           numeric,
  trailing_stop numeric,
  status       text NOT NULL CHECK (status IN ('open', 'closed')),
  realized_pnl numeric NOT NULL DEFAULT 0,
  ticket       text,
  -- Netting accounts hold at most one open position per symbol (enforced below).
  netting      boolean NOT NULL DEFAULT false,
  opened_at    bigint NOT NULL,
  updated_at   bigint NOT NULL,
  closed_at    bigint,
  FOREIGN KEY (tenant_id, account_id) REFERENCES trading_accounts (tenant_id, id)
);
CREATE INDEX positions_open ON positions (tenant_id, account_id, symbol) WHERE status = 'open';
CREATE UNIQUE INDEX positions_netting_one_open ON positions (tenant_id, account_id, symbol) WHERE status = 'open' AND netting;

-- Aborts the statement it appears in (serialization_failure) when `ok` is false: lets one
-- statement with data-modifying CTEs refuse to commit when a guard matched no row.
CREATE FUNCTION plan2_assert(ok boolean, msg text) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
  IF NOT ok THEN
    RAISE EXCEPTION '%', msg USING ERRCODE = '40001';
  END IF;
  RETURN true;
END
$$;
CREATE INDEX positions_tenant_updated ON positions (tenant_id, updated_at DESC);

CREATE TABLE fills (
  id           text PRIMARY KEY,
  tenant_id    text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  account_id   text NOT NULL,
  order_id     text NOT NULL REFERENCES orders(id),
  symbol       text NOT NULL,
  side         text NOT NULL CHECK (side IN ('buy', 'sell')),
  volume       numeric NOT NULL CHECK (volume > 0),
  price        numeric NOT NULL,
  commission   numeric NOT NULL DEFAULT 0,
  realized_pnl numeric NOT NULL DEFAULT 0,
  position_id  text NOT NULL,
  deal         text,
  time         bigint NOT NULL
);
CREATE INDEX fills_tenant_time ON fills (tenant_id, time DESC, id DESC);
CREATE INDEX fills_order ON fills (order_id);
-- A broker deal is recorded once, however many times the gateway reports it.
CREATE UNIQUE INDEX fills_deal ON fills (tenant_id, account_id, deal) WHERE deal IS NOT NULL;

-- Risk: per-tenant limits (jsonb, validated by lib/risk/limits.ts) and every evaluation's verdicts.
CREATE TABLE risk_limits (
  tenant_id          text PRIMARY KEY REFERENCES tenants(id) ON DELETE CASCADE,
  limits             jsonb NOT NULL,
  breaker_tripped_at bigint,
  breaker_reason     text,
  updated_at         bigint NOT NULL
);

CREATE TABLE risk_evaluations (
  id              text PRIMARY KEY,
  tenant_id       text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  source          text NOT NULL CHECK (source IN ('decision', 'manual')),
  decision_id     text,
  idempotency_key text NOT NULL,
  account_id      text NOT NULL,
  symbol          text NOT NULL,
  side            text,
  volume          numeric,
  verdict         text NOT NULL CHECK (verdict IN ('approved', 'rejected')),
  reason          text,
  checks          jsonb NOT NULL,
  sizing          jsonb,
  latency_us      integer,
  created_at      bigint NOT NULL
);
CREATE INDEX risk_evaluations_tenant_created ON risk_evaluations (tenant_id, created_at DESC);
CREATE INDEX risk_evaluations_decision ON risk_evaluations (tenant_id, decision_id) WHERE decision_id IS NOT NULL;
CREATE INDEX risk_evaluations_key ON risk_evaluations (tenant_id, idempotency_key);
