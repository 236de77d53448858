// The session between the command line and the engine, driven by a double of run_commands:
// output order, slots, the joblog, exit statuses, --halt, --retries, --timeout N%, --log,
// --results, --resume.
#include <doctest/doctest.h>

#include "cli/session.hpp"
#include "fake_engine.hpp"
#include "test_support.hpp"

#include <regex>

using namespace prun::cli;
using prun::pool::TaskStatus;
using test::FakeJob;

namespace {

struct Outcome {
  int status = -1;
  std::string out, err;
};

Outcome run(std::vector<std::string> args, test::FakeEngine& engine) {
  std::vector<const char*> argv{"prun"};
  for (auto& a : args) argv.push_back(a.c_str());
  CliOptions options = parse_command_line(static_cast<int>(argv.size()), argv.data());
  test::FdCapture out(1), err(2);
  Outcome o;
  o.status = run_with(options, std::ref(engine));
  o.out = out.text();
  o.err = err.text();
  return o;
}

// "echo X" prints "X\n"; a job whose argument is a number N lasts N fake ms (default 1).
FakeJob echo_script(const std::string& command) {
  FakeJob job;
  std::string arg = command.substr(command.find(' ') + 1);
  job.out = arg + "\n";
  if (!arg.empty() && std::isdigit(static_cast<unsigned char>(arg[0]))) job.duration = std::stoi(arg);
  return job;
}

std::vector<std::string> joblog_rows(const std::string& path) {
  // Seq, Exitval, Signal, Receive and Command of every line (times vary).
  std::vector<std::string> rows;
  auto lines = test::split_lines(test::read_file(path));
  for (std::size_t i = 1; i < lines.size(); ++i) {
    std::vector<std::string> cols;
    std::stringstream ss(lines[i]);
    for (std::string c; std::getline(ss, c, '\t');) cols.push_back(c);
    REQUIRE(cols.size() == 9);
    rows.push_back(cols[0] + " " + cols[6] + " " + cols[7] + " " + cols[5] + " " + cols[8]);
  }
  return rows;
}

}  // namespace

TEST_CASE("output is grouped per job in the order jobs end; -k keeps the input order") {
  test::FakeEngine engine{.script = echo_script};
  Outcome o = run({"-j3", "echo", ":::", "30", "10", "20"}, engine);
  CHECK(o.status == 0);
  CHECK(o.out == "10\n20\n30\n");
  CHECK(engine.max_running == 3);
  o = run({"-j3", "-k", "echo", ":::", "30", "10", "20"}, engine);
  CHECK(o.out == "30\n10\n20\n");
}

TEST_CASE("{%} is the job's slot: the lowest free one, the one the engine runs it in") {
  test::FakeEngine engine{.script = echo_script};
  Outcome o = run({"-j2", "echo", "{%}-{#}", ":::", "5", "1", "1", "3", "1", "1"}, engine);
  REQUIRE(engine.started.size() == 6);
  for (std::size_t i = 0; i < engine.started.size(); ++i) {
    CAPTURE(engine.started[i].command);
    CHECK(engine.started[i].command == "echo " + std::to_string(engine.slot_of[i]) + "-" + std::to_string(i + 1));
  }
}

TEST_CASE("--tag puts the arguments before each line; the job's tag names it for the engine") {
  test::FakeEngine engine{.script = [](const std::string&) { return FakeJob{.out = "x\ny\n"}; }};
  Outcome o = run({"-j1", "--tag", "cmd", ":::", "a b", "c"}, engine);
  CHECK(o.out == "a b\tx\na b\ty\nc\tx\nc\ty\n");
  CHECK(engine.started[0].tag == "a b");
  CHECK(engine.started[0].command == "cmd 'a b'");
  o = run({"-j1", "--tagstring", "[{#}:{}]", "cmd", ":::", "a"}, engine);
  CHECK(o.out == "[1:a]\tx\n[1:a]\ty\n");
}

TEST_CASE("the joblog: one line per job, GNU parallel's Exitval and Signal, stdout bytes; exit status = failures") {
  test::TempDir dir;
  test::FakeEngine engine{.script = [](const std::string& command) {
    FakeJob job{.out = "hello\n", .err = "warn\n"};
    if (command.ends_with("fail")) job.status = TaskStatus::error, job.exit_code = 3;
    if (command.ends_with("kill")) job.status = TaskStatus::crashed, job.exit_code = -1, job.signal = 9;
    return job;
  }};
  Outcome o = run({"-j1", "--joblog", dir.file("log"), "run", ":::", "ok", "fail", "kill"}, engine);
  CHECK(o.status == 2);
  CHECK(joblog_rows(dir.file("log")) == std::vector<std::string>{"1 0 0 6 run ok", "2 3 0 6 run fail", "3 0 9 6 run kill"});
  auto first = test::split_lines(test::read_file(dir.file("log")))[1];
  CHECK(std::regex_match(first, std::regex(R"(1\t:\t\d{10}\.\d{3}\t +0\.001\t0\t6\t0\t0\trun ok)")));
}

