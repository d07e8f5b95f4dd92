#include "handler_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

extern char** environ;

namespace triggers::worker {

namespace {

constexpr double kDrainSeconds = 2.0;  // output still accepted after the child's exit
constexpr size_t kReadChunk = 65536;
constexpr int kReadsPerWakeup = 16;    // fairness between handlers

// The environment variable name of an "NAME=value" entry.
std::string EnvName(const std::string& entry) { return entry.substr(0, entry.find('=')); }

}  // namespace

HandlerProcess::~HandlerProcess() {
  if (pid_ > 0 && !reaped_) {
    Kill();
    int status;
    while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
  }
  CloseFd(&in_fd_);
  CloseFd(&out_fd_);
  CloseFd(&err_fd_);
}

void HandlerProcess::CloseFd(int* fd) {
  if (*fd >= 0) close(*fd);
  *fd = -1;
}

// fork + execve rather than posix_spawn, for one thing posix_spawn cannot
// do: PR_SET_PDEATHSIG, so a handler is killed if its worker dies (kill -9)
// instead of running on while its task is delivered to another worker.
// The child gets its own process group (a timeout kills everything it
// started), default signal dispositions (SIGPIPE is ignored in the worker and
// exec would keep that), an empty signal mask, and only fds 0-2 (all of ours
// are close-on-exec). An exec failure comes back through a close-on-exec pipe.
// The worker is single-threaded, so the child may run any async-signal-safe
// code between fork and exec; everything it needs is prepared before fork.
bool HandlerProcess::Start(const std::string& path, std::string input, const std::vector<std::string>& extra_env,
                           std::string* error) {
  int pipes[4][2];
  int made = 0;
  for (; made < 4; ++made) {
    if (pipe2(pipes[made], O_CLOEXEC) != 0) break;
  }
  if (made < 4) {
    out_of_resources_ = errno == EMFILE || errno == ENFILE;
    *error = std::string("pipe: ") + std::strerror(errno);
    for (int i = 0; i < made; ++i) { close(pipes[i][0]); close(pipes[i][1]); }
    return false;
  }
  int (&in_pipe)[2] = pipes[0];
  int (&out_pipe)[2] = pipes[1];
  int (&err_pipe)[2] = pipes[2];
  int (&exec_pipe)[2] = pipes[3];

  std::vector<std::string> env_strings;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string entry = *e;
    bool replaced = false;
    for (const std::string& x : extra_env) replaced = replaced || EnvName(x) == EnvName(entry);
    if (!replaced) env_strings.push_back(entry);
  }
  for (const std::string& x : extra_env) env_strings.push_back(x);
  std::vector<char*> envp;
  for (std::string& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::string argv0 = path;
  char* argv[] = {argv0.data(), nullptr};
  pid_t parent = getpid();
  struct sigaction dfl;
  std::memset(&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  sigemptyset(&dfl.sa_mask);
  sigset_t empty;
  sigemptyset(&empty);

  pid_t pid = fork();
  if (pid == 0) {
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);  // the worker died before prctl
    for (int sig : {SIGPIPE, SIGTERM, SIGINT, SIGCHLD, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2}) sigaction(sig, &dfl, nullptr);
    sigprocmask(SIG_SETMASK, &empty, nullptr);
    if (dup2(in_pipe[0], 0) < 0 || dup2(out_pipe[1], 1) < 0 || dup2(err_pipe[1], 2) < 0) {
      int e = errno;
      ssize_t ignored = write(exec_pipe[1], &e, sizeof e);
      (void)ignored;
      _exit(127);
    }
    // as execve, but a handler replaced by a symbolic link since it was found is refused (ELOOP)
    execveat(AT_FDCWD, path.c_str(), argv, envp.data(), AT_SYMLINK_NOFOLLOW);
    int e = errno;
    ssize_t ignored = write(exec_pipe[1], &e, sizeof e);
    (void)ignored;
    _exit(127);
  }
  int fork_errno = errno;
  close(in_pipe[0]);
  close(out_pipe[1]);
  close(err_pipe[1]);
  close(exec_pipe[1]);
  if (pid < 0) {
    close(in_pipe[1]); close(out_pipe[0]); close(err_pipe[0]); close(exec_pipe[0]);
    out_of_resources_ = fork_errno == EAGAIN || fork_errno == ENOMEM;
    *error = std::string("fork: ") + std::strerror(fork_errno);
    return false;
  }
  setpgid(pid, pid);  // also from here, so the group exists whichever runs first
  int exec_errno = 0;
  ssize_t n;
  while ((n = read(exec_pipe[0], &exec_errno, sizeof exec_errno)) < 0 && errno == EINTR) {
  }
  close(exec_pipe[0]);
  if (n > 0) {
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    close(in_pipe[1]); close(out_pipe[0]); close(err_pipe[0]);
    out_of_resources_ = exec_errno == EMFILE || exec_errno == ENFILE || exec_errno == ENOMEM || exec_errno == EAGAIN ||
                        exec_errno == ETXTBSY;
    *error = "cannot execute " + path + ": " + std::strerror(exec_errno);
    return false;
  }
  pid_ = pid;
  in_fd_ = in_pipe[1];
  out_fd_ = out_pipe[0];
  err_fd_ = err_pipe[0];
  for (int fd : {in_fd_, out_fd_, err_fd_}) fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  input_ = std::move(input);
  input_off_ = 0;
  if (input_.empty()) CloseFd(&in_fd_);
  return true;
}

void HandlerProcess::AddPollFds(std::vector<pollfd>* fds) {
  in_index_ = out_index_ = err_index_ = -1;
  if (in_fd_ >= 0) { in_index_ = static_cast<int>(fds->size()); fds->push_back({in_fd_, POLLOUT, 0}); }
  if (out_fd_ >= 0) { out_index_ = static_cast<int>(fds->size()); fds->push_back({out_fd_, POLLIN, 0}); }
  if (err_fd_ >= 0) { err_index_ = static_cast<int>(fds->size()); fds->push_back({err_fd_, POLLIN, 0}); }
}

void HandlerProcess::HandlePollResults(const std::vector<pollfd>& fds) {
  auto ready = [&fds](int index, int fd) {
    return index >= 0 && static_cast<size_t>(index) < fds.size() && fds[index].fd == fd && fds[index].revents != 0;
  };
  if (ready(in_index_, in_fd_)) WriteInput();
  if (ready(out_index_, out_fd_)) ReadStdout();
  if (ready(err_index_, err_fd_)) ReadStderr();
  in_index_ = out_index_ = err_index_ = -1;
}

// Writes as much input as the pipe takes; a handler that closed its standard
// input (EPIPE: SIGPIPE is ignored in the worker) simply does not get the rest.
void HandlerProcess::WriteInput() {
  while (in_fd_ >= 0 && input_off_ < input_.size()) {
    ssize_t n = write(in_fd_, input_.data() + input_off_, input_.size() - input_off_);
    if (n > 0) { input_off_ += static_cast<size_t>(n); continue; }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    CloseFd(&in_fd_);  // EPIPE or another error
  }
  if (in_fd_ >= 0 && input_off_ >= input_.size()) {
    CloseFd(&in_fd_);
    std::string().swap(input_);
  }
}

// Keeps the whole of standard output, up to kMaxOutput; beyond that it keeps
// draining (so the handler is not blocked) but only records the overflow.
void HandlerProcess::ReadStdout() {
  char buf[kReadChunk];
  for (int i = 0; i < kReadsPerWakeup && out_fd_ >= 0; ++i) {
    ssize_t n = read(out_fd_, buf, sizeof buf);
    if (n > 0) {
      if (outcome_.out.size() + static_cast<size_t>(n) > kMaxOutput) outcome_.out_too_large = true;
      else outcome_.out.append(buf, static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    CloseFd(&out_fd_);  // EOF or error
  }
}

// Keeps only the last kStderrTail bytes of standard error.
void HandlerProcess::ReadStderr() {
  char buf[kReadChunk];
  for (int i = 0; i < kReadsPerWakeup && err_fd_ >= 0; ++i) {
    ssize_t n = read(err_fd_, buf, sizeof buf);
    if (n > 0) {
      outcome_.err_total += static_cast<size_t>(n);
      outcome_.err_tail.append(buf, static_cast<size_t>(n));
      if (outcome_.err_tail.size() > 2 * kStderrTail)
        outcome_.err_tail.erase(0, outcome_.err_tail.size() - kStderrTail);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    CloseFd(&err_fd_);
  }
}

// waitid(WNOWAIT) first: while the child is an unreaped zombie its pid (and
// so its process group id) cannot be reused, so killing the group cannot hit
// an unrelated process. Then reap it.
void HandlerProcess::CheckExited(TimePoint now) {
  if (pid_ <= 0 || reaped_) return;
  siginfo_t info;
  std::memset(&info, 0, sizeof info);
  if (waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOHANG | WNOWAIT) != 0 || info.si_pid == 0) return;
  kill(-pid_, SIGKILL);  // leftovers of the group, e.g. background children
  int status = 0;
  while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  reaped_ = true;
  if (WIFEXITED(status)) {
    outcome_.exited = true;
    outcome_.exit_status = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    outcome_.signal = WTERMSIG(status);
  }
  CloseFd(&in_fd_);
  drain_deadline_ = now + FromSeconds(kDrainSeconds);
}

// The group, and the handler itself in case it left the group (setpgid): its
// pid is not reaped yet, so it cannot have been reused.
void HandlerProcess::Kill() {
  if (pid_ <= 0 || reaped_) return;
  kill(-pid_, SIGKILL);
  kill(pid_, SIGKILL);
}

bool HandlerProcess::Done(TimePoint now) const {
  if (pid_ <= 0) return true;
  if (!reaped_) return false;
  return (out_fd_ < 0 && err_fd_ < 0) || now >= drain_deadline_;
}

TimePoint HandlerProcess::NextDeadline() const { return reaped_ ? drain_deadline_ : Never(); }

}  // namespace triggers::worker
