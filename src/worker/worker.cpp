#include "worker.hpp"

#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "log.hpp"
#include "signals.hpp"

namespace triggers::worker {

namespace {

constexpr double kFlushSeconds = 10.0;   // at exit, how long unsent answers may wait for the database
constexpr double kMaxAnswerRetry = 30.0; // longest wait before resending an answer after a transient error
constexpr double kResourcePause = 1.0;   // no claims this long after a handler could not start for want of resources

const char* const kClaimSql =
    "SELECT task_id, session, instance, task, run, queue, kwargs::text, attempt "
    "FROM triggers_claim($1, $2::text[], $3::int, $4::double precision * interval '1 second')";
const char* const kFinishSql = "SELECT triggers_finish($1::bigint, $2::jsonb)";
const char* const kFailSql = "SELECT triggers_fail($1::bigint, $2::jsonb)";
const char* const kHandBackSql = "SELECT triggers_heartbeat($1::bigint, interval '0')";
const char* const kHeartbeatSql = "SELECT triggers_heartbeat($1::bigint, $2::double precision * interval '1 second')";
const char* const kNoopBatchSql = "SELECT cardinality(triggers_finish_many($1::bigint[]))";

// Seconds as text for SQL parameters and log lines.
std::string FormatSeconds(double seconds, int decimals = 3) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, seconds);
  return buf;
}

// A text[] literal; queue names are restricted, but quote them anyway.
std::string TextArrayLiteral(const std::vector<std::string>& items) {
  std::string s = "{";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) s += ',';
    s += '"';
    for (char c : items[i]) {
      if (c == '"' || c == '\\') s += '\\';
      s += c;
    }
    s += '"';
  }
  return s + "}";
}

// Errors worth sending the same answer again for, after a pause: conflicts
// (40xxx), lack of resources (53xxx), lock timeouts, cancels, system errors.
bool IsTransientState(const std::string& sqlstate) {
  return sqlstate.rfind("40", 0) == 0 || sqlstate.rfind("53", 0) == 0 || sqlstate == "55P03" ||
         sqlstate == "57014" || sqlstate.rfind("58", 0) == 0;
}

// "task_id=7 session="s1" instance="t#0"" for log lines.
std::string Describe(const Task& t) {
  return "task_id=" + std::to_string(t.task_id) + " session=" + Quote(t.session) + " instance=" + Quote(t.instance);
}

// Parses one row of the claim query.
Task TaskFromRow(const PGresult* res, int row) {
  Task t;
  t.task_id = std::strtoll(PQgetvalue(res, row, 0), nullptr, 10);
  t.session = PQgetvalue(res, row, 1);
  t.instance = PQgetvalue(res, row, 2);
  t.task = PQgetvalue(res, row, 3);
  t.run = PQgetvalue(res, row, 4);
  t.queue = PQgetvalue(res, row, 5);
  t.kwargs = PQgetisnull(res, row, 6) ? "{}" : PQgetvalue(res, row, 6);
  t.attempt = std::atoi(PQgetvalue(res, row, 7));
  return t;
}

// The channel names for the queues: triggers_<queue>.
std::vector<std::string> Channels(const Options& o) {
  std::vector<std::string> channels;
  if (o.once) return channels;  // --once does not wait for notifications
  for (const std::string& q : o.queues) channels.push_back("triggers_" + q);
  return channels;
}

// One connection carries every statement in turn: an answer waiting for a
// session lock (a long application transaction firing into that session) must
// not hold up the heartbeats, which go ahead of it in the queue, until leases
// expire.  It gives up (55P03) after half the smaller of the heartbeat interval
// and the rest of a lease, and is sent again later.
std::vector<std::string> SessionSetup(const Options& o) {
  double seconds = std::min(o.heartbeat, o.lease - o.heartbeat) / 2;  // a heartbeat waits at most this
  long ms = std::clamp(static_cast<long>(seconds * 1000), 100L, 2147483647L);  // lock_timeout is an int
  return {"SET lock_timeout = " + std::to_string(ms)};
}

}  // namespace

