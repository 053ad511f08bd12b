-- Market-wide facts agents read: news items and the economic calendar (not tenant-owned).
CREATE TABLE news_items (
  id            text PRIMARY KEY,
  source        text NOT NULL,
  title         text NOT NULL,
  body          text,
  published_at  bigint NOT NULL,
  symbols       text[] NOT NULL DEFAULT '{}',
  url           text,
  submitted_by  text NOT NULL DEFAULT 'system',
  created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX news_items_published ON news_items (published_at DESC, id);

CREATE TABLE calendar_events (
  id          text PRIMARY KEY,
  currency    text NOT NULL,
  name        text NOT NULL,
  time        bigint NOT NULL,
  importance  text NOT NULL CHECK (importance IN ('low', 'medium', 'high')),
  actual      double precision,
  forecast    double precision,
  previous    double precision,
  unit        text,
  updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX calendar_events_time ON calendar_events (time, id);
