// Backend::mpi under `mpirun -np 3`: two worker ranks, the same records, lines, results and
// errors as n_jobs = 1, and the rest of the API (Pool, submit, timeouts, errors) on ranks.
#include <doctest/doctest.h>

#include <prun/mpi.hpp>
#include <prun/prun.hpp>

#include "equivalence_workload.hpp"
#include "test_support.hpp"

#include <unistd.h>

#include <chrono>
#include <set>
#include <thread>

namespace lg = prun::logging;
using namespace equivalence;

namespace {

int twice(int x) {
  lg::info("doubling {}", x);
  return 2 * x;
}
PRUN_REGISTER_TASK(twice);

int sleepy(int ms) {
  lg::info("sleeping {} ms", ms);
  std::this_thread::sleep_for(std::chrono::milliseconds(ms));
  return ms;
}
PRUN_REGISTER_TASK(sleepy);

int refuse(int x) {
  lg::warning("refusing {}", x);
  throw std::invalid_argument("task " + std::to_string(x) + " refuses");
}
PRUN_REGISTER_TASK(refuse);

std::string where() { return std::string(lg::process_name()) + " " + std::to_string(::getpid()); }
PRUN_REGISTER_TASK(where);

void tag_hook(const prun::TaskContext& task) { lg::info("configured {} on worker {}", task.tag, task.worker); }
PRUN_REGISTER_TASK(tag_hook);

prun::Options on_ranks(int n_jobs = -1) {
  prun::Options o;
  o.n_jobs = n_jobs;
  o.backend = prun::Backend::mpi;
  return o;
}

}  // namespace

TEST_CASE("the job has two worker ranks") {
  REQUIRE(prun::mpi::size() == 3);
  CHECK(prun::mpi::rank() == 0);
  CHECK(prun::mpi::worker_pids().size() == 2);
}

TEST_CASE("mpi and sequential are indistinguishable but for pids - names - times and interleaving") {
  for (int n_tasks : {8, 12}) {  // 8: all succeed; 12: task 9 throws
    CAPTURE(n_tasks);
    Observed seq = observe(1, n_tasks);
    Observed par = observe(-1, n_tasks, prun::Backend::mpi);
    CHECK(seq.records.size() == static_cast<std::size_t>(std::min(n_tasks, 10)));
    if (n_tasks == 12) {
      // As on fork: tasks after the failing one that another rank had started may have logged.
      for (int tag = 11; tag <= 12; ++tag) {
        const std::string t = std::to_string(tag);
        CHECK(seq.records.count(t) == 0);
        par.records.erase(t);
        par.out.erase("process=" + t);
        par.err.erase("process=" + t);
      }
    }
    CHECK(seq.records == par.records);
    CHECK(seq.out == par.out);
    CHECK(seq.err == par.err);
    CHECK(seq.results == par.results);
    CHECK(seq.error == par.error);
    if (n_tasks == 12) CHECK(par.error.find("std::invalid_argument: task nine refuses") != std::string::npos);
    else CHECK(par.results.at(7) == "r7");
  }
}

TEST_CASE("records name the rank and host - and the task error its rank and pid") {
  test::CleanLogging clean;
  auto h = std::make_shared<lg::CaptureHandler>();
  lg::get_logger().add_handler(h);
  lg::get_logger().set_level(lg::INFO);
  std::vector<prun::Task<std::string>> tasks;
  for (int i = 0; i < 6; ++i) tasks.push_back(prun::delayed(where)());
  const auto got = prun::Parallel{on_ranks()}(tasks);
  const std::vector<int> pids = prun::mpi::worker_pids();
  std::set<std::string> seen;
  for (const auto& g : got) {
    seen.insert(g);
    CHECK(g.starts_with("Rank-"));
    const std::string rank = g.substr(5, g.find('@') - 5);
    const int pid = std::stoi(g.substr(g.find(' ') + 1));
    CHECK(pid == pids.at(static_cast<std::size_t>(std::stoi(rank) - 1)));
  }
  CHECK(!seen.empty());

  std::vector<prun::Task<int>> failing;
  for (int i = 0; i < 3; ++i) failing.push_back(prun::delayed(twice)(i));
  failing.push_back(prun::delayed(refuse)(9).with_tag("nine"));  // throws, after logging
  try {
    prun::Parallel{on_ranks(1)}(failing);
    FAIL("no error");
  } catch (const prun::TaskError& e) {
    CHECK(e.index() == 3);
    CHECK(e.tag() == "nine");
    CHECK(e.process_name().starts_with("Rank-1@"));
    CHECK(e.pid() == pids.at(0));
    CHECK(e.type() == "std::invalid_argument");
    REQUIRE(!e.last_lines().empty());
    CHECK(e.message() == "task 9 refuses");
    CHECK(e.last_lines().back().find("process=nine refusing 9") != std::string::npos);
  }
  // Records carry the rank's name as their processName.
  bool rank_record = false;
  for (const auto& r : h->records()) rank_record = rank_record || r.process_name.starts_with("Rank-");
  CHECK(rank_record);
}

