# bench/lib.sh — shared by bench/run.sh (make bench) and bench/peers.sh (make bench-peers).
# Source it; do not run it.
#
# Everything volatile (clusters, sockets, built helper programs, npm installs, raw
# results) lives in one directory under the system temp dir ($TMPDIR, else /tmp),
# removed at exit unless BENCH_KEEP=1.  Clusters are started with
# test/lib/cluster.sh (fsync on, unix socket only) on ports 55540-55559 and are
# always stopped by the EXIT trap.  Nothing here writes inside the repository.

set -euo pipefail

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_DIR="$(cd "$BENCH_DIR/.." && pwd)"
PGBIN="${PGBIN:-$(pg_config --bindir)}"
TMPROOT="${TMPDIR:-/tmp}"
DURATION="${DURATION:-2}"                 # seconds per pgbench run (the scripts set their own default)
PORT_BASE="${BENCH_PORT:-55540}"          # we use PORT_BASE .. PORT_BASE+3, all within 55540-55559
WORKER_BIN="${TRIGGERS_WORKER:-$REPO_DIR/src/worker/triggers-worker}"
CXX="${CXX:-g++}"

if [ "$PORT_BASE" -lt 55540 ] || [ "$PORT_BASE" -gt 55556 ]; then
  echo "BENCH_PORT must be within 55540-55556 (we use 4 ports from it)" >&2; exit 2
fi
[ -x "$PGBIN/initdb" ] || { echo "initdb not found in PGBIN=$PGBIN; set PGBIN" >&2; exit 1; }
[ -x "$PGBIN/pgbench" ] || { echo "pgbench not found in PGBIN=$PGBIN" >&2; exit 1; }

WORK="$(mktemp -d "$TMPROOT/triggers-bench.XXXXXX")"
chmod 755 "$WORK"                          # the server (user postgres) lives below it
RESULTS="$WORK/results.tsv"                # key <TAB> value, one measurement a line
: > "$RESULTS"
BENCH_T0=$(date +%s)

_CLUSTERS=()    # cluster directories we started
_BG_PIDS=()     # background processes we started (killed by pid at exit)

cleanup() {
  local rc=$?
  set +e
  for p in "${_BG_PIDS[@]}"; do
    kill -0 "$p" 2>/dev/null && kill "$p" 2>/dev/null
  done
  for p in "${_BG_PIDS[@]}"; do wait "$p" 2>/dev/null; done
  for d in "${_CLUSTERS[@]}"; do
    bash "$REPO_DIR/test/lib/cluster.sh" stop "$d" immediate >/dev/null 2>&1
  done
  release_huge_pages
  if [ "${BENCH_KEEP:-0}" = 1 ]; then
    echo "work dir kept: $WORK" >&2
  else
    rm -rf "$WORK"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'echo "interrupted" >&2; exit 130' INT TERM

log() { printf '[%4ss] %s\n' "$(( $(date +%s) - BENCH_T0 ))" "$*" >&2; }
die() { echo "bench: $*" >&2; exit 1; }

# record KEY VALUE: one measurement.  get KEY: its value, or empty.
record() { printf '%s\t%s\n' "$1" "$2" >> "$RESULTS"; }
get() { awk -F'\t' -v k="$1" '$1 == k { v = $2 } END { if (v != "") print v }' "$RESULTS"; }
# _div A B: A / B to 4 decimals, empty when either is missing or B is 0
_div() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b + 0 == 0) print ""; else printf "%.4f", a / b }'; }

# record_median KEY N: KEY = median of KEY.r1 .. KEY.rN (one slow round, common on a
# shared machine, does not move it)
record_median() {
  local k=$1 n=$2 r
  record "$k" "$(for ((r = 1; r <= n; r++)); do get "$k.r$r"; done | _median)"
}
# record_median_of KEY N FIELD: KEY.FIELD = median of KEY.r1.FIELD .. KEY.rN.FIELD
record_median_of() {
  local k=$1 n=$2 f=$3 r
  record "$k.$f" "$(for ((r = 1; r <= n; r++)); do get "$k.r$r.$f"; done | _median)"
}
# record_range KEY N: KEY.min and KEY.max of KEY.r1 .. KEY.rN
record_range() { _record_range "$1" "$2" ""; }
# record_range_of KEY N FIELD: KEY.FIELD.min and .max of KEY.r1.FIELD .. KEY.rN.FIELD
record_range_of() { _record_range "$1" "$2" ".$3"; }
_record_range() {
  local k=$1 n=$2 f=$3 r v
  v=$(for ((r = 1; r <= n; r++)); do get "$k.r$r$f"; done | sort -g)
  record "$k$f.min" "$(head -n 1 <<<"$v")"
  record "$k$f.max" "$(tail -n 1 <<<"$v")"
}
_median() {   # numbers on stdin, one a line -> their median (empty for none)
  sort -g | awk 'function f(x) { return sprintf(x >= 100 || x <= -100 ? "%.1f" : "%.4f", x) }
    { v[NR] = $1 } END { if (NR % 2) print f(v[(NR + 1) / 2]); else if (NR) print f((v[NR / 2] + v[NR / 2 + 1]) / 2) }'
}

