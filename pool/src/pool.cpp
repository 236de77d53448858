// prun::Pool: workers that outlive one run, started by fork or by re-executing the program.
#include <prun/pool/pool.hpp>
#include <prun/pool/registry.hpp>

#include "core/driver.hpp"
#include "core/prefix.hpp"
#include "local/launcher.hpp"
#include "local/worker_set.hpp"
#include "run/prepared.hpp"
#include "run/remote.hpp"
#include "scope/parent_streams.hpp"
#include "scope/task_scope.hpp"

#include <prun/logging/logger.hpp>

#include <cstring>

namespace prun::pool {

namespace detail {
bool g_init_called = false;

// The registered name of the plain function held by `fn` ("" when empty).
template <typename Fn, typename Function>
std::string registered_name(const Function& fn, const char* what) {
  if (!fn) return {};
  const Fn* target = fn.template target<Fn>();
  const RegisteredFunction* f = target ? find_function(reinterpret_cast<const void*>(*target)) : nullptr;
  if (!f)
    throw std::invalid_argument(std::string("prun: the ") + what +
                                " must be a registered function (PRUN_REGISTER_TASK) to run in a spawned or "
                                "pooled worker; a lambda with captures only exists in this process");
  return f->name;
}
}  // namespace detail

void init(int argc, char** argv) {
  detail::g_init_called = true;
  local::WorkerIo io;
  local::WorkerRole role;
  if (local::spawned_worker_from(argc, argv, io, role)) local::serve(io, role);  // never returns
}

struct Pool::Impl {
  PoolOptions opts;
  int n;
  std::unique_ptr<local::WorkerSet> workers;

  explicit Impl(PoolOptions o) : opts(std::move(o)), n(0) {
    if (opts.backend == Backend::sequential)
      throw std::invalid_argument("prun: a Pool needs Backend::fork, Backend::spawn or Backend::mpi");
    if (opts.backend == Backend::mpi) {
      // The worker ranks are the pool: they live as long as the MPI job, and are never replaced.
      if (opts.initializer || opts.max_tasks_per_child)
        throw std::invalid_argument("prun: a Pool on Backend::mpi has no initializer and no max_tasks_per_child "
                                    "(a rank is never replaced)");
      n = detail::remote_backend(Backend::mpi).resolve_n_jobs(opts.n_jobs);
      return;
    }
    n = resolve_n_jobs(opts.n_jobs);
    local::WorkerSetConfig config;
    config.startup_timeout = opts.startup_timeout;
    config.stop_grace = opts.stop_grace;
    config.idle_timeout = opts.idle_timeout;
    config.max_tasks_per_child = opts.max_tasks_per_child;
    config.greet = true;
    config.pipe_output = true;  // a run without capture passes the output through unchanged
    std::unique_ptr<local::Launcher> launcher;
    if (opts.backend == Backend::spawn) {
      if (opts.program.empty() && !detail::g_init_called)
        throw std::logic_error(
            "prun: Backend::spawn re-executes this program as a worker; call prun::init(argc, argv) first "
            "thing in main() so that a worker does not run your main() instead");
      config.initializer = detail::registered_name<void (*)()>(opts.initializer, "initializer");
      launcher = std::make_unique<local::SpawnLauncher>(opts.program.empty() ? "/proc/self/exe" : opts.program,
                                                        local::own_build_id());
    } else {
      local::WorkerRole role;
      role.initializer = opts.initializer;
      launcher = std::make_unique<local::ForkLauncher>(std::move(role), false);
    }
    workers = std::make_unique<local::WorkerSet>(n, std::move(launcher), config);
  }

  std::unique_ptr<detail::PreparedRun> prepare(const Options& options, const TaskTable& table, std::size_t window,
                                               const CancelToken& token) {
    core::check_prefix(options.prefix);
    if (!workers) {  // Backend::mpi: a run on the pool's ranks
      Options on_ranks = options;
      on_ranks.backend = Backend::mpi;
      on_ranks.n_jobs = n;
      return detail::remote_backend(Backend::mpi).prepare(on_ranks, table, window, token);
    }
    auto p = std::make_unique<detail::PreparedRun>();
    // Everything that could refuse a task does so before any worker starts.
    if (!table.remote) throw std::invalid_argument("prun: these tasks cannot be sent by name");
    p->remote.reserve(table.size);
    for (std::size_t i = 0; i < table.size; ++i) p->remote.push_back(table.remote(i));
    protocol::RunConfig run;
    run.prefix = options.prefix;
    run.level = options.log_level.value_or(scope::parent_root_level());
    run.capture = options.capture_output;
    run.configure_task = detail::registered_name<void (*)(const TaskContext&)>(options.configure_task, "configure_task hook");
    run.stop_on_error = options.on_error == ErrorPolicy::fail_fast;
    std::string frame;
    run.encode(frame);
    const int active = static_cast<int>(table.pull ? static_cast<std::size_t>(n)
                                                   : std::min<std::size_t>(static_cast<std::size_t>(n), table.size));
    p->workers = workers.get();
    p->links = workers->prepare(active, frame, run.prefix, scope::parent_root_level());
    p->config.remote = &p->remote;
    if (table.pull)  // each task pulled is put by name at once, as the driver will send it
      p->config.pull = [&table, remote = &p->remote] {
        if (!table.pull()) return false;
        remote->push_back(table.remote(remote->size()));
        return true;
      };
    p->config.max_tasks_per_worker = opts.max_tasks_per_child;
    p->config.capture = options.capture_output;
    p->config.window = window;
    p->config.backend = opts.backend == Backend::spawn ? "spawn" : "fork";
    p->config.cancel = token;
    scope::flush_standard_streams();
    return p;
  }
};

namespace detail {
struct PoolAccess {
  static Pool::Impl& of(Pool& pool) { return *pool.impl_; }
};

std::unique_ptr<PreparedRun> prepare(Pool& pool, const Options& options, const TaskTable& table, std::size_t window,
                                     const CancelToken& token) {
  return PoolAccess::of(pool).prepare(options, table, window, token);
}
}  // namespace detail

Pool::Pool(PoolOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}
Pool::~Pool() = default;
const PoolOptions& Pool::options() const noexcept { return impl_->opts; }
int Pool::size() const noexcept { return impl_->n; }
std::vector<int> Pool::worker_pids() const {
  if (!impl_->workers) return detail::remote_backend(Backend::mpi).pids();
  return impl_->workers->pids();
}
void Pool::shutdown() {
  if (impl_->workers) impl_->workers->stop_all();
}

}  // namespace prun::pool
