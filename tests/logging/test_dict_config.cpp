// dict_config: Python's dictConfig schema from JSON.
#include <doctest/doctest.h>

#include "cookbook.hpp"
#include "test_support.hpp"

#include <prun/logging/dict_config.hpp>

#include <nlohmann/json.hpp>

namespace lg = prun::logging;
using json = nlohmann::json;

namespace {
// The logging cookbook's `d`, pasted as JSON (with the spaces of the cookbook's format).
constexpr const char* kCookbook = R"({
  "version": 1,
  "formatters": {
    "detailed": {
      "class": "logging.Formatter",
      "format": "%(asctime)s %(name)-15s %(levelname)-8s %(processName)-10s %(message)s"
    }
  },
  "handlers": {
    "console": {"class": "logging.StreamHandler", "level": "INFO"},
    "file": {"class": "logging.FileHandler", "filename": "mplog.log", "mode": "w", "formatter": "detailed"},
    "foofile": {"class": "logging.FileHandler", "filename": "mplog-foo.log", "mode": "w", "formatter": "detailed"},
    "errors": {"class": "logging.FileHandler", "filename": "mplog-errors.log", "mode": "w", "level": "ERROR",
               "formatter": "detailed"}
  },
  "loggers": {"foo": {"handlers": ["foofile"]}},
  "root": {"level": "DEBUG", "handlers": ["console", "file", "errors"]}
})";

// `config` for prun, writing into `dir`. The loggers the records use (foo, spam.ham, ...) did not
// exist when CPython's dictConfig ran; here they may, since loggers live as long as the test
// program: not disabling existing loggers gives them the state they would have had.
json in_dir(json config, const test::TempDir& dir) {
  for (auto& [name, h] : config["handlers"].items())
    if (h.contains("filename")) h["filename"] = dir.file(h["filename"].get<std::string>());
  config["disable_existing_loggers"] = false;
  return config;
}

// The message of the std::invalid_argument that dict_config throws for `config`.
std::string error_of(const json& config) {
  try {
    lg::dict_config(config);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "(no error)";
}
}  // namespace

#ifdef PRUN_PYTHON3
TEST_CASE("dict_config of the cookbook's dictionary writes the files CPython's dictConfig writes") {
  test::CleanLogging clean;
  test::compare_cookbook_run(kCookbook, [](const test::TempDir& dir) { lg::dict_config(in_dir(json::parse(kCookbook), dir)); });
}

TEST_CASE("dict_config of the cookbook with propagate off on foo writes what CPython writes") {
  test::CleanLogging clean;
  json config = json::parse(kCookbook);
  config["loggers"]["foo"]["propagate"] = false;
  test::compare_cookbook_run(config.dump(), [&](const test::TempDir& dir) { lg::dict_config(in_dir(config, dir)); });
}

TEST_CASE("dict_config disables or resets existing loggers as Python's does") {
  for (const char* flag : {"default", "true", "false"}) {
    test::CleanLogging clean;
    INFO("disable_existing_loggers: ", flag);
    for (const char* name : {"de.kept", "de.kept.child", "de.kept.child.deep", "de.other", "de.other.x", "de.keptsibling"}) {
      lg::get_logger(name).set_level(lg::INFO);
      lg::get_logger(name).add_handler(std::make_shared<lg::NullHandler>());
      lg::get_logger(name).set_propagate(false);
    }
    lg::get_logger("de.other").set_disabled(true);
    json config = {{"version", 1}, {"loggers", {{"de.kept", {{"level", "DEBUG"}}}, {"de.new", {{"propagate", false}}}}}};
    if (std::string(flag) != "default") config["disable_existing_loggers"] = std::string(flag) == "true";
    lg::dict_config(config);
    std::string out;
    for (const char* name : {"de.kept", "de.kept.child", "de.kept.child.deep", "de.other", "de.other.x", "de.keptsibling", "de.new"}) {
      const lg::Logger& l = lg::get_logger(name);
      out += fmt::format("{} {} {} {} {}\n", name, l.level(), l.propagate() ? "True" : "False",
                         l.disabled() ? "True" : "False", l.handlers().size());
    }
    auto ref = test::run_program({PRUN_PYTHON3, PRUN_LOGGING_TEST_DIR "/python_parity.py", "dictconfig_existing", flag});
    CHECK(out == ref.out);
  }
}
#endif

