#!/usr/bin/env bash
# bench/peers.sh — `make bench-peers`: triggers next to graphile-worker, on the same
# throwaway cluster, in the same run (issue 5, item 6).  Takes about 6 minutes
# plus the npm install the first time.
#
#   bash bench/peers.sh
#
# graphile-worker is installed from npm into a folder under the system temp dir
# ($TMPDIR or /tmp; reused by later runs; never inside the repository).
# Version GW_VERSION (default 0.17.3: the newest that installs on Node 20; 0.18
# needs Node >= 22.18, refused with --engine-strict).
# One cluster, shared_preload_libraries = 'triggers' (port BENCH_PORT+2), fsync on.
#   add_job rate    pgbench "SELECT graphile_worker.add_job('noop', ...)", 1 and 4 clients,
#                   vs triggers_fire scheduling one task (bench/sql/fire1.sql), interleaved,
#                   PEER_ADD_ROUNDS (5) rounds alternating who goes first, medians (the
#                   ratios: medians of each round's own, with their range; WAL a call);
#                   synchronous_commit on and off; and the ceiling: the cheapest durable
#                   transaction that records a fire (fire_base0: UPDATE one row, INSERT one,
#                   no NOTIFY), which no fire can beat at the same commit rate; and the floor:
#                   the cheapest transaction that waits for a flush (one row, no index),
#                   which bounds what any durable call can reach against add_job
#   drain           3 x E2E_SESSIONS no-op jobs queued, then runOnce() with the
#                   performance preset (PEER_ROUNDS rounds alternating with ours,
#                   medians) and with concurrency 8 unbatched; rates net of
#                   the start-up time on an empty queue (as graphile-worker's own
#                   perfTest does) vs our end-to-end run (bench/parts.sh e2e_ours)
#   latency         graphile-worker: from just before add_job to the task function
#                   starting (1 job at a time, concurrency-1 worker, LISTEN/NOTIFY);
#                   ours: from just before the fire to the worker answering the task
#                   (latency.cpp "send->answer")
# Knobs: as bench/run.sh (DURATION, E2E_SESSIONS, E2E_WORKERS, E2E_CONCURRENCY, LAT_N,
# BENCH_PORT, BENCH_KEEP) plus GW_VERSION, PEERS_NPM_DIR, PEER_SYNCS ("on off"),
# PEER_ROUNDS (3), PEER_ADD_ROUNDS (5), PEER_SECTIONS ("add drain latency").
DURATION="${DURATION:-3}"
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/parts.sh"
GW_VERSION="${GW_VERSION:-0.17.3}"
PEERS_NPM_DIR="${PEERS_NPM_DIR:-$TMPROOT/triggers-bench-npm-graphile-worker-$GW_VERSION}"
PEER_SYNCS="${PEER_SYNCS:-on off}"
PEER_SECTIONS="${PEER_SECTIONS:-add drain latency}"
PEER_ROUNDS="${PEER_ROUNDS:-3}"
PEER_ADD_ROUNDS="${PEER_ADD_ROUNDS:-5}"
want() { [[ " $PEER_SECTIONS " == *" $1 "* ]]; }
REPORT="${BENCH_REPORT:-$TMPROOT/triggers-bench-peers-$(date -u +%Y%m%d-%H%M%S).md}"
GW_JOBS=$((3 * E2E_SESSIONS))

