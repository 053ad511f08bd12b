-- Subscriptions (one per tenant) and exact usage counters per billing period
-- (UTC calendar month, keyed by its start). usage_refs makes counting idempotent:
-- a decision or order is counted once however often its event arrives.
CREATE TABLE subscriptions (
  tenant_id     text PRIMARY KEY REFERENCES tenants(id) ON DELETE CASCADE,
  tier          text NOT NULL CHECK (tier IN ('free', 'pro', 'enterprise')),
  status        text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'past_due', 'cancelled')),
  currency      text NOT NULL DEFAULT 'IDR' CHECK (currency IN ('IDR', 'USD')),
  period_start  timestamptz NOT NULL,
  period_end    timestamptz NOT NULL,
  -- Minor units owed back to the tenant (downgrade credits), applied to the next invoice.
  credit_minor  bigint NOT NULL DEFAULT 0 CHECK (credit_minor >= 0),
  started_at    timestamptz NOT NULL DEFAULT now(),
  cancelled_at  timestamptz,
  updated_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE usage_counters (
  tenant_id     text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  period_start  timestamptz NOT NULL,
  meter         text NOT NULL CHECK (meter IN ('decisions', 'orders', 'apiCalls')),
  count         bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (tenant_id, period_start, meter)
);

CREATE TABLE usage_refs (
  tenant_id     text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  meter         text NOT NULL,
  ref           text NOT NULL,
  at            timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, meter, ref)
);
