// The scheduler on its own: batch sizes, in-flight limits, quotas, fail-fast and attribution.
#include <doctest/doctest.h>

#include "core/scheduler.hpp"

#include <algorithm>
#include <numeric>
#include <set>

using prun::pool::core::Batch;
using prun::pool::core::Scheduler;

TEST_CASE("guided batches cover every task once and shrink towards the end") {
  Scheduler s(1000, 2, {});
  std::vector<char> seen(1000, 0);
  std::vector<std::size_t> sizes;
  int w = 0;
  while (s.work_left()) {
    auto b = s.next(w);
    if (!b) {  // that worker has enough in flight: it finishes its oldest batch
      s.batch_done(w);
      w = 1 - w;
      continue;
    }
    sizes.push_back(b->size());
    for (std::size_t i = b->begin; i < b->end; ++i) ++seen[i];
    w = 1 - w;
  }
  CHECK(std::count(seen.begin(), seen.end(), 1) == 1000);
  CHECK(sizes.front() == 1000 / 8);
  CHECK(sizes.back() == 1);
  CHECK(std::is_sorted(sizes.rbegin(), sizes.rend()));
}

TEST_CASE("two batches in flight per worker - one near the end") {
  Scheduler s(100, 2, {.batch_size = 10});
  CHECK(s.next(0) == Batch{0, 10});
  CHECK(s.next(0) == Batch{10, 20});
  CHECK(!s.next(0));  // two in flight
  CHECK(s.next(1) == Batch{20, 30});
  CHECK(s.next(1) == Batch{30, 40});
  for (int k = 0; k < 5; ++k) {
    s.batch_done(k % 2);
    CHECK(s.next(k % 2));
  }
  // Fewer tasks left than two per worker: one batch in flight, so the tail spreads.
  Scheduler tail(3, 2, {.batch_size = 1});
  CHECK(tail.next(0) == Batch{0, 1});
  CHECK(!tail.next(0));
  CHECK(tail.next(1) == Batch{1, 2});
}

TEST_CASE("a worker's quota bounds what it is sent - renewal gives a fresh one") {
  Scheduler s(100, 1, {.batch_size = 10, .max_tasks_per_worker = 15});
  s.set_taken(0, 3);
  CHECK(s.next(0) == Batch{0, 10});
  CHECK(s.next(0) == Batch{10, 12});
  CHECK(!s.next(0));
  s.renew(0);
  CHECK(s.next(0) == Batch{12, 22});
}

TEST_CASE("fail fast: nothing from the failed index on is handed out - the lowest failure wins") {
  Scheduler s(100, 2, {.batch_size = 10});
  auto a = s.next(0);
  auto b = s.next(1);
  REQUIRE(a);
  REQUIRE(b);
  CHECK(s.fail(15));
  CHECK(s.stop_before() == 15);
  CHECK(!s.work_left());
  CHECK(!s.next(0));
  CHECK(s.fail(5));
  CHECK(!s.fail(7));  // not the lowest
  CHECK(s.failed() == 5u);
  CHECK(s.stop_before() == 5);
  CHECK(!s.settled());  // outstanding batches still run up to the limit
  s.batch_done(0);
  s.batch_done(1);
  CHECK(s.settled());
}

TEST_CASE("a lost worker is charged with its first unfinished task below the limit") {
  Scheduler s(100, 2, {.batch_size = 10});
  s.next(0);  // 0-9
  s.next(0);  // 10-19
  for (std::size_t i = 0; i < 4; ++i) s.finished(0, i);
  CHECK(s.lost(0, std::nullopt, true) == 4u);
  CHECK(!s.busy(0));
  Scheduler t(100, 1, {.batch_size = 10});
  t.next(0);
  for (std::size_t i = 0; i < 10; ++i) t.finished(0, i);
  t.fail(50);
  CHECK(t.lost(0, std::nullopt, true) == std::nullopt);  // everything it had was done
}

TEST_CASE("started and finished tell which task a worker runs") {
  Scheduler s(10, 1, {});
  s.next(0);
  CHECK(!s.running(0));
  s.started(0, 0);
  CHECK(s.running(0) == 0u);
  s.finished(0, 0);
  CHECK(!s.running(0));
  CHECK(s.n_done() == 1);
  CHECK(s.is_done(0));
}

TEST_CASE("a lost worker's unstarted tasks run again elsewhere - alone and with their attempt") {
  Scheduler s(100, 2, {.batch_size = 10, .fail_fast = false});
  REQUIRE(s.next(0) == Batch{0, 10, 1});
  for (std::size_t i = 0; i < 3; ++i) s.finished(0, i);
  CHECK(s.lost(0, 3u, false) == 3u);  // it died in task 3
  // 4-9 were never started: handed out again, one at a time, as attempt 1.
  for (std::size_t i = 4; i < 10; ++i) {
    CHECK(s.next(1) == Batch{i, i + 1, 1});
    s.batch_done(1);
  }
  // Task 3 itself runs again only if the driver says so (a retry), as attempt 2.
  s.retry(3, 2);
  CHECK(s.next(1) == Batch{3, 4, 2});
  CHECK(s.attempt(3) == 2);
}

TEST_CASE("collect: a failure lowers no limit") {
  Scheduler s(10, 1, {.batch_size = 5, .fail_fast = false});
  s.next(0);
  CHECK(s.fail(2));
  CHECK(s.stop_before() == SIZE_MAX);
  CHECK(s.work_left());
}

TEST_CASE("the window keeps fresh tasks from running far ahead of the consumer") {
  Scheduler s(100, 1, {.batch_size = 10, .window = 25});
  CHECK(s.next(0) == Batch{0, 10, 1});
  CHECK(s.next(0) == Batch{10, 20, 1});
  s.batch_done(0);
  CHECK(s.next(0) == Batch{20, 25, 1});  // cut at the window
  s.batch_done(0);
  s.batch_done(0);
  CHECK(!s.next(0));
  CHECK(s.held_by_window());
  CHECK(!s.settled());  // the rest waits for the consumer
  s.consumed(10);
  CHECK(s.next(0) == Batch{25, 35, 1});
}

TEST_CASE("cancel hands out nothing more and settles once what was sent is done") {
  Scheduler s(100, 2, {.batch_size = 10});
  s.next(0);
  s.next(1);
  s.retry(50, 2);
  s.cancel();
  CHECK(s.cancelled());
  CHECK(!s.work_left());
  CHECK(!s.next(0));
  CHECK(!s.settled());
  s.batch_done(0);
  s.batch_done(1);
  CHECK(s.settled());
}
