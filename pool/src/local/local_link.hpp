#pragma once
// The link to a worker process on this machine: frames through a shared-memory ring (with a
// doorbell pipe), raw output through two pipes read under the slot's lock, the exit through a
// pidfd. Crash attribution lives here too: the slot says which task was running.

#include "../core/link.hpp"
#include "../sys/sys.hpp"
#include "shared_block.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace prun::pool::local {

/// Bytes of the pipes that belong to no task (written between tasks, by something a task left
/// running): reported with this task index.
inline constexpr std::size_t kNoTask = SIZE_MAX;

/// What a started local worker hands over to its link, which owns all of it from then on.
struct LocalWorker {
  int slot = 0;
  pid_t pid = -1;
  sys::Fd pidfd, ctrl, doorbell, out, err;  ///< parent's ends; out/err empty when not piped
  std::unique_ptr<SharedBlock> block;
};

class LocalLink final : public core::Link {
 public:
  explicit LocalLink(LocalWorker worker);
  /// A worker still alive is killed (with its process group) and reaped.
  ~LocalLink() override;

  int pid() const noexcept override { return w_.pid; }
  std::string name() const override;
  void attach(boost::asio::io_context& ctx, core::LinkEvents& events) override;
  void detach() noexcept override;
  bool send(std::string_view frames) noexcept override;
  void set_stop_before(std::size_t index) noexcept override;
  std::optional<core::Running> running() const noexcept override;
  void signal(int signal) noexcept override;
  bool exited() const noexcept override { return reaped_; }

  // ---- for the worker's owner, outside a run ----
  SharedBlock& block() noexcept { return *w_.block; }
  int doorbell_fd() const noexcept { return w_.doorbell.get(); }
  int pidfd() const noexcept { return w_.pidfd.get(); }
  bool piped() const noexcept { return static_cast<bool>(w_.out); }
  /// Appends the parent's descriptors of this worker (for another worker to close).
  void append_fds(std::vector<int>& fds) const;
  /// Resets the slot's run state (stop limit, current task) before a run.
  void prepare_run() noexcept;
  /// The worker said it will leave (recycling), or was told to stop.
  void expect_exit() noexcept { expected_exit_ = true; }
  bool expecting_exit() const noexcept { return expected_exit_; }
  /// Reaps the worker if it has exited; true if it is gone.
  bool poll_exit() noexcept;
  /// Waits until the worker exits or `timeout` passes; true if it is gone (and reaped).
  bool wait_exit(std::chrono::milliseconds timeout) noexcept;
  /// SIGKILL to the worker's process group, then reaps it.
  void kill_and_reap() noexcept;
  int status() const noexcept { return status_; }

 private:
  struct Asio;
  void read_doorbell();
  void recheck_soon();
  void drain();
  void drain_all();
  void on_frame(const protocol::Frame& frame);
  void read_output(int stream);
  bool take_output(int stream);
  void wait_for_exit();
  void on_exited(int status);
  int reap_group() noexcept;

  LocalWorker w_;
  std::unique_ptr<Asio> asio_;
  core::LinkEvents* events_ = nullptr;
  std::uint64_t generation_ = 0;  // bumped by attach/detach: stale handlers return at once
  bool reaped_ = false;
  int status_ = 0;
  bool expected_exit_ = false;
  bool drain_posted_ = false;
  std::string fatal_;
  protocol::InternCache cache_;
  logging::Record scratch_;
  std::string bytes_;  // output read buffer
};

}  // namespace prun::pool::local
