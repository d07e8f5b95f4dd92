-- bench/sql/setup_bq.sql — the end-to-end baseline's queue: N stage-1 rows
-- (drain_baseline.cpp queues stages 2 and 3).  psql -v nsessions=N
TRUNCATE bq;
INSERT INTO bq (session, stage, payload) SELECT 'e' || g, 1, '{"a": {}, "b": {}}' FROM generate_series(1, :nsessions) g;
VACUUM ANALYZE bq;