Worker::Worker(Options options, const HandlerDirectory* handlers, int signal_fd)
    : options_(std::move(options)), handlers_(handlers), signal_fd_(signal_fd), conn_(options_.dsn, Channels(options_), SessionSetup(options_)) {
  // After a reconnect notifications may have been missed and leases need
  // renewing at once.
  conn_.set_on_connected([this]() {
    wake_ = true;
    TimePoint now = Clock::now();
    for (auto& [id, a] : active_) a->next_heartbeat = std::min(a->next_heartbeat, now);
  });
}

int Worker::FreeSlots() const {
  return options_.concurrency - static_cast<int>(active_.size()) - answers_pending_;
}

// First SIGTERM/SIGINT: stop claiming and give running handlers --grace
// seconds. A second one ends the grace period at once.
void Worker::HandleSignals(TimePoint now) {
  int n = TakeStopRequests();
  if (n == 0) return;
  if (!stopping_) {
    stopping_ = true;
    stop_deadline_ = now + FromSeconds(options_.grace);
    Log(LogLevel::kInfo, "stop requested: claiming no more tasks; waiting up to " + FormatSeconds(options_.grace, 1) +
                             " s for " + std::to_string(active_.size()) + " running handler(s)");
    if (n == 1) return;
  }
  if (stop_deadline_ > now) {
    stop_deadline_ = now;
    Log(LogLevel::kWarn, "second stop request: ending the grace period now");
  }
}

void Worker::ProcessNotifications() {
  std::vector<std::string> names = conn_.TakeNotifications();
  if (names.empty()) return;
  wake_ = true;
  Log(LogLevel::kDebug, "notified on " + names.front() + (names.size() > 1 ? " (and " + std::to_string(names.size() - 1) + " more)" : ""));
}

// Claims up to the free slots in one round trip, when a notification came,
// the poll interval passed, the previous claim filled every slot, or (--once)
// an answer may have made new work claimable.
void Worker::MaybeClaim(TimePoint now) {
  if (stopping_ || claim_in_flight_ || !conn_.connected() || now < claim_pause_until_) return;
  int free = FreeSlots();
  if (free <= 0) return;
  if (options_.once) {
    if (!once_need_claim_) return;
    once_need_claim_ = false;
  } else {
    if (now >= next_poll_) wake_ = true;
    if (!wake_) return;
    wake_ = false;
  }
  next_poll_ = now + FromSeconds(options_.poll);
  claim_in_flight_ = true;
  Request r;
  r.what = "claim of up to " + std::to_string(free) + " task(s)";
  r.sql = kClaimSql;
  r.params = {options_.name, TextArrayLiteral(options_.queues), std::to_string(free), FormatSeconds(options_.lease, 6)};
  r.done = [this, free](Reply& reply) { OnClaimReply(reply, free, Clock::now()); };
  conn_.Submit(std::move(r));
}

void Worker::OnClaimReply(Reply& reply, int asked, TimePoint now) {
  claim_in_flight_ = false;
  if (reply.status == Reply::Status::kConnectionLost) {
    wake_ = true;
    once_need_claim_ = true;
    return;
  }
  if (reply.status == Reply::Status::kSqlError) {
    Log(LogLevel::kError, "claim failed: " + reply.message + " (SQLSTATE " + reply.sqlstate + ")");
    if (options_.once && !stopping_) {
      stopping_ = true;
      exit_status_ = 1;
      stop_deadline_ = now + FromSeconds(options_.grace);
    }
    return;
  }
  const PGresult* res = reply.result.get();
  int rows = PQntuples(res);
  if (rows >= asked) {
    wake_ = true;
    once_need_claim_ = true;
  }
  if (rows == 0) {
    Log(LogLevel::kDebug, "nothing to claim");
    return;
  }
  std::vector<Task> tasks;
  for (int i = 0; i < rows; ++i) tasks.push_back(TaskFromRow(res, i));
  if (stopping_) {
    // The stop request came while this claim was on its way: give them back.
    for (const Task& t : tasks) {
      Answer a;
      a.kind = Answer::Kind::kHandBack;
      a.task = t;
      SubmitAnswer(std::move(a));
    }
    return;
  }
  if (options_.noop) {
    StartNoopBatch(std::move(tasks));
    return;
  }
  for (const Task& t : tasks) StartTask(t, now);
}

