-- bench/sql/setup_chain.sql — end-to-end (item 2): N sessions on workflow "chain"
-- (bench/lib.sh WF_CHAIN), through the API.  Firing a, c and b queues t1 in every
-- session; t2 and t3 follow by cascade when the worker finishes t1 and t2, so a
-- drain finishes 3*N tasks.  psql -v nsessions=N -v wf=JSON
SELECT triggers_load_workflow('chain', :'wf');
SELECT count(triggers_start('e' || g, 'chain')) FROM generate_series(1, :nsessions) g;
SELECT count(triggers_fire('e' || g, 'a')) FROM generate_series(1, :nsessions) g;
SELECT count(triggers_fire('e' || g, 'c')) FROM generate_series(1, :nsessions) g;
SELECT count(triggers_fire('e' || g, 'b')) FROM generate_series(1, :nsessions) g;
VACUUM ANALYZE;
