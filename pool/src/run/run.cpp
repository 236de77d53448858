// Runs: blocking (pool::run, Pool::run) and started (pool::start, Pool::start), on every
// backend, with the same preparation.
#include <prun/pool/pool.hpp>
#include <prun/pool/task_table.hpp>

#include "../core/driver.hpp"
#include "../core/prefix.hpp"
#include "../local/launcher.hpp"
#include "../local/worker_set.hpp"
#include "../scope/parent_streams.hpp"
#include "../scope/sequential.hpp"
#include "../scope/signals.hpp"
#include "../scope/task_scope.hpp"
#include "../sys/sys.hpp"
#include "prepared.hpp"
#include "remote.hpp"

#include <prun/logging/logger.hpp>

#include <algorithm>
#include <atomic>
#include <stdexcept>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace prun::pool {

namespace detail {

namespace {
std::atomic<RemoteBackend*> g_mpi{nullptr};
}  // namespace

void register_remote_backend(Backend backend, RemoteBackend* implementation) noexcept {
  if (backend == Backend::mpi) g_mpi.store(implementation);
}

RemoteBackend& remote_backend(Backend backend) {
  RemoteBackend* b = backend == Backend::mpi ? g_mpi.load() : nullptr;
  if (!b)
    throw std::logic_error(
        "prun: Backend::mpi needs the prun::mpi library and a call to prun::mpi::init(argc, argv) first thing in "
        "main(), in a program started by mpirun (see docs/distributed.md)");
  return *b;
}

PreparedRun::~PreparedRun() {
  if (workers && !owned) workers->end_run();  // a Pool's workers stay for its next run
}

std::unique_ptr<PreparedRun> prepare(const Options& options, const TaskTable& table, std::size_t window,
                                     const CancelToken& token) {
  if (options.backend == Backend::mpi) return remote_backend(options.backend).prepare(options, table, window, token);
  const std::size_t jobs = static_cast<std::size_t>(resolve_n_jobs(options.n_jobs));
  const int n = static_cast<int>(table.pull ? jobs : std::min(jobs, table.size));
  // Spawned workers take tasks by name; so do forked ones when the input is pulled lazily
  // (forked before the tasks exist, they cannot have them in memory).
  if (options.backend == Backend::spawn || table.pull) {
    PoolOptions pool_options;  // a pool for this run only
    pool_options.n_jobs = n;
    pool_options.backend = options.backend == Backend::spawn ? Backend::spawn : Backend::fork;
    pool_options.idle_timeout = std::chrono::milliseconds(0);
    auto pool = std::make_unique<Pool>(pool_options);
    auto p = prepare(*pool, options, table, window, token);
    p->owned_pool = std::move(pool);
    return p;
  }
  // Backend::fork: a pool that lives for the run. Its workers inherit the task table (any
  // closure runs) and are given tasks by index.
  core::check_prefix(options.prefix);
  auto p = std::make_unique<PreparedRun>();
  local::WorkerRole role;
  role.options = &options;
  role.table = &table;
  // The default task level is what the caller's root lets through now (joblib drops it).
  role.level = options.log_level.value_or(scope::parent_root_level());
  local::WorkerSetConfig config;
  config.greet = false;  // nothing to check: same program, no initializer
  config.pipe_output = options.capture_output;
  // The caller's descriptors, which the workers keep: not the run's own token.
  std::vector<int> callers = sys::open_descriptors();
  std::erase_if(callers, [&](int fd) { return fd == token.fd() || fd == token.stopping_fd(); });
  p->owned = std::make_unique<local::WorkerSet>(
      n, std::make_unique<local::ForkLauncher>(std::move(role), true, std::move(callers)), config);
  p->workers = p->owned.get();
  p->links = p->workers->prepare(n, {});
  p->config.capture = options.capture_output;
  p->config.window = window;
  p->config.backend = "fork";
  p->config.cancel = token;
  return p;
}

}  // namespace detail

namespace {

// A blocking run on prepared workers. Declaration order is destruction order reversed: the
// driver goes first, then the workers (stopped and reaped), then the signal scope (which may
// raise a signal that arrived meanwhile).
void run_prepared(const Options& options, const TaskTable& table, Pool* pool) {
  CancelToken token;
  scope::SignalScope signals(options.handle_signals, token.fd());
  auto p = pool ? detail::prepare(*pool, options, table, 0, token) : detail::prepare(options, table, 0, token);
  core::Driver driver(options, table, p->links, p->worker_source(), p->config);
  driver.start();
  driver.run();
}

std::size_t window_of(const Options& options, int workers) {
  return options.max_pending ? options.max_pending : static_cast<std::size_t>(8 * std::max(1, workers));
}

// A started run on workers: the driver steps in a thread of its own; the consumer waits for
// what it stores.
class ThreadRun final : public RunHandle {
 public:
  ThreadRun(const Options& options, const TaskTable& table, Pool* pool) : options_(options), table_(table) {
    if (table.size == 0 && !table.pull) {
      finished_ = true;
      return;
    }
    // The consumer is woken whenever a result or an error is stored.
    table_.store = [this, store = table.store](std::size_t i, std::string_view bytes) {
      store(i, bytes);
      delivered();
    };
    if (table.fail)
      table_.fail = [this, fail = table.fail](std::size_t i, std::exception_ptr e) {
        fail(i, e);
        delivered();
      };
    const int workers = pool ? pool->size()
                        : options.backend == Backend::mpi ? detail::remote_backend(Backend::mpi).resolve_n_jobs(options.n_jobs)
                                                          : resolve_n_jobs(options.n_jobs);
    prepared_ = pool ? detail::prepare(*pool, options_, table_, window_of(options, workers), token_)
                     : detail::prepare(options_, table_, window_of(options, workers), token_);
    driver_ = std::make_unique<core::Driver>(options_, table_, prepared_->links, prepared_->worker_source(),
                                             prepared_->config);
    thread_ = std::thread([this] { loop(); });
  }

