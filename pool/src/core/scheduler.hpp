#pragma once
// Which tasks go to which worker, and what a failure stops: no I/O, no processes, so it is
// tested on its own against a fake link (tests/pool/test_scheduler.cpp). The driver feeds it
// events and carries out its decisions.
//
// Tasks are handed out in contiguous batches: guided by default (a quarter of each worker's
// fair share of what is left, so batches shrink as the run ends and uneven tasks still
// balance), at most two outstanding per worker so that its pipe never runs dry. The failure
// policy is fail-fast: after task k fails, no task from k on starts; tasks before k finish.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <vector>

namespace prun::pool::core {

struct Batch {
  std::size_t begin = 0, end = 0;
  std::size_t size() const noexcept { return end - begin; }
  bool operator==(const Batch&) const = default;
};

class Scheduler {
 public:
  struct Options {
    std::size_t batch_size = 0;            ///< 0: guided
    std::size_t max_tasks_per_worker = 0;  ///< a worker's whole life (0: no limit)
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
  /// Worker `w` is gone. Returns the task it must have died in when it was not known to run
  /// one: the first unfinished task of its outstanding batches below the stop limit.
  std::optional<std::size_t> lost(int w);
  /// Worker `w` takes nothing more (it is stopping or recycling).
  void retire(int w);

  /// Task `index` failed: no task from `index` on may start. Returns whether `index` is now
  /// the lowest failure (the one the run reports).
  bool fail(std::size_t index);
  std::size_t stop_before() const noexcept { return stop_before_; }
  std::optional<std::size_t> failed() const noexcept { return failed_; }

  /// The task worker `w` runs now, as far as started/finished events tell.
  std::optional<std::size_t> running(int w) const;
  /// Whether `w` has batches outstanding.
  bool busy(int w) const;
  /// Whether work below the stop limit is left to hand out.
  bool work_left() const noexcept;
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

  Options options_;
  std::vector<Worker> workers_;
  std::vector<char> done_;
  std::size_t n_done_ = 0;
  std::size_t next_ = 0;
  std::size_t stop_before_ = SIZE_MAX;
  std::optional<std::size_t> failed_;
};

}  // namespace prun::pool::core
