// One running handler: a child process in its own process group, fed its
// input through a pipe and watched with poll() by the worker's event loop.
#pragma once

#include <poll.h>
#include <sys/types.h>

#include <string>
#include <vector>

#include "clock.hpp"

namespace triggers::worker {

// What the handler did, once it has exited and its pipes are drained.
struct HandlerOutcome {
  bool exited = false;        // exited normally (else killed by a signal)
  int exit_status = 0;        // when exited
  int signal = 0;             // when killed by a signal
  std::string out;            // standard output, whole (up to kMaxOutput)
  bool out_too_large = false; // more than kMaxOutput bytes were written
  std::string err_tail;       // the last kStderrTail bytes of standard error
  size_t err_total = 0;       // how many bytes standard error had in all
};

class HandlerProcess {
 public:
  static constexpr size_t kStderrTail = 4096;
  static constexpr size_t kMaxOutput = 64u << 20;

  HandlerProcess() = default;
  ~HandlerProcess();
  HandlerProcess(const HandlerProcess&) = delete;
  HandlerProcess& operator=(const HandlerProcess&) = delete;

  // Starts PATH with no arguments, the given extra environment entries
  // ("NAME=value") and INPUT to be written to its standard input.
  // False with a message when the executable could not be started.
  bool Start(const std::string& path, std::string input, const std::vector<std::string>& extra_env,
             std::string* error);

  // Appends the descriptors to wait on and remembers where they are.
  void AddPollFds(std::vector<pollfd>* fds);

  // Reads/writes whatever poll() reported ready at the remembered places.
  void HandlePollResults(const std::vector<pollfd>& fds);

  // Notices (without blocking) that the child exited; then kills what is
  // left of its process group and reaps it.
  void CheckExited(TimePoint now);

  // True when Start failed in a way that may pass: no descriptors, processes or
  // memory (the worker's trouble, not the task's), or a handler file being
  // replaced (ETXTBSY, a deploy).
  bool out_of_resources() const { return out_of_resources_; }

  // SIGKILLs the whole process group, and the handler if it left it (timeout,
  // lost lease, shutdown).
  void Kill();

  // True once the child is reaped and its output is read to the end (or the
  // short drain period after its exit has passed).
  bool Done(TimePoint now) const;

  // The earliest time Done() may change without I/O (the drain deadline).
  TimePoint NextDeadline() const;

  const HandlerOutcome& outcome() const { return outcome_; }
  pid_t pid() const { return pid_; }
  bool running() const { return pid_ > 0 && !reaped_; }

 private:
  void WriteInput();
  void ReadStdout();
  void ReadStderr();
  void CloseFd(int* fd);

  pid_t pid_ = -1;
  bool reaped_ = false;
  bool out_of_resources_ = false;
  int in_fd_ = -1, out_fd_ = -1, err_fd_ = -1;
  int in_index_ = -1, out_index_ = -1, err_index_ = -1;
  std::string input_;
  size_t input_off_ = 0;
  TimePoint drain_deadline_ = Never();
  HandlerOutcome outcome_;
};

}  // namespace triggers::worker
