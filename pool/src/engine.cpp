#include <prun/pool/engine.hpp>

#include "backends.hpp"
#include "task_scope.hpp"

#include <prun/pool/pool.hpp>

#include <prun/logging/logger.hpp>

#include <algorithm>

namespace prun::pool {

void run(const Options& options, const TaskTable& table) {
  const int n_workers = resolve_n_jobs(options.n_jobs);
  detail::check_prefix(options.prefix);
  // The default task level is what the caller's root lets through now (joblib drops it).
  const int level = options.log_level.value_or(logging::get_logger().effective_level());
  if (table.size == 0) return;
  if (n_workers == 1 || options.backend == Backend::sequential) {
    detail::run_sequential(options, table, level);
  } else if (options.backend == Backend::spawn) {
    // A pool for this run only.
    PoolOptions pool_options;
    pool_options.n_jobs = static_cast<int>(std::min<std::size_t>(static_cast<std::size_t>(n_workers), table.size));
    pool_options.backend = Backend::spawn;
    pool_options.idle_timeout = std::chrono::milliseconds(0);
    Pool pool(pool_options);
    pool.run(options, table);
  } else {
    const int workers = static_cast<int>(std::min<std::size_t>(static_cast<std::size_t>(n_workers), table.size));
    detail::run_fork(options, table, level, workers);
  }
}

}  // namespace prun::pool
