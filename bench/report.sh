# bench/report.sh — the markdown report of bench/run.sh and bench/peers.sh, built
# from the measurements in $RESULTS (see lib.sh `record`).  Source it after lib.sh.
# Rows whose measurements are missing (a skipped section) are left out.

# Reference figures of graphile-worker from ../shared/anchors/RESULTS.md (same class
# of machine, sync commit on); used by `make bench`, which does not install it.
# `make bench-peers` measures graphile-worker in the same run instead.
REF_GW_ADD_C1=1320      # add_job, 1 client, jobs/s (passes 1319 / 1307)
REF_GW_ADD_C4=1440      # add_job, 4 clients (1440 / 1583)
REF_GW_C8=940           # no-op drain, concurrency 8, no batching (942 / 1593)
REF_GW_PERF=14000       # no-op drain, performance preset (13947 / 14948)

_num() { awk -v x="$1" -v f="$2" 'BEGIN { if (x == "") print "–"; else printf f, x }'; }
_ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b + 0 == 0) print "–"; else printf "%.2f×", a / b }'; }
_ge() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "") print "–"; else print (a + 0 >= b + 0) ? "yes" : "**NO**" }'; }
_le() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "") print "–"; else print (a + 0 <= b + 0) ? "yes" : "**NO**" }'; }
_round_ratio() {   # KEY: "1.85× (1.60–2.01)", the median of the rounds' ratios and their range
  [ -n "$(get "$1")" ] || { echo "–"; return; }
  echo "$(_num "$(get "$1")" %.2f)× ($(_num "$(get "$1.min")" %.2f)–$(_num "$(get "$1.max")" %.2f))"
}
_row() { local s="" x; for x in "$@"; do s+="| $x "; done; echo "$s|"; }
# _cost_row LABEL CONFIG BIGKEY SMALLKEY [TARGET]: a scaling row from two recorded rates
# (cost = 1 / rate, µs); the ratio is BIGKEY.ratio, the median of the rounds' own ratios
# of the two cases measured side by side (bench/parts.sh cost_pair), with their range.
_cost_row() {
  local o b
  o=$(get "$3"); b=$(get "$4")
  [ -n "$o" ] || return 0
  _scaling_row "$1" "$2" "$(_div 1000000 "$o")" "$(_div 1000000 "$b")" "$3.ratio" "${5:-}"
}
# _cpu_row LABEL CONFIG BIGKEY SMALLKEY [TARGET]: the same from BIGKEY.cpu and
# SMALLKEY.cpu, the µs the backend spent on a CPU per call (fire_cost.cpp)
_cpu_row() {
  local o b
  o=$(get "$3.cpu"); b=$(get "$4.cpu")
  [ -n "$o" ] || return 0
  _scaling_row "$1" "$2" "$o" "$b" "$3.cpu_ratio" "${5:-}"
}
_scaling_row() {   # LABEL CONFIG BIGCOST SMALLCOST RATIOKEY [TARGET]
  local target="–" meets="–" ratio
  ratio=$(get "$5")
  if [ -n "${6:-}" ]; then target="≤ $6×"; meets=$(_le "$ratio" "$6"); fi
  _row 4 "$1" "$2" "$(_num "$3" %.0f)" "$(_num "$4" %.0f)" \
    "$(_num "$ratio" %.2f)× ($(_num "$(get "$5.min")" %.2f)–$(_num "$(get "$5.max")" %.2f))" "$target" "$meets"
}

report_header() {
  local cl=${REPORT_CLUSTER:-waker} so wmt
  machine_facts
  echo "- PostgreSQL: $(sql "$cl" -c 'SELECT version()')"
  echo "- settings: $(sql "$cl" -c "SELECT string_agg(name || '=' || current_setting(name), ', ' ORDER BY name) FROM pg_settings
      WHERE name IN ('fsync','wal_sync_method','full_page_writes','shared_buffers','max_wal_size','checkpoint_timeout',
                     'commit_delay','max_connections','wal_level','huge_pages','track_wal_io_timing')"); synchronous_commit on and off as stated per row"
  if [ "$cl" = peer ]; then
    echo "- cluster: fresh initdb, unix socket only, shared_preload_libraries = 'triggers' (wake mode: $(get wake_mode.waker))"
  else
    echo "- clusters: fresh initdb, unix socket only; **notify** = library not preloaded (fire path NOTIFYs),"
    echo "  **waker** = shared_preload_libraries = 'triggers' (wake mode: $(get wake_mode.waker))"
  fi
  so="$(pg_config --pkglibdir)/triggers.so"
  echo "- extension: $so, md5 $(md5sum "$so" | cut -c1-12), built $(date -u -r "$so" '+%Y-%m-%d %H:%M UTC');"
  echo "  repository $(git -C "$REPO_DIR" rev-parse --short HEAD 2>/dev/null || echo '?')" \
       "with $(git -C "$REPO_DIR" status --porcelain 2>/dev/null | wc -l) changed/untracked paths"
  if [ -x "$WORKER_BIN" ]; then
    wmt=$(date -u -r "$WORKER_BIN" '+%Y-%m-%d %H:%M UTC')
    echo "- worker: $WORKER_BIN (built $wmt)"
  else
    echo "- worker: not built ($WORKER_BIN): its rows are missing"
  fi
  echo "- pgbench: -n -T $DURATION -j min(2, clients), simple query protocol; knobs: ${BENCH_KNOBS:-}"
  echo "- total run time: $(( $(date +%s) - BENCH_T0 )) s"
}

