// Raw output of tasks: whole lines, right stream, right task, same in every mode.
#include <doctest/doctest.h>

#include <prun/prun.hpp>

#include "test_support.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <iostream>
#include <thread>
#include <map>

namespace lg = prun::logging;

namespace {
struct Captured {
  std::vector<std::string> out, err;
};

template <typename Tasks>
Captured run_captured(prun::Options opts, Tasks& tasks) {
  test::FdCapture out(1), err(2);
  prun::Parallel{opts}(tasks);
  return {test::split_lines(out.text()), test::split_lines(err.text())};
}

prun::Options opts(int n_jobs, bool capture = true) {
  prun::Options o;
  o.n_jobs = n_jobs;
  o.capture_output = capture;
  return o;
}

void noisy(int i) {
  std::printf("printf %d\n", i);
  std::cout << "cout " << i << std::endl;
  std::string raw = "raw fd1 " + std::to_string(i) + "\n";
  (void)!::write(1, raw.data(), raw.size());
  std::fprintf(stderr, "stderr %d\n", i);
  std::printf("partial %d", i);  // no newline: terminated by prun
}
}  // namespace

TEST_CASE("printf - cout - write(1) and stderr come out as whole prefixed lines on the right stream") {
  for (int n_jobs : {1, 2}) {
    CAPTURE(n_jobs);
    test::CleanLogging clean;
    std::vector<prun::Task<void>> tasks;
    for (int i = 0; i < 4; ++i) tasks.push_back(prun::delayed(noisy)(i));
    Captured c = run_captured(opts(n_jobs), tasks);
    std::sort(c.out.begin(), c.out.end());
    std::sort(c.err.begin(), c.err.end());
    std::vector<std::string> want_out, want_err;
    for (int i = 0; i < 4; ++i) {
      const std::string p = "process=" + std::to_string(i + 1) + " ";
      for (const char* what : {"printf ", "cout ", "raw fd1 ", "partial "}) want_out.push_back(p + what + std::to_string(i));
      want_err.push_back(p + "stderr " + std::to_string(i));
    }
    std::sort(want_out.begin(), want_out.end());
    std::sort(want_err.begin(), want_err.end());
    CHECK(c.out == want_out);
    CHECK(c.err == want_err);
  }
}

TEST_CASE("10000 tiny batched tasks each printing their index are attributed exactly") {
  std::vector<prun::Task<int>> tasks;
  for (int i = 0; i < 10000; ++i)
    tasks.push_back(prun::delayed([](int k) { std::printf("%d\n", k); return k; })(i));
  test::CleanLogging clean;
  Captured c = run_captured(opts(2), tasks);
  REQUIRE(c.out.size() == 10000);
  std::vector<char> seen(10000, 0);
  for (const auto& line : c.out) {
    // "process=<k+1> <k>"
    auto space = line.find(' ');
    REQUIRE(line.starts_with("process="));
    int tag = std::stoi(line.substr(8, space - 8));
    int k = std::stoi(line.substr(space + 1));
    CHECK(tag == k + 1);
    seen[static_cast<std::size_t>(k)]++;
  }
  CHECK(std::count(seen.begin(), seen.end(), 1) == 10000);
}

TEST_CASE("a long line is never mixed with another worker's output") {
  std::vector<prun::Task<void>> tasks;
  for (int i = 0; i < 6; ++i)
    tasks.push_back(prun::delayed([](int k) {
      std::string line(200000, static_cast<char>('a' + k));
      for (int rep = 0; rep < 3; ++rep) std::printf("%s\n", line.c_str());
    })(i));
  Captured c = run_captured(opts(3), tasks);
  REQUIRE(c.out.size() == 18);
  for (const auto& line : c.out) {
    auto space = line.find(' ');
    int tag = std::stoi(line.substr(8, space - 8));
    CHECK(line.size() == space + 1 + 200000);
    CHECK(line.find_first_not_of(static_cast<char>('a' + tag - 1), space + 1) == std::string::npos);
  }
}

TEST_CASE("with capture off output passes through untouched") {
  for (int n_jobs : {1, 2}) {
    std::vector<prun::Task<void>> tasks;
    for (int i = 0; i < 2; ++i) tasks.push_back(prun::delayed([](int k) { std::printf("plain %d\n", k); std::fflush(stdout); })(i));
    Captured c = run_captured(opts(n_jobs, false), tasks);
    std::sort(c.out.begin(), c.out.end());
    CHECK(c.out == std::vector<std::string>{"plain 0", "plain 1"});
  }
}

