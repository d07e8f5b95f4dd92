# bench/parts.sh — measurements shared by bench/run.sh and bench/peers.sh.
# Source after lib.sh.  Each records its figures under a key prefix (see `record`).

SQL="$BENCH_DIR/sql"
NSESSIONS="${NSESSIONS:-1000}"
E2E_SESSIONS="${E2E_SESSIONS:-10000}"
E2E_WORKERS="${E2E_WORKERS:-2}"
# 256 tasks per claim and per answer statement (graphile-worker's performance preset
# fetches up to 500 jobs at a time); 64 until session 13 (see bench/FINDINGS.md)
E2E_CONCURRENCY="${E2E_CONCURRENCY:-256}"
LAT_N="${LAT_N:-1000}"
LAT_MAX_S="${LAT_MAX_S:-60}"

worker_built() { [ -x "$WORKER_BIN" ]; }
dsn_of() { echo "host=$WORK/$1/sock port=${_PORT[$1]} user=postgres dbname=${2:-bench}"; }

# Fresh engine state (the extension is recreated: sessions s1..sN on workflow "one")
# and fresh baseline tables, in database bench of cluster CL.
reset_fire_state() {
  local cl=$1
  create_extension "$cl"
  sql "$cl" -v nsessions="$NSESSIONS" -v wf="$WF_ONE" -f "$SQL/setup_fire.sql" >/dev/null
  sql "$cl" -v nsessions="$NSESSIONS" -f "$SQL/baseline.sql" >/dev/null
}

# fire_run CL KEY SCRIPT CLIENTS: one timed pgbench run of a fire script (CHECKPOINT
# first).  Nothing else runs beside it: the memory sampler's forks (a few dozen a
# second) slowed a fire by 15-30 % on 2 CPUs (2026-11-28), so memory has runs of its own.
fire_run() {
  sql "$1" -c "CHECKPOINT" >/dev/null
  run_pgbench "$1" "$2" "$SQL/$3.sql" "$4" -D nsessions="$NSESSIONS"
}

# fire_memory CL SCRIPT CLIENTS: an untimed run of a fire script (CHECKPOINT first)
# with the peak memory of its backends recorded as mem.backend.<script>.*
fire_memory() {
  local cl=$1 b=$2 c=$3 memf="$WORK/mem.$1.$2.c$3" hwm anon
  sql "$cl" -c "CHECKPOINT" >/dev/null
  mem_sampler_start "$cl" bench "$memf"
  run_pgbench "$cl" "mem.run.$cl.$b.c$c" "$SQL/$b.sql" "$c" -D nsessions="$NSESSIONS"
  mem_sampler_stop
  read -r hwm anon < "$memf"
  record_max "mem.backend.$b.hwm" "$hwm"
  record_max "mem.backend.$b.anon" "$anon"
}

# ---------------------------------------------------------------------------
# Latency (latency.cpp).  The database must hold workflow "one" (reset_fire_state).
latency_json_get() {   # JSON FIGURE FIELD -> number
  grep -o "\"$2\": {[^}]*}" <<<"$1" | grep -o "\"$3\": [-0-9.]*" | awk '{ print $2 }'
}
record_latency() {    # KEYPREFIX JSON
  local f s
  for f in commit_claim_ms commit_answer_ms send_answer_ms; do
    for s in avg p50 p99 max; do record "$1.${f%_ms}.$s" "$(latency_json_get "$2" "$f" "$s")"; done
  done
  record "$1.n" "$(json_num "$2" n)"
  record "$1.over_1s" "$(json_num "$2" over_1s)"
  log "$(printf '%-30s commit->answer p50 %s ms p99 %s ms (%s fires, %s over 1 s)' "$1" "$(get "$1.commit_answer.p50")" \
         "$(get "$1.commit_answer.p99")" "$(get "$1.n")" "$(get "$1.over_1s")")"
}
latency_base() {   # CL KEYPREFIX
  local out
  out=$("$WORK/latency" base --dsn "$(dsn_of "$1")" --n "$LAT_N" --warmup 50 --max-seconds "$LAT_MAX_S") \
    || die "latency base failed"
  record_latency "$2" "$out"
}
latency_ours() {   # CL KEYPREFIX: a triggers-worker --noop (concurrency 1) takes the tasks
  local cl=$1 out wpid
  sql "$cl" -c "SELECT triggers_start('lat', 'one')" >/dev/null
  "$WORKER_BIN" --dsn "$(dsn_of "$cl")" --noop --concurrency 1 --poll 5 --log-level warn \
    > "$WORK/worker.lat.$cl.log" 2>&1 &
  wpid=$!; _BG_PIDS+=("$wpid")
  sleep 0.5
  kill -0 "$wpid" 2>/dev/null || { cat "$WORK/worker.lat.$cl.log" >&2; die "triggers-worker exited at start"; }
  if ! out=$("$WORK/latency" ours --dsn "$(dsn_of "$cl")" --n "$LAT_N" --warmup 50 --max-seconds "$LAT_MAX_S" \
               --session lat --trigger go); then
    kill "$wpid"; cat "$WORK/worker.lat.$cl.log" >&2; die "latency ours failed"
  fi
  kill -TERM "$wpid"; wait "$wpid" || true
  record_latency "$2" "$out"
}

