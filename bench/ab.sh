#!/usr/bin/env bash
# bench/ab.sh — several builds of the extension side by side: the same fire runs
# against each, interleaved on one cluster, so a change's effect on the rate is
# not lost in the drift of a shared machine between separate runs.
#
#   bash bench/ab.sh BUILD_A.so BUILD_B.so [BUILD_C.so ...]
#
# A build is a triggers.so made from a clone of the repository (make in the clone;
# the SQL script must be the installed one's).  Each round stops the cluster
# (shared_preload_libraries = 'triggers', fsync on, synchronous_commit on), puts
# one build in place of the installed triggers.so, starts the cluster again and
# runs each pgbench script of AB_SCRIPTS (bench/sql, default fire1: a fire that
# schedules one task) at each of AB_CLIENTS (default "1 4") clients, CHECKPOINT
# first; rounds rotate the order of the builds.  Prints each build's median rate
# and the median (and range) of the rounds' own ratios to the first build.
# The installed triggers.so is put back at exit, also on errors and Ctrl-C.
# Knobs: DURATION (3), AB_ROUNDS (3), AB_SCRIPTS, AB_CLIENTS, BENCH_PORT, BENCH_KEEP.
DURATION="${DURATION:-3}"
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/parts.sh"
AB_ROUNDS="${AB_ROUNDS:-3}"
AB_SCRIPTS="${AB_SCRIPTS:-fire1}"
AB_CLIENTS="${AB_CLIENTS:-1 4}"
[ $# -ge 2 ] || die "usage: bash bench/ab.sh BUILD_A.so BUILD_B.so [...]"
NAMES=()
for b in "$@"; do
  [ -f "$b" ] && [ -r "$b" ] || die "no such build: $b"
  NAMES+=("$(cd "$(dirname "$b")" && pwd)/$(basename "$b")")
done
for s in $AB_SCRIPTS; do [ -f "$SQL/$s.sql" ] || die "no such script: bench/sql/$s.sql"; done
LIBDIR=$(pg_config --pkglibdir)
[ -w "$LIBDIR" ] || die "$LIBDIR is not writable: run as root (the builds are put in place in turn)"

# Each build is copied first (one of them may be the installed file, which is
# overwritten in turn); the installed library is put back at exit (a new file,
# renamed into place).
BUILDS=()
for ((i = 0; i < ${#NAMES[@]}; i++)); do cp "${NAMES[$i]}" "$WORK/build$i.so"; BUILDS+=("$WORK/build$i.so"); done
cp "$LIBDIR/triggers.so" "$WORK/installed.so"
place() { cp "$1" "$LIBDIR/triggers.so.ab" && mv -f "$LIBDIR/triggers.so.ab" "$LIBDIR/triggers.so"; }
restore_installed() {
  local rc=$?
  set +e   # an error here must not skip cleanup (clusters, huge pages, work dir)
  bash "$REPO_DIR/test/lib/cluster.sh" stop "$WORK/ab" immediate >/dev/null 2>&1
  place "$WORK/installed.so" || echo "bench/ab.sh: could not put back $LIBDIR/triggers.so (copy in $WORK)" >&2
  (exit "$rc"); cleanup
}
trap restore_installed EXIT

use_build() {   # INDEX: restart the cluster on build INDEX
  bash "$REPO_DIR/test/lib/cluster.sh" stop "$WORK/ab"
  place "${BUILDS[$1]}"
  bash "$REPO_DIR/test/lib/cluster.sh" restart "$WORK/ab" >/dev/null || _cluster_failed ab
}

log "work dir $WORK; builds: ${NAMES[*]}"
build_helpers
disk_flush disk.start
start_cluster ab "$((PORT_BASE + 3))" "shared_preload_libraries = 'triggers'"
reset_fire_state ab
n=${#BUILDS[@]}
for ((r = 1; r <= AB_ROUNDS; r++)); do
  for ((k = 0; k < n; k++)); do
    i=$(( (k + r - 1) % n ))
    use_build "$i"
    for s in $AB_SCRIPTS; do
      for c in $AB_CLIENTS; do fire_run ab "b$i.$s.c$c.r$r" "$s" "$c"; done
    done
  done
  for s in $AB_SCRIPTS; do
    for c in $AB_CLIENTS; do
      for ((i = 1; i < n; i++)); do
        record "b$i.$s.c$c.vs0.r$r" "$(_div "$(get "b$i.$s.c$c.r$r")" "$(get "b0.$s.c$c.r$r")")"
      done
    done
  done
done
disk_flush disk.end

echo "# bench/ab.sh: $AB_ROUNDS rounds, pgbench -T $DURATION, sync on ($(date -u '+%Y-%m-%d %H:%M UTC'))"
echo
echo "disk flush p50: $(get disk.start.p50) us at the start, $(get disk.end.p50) us at the end"
echo
echo "| build | script | clients | calls/s (median) | vs build 0 (median of rounds, range) |"
echo "| --- | --- | ---: | ---: | ---: |"
for ((i = 0; i < n; i++)); do
  for s in $AB_SCRIPTS; do
    for c in $AB_CLIENTS; do
      record_median "b$i.$s.c$c" "$AB_ROUNDS"
      ratio="–"
      if [ "$i" -gt 0 ]; then
        record_median "b$i.$s.c$c.vs0" "$AB_ROUNDS"
        record_range "b$i.$s.c$c.vs0" "$AB_ROUNDS"
        ratio=$(awk -v m="$(get "b$i.$s.c$c.vs0")" -v lo="$(get "b$i.$s.c$c.vs0.min")" -v hi="$(get "b$i.$s.c$c.vs0.max")" \
          'BEGIN { printf "%.2f× (%.2f–%.2f)", m, lo, hi }')
      fi
      printf '| %s: %s | %s | %s | %.0f | %s |\n' "$i" "${NAMES[$i]}" "$s" "$c" "$(get "b$i.$s.c$c")" "$ratio"
    done
  done
done
