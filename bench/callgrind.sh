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
# and an empty run (start-up and shutdown), subtracted.  Each statement is its own
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
sql cg -c CHECKPOINT >/dev/null
bash "$REPO_DIR/test/lib/cluster.sh" stop "$WORK/cg"

data="$WORK/cg/data"
out="$WORK/cgout"            # the single-user backend runs as postgres: it writes here
mkdir -p "$out" && chmod 777 "$out"
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
for kind in fire1 base1 fire0 base0 empty; do
  f="$WORK/cg.$kind.sql"
  case $kind in
    fire1) awk -v n="$CALLS" 'BEGIN { for (i = 0; i < n; i++) printf "SELECT triggers_fire(%cs%d%c, %cgo%c);\n", 39, i % 1000 + 1, 39, 39, 39 }' ;;
    fire0) awk -v n="$CALLS" 'BEGIN { for (i = 0; i < n; i++) printf "SELECT triggers_fire(%cs%d%c, %conce%c);\n", 39, i % 1000 + 1, 39, 39, 39 }' ;;
    base1) awk -v n="$CALLS" 'BEGIN { for (i = 0; i < n; i++) printf "SELECT fire_base1(%cs%d%c);\n", 39, i % 1000 + 1, 39 }' ;;
    base0) awk -v n="$CALLS" 'BEGIN { for (i = 0; i < n; i++) printf "SELECT fire_base0(%cs%d%c);\n", 39, i % 1000 + 1, 39 }' ;;
    empty) echo "SELECT 1;" ;;
  esac > "$f"
  chmod 644 "$f"
  log "callgrind: $kind"
  as_pg valgrind --tool=callgrind --callgrind-out-file="$out/$kind.out" \
    "$PGBIN/postgres" --single -D "$data" -c synchronous_commit=off bench \
    < "$f" > "$WORK/cg.$kind.stdout" 2> "$WORK/cg.$kind.stderr" \
    || { tail -n 20 "$WORK/cg.$kind.stderr" >&2; die "valgrind run $kind failed"; }
  grep -q ERROR "$WORK/cg.$kind.stdout" && { grep -m 3 ERROR "$WORK/cg.$kind.stdout" >&2; die "errors in the $kind run"; }
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
echo "Functions of fire1 (inclusive, % of the whole run including start-up):"
echo '```'
callgrind_annotate --inclusive=yes "$out/fire1.out" 2>/dev/null | sed -n '/file:function/,$p' | sed -n '3,80p' \
  | grep -v -E '^ *$|\?\?\?:0x0|below main|libc_start|libc-start|\?\?\?:main |PostgresSingleUserMain|PostgresMain' \
  | sed -e 's/ \[\/[^]]*\]//' -e 's#'"$REPO_DIR"'/##' | awk '!seen[$0]++' | head -40 | cut -c1-150
echo '```'