report_table() {
  local cl sync c o b t
  _row "#" "measurement" "configuration" "ours" "baseline" "ours / baseline" "target" "meets"
  _row "---" "---" "---" "---:" "---:" "---:" "---" "---"
  # 1. fire rate
  for cl in waker notify; do
    for sync in on off; do
      for c in 1 4; do
        o=$(get "fire.$cl.$sync.c$c.fire1"); b=$(get "fire.$cl.$sync.c$c.base1")
        [ -n "$o" ] || continue
        if [ "$sync" = on ]; then t="≥ 0.80×"; m=$(_ge "$(get "fire.$cl.$sync.c$c.fire1.vs")" 0.8); else t="– (target is for sync on)"; m="–"; fi
        _row 1 "fire that schedules one task, calls/s (medians; ratio: median of the rounds' ratios, their range)" \
          "$cl, sync $sync, $c client(s)" "$(_num "$o" %.0f)" "$(_num "$b" %.0f)" "$(_round_ratio "fire.$cl.$sync.c$c.fire1.vs")" "$t" "$m"
      done
    done
  done
  for cl in waker notify; do
    for sync in on off; do
      for c in 1 4; do
        o=$(get "fire.$cl.$sync.c$c.fire0"); b=$(get "fire.$cl.$sync.c$c.base0")
        [ -n "$o" ] || continue
        _row 1 "fire that schedules nothing, calls/s (as above)" "$cl, sync $sync, $c client(s)" "$(_num "$o" %.0f)" "$(_num "$b" %.0f)" \
          "$(_round_ratio "fire.$cl.$sync.c$c.fire0.vs")" "–" "–"
      done
    done
  done
  if [ -z "$(get gw.add.on.c1)" ]; then   # make bench: graphile-worker's add_job from the anchors
    for c in 1 4; do
      o=$(get "fire.waker.on.c$c.fire1"); [ -n "$o" ] || continue
      b=$([ "$c" = 1 ] && echo "$REF_GW_ADD_C1" || echo "$REF_GW_ADD_C4")
      _row 1 "fire (one task) vs graphile-worker add_job (anchors figure, not this run)" "waker, sync on, $c client(s)" \
        "$(_num "$o" %.0f)" "$b" "$(_ratio "$o" "$b")" "≥ 2× add_job" "$(_ge "$(_div "$o" "$b")" 2)"
    done
  fi
  # 2. end-to-end
  for cl in waker notify; do
    o=$(get "e2e.$cl.ours.rate"); b=$(get "e2e.$cl.base.rate")
    [ -n "$o$b" ] || continue
    _row 2 "end-to-end, 3-task chain, tasks finished/s (net of start-up on an empty queue: $(get "e2e.$cl.ours.startup") / $(get "e2e.$cl.base.startup") ms; gross $(_num "$(get "e2e.$cl.ours.gross")" %.0f) / $(_num "$(get "e2e.$cl.base.gross")" %.0f))" "$cl, sync on, ${E2E_WORKERS:-?} procs × ${E2E_CONCURRENCY:-?} per claim" \
      "$(_num "$o" %.0f)" "$(_num "$b" %.0f)" "$(_ratio "$o" "$b")" "–" "–"
    if [ -n "$o" ] && [ -z "$(get "gw.drain.c8.rate")" ]; then
      _row 2 "end-to-end vs graphile-worker, concurrency 8 unbatched (anchors figure)" "$cl, sync on" \
        "$(_num "$o" %.0f)" "$REF_GW_C8" "$(_ratio "$o" "$REF_GW_C8")" "≥ 3×" "$(_ge "$(_div "$o" "$REF_GW_C8")" 3)"
      _row 2 "end-to-end vs graphile-worker, performance preset (anchors figure)" "$cl, sync on" \
        "$(_num "$o" %.0f)" "$REF_GW_PERF" "$(_ratio "$o" "$REF_GW_PERF")" "≥ 1×" "$(_ge "$(_div "$o" "$REF_GW_PERF")" 1)"
    fi
  done
  # 3. latency
  for cl in waker notify; do
    for s in p50 p99; do
      o=$(get "lat.$cl.ours.commit_answer.$s"); b=$(get "lat.$cl.base.commit_answer.$s")
      [ -n "$o$b" ] || continue
      t=$([ "$s" = p50 ] && echo 1.5 || echo 5)
      _row 3 "latency commit → worker has the task (answer starts), $s ms" \
        "$cl, sync on, $(get "lat.$cl.ours.n") / $(get "lat.$cl.base.n") fires, $(get "lat.$cl.ours.over_1s") / $(get "lat.$cl.base.over_1s") over 1 s" \
        "$(_num "$o" %.2f)" "$(_num "$b" %.2f)" "$(_ratio "$o" "$b")" "≤ $t ms" "$(_le "$o" "$t")"
    done
    for s in p50 p99; do
      o=$(get "lat.$cl.ours.commit_claim.$s"); b=$(get "lat.$cl.base.commit_claim.$s")
      [ -n "$o$b" ] || continue
      _row 3 "latency commit → claim starts, $s ms" "$cl, sync on" "$(_num "$o" %.2f)" "$(_num "$b" %.2f)" "$(_ratio "$o" "$b")" "–" "–"
    done
  done
  # 4. scaling (cost per fire = 1 / rate, and the backend's CPU time per fire; ratio =
  # the median of the rounds' cost in the big case / cost in the small one, side by side)
  local sessions="$(get scale.sessions) vs $(get scale.small)" label config big small target
  local baseline="as many sessions (2 events each): $sessions" mine="$sessions sessions in the tables"
  while IFS='|' read -r label config big small target; do
    _cost_row "$label" "$config" "$big" "$small" "$target"
    _cpu_row "same, backend CPU µs per call" "$config" "$big" "$small" "$target"
  done <<ROWS
fire cost, µs (BEGIN; fire; ROLLBACK; 1 client), right after a checkpoint|$mine|scale.s6|scale.s3|1.2
the baseline's cost, µs (BEGIN; fire_base1; ROLLBACK), for comparison|$baseline|scale.b6|scale.b3|
fire cost, the same sessions fired again (pages cached and already logged since the checkpoint)|$mine|scale.w6|scale.w3|1.2
the baseline's cost the same way, for comparison|$baseline|scale.v6|scale.v3|
fire cost, µs (BEGIN; fire; ROLLBACK; 1 client)|session with ${HISTORY:-?} vs 1 earlier fires (andEvery instances)|scale.h4|scale.h1|1.5
ROWS
  # 5. memory
  o=$(get mem.backend.fire1.hwm); b=$(get mem.backend.base1.hwm)
  if [ -n "$o" ]; then
    _row 5 "backend peak VmHWM during a fire run, kB (includes shared buffers touched)" "4 clients, untimed runs" \
      "$(_num "$o" %.0f)" "$(_num "$b" %.0f)" "$(_ratio "$o" "$b")" "–" "–"
    o=$(get mem.backend.fire1.anon); b=$(get mem.backend.base1.anon)
    _row 5 "backend peak private memory (RssAnon, sampled every 0.25 s), kB" "4 clients, untimed runs" \
      "$(_num "$o" %.0f)" "$(_num "$b" %.0f)" "$(_ratio "$o" "$b")" "–" "–"
  fi
  for cl in waker notify; do
    o=$(get "e2e.$cl.ours.rss"); b=$(get "e2e.$cl.base.rss")
    [ -n "$o" ] || continue
    _row 5 "worker max RSS, kB (GNU time)" "end-to-end, $cl: triggers-worker vs drain_baseline" \
      "$(_num "$o" %.0f)" "$(_num "$b" %.0f)" "$(_ratio "$o" "$b")" "–" "–"
  done
  if declare -F report_peer_rows >/dev/null; then report_peer_rows; fi
}

report_notes() {
  cat <<'EOF'
Notes (bench/README.md has the details):
- Every "ours / baseline" ratio compares figures measured in this run on the same cluster.
  Baselines: (1) one plpgsql call doing UPDATE session + INSERT event + INSERT queue + NOTIFY
  (schedules one task) or UPDATE session + INSERT event (schedules nothing); (2) a plain SKIP LOCKED
  queue drained by bench/drain_baseline.cpp (one DELETE ... RETURNING per batch, which also queues the
  next stage of the chain); (3) the same hand-written fire plus NOTIFY, claimed by a minimal
  LISTEN + DELETE ... SKIP LOCKED loop; (4) the same fire in the small case; (5) the baselines' processes.
- Latency "worker has the task" = server now() of the transaction in which the worker answers the task
  (a no-op handler answers at once) minus the client's clock when the fire's COMMIT was acknowledged.
- The machine is shared and noisy: expect 10-30 % run-to-run spread; rerun before concluding anything.
EOF
}
