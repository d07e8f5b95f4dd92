#!/usr/bin/env bash
# make demo: the product end to end on a throwaway cluster, in under a minute.
# Two "application servers" (two psql connections) fire the survey's triggers
# out of order; triggers-worker runs the task once both have arrived, then its
# cascade; the final state is printed and everything started here is stopped.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
port=${DEMO_PORT:-55390}
dir=$(mktemp -d /tmp/triggers-demo.XXXXXX)
chmod 755 "$dir"
worker_pid=
cleanup() {
  [ -n "$worker_pid" ] && kill "$worker_pid" 2>/dev/null && wait "$worker_pid" 2>/dev/null
  test/lib/cluster.sh stop "$dir/pg" >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
sql() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }

step "build and install the extension and the worker"
make -s all install >/dev/null
make -s -C src/worker all install >/dev/null

step "start a throwaway PostgreSQL (port $port, shared_preload_libraries = 'triggers')"
test/lib/cluster.sh start "$dir/pg" "$port" "shared_preload_libraries = 'triggers'"
eval "$(test/lib/cluster.sh env "$dir/pg" "$port")"
export PGDATABASE=postgres
sql -c "CREATE EXTENSION triggers"

step "load the survey workflow from examples/survey.jsonc (JSON with comments)"
echo "SELECT triggers_load_workflow('survey', :'src');" | sql -v src="$(cat examples/survey.jsonc)"
sql -c "SELECT key AS task, value->'after' AS after, value->>'run' AS run
        FROM triggers.workflow, jsonb_each(definition) WHERE name = 'survey'"

step "start triggers-worker with the handlers in examples/handlers"
"$(pg_config --bindir)/triggers-worker" --handlers examples/handlers --concurrency 2 \
  --poll 1 --log-level info 2> "$dir/worker.log" &
worker_pid=$!

step "application server A: module 4 arrives first (nothing can run yet)"
sql -c "SELECT triggers_start('survey-42', 'survey') AS started,
               triggers_fire('survey-42', 'module4Received', '{\"answers\": [3, 1, 4]}') AS scheduled"
sql -c "SELECT instance, status FROM triggers.instances WHERE session = 'survey-42' ORDER BY 1"

step "application server B (another connection): module 1 arrives; now the task is scheduled"
sql -c "SELECT triggers_fire('survey-42', 'module1Received', '{\"answers\": [1, 5, 9]}') AS scheduled"

step "the worker runs t_processStepData, whose result cascades into t_notifyResearcher"
for _ in $(seq 1 200); do
  done_count=$(sql -At -c "SELECT count(*) FROM triggers.instances
                           WHERE session = 'survey-42' AND status = 'finished'")
  [ "$done_count" = 2 ] && break
  sleep 0.1
done
sed 's/^/  worker: /' "$dir/worker.log"

step "final state"
sql -c "SELECT instance, status, left((metadata->'result')::text, 90) AS result
        FROM triggers.instances WHERE session = 'survey-42' ORDER BY metadata->'timestamps'->>'created', 1"
sql -c "SELECT * FROM triggers_unresolved_tasks('survey-42')" | sed 's/^/  /'
[ "$done_count" = 2 ] || { echo "demo: the tasks did not finish" >&2; exit 1; }

step "stop the worker (SIGTERM) and the cluster"
kill -TERM "$worker_pid"; wait "$worker_pid" || true; worker_pid=
echo "done"
