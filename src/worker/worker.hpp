// The worker's event loop: claims tasks, runs handlers, keeps their leases
// alive, answers the database, and shuts down cleanly.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "clock.hpp"
#include "connection.hpp"
#include "handler_lookup.hpp"
#include "handler_process.hpp"
#include "options.hpp"
#include "task.hpp"

namespace triggers::worker {

class Worker {
 public:
  Worker(Options options, const HandlerDirectory* handlers, int signal_fd);

  // Runs until --once is done or a stop signal has been handled; returns the
  // process exit status.
  int Run();

 private:
  // A task being worked on: its handler process and lease bookkeeping.
  struct Active {
    Task task;
    std::unique_ptr<HandlerProcess> process;
    TimePoint started, deadline, next_heartbeat;
    bool heartbeat_in_flight = false;
    bool timed_out = false;    // killed by --timeout: fail
    bool lease_lost = false;   // heartbeat refused: drop, someone else has it
    bool handed_back = false;  // killed at shutdown: hand back
  };

  // Starts the shutdown on SIGTERM/SIGINT; a second one ends the grace period.
  void HandleSignals(TimePoint now);
  // A NOTIFY on one of our channels means work may be claimable.
  void ProcessNotifications();
  // Sends one claim for up to the free slots when there may be work.
  void MaybeClaim(TimePoint now);
  // Starts the claimed tasks (or hands them back when stopping).
  void OnClaimReply(Reply& reply, int asked, TimePoint sent);
  // Runs one task's handler, or fails the task when it has none.
  void StartTask(const Task& task, TimePoint now);
  // --noop: finishes a claimed batch in one statement.
  void StartNoopBatch(std::vector<Task> tasks);
  // Falls back to one finish per task when the batch was refused.
  void OnNoopBatchReply(Reply& reply, std::vector<Task> tasks);
  // Kills handlers past --timeout, and all of them when the grace period ends.
  void EnforceDeadlines(TimePoint now);
  // Renews the leases that are due.
  void SendHeartbeats(TimePoint now);
  // Schedules the next heartbeat, or gives the task up when it is no longer held.
  void OnHeartbeatReply(int64_t task_id, Reply& reply);
  // Collects finished handlers and turns them into answers.
  void ReapHandlers(TimePoint now);
  // Queues an answer until the database acknowledges it.
  void SubmitAnswer(Answer answer);
  // Logs the outcome; retries transient errors; converts a refused result into a failure.
  void OnAnswerReply(Answer answer, Reply& reply);
  // Re-sends answers whose retry delay has passed.
  void SubmitDelayedAnswers(TimePoint now);
  // Slots neither running a handler nor waiting for an answer's acknowledgement.
  int FreeSlots() const;
  void RenewLease(int64_t task_id);
  // True when the loop should end, with the exit status.
  bool Finished(TimePoint now, int* exit_status);
  // How long poll() may sleep before the next deadline.
  int PollTimeoutMs(TimePoint now) const;

  Options options_;
  const HandlerDirectory* handlers_;
  int signal_fd_;
  Connection conn_;
  std::map<int64_t, std::unique_ptr<Active>> active_;
  int answers_pending_ = 0;  // answers submitted and not yet acknowledged or dropped
  std::vector<std::pair<TimePoint, Answer>> delayed_answers_;  // transient errors: retry later
  bool claim_in_flight_ = false;
  TimePoint claim_pause_until_{};  // after a handler could not start for want of resources
  // Tasks whose handler is done and whose answer is not acknowledged yet, with
  // the time their lease is next renewed: an answer may wait (a session lock,
  // retries) longer than the lease, which no handler heartbeat renews any more.
  std::map<int64_t, TimePoint> answer_leases_;
  bool wake_ = true;         // a notification (or a full batch) says there may be work
  TimePoint next_poll_{};    // claim at least this often
  bool once_need_claim_ = true;  // --once: something may still be claimable
  bool stopping_ = false;
  int exit_status_ = 0;
  TimePoint stop_deadline_ = Never();   // handlers are killed and handed back then
  TimePoint flush_deadline_ = Never();  // unsent answers are given up then
  bool killed_for_stop_ = false;
};

}  // namespace triggers::worker
