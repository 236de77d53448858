#include <doctest/doctest.h>

#include "test_support.hpp"

#include <fmt/format.h>

#include <source_location>

namespace lg = prun::logging;

namespace {
// Counts how often fmt formats it, to prove that a disabled call formats nothing.
struct Costly {
  static inline int formatted = 0;
};
}  // namespace

template <>
struct fmt::formatter<Costly> : fmt::formatter<std::string_view> {
  auto format(const Costly&, fmt::format_context& ctx) const {
    ++Costly::formatted;
    return fmt::formatter<std::string_view>::format("costly", ctx);
  }
};

TEST_CASE("get_logger returns one logger per name and builds the dotted hierarchy") {
  test::CleanLogging clean;
  lg::Logger& abc = lg::get_logger("t1.b.c");
  CHECK(&abc == &lg::get_logger("t1.b.c"));
  CHECK(abc.parent() == &lg::get_logger());  // no ancestor exists yet
  lg::Logger& a = lg::get_logger("t1");
  CHECK(abc.parent() == &a);
  lg::Logger& ab = lg::get_logger("t1.b");
  CHECK(abc.parent() == &ab);
  CHECK(ab.parent() == &a);
  CHECK(&lg::get_logger("") == &lg::get_logger());
  CHECK(&lg::get_logger("root") == &lg::get_logger());
  CHECK(lg::get_logger().name() == "root");
}

TEST_CASE("effective level inherits from ancestors - NOTSET means inherit") {
  test::CleanLogging clean;
  lg::Logger& child = lg::get_logger("t2.child");
  CHECK(child.effective_level() == lg::WARNING);
  lg::get_logger("t2").set_level(lg::DEBUG);
  CHECK(child.effective_level() == lg::DEBUG);
  CHECK(child.is_enabled_for(lg::DEBUG));
  child.set_level(lg::ERROR);
  CHECK_FALSE(child.is_enabled_for(lg::WARNING));
  child.set_level(lg::NOTSET);
  lg::get_logger("t2").set_level(lg::NOTSET);
  CHECK_FALSE(child.is_enabled_for(lg::INFO));
  lg::disable(lg::ERROR);
  CHECK_FALSE(child.is_enabled_for(lg::ERROR));
  CHECK(child.is_enabled_for(lg::CRITICAL));
}

TEST_CASE("records propagate to ancestors' handlers until propagate is off") {
  test::CleanLogging clean;
  auto root_h = std::make_shared<lg::CaptureHandler>();
  auto mid_h = std::make_shared<lg::CaptureHandler>();
  lg::get_logger().add_handler(root_h);
  lg::get_logger("t3").add_handler(mid_h);
  lg::Logger& leaf = lg::get_logger("t3.leaf");
  leaf.warning("one");
  CHECK(root_h->size() == 1);
  CHECK(mid_h->size() == 1);
  lg::get_logger("t3").set_propagate(false);
  leaf.warning("two");
  CHECK(root_h->size() == 1);
  CHECK(mid_h->size() == 2);
  lg::get_logger("t3").set_propagate(true);
}

TEST_CASE("logger filters run only where the call is made - handler filters and levels always") {
  test::CleanLogging clean;
  auto h = std::make_shared<lg::CaptureHandler>();
  lg::get_logger().add_handler(h);
  lg::get_logger().add_filter(std::make_shared<lg::PrefixFilter>("process=main "));
  lg::get_logger().warning("from root");
  lg::get_logger("t4").warning("from child");
  CHECK(h->lines() == std::vector<std::string>{"process=main from root", "from child"});

  h->clear();
  h->set_level(lg::ERROR);
  lg::get_logger("t4").warning("below the handler's level");
  CHECK(h->size() == 0);
  h->set_level(lg::NOTSET);
  auto drop_secret = h->add_filter([](lg::Record& r) { return r.message.find("secret") == std::string::npos; });
  lg::get_logger("t4").warning("a secret");
  lg::get_logger("t4").warning("public");
  CHECK(h->lines() == std::vector<std::string>{"public"});
  h->remove_filter(drop_secret);
  lg::get_logger("t4").warning("a secret");
  CHECK(h->size() == 2);
}

