-- bench/sql/baseline.sql — the hand-written baselines of `make bench`, in their own
-- schema-less tables (database "bench", next to the extension's schema).
-- psql -v nsessions=N -f baseline.sql
SET client_min_messages = warning;
DROP TABLE IF EXISTS b_session, b_event, b_queue, b_floor, bq, lq, lq_log;

-- Fire rate (item 1): the minimum a fire that schedules one task must do by hand:
-- UPDATE one session row, INSERT one event row, INSERT one queue row, NOTIFY.
CREATE TABLE b_session (
  session    text PRIMARY KEY,
  fires      bigint NOT NULL DEFAULT 0,
  updated_at timestamptz NOT NULL DEFAULT now()
) WITH (fillfactor = 80);
INSERT INTO b_session (session) SELECT 's' || g FROM generate_series(1, :nsessions) g;
CREATE TABLE b_event (
  id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  session  text NOT NULL,
  trigger  text NOT NULL,
  kwargs   jsonb NOT NULL,
  fired_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE b_queue (
  id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  session    text NOT NULL,
  task       text NOT NULL,
  kwargs     jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- schedules one task
CREATE OR REPLACE FUNCTION fire_base1(p_session text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE qid bigint;
BEGIN
  UPDATE b_session SET fires = fires + 1, updated_at = now() WHERE session = p_session;
  INSERT INTO b_event (session, trigger, kwargs) VALUES (p_session, 'go', '{}');
  INSERT INTO b_queue (session, task, kwargs) VALUES (p_session, 't', '{"go": {}}') RETURNING id INTO qid;
  PERFORM pg_notify('bench_default', '');
  RETURN qid;
END $$;

-- schedules nothing: the fire is only recorded
CREATE OR REPLACE FUNCTION fire_base0(p_session text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  UPDATE b_session SET fires = fires + 1, updated_at = now() WHERE session = p_session;
  INSERT INTO b_event (session, trigger, kwargs) VALUES (p_session, 'once', '{}');
END $$;

-- The floor (make bench-peers): the cheapest transaction that must wait for a
-- flush, one tiny row into a table without indexes.  No fire can be faster.
CREATE TABLE b_floor (n integer);

-- End-to-end (item 2): a plain SKIP LOCKED queue (see drain_baseline.cpp).
CREATE TABLE bq (
  id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  session text NOT NULL,
  stage   integer NOT NULL,
  payload jsonb NOT NULL
);

-- Latency (item 3): fire_base1 on its own queue, claimed by latency.cpp's listener.
CREATE TABLE lq (
  id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  session text NOT NULL,
  payload jsonb NOT NULL
);
CREATE TABLE lq_log (
  id          bigint PRIMARY KEY,
  claimed_at  timestamptz NOT NULL,
  finished_at timestamptz
);
CREATE OR REPLACE FUNCTION fire_lat(p_session text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE qid bigint;
BEGIN
  UPDATE b_session SET fires = fires + 1, updated_at = now() WHERE session = p_session;
  INSERT INTO b_event (session, trigger, kwargs) VALUES (p_session, 'go', '{}');
  INSERT INTO lq (session, payload) VALUES (p_session, '{"go": {}}') RETURNING id INTO qid;
  PERFORM pg_notify('bench_lat', '');
  RETURN qid;
END $$;
VACUUM ANALYZE b_session;
