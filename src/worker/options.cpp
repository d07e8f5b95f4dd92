#include "options.hpp"

#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "triggers/core/names.hpp"
#include "triggers/core/utf8.hpp"

namespace triggers::worker {

namespace core = triggers::core;

namespace {

constexpr double kMaxSeconds = 1e8;  // about three years: keeps time arithmetic finite
constexpr int kMaxConcurrency = 10000;

// Parses a decimal integer in [lo, hi].
bool ParseInt(const std::string& text, int lo, int hi, int* out) {
  if (text.empty()) return false;
  char* end = nullptr;
  errno = 0;
  long v = std::strtol(text.c_str(), &end, 10);
  if (errno != 0 || *end != '\0' || v < lo || v > hi) return false;
  *out = static_cast<int>(v);
  return true;
}

// Worker names follow the SPEC's name rule, as the server checks it (valid
// UTF-8 too: the server would refuse anything else on every claim).
bool IsValidWorkerName(const std::string& name) {
  return core::IsValidName(name) && core::SanitizeUtf8(name) == name;
}

// The default worker name, host:pid, unique enough to read logs and claims.
std::string DefaultWorkerName() {
  char host[256] = {0};
  if (gethostname(host, sizeof host - 1) != 0 || host[0] == '\0') std::snprintf(host, sizeof host, "localhost");
  return std::string(host) + ":" + std::to_string(getpid());
}

}  // namespace

bool ParseSeconds(const std::string& text, double* out) {
  if (text.empty()) return false;
  char* end = nullptr;
  errno = 0;
  double v = std::strtod(text.c_str(), &end);
  if (errno != 0 || *end != '\0' || !std::isfinite(v) || v < 0 || v > kMaxSeconds) return false;
  *out = v;
  return true;
}

std::string UsageText() {
  return
      "Usage: triggers-worker [OPTION]...\n"
      "Claims tasks queued by the triggers extension and runs each one with a handler\n"
      "executable named after the task's \"run\" value.\n"
      "\n"
      "Connection:\n"
      "  --dsn CONNSTR      libpq connection string or URI; without it the PG* environment\n"
      "                     variables (PGHOST, PGPORT, PGDATABASE, PGUSER, ...) apply\n"
      "  --name NAME        worker name recorded with each claim (default HOST:PID)\n"
      "                     A lost connection is re-established with backoff (0.25 s\n"
      "                     doubling to 10 s); answers not yet acknowledged are kept and\n"
      "                     sent again. At exit they get 10 s more to be delivered\n"
      "\n"
      "Work:\n"
      "  --queue NAME       queue to claim from; repeat for several (default: default).\n"
      "                     The worker LISTENs on channel triggers_NAME for each queue\n"
      "  --concurrency N    handlers run at once, and the most tasks claimed in one\n"
      "                     round trip (default 1)\n"
      "  --handlers DIR     directory of handler executables (required unless --noop).\n"
      "                     A task whose run is app.tasks.Import executes DIR/app.tasks.Import;\n"
      "                     it must be a regular executable file directly inside DIR (no\n"
      "                     symbolic links). Names containing '/' or '..', or starting\n"
      "                     with '.', are refused and fail the task\n"
      "  --once             process every task claimable now, including the cascades they\n"
      "                     cause, then exit 0; failed tasks do not change the exit status\n"
      "  --noop             benchmark mode: finish every claimed task with {} without running\n"
      "                     a handler; claims and finishes up to --concurrency tasks per\n"
      "                     round trip\n"
      "\n"
      "Timing (seconds, fractions allowed):\n"
      "  --lease S          lease asked for at each claim (default 300); a task whose lease\n"
      "                     expires is delivered again to another worker\n"
      "  --heartbeat S      interval of lease renewals while a handler runs\n"
      "                     (default lease/3; must be shorter than the lease)\n"
      "  --timeout S        a handler running longer is killed with its whole process group\n"
      "                     and the task fails with HandlerTimeout (default 3600; 0 = no limit)\n"
      "  --poll S           claim at least this often even without a notification (default 5)\n"
      "  --grace S          after SIGTERM/SIGINT, how long running handlers may go on; then they\n"
      "                     are killed and their tasks handed back for another worker\n"
      "                     (default 30). A second signal ends the wait at once\n"
      "\n"
      "Output:\n"
      "  --log-level L      debug, info, warn or error (default info); logs go to stderr,\n"
      "                     one line per event\n"
      "  --help             show this help and exit\n"
      "  --version          show the version and exit\n"
      "\n"
      "Handler protocol: standard input receives a JSON object with session, instance, task,\n"
      "run, queue, kwargs and attempt, then is closed. Exit status 0 finishes the task with\n"
      "the JSON object printed on standard output as its result (empty output means {}),\n"
      "which cascades; output that is not a JSON object fails the task (InvalidOutput).\n"
      "Any other exit status, or a signal, fails it (HandlerExit) with the last 4 KB of\n"
      "standard error as traceback. Handlers run in their own process group, with\n"
      "TRIGGERS_TASK_ID, TRIGGERS_SESSION, TRIGGERS_INSTANCE, TRIGGERS_TASK, TRIGGERS_QUEUE,\n"
      "TRIGGERS_ATTEMPT and TRIGGERS_WORKER in their environment; anything of the group\n"
      "left running when the handler exits is killed, and a handler is killed if its\n"
      "worker dies. Delivery is at least once: handlers should be idempotent.\n"
      "\n"
      "Exit status: 0 after --once or a SIGTERM/SIGINT; 1 when the worker could not work\n"
      "(--once without a database connection, a claim refused by the database, answers\n"
      "that could not be delivered before exiting); 2 for bad options.\n";
}

ParsedOptions ParseOptions(int argc, const char* const* argv) {
  ParsedOptions parsed;
  Options& o = parsed.options;
  bool heartbeat_given = false;
  auto fail = [&parsed](const std::string& message) {
    parsed.action = ParsedOptions::Action::kError;
    parsed.message = message;
    return parsed;
  };
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      parsed.action = ParsedOptions::Action::kExit;
      parsed.message = UsageText();
      return parsed;
    }
    if (arg == "--version" || arg == "-V") {
      parsed.action = ParsedOptions::Action::kExit;
      parsed.message = "triggers-worker 0.1\n";
      return parsed;
    }
    if (arg.rfind("--", 0) != 0) return fail("unexpected argument \"" + arg + "\"");
    std::string key = arg;
    std::string value;
    bool has_value = false;
    size_t eq = arg.find('=');
    if (eq != std::string::npos) {
      key = arg.substr(0, eq);
      value = arg.substr(eq + 1);
      has_value = true;
    }
    if (key == "--once" || key == "--noop") {
      if (has_value) return fail("option " + key + " takes no value");
      (key == "--once" ? o.once : o.noop) = true;
      continue;
    }
    static const char* const kWithValue[] = {"--dsn",  "--queue",     "--concurrency", "--handlers",
                                             "--lease", "--heartbeat", "--timeout",     "--poll",
                                             "--grace", "--log-level", "--name"};
    bool known = false;
    for (const char* k : kWithValue) known = known || key == k;
    if (!known) return fail("unknown option \"" + key + "\"");
    if (!has_value) {
      if (i + 1 >= argc) return fail("option " + key + " needs a value");
      value = argv[++i];
    }
    if (key == "--dsn") {
      o.dsn = value;
    } else if (key == "--queue") {
      if (!core::IsValidQueueName(value))
        return fail("invalid queue name \"" + value + "\": use 1 to 54 characters of A-Z a-z 0-9 _ . -");
      o.queues.push_back(value);
    } else if (key == "--concurrency") {
      if (!ParseInt(value, 1, kMaxConcurrency, &o.concurrency))
        return fail("--concurrency must be an integer from 1 to " + std::to_string(kMaxConcurrency));
    } else if (key == "--handlers") {
      if (value.empty()) return fail("--handlers needs a directory");
      o.handlers_dir = value;
    } else if (key == "--log-level") {
      if (!ParseLogLevel(value, &o.log_level)) return fail("--log-level must be debug, info, warn or error");
    } else if (key == "--name") {
      if (!IsValidWorkerName(value)) return fail("--name must be 1 to 255 characters without control characters");
      o.name = value;
    } else {
      double seconds = 0;
      if (!ParseSeconds(value, &seconds))
        return fail("option " + key + " needs a number of seconds >= 0, not \"" + value + "\"");
      if (key == "--lease") o.lease = seconds;
      if (key == "--heartbeat") { o.heartbeat = seconds; heartbeat_given = true; }
      if (key == "--timeout") o.timeout = seconds;
      if (key == "--poll") o.poll = seconds;
      if (key == "--grace") o.grace = seconds;
    }
  }
  if (o.queues.empty()) o.queues.push_back("default");
  if (o.lease < 0.01) return fail("--lease must be at least 0.01 seconds");
  if (o.poll < 0.01) return fail("--poll must be at least 0.01 seconds");
  if (!heartbeat_given) o.heartbeat = o.lease / 3;
  if (o.heartbeat <= 0 || o.heartbeat >= o.lease)
    return fail("--heartbeat must be more than 0 and less than --lease");
  if (o.handlers_dir.empty() && !o.noop) return fail("--handlers DIR is required (unless --noop)");
  if (o.name.empty()) o.name = DefaultWorkerName();
  return parsed;
}

}  // namespace triggers::worker
