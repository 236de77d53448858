// The pristine task scope: HierarchySnapshot, reset_to_pristine and dispatch().
#include <doctest/doctest.h>

#include "cookbook.hpp"
#include "test_support.hpp"

#include <fstream>

namespace lg = prun::logging;

namespace {
lg::Record elsewhere(const std::string& name, int level, const std::string& msg) {
  return lg::get_logger(name).make_record(level, msg, std::source_location::current());
}

bool is_fresh(const lg::Logger& l) {
  return l.level() == lg::NOTSET && l.propagate() && !l.disabled() && l.handlers().empty() && l.filters().empty();
}
}  // namespace

TEST_CASE("capture_and_reset leaves every logger as a fresh child has it and restore puts back all") {
  test::CleanLogging clean;
  auto root_h = std::make_shared<lg::CaptureHandler>();
  auto foo_h = std::make_shared<lg::CaptureHandler>();
  auto root_filter = std::make_shared<lg::PrefixFilter>("main ");
  auto foo_filter = std::make_shared<lg::NameFilter>("sc1.foo");
  lg::Logger& root = lg::get_logger();
  lg::Logger& foo = lg::get_logger("sc1.foo");
  lg::Logger& bar = lg::get_logger("sc1.foo.bar");
  lg::Logger& quiet = lg::get_logger("sc1.quiet");
  root.add_handler(root_h);
  root.add_filter(root_filter);
  root.set_level(lg::DEBUG);
  foo.add_handler(foo_h);
  foo.add_filter(foo_filter);
  foo.set_level(lg::ERROR);
  foo.set_propagate(false);
  bar.set_level(lg::INFO);
  quiet.set_disabled(true);
  lg::disable(lg::INFO);

  auto saved = lg::HierarchySnapshot::capture_and_reset(lg::INFO);
  CHECK(root.level() == lg::INFO);
  CHECK(root.handlers().empty());
  CHECK(root.filters().empty());
  CHECK(lg::disable_level() == lg::NOTSET);
  for (lg::Logger* l : {&foo, &bar, &quiet}) CHECK_MESSAGE(is_fresh(*l), l->name());
  CHECK(bar.is_enabled_for(lg::INFO));
  CHECK_FALSE(bar.is_enabled_for(lg::DEBUG));
  CHECK(quiet.is_enabled_for(lg::WARNING));

  // The task configures its own hierarchy, including a logger that did not exist.
  lg::Logger& fresh = lg::get_logger("sc1.created.in.scope");
  fresh.set_level(lg::CRITICAL);
  fresh.add_handler(std::make_shared<lg::NullHandler>());
  foo.set_propagate(true);
  foo.add_handler(std::make_shared<lg::NullHandler>());
  root.add_handler(std::make_shared<lg::NullHandler>());
  lg::disable(lg::CRITICAL);

  saved.restore();
  CHECK(root.level() == lg::DEBUG);
  CHECK(root.handlers() == std::vector<lg::HandlerPtr>{root_h});
  CHECK(root.filters() == std::vector<lg::FilterPtr>{root_filter});
  CHECK(foo.level() == lg::ERROR);
  CHECK_FALSE(foo.propagate());
  CHECK(foo.handlers() == std::vector<lg::HandlerPtr>{foo_h});
  CHECK(foo.filters() == std::vector<lg::FilterPtr>{foo_filter});
  CHECK(bar.level() == lg::INFO);
  CHECK(quiet.disabled());
  CHECK_FALSE(quiet.is_enabled_for(lg::CRITICAL));
  CHECK(lg::disable_level() == lg::INFO);
  CHECK(is_fresh(fresh));  // created inside the scope: ends fresh
  CHECK_FALSE(bar.is_enabled_for(lg::INFO));  // disable(INFO) is back
  CHECK(bar.is_enabled_for(lg::WARNING));
}