  ~ThreadRun() override {
    cancel();
    if (thread_.joinable()) thread_.join();
  }

  bool advance() override {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return events_ != seen_ || finished_; });
    seen_ = events_;
    return !finished_;
  }

  void consumed(std::size_t n) override {
    std::lock_guard lock(mutex_);
    if (driver_) driver_->consumed(n);
  }

  void cancel() noexcept override { token_.cancel(); }

  bool finished() const override {
    std::lock_guard lock(mutex_);
    return finished_;
  }

  std::exception_ptr error() const override {
    std::lock_guard lock(mutex_);
    return error_;
  }

 private:
  void delivered() {
    {
      std::lock_guard lock(mutex_);
      ++events_;
    }
    changed_.notify_all();
  }

  void loop() {
    scope::SignalScope signals(options_.handle_signals, token_.fd());
    std::exception_ptr error;
    try {
      driver_->start();
      while (driver_->step()) {
      }
      error = driver_->error();
    } catch (...) {
      error = std::current_exception();
    }
    {
      // The workers are stopped and reaped before the consumer hears the run is over (and
      // before a signal that arrived meanwhile is raised again).
      std::unique_ptr<core::Driver> driver;
      {
        std::lock_guard lock(mutex_);
        driver = std::move(driver_);
      }
      driver.reset();
      prepared_.reset();
    }
    {
      std::lock_guard lock(mutex_);
      error_ = error;
      finished_ = true;
    }
    changed_.notify_all();
  }

  Options options_;
  TaskTable table_;
  CancelToken token_;
  std::unique_ptr<detail::PreparedRun> prepared_;
  std::unique_ptr<core::Driver> driver_;  // guarded by mutex_ for other threads
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::uint64_t events_ = 0, seen_ = 0;
  bool finished_ = false;
  std::exception_ptr error_;
  std::thread thread_;
};

// A started run at n_jobs = 1: each advance() runs the next task in the consumer's thread.
class SequentialRun final : public RunHandle {
 public:
  SequentialRun(const Options& options, const TaskTable& table)
      : options_(options), table_(table), runner_(options_, table_) {
    runner_.pause();
  }

  bool advance() override {
    if (finished_) return false;
    if (token_cancelled_) {
      error_ = std::make_exception_ptr(Cancelled(runner_.done(), runner_.known()));
      finished_ = true;
      return false;
    }
    try {
      const bool more = runner_.run_next();  // takes the caller's logging and streams over itself
      runner_.pause();
      if (!more) finished_ = true;
    } catch (...) {
      runner_.pause();
      error_ = std::current_exception();
      finished_ = true;
    }
    return !finished_;
  }

  void consumed(std::size_t) override {}
  void cancel() noexcept override { token_cancelled_ = true; }
  bool finished() const override { return finished_; }
  std::exception_ptr error() const override { return error_; }

 private:
  Options options_;
  const TaskTable& table_;
  scope::SequentialRunner runner_;
  std::atomic<bool> token_cancelled_{false};
  bool finished_ = false;
  std::exception_ptr error_;
};

}  // namespace

namespace {
// n_jobs = 1 means "in this process" on the local backends; on MPI it counts worker ranks.
bool sequential(const Options& options) {
  if (options.backend == Backend::mpi) return false;
  return resolve_n_jobs(options.n_jobs) == 1 || options.backend == Backend::sequential;
}
}  // namespace

void run(const Options& options, const TaskTable& table) {
  const bool in_process = sequential(options);
  core::check_prefix(options.prefix);
  if (table.size == 0) return;
  if (in_process) {
    scope::run_sequential(options, table);
    return;
  }
  run_prepared(options, table, nullptr);
}

std::unique_ptr<RunHandle> start(const Options& options, const TaskTable& table) {
  core::check_prefix(options.prefix);
  if (sequential(options)) return std::make_unique<SequentialRun>(options, table);
  return std::make_unique<ThreadRun>(options, table, nullptr);
}

void Pool::run(const Options& options, const TaskTable& table) {
  if (table.size == 0) return;
  run_prepared(options, table, this);
}

std::unique_ptr<RunHandle> Pool::start(const Options& options, const TaskTable& table) {
  return std::make_unique<ThreadRun>(options, table, this);
}

}  // namespace prun::pool