// Resolves the handler and starts it; a handler that cannot be found or
// started fails the task at once and the worker carries on.
void Worker::StartTask(const Task& task, TimePoint now) {
  Log(LogLevel::kInfo, "claimed " + Describe(task) + " run=" + Quote(task.run) + " attempt=" + std::to_string(task.attempt));
  HandlerLookup lookup = handlers_->Find(task.run);
  if (!lookup.ok) {
    SubmitAnswer(FailAnswer(task, lookup.error_type, lookup.message, options_.name, 0));
    return;
  }
  auto active = std::make_unique<Active>();
  active->task = task;
  active->process = std::make_unique<HandlerProcess>();
  std::string error;
  if (!active->process->Start(lookup.path, BuildHandlerInput(task), BuildHandlerEnv(task, options_.name), &error)) {
    if (!active->process->out_of_resources()) {
      SubmitAnswer(FailAnswer(task, "HandlerExecFailed", error, options_.name, 0));
      return;
    }
    // not the task's fault: hand it back, and claim nothing for a while
    Log(LogLevel::kWarn, "cannot start a handler for " + Describe(task) + ": " + error + "; handing it back");
    Answer back;
    back.kind = Answer::Kind::kHandBack;
    back.task = task;
    SubmitAnswer(std::move(back));
    claim_pause_until_ = now + FromSeconds(kResourcePause);
    return;
  }
  active->started = now;
  active->deadline = options_.timeout > 0 ? now + FromSeconds(options_.timeout) : Never();
  active->next_heartbeat = now + FromSeconds(options_.heartbeat);
  Log(LogLevel::kDebug, "started handler " + lookup.path + " pid=" + std::to_string(active->process->pid()) + " for " + Describe(task));
  active_[task.task_id] = std::move(active);
}

// --noop: finish the whole batch in one statement, sessions in a fixed order
// so that concurrent workers lock sessions consistently. If the batch is
// refused (one stale id, a deadlock), finish them one by one instead.
void Worker::StartNoopBatch(std::vector<Task> tasks) {
  std::sort(tasks.begin(), tasks.end(), [](const Task& a, const Task& b) {
    return a.session != b.session ? a.session < b.session : a.task_id < b.task_id;
  });
  std::string ids = "{";
  for (size_t i = 0; i < tasks.size(); ++i) ids += (i ? "," : "") + std::to_string(tasks[i].task_id);
  ids += "}";
  answers_pending_ += static_cast<int>(tasks.size());
  Log(LogLevel::kDebug, "claimed " + std::to_string(tasks.size()) + " task(s) in noop mode");
  Request r;
  r.what = "noop finish of " + std::to_string(tasks.size()) + " task(s)";
  r.sql = kNoopBatchSql;
  r.params = {ids};
  r.keep_on_loss = true;
  auto shared = std::make_shared<std::vector<Task>>(std::move(tasks));
  r.done = [this, shared](Reply& reply) { OnNoopBatchReply(reply, std::move(*shared)); };
  conn_.Submit(std::move(r));
}

void Worker::OnNoopBatchReply(Reply& reply, std::vector<Task> tasks) {
  answers_pending_ -= static_cast<int>(tasks.size());
  once_need_claim_ = true;
  if (reply.status == Reply::Status::kOk) {
    Log(LogLevel::kDebug, "finished " + std::to_string(tasks.size()) + " task(s) in noop mode");
    return;
  }
  Log(LogLevel::kWarn, "noop batch finish failed: " + reply.message + " (SQLSTATE " + reply.sqlstate +
                           "); finishing the tasks one by one");
  for (Task& t : tasks) {
    Answer a;
    a.kind = Answer::Kind::kFinish;
    a.task = std::move(t);
    a.summary = "noop";
    SubmitAnswer(std::move(a));
  }
}

