#include "signals.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>

namespace triggers::worker {

namespace {

int g_pipe[2] = {-1, -1};
// atomic, so that a signal between reading and clearing the count is not lost
std::atomic<int> g_stop_requests{0};
static_assert(std::atomic<int>::is_always_lock_free, "a lock-free atomic is async-signal-safe");

// Async-signal-safe: counts stop signals and wakes the loop.
void OnSignal(int sig) {
  int saved = errno;
  if (sig == SIGTERM || sig == SIGINT) g_stop_requests.fetch_add(1);
  if (g_pipe[1] >= 0) {
    char c = 0;
    ssize_t ignored = write(g_pipe[1], &c, 1);
    (void)ignored;
  }
  errno = saved;
}

}  // namespace

int InstallSignalHandlers() {
  if (pipe2(g_pipe, O_CLOEXEC | O_NONBLOCK) != 0) return -1;
  struct sigaction sa;
  std::memset(&sa, 0, sizeof sa);
  sa.sa_handler = OnSignal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGCHLD, &sa, nullptr);
  struct sigaction ign;
  std::memset(&ign, 0, sizeof ign);
  ign.sa_handler = SIG_IGN;
  sigemptyset(&ign.sa_mask);
  sigaction(SIGPIPE, &ign, nullptr);
  return g_pipe[0];
}

void DrainSignalPipe() {
  char buf[256];
  while (read(g_pipe[0], buf, sizeof buf) > 0) {
  }
}

int TakeStopRequests() {
  return g_stop_requests.exchange(0);
}

}  // namespace triggers::worker
