#include <doctest/doctest.h>

#include "test_support.hpp"

#include <sstream>

namespace lg = prun::logging;

namespace {
lg::Record record(std::string msg, int level = lg::WARNING) {
  return lg::get_logger("th").make_record(level, std::move(msg), std::source_location::current());
}
}  // namespace

TEST_CASE("StreamHandler writes one line per record to a descriptor or an ostream") {
  test::FdCapture out(1);
  auto to_stdout = std::make_shared<lg::StreamHandler>(lg::StreamHandler::Stream::stdout_);
  auto r = record("to stdout");
  to_stdout->handle(r);
  CHECK(out.text() == "to stdout\n");

  std::ostringstream os;
  auto to_os = std::make_shared<lg::StreamHandler>(os);
  to_os->set_formatter(std::make_shared<lg::Formatter>("%(levelname)s|%(message)s"));
  to_os->set_terminator(";\n");
  auto r2 = record("to ostream");
  to_os->handle(r2);
  CHECK(os.str() == "WARNING|to ostream;\n");
}

TEST_CASE("FileHandler appends in mode a and truncates in mode w") {
  test::TempDir dir;
  const std::string path = dir.file("app.log");
  {
    auto h = std::make_shared<lg::FileHandler>(path);
    auto r = record("first");
    h->handle(r);
    CHECK(test::read_file(path) == "first\n");  // visible as soon as handle() returns
  }
  {
    auto h = std::make_shared<lg::FileHandler>(path, "a");
    auto r = record("second");
    h->handle(r);
  }
  CHECK(test::read_file(path) == "first\nsecond\n");
  {
    auto h = std::make_shared<lg::FileHandler>(path, "w");
    auto r = record("third");
    h->handle(r);
  }
  CHECK(test::read_file(path) == "third\n");
  CHECK_THROWS_AS(lg::FileHandler(path, "rw"), std::invalid_argument);
  CHECK_THROWS_AS(lg::FileHandler(dir.file("missing/dir.log")), std::system_error);
}

TEST_CASE("FileHandler with delay creates the file at the first record") {
  test::TempDir dir;
  const std::string path = dir.file("late.log");
  auto h = std::make_shared<lg::FileHandler>(path, "a", true);
  CHECK_FALSE(std::filesystem::exists(path));
  auto r = record("now");
  h->handle(r);
  CHECK(test::read_file(path) == "now\n");
}

TEST_CASE("RotatingFileHandler rolls over like Python's") {
  test::TempDir dir;
  const std::string path = dir.file("rot.log");
  auto h = std::make_shared<lg::RotatingFileHandler>(path, "a", 20, 2);
  for (const char* msg : {"aaaaaaaaa", "bbbbbbbbb", "ccccccccc", "ddddddddd", "eeeeeeeee"}) {
    auto r = record(msg);
    h->handle(r);
  }
  // Each line is 10 bytes; a record that would bring the file to 20 bytes rotates first.
  CHECK(test::read_file(path) == "eeeeeeeee\n");
  CHECK(test::read_file(path + ".1") == "ddddddddd\n");
  CHECK(test::read_file(path + ".2") == "ccccccccc\n");
  CHECK_FALSE(std::filesystem::exists(path + ".3"));
  h->do_rollover();
  CHECK(test::read_file(path) == "");
  CHECK(test::read_file(path + ".1") == "eeeeeeeee\n");
}

TEST_CASE("NullHandler swallows - CaptureHandler keeps records and text") {
  auto null = std::make_shared<lg::NullHandler>();
  auto r = record("gone");
  CHECK(null->handle(r));
  auto cap = std::make_shared<lg::CaptureHandler>();
  cap->set_formatter(std::make_shared<lg::Formatter>("%(name)s:%(message)s"));
  cap->handle(r);
  CHECK(cap->lines() == std::vector<std::string>{"th:gone"});
  CHECK(cap->records().at(0).message == "gone");
  cap->clear();
  CHECK(cap->size() == 0);
}

TEST_CASE("BatchScope turns a burst into one write and keeps order") {
  test::TempDir dir;
  const std::string path = dir.file("batch.log");
  auto h = std::make_shared<lg::FileHandler>(path);
  {
    lg::BatchScope batch;
    for (int i = 0; i < 3; ++i) {
      auto r = record("line " + std::to_string(i));
      h->handle(r);
    }
    CHECK(test::read_file(path) == "");  // deferred until the scope ends
  }
  CHECK(test::read_file(path) == "line 0\nline 1\nline 2\n");
  // Outside a scope every record is written at once again.
  auto r = record("line 3");
  h->handle(r);
  CHECK(test::read_file(path).ends_with("line 3\n"));
}

TEST_CASE("a failing emit reports a logging error instead of throwing") {
  struct Broken : lg::Handler {
    void emit(const lg::Record&) override { throw std::runtime_error("sink down"); }
  };
  test::FdCapture err(2);
  auto h = std::make_shared<Broken>();
  auto r = record("lost");
  CHECK_NOTHROW(h->handle(r));
  std::string text = err.text();
  CHECK(text.find("--- Logging error ---") != std::string::npos);
  CHECK(text.find("sink down") != std::string::npos);
}
