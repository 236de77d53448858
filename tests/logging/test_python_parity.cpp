// Python parity of loggers, levels, handlers and basic_config: each case runs the same
// scenario in CPython (python_parity.py) and in prun and compares the output.
#include <doctest/doctest.h>

#include "test_support.hpp"

#include <sstream>

namespace lg = prun::logging;

#ifdef PRUN_PYTHON3
namespace {
std::string python(std::vector<std::string> args) {
  args.insert(args.begin(), {PRUN_PYTHON3, PRUN_LOGGING_TEST_DIR "/python_parity.py"});
  auto r = test::run_program(args);
  REQUIRE_MESSAGE(r.status == 0, r.err);
  return r.out;
}

std::string py_bool(bool b) { return b ? "True" : "False"; }

// Python's repr of a str or an int, for the level-name table.
std::string py_repr(const std::string& s) { return "'" + s + "'"; }
}  // namespace

TEST_CASE("has_handlers walks up the chain as Python's hasHandlers") {
  test::CleanLogging clean;
  lg::Logger& a = lg::get_logger("pp.a");
  lg::Logger& ab = lg::get_logger("pp.a.b");
  lg::Logger& abc = lg::get_logger("pp.a.b.c");
  std::string out;
  auto line = [&] { out += py_bool(a.has_handlers()) + " " + py_bool(ab.has_handlers()) + " " + py_bool(abc.has_handlers()) + "\n"; };
  line();
  a.add_handler(std::make_shared<lg::NullHandler>());
  line();
  ab.set_propagate(false);
  line();
  CHECK(out == python({"has_handlers"}));
  CHECK_FALSE(abc.has_own_handlers());
}

TEST_CASE("level_name and level_from_name are the two directions of Python's getLevelName") {
  lg::add_level_name(15, "VERBOSE");
  std::string out;
  // getLevelName(int) is level_name(); getLevelName(str) is level_from_name(), which gives a
  // level for a name and nothing for anything else (Python then returns "Level <str>").
  auto by_level = [&](int level) { out += std::to_string(level) + " -> " + py_repr(lg::level_name(level)) + "\n"; };
  auto by_name = [&](const std::string& name) {
    auto level = lg::level_from_name(name);
    out += py_repr(name) + " -> " + (level ? std::to_string(*level) : py_repr("Level " + name)) + "\n";
  };
  by_level(25);
  by_name("25");
  by_level(10);
  for (const char* name : {"DEBUG", "WARN", "FATAL", "debug", "Level 25", "VERBOSE"}) by_name(name);
  by_level(15);
  by_name("");
  CHECK(out == python({"level_names"}));
}

TEST_CASE("FileHandler takes the modes Python's takes - and refuses at once what Python fails at emit") {
  test::TempDir dir;
  std::istringstream expected(python({"file_modes", dir.path.string()}));
  int compared = 0;
  for (std::string line; std::getline(expected, line); ++compared) {
    const std::string mode = line.substr(0, line.find(' '));
    const std::string path = dir.file("mode.log");
    {
      std::ofstream(path) << "old\n";
    }
    if (mode.starts_with("x")) std::filesystem::remove(path);
    INFO("mode ", mode, ": ", line);
    if (line.find(" writes ") != std::string::npos) {
      auto h = std::make_shared<lg::FileHandler>(path, mode);
      auto r = lg::get_logger("pp.file").make_record(lg::INFO, "new", std::source_location::current());
      h->handle(r);
      h->close();
      std::string content = test::read_file(path);
      std::string repr = "'";
      for (char c : content) repr += c == '\n' ? std::string("\\n") : std::string(1, c);
      CHECK(line == mode + " writes " + repr + "'");
    } else {
      // Python refuses ("rw") or fails at the first record ("r", "ab"): prun refuses.
      CHECK_THROWS_AS(lg::FileHandler(path, mode), std::invalid_argument);
    }
  }
  CHECK(compared == 14);
  // "x" refuses an existing file, as open(path, "x") does.
  CHECK_THROWS_AS(lg::FileHandler(dir.file("mode.log"), "x"), std::system_error);
}

TEST_CASE("basic_config with an empty handler list gives the root no handler - as handlers=[]") {
  test::CleanLogging clean;
  lg::basic_config({.level = lg::INFO, .handlers = {}});
  CHECK(python({"basic_config_empty"}) ==
        std::to_string(lg::get_logger().handlers().size()) + " " + std::to_string(lg::get_logger().level()) + "\n");
  // Not given: a stream handler, as before.
  lg::basic_config({.level = lg::INFO});
  CHECK(lg::get_logger().handlers().size() == 1);
}

TEST_CASE("basic_config with the brace style and no format uses Python's brace default") {
  test::CleanLogging clean;
  test::FdCapture out(1);
  lg::basic_config({.style = lg::Formatter::Style::brace, .stream_fd = 1});
  lg::warning("brace {}", "default");
  CHECK(out.text() == python({"brace_default"}));
}

// In the global namespace, so that their names print as Python's __main__ classes do.
struct Inner : std::runtime_error {
  using std::runtime_error::runtime_error;
};
struct Middle : std::runtime_error {
  using std::runtime_error::runtime_error;
};
struct Outer : std::runtime_error {
  using std::runtime_error::runtime_error;
};

TEST_CASE("exception text as Python prints it - empty messages, cause chains, no exception") {
  test::CleanLogging clean;
  auto h = std::make_shared<lg::CaptureHandler>();
  h->set_formatter(std::make_shared<lg::Formatter>("[%(message)s]"));
  lg::Logger& log = lg::get_logger("pp.exc");
  log.add_handler(h);
  log.set_propagate(false);
  log.set_level(lg::DEBUG);
  try {
    throw Inner("");
  } catch (...) {
    log.exception("empty message");
  }
  try {
    throw Inner("just this");
  } catch (...) {
    log.exception("plain");
  }
  try {
    try {
      try {
        throw Inner("disk");
      } catch (...) {
        std::throw_with_nested(Middle("load"));
      }
    } catch (...) {
      std::throw_with_nested(Outer(""));
    }
  } catch (...) {
    log.exception("chain");
  }
  log.exception("outside");
  log.info(lg::exc_info, "info with exc_info");
  std::string out;
  for (const std::string& line : h->lines()) out += line + "\n";
  CHECK(out == python({"exception_text"}));
  // The type of a nested exception is the thrown one, not std::_Nested_exception<...>.
  try {
    try {
      throw Inner("x");
    } catch (...) {
      std::throw_with_nested(Outer("y"));
    }
  } catch (...) {
    CHECK(lg::current_exception_info().type == "Outer");
  }
}

#endif
