#include <doctest/doctest.h>

#include "test_support.hpp"

#include <prun/logging/dict_config.hpp>

namespace lg = prun::logging;

TEST_CASE("basic_config follows Python's rules") {
  test::CleanLogging clean;
  test::TempDir dir;
  lg::basic_config({.level = lg::INFO, .format = "%(levelname)s %(message)s", .filename = dir.file("a.log")});
  CHECK(lg::get_logger().level() == lg::INFO);
  CHECK(lg::get_logger().handlers().size() == 1);
  // A second call changes nothing, not even the level, while the root has handlers.
  lg::basic_config({.level = lg::DEBUG, .filename = dir.file("b.log")});
  CHECK(lg::get_logger().level() == lg::INFO);
  CHECK(lg::get_logger().handlers().size() == 1);
  lg::info("kept");
  CHECK(test::read_file(dir.file("a.log")) == "INFO kept\n");
  // force replaces (and closes) the handlers.
  lg::basic_config({.level = lg::DEBUG, .filename = dir.file("b.log"), .force = true});
  lg::debug("forced");
  CHECK(test::read_file(dir.file("b.log")) == "DEBUG:root:forced\n");
  CHECK_THROWS_AS(lg::basic_config({.stream_fd = 1, .filename = "x", .force = true}), std::invalid_argument);
  auto h = std::make_shared<lg::CaptureHandler>();
  CHECK_THROWS_AS(lg::basic_config({.filename = "x", .handlers = {h}, .force = true}), std::invalid_argument);
}

TEST_CASE("basic_config gives ready handlers the format unless they have one") {
  test::CleanLogging clean;
  auto plain = std::make_shared<lg::CaptureHandler>();
  auto own = std::make_shared<lg::CaptureHandler>();
  own->set_formatter(std::make_shared<lg::Formatter>("own:%(message)s"));
  lg::basic_config({.format = "cfg:%(message)s", .handlers = {plain, own}});
  lg::warning("x");
  CHECK(plain->lines() == std::vector<std::string>{"cfg:x"});
  CHECK(own->lines() == std::vector<std::string>{"own:x"});
}

TEST_CASE("ScopedRootReset empties the root and restores it exactly - also on exceptions") {
  test::CleanLogging clean;
  auto h = std::make_shared<lg::CaptureHandler>();
  auto prefix = std::make_shared<lg::PrefixFilter>("process=main ");
  lg::get_logger().add_handler(h);
  lg::get_logger().add_filter(prefix);
  lg::get_logger().set_level(lg::INFO);
  try {
    lg::ScopedRootReset scope;
    CHECK(lg::get_logger().handlers().empty());
    CHECK(lg::get_logger().filters().empty());
    CHECK(lg::get_logger().level() == lg::WARNING);
    lg::get_logger().add_handler(std::make_shared<lg::NullHandler>());
    lg::get_logger().set_level(lg::DEBUG);
    throw std::runtime_error("task failed");
  } catch (const std::runtime_error&) {
  }
  CHECK(lg::get_logger().handlers() == std::vector<lg::HandlerPtr>{h});
  CHECK(lg::get_logger().filters() == std::vector<lg::FilterPtr>{prefix});
  CHECK(lg::get_logger().level() == lg::INFO);
}

TEST_CASE("HierarchySnapshot detaches every handler and delivers records as callHandlers would") {
  test::CleanLogging clean;
  auto root_h = std::make_shared<lg::CaptureHandler>();
  auto foo_h = std::make_shared<lg::CaptureHandler>();
  auto errors = std::make_shared<lg::CaptureHandler>(lg::ERROR);
  lg::get_logger().add_handler(root_h);
  lg::get_logger().add_handler(errors);
  lg::get_logger().add_filter(std::make_shared<lg::PrefixFilter>("process=main "));
  lg::get_logger("snapfoo").add_handler(foo_h);
  {
    auto snap = lg::HierarchySnapshot::capture_and_reset();
    CHECK_FALSE(lg::get_logger().has_handlers());
    CHECK_FALSE(lg::get_logger("snapfoo").has_handlers());
    auto task_h = std::make_shared<lg::CaptureHandler>();
    lg::get_logger("snapfoo.bar").add_handler(task_h);  // added during the scope, removed after
    lg::Record r = lg::get_logger("snapfoo.bar").make_record(lg::ERROR, "boom", std::source_location::current());
    snap.call_handlers(r);
    lg::Record r2 = lg::get_logger("other").make_record(lg::INFO, "info", std::source_location::current());
    snap.call_handlers(r2);
    snap.restore();
    CHECK(task_h->size() == 0);
    CHECK_FALSE(lg::get_logger("snapfoo.bar").has_own_handlers());
  }
  // The root's logger filter (the main prefix) never touches delivered records.
  CHECK(root_h->lines() == std::vector<std::string>{"boom", "info"});
  CHECK(foo_h->lines() == std::vector<std::string>{"boom"});
  CHECK(errors->lines() == std::vector<std::string>{"boom"});
  CHECK(lg::get_logger("snapfoo").handlers() == std::vector<lg::HandlerPtr>{foo_h});
}

TEST_CASE("basic_config without a format uses the style's default - as Python does") {
  // Python: basicConfig(style='{') -> '{levelname}:{name}:{message}', '$' -> '${levelname}:...'.
  for (auto style : {lg::Formatter::Style::percent, lg::Formatter::Style::brace, lg::Formatter::Style::dollar}) {
    test::CleanLogging clean;
    test::TempDir dir;
    lg::basic_config({.style = style, .filename = dir.file("s.log")});
    lg::get_logger("app").warning("styled");
    CHECK(test::read_file(dir.file("s.log")) == "WARNING:app:styled\n");
  }
}

TEST_CASE("dict_config takes the dollar style") {
  test::CleanLogging clean;
  test::TempDir dir;
  const std::string json = R"({"version": 1,
    "formatters": {"f": {"format": "${levelname} ${message}", "style": "$"}, "plain": {}},
    "handlers": {"h": {"class": "logging.FileHandler", "filename": ")" + dir.file("d.log") + R"(", "formatter": "f"},
                 "p": {"class": "logging.FileHandler", "filename": ")" + dir.file("p.log") + R"(", "formatter": "plain"}},
    "root": {"level": "INFO", "handlers": ["h", "p"]}})";
  lg::dict_config_from_json(json);
  lg::info("dollars");
  CHECK(test::read_file(dir.file("d.log")) == "INFO dollars\n");
  CHECK(test::read_file(dir.file("p.log")) == "dollars\n");  // a formatter without a format: '%(message)s'
}
