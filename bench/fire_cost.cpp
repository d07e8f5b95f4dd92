// fire_cost — what one rolled-back call costs the server, for the scaling rows of
// `make bench` (item 4).
//
//   fire_cost fire|base --dsn DSN --lo 1 --hi N [--seconds 2] [--seed 7]
//             [--pair-dsn DSN2 --pair-lo L --pair-hi H [--block-ms 1000]]
//
// From one connection, for --seconds: BEGIN; SELECT triggers_fire('s<k>', 'go')
// (fire) or SELECT fire_base1('s<k>') (base); ROLLBACK — three statements in
// three round trips, as pgbench would send them — with k drawn uniformly from
// [lo, hi] by a generator seeded with --seed (the same seed gives the same
// sessions in the same order).  Rolled back, so the tables do not change during
// a run.
//
// With --pair-dsn, a second connection (its own database or session range, its
// own generator with the same seed) takes turns with the first: --block-ms of
// calls on one, then on the other, for --seconds in all (at least one turn
// each).  The two cases of a scaling ratio then share the machine's speed, which
// on a shared machine drifts by 20 % and more from one run to the next; a turn is
// long enough (thousands of calls) for the small case to touch all its sessions
// again after the big one has filled the CPU caches with its own pages.
//
// Prints one JSON line: calls, wall_us (wall-clock time per call, client
// included) and cpu_us: the time the server backend spent on a CPU per call, read
// from /proc/<backend pid>/schedstat (the kernel's nanosecond count of the task's
// run time) before the first call and after the last; with a pair, the same
// figures of the second connection under "pair".  The wall time also counts
// the client and the time the backend waited for a CPU that another process of
// this shared machine held; the CPU time does not.
#include <libpq-fe.h>
#include <time.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>

namespace {

double MonotonicSeconds() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

/* Nanoseconds process `pid` has run on a CPU; -1 when it cannot be read. */
long long RunNanoseconds(int pid) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/schedstat", pid);
  FILE *f = fopen(path, "r");
  if (f == nullptr) return -1;
  long long ns = -1;
  if (fscanf(f, "%lld", &ns) != 1) ns = -1;
  fclose(f);
  return ns;
}

[[noreturn]] void Die(const char *what, PGconn *conn) {
  fprintf(stderr, "fire_cost: %s%s%s\n", what, conn ? ": " : "", conn ? PQerrorMessage(conn) : "");
  exit(1);
}

void Exec(PGconn *conn, const char *sql) {
  PGresult *res = PQexec(conn, sql);
  ExecStatusType status = PQresultStatus(res);
  PQclear(res);
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) Die(sql, conn);
}

struct Options {
  bool fire = true;
  std::string dsn;
  long lo = 1, hi = 1, seed = 7;
  double seconds = 2;
  std::string pair_dsn;  // empty: no pair
  long pair_lo = 1, pair_hi = 1;
  double block_ms = 1000;
};

Options Parse(int argc, char **argv) {
  Options o;
  if (argc < 2 || (strcmp(argv[1], "fire") != 0 && strcmp(argv[1], "base") != 0)) {
    fprintf(stderr, "usage: fire_cost fire|base --dsn DSN --lo N --hi N [--seconds S] [--seed K]\n");
    exit(2);
  }
  o.fire = strcmp(argv[1], "fire") == 0;
  for (int i = 2; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    const char *value = argv[i + 1];
    if (flag == "--dsn") o.dsn = value;
    else if (flag == "--lo") o.lo = atol(value);
    else if (flag == "--hi") o.hi = atol(value);
    else if (flag == "--seed") o.seed = atol(value);
    else if (flag == "--seconds") o.seconds = atof(value);
    else if (flag == "--pair-dsn") o.pair_dsn = value;
    else if (flag == "--pair-lo") o.pair_lo = atol(value);
    else if (flag == "--pair-hi") o.pair_hi = atol(value);
    else if (flag == "--block-ms") o.block_ms = atof(value);
    else { fprintf(stderr, "fire_cost: unknown option %s\n", flag.c_str()); exit(2); }
  }
  if (o.hi < o.lo || o.pair_hi < o.pair_lo || o.seconds <= 0 || o.block_ms <= 0) {
    fprintf(stderr, "fire_cost: bad --lo/--hi/--pair-lo/--pair-hi/--seconds/--block-ms\n");
    exit(2);
  }
  return o;
}

/* One connection and the sessions it fires into, with what its calls took. */
struct Side {
  PGconn *conn = nullptr;
  int pid = 0;
  std::mt19937_64 random;
  std::uniform_int_distribution<long> session;
  long calls = 0;
  double seconds = 0;
  long long cpu0 = 0;

  Side(const std::string &dsn, long lo, long hi, long seed)
      : random(static_cast<unsigned long long>(seed)), session(lo, hi) {
    conn = PQconnectdb(dsn.c_str());
    if (PQstatus(conn) != CONNECTION_OK) Die("connection failed", conn);
    pid = PQbackendPID(conn);
    cpu0 = RunNanoseconds(pid);
    if (cpu0 < 0) Die("cannot read the backend's /proc/<pid>/schedstat", nullptr);
  }

  /* Calls until `until` (monotonic seconds); adds to calls and seconds. */
  void RunUntil(bool fire, double until) {
    char sql[128];
    double t0 = MonotonicSeconds(), t1 = t0;
    do {
      snprintf(sql, sizeof sql, fire ? "SELECT triggers_fire('s%ld', 'go')" : "SELECT fire_base1('s%ld')",
               session(random));
      Exec(conn, "BEGIN");
      Exec(conn, sql);
      Exec(conn, "ROLLBACK");
      ++calls;
      t1 = MonotonicSeconds();
    } while (t1 < until);
    seconds += t1 - t0;
  }

  /* {"calls": .., "wall_us": .., "cpu_us": ..}; closes the connection. */
  std::string Figures() {
    long long cpu1 = RunNanoseconds(pid);
    PQfinish(conn);
    char out[160];
    snprintf(out, sizeof out, "{\"calls\": %ld, \"wall_us\": %.2f, \"cpu_us\": %.2f}", calls, seconds * 1e6 / calls,
             static_cast<double>(cpu1 - cpu0) / 1e3 / calls);
    return out;
  }
};

}  // namespace

int main(int argc, char **argv) {
  Options o = Parse(argc, argv);
  Side a(o.dsn, o.lo, o.hi, o.seed);
  if (o.pair_dsn.empty()) {
    a.RunUntil(o.fire, MonotonicSeconds() + o.seconds);
    printf("%s\n", a.Figures().c_str());
    return 0;
  }
  Side b(o.pair_dsn, o.pair_lo, o.pair_hi, o.seed);
  double end = MonotonicSeconds() + o.seconds;
  // ends after a turn of b: both get as many turns
  for (bool turn_a = true; MonotonicSeconds() < end || !turn_a; turn_a = !turn_a)
    (turn_a ? a : b).RunUntil(o.fire, MonotonicSeconds() + o.block_ms / 1e3);
  std::string first = a.Figures();
  printf("%s, \"pair\": %s}\n", first.substr(0, first.size() - 1).c_str(), b.Figures().c_str());
  return 0;
}
