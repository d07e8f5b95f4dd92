// fire_client — one application client of the crash test (test/stress/crash.sh).
//
// Fires triggers a, b and c into sessions P0 .. P<S-1> in small transactions,
// for ever, until SIGTERM/SIGINT, surviving server crashes (it reconnects).
// What it saw is written to files in OUT, one line per fire,
// "session<TAB>trigger<TAB>kwargs" (kwargs are unique: {"c": ID, "i": N}):
//   attempted.ID   every fire of a transaction, written before its COMMIT is sent
//   committed.ID   every fire whose COMMIT returned "COMMIT" (written only then)
//   rolledback.ID  every fire of a transaction the client rolled back on purpose
//   unknown.ID     every fire whose COMMIT was sent but whose outcome was lost
// A transaction fires 1 to 3 triggers into one session, or (multi-pct) into
// two sessions locked in name order.  Sessions with an odd index are not
// configured by the test's setup: a transaction touching one calls
// triggers_start(session, WORKFLOW) first with probability 1/start-every, so
// some sessions get their workflow long after their first fires.
// At exit prints one line: "client ID fires=... txns=... ...".
//
//   fire_client --dsn DSN --id N --sessions S --prefix P --out DIR
//               [--workflow W] [--seed N] [--rate TXNS_PER_S] [--rollback-pct P]
//               [--multi-pct P] [--start-every K]
#include <libpq-fe.h>

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace {

volatile sig_atomic_t g_stop = 0;
void OnSignal(int) { g_stop = 1; }

struct Options {
  std::string dsn, prefix = "s", out = ".", workflow = "stress";
  int id = 0, sessions = 100, rollback_pct = 5, multi_pct = 10, start_every = 20;
  unsigned seed = 1;
  double rate = 0;  // transactions per second; 0 = as fast as possible
};

struct Fire {
  std::string session, trigger, kwargs;
};

int OpenLog(const Options& o, const char* name) {
  std::string path = o.out + "/" + name + "." + std::to_string(o.id);
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_TRUNC, 0644);
  if (fd < 0) {
    perror(path.c_str());
    std::exit(2);
  }
  return fd;
}

