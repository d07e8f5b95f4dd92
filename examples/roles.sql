-- examples/roles.sql — three role recipes for the triggers extension.
--
-- The extension grants nothing to PUBLIC: only its owner (a superuser) can use
-- it until you grant something.  This file creates three NOLOGIN roles holding
-- the privileges of one job each; grant them to your login roles:
--
--   GRANT triggers_application TO webapp;     -- fires, starts, inspects sessions
--   GRANT triggers_worker      TO worker1;    -- claims and answers tasks
--   GRANT triggers_admin       TO alice;      -- workflows, recovery, housekeeping
--
-- Run it as a superuser in each database that has the extension (the roles
-- are cluster-wide and created only when missing; the grants are per
-- database).  It may be run again.  The API functions are named without a
-- schema: keep the extension's schema (public by default) in search_path
-- while you run this, and give the roles USAGE on that schema if it is not
-- public.

DO $$
DECLARE
  r text;
BEGIN
  FOREACH r IN ARRAY ARRAY['triggers_application', 'triggers_worker', 'triggers_admin'] LOOP
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = r) THEN
      EXECUTE pg_catalog.format('CREATE ROLE %I NOLOGIN', r);
    END IF;
  END LOOP;
END $$;

-- Application: fires triggers, configures sessions and inspects them.
GRANT USAGE ON SCHEMA triggers TO triggers_application;
GRANT SELECT ON triggers.instances, triggers.queues TO triggers_application;
GRANT EXECUTE ON FUNCTION
  triggers_fire(text, text, jsonb),
  triggers_start(text, text),
  triggers_configure(text, jsonb),
  triggers_state(text),
  triggers_unresolved_tasks(text),
  triggers_unresolved_instances(text)
TO triggers_application;

-- Worker: claims queued tasks and answers them (plus LISTEN, which needs no grant).
GRANT EXECUTE ON FUNCTION
  triggers_claim(text, text[], integer, interval),
  triggers_finish(bigint, jsonb),
  triggers_finish_many(bigint[], jsonb[]),
  triggers_fail(bigint, jsonb),
  triggers_retry(bigint, interval, jsonb),
  triggers_heartbeat(bigint, interval)
TO triggers_worker;

-- Administrator: everything the application may do, plus workflows, error
-- recovery, manual status changes and purging.
GRANT triggers_application TO triggers_admin;
GRANT SELECT, INSERT, UPDATE, DELETE ON triggers.workflow TO triggers_admin;
GRANT EXECUTE ON FUNCTION
  triggers_load_workflow(text, text),
  triggers_validate(jsonb),
  triggers_replay(text, text, jsonb),
  triggers_skip(text, text, boolean, jsonb),
  triggers_set_status(text, text, text, jsonb, boolean, jsonb),
  triggers_set_metadata(text, text, jsonb),
  triggers_resolve_logs(text, text),
  triggers_purge(interval)
TO triggers_admin;