now_ns() { date +%s%N; }
# json_num JSON KEY: the number(s) after "KEY": in the helpers' one-line JSON, one a line
json_num() { grep -o "\"$2\": [-0-9.]*" <<<"$1" | awk '{ print $2 }'; }

# ---------------------------------------------------------------------------
# Clusters.  start_cluster NAME PORT [postgresql.conf lines...]; then use NAME
# with `on NAME cmd...` to run a client command against it.
# Sized for the largest data set (10^6 sessions, ~1 GB with indexes), as a DBA would:
# with PostgreSQL's default of 128MB the scaling figure would measure evictions.
SHARED_BUFFERS="${SHARED_BUFFERS:-1GB}"
declare -A _PORT=()
_start_cluster_with() {   # DIR PORT [conf lines...], huge pages as _HUGE_SETTING says
  local dir=$1 port=$2; shift 2
  bash "$REPO_DIR/test/lib/cluster.sh" start "$dir" "$port" \
    "shared_buffers = $SHARED_BUFFERS" "max_wal_size = 2GB" "checkpoint_timeout = 30min" \
    "synchronous_commit = on" "log_min_messages = warning" "huge_pages = $_HUGE_SETTING" \
    "track_wal_io_timing = on" "$@"
}
_cluster_failed() { tail -n 30 "$WORK/$1/server.log" >&2 2>/dev/null; die "cluster $1 did not start"; }
start_cluster() {
  local name=$1 port=$2; shift 2
  local dir="$WORK/$name"
  _CLUSTERS+=("$dir")
  reserve_huge_pages
  if ! _start_cluster_with "$dir" "$port" "$@"; then
    [ "$_HUGE_SETTING" = on ] || _cluster_failed "$name"
    # another cluster on this machine (huge_pages = try) took some of the reserved pages
    log "cluster $name could not have its memory in huge pages; starting it without"
    release_huge_pages; _HUGE_SETTING=off; rm -rf "$dir"
    _start_cluster_with "$dir" "$port" "$@" || _cluster_failed "$name"
  fi
  _PORT[$name]=$port
  on "$name" "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -d postgres -c "CREATE DATABASE bench" >/dev/null
}
# Huge pages, as PostgreSQL's documentation advises for a shared_buffers this
# size.  Without them every backend takes a page fault on its first touch of each
# 4 kB page of shared memory, which on this class of VM costs tens of
# microseconds: a new connection pays it for every buffer it reads, and the
# scaling figure (random sessions among 10^6) measured mostly that.
# BENCH_HUGE_PAGES=auto (default) reserves them in the kernel for each cluster
# when it may (root), giving them back at exit; off never does.  Sets
# _HUGE_SETTING for the next cluster: on, or off when none could be had.
_HUGE_ADDED=0
_HUGE_SETTING=off
reserve_huge_pages() {
  local want mb f=/proc/sys/vm/nr_hugepages before after
  _HUGE_SETTING=off
  [ "${BENCH_HUGE_PAGES:-auto}" != off ] && [ -w "$f" ] || return 0
  mb=$(numfmt --from=iec "${SHARED_BUFFERS%B}" | awk '{ printf "%d", $1 / 1048576 }')
  want=$(( mb * 11 / 20 + 32 ))            # shared_buffers in 2 MB pages, +10 % for the rest
  before=$(cat "$f")
  echo $(( before + want )) > "$f" 2>/dev/null || true
  after=$(cat "$f")
  _HUGE_ADDED=$(( _HUGE_ADDED + after - before ))
  [ $(( after - before )) -lt "$want" ] || _HUGE_SETTING=on
}
release_huge_pages() {
  local f=/proc/sys/vm/nr_hugepages cur
  [ "$_HUGE_ADDED" -gt 0 ] || return 0
  cur=$(cat "$f")
  echo $(( cur > _HUGE_ADDED ? cur - _HUGE_ADDED : 0 )) > "$f" 2>/dev/null || true
  _HUGE_ADDED=0
}