// Kills handlers past --timeout, and at the end of the grace period kills
// every handler still running so its task can be handed back.
void Worker::EnforceDeadlines(TimePoint now) {
  for (auto& [id, a] : active_) {
    if (!a->process->running() || a->timed_out || a->lease_lost || a->handed_back) continue;
    if (now >= a->deadline) {
      Log(LogLevel::kWarn, "timeout: " + Describe(a->task) + " ran longer than " + FormatSeconds(options_.timeout, 1) +
                               " s; killing its process group");
      a->timed_out = true;
      a->process->Kill();
    }
  }
  if (stopping_ && !killed_for_stop_ && now >= stop_deadline_) {
    killed_for_stop_ = true;
    for (auto& [id, a] : active_) {
      if (!a->process->running() || a->timed_out || a->lease_lost) continue;
      Log(LogLevel::kWarn, "grace period over: killing the handler of " + Describe(a->task) + " to hand the task back");
      a->handed_back = true;
      a->process->Kill();
    }
  }
}

// Renews the lease of every running task whose heartbeat is due.
void Worker::SendHeartbeats(TimePoint now) {
  for (auto& [id, a] : active_) {
    if (a->heartbeat_in_flight || a->lease_lost || now < a->next_heartbeat) continue;
    a->heartbeat_in_flight = true;
    Request r;
    r.what = "heartbeat task_id=" + std::to_string(id);
    r.sql = kHeartbeatSql;
    r.params = {std::to_string(id), FormatSeconds(options_.lease, 6)};
    int64_t task_id = id;
    r.done = [this, task_id](Reply& reply) { OnHeartbeatReply(task_id, reply); };
    conn_.SubmitFirst(std::move(r));
  }
  for (auto& [id, next] : answer_leases_) {
    if (now < next || !conn_.connected()) continue;
    next = now + FromSeconds(options_.heartbeat);
    RenewLease(id);
  }
}

// A heartbeat for a task whose answer is waiting to be sent again; its reply
// needs no action (a lost lease shows when the answer is refused).
void Worker::RenewLease(int64_t task_id) {
  Request r;
  r.what = "heartbeat task_id=" + std::to_string(task_id) + " (answer pending)";
  r.sql = kHeartbeatSql;
  r.params = {std::to_string(task_id), FormatSeconds(options_.lease, 6)};
  r.done = [](Reply&) {};
  conn_.SubmitFirst(std::move(r));
}

// false from triggers_heartbeat means the task is no longer ours: another
// worker may be running it, so stop our handler and never answer for it.
void Worker::OnHeartbeatReply(int64_t task_id, Reply& reply) {
  auto it = active_.find(task_id);
  if (it == active_.end()) return;
  Active& a = *it->second;
  a.heartbeat_in_flight = false;
  TimePoint now = Clock::now();
  bool held = true;
  if (reply.status == Reply::Status::kConnectionLost) {
    a.next_heartbeat = now;  // resent as soon as the connection is back
    return;
  }
  if (reply.status == Reply::Status::kSqlError) {
    if (reply.sqlstate == "55000" || reply.sqlstate == "42704") {
      held = false;
    } else {
      Log(LogLevel::kWarn, "heartbeat for " + Describe(a.task) + " failed: " + reply.message + " (SQLSTATE " +
                               reply.sqlstate + ")");
      a.next_heartbeat = now + FromSeconds(options_.heartbeat);
      return;
    }
  } else {
    const PGresult* res = reply.result.get();
    held = PQntuples(res) == 1 && std::strcmp(PQgetvalue(res, 0, 0), "t") == 0;
  }
  if (held) {
    a.next_heartbeat = now + FromSeconds(options_.heartbeat);
    Log(LogLevel::kDebug, "heartbeat " + Describe(a.task));
    return;
  }
  if (!a.process->running()) return;  // already exited: its answer decides
  Log(LogLevel::kWarn, "lease lost: " + Describe(a.task) + " is no longer held by this worker; killing its handler");
  a.lease_lost = true;
  a.process->Kill();
}

