// A task that throws: which error, what it says, what runs, what is restored.
#include <doctest/doctest.h>

#include <prun/prun.hpp>

#include "test_support.hpp"

#include <thread>

namespace lg = prun::logging;

namespace {
prun::Options opts(int n_jobs) {
  prun::Options o;
  o.n_jobs = n_jobs;
  o.capture_output = false;
  o.batch_size = 1;
  return o;
}

struct BadInput : std::runtime_error {
  using std::runtime_error::runtime_error;
};

int may_fail(int i, const std::string& started_file) {
  int fd = ::open(started_file.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  std::string line = std::to_string(i) + "\n";
  (void)!::write(fd, line.data(), line.size());
  ::close(fd);
  lg::warning("working on {}", i);
  if (i == 5) throw BadInput("row 5 is malformed");
  std::this_thread::sleep_for(std::chrono::milliseconds(i < 5 ? 1 : 20));
  return i;
}

std::string message_without_process(std::string what) {
  // "... in process <pid> (<name>): ..." differs between modes; the rest must not.
  auto a = what.find(" in process ");
  auto b = what.find("): ", a);
  return what.erase(a, b + 1 - a);
}
}  // namespace

TEST_CASE("a throwing task stops the run and names itself - its process - the exception and its last lines") {
  std::string messages[2];
  for (int n_jobs : {1, 2}) {
    CAPTURE(n_jobs);
    test::CleanLogging clean;
    test::TempDir dir;
    const std::string started = dir.file("started");
    lg::get_logger().add_handler(std::make_shared<lg::NullHandler>());
    std::vector<prun::Task<int>> tasks;
    for (int i = 0; i < 60; ++i) tasks.push_back(prun::delayed(may_fail)(i, started));
    try {
      prun::Parallel(opts(n_jobs))(tasks);
      FAIL("no exception");
    } catch (const prun::WorkerCrashed&) {
      FAIL("not a crash");
    } catch (const prun::TaskError& e) {
      CHECK(e.index() == 5);
      CHECK(e.tag() == "6");
      CHECK(e.type() == "(anonymous namespace)::BadInput");
      CHECK(e.message() == "row 5 is malformed");
      CHECK(e.last_lines() == std::vector<std::string>{"WARNING root: process=6 working on 5"});
      CHECK(std::string(e.what()).find("(anonymous namespace)::BadInput: row 5 is malformed") != std::string::npos);
      if (n_jobs == 1) {
        CHECK(e.pid() == ::getpid());
        CHECK(e.process_name() == "MainProcess");
      } else {
        CHECK(e.pid() != ::getpid());
        CHECK(e.process_name().starts_with("Worker-"));
      }
      messages[n_jobs - 1] = message_without_process(e.what());
    }
    auto lines = test::split_lines(test::read_file(started));
    std::set<int> ran;
    for (auto& l : lines) ran.insert(std::stoi(l));
    for (int i = 0; i <= 5; ++i) CHECK(ran.count(i) == 1);  // everything before the failure ran
    // Remaining tasks are not started: at most what the other worker had begun.
    CHECK(ran.size() <= (n_jobs == 1 ? 6u : 8u));
  }
  CHECK(messages[0] == messages[1]);
}

TEST_CASE("the failing task with the lowest index is reported - as n_jobs=1 would") {
  auto task = [](int i) {
    if (i == 1) {
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      throw std::logic_error("first");
    }
    if (i == 2) throw std::logic_error("second");
    return i;
  };
  for (int n_jobs : {1, 2}) {
    std::vector<prun::Task<int>> tasks;
    for (int i = 0; i < 4; ++i) tasks.push_back(prun::delayed(task)(i));
    try {
      prun::Parallel(opts(n_jobs))(tasks);
      FAIL("no exception");
    } catch (const prun::TaskError& e) {
      CHECK(e.index() == 1);
      CHECK(e.message() == "first");
    }
  }
}

TEST_CASE("the parent's root logger is restored exactly after a sequential run that threw") {
  test::CleanLogging clean;
  auto h = std::make_shared<lg::CaptureHandler>();
  auto f = std::make_shared<lg::PrefixFilter>("process=main ");
  auto other = std::make_shared<lg::CaptureHandler>();
  lg::get_logger().add_handler(h);
  lg::get_logger().add_filter(f);
  lg::get_logger().set_level(lg::INFO);
  lg::get_logger("sub").add_handler(other);
  std::vector<prun::Task<int>> tasks{prun::delayed([] {
    lg::get_logger().add_handler(std::make_shared<lg::NullHandler>());
    lg::get_logger().set_level(lg::CRITICAL);
    throw std::runtime_error("boom");
    return 0;
  })()};
  CHECK_THROWS_AS(prun::Parallel(opts(1))(tasks), prun::TaskError);
  CHECK(lg::get_logger().handlers() == std::vector<lg::HandlerPtr>{h});
  CHECK(lg::get_logger().filters() == std::vector<lg::FilterPtr>{f});
  CHECK(lg::get_logger().level() == lg::INFO);
  CHECK(lg::get_logger("sub").handlers() == std::vector<lg::HandlerPtr>{other});
  lg::info("after");
  CHECK(h->lines() == std::vector<std::string>{"process=main after"});
}

TEST_CASE("n_jobs follows joblib") {
  const int cpus = prun::pool::usable_cpus();
  CHECK(cpus >= 1);
  CHECK(prun::pool::resolve_n_jobs(-1) == cpus);
  CHECK(prun::pool::resolve_n_jobs(-2) == std::max(1, cpus - 1));
  CHECK(prun::pool::resolve_n_jobs(-100) == 1);
  CHECK(prun::pool::resolve_n_jobs(4) == 4);
  CHECK_THROWS_AS(prun::pool::resolve_n_jobs(0), std::invalid_argument);
  std::vector<prun::Task<int>> tasks{prun::delayed([] { return 1; })()};
  CHECK_THROWS_AS(prun::Parallel(0)(tasks), std::invalid_argument);
}

TEST_CASE("Backend::mpi without prun::mpi says what to link and call") {
  // This suite does not link prun::mpi (nor call prun::mpi::init): nothing registers the backend.
  std::vector<prun::Task<int>> tasks{prun::delayed([] { return 1; })()};
  const char* what =
      "prun: Backend::mpi needs the prun::mpi library and a call to prun::mpi::init(argc, argv) first thing in "
      "main(), in a program started by mpirun (see docs/distributed.md)";
  for (int n_jobs : {1, 2, -1}) {
    CAPTURE(n_jobs);
    CHECK_THROWS_WITH_AS(prun::Parallel({.n_jobs = n_jobs, .backend = prun::Backend::mpi})(tasks), what,
                         std::logic_error);
  }
  CHECK_THROWS_WITH_AS(prun::Pool({.backend = prun::Backend::mpi}), what, std::logic_error);
}
