-- The decision insert is on the latency-critical path (closed candle → persisted decision).
-- 1. Opinions, fusions, abstentions and vetoes are stored verbatim as json: no jsonb
--    conversion on insert (they are read back whole; nothing queries inside them).
-- 2. The opinion count is a column, so listing decisions does not parse the opinions.
-- 3. A ~5 KB decision is TOASTed: lz4 compresses it in a fraction of pglz's time, where the
--    server has lz4 (Debian's PostgreSQL does; embedded PGlite may not, and keeps pglz).
-- Measured on one decision of eight opinions (single-row insert round trip, p50):
-- jsonb + pglz via jsonb_to_recordset 0.72 ms → json + lz4, typed parameters, prepared 0.16 ms.
ALTER TABLE decisions
  ALTER COLUMN fusions TYPE json USING fusions::json,
  ALTER COLUMN opinions TYPE json USING opinions::json,
  ALTER COLUMN abstained TYPE json USING abstained::json,
  ALTER COLUMN vetoes TYPE json USING vetoes::json,
  ADD COLUMN opinion_count integer;
UPDATE decisions SET opinion_count = json_array_length(opinions);
ALTER TABLE decisions ALTER COLUMN opinion_count SET NOT NULL;
DO $$
BEGIN
  ALTER TABLE decisions ALTER COLUMN opinions SET COMPRESSION lz4, ALTER COLUMN fusions SET COMPRESSION lz4;
EXCEPTION WHEN OTHERS THEN
  RAISE NOTICE 'decisions keep pglz compression: %', SQLERRM;
END $$;