// Turns every handler that is done into an answer.
void Worker::ReapHandlers(TimePoint now) {
  for (auto it = active_.begin(); it != active_.end();) {
    Active& a = *it->second;
    a.process->CheckExited(now);
    if (!a.process->Done(now)) { ++it; continue; }
    double duration = ToSeconds(now - a.started);
    Answer answer;
    bool answer_needed = true;
    if (a.lease_lost) {
      Log(LogLevel::kWarn, "dropped " + Describe(a.task) + ": lease lost, not answering");
      answer_needed = false;
    } else if (a.handed_back) {
      answer.kind = Answer::Kind::kHandBack;
      answer.task = a.task;
      answer.duration = duration;
    } else if (a.timed_out) {
      const HandlerOutcome& o = a.process->outcome();
      answer = FailAnswer(a.task, "HandlerTimeout",
                          "handler \"" + a.task.run + "\" ran longer than the " + FormatSeconds(options_.timeout, 1) +
                              " s timeout and was killed with its process group",
                          options_.name, duration, o.err_tail.substr(o.err_tail.size() > HandlerProcess::kStderrTail ? o.err_tail.size() - HandlerProcess::kStderrTail : 0));
    } else {
      answer = AnswerFromOutcome(a.task, a.process->outcome(), options_.name, duration);
    }
    it = active_.erase(it);
    if (answer_needed) SubmitAnswer(std::move(answer));
  }
}

// Answers are kept until the database acknowledges them: a connection lost
// meanwhile keeps them queued and they are sent again (the API makes a
// repeated answer a no-op).
void Worker::SubmitAnswer(Answer answer) {
  ++answers_pending_;
  if (answer.kind != Answer::Kind::kHandBack)
    answer_leases_.emplace(answer.task.task_id, Clock::now() + FromSeconds(options_.heartbeat));
  auto shared = std::make_shared<Answer>(std::move(answer));
  Request r;
  r.keep_on_loss = true;
  const Task& t = shared->task;
  switch (shared->kind) {
    case Answer::Kind::kFinish:
      r.what = "finish of " + Describe(t);
      r.sql = kFinishSql;
      r.params = {std::to_string(t.task_id), shared->payload};
      break;
    case Answer::Kind::kFail:
      r.what = "fail of " + Describe(t);
      r.sql = kFailSql;
      r.params = {std::to_string(t.task_id), shared->payload};
      break;
    case Answer::Kind::kHandBack:
      r.what = "hand-back of " + Describe(t);
      r.sql = kHandBackSql;
      r.params = {std::to_string(t.task_id)};
      break;
  }
  r.done = [this, shared](Reply& reply) { OnAnswerReply(std::move(*shared), reply); };
  conn_.Submit(std::move(r));
}

