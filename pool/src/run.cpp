// prun::pool::run: one run on the backend its options name.
#include <prun/pool/pool.hpp>
#include <prun/pool/task_table.hpp>

#include "core/driver.hpp"
#include "core/prefix.hpp"
#include "local/launcher.hpp"
#include "local/worker_set.hpp"
#include "scope/parent_streams.hpp"
#include "scope/sequential.hpp"
#include "scope/task_scope.hpp"

#include <prun/logging/logger.hpp>

#include <algorithm>

namespace prun::pool {

namespace {

// Backend::fork: a pool that lives for the run. Its workers inherit the task table (any
// closure runs) and are given tasks by index.
void run_forked(const Options& options, const TaskTable& table, int level, int n_workers) {
  local::WorkerRole role;
  role.options = &options;
  role.table = &table;
  role.level = level;
  local::WorkerSetConfig config;
  config.greet = false;  // nothing to check: same program, no initializer
  config.pipe_output = options.capture_output;
  local::WorkerSet workers(n_workers, std::make_unique<local::ForkLauncher>(std::move(role), true), config);
  std::vector<core::Link*> links = workers.prepare(n_workers, {});
  core::DriverConfig driver_config;
  driver_config.capture = options.capture_output;
  core::Driver driver(options, table, std::move(links), &workers, std::move(driver_config));
  driver.start();
  driver.run();
}

}  // namespace

void run(const Options& options, const TaskTable& table) {
  const int n_workers = resolve_n_jobs(options.n_jobs);
  core::check_prefix(options.prefix);
  if (table.size == 0) return;
  const int workers = static_cast<int>(std::min<std::size_t>(static_cast<std::size_t>(n_workers), table.size));
  if (n_workers == 1 || options.backend == Backend::sequential) {
    scope::run_sequential(options, table);
  } else if (options.backend == Backend::spawn) {
    PoolOptions pool_options;  // a pool for this run only
    pool_options.n_jobs = workers;
    pool_options.backend = Backend::spawn;
    pool_options.idle_timeout = std::chrono::milliseconds(0);
    Pool pool(pool_options);
    pool.run(options, table);
  } else {
    // The default task level is what the caller's root lets through now (joblib drops it).
    run_forked(options, table, options.log_level.value_or(scope::parent_root_level()), workers);
  }
}

}  // namespace prun::pool
