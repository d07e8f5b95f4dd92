// The worker's single database connection, driven by the event loop without
// ever blocking: asynchronous connect, one query in flight at a time,
// LISTEN re-issued after every reconnect, reconnection with backoff.
#pragma once

#include <libpq-fe.h>
#include <poll.h>

#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "clock.hpp"

namespace triggers::worker {

// The outcome of one request.
struct Reply {
  enum class Status { kOk, kSqlError, kConnectionLost } status = Status::kOk;
  std::string sqlstate;  // for kSqlError
  std::string message;   // for kSqlError and kConnectionLost
  std::shared_ptr<PGresult> result;  // for kOk
};

// One parameterised statement and what to do with its reply.
struct Request {
  std::string what;                 // for logs
  std::string sql;
  std::vector<std::string> params;  // all sent as text, never NULL
  bool keep_on_loss = false;        // resend after a reconnect (idempotent answers)
  std::function<void(Reply&)> done;
};

class Connection {
 public:
  // Every new connection LISTENs on `channels` and first runs `setup` (SET
  // statements), before anything queued.
  Connection(std::string dsn, std::vector<std::string> channels, std::vector<std::string> setup = {});
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Queues a request; it is sent when the connection is up and idle.
  void Submit(Request request);
  // Queues a request ahead of everything not yet sent (heartbeats: they must
  // not wait behind answers that wait for locks).
  void SubmitFirst(Request request);

  // Starts a (re)connection when due, enforces the connect timeout and sends
  // the next queued request when idle.
  void Tick(TimePoint now);

  // Appends the socket to wait on, if any; returns its index or -1.
  int AddPollFd(std::vector<pollfd>* fds);

  // Advances the connection after poll() reported activity on the socket.
  void HandlePoll(short revents, TimePoint now);

  // When Tick next has something to do without socket activity.
  TimePoint NextDeadline() const;

  // Channel names notified since the last call.
  std::vector<std::string> TakeNotifications();

  // Drops every queued request (at exit), returning them.
  std::deque<Request> TakeQueue();

  bool connected() const { return state_ == State::kIdle || state_ == State::kBusy; }
  bool ever_connected() const { return ever_connected_; }
  int failed_attempts() const { return failed_attempts_; }
  size_t queued() const { return queue_.size(); }
  void set_on_connected(std::function<void()> f) { on_connected_ = std::move(f); }

 private:
  enum class State { kDisconnected, kConnecting, kIdle, kBusy };

  // Begins a non-blocking connection attempt.
  void StartConnect(TimePoint now);
  // Logs the failure and schedules the next attempt with backoff.
  void ConnectFailed(const std::string& message, TimePoint now);
  // Queues LISTEN for every channel ahead of anything else.
  void Connected(TimePoint now);
  // Drops the connection; keeps the requests that must be resent.
  void Lost(const std::string& message, TimePoint now);
  // Sends the front request when idle.
  void SendNext(TimePoint now);
  // Reads the results of the query in flight, as far as they have arrived.
  void ReadResults(TimePoint now);
  // Delivers the reply of the query in flight to its request.
  void Complete(PGresult* result, TimePoint now);
  // Moves libpq's pending notifications into notifications_.
  void CollectNotifications();

  std::string dsn_;
  std::vector<std::string> channels_;
  std::vector<std::string> setup_;
  PGconn* conn_ = nullptr;
  State state_ = State::kDisconnected;
  PostgresPollingStatusType poll_status_ = PGRES_POLLING_WRITING;
  bool flush_pending_ = false;
  PGresult* first_result_ = nullptr;  // first result of the query in flight
  std::deque<Request> queue_;         // front = in flight when kBusy
  TimePoint retry_at_{};              // next connection attempt
  TimePoint connect_deadline_ = Never();
  double backoff_ = 0;
  bool ever_connected_ = false;
  int failed_attempts_ = 0;
  std::vector<std::string> notifications_;
  std::function<void()> on_connected_;
};

// True for SQLSTATEs meaning the session is gone (class 08, admin shutdown,
// crash shutdown, cannot connect now).
bool IsConnectionLossState(const std::string& sqlstate);

// Quotes an SQL identifier ("a""b") for LISTEN.
std::string QuoteIdentifier(const std::string& name);

}  // namespace triggers::worker
