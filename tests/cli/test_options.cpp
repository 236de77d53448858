// GNU parallel's command-line grammar: options first, then the command, then ::: sources.
#include <doctest/doctest.h>

#include "cli/options.hpp"

#include <prun/pool/options.hpp>

#include <string>
#include <vector>

using namespace prun::cli;

namespace {
CliOptions parse(std::vector<std::string> args) {
  std::vector<const char*> argv{"prun"};
  for (auto& a : args) argv.push_back(a.c_str());
  return parse_command_line(static_cast<int>(argv.size()), argv.data());
}
std::string error_of(std::vector<std::string> args) {
  try {
    parse(std::move(args));
  } catch (const UsageError& e) {
    return e.what();
  }
  return "(no error)";
}
using V = std::vector<std::string>;
}  // namespace

TEST_CASE("options stop at the command; what follows belongs to it") {
  auto o = parse({"-k", "echo", "-n", "-k", ":::", "a"});
  CHECK(o.keep_order);
  CHECK(o.command == V{"echo", "-n", "-k"});
  REQUIRE(o.sources.size() == 1);
  CHECK(o.sources[0].values == V{"a"});
  o = parse({"--", "-weird", "x"});
  CHECK(o.command == V{"-weird", "x"});
}

TEST_CASE("short options bundle and take attached values, as Getopt::Long's bundling") {
  auto o = parse({"-kj4", "echo"});
  CHECK(o.keep_order);
  CHECK(o.n_jobs == 4);
  CHECK(parse({"-j4", "x"}).n_jobs == 4);
  CHECK(parse({"--jobs=3", "x"}).n_jobs == 3);
  CHECK(parse({"-P", "5", "x"}).n_jobs == 5);
  CHECK(parse({"-j", "-1", "x"}).n_jobs == std::max(1, prun::pool::usable_cpus() - 1));
  CHECK(parse({"x"}).n_jobs == prun::pool::usable_cpus());
  CHECK(parse({"-j", "2", "-j", "3", "x"}).n_jobs == 3);  // the last one counts
  o = parse({"-0", "--tagstring", "-x-", "x"});
  CHECK(o.input.delimiter == std::string(1, '\0'));
  CHECK(o.tagstring == std::optional<std::string>("-x-"));
}

TEST_CASE("input sources: -a files first, then ::: :::+ :::: ::::+ in order; standard input when none") {
  auto o = parse({"-a", "f1", "-a", "f2", "cmd", ":::", "a", "b", ":::+", "1", "2", "::::", "g1", "g2", "::::+", "h"});
  CHECK(o.command == V{"cmd"});
  REQUIRE(o.sources.size() == 7);
  CHECK((o.sources[0].kind == SourceSpec::Kind::file && o.sources[0].path == "f1"));
  CHECK(o.sources[1].path == "f2");
  CHECK((o.sources[2].kind == SourceSpec::Kind::list && o.sources[2].values == V{"a", "b"} && !o.sources[2].linked));
  CHECK((o.sources[3].values == V{"1", "2"} && o.sources[3].linked));
  CHECK((o.sources[4].path == "g1" && !o.sources[4].linked));
  CHECK(o.sources[5].path == "g2");
  CHECK((o.sources[6].path == "h" && o.sources[6].linked));
  o = parse({"echo"});
  REQUIRE(o.sources.size() == 1);
  CHECK((o.sources[0].kind == SourceSpec::Kind::file && o.sources[0].path == "-"));
  o = parse({":::", "echo a", "echo b"});
  CHECK(o.command.empty());
  CHECK(o.sources[0].values == V{"echo a", "echo b"});
  o = parse({"echo", ":::"});
  CHECK((o.sources.size() == 1 && o.sources[0].values.empty()));
}

TEST_CASE("output, jobs and logging options") {
  auto o = parse({"--lb", "--tag", "--results", "r", "--joblog", "j", "--resume", "--delay", "1.5", "--timeout", "50%",
                  "--retries", "3", "--halt", "now,fail=2", "-n", "2", "-d", "\\t", "--colsep", ",", "--bar",
                  "--log", "l", "--log-format", "%(message)s", "x"});
  CHECK(o.output == OutputMode::line_buffer);
  CHECK(o.tag);
  CHECK(o.results == "r");
  CHECK(o.joblog == "j");
  CHECK(o.resume);
  CHECK(o.delay == std::chrono::milliseconds(1500));
  CHECK(o.timeout.percent == 50);
  CHECK(o.retries == 3);
  CHECK(o.halt.count == 2);
  CHECK(o.input.max_args == 2);
  CHECK(o.input.delimiter == "\t");
  CHECK(o.input.colsep == ",");
  CHECK(o.bar);
  CHECK(o.log_file == "l");
  CHECK(o.log_format == "%(message)s");
  CHECK(parse({"-u", "x"}).output == OutputMode::ungroup);
  CHECK(parse({"--group", "x"}).output == OutputMode::group);
  CHECK(parse({"--line-buffer", "x"}).output == OutputMode::line_buffer);
  CHECK(parse({"--dry-run", "x"}).dry_run);
  CHECK(parse({"--dryrun", "x"}).dry_run);
  CHECK(parse({"--help"}).help);
  CHECK(parse({"-h"}).help);
}

TEST_CASE("bad input: one line naming the problem") {
  CHECK(error_of({"--frobnicate", "echo"}) == "unknown option '--frobnicate' (see prun --help)");
  CHECK(error_of({"-z", "echo"}) == "unknown option '-z' (see prun --help)");
  CHECK(error_of({"-j", "x", "echo"}) == "-j/--jobs must be N, N%, +N or -N, got 'x'");
  CHECK(error_of({"--halt", "later", "echo"}) == "--halt must start with never, soon or now, got 'later'");
  CHECK(error_of({"-n", "0", "echo"}) == "-n/--max-args must be at least 1");
  CHECK(error_of({"--resume", "echo"}) == "--resume and --resume-failed need --joblog or --results");
  CHECK(error_of({"-0", "-d", ":", "echo"}) == "-0 and -d both set the delimiter: give one of them");
  CHECK(error_of({"--log-json", "echo"}) == "--log-json needs --log FILE");
  CHECK(error_of({"echo", "::::"}) == ":::: must be followed by a file name");
  CHECK(error_of({"-j"}).find("jobs") != std::string::npos);
  CHECK(std::string(help_text()).starts_with("usage: prun [options] COMMAND"));
}