TEST_CASE("dict_config reads a JSON string, a file or a parsed object") {
  test::CleanLogging clean;
  test::TempDir dir;
  const std::string config = json{{"version", 1},
                                   {"formatters", {{"brief", {{"format", "{levelname}|{name}|{message}"}, {"style", "{"}}}}},
                                   {"filters", {{"only_app", {{"name", "dc.app"}}}}},
                                   {"handlers",
                                    {{"out", {{"class", "logging.StreamHandler"}, {"stream", "ext://sys.stdout"}, {"formatter", "brief"},
                                              {"filters", {"only_app"}}, {"level", 20}}},
                                     {"rot", {{"class", "logging.handlers.RotatingFileHandler"}, {"filename", dir.file("r.log")},
                                              {"maxBytes", 1000}, {"backupCount", 2}, {"encoding", "utf-8"}}},
                                     {"null", {{"class", "logging.NullHandler"}}}}},
                                   {"loggers", {{"dc.app", {{"level", "DEBUG"}, {"handlers", {"rot"}}}}}},
                                   {"root", {{"level", "WARNING"}, {"handlers", {"out", "null"}}}}}
                                  .dump();
  {
    test::FdCapture out(1);
    lg::dict_config_from_json(config);
    lg::get_logger("dc.app.db").info("kept by the filter");
    lg::get_logger("dc.app.db").debug("below the handler's level");
    lg::get_logger("dc.other").error("dropped by the filter");
    CHECK(out.text() == "INFO|dc.app.db|kept by the filter\n");
    CHECK(test::read_file(dir.file("r.log")) == "kept by the filter\nbelow the handler's level\n");
  }
  lg::reset_to_pristine();
  {
    std::ofstream(dir.file("config.json")) << config;
    test::FdCapture out(1);
    lg::dict_config_from_file(dir.file("config.json"));
    lg::get_logger("dc.app").warning("from the file");
    CHECK(out.text() == "WARNING|dc.app|from the file\n");
  }
  auto root = lg::get_logger().handlers();
  REQUIRE(root.size() == 2);
  CHECK(root[0]->name() == "out");
  CHECK(root[0]->level() == lg::INFO);
  CHECK_THROWS_AS(lg::dict_config_from_file(dir.file("missing.json")), std::invalid_argument);
}

TEST_CASE("dict_config takes factories registered by name") {
  test::CleanLogging clean;
  auto captured = std::make_shared<lg::CaptureHandler>();
  lg::register_handler_factory("tests.Capture", [captured](const json& args) -> lg::HandlerPtr {
    captured->set_name(args.at("label").get<std::string>());
    return captured;
  });
  lg::register_formatter_factory("tests.Tagged", [](const json& args) -> lg::FormatterPtr {
    return std::make_shared<lg::Formatter>(args.at("tag").get<std::string>() + " %(message)s");
  });
  lg::register_filter_factory("tests.DropSecrets", [](const json&) -> lg::FilterPtr {
    return lg::make_filter([](lg::Record& r) { return r.message.find("secret") == std::string::npos; });
  });
  lg::dict_config({{"version", 1},
                   {"formatters", {{"t", {{"()", "tests.Tagged"}, {"tag", "[T]"}}}}},
                   {"filters", {{"s", {{"()", "tests.DropSecrets"}}}}},
                   {"handlers", {{"c", {{"()", "tests.Capture"}, {"label", "mine"}, {"formatter", "t"}}}}},
                   {"loggers", {{"dc.fac", {{"handlers", {"c"}}, {"filters", {"s"}}, {"propagate", false}}}}}});
  lg::get_logger("dc.fac").warning("hello");
  lg::get_logger("dc.fac").warning("a secret");
  CHECK(captured->lines() == std::vector<std::string>{"[T] hello"});
  CHECK(captured->name() == "c");  // the dictionary's key names it, as in Python
}

