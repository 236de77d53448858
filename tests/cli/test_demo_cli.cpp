// `prun --n-jobs N`: the seed's demo, and its answers to bad input. The demo is chosen by its
// first argument; whatever standard input holds, it reads none.
#include <doctest/doctest.h>

#include "program.hpp"
#include "test_support.hpp"

#include <algorithm>
#include <regex>

namespace {
// Log lines with time, process name and pid replaced, so runs can be compared.
std::vector<std::string> normalised(const std::string& err) {
  static const std::regex stamp(R"(^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} (\w+) (\S+) (\d+) )");
  std::vector<std::string> out;
  for (const auto& line : test::split_lines(err)) out.push_back(std::regex_replace(line, stamp, "T $1 P N "));
  return out;
}
}  // namespace

TEST_CASE("the demo prints the seed's lines - and n_jobs=1 runs everything in MainProcess") {
  test::ProcessResult one = test::run_program({PRUN_EXE, "--n-jobs", "1", "--sleep-ms", "10"});
  test::ProcessResult three = test::run_program({PRUN_EXE, "--n-jobs", "3", "--sleep-ms", "10"});
  REQUIRE(one.status == 0);
  REQUIRE(three.status == 0);
  CHECK(one.out == "Running: n_jobs=1 ...\n['1', '2', '3']\n");
  CHECK(three.out == "Running: n_jobs=3 ...\n['1', '2', '3']\n");
  const std::vector<std::string> want = {
      "T INFO P N root process=main Starting ...",
      "T DEBUG P N root process=1 Configured logger for process: 1",
      "T DEBUG P N root process=1 Running process: 1 ...",
      "T DEBUG P N root process=1 Done.",
      "T DEBUG P N root process=2 Configured logger for process: 2",
      "T DEBUG P N root process=2 Running process: 2 ...",
      "T DEBUG P N root process=2 Done.",
      "T DEBUG P N root process=3 Configured logger for process: 3",
      "T DEBUG P N root process=3 Running process: 3 ...",
      "T DEBUG P N root process=3 Done.",
      "T INFO P N root process=main Done.",
  };
  CHECK(normalised(one.err) == want);
  auto par = normalised(three.err);
  std::stable_sort(par.begin() + 1, par.end() - 1, [](const std::string& a, const std::string& b) {
    return a.substr(a.find("process=")) .substr(0, 10) < b.substr(b.find("process=")).substr(0, 10);
  });
  CHECK(par == want);
  // Sequentially every line carries MainProcess and the parent's pid; in parallel, workers.
  auto names_and_pids = [](const std::string& err) {
    std::set<std::string> names, pids;
    for (const auto& line : test::split_lines(err)) {
      std::istringstream in(line);
      std::string date, time, level, name, pid;
      in >> date >> time >> level >> name >> pid;
      names.insert(name);
      pids.insert(pid);
    }
    return std::pair{names, pids.size()};
  };
  CHECK(names_and_pids(one.err) == std::pair{std::set<std::string>{"MainProcess"}, std::size_t{1}});
  CHECK(names_and_pids(three.err) ==
        std::pair{std::set<std::string>{"MainProcess", "Worker-1", "Worker-2", "Worker-3"}, std::size_t{4}});
}

TEST_CASE("the demo on spawned workers prints the same lines") {
  test::ProcessResult fork = test::run_program({PRUN_EXE, "--n-jobs", "3", "--sleep-ms", "10"});
  test::ProcessResult spawn = test::run_program({PRUN_EXE, "--n-jobs", "3", "--sleep-ms", "10", "--backend", "spawn"});
  CAPTURE(spawn.err);
  REQUIRE(spawn.status == 0);
  CHECK(spawn.out == fork.out);
  auto sorted = [](const std::string& err) {
    std::vector<std::string> lines = normalised(err);
    std::sort(lines.begin(), lines.end());
    return lines;
  };
  CHECK(sorted(spawn.err) == sorted(fork.err));
}

