#!/usr/bin/env bash
# bench/run.sh — `make bench`: the performance figures of issue 5, each as a ratio
# against a baseline measured in the same run, on throwaway clusters.
#
#   bash bench/run.sh                 # everything (about 9 minutes on 2 cores)
#   DURATION=3 bash bench/run.sh      # shorter pgbench runs
#   BENCH_SECTIONS="fire latency" bash bench/run.sh
#
# Needs: the extension installed (`make install`), pgbench/psql/initdb of
# PostgreSQL 15, g++ and libpq; for the end-to-end and latency figures of the
# engine, the worker built (`make -C src/worker`); root or a user that may run
# initdb.  Two clusters are started (fsync on, unix socket only):
#   notify  ports BENCH_PORT (default 55540): the library is not preloaded, so the
#           fire path wakes workers with a direct NOTIFY;
#   waker   BENCH_PORT+1: shared_preload_libraries = 'triggers' (the waker
#           background worker wakes workers after commit).
# See bench/README.md for what every figure measures.  The table goes to stdout
# and, as markdown, to a file in the temp dir whose path is printed at the end.
#
# Knobs (environment): DURATION (seconds per pgbench run, or per case of a fire_cost pair, 2), NSESSIONS (1000),
# E2E_SESSIONS (10000), E2E_WORKERS (2 processes), E2E_CONCURRENCY (256 tasks per
# claim), E2E_CLUSTERS ("waker"), LAT_N (1000 fires), LAT_MAX_S (60: a latency run
# stops measuring after that long), SCALE_SESSIONS (1000000),
# HISTORY (10000), SCALE_ROUNDS (5: the scaling figures are medians of the rounds), FIRE_ROUNDS (3: each fire rate is the median of
# that many runs, alternating which of ours and the baseline goes first; each ratio the median of the rounds' own), BENCH_SECTIONS ("fire latency e2e scaling"),
# BENCH_PORT (55540), BENCH_KEEP=1 (keep the work dir), TRIGGERS_WORKER (path).
DURATION="${DURATION:-2}"
. "$(dirname "$0")/lib.sh"

. "$(dirname "$0")/parts.sh"
E2E_CLUSTERS="${E2E_CLUSTERS:-waker}"
SCALE_SESSIONS="${SCALE_SESSIONS:-1000000}"
HISTORY="${HISTORY:-10000}"
SCALE_ROUNDS="${SCALE_ROUNDS:-5}"
FIRE_ROUNDS="${FIRE_ROUNDS:-3}"
SECTIONS="${BENCH_SECTIONS:-fire latency e2e scaling}"
REPORT="${BENCH_REPORT:-$TMPROOT/triggers-bench-$(date -u +%Y%m%d-%H%M%S).md}"

want() { [[ " $SECTIONS " == *" $1 "* ]]; }

# ---------------------------------------------------------------------------
log "work dir $WORK"
build_helpers
disk_flush disk.start
start_cluster notify "$PORT_BASE"
start_cluster waker "$((PORT_BASE + 1))" "shared_preload_libraries = 'triggers'"
for cl in notify waker; do
  create_extension "$cl"
  mode=$(sql "$cl" -c "SELECT triggers._wake_mode()")
  record "wake_mode.$cl" "$mode"
  log "cluster $cl: wake mode $mode"
done
[ "$(get wake_mode.waker)" = waker ] || die "the preloaded cluster does not report wake mode 'waker'"
[ "$(get wake_mode.notify)" = notify ] || die "the plain cluster does not report wake mode 'notify'"
if ! worker_built; then
  log "worker not built ($WORKER_BIN): end-to-end and the engine's latency are skipped (make -C src/worker)"
fi

