// What porting users reach for: extra, exc_info on any level, LoggerAdapter, get_child.
#include <doctest/doctest.h>

#include "test_support.hpp"

#include <thread>

namespace lg = prun::logging;

namespace {
std::shared_ptr<lg::CaptureHandler> capture(lg::Logger& l) {
  auto h = std::make_shared<lg::CaptureHandler>();
  l.add_handler(h);
  l.set_propagate(false);
  l.set_level(lg::DEBUG);
  return h;
}

// "key=value" for each extra of a record.
std::string extras(const lg::Record& r) {
  std::string out;
  for (const auto& [k, v] : r.extra) {
    out += out.empty() ? "" : " ";
    out += k + "=";
    std::visit([&](const auto& x) { out += fmt::format("{}", x); }, v);
  }
  return out;
}
}  // namespace

TEST_CASE("extra key/values land in the record - and are addressable in a format") {
  test::CleanLogging clean;
  lg::Logger& log = lg::get_logger("ex.extra");
  auto h = capture(log);
  h->set_formatter(std::make_shared<lg::Formatter>("%(user)s/%(n)d %(message)s", "", lg::Formatter::Style::percent,
                                                   lg::Formatter::Defaults{{"user", std::string("-")}, {"n", std::int64_t{0}}}));
  log.info(lg::Extra{{"user", "bob"}, {"n", 3}}, "saved {}", "a.txt");
  log.warning("no extra");
  lg::Extra e{{"user", "ann"}};
  e.set("n", 7).set("ratio", 0.5);
  log.error(e, "kept {}", 1);  // an lvalue Extra is copied, not consumed
  CHECK(e.items().size() == 3);
  log.debug(lg::Extra{}.set("user", "zed"), "chained");
  log.log(lg::INFO, lg::Extra{{"n", 9}}, "by level");
  CHECK(h->lines() == std::vector<std::string>{"bob/3 saved a.txt", "-/0 no extra", "ann/7 kept 1", "zed/0 chained", "-/9 by level"});
  CHECK(extras(h->records().at(2)) == "user=ann n=7 ratio=0.5");
}

TEST_CASE("a call at a disabled level does not take over its Extra or format anything") {
  test::CleanLogging clean;
  lg::Logger& log = lg::get_logger("ex.disabled");
  auto h = capture(log);
  log.set_level(lg::ERROR);
  log.info(lg::Extra{{"user", "bob"}}, "not shown {}", 1);
  CHECK(h->size() == 0);
}

TEST_CASE("exc_info on any level appends the exception as exception() does") {
  test::CleanLogging clean;
  lg::Logger& log = lg::get_logger("ex.exc");
  auto h = capture(log);
  try {
    throw std::out_of_range("row 7");
  } catch (...) {
    log.warning(lg::exc_info, "retrying");
    log.debug(lg::Extra{{"try", 2}}.with_exc_info(), "debug with both");
    log.exception(lg::Extra{{"try", 3}}, "exception with extra");
  }
  CHECK(h->lines() == std::vector<std::string>{"retrying\nstd::out_of_range: row 7", "debug with both\nstd::out_of_range: row 7",
                                               "exception with extra\nstd::out_of_range: row 7"});
  CHECK(h->records().at(0).levelno == lg::WARNING);
  CHECK(extras(h->records().at(2)) == "try=3");
}

TEST_CASE("get_child names the child as Python's getChild") {
  test::CleanLogging clean;
  CHECK(&lg::get_logger("ex.a.b").get_child("c") == &lg::get_logger("ex.a.b.c"));
  CHECK(lg::get_logger("ex.a.b").get_child("c.d").name() == "ex.a.b.c.d");
  CHECK(&lg::get_logger().get_child("ex.top") == &lg::get_logger("ex.top"));  // root: just the suffix
  CHECK(lg::get_logger("ex.a.b").get_child("c").parent() == &lg::get_logger("ex.a.b"));
}

TEST_CASE("LoggerAdapter binds key/values and a prefix to every record") {
  test::CleanLogging clean;
  lg::Logger& log = lg::get_logger("ex.adapter");
  auto h = capture(log);
  lg::LoggerAdapter conn(log, {{"conn", 7}, {"user", "bob"}}, "[conn 7] ");
  conn.info("opened {}", "db");
  conn.warning(lg::Extra{{"user", "ann"}, {"rows", 3}}, "query");  // the call's own keys win
  log.set_level(lg::WARNING);
  conn.debug("not shown");
  CHECK(h->lines() == std::vector<std::string>{"[conn 7] opened db", "[conn 7] query"});
  CHECK(extras(h->records().at(0)) == "conn=7 user=bob");
  CHECK(extras(h->records().at(1)) == "user=ann rows=3 conn=7");
  CHECK(h->records().at(0).name == "ex.adapter");
  CHECK(h->records().at(0).lineno > 0);

  // process() is the hook, as in Python.
  struct Upper : lg::LoggerAdapter {
    using lg::LoggerAdapter::LoggerAdapter;
    void process(std::string& message, lg::Extra& extra) const override {
      for (char& c : message) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      extra.set("shout", 1);
    }
  };
  Upper upper(log);
  try {
    throw std::runtime_error("x");
  } catch (...) {
    upper.exception("loud");
  }
  CHECK(h->lines().back() == "LOUD\nstd::runtime_error: x");
  CHECK(extras(h->records().back()) == "shout=1");
}

TEST_CASE("the task stamp carries worker and attempt - and is whole for any thread") {
  test::CleanLogging clean;
  lg::Logger& log = lg::get_logger("ex.stamp");
  auto h = capture(log);
  lg::set_task({"alpha", 4, 2, 3});
  log.info("in task");
  std::thread([&] { log.info("task thread"); }).join();
  CHECK(lg::current_task().tag == "alpha");
  lg::clear_task();
  log.info("outside");
  lg::set_task("beta", 1);  // the two-argument form: worker and attempt 0
  log.info("old form");
  lg::clear_task();
  auto rs = h->records();
  REQUIRE(rs.size() == 4);
  for (int i : {0, 1}) {
    CHECK(rs[i].task == "alpha");
    CHECK(rs[i].task_index == 4);
    CHECK(rs[i].worker == 2);
    CHECK(rs[i].attempt == 3);
  }
  CHECK(rs[2].task_index == -1);
  CHECK(rs[2].task.empty());
  CHECK(rs[2].worker == 0);
  CHECK(rs[3].task == "beta");
  CHECK(rs[3].worker == 0);
  CHECK(lg::current_task().index == -1);
}