TEST_CASE("reset_to_pristine resets every logger and moves the configuration generation") {
  test::CleanLogging clean;
  lg::get_logger("sc2.a").set_propagate(false);
  lg::get_logger("sc2.a.b").set_disabled(true);
  lg::get_logger("sc2.a").add_filter(std::make_shared<lg::NameFilter>("x"));
  lg::get_logger("sc2.c").set_level(lg::DEBUG);
  const auto before = lg::configuration_generation();
  lg::reset_to_pristine(lg::ERROR);
  CHECK(lg::configuration_generation() != before);
  CHECK(lg::get_logger().level() == lg::ERROR);
  for (const char* name : {"sc2.a", "sc2.a.b", "sc2.c"}) CHECK_MESSAGE(is_fresh(lg::get_logger(name)), name);
  CHECK_FALSE(lg::get_logger("sc2.c").is_enabled_for(lg::WARNING));
  // Creating a logger is no configuration change; setting propagate is one.
  const auto now = lg::configuration_generation();
  lg::get_logger("sc2.new.logger");
  CHECK(lg::configuration_generation() == now);
  lg::get_logger("sc2.new.logger").set_propagate(false);
  CHECK(lg::configuration_generation() != now);
}

TEST_CASE("dispatch routes a record made elsewhere as the cookbook's listener - without logger filters") {
  test::CleanLogging clean;
  auto root_h = std::make_shared<lg::CaptureHandler>();
  auto foo_h = std::make_shared<lg::CaptureHandler>();
  lg::get_logger().add_handler(root_h);
  lg::get_logger().add_filter(std::make_shared<lg::PrefixFilter>("process=main "));
  lg::get_logger().set_level(lg::CRITICAL);  // logger levels do not apply to routed records
  lg::Logger& foo = lg::get_logger("sc3.foo");
  foo.add_handler(foo_h);
  foo.add_filter([](lg::Record&) { return false; });  // logger filters do not run either
  foo.set_propagate(false);

  auto r1 = elsewhere("sc3.foo.bar", lg::DEBUG, "to foo only");
  lg::dispatch(r1);
  auto r2 = elsewhere("sc3.spam", lg::DEBUG, "to the root, unprefixed");
  lg::dispatch(r2);
  lg::get_logger("sc3.foo.bar").set_disabled(true);
  auto r3 = elsewhere("sc3.foo.bar", lg::ERROR, "dropped: its logger is disabled");
  lg::dispatch(r3);
  lg::get_logger("sc3.foo").set_disabled(true);  // only the first logger's flag counts
  auto r4 = elsewhere("sc3.foo.baz", lg::ERROR, "an ancestor's disabled flag does not stop it");
  lg::dispatch(r4);
  CHECK(foo_h->lines() == std::vector<std::string>{"to foo only", "an ancestor's disabled flag does not stop it"});
  CHECK(root_h->lines() == std::vector<std::string>{"to the root, unprefixed"});

  // No handler on the way: the last resort, WARNING and above.
  lg::reset_to_pristine();
  test::FdCapture err(2);
  auto r5 = elsewhere("sc3.none", lg::INFO, "not shown");
  auto r6 = elsewhere("sc3.none", lg::WARNING, "last resort");
  lg::dispatch(r5);
  lg::dispatch(r6);
  CHECK(err.text() == "last resort\n");
}

