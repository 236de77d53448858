// Programs started by mpirun: the demo on MPI ranks, and a rank that dies.
#include <doctest/doctest.h>

#include "test_support.hpp"

#include <algorithm>
#include <regex>

namespace {
test::ProcessResult mpirun(int np, std::vector<std::string> program) {
  std::vector<std::string> argv{MPIEXEC, "--oversubscribe", "--allow-run-as-root", "-np", std::to_string(np)};
  argv.insert(argv.end(), program.begin(), program.end());
  return test::run_program(argv);
}
}  // namespace

TEST_CASE("mpirun -np 4 prun --n-jobs 3 --backend mpi prints the seed's lines from the ranks") {
  const test::ProcessResult r = mpirun(4, {PRUN_EXE, "--n-jobs", "3", "--backend", "mpi", "--sleep-ms", "10"});
  CAPTURE(r.err);
  REQUIRE(r.status == 0);
  CHECK(r.out == "Running: n_jobs=3 ...\n['1', '2', '3']\n");
  // Time, then level, process name, pid; the tasks' lines come from the ranks.
  static const std::regex stamp(R"(^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} (\w+) (\S+) (\d+) )");
  std::vector<std::string> lines, names;
  for (const auto& line : test::split_lines(r.err)) {
    std::smatch m;
    REQUIRE(std::regex_search(line, m, stamp));
    names.push_back(m[2]);
    lines.push_back(std::regex_replace(line, stamp, "T $1 P N "));
  }
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
  REQUIRE(lines.size() == want.size());
  std::vector<std::size_t> order(lines.size());
  for (std::size_t k = 0; k < order.size(); ++k) order[k] = k;
  std::stable_sort(order.begin() + 1, order.end() - 1, [&](std::size_t a, std::size_t b) {
    return lines[a].substr(lines[a].find("process=")).substr(0, 10) < lines[b].substr(lines[b].find("process=")).substr(0, 10);
  });
  std::vector<std::string> sorted;
  for (std::size_t k : order) sorted.push_back(lines[k]);
  CHECK(sorted == want);
  CHECK(names.front() == "MainProcess");
  CHECK(names.back() == "MainProcess");
  std::set<std::string> ranks(names.begin() + 1, names.end() - 1);
  for (const auto& n : ranks) CHECK(std::regex_match(n, std::regex(R"(Rank-[123]@\S+)")));
}

TEST_CASE("--backend mpi with more jobs than worker ranks is one line and exit status 1") {
  const test::ProcessResult r = mpirun(2, {PRUN_EXE, "--n-jobs", "3", "--backend", "mpi"});
  CHECK(r.status != 0);
  CHECK(r.err.find("prun: n_jobs = 3 on Backend::mpi, but the job has 1 worker rank (mpirun -np 2)\n") != std::string::npos);
}

TEST_CASE("a rank that dies names its task - and the job ends") {
  for (std::string how : {"segv", "exit"}) {
    CAPTURE(how);
    const test::ProcessResult r = mpirun(2, {CRASH_EXE, how});
    CAPTURE(r.err);
    CHECK(r.status != 0);
    if (how == "exit") CHECK(r.err.find("SIGABRT") == std::string::npos);  // left as asked, nothing torn down
    const std::string says = how == "segv" ? ") died of SIGSEGV while running task 0 (tag 'doomed')"
                                           : ") left: the task called exit(3) while running task 0 (tag 'doomed')";
    CHECK(std::regex_search(r.err, std::regex(R"(prun: Rank-1@\S+ \(pid \d+)" + std::regex_replace(says, std::regex(R"([()])"), R"(\$&)"))));
  }
}
