// Each task's logging scope, and how task records reach the parent's configuration.
#include <doctest/doctest.h>

#include <prun/prun.hpp>

#include "test_support.hpp"

#include <algorithm>
#include <cstdio>

namespace lg = prun::logging;

namespace {
prun::Options fork_opts(int n_jobs) {
  prun::Options o;
  o.n_jobs = n_jobs;
  o.capture_output = false;
  return o;
}

int log_task(int i) {
  lg::info("info from {}", i);
  lg::debug("debug from {}", i);
  lg::get_logger("lib.http").warning("nested {}", i);
  return i;
}

// Records per task tag, in the order the task wrote them.
std::map<std::string, std::vector<std::string>> by_task(const std::vector<lg::Record>& records) {
  std::map<std::string, std::vector<std::string>> out;
  for (const auto& r : records) out[r.task].push_back(lg::level_name(r.levelno) + " " + std::string(r.name) + " " + r.message);
  return out;
}
}  // namespace

TEST_CASE("task records reach the parent's handlers with the task's prefix and never the parent's filters") {
  for (int n_jobs : {1, 2}) {
    CAPTURE(n_jobs);
    test::CleanLogging clean;
    auto h = std::make_shared<lg::CaptureHandler>();
    lg::get_logger().add_handler(h);
    lg::get_logger().add_filter(std::make_shared<lg::PrefixFilter>("process=main "));
    lg::get_logger().set_level(lg::INFO);
    std::vector<prun::Task<int>> tasks;
    for (int i = 0; i < 3; ++i) tasks.push_back(prun::delayed(log_task)(i));
    auto results = prun::Parallel(fork_opts(n_jobs))(tasks);
    CHECK(results == std::vector<int>{0, 1, 2});
    auto got = by_task(h->records());
    // The default task level is the parent's effective root level (INFO): debug is dropped.
    for (int i = 0; i < 3; ++i) {
      const std::string tag = std::to_string(i + 1);
      CHECK(got[tag] == std::vector<std::string>{"INFO root process=" + tag + " info from " + std::to_string(i),
                                                 "WARNING lib.http process=" + tag + " nested " + std::to_string(i)});
    }
    // The parent's own configuration is untouched by the run.
    CHECK(lg::get_logger().handlers() == std::vector<lg::HandlerPtr>{h});
    CHECK(lg::get_logger().filters().size() == 1);
  }
}

TEST_CASE("records keep the worker's pid - process name - tag - index and source location") {
  test::CleanLogging clean;
  auto h = std::make_shared<lg::CaptureHandler>();
  lg::get_logger().add_handler(h);
  auto tasks = std::vector{prun::delayed([] { lg::warning("tagged"); return ::getpid(); })().with_tag("alpha")};
  for (int n_jobs : {1, 2}) {
    h->clear();
    auto opts = fork_opts(n_jobs);
    auto pids = prun::Parallel{opts}(tasks);
    auto r = h->records().at(0);
    CHECK(r.process == pids[0]);
    CHECK(r.task == "alpha");
    CHECK(r.task_index == 0);
    CHECK(r.message == "process=alpha tagged");
    CHECK(std::string(r.pathname).ends_with("test_scope.cpp"));
    CHECK(r.lineno > 0);
    if (n_jobs == 1) {
      CHECK(pids[0] == ::getpid());
      CHECK(r.process_name == "MainProcess");
    } else {
      CHECK(pids[0] != ::getpid());
      CHECK(r.process_name == "Worker-1");
    }
  }
}

