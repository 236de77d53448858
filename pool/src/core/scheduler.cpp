#include "scheduler.hpp"

#include <algorithm>

namespace prun::pool::core {

Scheduler::Scheduler(std::size_t n_tasks, int n_workers, Options options)
    : options_(options), workers_(static_cast<std::size_t>(std::max(1, n_workers))), done_(n_tasks, 0) {}

std::size_t Scheduler::end() const noexcept { return std::min(stop_before_, done_.size()); }

bool Scheduler::work_left() const noexcept { return next_ < end(); }

std::optional<Batch> Scheduler::next(int w) {
  Worker& wk = workers_[static_cast<std::size_t>(w)];
  if (wk.retired || wk.lost || !work_left()) return std::nullopt;
  const std::size_t left = end() - next_;
  // Two batches in flight keep a worker busy while the parent reads; near the end, one, so
  // that the last tasks spread over every worker.
  const std::size_t in_flight = left >= 2 * workers_.size() ? 2 : 1;
  if (wk.outstanding.size() >= in_flight) return std::nullopt;
  std::size_t size = options_.batch_size;
  if (size == 0) size = std::clamp<std::size_t>(left / (4 * workers_.size()), 1, 8192);
  if (options_.max_tasks_per_worker != 0) {
    const std::size_t quota = options_.max_tasks_per_worker - std::min(options_.max_tasks_per_worker, wk.taken);
    size = std::min(size, quota);
    if (size == 0) return std::nullopt;
  }
  Batch b{next_, std::min(end(), next_ + size)};
  next_ = b.end;
  wk.taken += b.size();
  wk.outstanding.push_back(b);
  return b;
}

void Scheduler::set_taken(int w, std::size_t taken) { workers_[static_cast<std::size_t>(w)].taken = taken; }

void Scheduler::renew(int w) { workers_[static_cast<std::size_t>(w)] = Worker{}; }

void Scheduler::started(int w, std::size_t task) { workers_[static_cast<std::size_t>(w)].running = task; }

void Scheduler::finished(int w, std::size_t task) {
  Worker& wk = workers_[static_cast<std::size_t>(w)];
  if (wk.running == task) wk.running.reset();
  if (task < done_.size() && !done_[task]) {
    done_[task] = 1;
    ++n_done_;
  }
}

void Scheduler::batch_done(int w) {
  Worker& wk = workers_[static_cast<std::size_t>(w)];
  if (!wk.outstanding.empty()) wk.outstanding.pop_front();
  wk.running.reset();
}

std::optional<std::size_t> Scheduler::lost(int w) {
  Worker& wk = workers_[static_cast<std::size_t>(w)];
  wk.lost = true;
  std::optional<std::size_t> culprit;
  for (const Batch& b : wk.outstanding)
    for (std::size_t i = b.begin; i < b.end && !culprit; ++i)
      if (!done_[i] && i < stop_before_) culprit = i;
  wk.outstanding.clear();
  wk.running.reset();
  return culprit;
}

void Scheduler::retire(int w) { workers_[static_cast<std::size_t>(w)].retired = true; }

bool Scheduler::fail(std::size_t index) {
  stop_before_ = std::min(stop_before_, index);
  if (failed_ && *failed_ <= index) return false;
  failed_ = index;
  return true;
}

std::optional<std::size_t> Scheduler::running(int w) const { return workers_[static_cast<std::size_t>(w)].running; }

bool Scheduler::busy(int w) const {
  const Worker& wk = workers_[static_cast<std::size_t>(w)];
  return !wk.lost && !wk.outstanding.empty();
}

bool Scheduler::settled() const {
  if (work_left() && std::any_of(workers_.begin(), workers_.end(), [](const Worker& w) { return !w.lost; }))
    return false;
  return std::none_of(workers_.begin(), workers_.end(), [](const Worker& w) { return !w.lost && !w.outstanding.empty(); });
}

}  // namespace prun::pool::core
