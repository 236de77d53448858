// --joblog lines and --resume, and GNU parallel's exit statuses and --halt decisions.
#include <doctest/doctest.h>

#include "cli/halt.hpp"
#include "cli/joblog.hpp"
#include "cli/values.hpp"
#include "test_support.hpp"

#include <fstream>

using namespace prun::cli;

TEST_CASE("a joblog line has GNU parallel's columns and formats") {
  CHECK(joblog_header() == "Seq\tHost\tStarttime\tJobRuntime\tSend\tReceive\tExitval\tSignal\tCommand\n");
  CHECK(joblog_line({.seq = 3, .start_epoch_s = 1795324350.9444, .runtime_s = 0.0031, .received = 4,
                     .exit_value = 2, .signal = 0, .command = "echo '2 x'; exit 2"}) ==
        "3\t:\t1795324350.944\t     0.003\t0\t4\t2\t0\techo '2 x'; exit 2\n");
  CHECK(joblog_line({.seq = 1, .runtime_s = 12345.5, .exit_value = -1, .signal = 15, .command = "a\nb"}) ==
        std::string("1\t:\t0.000\t 12345.500\t0\t0\t-1\t15\ta\0b\n", 35));
}

TEST_CASE("the joblog file: a header, one line per job; +FILE appends; --resume keeps the lines") {
  test::TempDir dir;
  const std::string path = dir.file("log");
  {
    JoblogWriter log(path, false);
    log.write({.seq = 1, .command = "true"});
    log.write({.seq = 2, .exit_value = 1, .command = "false"});
  }
  const std::string two_jobs = test::read_file(path);
  CHECK(two_jobs == std::string(joblog_header()) + "1\t:\t0.000\t     0.000\t0\t0\t0\t0\ttrue\n" +
                        "2\t:\t0.000\t     0.000\t0\t0\t1\t0\tfalse\n");
  CHECK(read_joblog_done(path, false) == std::unordered_set<std::size_t>{1, 2});
  CHECK(read_joblog_done(path, true) == std::unordered_set<std::size_t>{1});  // 2 failed: it runs again
  {
    JoblogWriter log(path, true);  // --resume: appended, no second header
    log.write({.seq = 3, .signal = 9, .command = "kill"});
  }
  CHECK(test::read_file(path) == two_jobs + "3\t:\t0.000\t     0.000\t0\t0\t0\t9\tkill\n");
  CHECK(read_joblog_done(path, true) == std::unordered_set<std::size_t>{1});
  {
    JoblogWriter log("+" + path, false);
    log.write({.seq = 4, .command = "x"});
  }
  CHECK(test::read_file(path).ends_with("\n4\t:\t0.000\t     0.000\t0\t0\t0\t0\tx\n"));
  {
    JoblogWriter log(path, false);  // overwritten
  }
  CHECK(test::read_file(path) == joblog_header());
  CHECK(read_joblog_done(dir.file("missing"), false).empty());
  std::ofstream(dir.file("bad")) << "Seq\tHost\nnot a joblog line\n";
  CHECK_THROWS_AS(read_joblog_done(dir.file("bad"), false), UsageError);
  CHECK_THROWS_AS(JoblogWriter(dir.file("no/such/dir/log"), false), UsageError);
}

namespace {
// Feeds outcomes (exit code; -signal for a signal) to a tracker; returns the actions taken.
std::string feed(HaltTracker& t, std::initializer_list<int> outcomes, std::string* messages = nullptr) {
  std::string actions, text;
  for (int o : outcomes) {
    const bool failed = o != 0;
    auto a = t.job_done(failed, o > 0 ? o : 0, o < 0 ? -o : 0, "cmd " + std::to_string(o), 1, text);
    actions += a == HaltTracker::Action::none ? '.' : a == HaltTracker::Action::soon ? 's' : 'n';
  }
  if (messages) *messages = text;
  return actions;
}
}  // namespace

TEST_CASE("exit status: the number of failed jobs, 101 for more than 100") {
  HaltTracker none(HaltSpec{}, 0);
  CHECK(feed(none, {0, 0}) == "..");
  CHECK(none.exit_status() == 0);
  HaltTracker two(HaltSpec{}, 0);
  feed(two, {0, 3, -9});  // a signal is a failure too
  CHECK(two.exit_status() == 2);
  HaltTracker many(HaltSpec{}, 0);
  for (int i = 0; i < 150; ++i) feed(many, {1});
  CHECK(many.exit_status() == 101);
}

TEST_CASE("--halt now,fail=1: stop at the first failure, exit with its status (a signal: 128 + it)") {
  std::string messages;
  HaltTracker t(parse_halt("now,fail=1"), 0);
  CHECK(feed(t, {0, 3}, &messages) == ".n");
  CHECK(t.exit_status() == 3);
  CHECK(messages == "prun: This job failed:\ncmd 3\n");
  HaltTracker s(parse_halt("soon,fail=1"), 0);
  CHECK(feed(s, {-15}, &messages) == "s");
  CHECK(s.exit_status() == 143);
  CHECK(messages == "prun: This job failed:\ncmd -15\nprun: Starting no more jobs. Waiting for 1 jobs to finish.\n");
}

TEST_CASE("--halt soon,fail=2: the count of failures at the time") {
  HaltTracker t(parse_halt("soon,fail=2"), 0);
  CHECK(feed(t, {0, 4, 0, 5}) == "...s");
  CHECK(t.exit_status() == 2);
  feed(t, {6});  // later failures do not change it
  CHECK(t.exit_status() == 2);
}

TEST_CASE("--halt success and done") {
  std::string messages;
  HaltTracker t(parse_halt("now,success=1"), 0);
  CHECK(feed(t, {1, 0}, &messages) == ".n");
  CHECK(t.exit_status() == 0);
  CHECK(messages == "prun: This job succeeded:\ncmd 0\n");
  HaltTracker d(parse_halt("soon,done=2"), 0);
  CHECK(feed(d, {0, 7}) == ".s");
  CHECK(d.exit_status() == 1);
}

TEST_CASE("--halt N%: of all the jobs; the exit status is the percentage that failed") {
  HaltTracker t(parse_halt("soon,fail=50%"), 4);
  CHECK(feed(t, {1, 0, 2}) == "..s");  // 50% of 4 jobs: the second failure
  HaltTracker u(parse_halt("soon,fail=50%"), 4);
  CHECK(feed(u, {1, 1}) == ".s");
  CHECK(u.exit_status() == 50);
  HaltTracker never_reached(parse_halt("now,fail=90%"), 4);
  feed(never_reached, {1, 0, 0, 0});
  CHECK(never_reached.exit_status() == 25);
}
