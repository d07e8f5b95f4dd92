// Command-line options of triggers-worker.
#pragma once

#include <string>
#include <vector>

#include "log.hpp"

namespace triggers::worker {

struct Options {
  std::string dsn;                  // libpq connection string; empty = PG* variables
  std::vector<std::string> queues;  // queues to claim from; default {"default"}
  int concurrency = 1;              // handlers running at once (claim batch in --noop)
  std::string handlers_dir;         // directory of handler executables
  double lease = 300;               // seconds asked for at each claim
  double heartbeat = 0;             // seconds between heartbeats (0 = lease / 3)
  double timeout = 3600;            // per-task limit in seconds, 0 = none
  double poll = 5;                  // seconds between claims when nothing is notified
  double grace = 30;                // seconds running handlers get after SIGTERM
  bool once = false;                // process what is claimable now, then exit
  bool noop = false;                // benchmark mode: finish every task with {}
  LogLevel log_level = LogLevel::kInfo;
  std::string name;                 // worker name given to triggers_claim
};

// What ParseOptions decided: run, exit at once (help/version) or refuse.
struct ParsedOptions {
  enum class Action { kRun, kExit, kError } action = Action::kRun;
  std::string message;  // help/version text, or the error
  Options options;
};

// Parses argv ("--opt VALUE" and "--opt=VALUE"), applies defaults and checks
// every value, so that the rest of the program can trust Options.
ParsedOptions ParseOptions(int argc, const char* const* argv);

// The --help text.
std::string UsageText();

// Parses a duration in seconds ("2", "0.5", "1e3"); false when not a finite
// number >= 0.
bool ParseSeconds(const std::string& text, double* out);

}  // namespace triggers::worker