command -v node >/dev/null || die "node is needed (Node 20)"
command -v npm >/dev/null || die "npm is needed"
case "$PEERS_NPM_DIR" in "$REPO_DIR"|"$REPO_DIR"/*) die "PEERS_NPM_DIR must not be inside the repository" ;; esac
worker_built || die "the worker is not built ($WORKER_BIN): make -C src/worker"

# --- graphile-worker from npm, into the temp dir
have=$(node -e "try { console.log(require('$PEERS_NPM_DIR/node_modules/graphile-worker/package.json').version) } catch (e) {}" 2>/dev/null || true)
if [ "$have" != "$GW_VERSION" ]; then
  log "npm install graphile-worker@$GW_VERSION into $PEERS_NPM_DIR"
  mkdir -p "$PEERS_NPM_DIR"
  [ -f "$PEERS_NPM_DIR/package.json" ] || echo '{"name": "triggers-bench-peers", "private": true}' > "$PEERS_NPM_DIR/package.json"
  (cd "$PEERS_NPM_DIR" && npm install --engine-strict --no-audit --no-fund --loglevel=error "graphile-worker@$GW_VERSION") >&2 \
    || die "npm install graphile-worker@$GW_VERSION failed"
fi
export NODE_PATH="$PEERS_NPM_DIR/node_modules"
GW_REAL_VERSION=$(node -e "console.log(require('graphile-worker/package.json').version)")
GW=(node "$BENCH_DIR/gw_bench.js")
gw() { on peer "${GW[@]}" "$@"; }

log "work dir $WORK"
build_helpers
disk_flush disk.start
start_cluster peer "$((PORT_BASE + 2))" "shared_preload_libraries = 'triggers'"
REPORT_CLUSTER=peer
create_extension peer
record wake_mode.waker "$(sql peer -c 'SELECT triggers._wake_mode()')"
gw migrate >/dev/null || die "graphile-worker migrate failed"
gw_reset() {
  sql peer -c "TRUNCATE graphile_worker._private_jobs, graphile_worker._private_job_queues CASCADE" \
           -c "VACUUM ANALYZE graphile_worker._private_jobs" -c CHECKPOINT >/dev/null
}
gw_left() { sql peer -c "SELECT count(*) FROM graphile_worker._private_jobs"; }

# --- add_job vs fire (interleaved)
# PEER_ADD_ROUNDS rounds, alternating which goes first; each rate is the median, and
# each ratio the median of the rounds' own ratios (the disk's flush time drifts over
# minutes on a shared machine: neighbours in time share it).  WAL per call: medians.
add_round() {   # SYNC CLIENTS ROUND
  local sync=$1 c=$2 r=$3 order="gw fire ceiling floor" who
  [ $((r % 2)) = 0 ] && order="floor ceiling fire gw"
  for who in $order; do
    case $who in
      gw) gw_reset
          run_pgbench peer "gw.add.$sync.c$c.r$r" "$BENCH_DIR/sql/gw_add_job.sql" "$c" ;;
      fire) fire_run peer "peer.fire.$sync.c$c.r$r" fire1 "$c" ;;
      ceiling) sql peer -c CHECKPOINT >/dev/null
               run_pgbench peer "ceiling.$sync.c$c.r$r" "$SQL/base0.sql" "$c" -D nsessions="$NSESSIONS" ;;
      floor) sql peer -c "TRUNCATE b_floor" -c CHECKPOINT >/dev/null
             run_pgbench peer "floor.$sync.c$c.r$r" "$SQL/floor.sql" "$c" ;;
    esac
  done
  for who in peer.fire ceiling floor; do
    record "$who.vs_gw.$sync.c$c.r$r" "$(_div "$(get "$who.$sync.c$c.r$r")" "$(get "gw.add.$sync.c$c.r$r")")"
  done
}
if want add; then
  for sync in $PEER_SYNCS; do
    set_sync peer "$sync"
    reset_fire_state peer
    for c in 1 4; do
      for ((r = 1; r <= PEER_ADD_ROUNDS; r++)); do add_round "$sync" "$c" "$r"; done
      for k in gw.add peer.fire ceiling floor; do
        record_median "$k.$sync.c$c" "$PEER_ADD_ROUNDS"
        for f in wal_bytes wal_syncs sync_us; do record_median_of "$k.$sync.c$c" "$PEER_ADD_ROUNDS" "$f"; done
      done
      for k in peer.fire ceiling floor; do
        record_median "$k.vs_gw.$sync.c$c" "$PEER_ADD_ROUNDS"
        record_range "$k.vs_gw.$sync.c$c" "$PEER_ADD_ROUNDS"
      done
    done
  done
  set_sync peer on
fi

# --- no-op drain vs our end-to-end (sync on)
gw_drain() {   # preset
  local p=$1 t0 startup total left out
  gw_reset
  t0=$(now_ns); gw drain "$p" >/dev/null || die "graphile-worker runOnce failed"
  startup=$(( ($(now_ns) - t0) / 1000000 ))
  gw queue "$GW_JOBS" || die "graphile-worker queue failed"
  sql peer -c "VACUUM ANALYZE graphile_worker._private_jobs" -c CHECKPOINT >/dev/null
  [ -x /usr/bin/time ] || die "/usr/bin/time (GNU time) is needed"
  t0=$(now_ns)
  on peer /usr/bin/time -f '%M' -o "$WORK/gw.$p.time" "${GW[@]}" drain "$p" > "$WORK/gw.$p.out" 2>&1 \
    || { cat "$WORK/gw.$p.out" >&2; die "graphile-worker drain $p failed"; }
  total=$(( ($(now_ns) - t0) / 1000000 ))
  left=$(gw_left)
  [ "$left" = 0 ] || die "graphile-worker drain $p left $left jobs"
  record "gw.drain.$p.rate" "$(awk -v n="$GW_JOBS" -v t="$total" -v s="$startup" 'BEGIN { printf "%.0f", n * 1000 / (t - s) }')"
  record "gw.drain.$p.gross" "$(awk -v n="$GW_JOBS" -v t="$total" 'BEGIN { printf "%.0f", n * 1000 / t }')"
  record "gw.drain.$p.startup" "$startup"
  record "gw.drain.$p.rss" "$(tail -n 1 "$WORK/gw.$p.time")"
  log "$(printf '%-40s %10s jobs/s net (%s jobs in %s ms, start-up %s ms)' "gw.drain.$p" "$(get "gw.drain.$p.rate")" "$GW_JOBS" "$total" "$startup")"
}
# PEER_ROUNDS rounds of ours and the performance preset, alternating which goes
# first; each figure (rate, gross, start-up, RSS) is the median of its rounds.
round_of() {   # KEYPREFIX ROUND: KEYPREFIX.<field> -> KEYPREFIX.<field>.rROUND
  local f
  for f in rate gross startup rss; do record "$1.$f.r$2" "$(get "$1.$f")"; done
}
medians_of() {   # KEYPREFIX
  local f
  for f in rate gross startup rss; do record_median "$1.$f" "$PEER_ROUNDS"; done
}
if want drain; then
  gw_drain c8
  for ((r = 1; r <= PEER_ROUNDS; r++)); do
    if [ $((r % 2)) = 1 ]; then
      e2e_ours peer "peer.e2e"; round_of peer.e2e "$r"
      gw_drain perf; round_of gw.drain.perf "$r"
    else
      gw_drain perf; round_of gw.drain.perf "$r"
      e2e_ours peer "peer.e2e"; round_of peer.e2e "$r"
    fi
    record "peer.e2e.vs_gw.r$r" "$(_div "$(get "peer.e2e.rate.r$r")" "$(get "gw.drain.perf.rate.r$r")")"
  done
  medians_of peer.e2e
  medians_of gw.drain.perf
  record_median peer.e2e.vs_gw "$PEER_ROUNDS"
  record_range peer.e2e.vs_gw "$PEER_ROUNDS"
fi

# --- latency (sync on)
if want latency; then
  gw_reset
  out=$(gw latency "$LAT_N" | grep '^{"mode"') || die "graphile-worker latency failed"
  for s in avg p50 p99 max; do record "gw.lat.$s" "$(grep -o "\"$s\": *[0-9.]*" <<<"$out" | awk -F: '{ print $2 }' | tr -d ' ')"; done
  log "gw latency add->start: $out"
  reset_fire_state peer
  latency_ours peer "peer.lat"
fi

# --- report
_wal() {   # KEY: "1,024 / 0.52 / 310"
  [ -n "$(get "$1.wal_bytes")" ] || { echo "–"; return; }
  echo "$(_num "$(get "$1.wal_bytes")" %.0f) / $(_num "$(get "$1.wal_syncs")" %.2f) / $(_num "$(get "$1.sync_us")" %.0f)"
}
report_peers_table() {
  local sync c o b t m v
  _row "measurement" "configuration" "triggers" "graphile-worker $GW_REAL_VERSION" "triggers / graphile-worker" "target" "meets"
  _row "---" "---" "---:" "---:" "---:" "---" "---"
  for sync in $PEER_SYNCS; do
    for c in 1 4; do
      o=$(get "peer.fire.$sync.c$c"); b=$(get "gw.add.$sync.c$c"); v=$(get "peer.fire.vs_gw.$sync.c$c")
      if [ "$sync" = on ]; then t="≥ 2×"; m=$(_ge "$v" 2); else t="– (target is for sync on)"; m="–"; fi
      # a miss next to what the cheapest durable call reached in the same rounds
      [ "$m" = "**NO**" ] && m="**NO** (the floor: $(_round_ratio "floor.vs_gw.$sync.c$c"))"
      _row "fire scheduling one task vs add_job, calls/s (ratio: median of the rounds' ratios, their range)" \
        "sync $sync, $c client(s), $PEER_ADD_ROUNDS rounds" "$(_num "$o" %.0f)" "$(_num "$b" %.0f)" "$(_round_ratio "peer.fire.vs_gw.$sync.c$c")" "$t" "$m"
      o=$(get "ceiling.$sync.c$c")
      _row "the ceiling: a plain UPDATE + INSERT per transaction, no NOTIFY (fire_base0), vs add_job, calls/s" \
        "sync $sync, $c client(s)" "$(_num "$o" %.0f)" "$(_num "$b" %.0f)" "$(_round_ratio "ceiling.vs_gw.$sync.c$c")" "–" "–"
      o=$(get "floor.$sync.c$c")
      _row "the floor: one row into a table without indexes per transaction, the cheapest that waits for a flush, vs add_job, calls/s" \
        "sync $sync, $c client(s)" "$(_num "$o" %.0f)" "$(_num "$b" %.0f)" "$(_round_ratio "floor.vs_gw.$sync.c$c")" "–" "–"
    done
  done
  for c in 1 4; do
    _row "WAL a call: bytes / fdatasyncs / µs per fdatasync (cluster-wide, medians)" "sync on, $c client(s)" \
      "$(_wal peer.fire.on.c$c)" "$(_wal gw.add.on.c$c)" "ceiling: $(_wal ceiling.on.c$c); floor: $(_wal floor.on.c$c)" "–" "–"
  done
  o=$(get peer.e2e.rate)
  b=$(get gw.drain.c8.rate)
  _row "no-op drain, tasks/s: our 3-task chain vs its concurrency 8, unbatched" "sync on, $GW_JOBS tasks; ours ${E2E_WORKERS} procs × ${E2E_CONCURRENCY}" \
    "$(_num "$o" %.0f)" "$(_num "$b" %.0f)" "$(_ratio "$o" "$b")" "≥ 3×" "$(_ge "$(_div "$o" "$b")" 3)"
  b=$(get gw.drain.perf.rate); v=$(get peer.e2e.vs_gw)
  _row "no-op drain, tasks/s: ours (batched claims and answers) vs its performance preset (ratio: median of the rounds' ratios, their range)" \
    "sync on, $GW_JOBS tasks, medians of $PEER_ROUNDS rounds" "$(_num "$o" %.0f)" "$(_num "$b" %.0f)" \
    "$(_round_ratio peer.e2e.vs_gw)" \
    "≥ 1×" "$(_ge "$v" 1)"
  o=$(get peer.e2e.gross); b=$(get gw.drain.perf.gross)
  _row "same, gross: start-up included (ours $(_num "$(get peer.e2e.startup)" %.0f) ms, its $(_num "$(get gw.drain.perf.startup)" %.0f) ms on an empty queue)" "sync on, $GW_JOBS tasks, medians" \
    "$(_num "$o" %.0f)" "$(_num "$b" %.0f)" "$(_ratio "$o" "$b")" "–" "–"
  for s in avg p50 p99; do
    o=$(get "peer.lat.send_answer.$s"); b=$(get "gw.lat.$s")
    _row "latency from sending the fire / add_job to the task starting, $s ms" "sync on, $(get peer.lat.n) fires" \
      "$(_num "$o" %.2f)" "$(_num "$b" %.2f)" "$(_ratio "$o" "$b")" "–" "–"
  done
  for s in p50 p99; do
    o=$(get "peer.lat.commit_answer.$s"); t=$([ "$s" = p50 ] && echo 1.5 || echo 5)
    _row "our latency commit → worker has the task, $s ms" "sync on" "$(_num "$o" %.2f)" "" "" "≤ $t ms" "$(_le "$o" "$t")"
  done
  o=$(get peer.e2e.rss); b=$(get gw.drain.perf.rss)
  _row "worker max RSS during the drain, kB" "ours: 1 of ${E2E_WORKERS} procs; its: performance preset" \
    "$(_num "$o" %.0f)" "$(_num "$b" %.0f)" "$(_ratio "$o" "$b")" "–" "–"
}
disk_flush disk.end
BENCH_TITLE="make bench-peers"
BENCH_KNOBS="PEER_ROUNDS=$PEER_ROUNDS PEER_ADD_ROUNDS=$PEER_ADD_ROUNDS NSESSIONS=$NSESSIONS E2E_SESSIONS=$E2E_SESSIONS E2E_WORKERS=$E2E_WORKERS E2E_CONCURRENCY=$E2E_CONCURRENCY LAT_N=$LAT_N GW_JOBS=$GW_JOBS"
. "$BENCH_DIR/report.sh"
{
  echo "# triggers vs graphile-worker ($BENCH_TITLE)"
  echo
  report_header
  echo "- graphile-worker $GW_REAL_VERSION from npm in $PEERS_NPM_DIR; node $(node --version)"
  echo
  report_peers_table
  echo
  echo "Notes: same cluster (library preloaded: waker wake-ups), same run. Both drain rates are net of the"
  echo "drain programs' start-up on an empty queue, measured each time (runOnce() for graphile-worker, as its own"
  echo "perfTest reports it; the triggers-worker processes with --once for ours); the gross row includes it. Ours drains sessions whose 3 tasks run one after the other (each finish cascades),"
  echo "graphile-worker independent jobs. The machine is shared and noisy: rerun before concluding anything."
} > "$REPORT"
cat "$REPORT"
echo
echo "report: $REPORT"
log "done"
