// run_commands: external commands on the driver that runs tasks — exit statuses, signals, output
// order, lazy input, timeouts, retries, delay, cancel, halt, and the traps of real shells
// (a background grandchild holding the pipe, a missing shell).
#include <doctest/doctest.h>

#include <prun/pool/commands.hpp>
#include <prun/pool/errors.hpp>
#include <prun/pool/observer.hpp>

#include "test_support.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

namespace pp = prun::pool;
using namespace std::chrono_literals;

namespace {

// What a run showed, in the order it showed it: "start i", "out i <stream> <bytes>", "end i",
// "finish i <status> <exit> <signal> <final>".
struct Journal final : pp::RunObserver, pp::CommandOutput {
  std::vector<std::string> events;
  std::map<std::size_t, std::string> out, err;
  std::vector<pp::TaskFinished> finished;
  std::vector<std::int64_t> started_ns;
  int running = 0, most_running = 0;
  std::function<void(std::size_t, int, std::string_view)> on_bytes;  // a test's reaction

  void on_task_started(const pp::TaskStarted& s) override {
    events.push_back("start " + std::to_string(s.index));
    started_ns.push_back(s.t_ns);
    most_running = std::max(most_running, ++running);
  }
  void on_task_finished(const pp::TaskFinished& f) override {
    --running;
    events.push_back("finish " + std::to_string(f.index));
    finished.push_back(f);
    finished.back().tag = {};
    finished.back().error = {};
  }
  void on_output(std::size_t job, int stream, std::string_view bytes) override {
    (stream == 1 ? out : err)[job] += bytes;
    if (on_bytes) on_bytes(job, stream, bytes);
  }
  void on_job_end(std::size_t job) override { events.push_back("end " + std::to_string(job)); }