TEST_CASE("log_level and prefix options and the configure_task hook") {
  for (int n_jobs : {1, 2}) {
    CAPTURE(n_jobs);
    test::CleanLogging clean;
    test::TempDir dir;
    auto h = std::make_shared<lg::CaptureHandler>();
    lg::get_logger().add_handler(h);
    auto opts = fork_opts(n_jobs);
    opts.log_level = lg::DEBUG;
    opts.prefix = "[{tag}#{index}] ";
    const std::string folder = dir.path.string();
    opts.configure_task = [folder](const prun::TaskContext& ctx) {
      // A per-task log file, and a context that says where the task runs.
      auto file = std::make_shared<lg::FileHandler>(folder + "/task-" + ctx.tag + ".log");
      file->set_formatter(std::make_shared<lg::Formatter>("%(levelname)s %(message)s"));
      lg::get_logger().add_handler(file);
      lg::debug("configured index={} worker={} pid_ok={} name={}", ctx.index, ctx.worker, ctx.pid == ::getpid(),
                ctx.process_name);
    };
    std::vector<prun::Task<int>> tasks;
    for (int i = 0; i < 2; ++i) tasks.push_back(prun::delayed(log_task)(i));
    prun::Parallel{opts}(tasks);
    auto got = by_task(h->records());
    const std::string where = n_jobs == 1 ? "worker=0 pid_ok=true name=MainProcess" : "pid_ok=true name=Worker-";
    CHECK(got["1"].at(0).starts_with("DEBUG root [1#0] configured index=0 "));
    CHECK(got["1"].at(0).find(where) != std::string::npos);
    CHECK(got["2"].size() == 4);  // configured, info, debug, nested
    CHECK(test::read_file(folder + "/task-2.log") ==
          "DEBUG [2#1] configured index=1 " + got["2"].at(0).substr(got["2"].at(0).find("worker=")) +
              "\nINFO [2#1] info from 1\nDEBUG [2#1] debug from 1\nWARNING [2#1] nested 1\n");
  }
}

TEST_CASE("the cookbook's routing works for records from workers") {
  // logging-cookbook-multiprocess-example: the foo logger has its own file, errors go to a
  // third file, and everything reaches the root's file.
  for (int n_jobs : {1, 3}) {
    CAPTURE(n_jobs);
    test::CleanLogging clean;
    auto root_file = std::make_shared<lg::CaptureHandler>();
    auto foo_file = std::make_shared<lg::CaptureHandler>();
    auto errors = std::make_shared<lg::CaptureHandler>(lg::ERROR);
    auto fmt = std::make_shared<lg::Formatter>("%(name)-15s%(levelname)-8s%(message)s");
    for (auto& h : {root_file, foo_file, errors}) h->set_formatter(fmt);
    lg::get_logger().set_level(lg::DEBUG);
    lg::get_logger().add_handler(root_file);
    lg::get_logger().add_handler(errors);
    lg::get_logger("foo").add_handler(foo_file);
    const std::vector<std::string> loggers = {"foo", "foo.bar", "foo.bar.baz", "spam", "spam.ham", "spam.ham.eggs"};
    const std::vector<int> levels = {lg::DEBUG, lg::INFO, lg::WARNING, lg::ERROR, lg::CRITICAL};
    auto worker_process = [loggers, levels](int w) {
      for (int i = 0; i < 20; ++i)
        lg::get_logger(loggers[static_cast<std::size_t>(i + w) % loggers.size()])
            .log(levels[static_cast<std::size_t>(i * 7 + w) % levels.size()], "Message no. {}", i);
    };
    std::vector<prun::Task<void>> tasks;
    for (int w = 0; w < 5; ++w) tasks.push_back(prun::delayed(worker_process)(w));
    auto opts = fork_opts(n_jobs);
    opts.prefix = "";
    prun::Parallel{opts}(tasks);
    CHECK(root_file->size() == 100);
    std::size_t foo = 0, errs = 0;
    for (const auto& r : root_file->records()) {
      foo += r.name.starts_with("foo");
      errs += r.levelno >= lg::ERROR;
    }
    CHECK(foo_file->size() == foo);
    CHECK(errors->size() == errs);
    for (const auto& r : foo_file->records()) CHECK(r.name.starts_with("foo"));
    for (const auto& r : errors->records()) CHECK(r.levelno >= lg::ERROR);
    CHECK(foo > 0);
    CHECK(errs > 0);
  }
}

