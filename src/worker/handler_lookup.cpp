#include "handler_lookup.hpp"

#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace triggers::worker {

std::string CheckHandlerName(const std::string& name) {
  if (name.empty()) return "the handler name is empty";
  if (name.size() > NAME_MAX) return "the handler name is longer than " + std::to_string(NAME_MAX) + " bytes";
  if (name.find('/') != std::string::npos) return "the handler name contains \"/\"";
  if (name.find("..") != std::string::npos) return "the handler name contains \"..\"";
  if (name[0] == '.') return "the handler name starts with \".\"";
  for (unsigned char c : name)
    if (c < 0x20 || c == 0x7f) return "the handler name contains a control character";
  return "";
}

// Keeps the canonical path: lookups and the exec both go through it, so what
// was checked is what runs (a directory renamed and replaced is looked up anew).
bool HandlerDirectory::Open(const std::string& dir, std::string* error) {
  char* real = realpath(dir.c_str(), nullptr);
  if (real == nullptr) {
    *error = "handler directory \"" + dir + "\": " + std::strerror(errno);
    return false;
  }
  path_ = real;
  free(real);
  struct stat st;
  errno = 0;
  if (stat(path_.c_str(), &st) != 0 || !S_ISDIR(st.st_mode) || access(path_.c_str(), R_OK | X_OK) != 0) {
    *error = "handler directory \"" + dir + "\": " + (errno != 0 ? std::strerror(errno) : "not a directory");
    return false;
  }
  return true;
}

HandlerLookup HandlerDirectory::Find(const std::string& name) const {
  HandlerLookup r;
  std::string problem = CheckHandlerName(name);
  if (!problem.empty()) {
    r.error_type = "InvalidHandlerName";
    r.message = "refused handler name \"" + name + "\": " + problem + "; handlers must be files directly inside the handler directory";
    return r;
  }
  r.error_type = "HandlerNotFound";
  std::string path = path_ + "/" + name;
  struct stat st;
  if (lstat(path.c_str(), &st) != 0) {
    int e = errno;
    r.message = "no handler \"" + name + "\" in " + path_ + (e == ENOENT ? std::string() : ": " + std::string(std::strerror(e)));
    return r;
  }
  if (S_ISLNK(st.st_mode)) {
    r.message = "handler \"" + name + "\" in " + path_ + " is a symbolic link; handlers must be regular files";
    return r;
  }
  if (!S_ISREG(st.st_mode)) {
    r.message = "handler \"" + name + "\" in " + path_ + " is not a regular file";
    return r;
  }
  if (access(path.c_str(), X_OK) != 0 || (st.st_mode & 0111) == 0) {
    r.message = "handler \"" + name + "\" in " + path_ + " is not executable";
    return r;
  }
  r.ok = true;
  r.error_type.clear();
  r.path = path;
  return r;
}

}  // namespace triggers::worker