TEST_CASE("bad input prints one line naming the problem and exits 2 without starting anything") {
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"--n-jobs", "0"}, {"--n-jobs", "abc"}, {"--n-jobs", "2", "--frobnicate"}, {"--sleep-ms", "1"}, {"--n-jobs"},
           {"--n-jobs", "2", "--log-level", "LOUD"}, {"--n-jobs", "2", "--n-tasks", "-1"}, {"--n-jobs", "2", "echo", ":::", "a"},
           {"--n-jobs", "2", "--backend", "cluster"}}) {
    std::vector<std::string> argv{PRUN_EXE};
    argv.insert(argv.end(), args.begin(), args.end());
    test::ProcessResult r = test::run_program(argv);
    CAPTURE(r.err);
    CHECK(r.status == 2);
    CHECK(r.out.empty());
    CHECK(test::split_lines(r.err).size() == 1);
    CHECK(r.err.starts_with("prun: "));
  }
  test::ProcessResult help = test::run_program({PRUN_EXE, "--n-jobs", "2", "--help"});
  CHECK(help.status == 0);
  CHECK(help.out.starts_with("usage: prun --n-jobs N"));
  // prun --help describes both modes and how they are told apart.
  test::ProcessResult both = test::run_program({PRUN_EXE, "--help"});
  CHECK(both.status == 0);
  CHECK(both.out.starts_with("usage: prun [options] COMMAND"));
  CHECK(both.out.find("prun --n-jobs N [--n-tasks K] [--sleep-ms MS] [--log-level LEVEL]   (the demo)") != std::string::npos);
  CHECK(both.out.find("when the first argument is --n-jobs, --n-tasks, --sleep-ms or --log-level") != std::string::npos);
}

TEST_CASE("the demo reads nothing from standard input, whatever it holds") {
  for (const std::string& input : {std::string(), std::string("echo hello\necho world\n")}) {
    test::Program p({PRUN_EXE, "--n-jobs", "2", "--sleep-ms", "1"}, input);
    test::ProcessResult r = p.wait();
    CHECK(r.status == 0);
    CHECK(r.out == "Running: n_jobs=2 ...\n['1', '2', '3']\n");
  }
}

TEST_CASE("failures are one line on stderr with exit status 1 - arguments shown escaped") {
#if !defined(__SANITIZE_ADDRESS__)  // UBSan's vptr check opens a pipe: with none left it reports falsely
  // Too few descriptors for 8 workers: the cause names the limit.
  test::ProcessResult fds = test::run_program({PRUN_EXE, "--n-jobs", "8", "--sleep-ms", "0"}, {{RLIMIT_NOFILE, 16}});
  CAPTURE(fds.err);
  CHECK(fds.status == 1);
  auto lines = test::split_lines(fds.err);
  REQUIRE(!lines.empty());
  CHECK(lines.back().starts_with("prun: "));
  CHECK(lines.back().find("ulimit -n") != std::string::npos);
  CHECK(std::count_if(lines.begin(), lines.end(), [](auto& l) { return l.starts_with("prun: "); }) == 1);
#endif
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)  // they reserve terabytes of address space
  // Too little memory for 2^31 tasks.
  test::ProcessResult big = test::run_program({PRUN_EXE, "--n-jobs", "2", "--n-tasks", "2147483647"},
                                              {{RLIMIT_AS, rlim_t{512} << 20}});
  CAPTURE(big.err);
  CHECK(big.status == 1);
  CHECK(test::split_lines(big.err).back() == "prun: out of memory");
#endif
  // An argument with a newline and an escape character stays on one line.
  test::ProcessResult odd = test::run_program({PRUN_EXE, "--n-jobs", "2", "--weird\n\x1b[31m"});
  CHECK(odd.status == 2);
  CHECK(odd.err == "prun: unknown option '--weird\\n\\x1b[31m' (see prun --help)\n");
}