# ---------------------------------------------------------------------------
# End-to-end: E2E_SESSIONS sessions x 3-task chain.
run_timed_procs() {   # OUTPREFIX N cmd... : runs N copies under GNU time; echoes elapsed ms
  local pre=$1 n=$2; shift 2
  local t0 t1 i pids=() rc=0
  [ -x /usr/bin/time ] || die "/usr/bin/time (GNU time) is needed for the RSS figures"
  t0=$(now_ns)
  for ((i = 0; i < n; i++)); do
    /usr/bin/time -f '%M' -o "$pre.$i.time" "$@" > "$pre.$i.out" 2> "$pre.$i.err" &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p" || rc=1; done
  t1=$(now_ns)
  if [ "$rc" != 0 ]; then
    for ((i = 0; i < n; i++)); do tail -n 5 "$pre.$i.err" >&2; done
    return 1
  fi
  echo $(( (t1 - t0) / 1000000 ))
}
max_rss_of() {   # OUTPREFIX N -> largest max RSS (kB) of the N runs
  local pre=$1 n=$2 i m=0 v
  for ((i = 0; i < n; i++)); do
    v=$(tail -n 1 "$pre.$i.time")
    [ "$v" -gt "$m" ] && m=$v
  done
  echo "$m"
}
# Drain rates are net of the drain programs' start-up, timed on an empty queue
# just before (start them, connect, find nothing, exit), as graphile-worker's
# own perfTest reports its rate (bench/peers.sh does the same for it); the
# gross rate (start-up included) is recorded too.
record_drain() {   # KEYPREFIX TASKS MS RSS STARTUP_MS
  record "$1.ms" "$3"
  record "$1.startup" "$5"
  record "$1.rate" "$(awk -v n="$2" -v ms="$3" -v s="$5" 'BEGIN { printf "%.0f", n * 1000 / (ms > s ? ms - s : ms) }')"
  record "$1.gross" "$(awk -v n="$2" -v ms="$3" 'BEGIN { printf "%.0f", n * 1000 / ms }')"
  record "$1.rss" "$4"
  log "$(printf '%-40s %10s tasks/s net (%s tasks in %s ms, start-up %s ms)' "$1" "$(get "$1.rate")" "$2" "$3" "$5")"
}
# Baseline: bq with E2E_SESSIONS stage-1 rows, drained by E2E_WORKERS drain_baseline.
e2e_base() {   # CL KEYPREFIX
  local cl=$1 total=$((3 * E2E_SESSIONS)) ms left done_rows startup
  sql "$cl" -c "SELECT to_regclass('bq') IS NOT NULL" | grep -q t \
    || sql "$cl" -v nsessions="$NSESSIONS" -f "$SQL/baseline.sql" >/dev/null
  sql "$cl" -c "TRUNCATE bq" >/dev/null
  startup=$(run_timed_procs "$WORK/$2.empty" "$E2E_WORKERS" "$WORK/drain_baseline" --dsn "$(dsn_of "$cl")" \
         --batch "$E2E_CONCURRENCY" --stages 3) || die "drain_baseline failed on an empty queue"
  sql "$cl" -v nsessions="$E2E_SESSIONS" -f "$SQL/setup_bq.sql" >/dev/null
  sql "$cl" -c CHECKPOINT >/dev/null
  ms=$(run_timed_procs "$WORK/$2" "$E2E_WORKERS" "$WORK/drain_baseline" --dsn "$(dsn_of "$cl")" \
         --batch "$E2E_CONCURRENCY" --stages 3) || die "drain_baseline failed"
  left=$(sql "$cl" -c "SELECT count(*) FROM bq")
  done_rows=$(cat "$WORK/$2".*.out | grep -o '"rows": [0-9]*' | awk '{ s += $2 } END { print s }')
  [ "$left" = 0 ] && [ "$done_rows" = "$total" ] \
    || die "baseline drain: $done_rows rows processed, $left left (expected $total, 0)"
  record_drain "$2" "$total" "$ms" "$(max_rss_of "$WORK/$2" "$E2E_WORKERS")" "$startup"
}
# Ours: database e2e, sessions e1..eN on workflow "chain" with a, c, b fired (t1
# queued everywhere), drained by E2E_WORKERS `triggers-worker --once --noop`.
e2e_ours() {   # CL KEYPREFIX
  local cl=$1 total=$((3 * E2E_SESSIONS)) t0 ms queued fin other startup
  sql "$cl" -d postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS e2e WITH (FORCE)" \
    -c "CREATE DATABASE e2e" >/dev/null
  create_extension "$cl" e2e
  startup=$(run_timed_procs "$WORK/$2.empty" "$E2E_WORKERS" "$WORKER_BIN" --dsn "$(dsn_of "$cl" e2e)" \
         --once --noop --concurrency "$E2E_CONCURRENCY" --log-level warn) || die "triggers-worker failed on an empty queue"
  t0=$(now_ns)
  sqldb "$cl" e2e -v nsessions="$E2E_SESSIONS" -v wf="$WF_CHAIN" -f "$SQL/setup_chain.sql" >/dev/null
  log "e2e setup: $E2E_SESSIONS sessions started and fired a, c, b in $(( ($(now_ns) - t0) / 1000000 )) ms"
  queued=$(sqldb "$cl" e2e -c "SELECT count(*) FROM triggers.instances WHERE status = 'scheduled'")
  [ "$queued" = "$E2E_SESSIONS" ] || die "e2e setup: $queued instances scheduled, expected $E2E_SESSIONS"
  sqldb "$cl" e2e -c CHECKPOINT >/dev/null
  ms=$(run_timed_procs "$WORK/$2" "$E2E_WORKERS" "$WORKER_BIN" --dsn "$(dsn_of "$cl" e2e)" \
         --once --noop --concurrency "$E2E_CONCURRENCY" --log-level warn) || die "triggers-worker --once --noop failed"
  fin=$(sqldb "$cl" e2e -c "SELECT count(*) FROM triggers.instances WHERE status = 'finished'")
  other=$(sqldb "$cl" e2e -c "SELECT count(*) FROM triggers.instances WHERE status <> 'finished'")
  [ "$fin" = "$total" ] && [ "$other" = 0 ] || die "e2e: $fin instances finished, $other not (expected $total, 0)"
  record_drain "$2" "$total" "$ms" "$(max_rss_of "$WORK/$2" "$E2E_WORKERS")" "$startup"
  sql "$cl" -d postgres -c "DROP DATABASE e2e WITH (FORCE)" >/dev/null
}

