#include "connection.hpp"

#include <cstdlib>
#include <random>

#include "log.hpp"

namespace triggers::worker {

namespace {

constexpr double kFirstBackoff = 0.25;
constexpr double kMaxBackoff = 10.0;
constexpr double kConnectTimeout = 15.0;

// libpq error messages end with a newline and may span lines.
std::string Trim(const char* text) {
  std::string s = text != nullptr ? text : "";
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

// Server notices (and the FATAL message a backend sends before a shutdown
// closes an idle connection) go to our log instead of libpq's stderr printer.
void NoticeReceiver(void*, const PGresult* result) {
  const char* severity = PQresultErrorField(result, PG_DIAG_SEVERITY_NONLOCALIZED);
  std::string sev = severity != nullptr ? severity : "";
  LogLevel level = (sev == "FATAL" || sev == "PANIC" || sev == "ERROR" || sev == "WARNING") ? LogLevel::kWarn
                                                                                           : LogLevel::kDebug;
  Log(level, "server said: " + Trim(PQresultErrorMessage(result)));
}

// Random factor in [0.8, 1.2] so that many workers do not reconnect in step.
double Jitter() {
  static std::mt19937 rng{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.8, 1.2)(rng);
}

}  // namespace

bool IsConnectionLossState(const std::string& sqlstate) {
  return sqlstate.rfind("08", 0) == 0 || sqlstate == "57P01" || sqlstate == "57P02" || sqlstate == "57P03";
}

std::string QuoteIdentifier(const std::string& name) {
  std::string q = "\"";
  for (char c : name) {
    if (c == '"') q += '"';
    q += c;
  }
  return q + "\"";
}

Connection::Connection(std::string dsn, std::vector<std::string> channels, std::vector<std::string> setup)
    : dsn_(std::move(dsn)), channels_(std::move(channels)), setup_(std::move(setup)) {}

Connection::~Connection() {
  if (first_result_ != nullptr) PQclear(first_result_);
  if (conn_ != nullptr) PQfinish(conn_);
}

void Connection::Submit(Request request) {
  queue_.push_back(std::move(request));
}

void Connection::SubmitFirst(Request request) {
  // the request in flight stays at the front until its reply arrives
  auto at = queue_.begin();
  if (state_ == State::kBusy && at != queue_.end()) ++at;
  queue_.insert(at, std::move(request));
}

std::deque<Request> Connection::TakeQueue() {
  std::deque<Request> q;
  q.swap(queue_);
  if (state_ == State::kBusy) {
    // The in-flight query's reply no longer has a request; drop the connection.
    PQfinish(conn_);
    conn_ = nullptr;
    state_ = State::kDisconnected;
  }
  return q;
}

// The connection string goes in as "dbname" with expand_dbname so that it may
// be a URI or key=value string, or empty (PG* variables). client_encoding is
// forced to UTF8 because JSON must be UTF-8.
void Connection::StartConnect(TimePoint now) {
  const char* keys[] = {"dbname", "fallback_application_name", "client_encoding", nullptr};
  const char* values[] = {dsn_.c_str(), "triggers-worker", "UTF8", nullptr};
  conn_ = PQconnectStartParams(keys, values, 1);
  if (conn_ == nullptr) {
    ConnectFailed("out of memory", now);
    return;
  }
  if (PQstatus(conn_) == CONNECTION_BAD) {
    ConnectFailed(Trim(PQerrorMessage(conn_)), now);
    return;
  }
  PQsetNoticeReceiver(conn_, NoticeReceiver, nullptr);
  state_ = State::kConnecting;
  poll_status_ = PGRES_POLLING_WRITING;
  connect_deadline_ = now + FromSeconds(kConnectTimeout);
  Log(LogLevel::kDebug, "connecting to the database");
}

void Connection::ConnectFailed(const std::string& message, TimePoint now) {
  if (conn_ != nullptr) PQfinish(conn_);
  conn_ = nullptr;
  state_ = State::kDisconnected;
  ++failed_attempts_;
  backoff_ = backoff_ <= 0 ? kFirstBackoff : std::min(backoff_ * 2, kMaxBackoff);
  double wait = backoff_ * Jitter();
  retry_at_ = now + FromSeconds(wait);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", wait);
  Log(LogLevel::kWarn, "cannot connect to the database: " + message + "; reconnecting in " + buf + " s");
}

// LISTEN goes first on every new connection, ahead of anything queued, so no
// notification sent after this point is missed.
void Connection::Connected(TimePoint now) {
  PQsetnonblocking(conn_, 1);
  state_ = State::kIdle;
  backoff_ = 0;
  connect_deadline_ = Never();
  bool reconnect = ever_connected_;
  ever_connected_ = true;
  failed_attempts_ = 0;
  Log(LogLevel::kInfo, std::string(reconnect ? "reconnected" : "connected") + " to the database (server " +
                           std::to_string(PQserverVersion(conn_)) + ", backend pid " +
                           std::to_string(PQbackendPID(conn_)) + ")");
  for (auto it = channels_.rbegin(); it != channels_.rend(); ++it) {
    Request r;
    r.what = "listen " + *it;
    r.sql = "LISTEN " + QuoteIdentifier(*it);
    r.done = [what = r.what](Reply& reply) {
      if (reply.status == Reply::Status::kSqlError)
        Log(LogLevel::kError, what + " failed: " + reply.message);
    };
    queue_.push_front(std::move(r));
  }
  for (auto it = setup_.rbegin(); it != setup_.rend(); ++it) {
    Request r;
    r.what = *it;
    r.sql = *it;
    r.done = [what = r.what](Reply& reply) {
      if (reply.status == Reply::Status::kSqlError) Log(LogLevel::kWarn, what + " failed: " + reply.message);
    };
    queue_.push_front(std::move(r));
  }
  if (on_connected_) on_connected_();
  SendNext(now);
}

// Requests that must survive (answers) stay queued for the next connection;
// the others are told the connection was lost.
void Connection::Lost(const std::string& message, TimePoint now) {
  if (first_result_ != nullptr) PQclear(first_result_);
  first_result_ = nullptr;
  if (conn_ != nullptr) PQfinish(conn_);
  conn_ = nullptr;
  state_ = State::kDisconnected;
  flush_pending_ = false;
  backoff_ = kFirstBackoff;
  double wait = backoff_ * Jitter();
  retry_at_ = now + FromSeconds(wait);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", wait);
  Log(LogLevel::kWarn, "connection lost: " + message + "; reconnecting in " + buf + " s");
  std::deque<Request> kept, dropped;
  for (Request& r : queue_) (r.keep_on_loss ? kept : dropped).push_back(std::move(r));
  queue_.swap(kept);
  for (Request& r : dropped) {
    Reply reply;
    reply.status = Reply::Status::kConnectionLost;
    reply.message = message;
    if (r.done) r.done(reply);
  }
}

void Connection::Tick(TimePoint now) {
  if (state_ == State::kDisconnected && now >= retry_at_) StartConnect(now);
  if (state_ == State::kConnecting && now >= connect_deadline_) ConnectFailed("timed out", now);
  if (state_ == State::kIdle) SendNext(now);
}

void Connection::SendNext(TimePoint now) {
  if (state_ != State::kIdle || queue_.empty()) return;
  const Request& r = queue_.front();
  std::vector<const char*> values;
  for (const std::string& p : r.params) values.push_back(p.c_str());
  Log(LogLevel::kDebug, "sending " + r.what);
  if (!PQsendQueryParams(conn_, r.sql.c_str(), static_cast<int>(values.size()), nullptr, values.data(), nullptr,
                         nullptr, 0)) {
    Lost(Trim(PQerrorMessage(conn_)), now);
    return;
  }
  state_ = State::kBusy;
  int f = PQflush(conn_);
  if (f < 0) { Lost(Trim(PQerrorMessage(conn_)), now); return; }
  flush_pending_ = f == 1;
}

int Connection::AddPollFd(std::vector<pollfd>* fds) {
  if (conn_ == nullptr || state_ == State::kDisconnected) return -1;
  int fd = PQsocket(conn_);
  if (fd < 0) return -1;
  short events = POLLIN;
  if (state_ == State::kConnecting) events = poll_status_ == PGRES_POLLING_READING ? POLLIN : POLLOUT;
  else if (flush_pending_) events |= POLLOUT;
  fds->push_back({fd, events, 0});
  return static_cast<int>(fds->size()) - 1;
}

void Connection::HandlePoll(short revents, TimePoint now) {
  if (revents == 0 || conn_ == nullptr) return;
  if (state_ == State::kConnecting) {
    poll_status_ = PQconnectPoll(conn_);
    if (poll_status_ == PGRES_POLLING_OK) Connected(now);
    else if (poll_status_ == PGRES_POLLING_FAILED) ConnectFailed(Trim(PQerrorMessage(conn_)), now);
    return;
  }
  if (flush_pending_ && (revents & POLLOUT)) {
    int f = PQflush(conn_);
    if (f < 0) { Lost(Trim(PQerrorMessage(conn_)), now); return; }
    flush_pending_ = f == 1;
  }
  if (revents & (POLLIN | POLLHUP | POLLERR)) {
    if (!PQconsumeInput(conn_)) {
      Lost(Trim(PQerrorMessage(conn_)), now);
      return;
    }
    CollectNotifications();
    if (state_ == State::kBusy) ReadResults(now);
    if (conn_ != nullptr) CollectNotifications();  // any parsed while reading results
    if (conn_ != nullptr && PQstatus(conn_) == CONNECTION_BAD) Lost(Trim(PQerrorMessage(conn_)), now);
  }
}

// Collects results until libpq says the query is complete (PQgetResult
// returns NULL); only the first result matters for our single statements.
void Connection::ReadResults(TimePoint now) {
  while (conn_ != nullptr && state_ == State::kBusy && !PQisBusy(conn_)) {
    PGresult* res = PQgetResult(conn_);
    if (res == nullptr) {
      PGresult* first = first_result_;
      first_result_ = nullptr;
      Complete(first, now);
      return;
    }
    if (first_result_ == nullptr) first_result_ = res;
    else PQclear(res);
  }
}

// Hands the reply to the request's callback. An error that means the session
// died is treated as a lost connection, so that answers are sent again.
void Connection::Complete(PGresult* result, TimePoint now) {
  Reply reply;
  ExecStatusType st = result != nullptr ? PQresultStatus(result) : PGRES_FATAL_ERROR;
  if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK) {
    reply.status = Reply::Status::kOk;
    reply.result.reset(result, PQclear);
  } else {
    std::string sqlstate;
    std::string message = "no result";
    if (result != nullptr) {
      const char* s = PQresultErrorField(result, PG_DIAG_SQLSTATE);
      sqlstate = s != nullptr ? s : "";
      const char* m = PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY);
      message = m != nullptr ? m : Trim(PQresultErrorMessage(result));
      PQclear(result);
    }
    if (result == nullptr || sqlstate.empty() || IsConnectionLossState(sqlstate) || PQstatus(conn_) == CONNECTION_BAD) {
      std::string why = message;
      if (conn_ != nullptr && PQstatus(conn_) == CONNECTION_BAD) why = Trim(PQerrorMessage(conn_));
      Lost(why.empty() ? message : why, now);
      return;
    }
    reply.status = Reply::Status::kSqlError;
    reply.sqlstate = sqlstate;
    reply.message = message;
  }
  Request r = std::move(queue_.front());
  queue_.pop_front();
  state_ = State::kIdle;
  if (r.done) r.done(reply);
  SendNext(now);
}

void Connection::CollectNotifications() {
  while (PGnotify* n = PQnotifies(conn_)) {
    notifications_.push_back(n->relname);
    PQfreemem(n);
  }
}

std::vector<std::string> Connection::TakeNotifications() {
  std::vector<std::string> out;
  out.swap(notifications_);
  return out;
}

TimePoint Connection::NextDeadline() const {
  if (state_ == State::kDisconnected) return retry_at_;
  if (state_ == State::kConnecting) return connect_deadline_;
  return Never();
}

}  // namespace triggers::worker
