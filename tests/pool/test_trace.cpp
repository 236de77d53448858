// TraceObserver: the files it writes are read back by tests/support/check_trace.py (json.load,
// counts, named tracks, no overlapping slices on a track), on every backend.
#include <doctest/doctest.h>

#include <prun/prun.hpp>

#include "test_support.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>

namespace lg = prun::logging;

namespace {

int traced(int k) {
  lg::info("traced {}", k);
  return k * 2;
}
PRUN_REGISTER_TASK(traced);

// Crashes its worker on the first attempt (the marker file does not exist yet), then succeeds.
int crash_once(std::string marker) {
  if (::access(marker.c_str(), F_OK) != 0) {
    std::ofstream(marker) << "tried";
    std::raise(SIGKILL);
  }
  return 1;
}
PRUN_REGISTER_TASK(crash_once);

// check_trace.py's verdict on `files`; the check passes when it prints "ok".
void check_trace(const std::vector<std::string>& files, const std::vector<std::string>& checks) {
  std::vector<std::string> args{PRUN_PYTHON3, PRUN_CHECK_TRACE};
  args.insert(args.end(), checks.begin(), checks.end());
  args.insert(args.end(), files.begin(), files.end());
  test::ProcessResult r = test::run_program(args);
  INFO(r.out, r.err);
  CHECK(r.status == 0);
}

std::shared_ptr<prun::TraceObserver> trace_to(const std::string& path, bool records = false,
                                             std::size_t max_events = 1'000'000) {
  return std::make_shared<prun::TraceObserver>(
      prun::TraceOptions{.path = path, .records = records, .max_events = max_events});
}

struct QuietRoot {
  // Records reach the parent's handlers: none here, so the test's output stays clean.
  QuietRoot() {
    lg::get_logger().set_handlers({std::make_shared<lg::NullHandler>()});
    lg::get_logger().set_level(lg::INFO);
  }
  ~QuietRoot() { lg::get_logger().set_handlers({}); }
};

std::vector<prun::Task<int>> traced_tasks(int n) {
  std::vector<prun::Task<int>> tasks;
  for (int k = 0; k < n; ++k) tasks.push_back(prun::delayed(traced)(k).with_tag("t" + std::to_string(k)));
  return tasks;
}

}  // namespace

TEST_CASE("trace: one slice per task on named worker tracks, records as instant events, on every backend") {
  QuietRoot quiet;
  test::TempDir dir;
  struct Case {
    const char* name;
    int n_jobs;
    prun::Backend backend;
    const char* track;
  };
  for (const Case& c : {Case{"fork", 2, prun::Backend::fork, "worker [12] \\(pid [0-9]+\\)"},
                        Case{"spawn", 2, prun::Backend::spawn, "worker [12] \\(pid [0-9]+\\)"},
                        Case{"sequential", 1, prun::Backend::fork, "main process \\(pid [0-9]+\\)"}}) {
    CAPTURE(c.name);
    const std::string path = dir.file(std::string(c.name) + ".json");
    auto trace = trace_to(path, /*records=*/true);
    prun::Options o;
    o.n_jobs = c.n_jobs;
    o.backend = c.backend;
    o.observer = trace;
    o.batch_size = 1;  // both workers get tasks
    const auto results = prun::Parallel{o}(traced_tasks(40));
    REQUIRE(results.size() == 40);
    CHECK(trace->files() == std::vector<std::string>{path});
    CHECK(!trace->error());
    check_trace({path}, {"--x", "40", "--records", "40", "--runs", "1", "--status", "ok=40", "--tracks-min",
                         c.n_jobs == 1 ? "1" : "2", "--track-name", c.track});
  }
}

TEST_CASE("trace: without records wanted, no log events; the file is valid before any run and after the observer") {
  QuietRoot quiet;
  test::TempDir dir;
  const std::string path = dir.file("t.json");
  {
    auto trace = trace_to(path);
    check_trace({path}, {"--x", "0", "--runs", "0"});  // valid as soon as it exists
    prun::Options o;
    o.n_jobs = 2;
    o.observer = trace;
    prun::Parallel{o}(traced_tasks(5));
    check_trace({path}, {"--x", "5", "--records", "0", "--runs", "1"});
    // A second run continues the same file.
    prun::Parallel{o}(traced_tasks(3));
    check_trace({path}, {"--x", "8", "--runs", "2"});
  }
  check_trace({path}, {"--x", "8", "--runs", "2"});
}

TEST_CASE("trace: a crashed attempt and its retry are two slices, the replaced worker a new track") {
  QuietRoot quiet;
  test::TempDir dir;
  const std::string path = dir.file("t.json");
  auto trace = trace_to(path);
  prun::Options o;
  o.n_jobs = 2;
  o.retries = 1;
  o.observer = trace;
  std::vector<prun::Task<int>> tasks;
  for (int k = 0; k < 6; ++k) tasks.push_back(prun::delayed(traced)(k));
  tasks.push_back(prun::delayed(crash_once)(dir.file("marker")).with_tag("flaky"));
  const auto results = prun::Parallel{o}(tasks);
  CHECK(results.back() == 1);
  // Two workers at the start and the one that replaced the crashed worker.
  check_trace({path}, {"--x", "8", "--status", "crashed=1", "--status", "ok=7", "--tracks-min", "2"});
  const std::string text = test::read_file(path);
  CHECK(text.find("worker replaced: crashed") != std::string::npos);
  CHECK(text.find("\"runs_again\":true") != std::string::npos);
}

