// Input sources: products, pairing, files, delimiters, columns, groups; and lazy reading.
#include <doctest/doctest.h>

#include "cli/inputs.hpp"
#include "cli/values.hpp"
#include "test_support.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <string>
#include <vector>

using namespace prun::cli;

namespace {

SourceSpec list(std::vector<std::string> values, bool linked = false) {
  return SourceSpec{.kind = SourceSpec::Kind::list, .values = std::move(values), .linked = linked};
}
SourceSpec file(std::string path, bool linked = false) {
  return SourceSpec{.kind = SourceSpec::Kind::file, .path = std::move(path), .linked = linked};
}

// Each job's arguments, joined with '|', one string per job.
std::vector<std::string> jobs(const std::vector<SourceSpec>& sources, InputSettings settings = {}) {
  InputQueue queue(sources, settings);
  std::vector<std::string> out;
  while (auto job = queue.next()) {
    std::string joined;
    for (std::size_t i = 0; i < job->flat.size(); ++i) joined += (i ? "|" : "") + job->flat[i];
    out.push_back(joined);
  }
  return out;
}

using V = std::vector<std::string>;

}  // namespace

TEST_CASE("several sources give every combination, the first varying slowest") {
  CHECK(jobs({list({"a", "b"}), list({"1", "2"})}) == V{"a|1", "a|2", "b|1", "b|2"});
  CHECK(jobs({list({"a"}), list({"x", "y"}), list({"1", "2"})}) == V{"a|x|1", "a|x|2", "a|y|1", "a|y|2"});
}

TEST_CASE(":::+ pairs a source with the one before it, up to the shorter") {
  CHECK(jobs({list({"a", "b", "c"}), list({"1", "2"}, true)}) == V{"a|1", "b|2"});
  CHECK(jobs({list({"a", "b"}), list({"1", "2", "3"}, true)}) == V{"a|1", "b|2"});
  CHECK(jobs({list({"a", "b"}), list({"x", "y"}), list({"1", "2"}, true)}) == V{"a|x|1", "a|y|2", "b|x|1", "b|y|2"});
}

TEST_CASE("an empty source is one empty argument, unless every source is empty") {
  CHECK(jobs({list({})}).empty());
  CHECK(jobs({list({}), list({})}).empty());
  CHECK(jobs({list({}), list({"a", "b"})}) == V{"|a", "|b"});
  CHECK(jobs({list({"a"}), list({})}) == V{"a|"});
  CHECK(jobs({list({"a", "b"}), list({}, true)}) == V{"a|"});
}

TEST_CASE("files: one value per line, or per NUL, or per delimiter; the last without one too") {
  test::TempDir dir;
  auto write = [&](const std::string& name, const std::string& text) {
    std::ofstream(dir.file(name)) << text;
    return dir.file(name);
  };
  CHECK(jobs({file(write("lines", "a\n\nb c\nlast"))}) == V{"a", "", "b c", "last"});
  CHECK(jobs({file(write("nul", std::string("a b\0c\nd\0", 8)))}, {.delimiter = std::string(1, '\0')}) ==
        V{"a b", "c\nd"});
  CHECK(jobs({file(write("colon", "a:b:c\n"))}, {.delimiter = ":"}) == V{"a", "b", "c\n"});
  CHECK(jobs({file(write("multi", "a<>b<>"))}, {.delimiter = "<>"}) == V{"a", "b"});
  CHECK(jobs({file(write("f1", "1\n2\n")), file(write("f2", "x\ny\nz\n"), true)}) == V{"1|x", "2|y"});
  CHECK(jobs({file(write("empty", "")), list({"q"})}) == V{"|q"});
  CHECK_THROWS_AS(jobs({file(dir.file("missing"))}), UsageError);
}

TEST_CASE("a record split across reads is found whole") {
  test::TempDir dir;
  std::string text;
  for (int i = 0; i < 20000; ++i) text += "value-" + std::to_string(i) + "<>";
  std::ofstream(dir.file("big")) << text;
  auto got = jobs({file(dir.file("big"))}, {.delimiter = "<>"});
  REQUIRE(got.size() == 20000);
  CHECK(got[0] == "value-0");
  CHECK(got[19999] == "value-19999");
  for (int i = 0; i < 20000; ++i)
    if (got[static_cast<std::size_t>(i)] != "value-" + std::to_string(i)) FAIL("record " << i << " is " << got[static_cast<std::size_t>(i)]);
}

TEST_CASE("--colsep splits every value in columns, keeping empty ones") {
  CHECK(jobs({list({"a,b", "c"})}, {.colsep = ","}) == V{"a|b", "c"});
  CHECK(jobs({list({"a,,", ",b"})}, {.colsep = ","}) == V{"a||", "|b"});
  CHECK(jobs({list({"a b  c"})}, {.colsep = " +"}) == V{"a|b|c"});
  CHECK(jobs({list({"a b\tc"})}, {.colsep = "\\t"}) == V{"a b|c"});
  CHECK_THROWS_AS(jobs({list({"a"})}, {.colsep = "("}), UsageError);
}

TEST_CASE("-n puts several rows in one job; rows keep their columns for --results") {
  CHECK(jobs({list({"a", "b", "c", "d", "e"})}, {.max_args = 2}) == V{"a|b", "c|d", "e"});
  InputQueue queue({list({"a", "b"}), list({"1"})}, {.max_args = 2});
  auto job = queue.next();
  REQUIRE(job);
  CHECK(job->rows == std::vector<V>{{"a", "1"}, {"b", "1"}});
  CHECK(job->flat == V{"a", "1", "b", "1"});
  CHECK(!queue.next());
}

TEST_CASE("read_all counts the jobs and next() still hands them out") {
  InputQueue queue({list({"a", "b", "c"})}, {.max_args = 2});
  CHECK(queue.read_all() == 2);
  CHECK(queue.next()->flat == V{"a", "b"});
  CHECK(queue.next()->flat == V{"c"});
  CHECK(!queue.next());
}

TEST_CASE("standard input is read as jobs are asked for, not to its end first") {
  int fds[2];
  REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
  const int saved = ::dup(0);
  ::dup2(fds[0], 0);
  ::close(fds[0]);
  REQUIRE(::write(fds[1], "first\n", 6) == 6);
  {
    InputQueue queue({file("-")}, {});
    auto job = queue.next();  // the pipe is still open: this returns on the first line alone
    REQUIRE(job);
    CHECK(job->flat == V{"first"});
    REQUIRE(::write(fds[1], "second\n", 7) == 7);
    ::close(fds[1]);
    CHECK(queue.next()->flat == V{"second"});
    CHECK(!queue.next());
  }
  ::dup2(saved, 0);
  ::close(saved);
}