TEST_CASE("handlers inherited through fork never write from a worker") {
  test::CleanLogging clean;
  test::TempDir dir;
  auto file = std::make_shared<lg::FileHandler>(dir.file("parent.log"));
  file->set_formatter(std::make_shared<lg::Formatter>("%(processName)s %(message)s"));
  lg::get_logger("inherit").add_handler(file);
  lg::get_logger().set_level(lg::INFO);
  std::vector<prun::Task<void>> tasks;
  for (int i = 0; i < 4; ++i) tasks.push_back(prun::delayed([](int k) { lg::get_logger("inherit").info("k={}", k); })(i));
  auto opts = fork_opts(2);
  opts.prefix = "";
  prun::Parallel{opts}(tasks);
  auto lines = test::split_lines(test::read_file(dir.file("parent.log")));
  // Written once each, by the parent, with the worker's process name.
  REQUIRE(lines.size() == 4);
  std::set<std::string> ks;
  for (const auto& l : lines) {
    CHECK(l.starts_with("Worker-"));
    ks.insert(l.substr(l.find(" k=") + 3));
  }
  CHECK(ks == std::set<std::string>{"0", "1", "2", "3"});
}

namespace {
int own_prefix_task(int i) {
  // The seeds' PrefixFilter on the task's root: records logged on the root get it, and no second.
  lg::get_logger().set_filters({std::make_shared<lg::PrefixFilter>("mine=" + std::to_string(i) + " ")});
  lg::warning("on the root");
  lg::get_logger("lib").warning("on a child");  // not through the root's filters: prun's prefix
  return i;
}

int basic_config_task(int i) {
  // A fresh Python child's basicConfig: this task's records go to its own stderr handler.
  lg::basic_config({.level = lg::DEBUG, .format = "own %(levelname)s %(name)s %(message)s"});
  lg::debug("debug {}", i);
  lg::get_logger("lib").info("info {}", i);
  std::fprintf(stderr, "printed %d\n", i);
  return i;
}

int plain_task(int i) {
  lg::info("plain {}", i);
  return i;
}
}  // namespace

TEST_CASE("a task's own PrefixFilter on the root gives its records one prefix") {
  for (int n_jobs : {1, 2}) {
    CAPTURE(n_jobs);
    test::CleanLogging clean;
    auto h = std::make_shared<lg::CaptureHandler>();
    lg::get_logger().add_handler(h);
    std::vector<prun::Task<int>> tasks;
    for (int i = 0; i < 2; ++i) tasks.push_back(prun::delayed(own_prefix_task)(i));
    prun::Parallel(fork_opts(n_jobs))(tasks);
    auto got = by_task(h->records());
    for (int i = 0; i < 2; ++i)
      CHECK(got[std::to_string(i + 1)] == std::vector<std::string>{
                                            "WARNING root mine=" + std::to_string(i) + " on the root",
                                            "WARNING lib process=" + std::to_string(i + 1) + " on a child"});
  }
}

TEST_CASE("basic_config in a task configures it as a fresh child - its lines whole on the parent's stderr") {
  for (int n_jobs : {1, 2}) {
    CAPTURE(n_jobs);
    test::CleanLogging clean;
    auto h = std::make_shared<lg::CaptureHandler>();
    lg::get_logger().add_handler(h);
    lg::get_logger().set_level(lg::INFO);
    auto opts = fork_opts(n_jobs);
    opts.capture_output = true;
    std::vector<prun::Task<int>> tasks{prun::delayed(basic_config_task)(0), prun::delayed(plain_task)(1)};
    std::string err;
    {
      test::FdCapture capture(2);
      CHECK(prun::Parallel(opts)(tasks) == std::vector<int>{0, 1});
      err = capture.text();
    }
    // The handler's records as it formats them (with the task's prefix, once), not as printed
    // lines; what the task printed gets the prefix of printed lines.
    auto lines = test::split_lines(err);
    std::sort(lines.begin(), lines.end());
    CHECK(lines == std::vector<std::string>{"own DEBUG root process=1 debug 0", "own INFO lib process=1 info 0",
                                            "process=1 printed 0"});
    // The parent's handlers get the other task's records only; the next task starts afresh.
    CHECK(by_task(h->records()) == std::map<std::string, std::vector<std::string>>{{"2", {"INFO root process=2 plain 1"}}});
    // And the parent's own configuration is as it was.
    CHECK(lg::get_logger().handlers() == std::vector<lg::HandlerPtr>{h});
    CHECK(lg::get_logger().level() == lg::INFO);
  }
}

