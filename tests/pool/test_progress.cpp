// ProgressObserver: the live bar on a terminal (a pty read through a tiny screen emulator)
// stays below the merged lines and never garbles them; off a terminal there is no bar.
// (Its verbose lines are compared with joblib's by check_joblib_progress.py.)
#include <doctest/doctest.h>

#include <prun/prun.hpp>

#include "test_support.hpp"

#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <map>
#include <regex>
#include <thread>

namespace lg = prun::logging;

namespace {

constexpr int kColumns = 100;
constexpr int kTasks = 40;

// Interprets what a terminal would: printable characters overwrite at the cursor, \r goes to
// the line's start, \n to the next line, ESC [ K erases to the end of the line. Anything else
// (another escape sequence, a line wider than the terminal) is an error.
struct Screen {
  std::vector<std::string> rows{std::string()};
  std::size_t row = 0, col = 0;
  std::vector<std::string> errors;

  void feed(std::string_view s) {
    for (std::size_t i = 0; i < s.size(); ++i) {
      const char c = s[i];
      if (c == '\r') {
        col = 0;
      } else if (c == '\n') {
        if (++row == rows.size()) rows.emplace_back();
      } else if (c == '\x1b') {
        if (s.substr(i, 3) != "\x1b[K") {
          errors.push_back("unexpected escape sequence at byte " + std::to_string(i));
          continue;
        }
        if (rows[row].size() > col) rows[row].resize(col);
        i += 2;
      } else {
        if (col >= static_cast<std::size_t>(kColumns)) errors.push_back("a line wider than the terminal: " + rows[row]);
        if (rows[row].size() <= col) rows[row].resize(col + 1, ' ');
        rows[row][col++] = c;
      }
    }
  }
  // The rows with something on them, trailing blanks removed.
  std::vector<std::string> lines() const {
    std::vector<std::string> out;
    for (std::string r : rows) {
      while (!r.empty() && r.back() == ' ') r.pop_back();
      if (!r.empty()) out.push_back(r);
    }
    return out;
  }
};

// Runs a program of kTasks tasks (each logs a record, prints a line on stdout and one on
// stderr) with a ProgressObserver in a child whose terminal is a pty; returns all it wrote.
std::string run_on_pty(int n_jobs, int verbose) {
  winsize ws{};
  ws.ws_row = 50;
  ws.ws_col = kColumns;
  int master = -1;
  std::cout.flush();  // the child must not write what the test process buffered
  std::fflush(nullptr);
  const pid_t pid = ::forkpty(&master, nullptr, nullptr, &ws);
  REQUIRE(pid >= 0);
  if (pid == 0) {
    lg::basic_config({.level = lg::INFO, .format = "%(message)s", .force = true});
    prun::ProgressOptions p;
    p.verbose = verbose;
    p.refresh = std::chrono::milliseconds(0);  // drawn again after every task
    prun::Options o;
    o.n_jobs = n_jobs;
    o.batch_size = 1;
    o.observer = std::make_shared<prun::ProgressObserver>(p);
    std::vector<prun::Task<int>> tasks;
    for (int k = 0; k < kTasks; ++k)
      tasks.push_back(prun::delayed([](int x) {
                        lg::info("record of task {}", x);
                        std::printf("printed by task %d\n", x);
                        std::fflush(stdout);
                        std::fprintf(stderr, "error line of task %d\n", x);
                        std::this_thread::sleep_for(std::chrono::milliseconds(2));  // a run that lasts a while
                        return x;
                      })(k).with_tag("t" + std::to_string(k)));
    prun::Parallel{o}(tasks);
    lg::info("after the run");
    lg::flush_all_handlers();
    std::fflush(nullptr);
    ::_exit(0);
  }
  std::string out;
  char buf[4096];
  for (;;) {
    pollfd p{master, POLLIN, 0};
    if (::poll(&p, 1, 60'000) <= 0) break;  // the test's timeout is the real limit
    const ssize_t n = ::read(master, buf, sizeof buf);
    if (n > 0) {
      out.append(buf, static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    break;  // EIO: the child is gone and the pty closed
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  ::close(master);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  return out;
}

void check_screen(const std::string& raw, int n_jobs, int verbose) {
  Screen screen;
  screen.feed(raw);
  CHECK_MESSAGE(screen.errors.empty(), screen.errors.front());
  const std::vector<std::string> lines = screen.lines();
  REQUIRE(!lines.empty());
  // Every merged line whole, once, and nothing else but verbose lines and, last, the bar.
  std::map<std::string, int> expected;
  for (int k = 0; k < kTasks; ++k) {
    expected["process=t" + std::to_string(k) + " record of task " + std::to_string(k)] = 0;
    expected["process=t" + std::to_string(k) + " printed by task " + std::to_string(k)] = 0;
    expected["process=t" + std::to_string(k) + " error line of task " + std::to_string(k)] = 0;
  }
  expected["after the run"] = 0;
  const std::regex verbose_line(R"(\[Parallel\(n_jobs=[12]\)\]: (Using backend .*|Done +[0-9]+ out of +[0-9]+ \| elapsed: +[0-9.]+s (remaining: +[0-9.]+s|finished)))");
  const std::regex final_bar(R"(40/40 \[=+\] 100% \| [0-9.]+ tasks/s \| [0-9]+:[0-9][0-9])");
  std::size_t verbose_lines = 0, bars = 0;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const std::string& l = lines[i];
    CAPTURE(l);
    if (auto it = expected.find(l); it != expected.end()) {
      ++it->second;
    } else if (std::regex_match(l, verbose_line)) {
      ++verbose_lines;
    } else if (std::regex_match(l, final_bar)) {
      ++bars;
    } else {
      FAIL_CHECK("a garbled or unexpected line");
    }
  }
  for (const auto& [line, count] : expected) {
    CAPTURE(line);
    CHECK(count == 1);
  }
  CHECK(bars == 1);
  // The bar ends the run's output: below it, only what the program wrote after the run.
  CHECK(std::regex_match(lines[lines.size() - 2], final_bar));
  CHECK(lines.back() == "after the run");
  if (verbose > 0) CHECK(verbose_lines >= 3);
  // It was live: drawn again and again while the lines went by.
  std::size_t draws = 0;
  for (std::size_t at = 0; (at = raw.find("/40 [", at)) != std::string::npos; ++at) ++draws;
  CHECK(draws >= 10);
  CAPTURE(n_jobs);
}

}  // namespace

TEST_CASE("progress bar on a terminal: below every merged line, never garbling one, last at the end") {
  for (int n_jobs : {2, 1}) {
    for (int verbose : {0, 10}) {
      CAPTURE(n_jobs);
      CAPTURE(verbose);
      const std::string raw = run_on_pty(n_jobs, verbose);
      check_screen(raw, n_jobs, verbose);
    }
  }
}

TEST_CASE("progress off a terminal: no bar, only the verbose lines") {
  test::TempDir dir;
  const std::string path = dir.file("err");
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  REQUIRE(fd >= 0);
  prun::ProgressOptions p;
  p.verbose = 100;
  p.fd = fd;
  prun::Options o;
  o.n_jobs = 2;
  o.observer = std::make_shared<prun::ProgressObserver>(p);
  std::vector<prun::Task<int>> tasks;
  for (int k = 0; k < 5; ++k) tasks.push_back(prun::delayed([](int x) { return x; })(k));
  prun::Parallel{o}(tasks);
  ::close(fd);
  const std::vector<std::string> lines = test::split_lines(test::read_file(path));
  CAPTURE(test::read_file(path));
  REQUIRE(lines.size() == 6);  // the backend, tasks 1 to 3 and 5 (joblib skips the last but one), finished
  CHECK(lines[0] == "[Parallel(n_jobs=2)]: Using backend fork with 2 concurrent workers.");
  CHECK(lines[1].starts_with("[Parallel(n_jobs=2)]: Done   1 out of   5 | elapsed: "));
  CHECK(lines[4].starts_with("[Parallel(n_jobs=2)]: Done   5 out of   5 | elapsed: "));
  CHECK(lines[5].starts_with("[Parallel(n_jobs=2)]: Done   5 out of   5 | elapsed: "));
  CHECK(lines[5].ends_with(" finished"));
  CHECK(test::read_file(path).find('\x1b') == std::string::npos);
}

TEST_CASE("progress: a cancelled run says so") {
  test::TempDir dir;
  const std::string path = dir.file("err");
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  REQUIRE(fd >= 0);
  for (int n_jobs : {1, 2}) {
    prun::ProgressOptions p;
    p.verbose = 1;
    p.fd = fd;
    prun::Options o;
    o.n_jobs = n_jobs;
    o.observer = std::make_shared<prun::ProgressObserver>(p);
    prun::CancelToken token;
    token.cancel();
    o.cancel = token;
    std::vector<prun::Task<int>> tasks;
    for (int k = 0; k < 5; ++k) tasks.push_back(prun::delayed([](int x) { return x; })(k));
    CHECK_THROWS_AS(prun::Parallel{o}(tasks), prun::Cancelled);
  }
  ::close(fd);
  const std::vector<std::string> lines = test::split_lines(test::read_file(path));
  CAPTURE(test::read_file(path));
  REQUIRE(lines.size() == 4);
  CHECK(lines[0] == "[Parallel(n_jobs=1)]: Using backend sequential with 1 concurrent workers.");
  CHECK(lines[1].starts_with("[Parallel(n_jobs=1)]: Done   0 out of   5 | elapsed: "));
  CHECK(lines[1].ends_with(" cancelled"));
  CHECK(lines[3].ends_with(" cancelled"));
}
