#pragma once
/// RunObserver: what happens in a run, as it happens. Progress bars and traces are observers.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace prun::logging {
struct Record;
}

namespace prun::pool {

/// How a task attempt ended.
enum class TaskStatus { ok, error, crashed, timed_out, cancelled };

struct RunStarted {
  std::size_t tasks = 0;  ///< known now (a lazily pulled input may grow)
  int workers = 0;        ///< 1 for n_jobs = 1
  std::string_view backend;  ///< "sequential", "fork" or "spawn"
  int n_jobs = 1;         ///< as the caller gave it
};

struct TaskStarted {
  std::size_t index = 0;
  std::string_view tag;
  int worker = 0;         ///< 1-based slot; 0 in the calling process (n_jobs = 1)
  int pid = 0;
  std::uint32_t attempt = 1;
  std::int64_t t_ns = 0;  ///< CLOCK_MONOTONIC
};

struct TaskFinished {
  std::size_t index = 0;
  std::string_view tag;
  int worker = 0;
  int pid = 0;
  std::uint32_t attempt = 1;
  std::int64_t started_ns = 0;   ///< CLOCK_MONOTONIC (0 when the start was never seen)
  std::int64_t finished_ns = 0;
  TaskStatus status = TaskStatus::ok;
  bool final = true;              ///< false: it will run again (a retry)
  std::string_view error;         ///< what went wrong, one line ("" when ok)
  std::int64_t peak_rss_kib = 0;  ///< of its worker, when known
  int exit_code = -1;             ///< a command's exit status (-1: killed by a signal, or not a command)
  int signal = 0;                 ///< the signal that ended a command or a worker (0: none)
};

struct WorkerReplaced {
  int worker = 0;  ///< 1-based slot
  int old_pid = 0, new_pid = 0;
  std::string_view why;  ///< "crashed", "timed out", "recycled", ...
};

struct RunFinished {
  std::size_t tasks = 0, ok = 0, failed = 0;
  bool cancelled = false;
  std::int64_t elapsed_ns = 0;
};

/// Override what you need. Calls come from the thread that drives the run (the caller's for a
/// blocking run or n_jobs = 1, the run's own thread for Parallel::submit), one at a time; they
/// must not block for long (the run waits for them) and must not start runs themselves.
/// A run without an observer pays nothing for this. Ready ones: ProgressObserver
/// (<prun/pool/progress.hpp>: joblib's verbose lines, a live bar) and TraceObserver
/// (<prun/pool/trace.hpp>: a Chrome trace).
class RunObserver {
 public:
  virtual ~RunObserver() = default;
  virtual void on_run_started(const RunStarted&) {}
  virtual void on_task_started(const TaskStarted&) {}
  virtual void on_task_finished(const TaskFinished&) {}
  virtual void on_worker_replaced(const WorkerReplaced&) {}
  /// Every record a task logged, after the parent's handlers had it (only if wants_records()).
  /// At n_jobs = 1 it comes from the thread that logged it (the task's), one record at a time.
  virtual void on_record(const logging::Record&) {}
  virtual bool wants_records() const { return false; }
  /// False: the events' `tag` may be empty (the run skips making each task's tag for it, a
  /// saving for tiny tasks). Asked once, when the run starts.
  virtual bool wants_tags() const { return true; }
  virtual void on_run_finished(const RunFinished&) {}
};

/// Several observers as one (Options::observer takes one): every event goes to each, in the
/// order given; records only to those that want them.
class ObserverList final : public RunObserver {
 public:
  /// `std::make_shared<ObserverList>(progress, trace)`. Null ones are left out.
  template <typename... Observers>
  explicit ObserverList(std::shared_ptr<Observers>... observers) {
    (add(std::move(observers)), ...);
  }
  void add(std::shared_ptr<RunObserver> o) {
    if (!o) return;
    if (o->wants_records()) wanting_.push_back(o.get());
    tags_ = tags_ || o->wants_tags();
    list_.push_back(std::move(o));
  }
  void on_run_started(const RunStarted& e) override {
    for (const auto& o : list_) o->on_run_started(e);
  }
  void on_task_started(const TaskStarted& e) override {
    for (const auto& o : list_) o->on_task_started(e);
  }
  void on_task_finished(const TaskFinished& e) override {
    for (const auto& o : list_) o->on_task_finished(e);
  }
  void on_worker_replaced(const WorkerReplaced& e) override {
    for (const auto& o : list_) o->on_worker_replaced(e);
  }
  void on_record(const logging::Record& r) override {
    for (RunObserver* o : wanting_) o->on_record(r);
  }
  bool wants_records() const override { return !wanting_.empty(); }
  bool wants_tags() const override { return tags_; }
  void on_run_finished(const RunFinished& e) override {
    for (const auto& o : list_) o->on_run_finished(e);
  }

 private:
  std::vector<std::shared_ptr<RunObserver>> list_;
  std::vector<RunObserver*> wanting_;
  bool tags_ = false;
};

}  // namespace prun::pool