void WriteFires(int fd, const std::vector<Fire>& fires) {
  std::string text;
  for (const Fire& f : fires) text += f.session + "\t" + f.trigger + "\t" + f.kwargs + "\n";
  const char* p = text.data();
  size_t left = text.size();
  while (left > 0) {  // one write for the whole transaction (O_APPEND)
    ssize_t n = write(fd, p, left);
    if (n < 0) {
      perror("write");
      std::exit(2);
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
}

class Client {
 public:
  explicit Client(Options o) : o_(std::move(o)), rng_(o_.seed * 7919u + static_cast<unsigned>(o_.id)) {
    attempted_ = OpenLog(o_, "attempted");
    committed_ = OpenLog(o_, "committed");
    rolledback_ = OpenLog(o_, "rolledback");
    unknown_ = OpenLog(o_, "unknown");
  }

  void Run() {
    auto next = std::chrono::steady_clock::now();
    while (!g_stop) {
      if (!Connected()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        continue;
      }
      OneTransaction();
      if (o_.rate > 0) {
        next += std::chrono::microseconds(static_cast<long>(1e6 / o_.rate));
        auto now = std::chrono::steady_clock::now();
        if (next > now) std::this_thread::sleep_until(next);
        else if (now - next > std::chrono::seconds(1)) next = now;  // after an outage, do not burst
      }
    }
    if (conn_) PQfinish(conn_);
    std::printf("client %d fires=%ld txns=%ld rolledback=%ld failed=%ld unknown=%ld reconnects=%ld starts=%ld\n",
                o_.id, fires_, txns_, rollbacks_, failures_, unknown_n_, reconnects_, starts_);
  }

 private:
  bool Connected() {
    if (conn_ && PQstatus(conn_) == CONNECTION_OK) return true;
    if (conn_) {
      PQfinish(conn_);
      conn_ = nullptr;
    }
    conn_ = PQconnectdb(o_.dsn.c_str());
    if (PQstatus(conn_) != CONNECTION_OK) {
      PQfinish(conn_);
      conn_ = nullptr;
      return false;
    }
    ++reconnects_;
    Exec("SET statement_timeout = '60s'", 0, nullptr);
    return true;
  }

  // Runs a statement; true when it succeeded. cmd_status receives PQcmdStatus.
  bool Exec(const char* sql, int n, const char* const* params, std::string* cmd_status = nullptr,
            std::string* sqlstate = nullptr) {
    PGresult* r = n > 0 ? PQexecParams(conn_, sql, n, nullptr, params, nullptr, nullptr, 0) : PQexec(conn_, sql);
    ExecStatusType st = PQresultStatus(r);
    bool ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
    if (cmd_status) *cmd_status = PQcmdStatus(r);
    if (!ok && sqlstate) {
      const char* s = PQresultErrorField(r, PG_DIAG_SQLSTATE);
      *sqlstate = s ? s : "";
    }
    PQclear(r);
    return ok;
  }

  int Pick(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng_); }

  void OneTransaction() {
    std::vector<int> idx{Pick(o_.sessions)};
    if (Pick(100) < o_.multi_pct) {
      int other = Pick(o_.sessions);
      if (other != idx[0]) idx.push_back(other);
    }
    std::vector<std::string> names;
    for (int i : idx) names.push_back(o_.prefix + std::to_string(i));
    // Lock sessions in a consistent order: sort by name.
    std::vector<size_t> order(names.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return names[a] < names[b]; });

    std::vector<Fire> fires;
    if (!Exec("BEGIN", 0, nullptr)) return Broken(false);
    for (size_t k : order) {
      const std::string& s = names[k];
      if (idx[k] % 2 == 1 && Pick(o_.start_every) == 0) {
        const char* p[2] = {s.c_str(), o_.workflow.c_str()};
        if (!Exec("SELECT triggers_start($1, $2)", 2, p)) return Broken(true);
        ++starts_;
      }
      int n = 1 + Pick(3);
      for (int j = 0; j < n; ++j) {
        int w = Pick(100);
        const char* trig = w < 40 ? "a" : w < 80 ? "b" : "c";
        std::string kwargs = "{\"c\": " + std::to_string(o_.id) + ", \"i\": " + std::to_string(++seq_) + "}";
        const char* p[3] = {s.c_str(), trig, kwargs.c_str()};
        if (!Exec("SELECT triggers_fire($1, $2, $3::jsonb)", 3, p)) return Broken(true);
        fires.push_back({s, trig, kwargs});
      }
    }
    if (Pick(100) < o_.rollback_pct) {
      if (!Exec("ROLLBACK", 0, nullptr)) return Broken(false);
      WriteFires(rolledback_, fires);
      ++rollbacks_;
      return;
    }
    WriteFires(attempted_, fires);
    std::string status;
    if (Exec("COMMIT", 0, nullptr, &status) && status == "COMMIT") {
      WriteFires(committed_, fires);
      fires_ += static_cast<long>(fires.size());
      ++txns_;
    } else if (PQstatus(conn_) != CONNECTION_OK) {
      WriteFires(unknown_, fires);  // the server went away: outcome unknown
      ++unknown_n_;
    } else {
      ++failures_;  // COMMIT reported ROLLBACK (e.g. a deadlock was resolved against us)
    }
  }

  // A statement failed: roll back if the connection is still there.
  void Broken(bool in_txn) {
    ++failures_;
    if (in_txn && PQstatus(conn_) == CONNECTION_OK) Exec("ROLLBACK", 0, nullptr);
  }

  Options o_;
  std::mt19937 rng_;
  PGconn* conn_ = nullptr;
  int attempted_, committed_, rolledback_, unknown_;
  long seq_ = 0, fires_ = 0, txns_ = 0, rollbacks_ = 0, failures_ = 0, unknown_n_ = 0, reconnects_ = -1,
       starts_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto val = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "missing value for %s\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--dsn") o.dsn = val();
    else if (a == "--id") o.id = std::atoi(val().c_str());
    else if (a == "--sessions") o.sessions = std::max(1, std::atoi(val().c_str()));
    else if (a == "--prefix") o.prefix = val();
    else if (a == "--out") o.out = val();
    else if (a == "--workflow") o.workflow = val();
    else if (a == "--seed") o.seed = static_cast<unsigned>(std::atol(val().c_str()));
    else if (a == "--rate") o.rate = std::atof(val().c_str());
    else if (a == "--rollback-pct") o.rollback_pct = std::atoi(val().c_str());
    else if (a == "--multi-pct") o.multi_pct = std::atoi(val().c_str());
    else if (a == "--start-every") o.start_every = std::max(1, std::atoi(val().c_str()));
    else {
      std::fprintf(stderr, "unknown option %s\n", a.c_str());
      return 2;
    }
  }
  struct sigaction sa {};
  sa.sa_handler = OnSignal;
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);
  Client(o).Run();
  return 0;
}
