#!/usr/bin/env bash
# Hostile input: nesting (issue 4 item 2).
#  - JSON text nested 100,000 levels deep (arrays, objects, inside a valid
#    task, unclosed, with comments between the brackets) and 1,000,000 levels
#    deep, given to triggers_load_workflow: refused with 22023.
#  - The deepest jsonb PostgreSQL's own parser accepts here (found by
#    bisection) given to triggers_validate (answers with problems),
#    INSERT/UPDATE of triggers.workflow and triggers_configure (refused), and
#    as kwargs/result/error/metadata to triggers_fire (unconfigured and
#    configured sessions), triggers_finish, triggers_fail, triggers_retry,
#    triggers_set_metadata: each either works or is refused with a clean
#    SQLSTATE; a refused call changes nothing; an accepted fire leaves a
#    session whose state can still be read.
# All in one connection: after every statement the same backend must still
# answer and the postmaster must not have restarted (no crash).
. "$(dirname "$0")/lib.sh"
tr_db reliability_depth

# The deepest {"k": [[...]]} jsonb_in accepts at the top level of a statement.
lo=100 hi=400000
while [ $((hi - lo)) -gt 1 ]; do
  m=$(((lo + hi) / 2))
  if psql -XAtq -c "CREATE TABLE probe AS SELECT ('{\"k\":' || repeat('[', $m) || repeat(']', $m) || '}')::jsonb AS j" \
       >/dev/null 2>&1; then
    lo=$m; q "DROP TABLE probe"
  else
    hi=$m
  fi
done
depth=$lo
echo "deepest jsonb accepted: {\"k\": ...} with $depth nested arrays ($((depth + 1)) levels)"
[ "$depth" -gt 1000 ] || fail "the bisection found only $depth levels"
q "CREATE TABLE deep AS SELECT
     ('{\"k\":' || repeat('[', $depth) || repeat(']', $depth) || '}')::jsonb AS kwargs,
     ('{\"t\": {\"after\": [\"a\"], \"run\": \"r\", \"x\":' || repeat('[', $depth - 2)
      || repeat(']', $depth - 2) || '}}')::jsonb AS definition"
q "SELECT triggers_load_workflow('shallow', '{\"t\": {\"after\": [\"a\"], \"run\": \"r\"}}')" \
  "SELECT triggers_configure('conf', '{\"t\": {\"after\": [\"a\"], \"run\": \"r\"}, \"u\": {\"after\": [\"t\"], \"run\": \"r\"}}')" \
  "SELECT triggers_configure('held', '{\"h\": {\"after\": [\"go\"], \"run\": \"r\"}, \"h2\": {\"after\": [\"h\"], \"run\": \"r\"},
                                       \"i\": {\"after\": [\"go\"], \"run\": \"r\"}, \"j\": {\"after\": [\"go\"], \"run\": \"r\"}}')" \
  "SELECT triggers_fire('held', 'go')" >/dev/null

# Steps: name ` statement ` SQLSTATEs allowed (00000: it worked).
steps=$(cat <<'EOF'
text_arrays_100k`SELECT triggers_load_workflow('deep', repeat('[', 100000) || repeat(']', 100000))`22023
text_objects_100k`SELECT triggers_load_workflow('deep', repeat('{"a":', 100000) || '1' || repeat('}', 100000))`22023
text_in_task_100k`SELECT triggers_load_workflow('deep', '{"t": {"after": ["a"], "run": "r", "x": ' || repeat('[', 100000) || repeat(']', 100000) || '}}')`22023
text_unclosed_100k`SELECT triggers_load_workflow('deep', repeat('[', 100000))`22023
text_comments_100k`SELECT triggers_load_workflow('deep', repeat('[/* c */', 100000) || repeat(E'// c\n]', 100000))`22023
text_arrays_1m`SELECT triggers_load_workflow('deep', repeat('[', 1000000) || repeat(']', 1000000))`22023
text_mixed_1m`SELECT triggers_load_workflow('deep', repeat('{"a":[', 500000) || repeat(']}', 500000))`22023
validate_deepest_kwargs`SELECT count(*) AS problems FROM deep, triggers_validate(deep.kwargs)`00000
validate_deepest_definition`SELECT count(*) AS problems FROM deep, triggers_validate(deep.definition)`00000
insert_workflow_deepest`INSERT INTO triggers.workflow (name, definition) SELECT 'deep', definition FROM deep`22023 54001
update_workflow_deepest`UPDATE triggers.workflow SET definition = (SELECT definition FROM deep) WHERE name = 'shallow'`22023 54001
configure_deepest`SELECT triggers_configure('deepconf', definition) FROM deep`22023 54001
fire_configured_deepest`SELECT triggers_fire('conf', 'a', kwargs) FROM deep`00000 22023 54001
finish_deepest`SELECT triggers_finish((SELECT task_id FROM triggers.queue WHERE session = 'held' AND task = 'h'), kwargs) FROM deep`00000 22023 54001
retry_deepest`SELECT triggers_retry((SELECT task_id FROM triggers.queue WHERE session = 'held' AND task = 'j'), '0', kwargs) FROM deep`00000 22023 54001
set_metadata_deepest`SELECT triggers_set_metadata('held', 'h#0', kwargs) FROM deep`00000 22023 54001
fail_deepest`SELECT triggers_fail((SELECT task_id FROM triggers.queue WHERE session = 'held' AND task = 'i'), kwargs) FROM deep`00000 22023 54001
fire_unconfigured_deepest`SELECT triggers_fire('unconf', 'a', kwargs) FROM deep`00000 22023 54001
configure_after_deep_fire`SELECT triggers_configure('unconf', '{"t": {"after": ["a"], "run": "r"}}')`00000 22023 54001
claim_after`SELECT count(*) FROM triggers_claim('w2', '{default}', 100)`00000
EOF
)