TEST_CASE("configure_task runs on the rank - n_jobs counts ranks - and refusals come before any rank is used") {
  test::CleanLogging clean;
  auto h = std::make_shared<lg::CaptureHandler>();
  lg::get_logger().add_handler(h);
  lg::get_logger().set_level(lg::INFO);
  prun::Options o = on_ranks(2);
  o.configure_task = tag_hook;
  std::vector<prun::Task<int>> tasks{prun::delayed(twice)(1), prun::delayed(twice)(2)};
  CHECK(prun::Parallel{o}(tasks) == std::vector<int>{2, 4});
  std::multiset<std::string> messages;
  for (const auto& r : h->records()) messages.insert(r.message);
  CHECK(messages.count("process=1 configured 1 on worker 1") + messages.count("process=1 configured 1 on worker 2") == 1);
  CHECK(messages.count("process=2 doubling 2") == 1);

  CHECK_THROWS_WITH_AS(prun::Parallel{on_ranks(3)}(tasks),
                       "prun: n_jobs = 3 on Backend::mpi, but the job has 2 worker ranks (mpirun -np 3)",
                       std::invalid_argument);
  std::vector<prun::Task<int>> closure{prun::delayed([](int x) { return x + 1; })(1)};
  CHECK_THROWS_AS(prun::Parallel{on_ranks()}(closure), std::invalid_argument);
  // The ranks still serve; -2 is every worker rank but one.
  CHECK(prun::Parallel{on_ranks()}(tasks) == std::vector<int>{2, 4});
  CHECK(prun::Parallel{on_ranks(-2)}(tasks) == std::vector<int>{2, 4});
}

TEST_CASE("a Pool on the ranks and a submitted run") {
  CHECK_THROWS_AS(prun::Pool({.n_jobs = -1, .backend = prun::Backend::mpi, .max_tasks_per_child = 5}),
                  std::invalid_argument);
  prun::Pool pool({.n_jobs = -1, .backend = prun::Backend::mpi});
  CHECK(pool.size() == 2);
  CHECK(pool.worker_pids() == prun::mpi::worker_pids());
  std::vector<prun::Task<int>> tasks;
  for (int i = 0; i < 50; ++i) tasks.push_back(prun::delayed(twice)(i));
  for (int round = 0; round < 2; ++round) {
    const auto r = prun::Parallel{pool}(tasks);
    REQUIRE(r.size() == 50);
    CHECK(r[49] == 98);
  }
  auto run = prun::Parallel{on_ranks()}.submit(tasks);
  // The ranks are this run's until it is over: a second run from this thread would wait for
  // itself, and is refused.
  CHECK_THROWS_AS(prun::Parallel{on_ranks()}(tasks), std::logic_error);
  std::vector<int> seen;
  for (auto& c : run.as_completed()) seen.push_back(c.outcome.value());
  std::sort(seen.begin(), seen.end());
  CHECK(seen.size() == 50);
  CHECK(seen.back() == 98);
}

TEST_CASE("a task past its timeout fails with TaskTimeout once it ends - runs again - and the rank serves the next run") {
  std::vector<prun::Task<int>> tasks{prun::delayed(sleepy)(300).with_timeout(std::chrono::milliseconds(50)),
                                     prun::delayed(sleepy)(1)};
  prun::Options o = on_ranks(1);
  o.retries = 1;
  const auto t0 = std::chrono::steady_clock::now();
  try {
    prun::Parallel{o}(tasks);
    FAIL("no timeout");
  } catch (const prun::TaskTimeout& e) {
    CHECK(e.index() == 0);
    CHECK(e.attempt() == 2);
    CHECK(e.earlier_attempts().size() == 1);
    CHECK(e.process_name().starts_with("Rank-1@"));
  }
  // A rank cannot be stopped: each attempt ran to its end.
  CHECK(std::chrono::steady_clock::now() - t0 >= std::chrono::milliseconds(600));
  std::vector<prun::Task<int>> next{prun::delayed(twice)(21)};
  CHECK(prun::Parallel{on_ranks(1)}(next) == std::vector<int>{42});
}

TEST_CASE("collect runs every task on the ranks") {
  std::vector<prun::Task<int>> tasks{prun::delayed(twice)(8), prun::delayed(refuse)(9), prun::delayed(twice)(10)};
  test::FdCapture err(2);  // the refusal's warning, through Python's last resort handler
  auto outcomes = prun::Parallel{on_ranks()}.outcomes(tasks);
  REQUIRE(outcomes.size() == 3);
  CHECK(outcomes[0].value() == 16);
  CHECK(!outcomes[1].ok());
  CHECK(outcomes[2].value() == 20);
}

TEST_CASE("a cancelled run starts no more tasks on the ranks - and the next run is whole") {
  std::vector<prun::Task<int>> tasks;
  for (int i = 0; i < 40; ++i) tasks.push_back(prun::delayed(sleepy)(20));
  auto run = prun::Parallel{on_ranks()}.submit(tasks);
  std::size_t taken = 0;
  try {
    for (auto& c : run.as_completed()) {
      (void)c;
      if (++taken == 2) run.cancel();
    }
  } catch (const prun::Cancelled&) {
  }
  CHECK(taken >= 2);
  CHECK(taken < 40);
  std::vector<prun::Task<int>> next;
  for (int i = 0; i < 10; ++i) next.push_back(prun::delayed(twice)(i));
  const auto r = prun::Parallel{on_ranks()}(next);
  REQUIRE(r.size() == 10);
  CHECK(r[9] == 18);
}

TEST_CASE("runs on the ranks from two threads take turns") {
  std::vector<prun::Task<int>> tasks;
  for (int i = 0; i < 30; ++i) tasks.push_back(prun::delayed(sleepy)(2));
  std::vector<int> other;
  std::thread t([&] { other = prun::Parallel{on_ranks()}(tasks); });
  const std::vector<int> mine = prun::Parallel{on_ranks()}(tasks);
  t.join();
  CHECK(mine == std::vector<int>(30, 2));
  CHECK(other == std::vector<int>(30, 2));
}