void Worker::OnAnswerReply(Answer answer, Reply& reply) {
  --answers_pending_;
  answer_leases_.erase(answer.task.task_id);  // back below if it is sent again
  once_need_claim_ = true;
  const Task& t = answer.task;
  if (reply.status == Reply::Status::kOk) {
    const PGresult* res = reply.result.get();
    switch (answer.kind) {
      case Answer::Kind::kFinish: {
        std::string cascaded = PQntuples(res) == 1 && !PQgetisnull(res, 0, 0) ? PQgetvalue(res, 0, 0) : "{}";
        Log(options_.noop ? LogLevel::kDebug : LogLevel::kInfo,
            "finished " + Describe(t) + " in " + FormatSeconds(answer.duration) + " s" +
                (cascaded == "{}" ? std::string() : "; scheduled " + cascaded));
        break;
      }
      case Answer::Kind::kFail:
        Log(LogLevel::kWarn, "failed " + Describe(t) + " after " + FormatSeconds(answer.duration) + " s: " + answer.summary);
        break;
      case Answer::Kind::kHandBack:
        Log(LogLevel::kWarn, "handed back " + Describe(t) + " for delivery to another worker");
        break;
    }
    return;
  }
  if (reply.status == Reply::Status::kConnectionLost) {
    Log(LogLevel::kError, "lost the answer for " + Describe(t) + ": " + reply.message);
    return;
  }
  if (reply.sqlstate == "55000") {
    Log(LogLevel::kWarn, "answer for " + Describe(t) + " refused: " + reply.message +
                             " (the lease was lost; another worker has the task)");
    return;
  }
  if (IsTransientState(reply.sqlstate)) {
    ++answer.tries;
    // its lease stays renewed meanwhile (answer_leases_)
    if (answer.kind != Answer::Kind::kHandBack) answer_leases_.emplace(t.task_id, Clock::now());
    double wait = std::min({kMaxAnswerRetry, options_.heartbeat, 0.25 * std::pow(2.0, answer.tries)});
    Log(LogLevel::kWarn, "answer for " + Describe(t) + " got a transient error: " + reply.message + " (SQLSTATE " +
                             reply.sqlstate + "); retrying in " + FormatSeconds(wait, 2) + " s");
    ++answers_pending_;
    delayed_answers_.emplace_back(Clock::now() + FromSeconds(wait), std::move(answer));
    return;
  }
  if (answer.kind == Answer::Kind::kFinish) {
    // The database refused the result itself (e.g. a \u0000 escape jsonb cannot
    // store): record the task as failed instead of losing it.
    Log(LogLevel::kWarn, "result of " + Describe(t) + " refused by the database: " + reply.message + " (SQLSTATE " +
                             reply.sqlstate + "); failing the task");
    SubmitAnswer(FailAnswer(t, "InvalidOutput",
                            "the database refused the handler's result: " + reply.message + " (SQLSTATE " +
                                reply.sqlstate + ")",
                            options_.name, answer.duration));
    return;
  }
  if (answer.kind == Answer::Kind::kFail && !answer.minimal && reply.sqlstate.rfind("22", 0) == 0) {
    // The database refused something in the error's details: fail with the
    // essentials, or the task would run again and again.
    Log(LogLevel::kWarn, "failure details of " + Describe(t) + " refused by the database: " + reply.message +
                             " (SQLSTATE " + reply.sqlstate + "); failing it without them");
    size_t colon = answer.summary.find(": ");  // the summary is "type: message"
    Answer minimal = FailAnswer(t, answer.summary.substr(0, colon),
                                answer.summary.substr(colon == std::string::npos ? 0 : colon + 2) +
                                    " (details refused by the database: " + reply.message + ")",
                                options_.name, answer.duration);
    minimal.minimal = true;
    SubmitAnswer(std::move(minimal));
    return;
  }
  Log(LogLevel::kError, "could not record the answer for " + Describe(t) + ": " + reply.message + " (SQLSTATE " +
                            reply.sqlstate + "); dropping it");
}

void Worker::SubmitDelayedAnswers(TimePoint now) {
  for (auto it = delayed_answers_.begin(); it != delayed_answers_.end();) {
    if (it->first > now) { ++it; continue; }
    Answer a = std::move(it->second);
    it = delayed_answers_.erase(it);
    --answers_pending_;
    SubmitAnswer(std::move(a));
  }
}

