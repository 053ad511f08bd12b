-- Market data (market-scoped: no tenant_id, the same market for everyone). Times are ms since epoch UTC.
CREATE TABLE market_ticks (
  symbol    text NOT NULL,
  time_msc  bigint NOT NULL,
  bid       double precision NOT NULL,
  ask       double precision NOT NULL,
  last      double precision,
  volume    double precision,
  source    text NOT NULL DEFAULT ''
);
CREATE INDEX market_ticks_symbol_time ON market_ticks (symbol, time_msc);

-- One row per bar; `closed` is false while the bar is still forming (its snapshot is upserted periodically).
CREATE TABLE market_candles (
  symbol  text NOT NULL,
  tf      text NOT NULL CHECK (tf IN ('M1', 'M5', 'M15', 'H1', 'D1')),
  t       bigint NOT NULL,
  o       double precision NOT NULL,
  h       double precision NOT NULL,
  l       double precision NOT NULL,
  c       double precision NOT NULL,
  v       double precision NOT NULL DEFAULT 0,
  n       integer NOT NULL,
  closed  boolean NOT NULL DEFAULT true,
  PRIMARY KEY (symbol, tf, t)
);

-- Per-symbol summary kept by every tick insert (counting market_ticks would scan it).
CREATE TABLE market_symbols (
  symbol      text PRIMARY KEY,
  first_time  bigint NOT NULL,
  last_time   bigint NOT NULL,
  ticks       bigint NOT NULL
);
