// Maps a task's "run" name to a handler executable inside the handler
// directory, refusing any name that could reach outside it.
#pragma once

#include <string>

namespace triggers::worker {

// Why a name did or did not resolve; the error types match triggers_fail's "type".
struct HandlerLookup {
  bool ok = false;
  std::string path;        // absolute path of the executable when ok
  std::string error_type;  // "InvalidHandlerName" or "HandlerNotFound"
  std::string message;     // a sentence for the instance metadata and the log
};

// Checks a name without touching the filesystem: returns "" when acceptable,
// else the reason (empty, too long, '/', '..', leading '.', control character).
std::string CheckHandlerName(const std::string& name);

// The handler directory, resolved once at start (its canonical path).
class HandlerDirectory {
 public:
  // Resolves DIR; false with a message when it is not a readable directory.
  bool Open(const std::string& dir, std::string* error);

  // Finds the handler for a run name: a regular executable file directly in
  // the directory (lstat semantics: a symbolic link is refused).
  HandlerLookup Find(const std::string& name) const;

  const std::string& path() const { return path_; }

 private:
  std::string path_;  // canonical absolute path
};

}  // namespace triggers::worker
