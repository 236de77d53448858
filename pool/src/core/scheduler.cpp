#include "scheduler.hpp"

#include <algorithm>

namespace prun::pool::core {

Scheduler::Scheduler(std::size_t n_tasks, int n_workers, Options options)
    : options_(options), workers_(static_cast<std::size_t>(std::max(1, n_workers))), done_(n_tasks, 0),
      attempts_(n_tasks, 0) {}

std::size_t Scheduler::end() const noexcept { return cancelled_ ? next_ : std::min(stop_before_, done_.size()); }

std::size_t Scheduler::fresh_limit() const noexcept {
  if (options_.window == 0) return end();
  return std::min(end(), consumed_ + options_.window);
}

bool Scheduler::work_left() const noexcept {
  if (cancelled_) return false;
  if (next_ < end()) return true;
  return std::any_of(again_.begin(), again_.end(), [&](const auto& t) { return t.first < stop_before_; });
}

bool Scheduler::held_by_window() const noexcept { return !cancelled_ && next_ < end() && next_ >= fresh_limit(); }

std::optional<Batch> Scheduler::next(int w) {
  Worker& wk = workers_[static_cast<std::size_t>(w)];
  if (wk.retired || wk.lost || cancelled_) return std::nullopt;
  std::size_t quota = SIZE_MAX;
  if (options_.max_tasks_per_worker != 0) {
    quota = options_.max_tasks_per_worker - std::min(options_.max_tasks_per_worker, wk.taken);
    if (quota == 0) return std::nullopt;
  }
  // Tasks to run again first, alone: each with its own attempt number.
  while (!again_.empty() && again_.front().first >= stop_before_) again_.pop_front();
  if (!again_.empty() && wk.outstanding.size() < options_.max_outstanding) {
    auto [task, attempt] = again_.front();
    again_.pop_front();
    Batch b{task, task + 1, attempt};
    attempts_[task] = attempt;
    ++wk.taken;
    wk.outstanding.push_back(b);
    return b;
  }
  const std::size_t limit = fresh_limit();
  if (next_ >= limit) return std::nullopt;
  const std::size_t left = end() - next_;
  // Two batches in flight keep a worker busy while the parent reads; near the end, one, so
  // that the last tasks spread over every worker.
  const std::size_t in_flight = left >= 2 * workers_.size() ? options_.max_outstanding : 1;
  if (wk.outstanding.size() >= in_flight) return std::nullopt;
  std::size_t size = options_.batch_size;
  if (size == 0) size = std::clamp<std::size_t>(left / (4 * workers_.size()), 1, 8192);
  size = std::min(size, quota);
  Batch b{next_, std::min(limit, next_ + size), 1};
  for (std::size_t i = b.begin; i < b.end; ++i) attempts_[i] = 1;
  next_ = b.end;
  wk.taken += b.size();
  wk.outstanding.push_back(b);
  return b;
}

void Scheduler::set_taken(int w, std::size_t taken) { workers_[static_cast<std::size_t>(w)].taken = taken; }

void Scheduler::renew(int w) { workers_[static_cast<std::size_t>(w)] = Worker{}; }

void Scheduler::started(int w, std::size_t task) { workers_[static_cast<std::size_t>(w)].running = task; }

void Scheduler::settle(std::size_t task) {
  if (task < done_.size() && !done_[task]) {
    done_[task] = 1;
    ++n_done_;
  }
}

void Scheduler::finished(int w, std::size_t task) {
  Worker& wk = workers_[static_cast<std::size_t>(w)];
  if (wk.running == task) wk.running.reset();
  settle(task);
}

void Scheduler::give_up(std::size_t task) { settle(task); }

void Scheduler::batch_done(int w) {
  Worker& wk = workers_[static_cast<std::size_t>(w)];
  if (!wk.outstanding.empty()) wk.outstanding.pop_front();
  wk.running.reset();
}

std::optional<std::size_t> Scheduler::lost(int w, std::optional<std::size_t> running, bool guess) {
  Worker& wk = workers_[static_cast<std::size_t>(w)];
  wk.lost = true;
  std::optional<std::size_t> culprit = running;
  for (const Batch& b : wk.outstanding)
    for (std::size_t i = b.begin; i < b.end; ++i) {
      if (done_[i] || i >= stop_before_) continue;
      if (!culprit && guess) {
        culprit = i;
      } else if ((!culprit || i != *culprit) && !cancelled_) {
        again_.emplace_back(i, b.attempt);  // never started: the same attempt, elsewhere
      }
    }
  wk.outstanding.clear();
  wk.running.reset();
  return culprit;
}

void Scheduler::retire(int w) { workers_[static_cast<std::size_t>(w)].retired = true; }

void Scheduler::retry(std::size_t task, std::uint32_t attempt) { again_.emplace_back(task, attempt); }

bool Scheduler::fail(std::size_t index) {
  if (options_.fail_fast) stop_before_ = std::min(stop_before_, index);
  if (failed_ && *failed_ <= index) return false;
  failed_ = index;
  return true;
}

void Scheduler::cancel() {
  cancelled_ = true;
  again_.clear();
}

void Scheduler::grow(std::size_t n_tasks) {
  if (n_tasks <= done_.size()) return;
  done_.resize(n_tasks, 0);
  attempts_.resize(n_tasks, 0);
}

std::optional<std::size_t> Scheduler::running(int w) const { return workers_[static_cast<std::size_t>(w)].running; }

bool Scheduler::can_take(int w) const {
  const Worker& wk = workers_[static_cast<std::size_t>(w)];
  if (wk.retired || wk.lost || cancelled_ || wk.outstanding.size() >= options_.max_outstanding) return false;
  return options_.max_tasks_per_worker == 0 || wk.taken < options_.max_tasks_per_worker;
}

bool Scheduler::busy(int w) const {
  const Worker& wk = workers_[static_cast<std::size_t>(w)];
  return !wk.lost && !wk.outstanding.empty();
}

bool Scheduler::settled() const {
  const bool any_live = std::any_of(workers_.begin(), workers_.end(), [](const Worker& w) { return !w.lost; });
  if (work_left() && any_live) return false;
  return std::none_of(workers_.begin(), workers_.end(), [](const Worker& w) { return !w.lost && !w.outstanding.empty(); });
}

}  // namespace prun::pool::core