# ---------------------------------------------------------------------------
# 1. Fire rate (and 5. peak backend memory in the same workload, untimed)
if want fire; then
  for cl in waker notify; do
    for sync in on off; do
      set_sync "$cl" "$sync"
      reset_fire_state "$cl"
      for c in 1 4; do
        for ((r = 1; r <= FIRE_ROUNDS; r++)); do
          order="base1 fire1 base0 fire0"
          [ $((r % 2)) = 0 ] && order="fire1 base1 fire0 base0"   # alternate who goes first
          for b in $order; do
            fire_run "$cl" "fire.$cl.$sync.c$c.$b.r$r" "$b" "$c"
          done
        done
        # rates: medians; ratios: the median of the rounds' own (the disk's flush time
        # can double from one minute to the next; the two runs of a round are seconds apart)
        for b in base1 fire1 base0 fire0; do
          record_median "fire.$cl.$sync.c$c.$b" "$FIRE_ROUNDS"
        done
        for pair in fire1:base1 fire0:base0; do
          k="fire.$cl.$sync.c$c.${pair%:*}.vs"
          for ((r = 1; r <= FIRE_ROUNDS; r++)); do
            record "$k.r$r" "$(_div "$(get "fire.$cl.$sync.c$c.${pair%:*}.r$r")" "$(get "fire.$cl.$sync.c$c.${pair#*:}.r$r")")"
          done
          record_median "$k" "$FIRE_ROUNDS"
          record_range "$k" "$FIRE_ROUNDS"
        done
      done
      if [ "$sync" = on ]; then   # 5. peak backend memory, in runs of its own (not timed)
        for b in base1 fire1; do fire_memory "$cl" "$b" 4; done
      fi
    done
    set_sync "$cl" on
  done
  # sanity: the engine really scheduled one task per fire1 fire
  q=$(sql waker -c "SELECT count(*) FROM triggers.instances WHERE task = 't'")
  [ "$q" -gt 0 ] || die "fire1 scheduled nothing"
fi

# ---------------------------------------------------------------------------
# 3. Latency COMMIT of a fire -> worker has the task (see latency.cpp)
if want latency; then
  for cl in waker notify; do
    set_sync "$cl" on
    reset_fire_state "$cl"
    latency_base "$cl" "lat.$cl.base"
    if worker_built; then latency_ours "$cl" "lat.$cl.ours"; fi
  done
fi

# ---------------------------------------------------------------------------
# 2. End-to-end: E2E_SESSIONS sessions x 3-task chain drained by triggers-worker
#    --noop vs the same number of drain_baseline processes (and 5. their RSS)
if want e2e; then
  for cl in $E2E_CLUSTERS; do
    set_sync "$cl" on
    e2e_base "$cl" "e2e.$cl.base"
    if worker_built; then e2e_ours "$cl" "e2e.$cl.ours"; fi
  done
fi

# ---------------------------------------------------------------------------
# 4. Scaling: cost of a fire (scheduling one task, rolled back) with 10^3 vs
#    SCALE_SESSIONS sessions in the tables, and in a session with 1 vs HISTORY
#    earlier fires (andEvery instances, all finished).
if want scaling; then
  cl=waker
  t0=$(now_ns)
  templates=$NSESSIONS
  for db in s3 s6; do
    sql "$cl" -d postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db" >/dev/null
    create_extension "$cl" "$db"
    # templates s1..sT: started, "go" fired once, t#0 claimed and finished
    sqldb "$cl" "$db" -v drain="$BENCH_DIR/sql/drain_all.sql" -v wf='{"t": {"after": [], "andEvery": "go", "run": "noop"}}' -v n="$templates" >/dev/null <<'SQL'
SELECT triggers_load_workflow('one', :'wf');
SELECT count(triggers_start('s' || g, 'one')) FROM generate_series(1, :n) g;
SELECT count(triggers_fire('s' || g, 'go')) FROM generate_series(1, :n) g;
\i :drain
SQL
  done
  # the session with a long history: HISTORY fires of "go", every instance finished
  hist=$((2 * SCALE_SESSIONS + 2))
  sqldb "$cl" s3 -v drain="$BENCH_DIR/sql/drain_all.sql" -v s="s$hist" -v n="$HISTORY" >/dev/null <<'SQL'
