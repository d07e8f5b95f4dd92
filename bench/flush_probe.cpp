// flush_probe — what one commit's flush costs on this disk, outside PostgreSQL.
//
//   flush_probe --dir DIR [--n 300] [--bytes 8192]
//
// Writes a 16 MB file in DIR (as a WAL segment is, preallocated and synced),
// then --n times overwrites the next --bytes of it and calls fdatasync, as a
// backend's commit does with its WAL page.  Prints one JSON line: p50 and p90
// of the write + fdatasync time in µs.  The file is removed at the end.
//
// Why: with synchronous commit every rate of the benchmark is bounded by this
// flush, and on a shared VM it drifts from one run to the next; the report
// prints it at the start and end of each run so ratios can be read against it.
// (Measured 2026-11-28 on this class of machine: 166-179 µs whether a flush
// carries 300 B or 20 kB, so the WAL volume of a commit hardly matters here.)
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

constexpr long kFileBytes = 16L << 20;

[[noreturn]] void Fail(const char* what, const std::string& path) {
  std::fprintf(stderr, "flush_probe: %s %s: %s\n", what, path.c_str(), std::strerror(errno));
  std::exit(1);
}

[[noreturn]] void Usage() {
  std::fprintf(stderr, "usage: flush_probe --dir DIR [--n N] [--bytes B]\n");
  std::exit(2);
}

struct Options {
  std::string dir;
  int n = 300;
  long bytes = 8192;
};

Options Parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    if (flag == "--dir") o.dir = argv[i + 1];
    else if (flag == "--n") o.n = std::atoi(argv[i + 1]);
    else if (flag == "--bytes") o.bytes = std::atol(argv[i + 1]);
    else Usage();
  }
  if (argc % 2 == 0 || o.dir.empty() || o.n < 1 || o.bytes < 1 || o.bytes > kFileBytes) Usage();
  return o;
}

double Percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v[static_cast<size_t>(p * (v.size() - 1))];
}

}  // namespace

int main(int argc, char** argv) {
  Options o = Parse(argc, argv);
  std::string path = o.dir + "/flush_probe.dat";
  int fd = open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) Fail("cannot create", path);
  std::vector<char> buf(kFileBytes, 1);
  if (pwrite(fd, buf.data(), kFileBytes, 0) != kFileBytes || fsync(fd) != 0) Fail("cannot fill", path);
  std::vector<double> us;
  us.reserve(o.n);
  long offset = 0;
  for (int i = 0; i < o.n; ++i) {
    if (offset + o.bytes > kFileBytes) offset = 0;
    auto t0 = std::chrono::steady_clock::now();
    if (pwrite(fd, buf.data(), o.bytes, offset) != o.bytes || fdatasync(fd) != 0) Fail("cannot write", path);
    us.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count());
    offset += o.bytes;
  }
  close(fd);
  unlink(path.c_str());
  std::printf("{\"n\": %d, \"bytes\": %ld, \"p50_us\": %.0f, \"p90_us\": %.0f}\n", o.n, o.bytes, Percentile(us, 0.5),
              Percentile(us, 0.9));
  return 0;
}
