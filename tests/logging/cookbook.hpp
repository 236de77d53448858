#pragma once
// The logging cookbook's multi-process example, compared with CPython (cookbook_reference.py).

#include "test_support.hpp"

#include <doctest/doctest.h>

#include <fstream>
#include <sstream>

#ifdef PRUN_PYTHON3
namespace lg = prun::logging;

namespace test {
// Routes the records CPython's run listed through prun (configured by `configure`) and
// compares every file and the console with what CPython wrote.
template <typename Configure>
void compare_cookbook_run(const std::string& config_json, Configure configure) {
  test::TempDir py, cxx;
  {
    std::ofstream(py.file("config.json")) << config_json;
  }
  auto ref = test::run_program({PRUN_PYTHON3, PRUN_LOGGING_TEST_DIR "/cookbook_reference.py", py.file("config.json"), py.path.string()});
  REQUIRE_MESSAGE(ref.status == 0, ref.err);
  test::FdCapture err(2);
  configure(cxx);
  std::ifstream records(py.file("records.txt"));
  int n = 0;
  for (std::string line; std::getline(records, line); ++n) {
    std::istringstream in(line);
    std::string name, process;
    int level = 0;
    std::int64_t created = 0;
    in >> name >> level >> process >> created;
    std::string message;
    std::getline(in >> std::ws, message);
    for (char& c : process) if (c == '_') c = ' ';
    lg::Record r = lg::get_logger(name).make_record(level, message, std::source_location::current());
    r.created_ns = created;
    r.process_name = lg::intern(process);
    lg::dispatch(r);
  }
  const std::string console = err.text();
  CHECK(n == 500);
  CHECK(console == ref.err);
  for (const char* f : {"mplog.log", "mplog-foo.log", "mplog-errors.log"}) {
    INFO(f);
    CHECK(test::read_file(cxx.file(f)) == test::read_file(py.file(f)));
    CHECK_FALSE(test::read_file(py.file(f)).empty());
  }
  for (const char* name : {"root", "foo"})
    for (const lg::HandlerPtr& h : lg::get_logger(name).handlers()) h->close();
  lg::reset_to_pristine();
  lg::get_logger("foo").set_disabled(false);
}
}  // namespace test

#endif
