// Logging on standard error, one line per event, filtered by level.
#pragma once

#include <string>

namespace triggers::worker {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

// Parses "debug", "info", "warn" or "error"; false for anything else.
bool ParseLogLevel(const std::string& text, LogLevel* out);

// Sets the lowest level that is printed.
void SetLogLevel(LogLevel level);

// True when a message of this level would be printed (to skip building it).
bool LogEnabled(LogLevel level);

// Prints one line: timestamp, pid, level, message (newlines flattened).
void Log(LogLevel level, const std::string& message);

// Quotes a value as a JSON string so log lines stay parseable.
std::string Quote(const std::string& value);

}  // namespace triggers::worker
