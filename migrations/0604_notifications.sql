-- Telegram: one-time link codes, chats linked to a tenant, and the bot's update offset.
CREATE TABLE telegram_link_codes (
  code        text PRIMARY KEY,
  tenant_id   text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  expires_at  timestamptz NOT NULL,
  used_at     timestamptz,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX telegram_link_codes_tenant ON telegram_link_codes (tenant_id);

CREATE TABLE telegram_links (
  chat_id     bigint PRIMARY KEY,
  tenant_id   text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  username    text,
  linked_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX telegram_links_tenant ON telegram_links (tenant_id);

-- Bot-level state (not tenant-owned): the next getUpdates offset.
CREATE TABLE telegram_state (
  id      integer PRIMARY KEY CHECK (id = 1),
  offset_ bigint NOT NULL
);
