#pragma once
// A run made ready on its workers, the same way for a blocking run and a started one: the
// workers (a WorkerSet that lives for the run, or a Pool's), what the driver needs, and the
// run's own cancel token (cancel(), signals).

#include "../core/driver.hpp"
#include "../local/worker_set.hpp"

#include <prun/pool/pool.hpp>

#include <memory>
#include <vector>

namespace prun::pool::detail {

/// What a remote backend keeps for one run (its links, its hold on the workers); destroyed
/// after the driver.
class RemoteRun {
 public:
  virtual ~RemoteRun() = default;
};

struct PreparedRun {
  std::unique_ptr<RemoteRun> remote_run;    ///< a remote backend's run (Backend::mpi)
  core::WorkerSource* source = nullptr;     ///< replaces workers; null: `workers`
  std::unique_ptr<local::WorkerSet> owned;  ///< a run's own workers (fork per run)
  std::unique_ptr<Pool> owned_pool;         ///< a run's own pool (spawn per run)
  local::WorkerSet* workers = nullptr;
  std::vector<RemoteTask> remote;           ///< tasks by name (spawn, pools)
  std::vector<core::Link*> links;
  core::DriverConfig config;
  /// Ends the run on the workers (a Pool's keep their workers, a run's own are stopped).
  ~PreparedRun();
  core::WorkerSource* worker_source() const noexcept { return source ? source : workers; }
};

/// Workers and configuration for `table` on the backend `options` names (not sequential).
/// `window`: results that may wait for a consumer (0: no limit, a blocking run); `token`: the
/// run's own cancel token.
std::unique_ptr<PreparedRun> prepare(const Options& options, const TaskTable& table, std::size_t window,
                                     const CancelToken& token);
/// The same on a Pool's workers.
std::unique_ptr<PreparedRun> prepare(Pool& pool, const Options& options, const TaskTable& table, std::size_t window,
                                     const CancelToken& token);

}  // namespace prun::pool::detail