// Decides whether the loop ends: --once with nothing left, or a stop request
// with nothing running and every answer delivered (or given up on).
bool Worker::Finished(TimePoint now, int* exit_status) {
  if (options_.once && !stopping_ && !once_need_claim_ && !claim_in_flight_ && active_.empty() &&
      answers_pending_ == 0) {
    Log(LogLevel::kInfo, "--once: nothing left to claim; exiting");
    *exit_status = exit_status_;
    return true;
  }
  if (!stopping_) return false;
  if (active_.empty() && answers_pending_ == 0 && !claim_in_flight_) {
    Log(LogLevel::kInfo, "stopped");
    *exit_status = exit_status_;
    return true;
  }
  if (active_.empty() && flush_deadline_ == Never()) flush_deadline_ = now + FromSeconds(kFlushSeconds);
  if (now < flush_deadline_) return false;
  for (const Request& r : conn_.TakeQueue())
    if (r.keep_on_loss)
      Log(LogLevel::kError, "giving up on " + r.what + ": not acknowledged within " + FormatSeconds(kFlushSeconds, 0) +
                                " s of stopping (the database unreachable, or the session locked)");
  for (const auto& [when, a] : delayed_answers_)
    Log(LogLevel::kError, "giving up on the answer for " + Describe(a.task));
  *exit_status = answers_pending_ > 0 ? 1 : exit_status_;
  return true;
}

// How long poll() may sleep: until the next deadline, at most one second.
int Worker::PollTimeoutMs(TimePoint now) const {
  TimePoint next = now + FromSeconds(1.0);
  auto consider = [&next](TimePoint t) { if (t < next) next = t; };
  consider(conn_.NextDeadline());
  if (!options_.once && !stopping_ && conn_.connected() && !claim_in_flight_ && FreeSlots() > 0) consider(next_poll_);
  for (const auto& [id, a] : active_) {
    bool killed = a->timed_out || a->lease_lost || a->handed_back;
    if (!killed && a->process->running()) consider(a->deadline);
    consider(a->process->NextDeadline());
    if (conn_.connected() && !a->heartbeat_in_flight && !a->lease_lost) consider(a->next_heartbeat);
  }
  for (const auto& [when, a] : delayed_answers_) consider(when);
  if (conn_.connected())
    for (const auto& [id, renew] : answer_leases_) consider(renew);
  if (stopping_ && !killed_for_stop_) consider(stop_deadline_);
  if (stopping_) consider(flush_deadline_);
  if (next <= now) return 0;
  return static_cast<int>(std::ceil(std::chrono::duration<double, std::milli>(next - now).count()));
}

int Worker::Run() {
  Log(LogLevel::kInfo, "starting worker " + Quote(options_.name) + " queues=" + TextArrayLiteral(options_.queues) +
                           " concurrency=" + std::to_string(options_.concurrency) +
                           (options_.noop ? " mode=noop" : " handlers=" + handlers_->path()) +
                           (options_.once ? " once" : ""));
  std::vector<pollfd> fds;
  while (true) {
    TimePoint now = Clock::now();
    HandleSignals(now);
    ProcessNotifications();
    SubmitDelayedAnswers(now);
    EnforceDeadlines(now);
    if (conn_.connected()) SendHeartbeats(now);
    MaybeClaim(now);
    conn_.Tick(now);
    if (options_.once && !conn_.ever_connected() && conn_.failed_attempts() > 0) {
      Log(LogLevel::kError, "--once: cannot connect to the database; exiting");
      return 1;
    }
    int status = 0;
    if (Finished(now, &status)) return status;

    fds.clear();
    fds.push_back({signal_fd_, POLLIN, 0});
    int conn_index = conn_.AddPollFd(&fds);
    for (auto& [id, a] : active_) a->process->AddPollFds(&fds);
    int rc = poll(fds.data(), fds.size(), PollTimeoutMs(now));
    if (rc < 0 && errno != EINTR) {
      Log(LogLevel::kError, std::string("poll failed: ") + std::strerror(errno));
      return 1;
    }
    now = Clock::now();
    if (rc > 0) {
      if (fds[0].revents != 0) DrainSignalPipe();
      for (auto& [id, a] : active_) a->process->HandlePollResults(fds);
      if (conn_index >= 0) conn_.HandlePoll(fds[static_cast<size_t>(conn_index)].revents, now);
    }
    ReapHandlers(now);
  }
}

}  // namespace triggers::worker
