// triggers-worker: runs the tasks queued by the triggers extension
// (SPEC section 5). Parses options, opens the handler directory, and hands
// over to the Worker's event loop.
#include <fcntl.h>
#include <libpq-fe.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <exception>

#include "handler_lookup.hpp"
#include "log.hpp"
#include "options.hpp"
#include "signals.hpp"
#include "worker.hpp"

namespace tw = triggers::worker;

namespace {

// Makes sure fds 0-2 are open, so that pipes we create never land on them
// (a handler's standard streams are dup2'ed onto 0-2).
void EnsureStandardFds() {
  for (int fd = 0; fd <= 2; ++fd) {
    if (fcntl(fd, F_GETFD) < 0) {
      int null_fd = open("/dev/null", O_RDWR);
      if (null_fd >= 0 && null_fd != fd) close(null_fd);
    }
  }
}

// Refuses a connection string libpq cannot parse: that never gets better by retrying.
bool CheckDsn(const std::string& dsn) {
  if (dsn.empty()) return true;
  char* error = nullptr;
  PQconninfoOption* opts = PQconninfoParse(dsn.c_str(), &error);
  if (opts == nullptr) {
    std::fprintf(stderr, "triggers-worker: invalid --dsn: %s", error != nullptr ? error : "out of memory\n");
    if (error != nullptr) PQfreemem(error);
    return false;
  }
  PQconninfoFree(opts);
  return true;
}

// Each running handler holds three pipe ends (a fourth while it starts): raises
// the soft limit on open files to what --concurrency needs, if the hard limit
// allows, rather than failing handlers with EMFILE later.
bool EnsureFileLimit(int concurrency) {
  rlim_t needed = static_cast<rlim_t>(concurrency) * 3 + 64;
  struct rlimit limit;
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= needed) return true;
  if (limit.rlim_max == RLIM_INFINITY || limit.rlim_max >= needed) {
    limit.rlim_cur = needed;
    if (setrlimit(RLIMIT_NOFILE, &limit) == 0) return true;
  }
  std::fprintf(stderr, "triggers-worker: --concurrency %d needs about %llu open files, but the limit is %llu (ulimit -n)\n",
               concurrency, static_cast<unsigned long long>(needed), static_cast<unsigned long long>(limit.rlim_cur));
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  EnsureStandardFds();
  tw::ParsedOptions parsed = tw::ParseOptions(argc, argv);
  if (parsed.action == tw::ParsedOptions::Action::kExit) {
    std::fputs(parsed.message.c_str(), stdout);
    return 0;
  }
  if (parsed.action == tw::ParsedOptions::Action::kError) {
    std::fprintf(stderr, "triggers-worker: %s\nTry \"triggers-worker --help\" for more information.\n",
                 parsed.message.c_str());
    return 2;
  }
  tw::Options& options = parsed.options;
  tw::SetLogLevel(options.log_level);
  if (!CheckDsn(options.dsn)) return 2;
  tw::HandlerDirectory handlers;
  if (!options.noop) {
    if (!EnsureFileLimit(options.concurrency)) return 2;
    std::string error;
    if (!handlers.Open(options.handlers_dir, &error)) {
      std::fprintf(stderr, "triggers-worker: %s\n", error.c_str());
      return 2;
    }
  }
  int signal_fd = tw::InstallSignalHandlers();
  if (signal_fd < 0) {
    std::perror("triggers-worker: cannot create the signal pipe");
    return 1;
  }
  try {
    tw::Worker worker(options, options.noop ? nullptr : &handlers, signal_fd);
    return worker.Run();
  } catch (const std::exception& e) {
    tw::Log(tw::LogLevel::kError, std::string("fatal: ") + e.what());
    return 1;
  }
}