# ---------------------------------------------------------------------------
# Cost of one rolled-back call (scaling, item 4; fire_cost.cpp), two cases at a time.
# cost_pair CL fire|base SEED KEY_A DB_A LO_A HI_A KEY_B DB_B LO_B HI_B: COST_SECONDS
# (default 2 x DURATION) of calls, taking turns (fire_cost --block-ms) between sessions
# s<LO_A>..s<HI_A> of DB_A and s<LO_B>..s<HI_B> of DB_B, so both cases see the machine at
# the same speed.  Records, for each KEY: scale.KEY (calls/s, wall clock) and scale.KEY.cpu
# (µs the backend spent on a CPU per call); and the case's own ratios, B over A:
# scale.KEY_B.ratio (wall-clock cost) and scale.KEY_B.cpu_ratio.
cost_pair() {
  local cl=$1 mode=$2 seed=$3 ka=$4 kb=$8 out calls wall cpu
  out=$("$WORK/fire_cost" "$mode" --dsn "$(dsn_of "$cl" "$5")" --lo "$6" --hi "$7" --seed "$seed" \
        --pair-dsn "$(dsn_of "$cl" "$9")" --pair-lo "${10}" --pair-hi "${11}" \
        --seconds "${COST_SECONDS:-$((2 * DURATION))}") || die "fire_cost $mode ($ka, $kb) failed"
  calls=($(json_num "$out" calls))
  wall=($(json_num "$out" wall_us))
  cpu=($(json_num "$out" cpu_us))
  [ "${#calls[@]}" = 2 ] && [ "${#cpu[@]}" = 2 ] || die "fire_cost $mode ($ka, $kb): no figures in its output: $out"
  record "scale.$ka" "$(_div 1000000 "${wall[0]}")"; record "scale.$ka.cpu" "${cpu[0]}"
  record "scale.$kb" "$(_div 1000000 "${wall[1]}")"; record "scale.$kb.cpu" "${cpu[1]}"
  record "scale.$kb.ratio" "$(_div "${wall[1]}" "${wall[0]}")"
  record "scale.$kb.cpu_ratio" "$(_div "${cpu[1]}" "${cpu[0]}")"
  log "$(printf '%-22s %-22s %7.1f vs %7.1f us a call (CPU %6.1f vs %6.1f): %5.2fx, CPU %5.2fx' "scale.$ka" "scale.$kb" \
    "${wall[0]}" "${wall[1]}" "${cpu[0]}" "${cpu[1]}" "$(get "scale.$kb.ratio")" "$(get "scale.$kb.cpu_ratio")")"
}
