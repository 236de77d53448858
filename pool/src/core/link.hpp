#pragma once
// The driver talks to a worker only through a Link: it sends work, a stop limit, a stop, a
// signal; it receives events. Local workers (a shared-memory ring, two pipes and a pidfd) are
// one implementation (local/local_link.hpp); an external command or a remote MPI rank would be
// others, without a change to the driver (see docs/model.md).

#include "protocol.hpp"

#include <prun/logging/record.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace boost::asio {
class io_context;
}

namespace prun::pool::core {

class Link;

/// How a worker ended.
struct WorkerExit {
  int status = 0;            ///< wait status (WIFEXITED/WIFSIGNALED apply)
  bool expected = false;     ///< it left cleanly after saying it would (stop, recycling, idle)
  std::optional<std::size_t> running;  ///< the task it was running when it died, when known
  std::string fatal;         ///< what it said before leaving on its own account, if anything
  /// The process was the task itself (a command), not a worker: its exit status is the task's.
  bool task_process = false;
};

/// The task a worker runs now.
struct Running {
  std::size_t index = 0;
  std::int64_t started_ns = 0;  ///< CLOCK_MONOTONIC
};

/// What links report, always from the driver's event loop. Record and output views are valid
/// only during the call.
class LinkEvents {
 public:
  virtual void on_record(Link& link, logging::Record& record) = 0;
  /// Bytes a task printed on stream 1 or 2; `last`: the task's output is complete.
  virtual void on_output(Link& link, int stream, std::size_t task, std::string_view bytes, bool last) = 0;
  virtual void on_started(Link& link, const protocol::Started& started) = 0;
  virtual void on_finished(Link& link, const protocol::Finished& finished) = 0;
  virtual void on_batch_done(Link& link) = 0;
  /// The worker took its last task (recycling) and leaves after the current batch.
  virtual void on_recycle(Link& link) = 0;
  /// The worker is gone; every event it produced before was delivered first.
  virtual void on_exit(Link& link, const WorkerExit& exit) = 0;

 protected:
  ~LinkEvents() = default;
};

class Link {
 public:
  explicit Link(int slot) : slot_(slot) {}
  virtual ~Link() = default;
  Link(const Link&) = delete;
  Link& operator=(const Link&) = delete;

  /// 0-based slot; the worker is called name().
  int slot() const noexcept { return slot_; }
  virtual int pid() const noexcept = 0;
  virtual std::string name() const = 0;

  /// Starts delivering events to `events` from `ctx`'s loop.
  virtual void attach(boost::asio::io_context& ctx, LinkEvents& events) = 0;
  /// Stops delivering events; the worker (if alive) stays as it is, for a later run.
  virtual void detach() noexcept = 0;

  /// Sends a batch (encoded with protocol::Batch). False if the worker is gone.
  virtual bool send(std::string_view frames) noexcept = 0;
  /// The worker starts no task with an index >= `index` from now on.
  virtual void set_stop_before(std::size_t index) noexcept = 0;
  /// The task it runs now, if any (as far as the parent can know).
  virtual std::optional<Running> running() const noexcept = 0;
  /// Sends `signal` to the worker and everything it started (its process group).
  virtual void signal(int signal) noexcept = 0;
  /// Whether the worker is gone (its exit was seen).
  virtual bool exited() const noexcept = 0;

  /// Tasks sent to this worker over its life (kept by the driver, read by pools for recycling).
  std::size_t tasks_sent() const noexcept { return sent_; }
  void count_sent(std::size_t n) noexcept { sent_ += n; }

 private:
  int slot_;
  std::size_t sent_ = 0;
};

}  // namespace prun::pool::core
