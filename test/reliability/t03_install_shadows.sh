#!/usr/bin/env bash
# User objects planted in public *before* CREATE EXTENSION (issue 4 item 3).
# An ordinary role with CREATE on schema public (the default before
# PostgreSQL 15, and kept by pg_upgrade) plants the shadows of shadows.sql,
# then a superuser runs CREATE EXTENSION triggers.  The install script runs
# with search_path = public (the extension's schema), so every unqualified
# operator or function in its top-level statements (view definitions, CHECK
# constraints, defaults, DO blocks) can bind to a planted object: then the
# planted code runs as the installing superuser, or is baked into a view and
# runs as whoever reads it.  Nothing may be recorded, neither during the
# install nor when a superuser uses the extension and reads its view.
. "$(dirname "$0")/lib.sh"
export PGDATABASE=reliability_install_shadows
psql -XAtq -d postgres -v ON_ERROR_STOP=1 -c "SET client_min_messages = warning" \
  -c "DROP DATABASE IF EXISTS $PGDATABASE WITH (FORCE)" -c "CREATE DATABASE $PGDATABASE"
q "SET client_min_messages = warning" "DROP ROLE IF EXISTS rel_planter" \
  "CREATE ROLE rel_planter LOGIN" "GRANT CREATE ON SCHEMA public TO rel_planter"
psql -XAtq -U rel_planter -v ON_ERROR_STOP=1 -f "$TR_HERE/shadows.sql"

q "CREATE EXTENSION triggers"
during=$(q "SET search_path = pg_catalog" \
  "SELECT coalesce(string_agg(shadow || ' x' || n || ' as ' || ran_as, ', ' ORDER BY shadow), '')
   FROM (SELECT shadow, ran_as, count(*) AS n FROM public.shadow_calls GROUP BY 1, 2) AS c")
q "TRUNCATE public.shadow_calls"

# the superuser uses the extension with its default search_path, and reads the view
q "SELECT triggers_configure('s', '{\"t\": {\"after\": [\"a\"], \"run\": \"r\"}}')" \
  "SELECT triggers_fire('s', 'a')" >/dev/null
q "SET search_path = pg_catalog" \
  "SELECT count(*) FROM triggers.instances WHERE session OPERATOR(pg_catalog.=) 's'" >/dev/null
after=$(q "SET search_path = pg_catalog" \
  "SELECT coalesce(string_agg(shadow || ' x' || n || ' as ' || ran_as, ', ' ORDER BY shadow), '')
   FROM (SELECT shadow, ran_as, count(*) AS n FROM public.shadow_calls GROUP BY 1, 2) AS c")
if [ -n "$during$after" ]; then
  [ -z "$during" ] || echo "called by CREATE EXTENSION (as the installing superuser): $during" >&2
  [ -z "$after" ] || echo "called when the superuser read triggers.instances: $after" >&2
  q "SET search_path = pg_catalog" \
    "SELECT 'view triggers.instances uses ' || o.oprnamespace::regnamespace || '.' || o.oprname
            || '(' || format_type(o.oprleft, NULL) || ', ' || format_type(o.oprright, NULL) || ')'
     FROM pg_depend AS d JOIN pg_operator AS o ON d.refclassid = 'pg_operator'::regclass AND o.oid = d.refobjid
     JOIN pg_rewrite AS r ON d.classid = 'pg_rewrite'::regclass AND r.oid = d.objid
     WHERE r.ev_class = 'triggers.instances'::regclass
       AND o.oprnamespace OPERATOR(pg_catalog.<>) 'pg_catalog'::regnamespace" >&2
  fail "the install script bound user-created objects"
fi
echo "no shadow was called during or after CREATE EXTENSION"
