#pragma once
// A job slot of run_commands as a Link: each task it is sent is a shell command line, run as a
// process of its own (posix_spawn of `<shell> -c <command>`, in a process group of its own,
// stdin from /dev/null, stdout and stderr through two pipes read by the driver's event loop).
// The driver sees a worker that runs one task at a time; a command that exits is a task that
// finished (ok for status 0, an error otherwise, with its exit status); a command killed by a
// signal, or stopped by the driver (timeout, cancel), is a worker that is gone, and the slot
// gets a fresh link (WorkerSource) as a crashed worker would.

#include "../core/link.hpp"
#include "../sys/sys.hpp"

#include <prun/pool/commands.hpp>

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>

namespace prun::pool::commands {

/// What every job slot of one run shares.
struct CommandPlan {
  std::deque<CommandJob> jobs;  ///< job i, once known (a deque: references stay valid as it grows)
  std::string shell;
  std::int64_t delay_ns = 0;       ///< the least time between two job starts
  std::int64_t next_start_ns = 0;  ///< no job starts before this (CLOCK_MONOTONIC)
};

class CommandLink final : public core::Link {
 public:
  CommandLink(int slot, CommandPlan& plan);
  /// A job still running is killed with its process group, and reaped.
  ~CommandLink() override;

  int pid() const noexcept override { return pid_; }
  std::string name() const override;
  void attach(boost::asio::io_context& ctx, core::LinkEvents& events) override;
  void detach() noexcept override;
  bool send(std::string_view frames) noexcept override;
  void set_stop_before(std::size_t index) noexcept override;
  std::optional<core::Running> running() const noexcept override;
  void signal(int signal) noexcept override;
  bool exited() const noexcept override { return gone_; }

 private:
  struct Asio;
  struct Queued {
    std::size_t next, end;
  };
  void start_soon();
  void start_next();
  void launch(std::size_t index);
  bool spawn(const CommandJob& job, std::string& why);
  void read(int stream);
  void wait_exit();
  void on_exit();
  void job_over(std::size_t index);
  void kill_and_reap() noexcept;

  CommandPlan& plan_;
  std::unique_ptr<Asio> asio_;
  core::LinkEvents* events_ = nullptr;
  std::uint64_t generation_ = 0;  // bumped by attach/detach: stale handlers return at once
  std::deque<Queued> queue_;      // batches sent, in order
  std::size_t stop_before_ = SIZE_MAX;
  // The job running now.
  pid_t pid_ = 0;
  bool job_running_ = false;
  std::size_t job_ = 0;
  std::int64_t started_ns_ = 0;
  bool signalled_ = false;  // the driver stopped it: its end is the slot's
  sys::Fd pidfd_, out_, err_;
  bool open_[2] = {false, false};
  int status_ = 0;
  bool gone_ = false;
  bool start_posted_ = false;
  std::string bytes_;
};

}  // namespace prun::pool::commands
