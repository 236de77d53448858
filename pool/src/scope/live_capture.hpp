#pragma once
// n_jobs=1's output capture: the tasks' descriptors 1 and 2 are two pipes while they run, and
// a reader thread turns what they hold into whole prefixed lines on the real streams as it
// comes (live). At the end of each task, and before any record reaches the real streams (the
// logging handlers' writer hook), the run drains the pipes itself under the same lock, so a
// task's lines are complete before the next task starts and its records and lines come out in
// the order it wrote them.

#include "../core/line_router.hpp"
#include "../sys/sys.hpp"

#include <prun/pool/options.hpp>
#include <prun/pool/task_table.hpp>

#include <mutex>
#include <optional>
#include <string>
#include <thread>

namespace prun::pool::scope {

class LiveCapture {
 public:
  /// Creates the pipes and the reader thread, then takes 1 and 2 over (resume()).
  LiveCapture(const Options& options, const TaskTable& table);
  /// Gives 1 and 2 back, stops the reader thread and writes out what is left.
  ~LiveCapture();
  LiveCapture(const LiveCapture&) = delete;
  LiveCapture& operator=(const LiveCapture&) = delete;

  /// 1 and 2 are the caller's again (between tasks of a run the caller steps), or the pipes.
  void suspend();
  void resume();

  /// `task`'s output begins; at end(), everything it printed is out and its partial last line
  /// gets a newline.
  void begin(std::size_t task);
  /// `made_system_calls` false: the task wrote nothing (any write is a system call the
  /// SyscallWatch notices): the pipes are not read, end() costs no system call.
  void end(std::size_t task, bool made_system_calls = true);
  /// Everything printed so far is out (the pipes drained, lines written). Async-signal-unsafe.
  void sync();
  /// An eventfd: written to (by a signal handler), the reader thread writes out everything
  /// printed so far, partial lines completed, then raises the pending signal again.
  int signal_fd() const noexcept { return signal_.get(); }

 private:
  static void write_record(void* self, int stream, const char* data, std::size_t size) noexcept;
  void drain_locked();
  void read_loop();

  sys::Pipe out_, err_, wake_;
  sys::Fd signal_;
  sys::Fd saved_[2];
  std::optional<core::LineRouter> routers_[2];
  std::mutex mutex_;
  std::size_t current_;
  std::string bytes_;
  bool line_buffered_ = true;
  bool active_ = false;
  std::thread reader_;
};

}  // namespace prun::pool::scope
