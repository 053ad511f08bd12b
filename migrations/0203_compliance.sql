-- Compliance: each tenant's own trading rules and the time-boxed overrides of them.
-- Every change, override and veto also goes to audit_log.
CREATE TABLE compliance_rules (
  tenant_id   text PRIMARY KEY REFERENCES tenants(id) ON DELETE CASCADE,
  rules       jsonb NOT NULL,
  updated_by  text NOT NULL,
  updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE compliance_overrides (
  id          text PRIMARY KEY,
  tenant_id   text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  rule        text NOT NULL,
  symbol      text,
  reason      text NOT NULL,
  until_ms    bigint NOT NULL,
  created_by  text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  revoked_at  timestamptz
);
CREATE INDEX compliance_overrides_tenant ON compliance_overrides (tenant_id, until_ms DESC);
