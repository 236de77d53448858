#include "sequential.hpp"

#include "../isolation/process_state.hpp"
#include "../isolation/syscall_watch.hpp"
#include "../sys/sys.hpp"
#include "live_capture.hpp"
#include "parent_streams.hpp"
#include "signals.hpp"
#include "task_scope.hpp"

#include <prun/logging/hierarchy.hpp>
#include <prun/pool/errors.hpp>

#include <pthread.h>
#include <unistd.h>

#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>

namespace prun::pool::scope {

namespace {

using isolation::SyscallWatch;

// One sequential run at a time per process; the thread that holds it may nest runs. Reset in
// a forked child, where the thread holding it does not exist.
class ProcessRunLock {
 public:
  ProcessRunLock() {
    State& s = state();
    std::unique_lock lock(s.mutex);
    if (s.depth > 0 && s.owner == std::this_thread::get_id()) {
      ++s.depth;
      return;
    }
    s.free.wait(lock, [&] { return s.depth == 0; });
    s.owner = std::this_thread::get_id();
    s.depth = 1;
  }
  ~ProcessRunLock() {
    State& s = state();
    std::lock_guard lock(s.mutex);
    if (--s.depth == 0) s.free.notify_one();
  }
  ProcessRunLock(const ProcessRunLock&) = delete;
  ProcessRunLock& operator=(const ProcessRunLock&) = delete;

 private:
  struct State {
    std::mutex mutex;
    std::condition_variable free;
    std::thread::id owner;
    int depth = 0;
  };
  static State& state() {
    alignas(State) static unsigned char storage[sizeof(State)];
    static State* s = [] {
      ::pthread_atfork(nullptr, nullptr, [] { new (storage) State(); });
      return new (storage) State();  // never destroyed: runs may end during exit
    }();
    return *s;
  }

 public:
  /// Made at load time (see below), never first in a thread another thread's fork() may cut.
  static bool prepare() {
    state();
    return true;
  }
};
[[maybe_unused]] const bool g_run_lock_ready = ProcessRunLock::prepare();

// Delivers a task's records to the caller's configuration as it was before the run, then to
// an observer that wants them (as a driver does for a worker's records; here from the thread
// that logged, one record at a time: the handler's lock is held). It keeps its own copy of the
// snapshot (copies share one state): another thread may still be inside handle() when the run
// ends.
class SnapshotDelivery final : public Delivery {
 public:
  SnapshotDelivery(logging::HierarchySnapshot snapshot, RunObserver* observer)
      : Delivery(true), snapshot_(std::move(snapshot)), observer_(observer && observer->wants_records() ? observer : nullptr) {}

 protected:
  void deliver(const logging::Record& record) override {
    logging::Record copy = record;
    snapshot_.call_handlers(copy);
    if (observer_) observer_->on_record(copy);
  }

 private:
  const logging::HierarchySnapshot snapshot_;
  RunObserver* const observer_;
};

}  // namespace

struct SequentialRunner::State {
  const Options& options;
  const TaskTable& table;
  ProcessRunLock lock;
  std::optional<SequentialScope> scope;
  std::optional<LiveCapture> capture;
  std::optional<SignalScope> signals;
  bool watched = false;
  isolation::ProcessState baseline;
  std::shared_ptr<SnapshotDelivery> delivery;
  std::optional<TaskRunner> runner;
  int level = 0;
  std::size_t next = 0;
  std::size_t known = table.size;  // grows with a pulled input
  std::size_t n_ok = 0, n_failed = 0;
  std::int64_t start_ns = sys::monotonic_ns();
  bool active = false;

  State(const Options& o, const TaskTable& t) : options(o), table(t) {}

  void resume() {
    if (active) return;
    // The caller's configuration, set aside and reset; runs in other threads route their
    // workers' records to it meanwhile. Restored exactly at pause().
    scope.emplace();
    if (!runner) level = options.log_level.value_or(scope->saved().root_level());
    if (options.capture_output) {
      if (!capture) capture.emplace(options, table);
      else capture->resume();
    }
    // Ctrl-C cannot stop a task running here: what it printed goes out whole, and the signal
    // ends the program as it would have.
    signals.emplace(options.handle_signals, -1, /*immediate=*/true, capture ? capture->signal_fd() : -1);
    // What a task may change in the process is put back after it (as in a worker), and a task
    // that made no system call costs no check.
    watched = SyscallWatch::enable(/*unless_traced=*/true);
    baseline.capture();
    delivery = std::make_shared<SnapshotDelivery>(scope->saved(), options.observer.get());
    runner.emplace(options, table, delivery, level, 0);
    active = true;
  }

  void pause() {
    if (!active) return;
    SyscallWatch::disarm();
    if (watched) SyscallWatch::disable();
    runner.reset();
    if (capture) capture->suspend();
    scope.reset();
    signals.reset();
    active = false;
  }