TEST_CASE("trace: a run that throws or is cancelled still leaves a valid file") {
  QuietRoot quiet;
  test::TempDir dir;
  for (int n_jobs : {1, 2}) {
    CAPTURE(n_jobs);
    const std::string path = dir.file("fail" + std::to_string(n_jobs) + ".json");
    auto trace = trace_to(path);
    prun::Options o;
    o.n_jobs = n_jobs;
    o.observer = trace;
    std::vector<prun::Task<int>> tasks{prun::delayed(traced)(1), prun::delayed([]() -> int {
                                                                   throw std::runtime_error("no");
                                                                 })().with_tag("thrower")};
    CHECK_THROWS_AS(prun::Parallel{o}(tasks), prun::TaskError);
    check_trace({path}, {"--status", "error=1", "--runs", "1"});
    CHECK(test::read_file(path).find("std::runtime_error: no") != std::string::npos);

    const std::string cancelled = dir.file("cancel" + std::to_string(n_jobs) + ".json");
    auto trace2 = trace_to(cancelled);
    o.observer = trace2;
    prun::CancelToken token;
    o.cancel = token;
    token.cancel();
    CHECK_THROWS_AS(prun::Parallel{o}(traced_tasks(4)), prun::Cancelled);
    check_trace({cancelled}, {"--runs", "1"});
  }
}

TEST_CASE("trace: past max_events the trace goes on in numbered files, each valid, none lost") {
  QuietRoot quiet;
  test::TempDir dir;
  const std::string path = dir.file("big.json");
  auto trace = trace_to(path, /*records=*/true, /*max_events=*/100);
  prun::Options o;
  o.n_jobs = 2;
  o.observer = trace;
  prun::Parallel{o}(traced_tasks(300));
  const auto files = trace->files();
  REQUIRE(files.size() >= 6);  // 600 events and more, 100 a file
  CHECK(files[0] == path);
  CHECK(files[1] == dir.file("big.2.json"));
  for (const auto& f : files) check_trace({f}, {});
  check_trace(files, {"--x", "300", "--records", "300", "--runs", "1"});
}

TEST_CASE("trace: Ctrl-C at n_jobs=1 ends the program during a task, and the file is still whole") {
  test::TempDir dir;
  const std::string path = dir.file("int.json");
  std::fflush(nullptr);
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::signal(SIGINT, SIG_DFL);  // as a shell starts a program
    lg::get_logger().set_handlers({});
    prun::Options o;
    o.n_jobs = 1;
    o.observer = trace_to(path);
    std::vector<prun::Task<int>> tasks{prun::delayed([] { return 1; })(), prun::delayed([] {
                                                                          std::printf("interrupted\n");
                                                                          ::kill(::getpid(), SIGINT);
                                                                          for (;;) ::pause();
                                                                          return 2;
                                                                        })()};
    prun::Parallel{o}(tasks);
    ::_exit(0);  // not reached: the signal ends the program
  }
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  REQUIRE(WIFSIGNALED(status));
  CHECK(WTERMSIG(status) == SIGINT);
  check_trace({path}, {"--x", "1", "--status", "ok=1", "--runs", "0"});
}

TEST_CASE("trace: any tag, error or message gives valid JSON (quotes, control bytes, bytes that are not UTF-8)") {
  QuietRoot quiet;
  test::TempDir dir;
  const std::string path = dir.file("odd.json");
  prun::Options o;
  o.n_jobs = 2;
  o.on_error = prun::ErrorPolicy::collect;
  o.observer = trace_to(path, /*records=*/true);
  const std::string odd = "q\"b\\s\n\t\x01\x7f \xff\xc3( \xe2\x82 caf\xc3\xa9";
  std::vector<prun::Task<int>> tasks{prun::delayed([odd] {
                                       lg::info("{}", odd);
                                       throw std::runtime_error(odd);
                                       return 0;
                                     })()
                                         .with_tag(odd),
                                     prun::delayed(traced)(1).with_tag(odd + "2")};
  prun::Parallel{o}.outcomes(tasks);
  check_trace({path}, {"--x", "2", "--records", "2", "--status", "error=1"});
  CHECK(test::read_file(path).find("caf\xc3\xa9") != std::string::npos);  // valid UTF-8 kept as it is
}

TEST_CASE("trace: an unwritable path throws when the observer is made") {
  CHECK_THROWS_AS(prun::TraceObserver(prun::TraceOptions{.path = "/nonexistent-dir/t.json"}), std::system_error);
}