  const pp::TaskFinished& final_of(std::size_t job) const {
    for (const auto& f : finished)
      if (f.index == job && f.final) return f;
    FAIL("no final outcome for job " << job);
    return finished.front();
  }
};

pp::CommandSource jobs_of(std::vector<std::string> lines) {
  return [lines = std::move(lines)](std::size_t i) -> std::optional<pp::CommandJob> {
    if (i >= lines.size()) return std::nullopt;
    return pp::CommandJob{lines[i], std::to_string(i + 1), std::nullopt};
  };
}

pp::CommandOptions options_for(int n_jobs, const std::shared_ptr<Journal>& journal) {
  pp::CommandOptions o;
  o.options.n_jobs = n_jobs;
  o.options.observer = journal;
  return o;
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

TEST_CASE("commands: exit statuses and signals become outcomes; output ends before the outcome") {
  auto j = std::make_shared<Journal>();
  const std::size_t n = pp::run_commands(
      options_for(2, j), jobs_of({"echo out; echo err >&2", "exit 3", "kill -SEGV $$", "printf 'no newline'"}), *j);
  CHECK(n == 4);
  CHECK(j->out[0] == "out\n");
  CHECK(j->err[0] == "err\n");
  CHECK(j->out[3] == "no newline");
  CHECK(j->final_of(0).status == pp::TaskStatus::ok);
  CHECK(j->final_of(0).exit_code == 0);
  CHECK(j->final_of(1).status == pp::TaskStatus::error);
  CHECK(j->final_of(1).exit_code == 3);
  CHECK(j->final_of(2).status == pp::TaskStatus::crashed);
  CHECK(j->final_of(2).signal == SIGSEGV);
  CHECK(j->final_of(2).exit_code == -1);
  for (std::size_t job = 0; job < n; ++job) {
    const auto end = std::find(j->events.begin(), j->events.end(), "end " + std::to_string(job));
    const auto finish = std::find(j->events.begin(), j->events.end(), "finish " + std::to_string(job));
    CHECK(end < finish);  // every byte of a job comes before its outcome
    CHECK(finish != j->events.end());
  }
  CHECK(j->most_running == 2);
}

TEST_CASE("commands: n_jobs = 1 runs one job at a time, in input order") {
  auto j = std::make_shared<Journal>();
  pp::run_commands(options_for(1, j), jobs_of({"echo 1", "echo 2", "echo 3"}), *j);
  CHECK(j->most_running == 1);
  CHECK(j->events == std::vector<std::string>{"start 0", "end 0", "finish 0", "start 1", "end 1", "finish 1",
                                              "start 2", "end 2", "finish 2"});
}

TEST_CASE("commands: the input is pulled lazily - a job starts before the input's end") {
  // Job 1 is given only once job 0 has run: job 0 writes to a FIFO the source waits on. A runner
  // that read all input first would wait 20 s and give a job that exits 9.
  test::TempDir dir;
  const std::string fifo = dir.file("fifo");
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  const int in = ::open(fifo.c_str(), O_RDWR | O_CLOEXEC);  // never blocks, never sees an end
  REQUIRE(in >= 0);
  auto source = [&](std::size_t i) -> std::optional<pp::CommandJob> {
    if (i == 0) return pp::CommandJob{"echo go > " + fifo, "a", std::nullopt};
    if (i == 1) {
      pollfd p{in, POLLIN, 0};
      return pp::CommandJob{::poll(&p, 1, 20'000) == 1 ? "exit 0" : "exit 9", "b", std::nullopt};
    }
    return std::nullopt;
  };
  auto j = std::make_shared<Journal>();
  CHECK(pp::run_commands(options_for(2, j), source, *j) == 2);
  ::close(in);
  CHECK(j->final_of(1).exit_code == 0);
}

TEST_CASE("commands: a job that ignores SIGTERM is killed after the grace period, and retried") {
  auto j = std::make_shared<Journal>();
  auto o = options_for(2, j);
  o.options.timeout = 1500ms;  // time enough for a loaded machine to start a shell that echoes
  o.options.grace = 200ms;
  o.options.retries = 1;
  const auto t0 = std::chrono::steady_clock::now();
  pp::run_commands(o, jobs_of({"trap '' TERM; echo begun; sleep 30", "echo fine"}), *j);
  CHECK(seconds_since(t0) < 10);
  std::vector<pp::TaskFinished> attempts;
  for (const auto& f : j->finished)
    if (f.index == 0) attempts.push_back(f);
  REQUIRE(attempts.size() == 2);
  CHECK(attempts[0].status == pp::TaskStatus::timed_out);
  CHECK_FALSE(attempts[0].final);
  CHECK(attempts[1].status == pp::TaskStatus::timed_out);
  CHECK(attempts[1].attempt == 2);
  CHECK(attempts[1].final);
  CHECK(j->out[0] == "begun\nbegun\n");  // what it printed before the kill is delivered, each time
  CHECK(j->final_of(1).status == pp::TaskStatus::ok);
}

TEST_CASE("commands: a failed job runs again when retries allow") {
  // The job fails the first time only: it leaves a mark for the second attempt.
  test::TempDir dir;
  const std::string mark = dir.file("mark");
  auto j = std::make_shared<Journal>();
  auto o = options_for(1, j);
  o.options.retries = 2;
  pp::run_commands(o, jobs_of({"if [ -e " + mark + " ]; then echo second; else touch " + mark + "; exit 4; fi"}), *j);
  REQUIRE(j->finished.size() == 2);
  CHECK(j->finished[0].exit_code == 4);
  CHECK_FALSE(j->finished[0].final);
  CHECK(j->finished[1].status == pp::TaskStatus::ok);
  CHECK(j->finished[1].attempt == 2);
  CHECK(j->out[0] == "second\n");
}

TEST_CASE("commands: delay spaces the starts") {
  auto j = std::make_shared<Journal>();
  auto o = options_for(3, j);
  o.delay = 100ms;
  pp::run_commands(o, jobs_of({"true", "true", "true"}), *j);
  REQUIRE(j->started_ns.size() == 3);
  for (std::size_t k = 1; k < 3; ++k) CHECK(j->started_ns[k] - j->started_ns[k - 1] >= 100'000'000);
}

TEST_CASE("commands: cancel stops the running jobs, delivers their output and throws Cancelled") {
  auto j = std::make_shared<Journal>();
  auto o = options_for(2, j);
  pp::CancelToken token;
  o.options.cancel = token;
  o.options.grace = 200ms;
  int started = 0;
  j->on_bytes = [&](std::size_t, int, std::string_view bytes) {
    started += static_cast<int>(std::count(bytes.begin(), bytes.end(), '\n'));
    if (started == 2) token.cancel();
  };
  const auto t0 = std::chrono::steady_clock::now();
  CHECK_THROWS_AS(pp::run_commands(o, jobs_of({"echo $$; exec sleep 30", "echo $$; exec sleep 30", "echo never"}), *j),
                  pp::Cancelled);
  CHECK(seconds_since(t0) < 5);
  CHECK(j->out.count(2) == 0);  // nothing started after the cancel
  for (std::size_t job : {0u, 1u}) {
    const pid_t pid = std::stoi(j->out[job]);
    CHECK(::kill(pid, 0) == -1);  // stopped and reaped
    CHECK(j->final_of(job).status == pp::TaskStatus::cancelled);
  }
}

TEST_CASE("commands: halting lets the running job finish, starts no other, and returns") {
  auto j = std::make_shared<Journal>();
  auto o = options_for(1, j);
  pp::CancelToken token;
  o.options.cancel = token;
  j->on_bytes = [&](std::size_t, int, std::string_view) { token.stop_starting(); };
  pp::run_commands(o, jobs_of({"echo a; echo b", "echo c"}), *j);
  CHECK(j->out[0] == "a\nb\n");
  CHECK(j->final_of(0).status == pp::TaskStatus::ok);
  CHECK(j->out.count(1) == 0);
  CHECK(std::count(j->events.begin(), j->events.end(), "start 1") == 0);
}

TEST_CASE("commands: a background grandchild holding the output pipe does not hold the run") {
  auto j = std::make_shared<Journal>();
  const auto t0 = std::chrono::steady_clock::now();
  pp::run_commands(options_for(1, j), jobs_of({"sleep 30 & echo done", "echo next"}), *j);
  CHECK(seconds_since(t0) < 10);
  CHECK(j->out[0] == "done\n");
  CHECK(j->out[1] == "next\n");
  CHECK(j->final_of(0).status == pp::TaskStatus::ok);
}

TEST_CASE("commands: a shell that does not exist gives exit status 127 and says why") {
  auto j = std::make_shared<Journal>();
  auto o = options_for(1, j);
  o.shell = "/nonexistent/sh";
  pp::run_commands(o, jobs_of({"true"}), *j);
  CHECK(j->final_of(0).exit_code == 127);
  CHECK(j->err[0].find("/nonexistent/sh") != std::string::npos);
}

TEST_CASE("commands: a job holds its stdio and the caller's inheritable descriptors, none of the runner's") {
  // The caller's descriptor without close-on-exec is inherited, as a shell's child would have it;
  // the runner's (its event loop, pipes of other jobs, pidfds) are not.
  const int callers = ::open("/dev/null", O_RDONLY);  // no O_CLOEXEC
  REQUIRE(callers > 2);
  auto j = std::make_shared<Journal>();
  pp::run_commands(options_for(2, j), jobs_of({"ls /proc/$$/fd", "ls /proc/$$/fd"}), *j);  // the shell's
  std::vector<int> inheritable;  // the caller's, as the test runs (its own runner may add some)
  for (int fd : test::open_fds())
    if (fd > 2 && !(::fcntl(fd, F_GETFD) & FD_CLOEXEC)) inheritable.push_back(fd);
  REQUIRE(std::count(inheritable.begin(), inheritable.end(), callers) == 1);
  std::vector<int> expected{0, 1, 2};
  expected.insert(expected.end(), inheritable.begin(), inheritable.end());
  for (std::size_t job : {0u, 1u}) {
    std::vector<int> fds;
    std::istringstream words(j->out[job]);
    for (int fd; words >> fd;) fds.push_back(fd);
    std::sort(fds.begin(), fds.end());
    CHECK(fds == expected);
  }
  ::close(callers);
}
