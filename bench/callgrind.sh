#!/usr/bin/env bash
# bench/callgrind.sh — instructions per call of the fire path, counted by valgrind's
# callgrind: repeatable on a noisy machine, unlike timings.  (Suggested target:
# make bench-callgrind.)  About 2 minutes.
#
#   bash bench/callgrind.sh            CALLS=1500 by default
#
# A throwaway cluster (port BENCH_PORT+3) gets the same setup as `make bench`
# (1,000 sessions on workflow "one", baseline tables); it is then stopped and a
# single-user backend (postgres --single, shared_preload_libraries = 'triggers',
# synchronous_commit off) runs CALLS statements of each kind under callgrind:
#   fire1  SELECT triggers_fire('s<k>', 'go')      schedules one task
#   base1  SELECT fire_base1('s<k>')               hand-written baseline of fire1
#   fire0  SELECT triggers_fire('s<k>', 'once')    schedules nothing
#   base0  SELECT fire_base0('s<k>')               baseline of fire0
# and an empty run (start-up and shutdown), subtracted.  Then a whole end-to-end
# drain: DRAIN_SESSIONS (1,280) sessions of the 3-task chain of `make bench`, each
# statement finish_many(claim of 64), until all 3 x DRAIN_SESSIONS tasks are finished:
# instructions per task, claims, answers and cascades included.  Each statement is its own
# transaction (commit included; no client round trip, no fsync wait).  Prints the
# instructions per call, the ratios, and the functions that dominate fire1
# (inclusive; the Debian postgres binary has no symbols for static functions).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/parts.sh"
CALLS="${CALLS:-1500}"
command -v valgrind >/dev/null || die "valgrind is needed"
command -v callgrind_annotate >/dev/null || die "callgrind_annotate is needed"

start_cluster cg "$((PORT_BASE + 3))" "shared_preload_libraries = 'triggers'"
reset_fire_state cg
# the drain: DRAIN_SESSIONS sessions on workflow "chain" with t1 queued in each
DRAIN_SESSIONS="${DRAIN_SESSIONS:-1280}"
sql cg -d postgres -c "CREATE DATABASE chain" >/dev/null
create_extension cg chain
sqldb cg chain -v nsessions="$DRAIN_SESSIONS" -v wf="$WF_CHAIN" -f "$SQL/setup_chain.sql" >/dev/null
sql cg -c CHECKPOINT >/dev/null
bash "$REPO_DIR/test/lib/cluster.sh" stop "$WORK/cg"

data="$WORK/cg/data"
out="$WORK/cgout"            # the single-user backend runs as postgres: it writes here
mkdir -p "$out" && chmod 777 "$out"
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
drain_batches=$(( (3 * DRAIN_SESSIONS + 63) / 64 ))
for kind in fire1 base1 fire0 base0 drain empty; do
  f="$WORK/cg.$kind.sql"
  case $kind in
    fire1) awk -v n="$CALLS" 'BEGIN { for (i = 0; i < n; i++) printf "SELECT triggers_fire(%cs%d%c, %cgo%c);\n", 39, i % 1000 + 1, 39, 39, 39 }' ;;
    fire0) awk -v n="$CALLS" 'BEGIN { for (i = 0; i < n; i++) printf "SELECT triggers_fire(%cs%d%c, %conce%c);\n", 39, i % 1000 + 1, 39, 39, 39 }' ;;
    base1) awk -v n="$CALLS" 'BEGIN { for (i = 0; i < n; i++) printf "SELECT fire_base1(%cs%d%c);\n", 39, i % 1000 + 1, 39 }' ;;
    base0) awk -v n="$CALLS" 'BEGIN { for (i = 0; i < n; i++) printf "SELECT fire_base0(%cs%d%c);\n", 39, i % 1000 + 1, 39 }' ;;
    drain) awk -v n="$drain_batches" 'BEGIN { for (i = 0; i < n; i++) printf "SELECT cardinality(triggers_finish_many(ARRAY(SELECT task_id FROM triggers_claim(%cw%c, %c{default}%c, 64))));\n", 39, 39, 39, 39 }' ;;
    empty) echo "SELECT 1;" ;;
  esac > "$f"
  db=bench; [ "$kind" = drain ] && db=chain
  chmod 644 "$f"
  log "callgrind: $kind"
  as_pg valgrind --tool=callgrind --callgrind-out-file="$out/$kind.out" \
    "$PGBIN/postgres" --single -D "$data" -c synchronous_commit=off "$db" \
    < "$f" > "$WORK/cg.$kind.stdout" 2> "$WORK/cg.$kind.stderr" \
    || { tail -n 20 "$WORK/cg.$kind.stderr" >&2; die "valgrind run $kind failed"; }
  # a single-user backend reports errors on stderr
  grep -q 'ERROR:' "$WORK/cg.$kind.stderr" && { grep -m 3 'ERROR:' "$WORK/cg.$kind.stderr" >&2; die "errors in the $kind run"; }
  record "cg.$kind" "$(sed -n 's/.*I *refs: *\([0-9,]*\).*/\1/p' "$WORK/cg.$kind.stderr" | tr -d ,)"
done

per() { awk -v a="$(get "cg.$1")" -v e="$(get cg.empty)" -v n="$CALLS" 'BEGIN { printf "%.0f", (a - e) / n }'; }
echo "# callgrind: instructions per call ($CALLS calls each, $(date -u '+%Y-%m-%d %H:%M UTC'))"
echo
echo "| statement | instructions per call | vs baseline |"
echo "| --- | ---: | ---: |"
echo "| triggers_fire, schedules one task | $(per fire1) | $(awk -v a="$(per fire1)" -v b="$(per base1)" 'BEGIN { printf "%.2f×", a / b }') |"
echo "| fire_base1 (UPDATE + 2 INSERT + NOTIFY, plpgsql) | $(per base1) | 1.00× |"
echo "| triggers_fire, schedules nothing | $(per fire0) | $(awk -v a="$(per fire0)" -v b="$(per base0)" 'BEGIN { printf "%.2f×", a / b }') |"
echo "| fire_base0 (UPDATE + INSERT, plpgsql) | $(per base0) | 1.00× |"
echo
left=$(as_pg "$PGBIN/postgres" --single -D "$data" chain <<<"SELECT count(*) FILTER (WHERE status <> 'finished') FROM triggers.instance;" 2>/dev/null \
       | sed -n 's/.*count = "\([0-9]*\)".*/\1/p')
[ "$left" = 0 ] || die "the drain left ${left:-?} instances unfinished"
echo "End-to-end drain ($DRAIN_SESSIONS sessions x 3-task chain, $drain_batches x finish_many(claim of 64)):" \
     "$(awk -v a="$(get cg.drain)" -v e="$(get cg.empty)" -v n="$((3 * DRAIN_SESSIONS))" 'BEGIN { printf "%.0f", (a - e) / n }')" \
     "instructions per task (claim and answer, cascades included)."
echo
echo "Functions of fire1 (inclusive, % of the whole run including start-up):"
echo '```'
callgrind_annotate --inclusive=yes "$out/fire1.out" 2>/dev/null | sed -n '/file:function/,$p' | sed -n '3,80p' \
  | grep -v -E '^ *$|\?\?\?:0x0|below main|libc_start|libc-start|\?\?\?:main |PostgresSingleUserMain|PostgresMain' \
  | sed -e 's/ \[\/[^]]*\]//' -e 's#'"$REPO_DIR"'/##' | awk '!seen[$0]++' | head -40 | cut -c1-150
echo '```'
