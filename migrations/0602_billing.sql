-- Invoices (one per tenant and period for the monthly invoice; change invoices
-- for paid upgrades) and the payment records against them.
CREATE TABLE invoice_sequences (
  period  text PRIMARY KEY,            -- YYYYMM
  last    integer NOT NULL
);

CREATE TABLE invoices (
  id               text PRIMARY KEY,
  tenant_id        text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  number           text NOT NULL UNIQUE,
  kind             text NOT NULL CHECK (kind IN ('period', 'change')),
  period_start     timestamptz NOT NULL,
  period_end       timestamptz NOT NULL,
  currency         text NOT NULL CHECK (currency IN ('IDR', 'USD')),
  lines            jsonb NOT NULL,
  subtotal         bigint NOT NULL,
  tax_bps          integer NOT NULL,
  tax              bigint NOT NULL,
  total            bigint NOT NULL,
  status           text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'paid', 'void')),
  target_tier      text CHECK (target_tier IN ('free', 'pro', 'enterprise')),
  idempotency_key  text,
  created_at       timestamptz NOT NULL DEFAULT now(),
  paid_at          timestamptz
);
CREATE UNIQUE INDEX invoices_one_per_period ON invoices (tenant_id, period_start) WHERE kind = 'period';
CREATE UNIQUE INDEX invoices_idempotency ON invoices (tenant_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX invoices_tenant_created ON invoices (tenant_id, created_at DESC, id);

CREATE TABLE invoice_payments (
  id            bigserial PRIMARY KEY,
  tenant_id     text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  invoice_id    text NOT NULL REFERENCES invoices(id) ON DELETE CASCADE,
  provider      text NOT NULL,
  provider_ref  text NOT NULL,
  status        text NOT NULL CHECK (status IN ('pending', 'paid', 'failed')),
  amount        bigint NOT NULL,
  currency      text NOT NULL,
  raw           jsonb NOT NULL DEFAULT '{}',
  created_at    timestamptz NOT NULL DEFAULT now(),
  UNIQUE (provider, provider_ref, status)
);
CREATE INDEX invoice_payments_invoice ON invoice_payments (tenant_id, invoice_id);