TEST_CASE("--halt now,fail=1 cancels the run: no job starts after, the exit status is the job's") {
  test::FakeEngine engine{.script = [](const std::string& command) {
    FakeJob job = echo_script(command);
    if (command == "echo 2") job.status = TaskStatus::error, job.exit_code = 4;
    return job;
  }};
  Outcome o = run({"-j1", "--halt", "now,fail=1", "echo", ":::", "1", "2", "3"}, engine);
  CHECK(o.status == 4);
  CHECK(o.out == "1\n2\n");
  CHECK(o.err == "prun: This job failed:\necho 2\n");
  CHECK(engine.started.size() == 2);
  test::FakeEngine again{.script = engine.script};
  o = run({"-j1", "--halt", "soon,fail=1", "echo", ":::", "1", "2", "3"}, again);
  CHECK(o.status == 4);
  CHECK(again.started.size() == 2);
}

TEST_CASE("--retries N runs a failing job up to N times; only the last attempt's output is shown") {
  test::TempDir dir;
  test::FakeEngine engine{.script = [](const std::string&) { return FakeJob{.out = "finally\n", .fail_attempts = 2}; }};
  Outcome o = run({"-j1", "--retries", "3", "--joblog", dir.file("log"), "cmd", ":::", "a"}, engine);
  CHECK(o.status == 0);
  CHECK(o.out == "finally\n");
  CHECK(joblog_rows(dir.file("log")) == std::vector<std::string>{"1 0 0 8 cmd a"});
  o = run({"-j1", "--retries", "2", "cmd", ":::", "a"}, engine);
  CHECK(o.status == 1);
  CHECK(o.out == "attempt 2\n");
}

TEST_CASE("--timeout N% limits a job to N% of the median runtime of the jobs that succeeded") {
  test::TempDir dir;
  test::FakeEngine engine{.script = echo_script};
  Outcome o = run({"-j1", "--timeout", "200%", "--joblog", dir.file("log"), "echo", ":::", "10", "30", "20", "50"}, engine);
  REQUIRE(engine.started.size() == 4);
  CHECK(!engine.started[0].timeout);
  CHECK(engine.started[1].timeout == std::chrono::milliseconds(20));   // 2 x 10
  CHECK(engine.started[2].timeout == std::chrono::milliseconds(20));   // the 30 ms job timed out
  CHECK(engine.started[3].timeout == std::chrono::milliseconds(40));   // median of 10, 20 (upper)
  CHECK(o.status == 2);
  CHECK(joblog_rows(dir.file("log"))[1] == "2 -1 15 3 echo 30");
  CHECK(o.err.find("prun: Warning: This job was killed because it timed out:\nprun: Warning: echo 30\n") != std::string::npos);
}

TEST_CASE("--log writes each line and event as a record with the job's fields") {
  test::TempDir dir;
  test::FakeEngine engine{.script = [](const std::string& command) {
    FakeJob job{.out = "one\ntwo", .err = "oops\n"};
    if (command.ends_with("b")) job.status = TaskStatus::crashed, job.exit_code = -1, job.signal = 11;
    return job;
  }};
  Outcome o = run({"-j1", "--log", dir.file("log"), "--log-format", "%(seq)s|%(tag)s|%(pid)s|%(stream)s|%(attempt)s|%(event)s|%(levelname)s|%(message)s",
                   "cmd", ":::", "a", "b"},
                  engine);
  CHECK(o.status == 1);
  const std::string log = test::read_file(dir.file("log"));
  CHECK(log ==
        "1|a|1000|event|1|start|INFO|start: cmd a\n"
        "1|a|1000|stdout|1|line|INFO|one\n"
        "1|a|1000|stderr|1|line|INFO|oops\n"
        "1|a|1000|stdout|1|line|INFO|two\n"
        "1|a|1000|event|1|end|INFO|end: exit status 0\n"
        "2|b|1001|event|1|start|INFO|start: cmd b\n"
        "2|b|1001|stdout|1|line|INFO|one\n"
        "2|b|1001|stderr|1|line|INFO|oops\n"
        "2|b|1001|stdout|1|line|INFO|two\n"
        "2|b|1001|event|1|end|ERROR|end: killed by signal SIGSEGV\n"
        "last lines:\n  one\n  oops\n  two\n");
}

