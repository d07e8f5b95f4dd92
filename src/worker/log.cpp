#include "log.hpp"

#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <nlohmann/json.hpp>

namespace triggers::worker {

namespace {

LogLevel g_level = LogLevel::kInfo;

// The lower-case name printed for a level.
const char* LevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug: return "debug";
    case LogLevel::kInfo: return "info";
    case LogLevel::kWarn: return "warn";
    case LogLevel::kError: return "error";
  }
  return "?";
}

}  // namespace

// Accepts the four documented level names.
bool ParseLogLevel(const std::string& text, LogLevel* out) {
  if (text == "debug") { *out = LogLevel::kDebug; return true; }
  if (text == "info") { *out = LogLevel::kInfo; return true; }
  if (text == "warn" || text == "warning") { *out = LogLevel::kWarn; return true; }
  if (text == "error") { *out = LogLevel::kError; return true; }
  return false;
}

void SetLogLevel(LogLevel level) { g_level = level; }

bool LogEnabled(LogLevel level) { return static_cast<int>(level) >= static_cast<int>(g_level); }

// Writes the whole line with a single write() so concurrent writers
// (several workers sharing a terminal or file) do not interleave lines.
void Log(LogLevel level, const std::string& message) {
  if (!LogEnabled(level)) return;
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  struct tm tm;
  gmtime_r(&ts.tv_sec, &tm);
  char stamp[64];
  std::snprintf(stamp, sizeof stamp, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000);
  std::string line = stamp;
  line += " triggers-worker[" + std::to_string(getpid()) + "] ";
  line += LevelName(level);
  line += ": ";
  for (char c : message) line += (c == '\n' || c == '\r') ? ' ' : c;
  while (!line.empty() && line.back() == ' ') line.pop_back();
  line += '\n';
  size_t off = 0;
  while (off < line.size()) {
    ssize_t n = write(STDERR_FILENO, line.data() + off, line.size() - off);
    if (n <= 0) break;
    off += static_cast<size_t>(n);
  }
}

// JSON string quoting; invalid UTF-8 is replaced rather than throwing.
std::string Quote(const std::string& value) {
  return nlohmann::json(value).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace triggers::worker
