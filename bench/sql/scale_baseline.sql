-- bench/sql/scale_baseline.sql — the baseline tables (baseline.sql) sized like the
-- engine's in the scaling figure: N sessions, 2 earlier events each.  psql -v nsessions=N
\ir baseline.sql
INSERT INTO b_event (session, trigger, kwargs)
SELECT 's' || g, v.t, '{}' FROM generate_series(1, :nsessions) AS g, (VALUES ('go'), ('t')) AS v(t);
VACUUM ANALYZE b_session, b_event;