namespace {
// What the task finds, then one record on each of the loggers the parent configured.
std::string scope_state() {
  lg::Logger& app = lg::get_logger("app");
  lg::Logger& root = lg::get_logger();
  std::string s = "app " + std::to_string(app.level()) + " " + std::to_string(app.propagate()) + " " +
                  std::to_string(app.disabled()) + " " + std::to_string(app.filters().size()) + " " +
                  std::to_string(app.handlers().size()) + " quiet " + std::to_string(lg::get_logger("quiet").disabled()) +
                  " solo " + std::to_string(lg::get_logger("solo").propagate()) + " root " + std::to_string(root.level()) +
                  " " + std::to_string(root.filters().size()) + " " + std::to_string(root.handlers().size());
  app.info("app info");
  lg::get_logger("quiet").warning("quiet warning");
  lg::get_logger("solo").warning("solo warning");
  lg::warning("root warning");
  return s;
}
}  // namespace

TEST_CASE("a task finds a pristine hierarchy - the parent routes with its propagate - disabled and handler levels - undo restores it") {
  for (int n_jobs : {1, 2}) {
    CAPTURE(n_jobs);
    test::CleanLogging clean;
    auto h = std::make_shared<lg::CaptureHandler>();
    auto hwarn = std::make_shared<lg::CaptureHandler>(lg::WARNING);
    auto hsolo = std::make_shared<lg::CaptureHandler>();
    lg::get_logger().add_handler(h);
    lg::get_logger().add_handler(hwarn);
    lg::get_logger().set_level(lg::INFO);
    lg::Logger& app = lg::get_logger("app");
    app.set_level(lg::ERROR);
    app.add_filter(lg::make_filter([](lg::Record&) { return false; }));
    lg::get_logger("quiet").set_disabled(true);
    lg::get_logger("solo").set_propagate(false);
    lg::get_logger("solo").add_handler(hsolo);
    std::vector<prun::Task<std::string>> tasks{prun::delayed(scope_state)()};
    auto seen = prun::Parallel(fork_opts(n_jobs))(tasks);
    // As a fresh Python child: every logger at NOTSET, propagating, enabled, without filters or
    // handlers; the root at the task level (the parent's INFO) with prun's delivery alone.
    CHECK(seen.at(0) == "app 0 1 0 0 0 quiet 0 solo 1 root 20 0 1");
    // Routed through the parent's hierarchy (without logger filters, see docs/logging.md).
    CHECK(by_task(h->records())["1"] == std::vector<std::string>{"INFO app process=1 app info", "WARNING root process=1 root warning"});
    CHECK(by_task(hwarn->records())["1"] == std::vector<std::string>{"WARNING root process=1 root warning"});
    CHECK(by_task(hsolo->records())["1"] == std::vector<std::string>{"WARNING solo process=1 solo warning"});
    // The parent's state, exactly as before the run.
    CHECK(app.level() == lg::ERROR);
    CHECK(app.filters().size() == 1);
    CHECK(lg::get_logger("quiet").disabled());
    CHECK_FALSE(lg::get_logger("solo").propagate());
    CHECK(lg::get_logger("solo").handlers() == std::vector<lg::HandlerPtr>{hsolo});
    CHECK(lg::get_logger().handlers() == std::vector<lg::HandlerPtr>{h, hwarn});
    CHECK(lg::get_logger().level() == lg::INFO);
  }
}

TEST_CASE("a task that configured itself with basic_config fails with the same report on every backend - without its lines") {
  for (int n_jobs : {1, 2}) {
    CAPTURE(n_jobs);
    test::CleanLogging clean;
    auto h = std::make_shared<lg::CaptureHandler>();
    lg::get_logger().add_handler(h);
    std::vector<prun::Task<int>> tasks{prun::delayed([] {
      lg::warning("before basic_config");  // delivered, and in the report
      lg::basic_config({.level = lg::DEBUG, .stream_fd = 1});
      lg::warning("after basic_config");   // its own handler's
      throw std::runtime_error("broken");
      return 0;
    })()};
    std::string out;
    try {
      test::FdCapture capture(1);
      prun::Parallel(fork_opts(n_jobs))(tasks);
      FAIL("no error");
    } catch (const prun::TaskError& e) {
      CHECK(e.last_lines() == std::vector<std::string>{"WARNING root: process=1 before basic_config"});
      CHECK(std::string(e.what()).find("broken") != std::string::npos);
    }
    CHECK(by_task(h->records())["1"] == std::vector<std::string>{"WARNING root process=1 before basic_config"});
  }
}
