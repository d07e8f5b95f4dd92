#!/usr/bin/env bash
# Hostile input: what comes back (issue 4 item 2).  Rejections must be clean
# for the client too: every error message, detail and hint, and every line
# triggers_validate returns, is valid UTF-8 (the database encoding) and of a
# bounded size, whatever multibyte text the input held: task names longer
# than the limit, text that is not JSON, strings and keys that do not end,
# duplicate keys, names of 10,000 multibyte characters.
. "$(dirname "$0")/lib.sh"
tr_db reliability_messages

q "$(cat <<'SQL'
CREATE FUNCTION public.utf8_ok(t text) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
  PERFORM convert_from(convert_to(coalesce(t, ''), 'UTF8'), 'UTF8');
  RETURN true;
EXCEPTION WHEN character_not_in_repertoire OR untranslatable_character THEN
  RETURN false;
END $$;
-- Runs sql; returns its SQLSTATE and what is wrong with the error it raised.
CREATE FUNCTION public.check_error(sql text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  st text; msg text; det text; hnt text; wrong text := '';
BEGIN
  EXECUTE sql;
  RETURN '00000';
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT, det = PG_EXCEPTION_DETAIL,
                          hnt = PG_EXCEPTION_HINT;
  IF NOT public.utf8_ok(msg) THEN wrong := wrong || ' message-not-utf8'; END IF;
  IF NOT public.utf8_ok(det) THEN wrong := wrong || ' detail-not-utf8'; END IF;
  IF NOT public.utf8_ok(hnt) THEN wrong := wrong || ' hint-not-utf8'; END IF;
  IF octet_length(msg) + coalesce(octet_length(det), 0) + coalesce(octet_length(hnt), 0) > 8192 THEN
    wrong := wrong || ' longer-than-8kB(' || (octet_length(msg) + coalesce(octet_length(det), 0)) || ')';
  END IF;
  RETURN st || wrong;
END $$;
SQL
)"

long_task="jsonb_build_object(repeat('€', 300), '{\"after\": [\"a\"], \"run\": \"r\"}'::jsonb)"
cases=$(cat <<EOF
configure_long_task\`SELECT triggers_configure('s', $long_task)\`22023
insert_long_task\`INSERT INTO triggers.workflow (name, definition) VALUES ('w', $long_task)\`22023
load_long_task\`SELECT triggers_load_workflow('w', ($long_task)::text)\`22023
load_not_json\`SELECT triggers_load_workflow('w', 't€')\`22P02
load_not_json_2\`SELECT triggers_load_workflow('w', '{"a": [1, tr€e]}')\`22P02
load_unterminated_string\`SELECT triggers_load_workflow('w', '{"t": "' || repeat('€', 2000))\`22P02
load_unterminated_key\`SELECT triggers_load_workflow('w', '{"' || repeat('日本', 3000))\`22P02
load_unterminated_comment\`SELECT triggers_load_workflow('w', '{"t": 1} /* ' || repeat('€', 2000))\`22P02
load_duplicate_key\`SELECT triggers_load_workflow('w', '{"' || repeat('€', 3000) || '": {}, "' || repeat('€', 3000) || '": {}}')\`22023
load_bad_escape\`SELECT triggers_load_workflow('w', '{"t€\\x": 1}')\`22P02
fire_long_session\`SELECT triggers_fire(repeat('€', 10000), 'a')\`22023
fire_long_trigger\`SELECT triggers_fire('s', repeat('日', 10000))\`22023
start_long_workflow\`SELECT triggers_start('s', repeat('€', 300))\`22023
EOF
)
out=$(while IFS='`' read -r name sql want; do
  printf "SELECT %s || ' ' || public.check_error(%s);\n" "$(q "SELECT quote_literal('$name')")" \
    "$(psql -XAtq -c "SELECT quote_literal(\$q\$$sql\$q\$)")"
done <<<"$cases" | psql -XAtq -v ON_ERROR_STOP=1)
# triggers_validate returns problems as rows: each must be valid UTF-8 too
validate=$(q "SELECT count(*) || ' ' || count(*) FILTER (WHERE NOT public.utf8_ok(p))
              FROM triggers_validate($long_task) AS p")

bad=()
while IFS='`' read -r name sql want; do
  got=$(echo "$out" | sed -n "s/^$name //p")
  echo "$name: $got"
  [ "$got" = "$want" ] || bad+=("$name: got '$got', want '$want'  ($sql)")
done <<<"$cases"
read -r n invalid <<<"$validate"
echo "triggers_validate(task name of 300 x '€'): $n problems, $invalid not valid UTF-8"
[ "$n" -ge 1 ] && [ "$invalid" = 0 ] || bad+=("triggers_validate returned $invalid lines that are not valid UTF-8 (of $n)")
if [ ${#bad[@]} -gt 0 ]; then
  printf '%s\n' "${bad[@]}" >&2
  fail "${#bad[@]} unclean rejections"
fi
