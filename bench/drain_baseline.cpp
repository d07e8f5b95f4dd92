// drain_baseline — the end-to-end baseline of `make bench`: a plain SKIP LOCKED
// queue drained by a minimal libpq loop.
//
//   drain_baseline --dsn DSN [--table bq] [--batch 64] [--stages 3]
//
// Each iteration is ONE statement (so one transaction and one round trip) that
// claims and removes up to --batch rows, oldest first, skipping rows other
// drainers hold, and -- to do the minimum work equivalent to a cascade of a
// 3-task chain -- queues the next stage of every removed row whose stage is below
// --stages, in the same transaction:
//
//   WITH d AS (DELETE FROM bq WHERE id IN (SELECT id FROM bq ORDER BY id
//                                          FOR UPDATE SKIP LOCKED LIMIT $1)
//              RETURNING id, session, stage, payload),
//        n AS (INSERT INTO bq (session, stage, payload)
//              SELECT session, stage + 1, '{}' FROM d WHERE stage < $2)
//   SELECT id, session, stage, payload FROM d
//
// The rows are read on the client (the "handler" does nothing with them).  The
// loop ends when a claim returns no row.  Several drainers may run at once: a
// drainer that queued rows always claims again, so nothing is left behind.
// Prints one JSON line: rows processed, batches, elapsed ms, max RSS (kB).
#include <libpq-fe.h>
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace {

[[noreturn]] void Usage() {
  std::fprintf(stderr, "usage: drain_baseline [--dsn DSN] [--table NAME] [--batch N] [--stages N]\n");
  std::exit(2);
}

bool IsIdentifier(const std::string& s) {
  if (s.empty() || s.size() > 63) return false;
  for (char c : s)
    if (!(c == '_' || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) return false;
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  std::string dsn, table = "bq";
  int batch = 64, stages = 3;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (i + 1 >= argc) Usage();
    if (a == "--dsn") dsn = argv[++i];
    else if (a == "--table") table = argv[++i];
    else if (a == "--batch") batch = std::atoi(argv[++i]);
    else if (a == "--stages") stages = std::atoi(argv[++i]);
    else Usage();
  }
  if (batch < 1 || stages < 1 || !IsIdentifier(table)) Usage();

  PGconn* conn = PQconnectdb(dsn.c_str());
  if (PQstatus(conn) != CONNECTION_OK) {
    std::fprintf(stderr, "drain_baseline: cannot connect: %s", PQerrorMessage(conn));
    return 1;
  }
  const std::string sql =
      "WITH d AS (DELETE FROM " + table + " WHERE id IN (SELECT id FROM " + table +
      " ORDER BY id FOR UPDATE SKIP LOCKED LIMIT $1::int)"
      " RETURNING id, session, stage, payload),"
      " n AS (INSERT INTO " + table + " (session, stage, payload)"
      " SELECT session, stage + 1, '{}'::jsonb FROM d WHERE stage < $2::int)"
      " SELECT id, session, stage, payload FROM d";
  PGresult* prep = PQprepare(conn, "claim", sql.c_str(), 2, nullptr);
  if (PQresultStatus(prep) != PGRES_COMMAND_OK) {
    std::fprintf(stderr, "drain_baseline: prepare failed: %s", PQerrorMessage(conn));
    return 1;
  }
  PQclear(prep);

  const std::string batch_s = std::to_string(batch), stages_s = std::to_string(stages);
  const char* params[2] = {batch_s.c_str(), stages_s.c_str()};
  long long rows = 0, batches = 0;
  std::size_t touched = 0;
  auto t0 = std::chrono::steady_clock::now();
  for (;;) {
    PGresult* r = PQexecPrepared(conn, "claim", 2, params, nullptr, nullptr, 0);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
      std::fprintf(stderr, "drain_baseline: claim failed: %s", PQerrorMessage(conn));
      PQclear(r);
      PQfinish(conn);
      return 1;
    }
    int n = PQntuples(r);
    for (int i = 0; i < n; ++i)  // the "handler": look at the task
      for (int f = 0; f < 4; ++f) touched += std::strlen(PQgetvalue(r, i, f));
    PQclear(r);
    if (n == 0) break;
    rows += n;
    ++batches;
  }
  double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  PQfinish(conn);
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  std::printf("{\"rows\": %lld, \"batches\": %lld, \"ms\": %.1f, \"maxrss_kb\": %ld, \"bytes_seen\": %zu}\n", rows,
              batches, ms, ru.ru_maxrss, touched);
  return 0;
}
