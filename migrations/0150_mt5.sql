-- MT5 gateway: terminal tokens (hash only), accounts seen, symbol specs per account, order journal.
CREATE TABLE mt5_tokens (
  id           text PRIMARY KEY,
  tenant_id    text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  label        text NOT NULL DEFAULT 'default',
  token_hash   text NOT NULL UNIQUE,
  -- Bound to one MT5 account when both are set; otherwise any account of the tenant.
  login        text,
  server       text,
  created_at   timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz,
  revoked_at   timestamptz,
  CHECK ((login IS NULL) = (server IS NULL))
);
CREATE INDEX mt5_tokens_tenant ON mt5_tokens (tenant_id);

CREATE TABLE mt5_accounts (
  tenant_id   text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  login       text NOT NULL,
  server      text NOT NULL,
  company     text,
  currency    text,
  leverage    integer,
  margin_mode text,
  trade_mode  text,
  hello       jsonb NOT NULL DEFAULT '{}',
  first_seen  timestamptz NOT NULL DEFAULT now(),
  last_seen   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, login, server)
);

CREATE TABLE mt5_symbols (
  tenant_id  text NOT NULL,
  login      text NOT NULL,
  server     text NOT NULL,
  name       text NOT NULL,
  canonical  text NOT NULL,
  spec       jsonb NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, login, server, name),
  FOREIGN KEY (tenant_id, login, server) REFERENCES mt5_accounts (tenant_id, login, server) ON DELETE CASCADE
);

-- Every command sent to a terminal, keyed by its id (the idempotency key), written before it is sent.
CREATE TABLE mt5_orders (
  tenant_id       text NOT NULL,
  login           text NOT NULL,
  server          text NOT NULL,
  id              text NOT NULL,
  command         jsonb NOT NULL,
  outcome         text NOT NULL DEFAULT 'pending' CHECK (outcome IN ('pending', 'done', 'rejected', 'unknown')),
  result          jsonb,
  resolved_from   text,
  order_ticket    text,
  deal_ticket     text,
  position_ticket text,
  sent_at         timestamptz NOT NULL DEFAULT now(),
  resolved_at     timestamptz,
  PRIMARY KEY (tenant_id, login, server, id),
  FOREIGN KEY (tenant_id, login, server) REFERENCES mt5_accounts (tenant_id, login, server) ON DELETE CASCADE
);
CREATE INDEX mt5_orders_open ON mt5_orders (tenant_id, login, server) WHERE outcome IN ('pending', 'unknown');
