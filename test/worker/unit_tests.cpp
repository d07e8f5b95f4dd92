// Unit tests of the worker's pure parts and of handler processes, without a
// database: options, handler names, result checking, handler input, process
// spawning with pipes, timeouts (group kill) and SIGPIPE safety.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "handler_lookup.hpp"
#include "handler_process.hpp"
#include "options.hpp"
#include "task.hpp"

namespace tw = triggers::worker;

static int g_passed = 0, g_failed = 0;

// Records one check; prints the failures.
#define CHECK(cond)                                                        \
  do {                                                                     \
    if (cond) { ++g_passed; }                                              \
    else { ++g_failed; std::printf("FAILED %s:%d: %s\n", __FILE__, __LINE__, #cond); } \
  } while (0)

// Parses a command line given as a vector.
static tw::ParsedOptions Parse(std::vector<const char*> args) {
  args.insert(args.begin(), "triggers-worker");
  return tw::ParseOptions(static_cast<int>(args.size()), args.data());
}

static void TestOptions() {
  auto p = Parse({"--handlers", "/tmp"});
  CHECK(p.action == tw::ParsedOptions::Action::kRun);
  CHECK(p.options.queues == std::vector<std::string>{"default"});
  CHECK(p.options.concurrency == 1 && p.options.lease == 300 && p.options.heartbeat == 100);
  CHECK(p.options.timeout == 3600 && p.options.poll == 5 && p.options.grace == 30);
  CHECK(!p.options.name.empty());
  p = Parse({"--handlers=/tmp", "--queue", "a", "--queue=b.c-d_e", "--lease", "1.5", "--poll=0.25", "--once",
             "--name", "w 1", "--timeout", "0", "--concurrency", "8", "--log-level", "debug", "--dsn", "dbname=x"});
  CHECK(p.action == tw::ParsedOptions::Action::kRun);
  CHECK((p.options.queues == std::vector<std::string>{"a", "b.c-d_e"}));
  CHECK(p.options.lease == 1.5 && p.options.heartbeat == 0.5 && p.options.poll == 0.25 && p.options.once);
  CHECK(p.options.name == "w 1" && p.options.timeout == 0 && p.options.concurrency == 8 && p.options.dsn == "dbname=x");
  CHECK(Parse({"--noop"}).action == tw::ParsedOptions::Action::kRun);
  CHECK(Parse({"--help"}).action == tw::ParsedOptions::Action::kExit);
  for (auto bad : std::vector<std::vector<const char*>>{
           {}, {"--handlers"}, {"--handlers", "/tmp", "--lease", "0"}, {"--handlers", "/tmp", "--lease", "nan"},
           {"--handlers", "/tmp", "--lease", "inf"}, {"--handlers", "/tmp", "--heartbeat", "300"},
           {"--handlers", "/tmp", "--queue", ""}, {"--handlers", "/tmp", "--queue", "a b"},
           {"--handlers", "/tmp", "--concurrency", "1.5"}, {"--handlers", "/tmp", "--name", ""},
           {"--handlers", "/tmp", "--name", "a\nb"}, {"--handlers", "/tmp", "-x"}, {"--handlers", "/tmp", "--noop=1"}})
    CHECK(Parse(bad).action == tw::ParsedOptions::Action::kError);
  double s = 0;
  CHECK(tw::ParseSeconds("0.001", &s) && s == 0.001);
  CHECK(!tw::ParseSeconds("-0.5", &s) && !tw::ParseSeconds("1e400", &s) && !tw::ParseSeconds("", &s));
}

static void TestHandlerNames() {
  for (const char* ok : {"app.tasks.ImportSubject", "x", "a-b_c", "name with spaces", "a\\b", "x.", "ü"})
    CHECK(tw::CheckHandlerName(ok).empty());
  for (const char* bad : {"", "..", ".", ".x", "../x", "a/b", "/bin/sh", "a..b", "x/..", "a\tb", "a\x7f"})
    CHECK(!tw::CheckHandlerName(bad).empty());
  CHECK(!tw::CheckHandlerName(std::string(256, 'a')).empty());
}

static void TestResultText() {
  CHECK(tw::CheckResultText("").empty());
  CHECK(tw::CheckResultText(" \n\t").empty());
  CHECK(tw::CheckResultText("{}").empty());
  CHECK(tw::CheckResultText("{\"a\": [1, {\"b\": 12345678901234567890123456789}]}\n").empty());
  for (const char* bad : {"[1]", "1", "\"s\"", "null", "{", "{} {}", "{}x", "hello", "{\"a\": \"\xff\"}"})
    CHECK(!tw::CheckResultText(bad).empty());
  CHECK(!tw::CheckResultText(std::string(200000, '[')).empty());  // no stack overflow
}

static void TestHandlerInput() {
  tw::Task t;
  t.task_id = 7;
  t.session = "s\"1\\";
  t.instance = "t#0";
  t.task = "t";
  t.run = "app.x";
  t.queue = "default";
  t.kwargs = "{\"n\": 12345678901234567890123.5}";
  t.attempt = 2;
  std::string in = tw::BuildHandlerInput(t);
  auto j = nlohmann::json::parse(in);
  CHECK(j["session"] == "s\"1\\" && j["instance"] == "t#0" && j["attempt"] == 2 && j["queue"] == "default");
  CHECK(in.find("12345678901234567890123.5") != std::string::npos);
}

// Writes an executable shell script and returns its path.
static std::string Script(const std::string& dir, const std::string& name, const std::string& body) {
  std::string path = dir + "/" + name;
  std::ofstream(path) << "#!/bin/sh\n" << body << "\n";
  chmod(path.c_str(), 0755);
  return path;
}

// True once PID no longer runs (gone, or a zombie waiting for init), within 10 s.
static bool Gone(int pid) {
  for (int i = 0; i < 200; ++i) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string pid_field, comm, state;
    if (!(stat >> pid_field >> comm >> state) || state == "Z") return true;
    usleep(50000);
  }
  return false;
}

// Drives one handler process until done (or SECONDS pass, then kills it).
static void RunToEnd(tw::HandlerProcess* p, double kill_after) {
  auto start = tw::Clock::now();
  bool killed = false;
  while (!p->Done(tw::Clock::now())) {
    std::vector<pollfd> fds;
    p->AddPollFds(&fds);
    poll(fds.data(), fds.size(), 50);
    p->HandlePollResults(fds);
    p->CheckExited(tw::Clock::now());
    if (!killed && tw::Clock::now() - start > tw::FromSeconds(kill_after)) {
      p->Kill();
      killed = true;
    }
  }
}

static void TestProcesses(const std::string& dir) {
  signal(SIGPIPE, SIG_IGN);
  {  // echo: input reaches stdin, output comes back whole
    tw::HandlerProcess p;
    std::string err;
    CHECK(p.Start(Script(dir, "cat", "cat; echo oops >&2; exit 4"), std::string(300000, 'x'), {"X_TEST=1"}, &err));
    RunToEnd(&p, 30);
    CHECK(p.outcome().exited && p.outcome().exit_status == 4);
    CHECK(p.outcome().out == std::string(300000, 'x'));
    CHECK(p.outcome().err_tail == "oops\n");
  }
  {  // environment and a handler that never reads a large input (SIGPIPE)
    tw::HandlerProcess p;
    std::string err;
    CHECK(p.Start(Script(dir, "noread", "printf '%s' \"$X_TEST\""), std::string(4 << 20, 'y'), {"X_TEST=42"}, &err));
    RunToEnd(&p, 30);
    CHECK(p.outcome().exited && p.outcome().exit_status == 0 && p.outcome().out == "42");
  }
  {  // stderr keeps only a bounded tail
    tw::HandlerProcess p;
    std::string err;
    CHECK(p.Start(Script(dir, "noisy", "head -c 100000 /dev/zero | tr '\\0' 'e' >&2; echo END >&2"), "", {}, &err));
    RunToEnd(&p, 30);
    CHECK(p.outcome().err_total == 100004);
    CHECK(p.outcome().err_tail.size() <= 2 * tw::HandlerProcess::kStderrTail);
    CHECK(p.outcome().err_tail.size() >= 4);
    CHECK(p.outcome().err_tail.substr(p.outcome().err_tail.size() - 4) == "END\n");
  }
  {  // Kill() ends the whole process group, background children included
    tw::HandlerProcess p;
    std::string err;
    std::string pidfile = dir + "/child.pid";
    CHECK(p.Start(Script(dir, "hang", "sleep 300 & echo $! > " + pidfile + "; wait"), "", {}, &err));
    RunToEnd(&p, 1.0);
    CHECK(!p.outcome().exited && p.outcome().signal == SIGKILL);
    int child = 0;
    std::ifstream(pidfile) >> child;
    CHECK(child > 0 && Gone(child));
  }
  {  // exec failure is reported by Start
    tw::HandlerProcess p;
    std::string err;
    std::string path = dir + "/noshebang";
    std::ofstream(path) << "\x7f" << "ELF garbage";
    chmod(path.c_str(), 0755);
    CHECK(!p.Start(path, "", {}, &err) && !err.empty());
  }
  {  // lookup inside a directory
    tw::HandlerDirectory d;
    std::string err;
    CHECK(d.Open(dir, &err));
    CHECK(d.Find("cat").ok);
    symlink((dir + "/cat").c_str(), (dir + "/link").c_str());
    CHECK(!d.Find("link").ok && d.Find("link").error_type == "HandlerNotFound");
    CHECK(!d.Find("../cat").ok && d.Find("../cat").error_type == "InvalidHandlerName");
    CHECK(!d.Find("missing").ok);
  }
}

int main() {
  char tmpl[] = "/tmp/tw-unit.XXXXXX";
  std::string dir = mkdtemp(tmpl);
  TestOptions();
  TestHandlerNames();
  TestResultText();
  TestHandlerInput();
  TestProcesses(dir);
  std::string rm = "rm -rf '" + dir + "'";
  if (std::system(rm.c_str()) != 0) std::printf("could not remove %s\n", dir.c_str());
  std::printf("%d passed, %d failed\n", g_passed, g_failed);
  return g_failed == 0 ? 0 : 1;
}
