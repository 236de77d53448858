#pragma once
// Backends that live outside prun::pool and plug in at run time: Backend::mpi is implemented
// by prun::mpi (pool/mpi/), which registers itself when the program calls prun::mpi::init.
// prun::pool never depends on it: without the registration, Backend::mpi fails with a clear
// error.

#include "prepared.hpp"

#include <prun/pool/options.hpp>

#include <memory>

namespace prun::pool::detail {

class RemoteBackend {
 public:
  /// Workers and configuration for a run (`options.n_jobs` counts the backend's workers).
  virtual std::unique_ptr<PreparedRun> prepare(const Options& options, const TaskTable& table, std::size_t window,
                                               const CancelToken& token) = 0;
  /// The workers n_jobs means on this backend. Throws std::invalid_argument.
  virtual int resolve_n_jobs(int n_jobs) const = 0;
  /// Pids of the workers.
  virtual std::vector<int> pids() const = 0;

 protected:
  ~RemoteBackend() = default;
};

/// Registers the implementation of `backend` (Backend::mpi), for the life of the process.
void register_remote_backend(Backend backend, RemoteBackend* implementation) noexcept;
/// The registered implementation; throws std::logic_error naming what to link and call.
RemoteBackend& remote_backend(Backend backend);

}  // namespace prun::pool::detail