  // One attempt of task i; returns its error, or nullptr with the result stored.
  std::exception_ptr attempt(std::size_t i, std::uint32_t attempt_no, const std::vector<std::string>& earlier,
                             std::string& result, std::string& what, bool& timed_out, std::int64_t& t0) {
    timed_out = false;
    RunObserver* observer = options.observer.get();
    const std::string tag = table.tag(i);
    t0 = sys::monotonic_ns();
    if (observer) observer->on_task_started({i, tag, 0, ::getpid(), attempt_no, t0});
    result.clear();
    if (capture) capture->begin(i);
    SyscallWatch::arm();
    Outcome outcome = runner->run(i, result, attempt_no);
    SyscallWatch::disarm();
    const bool touched = SyscallWatch::noticed();  // always true when the watch is off
    if (touched) baseline.restore();
    if (capture) capture->end(i, touched);
    const std::int64_t t1 = sys::monotonic_ns();
    std::chrono::milliseconds limit = options.timeout;
    if (table.timeout)
      if (auto own = table.timeout(i)) limit = *own;
    std::exception_ptr error;
    if (!outcome.ok) {
      what = outcome.type + ": " + outcome.message;
      error = std::make_exception_ptr(TaskError(i, tag, ::getpid(), std::string(logging::process_name()), outcome.type,
                                                outcome.message, delivery->tail_lines(), attempt_no, earlier));
    } else if (limit.count() > 0 && t1 - t0 > static_cast<std::int64_t>(limit.count()) * 1'000'000) {
      // A task here cannot be stopped: it ran to its end, and fails as it would elsewhere.
      TaskTimeout e(i, tag, ::getpid(), std::string(logging::process_name()), static_cast<double>(t1 - t0) / 1e9,
                    static_cast<double>(limit.count()) / 1e3, delivery->tail_lines(), attempt_no, earlier);
      what = e.message();
      timed_out = true;
      error = std::make_exception_ptr(e);
    }
    return error;
  }

  bool run_next() {
    if (next >= known) {
      // A pulled input is read here, in the caller's own logging (not yet in a task's scope).
      pause();
      if (!table.pull || !table.pull()) return false;
      ++known;
    }
    if (options.cancel && options.cancel->stopping()) throw Cancelled(next, known);  // cancelled or halted
    resume();
    RunObserver* observer = options.observer.get();
    const std::size_t i = next++;
    std::vector<std::string> earlier;
    std::string result, what;
    for (std::uint32_t attempt_no = 1;; ++attempt_no) {
      bool timed_out = false;
      std::int64_t started = 0;
      std::exception_ptr error = attempt(i, attempt_no, earlier, result, what, timed_out, started);
      const bool threw = error && !timed_out;
      const bool retry = error && attempt_no <= static_cast<std::uint32_t>(options.retries) &&
                         (!threw || options.retry_on_error);
      const TaskStatus status = !error ? TaskStatus::ok : threw ? TaskStatus::error : TaskStatus::timed_out;
      if (observer) {
        const std::string tag = table.tag(i);
        observer->on_task_finished({i, tag, 0, ::getpid(), attempt_no, started, sys::monotonic_ns(), status, !retry,
                                    error ? std::string_view(what) : std::string_view(), sys::peak_rss_kib()});
      }
      if (!error) {
        ++n_ok;
        table.store(i, result);
        break;
      }
      if (retry) {
        earlier.push_back("attempt " + std::to_string(attempt_no) + ": " + what);
        continue;
      }
      ++n_failed;
      if (table.fail) table.fail(i, error);  // its outcome, for a consumer of outcomes
      if (options.on_error == ErrorPolicy::collect) break;
      std::rethrow_exception(error);
    }
    return next < known || table.pull;
  }
};

SequentialRunner::SequentialRunner(const Options& options, const TaskTable& table)
    : s_(std::make_unique<State>(options, table)) {
  if (RunObserver* observer = options.observer.get()) observer->on_run_started({table.size, 1, "sequential", options.n_jobs});
}

SequentialRunner::~SequentialRunner() {
  s_->pause();
  if (RunObserver* observer = s_->options.observer.get())
    observer->on_run_finished({s_->known, s_->n_ok, s_->n_failed,
                               s_->options.cancel && s_->options.cancel->cancelled(), sys::monotonic_ns() - s_->start_ns});
}

bool SequentialRunner::run_next() { return s_->run_next(); }
void SequentialRunner::pause() { s_->pause(); }
void SequentialRunner::resume() { s_->resume(); }
std::size_t SequentialRunner::done() const noexcept { return s_->next; }
std::size_t SequentialRunner::known() const noexcept { return s_->known; }

void run_sequential(const Options& options, const TaskTable& table) {
  SequentialRunner runner(options, table);
  while (runner.run_next()) {
  }
}

}  // namespace prun::pool::scope