TEST_CASE("--log-json writes JSON lines") {
  test::TempDir dir;
  test::FakeEngine engine{.script = [](const std::string&) { return FakeJob{.out = "hi\n"}; }};
  run({"-j1", "--log", dir.file("log"), "--log-json", "cmd", ":::", "a"}, engine);
  auto lines = test::split_lines(test::read_file(dir.file("log")));
  REQUIRE(lines.size() == 3);
  CAPTURE(lines[1]);
  CHECK(lines[1].find("\"message\":\"hi\"") != std::string::npos);
  CHECK(lines[1].find("\"task\":\"a\",\"taskIndex\":0,\"worker\":1,\"attempt\":1,"
                      "\"seq\":1,\"tag\":\"a\",\"args\":\"a\",\"pid\":1000,\"stream\":\"stdout\",\"event\":\"line\"}") !=
        std::string::npos);
  CHECK(lines[2].find("\"exit_code\":0,\"signal\":\"\",\"duration\":0.001") != std::string::npos);
}

TEST_CASE("--results writes each job's files and prints nothing") {
  test::TempDir dir;
  test::FakeEngine engine{.script = [](const std::string& command) { return FakeJob{.out = command + "\n", .err = "e\n"}; }};
  Outcome o = run({"-j1", "--results", dir.file("res"), "echo", ":::", "a", "b/c", ":::", "1"}, engine);
  CHECK(o.out.empty());
  CHECK(test::read_file(dir.file("res/1/a/2/1/stdout")) == "echo a 1\n");
  CHECK(test::read_file(dir.file("res/1/a/2/1/stderr")) == "e\n");
  CHECK(test::read_file(dir.file("res/1/a/2/1/seq")) == "1");
  CHECK(test::read_file(dir.file("res/1/b\\_c/2/1/seq")) == "2");
  o = run({"-j1", "--results", dir.file("named/{}.txt"), "echo", ":::", "x"}, engine);
  CHECK(test::read_file(dir.file("named/x.txt")) == "echo x\n");
  CHECK(test::read_file(dir.file("named/x.txt.err")) == "e\n");
  CHECK(test::read_file(dir.file("named/x.txt.seq")) == "1");
}

TEST_CASE("--resume skips the jobs in the joblog, keeping their numbers; --resume-failed runs the failed again") {
  test::TempDir dir;
  test::FakeEngine engine{.script = [](const std::string& command) {
    FakeJob job = echo_script(command);
    if (command.ends_with("b")) job.status = TaskStatus::error, job.exit_code = 1;
    return job;
  }};
  run({"-j1", "--joblog", dir.file("log"), "echo", "{#}", "{}", ":::", "a", "b"}, engine);
  Outcome o = run({"-j1", "--resume", "--joblog", dir.file("log"), "echo", "{#}", "{}", ":::", "a", "b", "c"}, engine);
  CHECK(o.out == "3 c\n");
  o = run({"-j1", "--resume-failed", "--joblog", dir.file("log"), "echo", "{#}", "{}", ":::", "a", "b", "c"}, engine);
  CHECK(o.out == "2 b\n");
  CHECK(joblog_rows(dir.file("log")) ==
        std::vector<std::string>{"1 0 0 4 echo 1 a", "2 1 0 4 echo 2 b", "3 0 0 4 echo 3 c", "2 1 0 4 echo 2 b"});
}

TEST_CASE("--dry-run prints the commands (with their tags) and runs nothing") {
  test::FakeEngine engine{.script = echo_script};
  Outcome o = run({"--dry-run", "--tag", "echo", ":::", "a", "b c"}, engine);
  CHECK(o.status == 0);
  CHECK(o.out == "a\techo a\nb c\techo 'b c'\n");
  CHECK(engine.started.empty());
}

TEST_CASE("bad input found before the run: an input file that cannot be read, a bad format") {
  test::FakeEngine engine{.script = echo_script};
  CHECK_THROWS_AS(run({"echo", "::::", "/no/such/file"}, engine), UsageError);
  CHECK_THROWS_AS(run({"--log", "/tmp/x", "--log-format", "%(message", "echo", ":::", "a"}, engine), UsageError);
  CHECK(engine.started.empty());
}