TEST_CASE("dict_config errors name the entry as Python's ValueError - and change nothing") {
  test::CleanLogging clean;
  auto kept = std::make_shared<lg::CaptureHandler>();
  lg::get_logger().add_handler(kept);
  lg::get_logger("dc.err").set_level(lg::ERROR);
  const json file = {{"class", "logging.FileHandler"}, {"filename", "/nonexistent-dir/x.log"}};
  CHECK(error_of({{"handlers", json::object()}}) == "dictionary doesn't specify a version");
  CHECK(error_of({{"version", 2}}) == "Unsupported version: 2");
  CHECK(error_of({{"version", 1}, {"incremental", true}}).find("incremental") != std::string::npos);
  CHECK(error_of({{"version", 1}, {"handlers", {{"file", file}}}}).starts_with("Unable to configure handler 'file': "));
  CHECK(error_of({{"version", 1}, {"handlers", {{"h", {{"class", "logging.Nope"}}}}}}) ==
        "Unable to configure handler 'h': Cannot resolve 'logging.Nope': no such factory is registered");
  CHECK(error_of({{"version", 1}, {"handlers", {{"h", {{"class", "logging.StreamHandler"}, {"level", "LOUD"}}}}}}) ==
        "Unable to configure handler 'h': Unknown level: 'LOUD'");
  CHECK(error_of({{"version", 1}, {"handlers", {{"h", {{"class", "logging.StreamHandler"}, {"formatter", "nope"}}}}}}) ==
        "Unable to configure handler 'h': Unable to set formatter 'nope'");
  CHECK(error_of({{"version", 1}, {"handlers", {{"h", {{"class", "logging.FileHandler"}, {"filename", "x"}, {"bogus", 1}}}}}}) ==
        "Unable to configure handler 'h': FileHandler() got an unexpected keyword argument 'bogus'");
  CHECK(error_of({{"version", 1}, {"formatters", {{"f", {{"format", "%(message)"}}}}}}).starts_with("Unable to configure formatter 'f': "));
  CHECK(error_of({{"version", 1}, {"formatters", {{"f", {{"style", "%s"}}}}}}).starts_with("Unable to configure formatter 'f': "));
  CHECK(error_of({{"version", 1}, {"filters", {{"x", {{"()", "nope.Factory"}}}}}}).starts_with("Unable to configure filter 'x': "));
  CHECK(error_of({{"version", 1}, {"loggers", {{"dc.err", {{"handlers", {"missing"}}}}}}}) ==
        "Unable to configure logger 'dc.err': Unable to add handler 'missing'");
  CHECK(error_of({{"version", 1}, {"loggers", {{"dc.err", {{"filters", {"missing"}}}}}}}) ==
        "Unable to configure logger 'dc.err': Unable to add filter 'missing'");
  CHECK(error_of({{"version", 1}, {"root", {{"level", 1.5}}}}) ==
        "Unable to configure root logger: Level not an integer or a valid string: 1.5");
  CHECK_THROWS_WITH_AS(lg::dict_config_from_json("{\"version\": 1,"), doctest::Contains("invalid JSON"), std::invalid_argument);
  // None of these touched the configuration.
  CHECK(lg::get_logger().handlers() == std::vector<lg::HandlerPtr>{kept});
  CHECK(lg::get_logger("dc.err").level() == lg::ERROR);
  CHECK_FALSE(lg::get_logger("dc.err").disabled());
}
