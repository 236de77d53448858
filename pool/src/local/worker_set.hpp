#pragma once
// The workers of a pool, by slot: started (several at once, then greeted), replaced, stopped
// and reaped in one way whatever the launcher. A plain Parallel run on Backend::fork is a
// WorkerSet that lives for the run; a prun::Pool keeps one across runs.

#include "../core/driver.hpp"
#include "launcher.hpp"
#include "local_link.hpp"

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace prun::pool::local {

struct WorkerSetConfig {
  std::chrono::milliseconds startup_timeout{std::chrono::seconds(10)};
  std::chrono::milliseconds stop_grace{std::chrono::seconds(2)};
  std::chrono::milliseconds idle_timeout{0};  ///< 0: workers never leave for idleness
  std::size_t max_tasks_per_child = 0;
  std::string initializer;  ///< registered name, for spawned workers
  /// Wait for every new worker's hello before using it (spawn: is it this program? initializer:
  /// did it throw?). Without it, a worker is used at once.
  bool greet = true;
  /// Descriptors 1 and 2 of the workers are pipes the parent reads.
  bool pipe_output = true;
};

class WorkerSet final : public core::WorkerSource {
 public:
  WorkerSet(int size, std::unique_ptr<Launcher> launcher, WorkerSetConfig config);
  /// Stops every worker (stop, SIGTERM, SIGKILL after stop_grace) and reaps it.
  ~WorkerSet();
  WorkerSet(const WorkerSet&) = delete;
  WorkerSet& operator=(const WorkerSet&) = delete;

  int size() const noexcept { return static_cast<int>(slots_.size()); }
  /// Live workers for slots [0, n): those that left since are reaped and started again (all
  /// at once), each then gets `run_frame` (the run's options; may be empty). For a run whose
  /// prefix pattern and level an initializer's records get (with the worker's name as tag).
  std::vector<core::Link*> prepare(int n, std::string_view run_frame, std::string_view prefix = "process={tag} ",
                                   int level = 30);
  /// A fresh worker in `slot` during a run (the old link stays valid until end_run()).
  core::Link& replace(int slot) override;
  /// After a run: links replaced during it are released; workers that died are reaped.
  void end_run();
  /// Reaps workers that left on their own (idle timeout, killed from outside).
  void refresh();
  /// Stops every worker now; prepare() starts new ones.
  void stop_all() noexcept;
  std::vector<int> pids();
  const WorkerSetConfig& config() const noexcept { return config_; }

 private:
  std::vector<LocalLink*> start(const std::vector<int>& slots);
  void greet(std::vector<LocalLink*>& links);
  void send_setup(LocalLink& link);

  std::unique_ptr<Launcher> launcher_;
  WorkerSetConfig config_;
  std::vector<std::unique_ptr<LocalLink>> slots_;
  std::vector<std::unique_ptr<LocalLink>> retired_;
  std::string run_frame_;
  std::string prefix_ = "process={tag} ";
  int level_ = 30;
  bool in_run_ = false;
};

}  // namespace prun::pool::local
