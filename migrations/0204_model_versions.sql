-- Neural-ensemble versions keep how they were judged: the walk-forward report
-- (folds, out-of-sample metrics of candidate and incumbent, the reason), and
-- when they were promoted. Rejected candidates are kept too (active = false).
ALTER TABLE ensemble_models ADD COLUMN evaluation jsonb NOT NULL DEFAULT '{}';
ALTER TABLE ensemble_models ADD COLUMN promoted_at timestamptz;
