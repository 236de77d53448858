#pragma once
// Which tasks go to which worker, and what a failure stops: no I/O, no processes, so it is
// tested on its own (tests/pool/test_scheduler.cpp, and with the driver against fake links in
// test_driver.cpp). The driver feeds it events and carries out its decisions.
//
// Fresh tasks are handed out in contiguous batches: guided by default (a quarter of each
// worker's fair share of what is left, so batches shrink as the run ends and uneven tasks
// still balance), at most two outstanding per worker so that its pipe never runs dry. A task
// to run again (a retry, or the unstarted rest of a lost worker's batch) goes alone, with its
// attempt number. Fail-fast: after task k fails, no task from k on starts; tasks before k
// finish. Collect: a failure stops nothing. A dispatch window bounds how far fresh tasks may
// run ahead of what the consumer has taken.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <vector>

namespace prun::pool::core {

struct Batch {
  std::size_t begin = 0, end = 0;
  std::uint32_t attempt = 1;  ///< of every task in it (retries go one task per batch)
  std::size_t size() const noexcept { return end - begin; }
  bool operator==(const Batch&) const = default;
};

class Scheduler {
 public:
  struct Options {
    std::size_t batch_size = 0;            ///< 0: guided
    std::size_t max_tasks_per_worker = 0;  ///< a worker's whole life (0: no limit)
    bool fail_fast = true;
    std::size_t window = 0;                ///< fresh tasks handed out beyond those consumed (0: no limit)
    std::size_t max_outstanding = 2;       ///< batches in flight per worker (1: a command per job slot)
  };

  Scheduler(std::size_t n_tasks, int n_workers, Options options);

  /// The batch worker `w` should get now, if any; it counts as sent.
  std::optional<Batch> next(int w);
  /// Tasks worker `w` took before this run (pools), against max_tasks_per_worker.
  void set_taken(int w, std::size_t taken);
  /// A fresh worker replaced worker `w`: nothing outstanding, quota renewed.
  void renew(int w);

  void started(int w, std::size_t task);
  void finished(int w, std::size_t task);
  void batch_done(int w);
  /// Worker `w` is gone while running `running` (if known). With `guess` and nothing known, the
  /// task it must have died in is the first unfinished task of its outstanding batches below
  /// the stop limit. Returns that task (running, or the guess). Every other unfinished task of
  /// those batches goes back to be handed out again (unless the run stopped them).
  std::optional<std::size_t> lost(int w, std::optional<std::size_t> running, bool guess);
  /// Worker `w` takes nothing more (it is stopping or recycling).
  void retire(int w);

  /// Task `task` runs again (alone, on whichever worker asks first) as attempt `attempt`.
  void retry(std::size_t task, std::uint32_t attempt);
  /// Task `task` is settled without a result (it failed for good): nothing more to wait for.
  void give_up(std::size_t task);
  /// Fail-fast: no task from `index` on may start. Returns whether `index` is now the lowest
  /// failure (the one the run reports).
  bool fail(std::size_t index);
  /// Nothing more is handed out; what runs finishes (or is stopped by the driver).
  void cancel();
  bool cancelled() const noexcept { return cancelled_; }
  /// The consumer took `n` results in all (the window moves on).
  void consumed(std::size_t n) noexcept { consumed_ = n; }
  /// More tasks became known (a lazily pulled input).
  void grow(std::size_t n_tasks);

  std::size_t stop_before() const noexcept { return stop_before_; }
  std::optional<std::size_t> failed() const noexcept { return failed_; }
  /// The task worker `w` runs now, as far as started/finished events tell.
  std::optional<std::size_t> running(int w) const;
  /// The attempt of task `task` that runs (or ran) last: 1 for the first.
  std::uint32_t attempt(std::size_t task) const { return attempts_[task]; }
  /// Whether worker `w` would take a batch now if there were one (a lazily pulled input asks
  /// for the next task only then).
  bool can_take(int w) const;
  /// Whether `w` has batches outstanding.
  bool busy(int w) const;
  /// Whether work below the stop limit is left to hand out (now or once the window moves).
  bool work_left() const noexcept;
  /// Whether fresh tasks wait only for the consumer to take results.
  bool held_by_window() const noexcept;
  /// Nothing left to hand out and no live worker has anything outstanding.
  bool settled() const;
  bool is_done(std::size_t task) const { return done_[task] != 0; }
  std::size_t n_tasks() const noexcept { return done_.size(); }
  std::size_t n_done() const noexcept { return n_done_; }

 private:
  struct Worker {
    std::deque<Batch> outstanding;
    std::size_t taken = 0;
    std::optional<std::size_t> running;
    bool retired = false;
    bool lost = false;
  };
  std::size_t end() const noexcept;
  std::size_t fresh_limit() const noexcept;
  void settle(std::size_t task);

  Options options_;
  std::vector<Worker> workers_;
  std::vector<char> done_;
  std::vector<std::uint32_t> attempts_;
  std::deque<std::pair<std::size_t, std::uint32_t>> again_;  // tasks to run again, alone
  std::size_t n_done_ = 0;
  std::size_t next_ = 0;
  std::size_t consumed_ = 0;
  std::size_t stop_before_ = SIZE_MAX;
  std::optional<std::size_t> failed_;
  bool cancelled_ = false;
};

}  // namespace prun::pool::core