TEST_CASE("a sequential task's records and lines come out in the order it wrote them - records never in its captured output") {
  test::CleanLogging clean;
  // The parent's handler writes to stderr, which the task's capture redirects meanwhile.
  auto h = std::make_shared<lg::StreamHandler>(lg::StreamHandler::Stream::stderr_);
  h->set_formatter(std::make_shared<lg::Formatter>("REC %(message)s"));
  lg::get_logger().add_handler(h);
  std::vector<prun::Task<void>> tasks{prun::delayed([] {
    std::fprintf(stderr, "before\n");
    lg::warning("logged");
    std::fprintf(stderr, "after\n");
  })()};
  Captured c = run_captured(opts(1), tasks);
  CHECK(c.err == std::vector<std::string>{"process=1 before", "REC process=1 logged", "process=1 after"});
}

int print_long_line(int k) {
  // 2.5 MiB and a newline, written in one call: cut into the same pieces on every backend.
  std::string line(5 * (std::size_t{1} << 20) / 2, static_cast<char>('a' + k));
  line.back() = 'Z';
  line += '\n';
  (void)!::write(1, line.data(), line.size());
  return k;
}
PRUN_REGISTER_TASK(print_long_line);

TEST_CASE("a line longer than 1 MiB is cut into the same 1 MiB pieces on every backend") {
  const std::size_t mib = std::size_t{1} << 20;
  for (auto [backend, n_jobs] : {std::pair{prun::Backend::fork, 1}, std::pair{prun::Backend::fork, 2},
                                 std::pair{prun::Backend::spawn, 2}}) {
    CAPTURE(n_jobs);
    CAPTURE(backend == prun::Backend::spawn);
    std::vector<prun::Task<int>> tasks{prun::delayed(print_long_line)(0), prun::delayed(print_long_line)(1)};
    prun::Options o = opts(n_jobs);
    o.backend = backend;
    Captured c = run_captured(o, tasks);
    REQUIRE(c.out.size() == 6);
    std::map<std::string, std::vector<std::size_t>> pieces;  // by prefix: the sizes, in order
    for (const auto& line : c.out) pieces[line.substr(0, line.find(' '))].push_back(line.size() - line.find(' ') - 1);
    for (const auto& [prefix, sizes] : pieces) CHECK(sizes == std::vector<std::size_t>{mib, mib, mib / 2});
    for (const auto& line : c.out)
      if (line.size() - line.find(' ') - 1 == mib / 2) CHECK(line.back() == 'Z');
  }
}

TEST_CASE("a task's printed lines reach the real stream while the task still runs - n_jobs=1 and workers") {
  // The real stdout is a pipe read by a thread here, which creates a file once it has seen the
  // task's first line, prefixed; the task waits (up to 20 s) for that file, then says whether
  // it came. The program printed before the run, as programs do (stdout has its buffer).
  std::printf("before the run\n");
  for (int n_jobs : {1, 2}) {
    CAPTURE(n_jobs);
    test::TempDir dir;
    const std::string marker = dir.file("seen");
    int fds[2];
    REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
    std::fflush(stdout);
    const int saved = ::dup(1);
    ::dup2(fds[1], 1);
    ::close(fds[1]);
    std::string got;
    std::thread reader([&] {
      char buf[256];
      bool told = false;
      for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;) {
        got.append(buf, static_cast<std::size_t>(n));
        if (!told && got.find("process=1 first\n") != std::string::npos) {
          std::ofstream(marker) << "seen";
          told = true;
        }
      }
    });
    std::vector<prun::Task<bool>> tasks{prun::delayed([marker] {
      std::printf("first\n");
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
      bool seen = false;
      while (!(seen = ::access(marker.c_str(), F_OK) == 0) && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(1));  // polling a condition, with a deadline
      std::printf("second\n");
      return seen;
    })()};
    auto result = prun::Parallel{opts(n_jobs)}(tasks);
    std::fflush(stdout);
    ::dup2(saved, 1);
    ::close(saved);
    reader.join();
    ::close(fds[0]);
    CHECK(result == std::vector<bool>{true});
    CHECK(got == "process=1 first\nprocess=1 second\n");
  }
}
