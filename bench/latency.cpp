// latency — fire-commit -> task-start latency for `make bench`.
//
//   latency ours --dsn DSN [--n 1000] [--warmup 50] [--session lat] [--trigger go]
//   latency base --dsn DSN [--n 1000] [--warmup 50]
//
// Both modes fire N times, one at a time, from one connection (autocommit, so the
// statement's return is the COMMIT's acknowledgement), and after each fire wait
// until a worker has taken the task and answered it before firing again.
//
// Times: t_send = client clock just before the fire is sent; t_ack = client clock
// when its result (the commit) arrives.  The worker side is read from server
// timestamps: `claim` = now() of the worker's claim transaction (its start, i.e.
// when the worker, woken up, asked for work) and `answer` = now() of the
// transaction that answers the task (for a no-op handler: when the worker had the
// task in hand and started/finished its handler).  Client and server run on the
// same machine and both read CLOCK_REALTIME.
//
// Reported (ms): commit->claim = claim - t_ack; commit->answer = answer - t_ack
// (the conservative "handler start" figure: it includes receiving the claimed
// task); send->answer = answer - t_send (what graphile-worker's latency test
// measures: from just before add_job to the task function).
//
// ours: SELECT triggers_fire(session, trigger) (it must schedule exactly one
// instance, e.g. a task with "andEvery": trigger); a `triggers-worker --noop`
// must be running.  claim/answer = metadata.timestamps.running / .finished of
// the instance, read from triggers.instances.
//
// base: the hand-written equivalent, on tables created by bench/sql/baseline.sql:
// SELECT fire_lat('s1') = UPDATE session, INSERT event, INSERT queue row, NOTIFY
// bench_lat.  A child process of this program is the minimal worker: LISTEN
// bench_lat; on a notification, claim with
//   WITH d AS (DELETE FROM lq WHERE id IN (SELECT id FROM lq ORDER BY id FOR UPDATE
//              SKIP LOCKED LIMIT 10) RETURNING id)
//   INSERT INTO lq_log (id, claimed_at) SELECT id, now() FROM d RETURNING id
// then "answer" with UPDATE lq_log SET finished_at = now() WHERE id = ANY($1).
//
// Prints one JSON line with avg/p50/p99/max for each figure, how many fires were
// measured (fewer than --n when --max-seconds, default 120, ran out) and how many
// took over a second (a missed wake-up: the worker found the task by polling).
#include <libpq-fe.h>
#include <signal.h>
#include <sys/select.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace {

double RealtimeSeconds() {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

[[noreturn]] void Fail(PGconn* conn, const char* what) {
  std::fprintf(stderr, "latency: %s: %s", what, conn ? PQerrorMessage(conn) : "\n");
  std::exit(1);
}

PGconn* Connect(const std::string& dsn) {
  PGconn* c = PQconnectdb(dsn.c_str());
  if (PQstatus(c) != CONNECTION_OK) Fail(c, "cannot connect");
  return c;
}

PGresult* Exec(PGconn* c, const char* sql, std::vector<std::string> args, ExecStatusType want) {
  std::vector<const char*> p;
  for (auto& a : args) p.push_back(a.c_str());
  PGresult* r = PQexecParams(c, sql, static_cast<int>(p.size()), nullptr, p.data(), nullptr, nullptr, 0);
  if (PQresultStatus(r) != want) {
    std::fprintf(stderr, "latency: query failed: %s\n  %s\n", PQerrorMessage(c), sql);
    std::exit(1);
  }
  return r;
}

struct Stats {
  std::vector<double> v;
  std::string Json(const char* name) {
    std::sort(v.begin(), v.end());
    double sum = 0;
    for (double x : v) sum += x;
    auto q = [&](double p) { return v[std::min(v.size() - 1, static_cast<std::size_t>(p * v.size()))]; };
    char buf[256];
    std::snprintf(buf, sizeof buf, "\"%s\": {\"avg\": %.3f, \"p50\": %.3f, \"p99\": %.3f, \"min\": %.3f, \"max\": %.3f}",
                  name, sum / v.size(), q(0.5), q(0.99), v.front(), v.back());
    return buf;
  }
};

// Waits (polling the server) until `query` returns a non-NULL second column;
// returns {claim, answer} epoch seconds.
std::pair<double, double> WaitAnswered(PGconn* c, const char* query, const std::vector<std::string>& args) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  std::this_thread::sleep_for(std::chrono::microseconds(300));
  for (;;) {
    PGresult* r = Exec(c, query, args, PGRES_TUPLES_OK);
    if (PQntuples(r) == 1 && !PQgetisnull(r, 0, 1)) {
      double claim = PQgetisnull(r, 0, 0) ? 0 : std::atof(PQgetvalue(r, 0, 0));
      double answer = std::atof(PQgetvalue(r, 0, 1));
      PQclear(r);
      return {claim, answer};
    }
    PQclear(r);
    if (std::chrono::steady_clock::now() > deadline) {
      std::fprintf(stderr, "latency: task %s was not answered within 20 s (is the worker running?)\n",
                   args.back().c_str());
      std::exit(1);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

volatile sig_atomic_t g_stop = 0;
void OnTerm(int) { g_stop = 1; }

// The baseline's minimal worker (child process).  Writes one byte to ready_fd once
// it listens.
int BaseListener(const std::string& dsn, int ready_fd) {
  signal(SIGTERM, OnTerm);
  PGconn* c = Connect(dsn);
  PQclear(Exec(c, "LISTEN bench_lat", {}, PGRES_COMMAND_OK));
  if (write(ready_fd, "r", 1) != 1) return 1;
  close(ready_fd);
  const char* claim =
      "WITH d AS (DELETE FROM lq WHERE id IN (SELECT id FROM lq ORDER BY id FOR UPDATE SKIP LOCKED LIMIT 10) "
      "RETURNING id) INSERT INTO lq_log (id, claimed_at) SELECT id, now() FROM d RETURNING id";
  while (!g_stop && getppid() != 1) {
    // Notifications may also have been read while a claim ran: look at libpq's
    // list before sleeping on the socket.
    bool work = false;
    if (!PQconsumeInput(c)) Fail(c, "listener lost its connection");
    while (PGnotify* n = PQnotifies(c)) {
      work = true;
      PQfreemem(n);
    }
    if (!work) {
      int sock = PQsocket(c);
      fd_set fds;
      FD_ZERO(&fds);
      FD_SET(sock, &fds);
      struct timeval tv = {1, 0};  // also poll once a second
      int ready = select(sock + 1, &fds, nullptr, nullptr, &tv);
      if (ready < 0 && errno != EINTR) break;
      if (ready != 0) continue;  // input (or a signal): look at the notifications
    }
    for (;;) {  // claim until nothing is left
      PGresult* r = Exec(c, claim, {}, PGRES_TUPLES_OK);
      int n = PQntuples(r);
      std::string ids = "{";
      for (int i = 0; i < n; ++i) ids += (i ? "," : "") + std::string(PQgetvalue(r, i, 0));
      ids += "}";
      PQclear(r);
      if (n == 0) break;
      // the no-op handler ran: answer
      PQclear(Exec(c, "UPDATE lq_log SET finished_at = now() WHERE id = ANY($1::bigint[])", {ids}, PGRES_COMMAND_OK));
    }
  }
  PQfinish(c);
  return 0;
}

[[noreturn]] void Usage() {
  std::fprintf(stderr, "usage: latency ours|base --dsn DSN [--n N] [--warmup N] [--session S] [--trigger T]\n");
  std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) Usage();
  std::string mode = argv[1], dsn, session = "lat", trigger = "go";
  int n = 1000, warmup = 50;
  double max_seconds = 120;
  for (int i = 2; i < argc; ++i) {
    std::string a = argv[i];
    if (i + 1 >= argc) Usage();
    if (a == "--dsn") dsn = argv[++i];
    else if (a == "--n") n = std::atoi(argv[++i]);
    else if (a == "--warmup") warmup = std::atoi(argv[++i]);
    else if (a == "--session") session = argv[++i];
    else if (a == "--trigger") trigger = argv[++i];
    else if (a == "--max-seconds") max_seconds = std::atof(argv[++i]);
    else Usage();
  }
  if ((mode != "ours" && mode != "base") || n < 1 || warmup < 0 || max_seconds <= 0) Usage();

  pid_t child = -1;
  if (mode == "base") {
    int fds[2];
    if (pipe(fds) != 0) Fail(nullptr, "pipe");
    child = fork();
    if (child < 0) Fail(nullptr, "fork");
    if (child == 0) {
      close(fds[0]);
      std::exit(BaseListener(dsn, fds[1]));
    }
    close(fds[1]);
    char b;
    if (read(fds[0], &b, 1) != 1) Fail(nullptr, "baseline listener did not start");
    close(fds[0]);
  }

  PGconn* c = Connect(dsn);
  const char* wait_query =
      mode == "ours"
          ? "SELECT extract(epoch FROM (metadata #>> '{timestamps,running}')::timestamptz),"
            "       extract(epoch FROM (metadata #>> '{timestamps,finished}')::timestamptz)"
            "  FROM triggers.instances WHERE session = $1 AND task = $2 AND n = $3::int"
          : "SELECT extract(epoch FROM claimed_at), extract(epoch FROM finished_at) FROM lq_log WHERE id = $1::bigint";
  Stats commit_claim, commit_answer, send_answer;
  int over_1s = 0;
  bool truncated = false;
  auto t_end = std::chrono::steady_clock::now() + std::chrono::duration<double>(max_seconds);
  for (int i = 0; i < warmup + n; ++i) {
    if (i > warmup && std::chrono::steady_clock::now() > t_end) {
      truncated = true;  // bounded run time: report what was measured
      break;
    }
    double t_send = RealtimeSeconds();
    PGresult* r = mode == "ours"
                      ? Exec(c, "SELECT triggers_fire($1, $2)", {session, trigger}, PGRES_TUPLES_OK)
                      : Exec(c, "SELECT fire_lat('s1')", {}, PGRES_TUPLES_OK);
    double t_ack = RealtimeSeconds();
    std::string key = PQgetvalue(r, 0, 0);
    PQclear(r);
    std::pair<double, double> ts;
    if (mode == "ours") {
      // '{t#12}' -> 't#12'; exactly one instance must have been scheduled
      if (key.size() < 3 || key.front() != '{' || key.back() != '}' || key.find(',') != std::string::npos) {
        std::fprintf(stderr, "latency: the fire scheduled %s, not exactly one instance\n", key.c_str());
        return 1;
      }
      key = key.substr(1, key.size() - 2);
      if (key.front() == '"') key = key.substr(1, key.size() - 2);
      std::size_t hash = key.rfind('#');
      if (hash == std::string::npos) {
        std::fprintf(stderr, "latency: unexpected instance name %s\n", key.c_str());
        return 1;
      }
      ts = WaitAnswered(c, wait_query, {session, key.substr(0, hash), key.substr(hash + 1)});
    } else {
      ts = WaitAnswered(c, wait_query, {key});
    }
    if (i < warmup) continue;
    commit_claim.v.push_back((ts.first - t_ack) * 1e3);
    commit_answer.v.push_back((ts.second - t_ack) * 1e3);
    send_answer.v.push_back((ts.second - t_send) * 1e3);
    if (ts.second - t_ack > 1.0) ++over_1s;
  }
  PQfinish(c);
  if (child > 0) {
    kill(child, SIGTERM);
    int st;
    waitpid(child, &st, 0);
  }
  std::printf("{\"mode\": \"%s\", \"n\": %zu, \"truncated\": %s, \"over_1s\": %d, %s, %s, %s}\n", mode.c_str(),
              commit_answer.v.size(), truncated ? "true" : "false", over_1s, commit_claim.Json("commit_claim_ms").c_str(),
              commit_answer.Json("commit_answer_ms").c_str(), send_answer.Json("send_answer_ms").c_str());
  return 0;
}
