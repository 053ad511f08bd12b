-- Tenants, API keys (hash only) and the audit log.
CREATE TABLE tenants (
  id          text PRIMARY KEY,
  name        text NOT NULL,
  tier        text NOT NULL DEFAULT 'free' CHECK (tier IN ('free', 'pro', 'enterprise')),
  created_at  timestamptz NOT NULL DEFAULT now(),
  disabled_at timestamptz
);

CREATE TABLE api_keys (
  id           text PRIMARY KEY,
  tenant_id    text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  name         text NOT NULL DEFAULT 'default',
  role         text NOT NULL DEFAULT 'tenant' CHECK (role IN ('tenant', 'admin')),
  secret_hash  text NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz,
  revoked_at   timestamptz
);
CREATE INDEX api_keys_tenant ON api_keys (tenant_id);

CREATE TABLE audit_log (
  id         bigserial PRIMARY KEY,
  tenant_id  text REFERENCES tenants(id) ON DELETE CASCADE,
  actor      text NOT NULL,
  action     text NOT NULL,
  data       jsonb NOT NULL DEFAULT '{}',
  at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_log_tenant_at ON audit_log (tenant_id, at DESC);