# Everything stored by the extension, as one checksum.
sum="SELECT md5(string_agg(t, E'\\\\n' ORDER BY t)) AS sum FROM (
  SELECT to_jsonb(x)::text AS t FROM triggers.workflow AS x UNION ALL
  SELECT to_jsonb(x)::text FROM triggers.session AS x UNION ALL
  SELECT to_jsonb(x)::text FROM triggers.event AS x UNION ALL
  SELECT to_jsonb(x)::text FROM triggers.instance AS x UNION ALL
  SELECT to_jsonb(x)::text FROM triggers.queue AS x UNION ALL
  SELECT to_jsonb(x)::text FROM triggers.config AS x) AS s"

script=$TR_DIR/depth.sql
{
  echo '\set ON_ERROR_STOP 0'
  echo 'SELECT pg_backend_pid() AS pid0, pg_postmaster_start_time() AS start0 \gset'
  echo "SELECT task_id FROM triggers_claim('w', '{default}', 10) \\g /dev/null"
  while IFS='`' read -r name sql allowed; do
    echo "$sum \\gset before_"
    echo "\\o /dev/null"
    echo "$sql \\gset"
    echo "\\o"
    echo "\\echo STEP $name :SQLSTATE"
    echo "\\set ON_ERROR_STOP 1"
    echo "SELECT pg_backend_pid() = :pid0 AND pg_postmaster_start_time() = :'start0' AS alive \\gset"
    echo "$sum \\gset after_"
    echo "\\echo ALIVE $name :alive :before_sum :after_sum"
    echo "\\set ON_ERROR_STOP 0"
  done <<<"$steps"
} >"$script"
out=$(psql -XAtq -v problems=-1 -f "$script" 2>"$TR_DIR/depth.err") || true

bad=()
while IFS='`' read -r name sql allowed; do
  state=$(echo "$out" | sed -n "s/^STEP $name //p")
  read -r alive before after <<<"$(echo "$out" | sed -n "s/^ALIVE $name //p")"
  if [ -z "$state" ] || [ "$alive" != t ]; then
    bad+=("$name: the connection did not survive (state '$state', alive '$alive')")
    break
  fi
  [[ " $allowed " == *" $state "* ]] || bad+=("$name: SQLSTATE $state, want one of: $allowed")
  [ "$state" = 00000 ] || [ "$before" = "$after" ] || bad+=("$name: refused ($state) but changed stored data")
  echo "$name: $state"
done <<<"$steps"
# whatever was accepted leaves sessions whose state can still be read
sessions=$(q "SELECT session FROM triggers.session ORDER BY 1")
states=$(for s in $sessions; do
  printf '\\o /dev/null\nSELECT triggers_state(%s) \\gset\n\\o\n\\echo STATE %s :SQLSTATE\n' "'$s'" "$s"
done | psql -XAtq 2>/dev/null)
echo "triggers_state afterwards: $(echo "$states" | sed 's/^STATE //' | tr '\n' ' ')"
for s in $sessions; do
  st=$(echo "$states" | sed -n "s/^STATE $s //p")
  [ "$st" = 00000 ] || bad+=("session '$s' accepted deep input, but triggers_state('$s') now fails with '$st'")
done
# the validator answered with problems rather than raising
q "SELECT count(*) FROM deep, triggers_validate(deep.definition)" | grep -qv '^0$' \
  || bad+=("triggers_validate found no problem in a definition nested $depth levels deep")
if [ ${#bad[@]} -gt 0 ]; then
  printf '%s\n' "${bad[@]}" >&2
  grep -iE 'server closed|terminated|connection' "$TR_DIR/depth.err" | head -n 5 >&2
  fail "${#bad[@]} problems with deep input"
fi
