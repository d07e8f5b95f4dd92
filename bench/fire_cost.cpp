// fire_cost — what one rolled-back call costs the server, for the scaling rows of
// `make bench` (item 4).
//
//   fire_cost fire|base --dsn DSN --lo 1 --hi N [--seconds 2] [--seed 7]
//
// From one connection, for --seconds: BEGIN; SELECT triggers_fire('s<k>', 'go')
// (fire) or SELECT fire_base1('s<k>') (base); ROLLBACK — three statements in
// three round trips, as pgbench would send them — with k drawn uniformly from
// [lo, hi] by a generator seeded with --seed (the same seed gives the same
// sessions in the same order).  Rolled back, so the tables do not change during
// a run.
//
// Prints one JSON line: calls, wall_us (wall-clock time per call, client
// included) and cpu_us: the time the server backend spent on a CPU per call, read
// from /proc/<backend pid>/schedstat (the kernel's nanosecond count of the task's
// run time) before the first call and after the last.  The wall time also counts
// the client and the time the backend waited for a CPU that another process of
// this shared machine held; the CPU time does not, which makes it the steadier
// figure of what a fire costs.
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
    else { fprintf(stderr, "fire_cost: unknown option %s\n", flag.c_str()); exit(2); }
  }
  if (o.hi < o.lo || o.seconds <= 0) { fprintf(stderr, "fire_cost: bad --lo/--hi/--seconds\n"); exit(2); }
  return o;
}

}  // namespace

int main(int argc, char **argv) {
  Options o = Parse(argc, argv);
  PGconn *conn = PQconnectdb(o.dsn.c_str());
  if (PQstatus(conn) != CONNECTION_OK) Die("connection failed", conn);
  int pid = PQbackendPID(conn);
  std::mt19937_64 random(static_cast<unsigned long long>(o.seed));
  std::uniform_int_distribution<long> session(o.lo, o.hi);
  char sql[128];
  long calls = 0;
  long long cpu0 = RunNanoseconds(pid);
  if (cpu0 < 0) Die("cannot read the backend's /proc/<pid>/schedstat", nullptr);
  double t0 = MonotonicSeconds(), t1 = t0;
  while (t1 - t0 < o.seconds) {
    snprintf(sql, sizeof sql, o.fire ? "SELECT triggers_fire('s%ld', 'go')" : "SELECT fire_base1('s%ld')",
             session(random));
    Exec(conn, "BEGIN");
    Exec(conn, sql);
    Exec(conn, "ROLLBACK");
    ++calls;
    t1 = MonotonicSeconds();
  }
  long long cpu1 = RunNanoseconds(pid);
  PQfinish(conn);
  printf("{\"calls\": %ld, \"wall_us\": %.2f, \"cpu_us\": %.2f}\n", calls, (t1 - t0) * 1e6 / calls,
         static_cast<double>(cpu1 - cpu0) / 1e3 / calls);
  return 0;
}
