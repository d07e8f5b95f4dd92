// bench/gw_bench.js — graphile-worker side of `make bench-peers` (bench/peers.sh
// sets NODE_PATH to the temporary npm install and the PG* variables).
//   node gw_bench.js migrate            install/upgrade graphile-worker's schema
//   node gw_bench.js queue N            queue N no-op jobs in one statement (not timed by peers.sh)
//   node gw_bench.js drain perf|c8      runOnce() until the queue is empty; prints elapsed ms
//   node gw_bench.js latency N          add_job one at a time over SQL; time until the task starts
// Presets: "perf" = the configuration of graphile-worker's performance documentation
// (concurrentJobs 24, maxPoolSize 25, localQueue size 500, completeJobBatchDelay 0,
// failJobBatchDelay 0: jobs are fetched and completed in batches); "c8" =
// concurrentJobs 8, no local queue and no batching.
process.env.NO_LOG_SUCCESS = "1";
const { runOnce, run, makeWorkerUtils } = require("graphile-worker");
const { Pool } = require("pg");

const connectionString =
  `postgres://${process.env.PGUSER}@${encodeURIComponent(process.env.PGHOST)}:${process.env.PGPORT}/${process.env.PGDATABASE}`;
const PRESETS = {
  perf: { connectionString, concurrentJobs: 24, maxPoolSize: 25, localQueue: { size: 500 },
          completeJobBatchDelay: 0, failJobBatchDelay: 0 },
  c8: { connectionString, concurrentJobs: 8, maxPoolSize: 10 },
  lat: { connectionString, concurrentJobs: 1 },
};
const elapsedMs = (t) => { const d = process.hrtime(t); return d[0] * 1e3 + d[1] / 1e6; };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function main() {
  const [mode, arg] = process.argv.slice(2);
  if (mode === "migrate") {
    const u = await makeWorkerUtils({ connectionString });
    await u.migrate();
    await u.release();
  } else if (mode === "queue") {
    const n = parseInt(arg, 10);
    const pool = new Pool({ connectionString });
    await pool.query(`select graphile_worker.add_job('noop', json_build_object('id', i)) from generate_series(1, ${n}) i`);
    await pool.end();
  } else if (mode === "drain") {
    if (!PRESETS[arg]) throw new Error("unknown preset " + arg);
    const t = process.hrtime();
    await runOnce({ preset: { worker: PRESETS[arg] }, crontab: "", taskList: { noop: async () => {} } });
    console.log(JSON.stringify({ mode, preset: arg, ms: +elapsedMs(t).toFixed(1) }));
  } else if (mode === "latency") {
    const n = parseInt(arg, 10);
    const pool = new Pool({ connectionString });
    const starts = {}, lats = [], waiters = {};
    const runner = await run({
      preset: { worker: PRESETS.lat },
      crontab: "",
      taskList: {
        latency: async ({ id }) => {
          if (id >= 0) lats.push(elapsedMs(starts[id]));
          if (waiters[id]) waiters[id]();
        },
      },
    });
    // warm-up: 100 jobs, then let the worker go idle (LISTEN/NOTIFY wake-ups from here on)
    await pool.query(`select graphile_worker.add_job('latency', json_build_object('id', -i)) from generate_series(1, 100) i`);
    for (let i = 0; i < 600; i++) {
      if (+(await pool.query(`select count(*) from graphile_worker.jobs`)).rows[0].count === 0) break;
      await sleep(50);
    }
    await sleep(1000);
    const client = await pool.connect();
    for (let id = 0; id < n; id++) {
      const done = new Promise((r) => (waiters[id] = r));
      const timeout = new Promise((_, reject) => setTimeout(() => reject(new Error(`job ${id} did not start within 20 s`)), 20000));
      starts[id] = process.hrtime();
      await client.query(`select graphile_worker.add_job('latency', json_build_object('id', $1::int))`, [id]);
      await Promise.race([done, timeout]);
    }
    client.release();
    await runner.stop();
    await pool.end();
    lats.sort((a, b) => a - b);
    const avg = lats.reduce((s, x) => s + x, 0) / lats.length;
    const q = (p) => lats[Math.min(lats.length - 1, Math.floor(p * lats.length))];
    console.log(JSON.stringify({ mode, n: lats.length, avg: +avg.toFixed(3), p50: +q(0.5).toFixed(3),
                                 p99: +q(0.99).toFixed(3), max: +lats[lats.length - 1].toFixed(3) }));
  } else {
    throw new Error("unknown mode " + mode);
  }
}
main().then(() => process.exit(0), (e) => { console.error(e); process.exit(1); });