# on NAME [DB=bench] -- runs a command with PGHOST/PGPORT/PGUSER/PGDATABASE set
on() {
  local name=$1; shift
  PGHOST="$WORK/$name/sock" PGPORT="${_PORT[$name]}" PGUSER=postgres PGDATABASE="${PGDATABASE_OVERRIDE:-bench}" "$@"
}
# sql NAME [psql args...]: quiet psql, stops on the first error, unaligned output
sql() {
  local name=$1; shift
  on "$name" "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -At "$@"
}
sqldb() { local name=$1 db=$2; shift 2; PGDATABASE_OVERRIDE=$db sql "$name" "$@"; }
set_sync() {   # NAME on|off: cluster-wide synchronous_commit for new sessions
  sql "$1" -d postgres -c "ALTER SYSTEM SET synchronous_commit = $2" -c "SELECT pg_reload_conf()" >/dev/null
  local i
  for i in $(seq 1 50); do
    [ "$(sql "$1" -d postgres -c 'SHOW synchronous_commit')" = "$2" ] && return 0
    sleep 0.1
  done
  die "synchronous_commit did not become $2"
}
postmaster_pid() { head -n 1 "$WORK/$1/data/postmaster.pid"; }

# ---------------------------------------------------------------------------
# Memory sampler: every 0.25 s, the peak VmHWM and RssAnon (kB) of the backends of
# cluster NAME connected to database DB (ps title "postgres: postgres DB [local]"),
# or of the processes whose pids are listed in a file.  Writes "hwm anon" to OUT.
#   mem_sampler_start NAME DB OUT   /   mem_sampler_start_pids PIDFILE OUT
#   mem_sampler_stop
_MEM_PID=""
_mem_loop() {   # OUT, then a command printing the pids to look at
  local out=$1; shift
  local hwm=0 anon=0 p v a
  echo "0 0" > "$out"
  while :; do
    for p in $("$@" 2>/dev/null); do
      [ -r "/proc/$p/status" ] || continue
      v=$(awk '/^VmHWM:/ { print $2 }' "/proc/$p/status" 2>/dev/null || true)
      a=$(awk '/^RssAnon:/ { print $2 }' "/proc/$p/status" 2>/dev/null || true)
      [ -n "$v" ] && [ "$v" -gt "$hwm" ] && hwm=$v
      [ -n "$a" ] && [ "$a" -gt "$anon" ] && anon=$a
    done
    echo "$hwm $anon" > "$out.tmp" && mv "$out.tmp" "$out"
    sleep 0.25
  done
}
_backends_of() {   # postmaster pid, database
  local c
  for c in $(pgrep -P "$1" 2>/dev/null); do
    grep -qa "postgres: postgres $2 \[local\]" "/proc/$c/cmdline" 2>/dev/null && echo "$c"
  done
  return 0
}
_pids_in() { cat "$1" 2>/dev/null || true; }
mem_sampler_start() {
  _mem_loop "$3" _backends_of "$(postmaster_pid "$1")" "$2" &
  _MEM_PID=$!; _BG_PIDS+=("$_MEM_PID")
}
mem_sampler_start_pids() {
  _mem_loop "$2" _pids_in "$1" &
  _MEM_PID=$!; _BG_PIDS+=("$_MEM_PID")
}
mem_sampler_stop() {
  if [ -n "$_MEM_PID" ]; then
    sleep 0.3   # one more sample
    kill "$_MEM_PID" 2>/dev/null || true
    wait "$_MEM_PID" 2>/dev/null || true
    _MEM_PID=""
  fi
}
# record_max KEY VALUE: keeps the largest value seen for KEY
record_max() {
  local old; old=$(get "$1")
  if [ -z "$old" ] || [ "${2%.*}" -gt "${old%.*}" ]; then record "$1" "$2"; fi
}

# ---------------------------------------------------------------------------
# pgbench.  run_pgbench NAME KEY SCRIPT CLIENTS [extra args]: records KEY = tps
# (pgbench's "without initial connection time") and KEY.lat = latency average ms.
# Fails loudly when pgbench fails or reports failed transactions.
run_pgbench() {
  local name=$1 key=$2 script=$3 clients=$4; shift 4
  local jobs=$(( clients < 2 ? clients : 2 ))
  local out tps lat failed calls wal0
  wal0=$(wal_counters "$name")
  if ! out=$(on "$name" "$PGBIN/pgbench" -n -c "$clients" -j "$jobs" -T "$DURATION" -f "$script" "$@" 2>&1); then
    echo "$out" | tail -n 20 >&2; die "pgbench $key failed"
  fi
  tps=$(sed -n 's/^tps = \([0-9.]*\) .*/\1/p' <<<"$out")
  lat=$(sed -n 's/^latency average = \([0-9.]*\) ms.*/\1/p' <<<"$out")
  failed=$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' <<<"$out")
  calls=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' <<<"$out")
  [ -n "$tps" ] || { echo "$out" | tail -n 20 >&2; die "pgbench $key: no tps in its output"; }
  [ "${failed:-0}" = 0 ] || { echo "$out" | tail -n 20 >&2; die "pgbench $key: $failed failed transactions"; }
  record "$key" "$tps"
  record "$key.lat" "$lat"
  record_wal_per_call "$key" "$calls" "$wal0" "$(wal_counters "$name")"
  log "$(printf '%-40s %10.0f tps  %7.3f ms  WAL %5.0f B, %4.2f flushes of %3.0f us a call' "$key" "$tps" "$lat" \
    "$(get "$key.wal_bytes")" "$(get "$key.wal_syncs")" "$(get "$key.sync_us")")"
}