TEST_CASE("handle() applies no level check - disabled loggers drop everything") {
  test::CleanLogging clean;
  auto h = std::make_shared<lg::CaptureHandler>();
  lg::get_logger().add_handler(h);
  lg::Logger& l = lg::get_logger("t5");
  l.set_level(lg::CRITICAL);
  lg::Record r = l.make_record(lg::DEBUG, "arrived from elsewhere", std::source_location::current());
  l.handle(r);
  CHECK(h->lines() == std::vector<std::string>{"arrived from elsewhere"});
  l.set_disabled(true);
  l.handle(r);
  l.critical("dropped");
  CHECK(h->size() == 1);
  l.set_disabled(false);
  l.set_level(lg::NOTSET);
}

TEST_CASE("with no handler anywhere - WARNING and above go to stderr as the bare message") {
  test::CleanLogging clean;
  test::FdCapture err(2);
  lg::get_logger("t6").info("not shown");
  lg::get_logger("t6").warning("last {}", "resort");
  lg::get_logger().error("root too");
  CHECK(err.text() == "last resort\nroot too\n");
}

TEST_CASE("module-level functions configure the root like Python's logging.warning()") {
  test::CleanLogging clean;
  test::FdCapture err(2);
  lg::warning("disk at {}%", 93);
  CHECK(lg::get_logger().has_handlers());
  CHECK(err.text() == "WARNING:root:disk at 93%\n");
}

TEST_CASE("a call at a disabled level formats nothing") {
  test::CleanLogging clean;
  auto h = std::make_shared<lg::CaptureHandler>();
  lg::get_logger().add_handler(h);
  lg::get_logger().set_level(lg::INFO);
  Costly::formatted = 0;
  lg::get_logger().debug("{}", Costly{});
  CHECK(Costly::formatted == 0);
  lg::get_logger().info("{}", Costly{});
  CHECK(Costly::formatted == 1);
  CHECK(h->lines() == std::vector<std::string>{"costly"});
}

TEST_CASE("records carry the caller's source location - time - thread and process") {
  test::CleanLogging clean;
  auto h = std::make_shared<lg::CaptureHandler>();
  h->set_formatter(std::make_shared<lg::Formatter>("%(filename)s:%(lineno)d %(funcName)s %(levelname)s %(threadName)s %(processName)s"));
  lg::get_logger().add_handler(h);
  const int line = __LINE__ + 1;
  lg::get_logger("t7").error("located");
  lg::Record r = h->records().at(0);
  CHECK(r.lineno == line);
  CHECK(r.process == ::getpid());
  CHECK(r.task_index == -1);
  CHECK(h->lines().at(0).starts_with(fmt::format("test_logger.cpp:{} ", line)));
  CHECK(h->lines().at(0).ends_with(" ERROR MainThread MainProcess"));
}

TEST_CASE("exception() appends the exception's demangled type and what()") {
  test::CleanLogging clean;
  auto h = std::make_shared<lg::CaptureHandler>();
  lg::get_logger().add_handler(h);
  try {
    throw std::out_of_range("index 7");
  } catch (...) {
    lg::get_logger("t8").exception("lookup failed for {}", "key");
  }
  CHECK(h->records().at(0).levelno == lg::ERROR);
  CHECK(h->lines().at(0) == "lookup failed for key\nstd::out_of_range: index 7");
}

TEST_CASE("set_task stamps records with the task's tag and index") {
  test::CleanLogging clean;
  auto h = std::make_shared<lg::CaptureHandler>();
  h->set_formatter(std::make_shared<lg::Formatter>("%(task)s/%(taskIndex)d %(message)s"));
  lg::get_logger().add_handler(h);
  lg::set_task("alpha", 4);
  lg::get_logger().warning("in task");
  lg::clear_task();
  lg::get_logger().warning("outside");
  CHECK(h->lines() == std::vector<std::string>{"alpha/4 in task", "/-1 outside"});
}