TEST_CASE("a snapshot routes with the captured configuration while the live one is reset") {
  test::CleanLogging clean;
  auto foo_h = std::make_shared<lg::CaptureHandler>();
  auto root_h = std::make_shared<lg::CaptureHandler>();
  lg::get_logger().add_handler(root_h);
  lg::get_logger("sc4.foo").add_handler(foo_h);
  lg::get_logger("sc4.foo").set_propagate(false);
  lg::get_logger("sc4.off").set_disabled(true);
  auto saved = lg::HierarchySnapshot::capture_and_reset();
  auto task_h = std::make_shared<lg::CaptureHandler>();
  lg::get_logger().add_handler(task_h);  // what a task installs
  lg::get_logger("sc4.foo").set_propagate(true);
  auto r1 = elsewhere("sc4.foo.x", lg::INFO, "foo");
  saved.call_handlers(r1);
  auto r2 = elsewhere("sc4.off", lg::INFO, "disabled in the snapshot");
  saved.call_handlers(r2);
  auto r3 = elsewhere("sc4.brand.new", lg::INFO, "new logger");
  saved.call_handlers(r3);
  saved.restore();
  CHECK(foo_h->lines() == std::vector<std::string>{"foo"});
  CHECK(root_h->lines() == std::vector<std::string>{"new logger"});
  CHECK(task_h->size() == 0);
}

TEST_CASE("handlers and filters may log and configure logging - no lock is held while they run") {
  test::CleanLogging clean;
  auto inner = std::make_shared<lg::CaptureHandler>();
  lg::get_logger("sc5.inner").add_handler(inner);
  lg::get_logger("sc5.inner").set_propagate(false);
  struct Reentrant : lg::Handler {
    int n = 0;
    void emit(const lg::Record& r) override {
      if (n++ > 0) return;
      lg::get_logger("sc5.created.by.handler." + std::to_string(n)).set_level(lg::INFO);  // configures
      lg::get_logger("sc5.inner").warning("from emit: {}", r.message);                   // logs
    }
  };
  lg::get_logger().add_handler(std::make_shared<Reentrant>());
  lg::get_logger().add_filter([](lg::Record& r) {
    lg::get_logger("sc5.created.by.filter").add_filter([](lg::Record&) { return true; });
    r.message += "!";
    return true;
  });
  lg::get_logger().warning("outer");
  CHECK(inner->lines() == std::vector<std::string>{"from emit: outer!"});
}

#ifdef PRUN_PYTHON3
TEST_CASE("the cookbook with propagate off on foo writes the files CPython writes") {
  test::CleanLogging clean;
  const std::string config = R"({"version": 1,
    "formatters": {"detailed": {"class": "logging.Formatter",
      "format": "%(asctime)s %(name)-15s %(levelname)-8s %(processName)-10s %(message)s"}},
    "handlers": {
      "console": {"class": "logging.StreamHandler", "level": "INFO"},
      "file": {"class": "logging.FileHandler", "filename": "mplog.log", "mode": "w", "formatter": "detailed"},
      "foofile": {"class": "logging.FileHandler", "filename": "mplog-foo.log", "mode": "w", "formatter": "detailed"},
      "errors": {"class": "logging.FileHandler", "filename": "mplog-errors.log", "mode": "w", "level": "ERROR",
                 "formatter": "detailed"}},
    "loggers": {"foo": {"handlers": ["foofile"], "propagate": false}},
    "root": {"level": "DEBUG", "handlers": ["console", "file", "errors"]}})";
  // Configured in code, as a port of the dictionary would be.
  test::compare_cookbook_run(config, [](const test::TempDir& dir) {
    auto detailed = std::make_shared<lg::Formatter>("%(asctime)s %(name)-15s %(levelname)-8s %(processName)-10s %(message)s");
    auto console = std::make_shared<lg::StreamHandler>();
    console->set_level(lg::INFO);
    auto file = std::make_shared<lg::FileHandler>(dir.file("mplog.log"), "w");
    auto foofile = std::make_shared<lg::FileHandler>(dir.file("mplog-foo.log"), "w");
    auto errors = std::make_shared<lg::FileHandler>(dir.file("mplog-errors.log"), "w");
    errors->set_level(lg::ERROR);
    for (auto* h : {file.get(), foofile.get(), errors.get()}) h->set_formatter(detailed);
    lg::get_logger("foo").add_handler(foofile);
    lg::get_logger("foo").set_propagate(false);
    lg::get_logger().set_level(lg::DEBUG);
    lg::get_logger().set_handlers({console, file, errors});
  });
}
#endif
