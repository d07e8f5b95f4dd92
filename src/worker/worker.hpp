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

  void HandleSignals(TimePoint now);
  void ProcessNotifications();
  void MaybeClaim(TimePoint now);
  void OnClaimReply(Reply& reply, int asked, TimePoint sent);
  void StartTask(const Task& task, TimePoint now);
  void StartNoopBatch(std::vector<Task> tasks);
  void OnNoopBatchReply(Reply& reply, std::vector<Task> tasks);
  void EnforceDeadlines(TimePoint now);
  void SendHeartbeats(TimePoint now);
  void OnHeartbeatReply(int64_t task_id, Reply& reply);
  void ReapHandlers(TimePoint now);
  void SubmitAnswer(Answer answer);
  void OnAnswerReply(Answer answer, Reply& reply);
  void SubmitDelayedAnswers(TimePoint now);
  int FreeSlots() const;
  bool Finished(TimePoint now, int* exit_status);
  int PollTimeoutMs(TimePoint now) const;

  Options options_;
  const HandlerDirectory* handlers_;
  int signal_fd_;
  Connection conn_;
  std::map<int64_t, std::unique_ptr<Active>> active_;
  int answers_pending_ = 0;  // answers submitted and not yet acknowledged or dropped
  std::vector<std::pair<TimePoint, Answer>> delayed_answers_;  // transient errors: retry later
  bool claim_in_flight_ = false;
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
