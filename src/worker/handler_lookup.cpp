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

HandlerDirectory::~HandlerDirectory() {
  if (fd_ >= 0) close(fd_);
}

// Keeps both a directory descriptor (for lookups that cannot be redirected by
// a renamed parent) and the canonical path (for execve and messages).
bool HandlerDirectory::Open(const std::string& dir, std::string* error) {
  char* real = realpath(dir.c_str(), nullptr);
  if (real == nullptr) {
    *error = "handler directory \"" + dir + "\": " + std::strerror(errno);
    return false;
  }
  path_ = real;
  free(real);
  fd_ = open(path_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd_ < 0) {
    *error = "handler directory \"" + dir + "\": " + std::strerror(errno);
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
  struct stat st;
  if (fstatat(fd_, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
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
  if (faccessat(fd_, name.c_str(), X_OK, AT_EACCESS) != 0 || (st.st_mode & 0111) == 0) {
    r.message = "handler \"" + name + "\" in " + path_ + " is not executable";
    return r;
  }
  r.ok = true;
  r.error_type.clear();
  r.path = path_ + "/" + name;
  return r;
}

}  // namespace triggers::worker
