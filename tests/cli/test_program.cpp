// The prun program end to end, on the real engine: what GNU parallel has no counterpart for
// (Ctrl-C, --log of a killed job, slots as the engine sees them, lazy standard input,
// progress, the trace), and what must not hang (a reader that goes away).
#include <doctest/doctest.h>

#include "program.hpp"
#include "test_support.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <regex>

namespace {
std::vector<std::string> lines_of(const std::string& text) { return test::split_lines(text); }

// The processes of group `pgid` that are not zombies. A job's child killed with its group is
// a zombie until the machine's init reaps it, which may take a while (or never, in a container).
std::vector<int> live_members(int pgid) {
  std::vector<int> live;
  for (const auto& e : std::filesystem::directory_iterator("/proc")) {
    const std::string name = e.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream in(e.path() / "stat");
    std::string stat;
    if (!std::getline(in, stat)) continue;
    const auto close = stat.rfind(')');  // fields after the command: state ppid pgrp ...
    if (close == std::string::npos) continue;
    std::istringstream fields(stat.substr(close + 2));
    char state = 0;
    int ppid = 0, group = 0;
    fields >> state >> ppid >> group;
    if (group == pgid && state != 'Z') live.push_back(std::stoi(name));
  }
  return live;
}
}  // namespace

TEST_CASE("Ctrl-C: running jobs are killed with their process groups, output and joblog are complete, exit 130") {
  test::TempDir dir;
  const std::string fifo = dir.file("ready");
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  // Each job prints its process group, then says it runs (through the FIFO) and sleeps; its
  // sleep is a child in the same group. Job 1 ends at once; -j2: job 3 starts only once job 1
  // is over (its output printed, its joblog line written), so both sleepers running means it is.
  const std::string job = "echo pgid $(ps -o pgid= $$); if [ {} != 0 ]; then echo > " + fifo + "; sleep {}; fi; echo end {}";
  test::Program prun({PRUN_EXE, "-j2", "--joblog", dir.file("log"), job, ":::", "0", "30", "31"});
  {
    // Both sleepers are running once two lines came. Opened for reading and writing: the FIFO
    // does not end when the first job has closed it before the second opened it.
    const int ready = ::open(fifo.c_str(), O_RDWR | O_CLOEXEC);
    REQUIRE(ready >= 0);
    int lines = 0;
    while (lines < 2) {
      pollfd p{ready, POLLIN, 0};
      REQUIRE(::poll(&p, 1, 30'000) == 1);
      char buf[64];
      const ssize_t n = ::read(ready, buf, sizeof buf);
      REQUIRE(n > 0);
      lines += static_cast<int>(std::count(buf, buf + n, '\n'));
    }
    ::close(ready);
  }
  prun.signal(SIGINT);
  test::ProcessResult r = prun.wait();
  CHECK(r.status == 130);
  auto out = lines_of(r.out);
  CAPTURE(r.out);
  CAPTURE(r.err);
  // Job 1's whole output, and the first line of each killed job, grouped.
  REQUIRE(out.size() == 4);
  CHECK(std::count_if(out.begin(), out.end(), [](auto& l) { return l.starts_with("pgid "); }) == 3);
  CHECK(std::count(out.begin(), out.end(), "end 0") == 1);
  // The joblog has the job that finished (and nothing half-written).
  auto log = lines_of(test::read_file(dir.file("log")));
  REQUIRE(log.size() == 2);
  std::vector<std::string> cols;
  std::stringstream columns(log[1]);
  for (std::string c; std::getline(columns, c, '\t');) cols.push_back(c);
  REQUIRE(cols.size() == 9);
  CHECK(cols[0] == "1");  // Seq
  CHECK(cols[6] == "0");  // Exitval
  CHECK(cols[7] == "0");  // Signal
  // No process of any job is left.
  for (const auto& l : out) {
    if (!l.starts_with("pgid ")) continue;
    const int pgid = std::stoi(l.substr(5));
    CAPTURE(pgid);
    CHECK(live_members(pgid).empty());
  }
}

TEST_CASE("a job killed by a signal: --log names the signal and keeps its last lines") {
  test::TempDir dir;
  test::Program prun({PRUN_EXE, "-j1", "--log", dir.file("log"), "--log-format", "%(levelname)s %(seq)s %(stream)s %(message)s",
                      "echo one; echo two >&2; printf partial; kill -{} $$", ":::", "9"});
  test::ProcessResult r = prun.wait();
  CHECK(r.status == 1);
  CHECK(r.out == "one\npartial");
  CHECK(r.err == "two\n");
  const std::string log = test::read_file(dir.file("log"));
  CAPTURE(log);
  CHECK(std::regex_match(log, std::regex("INFO 1 event start: echo one; echo two >&2; printf partial; kill -9 \\$\\$\n"
                                         "INFO 1 stdout one\n"
                                         "INFO 1 stderr two\n"
                                         "INFO 1 stdout partial\n"
                                         "ERROR 1 event end: killed by signal SIGKILL\n"
                                         "last lines:\n  one\n  two\n  partial\n")));
}

TEST_CASE("{%} is the slot the engine runs the job in") {
  test::TempDir dir;
  test::Program prun({PRUN_EXE, "-j3", "--log", dir.file("log"), "--log-format", "%(worker)s %(stream)s %(message)s",
                      "sleep 0.0{}; echo {%}", ":::", "5", "1", "3", "2", "4", "1", "2", "5"});
  test::ProcessResult r = prun.wait();
  CHECK(r.status == 0);
  int lines = 0;
  for (const auto& l : lines_of(test::read_file(dir.file("log")))) {
    if (l.find(" stdout ") == std::string::npos) continue;
    ++lines;
    CAPTURE(l);
    const std::string worker = l.substr(0, l.find(' '));
    CHECK(l == worker + " stdout " + worker);
    CHECK((worker == "1" || worker == "2" || worker == "3"));
  }
  CHECK(lines == 8);
}

TEST_CASE("standard input is read as jobs are needed: a job runs before the input ends") {
  test::Program prun({PRUN_EXE, "-j1", "echo", "got"}, {}, {}, true);
  prun.write_stdin("a\n");
  REQUIRE(prun.read_until(1, "got a\n"));  // the input is still open
  prun.write_stdin("b\n");
  REQUIRE(prun.read_until(1, "got b\n"));
  prun.close_stdin();
  test::ProcessResult r = prun.wait();
  CHECK(r.status == 0);
  CHECK(r.out == "got a\ngot b\n");
}

TEST_CASE("no arguments: each line of standard input is a command") {
  test::Program prun({PRUN_EXE}, "echo a\nexit 3\n");
  test::ProcessResult r = prun.wait();
  CHECK(r.status == 1);
  CHECK(r.out == "a\n");
}

TEST_CASE("--progress, --eta and --bar draw on stderr, and nothing else changes") {
  for (const char* option : {"--progress", "--eta", "--bar"}) {
    CAPTURE(option);
    test::Program prun({PRUN_EXE, "-j2", "-k", option, "echo", ":::", "a", "b", "c"});
    test::ProcessResult r = prun.wait();
    CHECK(r.status == 0);
    CHECK(r.out == "a\nb\nc\n");
    if (std::string(option) == "--progress") {
      CHECK(r.err.starts_with("\nComputers / CPU cores / Max jobs to run\n1:local / "));
      CHECK(r.err.find("\rlocal:0/3/100%/") != std::string::npos);
    } else if (std::string(option) == "--eta") {
      CHECK(r.err.find("\rETA: 0s Left: 0 AVG: ") != std::string::npos);
    } else {
      CHECK(r.err.find("\r100% 3:0=0s ") != std::string::npos);
    }
    CHECK(r.err.ends_with("\n"));
  }
}

TEST_CASE("a reader that goes away stops the run instead of hanging it") {
  test::Program prun({"/bin/sh", "-c", std::string(PRUN_EXE) + " --lb yes ::: 1 | head -n 1"});
  test::ProcessResult r = prun.wait();
  CHECK(r.out == "1\n");  // `yes 1`
  CHECK(r.status == 0);
}

TEST_CASE("big grouped output comes out whole, a job at a time") {
  // Two jobs print 4 MB each in 100-byte lines, at once; each one's lines stay together.
  test::Program prun({PRUN_EXE, "-j2", "yes {} | head -c 4000000", ":::",
                      std::string(98, 'a') + "", std::string(98, 'b')});
  test::ProcessResult r = prun.wait();
  CHECK(r.status == 0);
  REQUIRE(r.out.size() == 8000000);
  const char first = r.out[0];
  CHECK(r.out.find_first_not_of(std::string(1, first) + "\n") == 4000000);
}