SELECT triggers_start(:'s', 'one');
SELECT count(triggers_fire(:'s', 'go')) FROM generate_series(1, :n);
\i :drain
SQL
  log "scaling: templates and a session with $HISTORY earlier fires made in $(( ($(now_ns) - t0) / 1000000 )) ms"
  t0=$(now_ns)
  copies=$(( SCALE_SESSIONS / templates - 1 ))
  if [ "$copies" -gt 0 ]; then
    sqldb "$cl" s6 -v templates="$templates" -v copies="$copies" -f "$SQL/clone_sessions.sql" >/dev/null 2>"$WORK/clone.err" \
      || { cat "$WORK/clone.err" >&2; die "could not clone sessions for the scaling figure"; }
  fi
  nsess=$(sqldb "$cl" s6 -c "SELECT count(*) FROM triggers.session")
  log "scaling: $nsess sessions in s6 after cloning ($(( ($(now_ns) - t0) / 1000000 )) ms)"
  record scale.sessions "$nsess"
  record scale.small "$templates"
  # checks through the API: a cloned session behaves like its template
  got=$(sqldb "$cl" s6 -c "BEGIN" -c "SELECT triggers_fire('s$SCALE_SESSIONS', 'go')" -c "ROLLBACK" | grep -v '^$' | tr '\n' ' ')
  [[ "$got" == *"{t#1}"* ]] || die "a cloned session did not behave like its template (fire returned: $got)"
  got=$(sqldb "$cl" s3 -c "BEGIN" -c "SELECT triggers_fire('s$hist', 'go')" -c "ROLLBACK" | tr '\n' ' ')
  [[ "$got" == *"{t#$HISTORY}"* ]] || die "the history session is not as expected (fire returned: $got)"
  # the hand-written baseline with as many sessions (and 2 events each)
  sqldb "$cl" s3 -v nsessions="$templates" -f "$SQL/scale_baseline.sql" >/dev/null
  sqldb "$cl" s6 -v nsessions="$SCALE_SESSIONS" -f "$SQL/scale_baseline.sql" >/dev/null
  for db in s3 s6; do sqldb "$cl" "$db" -c "VACUUM ANALYZE" >/dev/null; done
  # Each case is measured in a pair with the case it is compared with (bench/parts.sh
  # cost_pair: the two take turns every second, so both see the machine at the same
  # speed); a "right after a checkpoint" pair starts right after one: with a single
  # checkpoint before all rounds, the first round's fires (~3 full-page images each into
  # 10^6 sessions) logged many of the pages the later rounds touched.
  cold_pair() {   # MODE SEED KEY_A DB_A LO_A HI_A KEY_B DB_B LO_B HI_B
    sql "$cl" -c CHECKPOINT >/dev/null
    cost_pair "$cl" "$@"
  }
  ckpt_q="SELECT checkpoints_timed + checkpoints_req FROM pg_stat_bgwriter"
  ckpt0=$(sql "$cl" -c "$ckpt_q")
  for ((r = 1; r <= SCALE_ROUNDS; r++)); do
    cold_pair fire "$r" "s3.r$r" s3 1 "$templates" "s6.r$r" s6 1 "$SCALE_SESSIONS"
    cold_pair base "$r" "b3.r$r" s3 1 "$templates" "b6.r$r" s6 1 "$SCALE_SESSIONS"
    cost_pair "$cl" fire "$r" "h1.r$r" s3 1 1 "h4.r$r" s3 "$hist" "$hist"
  done
  # The same sessions again (same seed, after a twice-as-long pass that is not measured
  # and starts right after a checkpoint): their pages are now in shared buffers and
  # already logged since the checkpoint, as most pages are on a busy server between
  # checkpoints.
  for ((r = 1; r <= SCALE_ROUNDS; r++)); do
    for c in "fire w3 w6" "base v3 v6"; do
      read -r mode ka kb <<<"$c"
      COST_SECONDS=$((4 * DURATION)) cold_pair "$mode" "$((7 + r))" warmup.a s3 1 "$templates" warmup.b s6 1 "$SCALE_SESSIONS"
      cost_pair "$cl" "$mode" "$((7 + r))" "$ka.r$r" s3 1 "$templates" "$kb.r$r" s6 1 "$SCALE_SESSIONS"
    done
  done
  log "scaling: $(( $(sql "$cl" -c "$ckpt_q") - ckpt0 - 4 * SCALE_ROUNDS )) checkpoint(s) besides ours during the runs"
  for k in s3 s6 b3 b6 h1 h4 w3 w6 v3 v6; do
    record_median "scale.$k" "$SCALE_ROUNDS"
    record_median_of "scale.$k" "$SCALE_ROUNDS" cpu
  done
  for k in s6 b6 h4 w6 v6; do
    for f in ratio cpu_ratio; do
      record_median_of "scale.$k" "$SCALE_ROUNDS" "$f"
      record_range_of "scale.$k" "$SCALE_ROUNDS" "$f"
    done
  done
  for db in s3 s6; do sql "$cl" -d postgres -c "DROP DATABASE $db WITH (FORCE)" >/dev/null; done
fi

# ---------------------------------------------------------------------------
# The table
disk_flush disk.end
BENCH_TITLE="make bench"
BENCH_KNOBS="FIRE_ROUNDS=$FIRE_ROUNDS NSESSIONS=$NSESSIONS E2E_SESSIONS=$E2E_SESSIONS E2E_WORKERS=$E2E_WORKERS E2E_CONCURRENCY=$E2E_CONCURRENCY LAT_N=$LAT_N SCALE_SESSIONS=$SCALE_SESSIONS HISTORY=$HISTORY SCALE_ROUNDS=$SCALE_ROUNDS"
. "$BENCH_DIR/report.sh"
{
  echo "# triggers benchmark ($BENCH_TITLE)"
  echo
  report_header
  echo
  report_table
  echo
  report_notes
} > "$REPORT"
cat "$REPORT"
echo
echo "report: $REPORT"
log "done"