# The cluster's WAL counters (pg_stat_wal): bytes, fdatasyncs, ms spent in them
# (0 unless track_wal_io_timing).  Cluster-wide: autovacuum's WAL counts too.
wal_counters() { sql "$1" -c "SELECT wal_bytes || ' ' || wal_sync || ' ' || wal_sync_time FROM pg_stat_wal"; }
# record_wal_per_call KEY CALLS BEFORE AFTER: KEY.wal_bytes and KEY.wal_syncs per
# call, KEY.sync_us per fdatasync: what the commits of a run cost the disk.
record_wal_per_call() {
  local v
  v=$(awk -v n="$2" -v a="$3" -v b="$4" 'BEGIN { split(a, x, " "); split(b, y, " "); if (n + 0 == 0) n = 1
    s = y[2] - x[2]; printf "%.1f %.3f %.1f", (y[1] - x[1]) / n, s / n, (s > 0 ? 1000 * (y[3] - x[3]) / s : 0) }')
  record "$1.wal_bytes" "${v%% *}"
  v=${v#* }; record "$1.wal_syncs" "${v%% *}"
  record "$1.sync_us" "${v#* }"
}

# ---------------------------------------------------------------------------
# Helper programs (C++/libpq), built into the work dir.
build_helpers() {
  local inc lib
  inc=$(pg_config --includedir); lib=$(pg_config --libdir)
  for prog in drain_baseline latency fire_cost flush_probe; do
    "$CXX" -std=c++17 -O2 -Wall -Wextra -Werror -I"$inc" -o "$WORK/$prog" "$BENCH_DIR/$prog.cpp" \
      -L"$lib" -lpq || die "could not build bench/$prog.cpp (needs g++ and libpq-dev)"
  done
}

# disk_flush KEY: the disk's own commit flush (flush_probe.cpp: 8 kB write +
# fdatasync in the work dir, 300 times) as KEY.p50 / KEY.p90 in µs.  Every rate
# with synchronous commit waits for this; it drifts between runs on a shared VM.
disk_flush() {
  local out
  out=$("$WORK/flush_probe" --dir "$WORK") || die "flush_probe failed"
  record "$1.p50" "$(json_num "$out" p50_us)"
  record "$1.p90" "$(json_num "$out" p90_us)"
  log "disk flush ($1): p50 $(get "$1.p50") us, p90 $(get "$1.p90") us"
}

# ---------------------------------------------------------------------------
# The extension.  install_extension NAME DB: (re)creates it; fails clearly when
# the installed files are broken (e.g. a concurrent `make install`).
create_extension() {
  local name=$1 db=${2:-bench} err
  if ! err=$(sqldb "$name" "$db" -c "DROP EXTENSION IF EXISTS triggers CASCADE" -c "CREATE EXTENSION triggers" 2>&1); then
    echo "$err" >&2
    die "CREATE EXTENSION triggers failed in cluster $name; run 'make install' at $REPO_DIR (the installed files may be from a build in progress)"
  fi
}

# Workflows used by the benchmark (SPEC section 3 syntax).
#   one:   t runs on every fire of "go" (each fire schedules one new instance);
#          d is a one-shot task on "once" (after its first fire, "once" schedules nothing).
#   chain: t1 after a and b, t2 after t1, t3 after t2 and again on every "c".
WF_ONE='{"t": {"after": [], "andEvery": "go", "run": "noop"}, "d": {"after": ["once"], "run": "noop"}}'
WF_CHAIN='{"t1": {"after": ["a", "b"], "run": "noop"}, "t2": {"after": ["t1"], "run": "noop"}, "t3": {"after": ["t2"], "andEvery": "c", "run": "noop"}}'

# ---------------------------------------------------------------------------
# Machine / version facts for the report header.
machine_facts() {
  local model mem
  model=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
  mem=$(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
  echo "- date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
  echo "- machine: $(nproc) CPUs ($model), $mem RAM, $(uname -sr)"
  echo "- load average at start: $(cut -d' ' -f1-3 /proc/loadavg) (shared machine: other work may run at the same time)"
  [ -z "$(get disk.start.p50)" ] ||
    echo "- disk: 8 kB write + fdatasync in the work dir (flush_probe), p50 / p90: $(get disk.start.p50) / $(get disk.start.p90) µs at the start of the run, $(get disk.end.p50) / $(get disk.end.p90) µs at its end"
}
