// The value grammars of GNU parallel's options: -j, durations, --timeout, --halt, -d.
#include <doctest/doctest.h>

#include "cli/values.hpp"

using namespace prun::cli;
using namespace std::chrono_literals;

TEST_CASE("-j takes N, N%, +N, -N and 0 as GNU parallel does, rounded up, at least 1") {
  CHECK(parse_jobs("4", 2, 500) == 4);
  CHECK(parse_jobs("0", 2, 500) == 500);
  CHECK(parse_jobs("100%", 2, 500) == 2);
  CHECK(parse_jobs("50%", 3, 500) == 2);  // 1.5 rounds up
  CHECK(parse_jobs("12.5%", 8, 500) == 1);
  CHECK(parse_jobs("+1", 2, 500) == 3);
  CHECK(parse_jobs("-1", 2, 500) == 1);
  CHECK_THROWS_AS(parse_jobs("-5", 2, 500), UsageError);  // GNU parallel: "Cannot run any jobs"
  for (const char* bad : {"", "x", "4x", "%", "+", "-", "1.5", "+-1", "--2"}) {
    CAPTURE(bad);
    CHECK_THROWS_AS(parse_jobs(bad, 2, 500), UsageError);
  }
  CHECK(unlimited_jobs() >= 1);
}

TEST_CASE("durations are seconds with a fraction, or with s, m, h, d units") {
  CHECK(parse_duration("--delay", "2") == 2s);
  CHECK(parse_duration("--delay", "0.25") == 250ms);
  CHECK(parse_duration("--delay", "1m30s") == 90s);
  CHECK(parse_duration("--delay", "1.5h") == 5400s);
  CHECK(parse_duration("--delay", "1d") == 86400s);
  for (const char* bad : {"", "s", "-1", "1x", "1m30", "1..2", "abc"}) {
    CAPTURE(bad);
    CHECK_THROWS_AS(parse_duration("--delay", bad), UsageError);
  }
  try {
    parse_duration("--delay", "1x");
  } catch (const UsageError& e) {
    CHECK(std::string(e.what()) == "--delay must be seconds or a duration such as 1m30s, got '1x'");
  }
}

TEST_CASE("--timeout is a duration or N% of the median runtime") {
  CHECK(parse_timeout("3").fixed == 3s);
  CHECK(parse_timeout("3").percent == 0);
  CHECK(parse_timeout("200%").percent == 200);
  CHECK(parse_timeout("200%").fixed == 0s);
  CHECK_THROWS_AS(parse_timeout("0%"), UsageError);
  CHECK_THROWS_AS(parse_timeout("x%"), UsageError);
}

TEST_CASE("--halt reads GNU parallel's forms and shorthands") {
  using When = HaltSpec::When;
  using On = HaltSpec::On;
  auto h = parse_halt("now,fail=1");
  CHECK(h.when == When::now);
  CHECK(h.on == On::fail);
  CHECK(h.count == 1);
  CHECK(!h.is_percent);
  h = parse_halt("soon,success=30%");
  CHECK(h.when == When::soon);
  CHECK(h.on == On::success);
  CHECK(h.is_percent);
  CHECK(h.percent == 30);
  h = parse_halt("now,done=3");
  CHECK(h.on == On::done);
  CHECK(h.count == 3);
  CHECK(parse_halt("never").when == When::never);
  CHECK(parse_halt("0").when == When::never);
  CHECK((parse_halt("1").when == When::soon && parse_halt("1").on == On::fail && parse_halt("1").count == 1));
  CHECK((parse_halt("2").when == When::now && parse_halt("2").on == On::fail));
  CHECK((parse_halt("-1").when == When::soon && parse_halt("-1").on == On::success));
  CHECK((parse_halt("-2").when == When::now && parse_halt("-2").on == On::success));
  h = parse_halt("5%");
  CHECK((h.when == When::soon && h.on == On::fail && h.is_percent && h.percent == 5));
  for (const char* bad : {"", "later", "now", "now,", "now,fail", "now,fail=0", "now,oops=1", "now,fail=x",
                          "now,fail=101%", "never,fail=1"}) {
    CAPTURE(bad);
    CHECK_THROWS_AS(parse_halt(bad), UsageError);
  }
}

TEST_CASE("delimiters understand C escapes") {
  CHECK(decode_escapes("\\n") == "\n");
  CHECK(decode_escapes("\\t") == "\t");
  CHECK(decode_escapes("\\0") == std::string(1, '\0'));
  CHECK(decode_escapes("\\x41\\\\") == "A\\");
  CHECK(decode_escapes("a\\101") == "aA");
  CHECK(decode_escapes(":") == ":");
  CHECK(decode_escapes("\\q") == "\\q");
  CHECK(decode_escapes("x\\") == "x\\");
}

TEST_CASE("counts are whole non-negative numbers") {
  CHECK(parse_count("-n", "3") == 3);
  CHECK(parse_count("--retries", "0") == 0);
  CHECK_THROWS_AS(parse_count("-n", "-1"), UsageError);
  CHECK_THROWS_AS(parse_count("-n", "2x"), UsageError);
}
