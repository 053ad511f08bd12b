-- The order insert is on the latency-critical path (risk.evaluate → order persisted).
-- 1. Risk verdicts are stored verbatim as json (no jsonb conversion on insert; still queryable with ->).
ALTER TABLE orders ALTER COLUMN risk TYPE json USING risk::json;
-- 2. No FK from orders/positions to trading_accounts: the engine writes only for accounts it has
--    loaded, and the key-share lock each insert took on the account row (which every fill
--    updates) cost more than it protected. tenant_id keeps its FK to tenants.
ALTER TABLE orders DROP CONSTRAINT orders_tenant_id_account_id_fkey;
ALTER TABLE positions DROP CONSTRAINT positions_tenant_id_account_id_fkey;
