#include "sequential.hpp"

#include "../core/line_router.hpp"
#include "../core/prefix.hpp"
#include "../isolation/process_state.hpp"
#include "../isolation/syscall_watch.hpp"
#include "../sys/sys.hpp"
#include "parent_streams.hpp"
#include "task_scope.hpp"

#include <prun/logging/detail/standard_streams.hpp>
#include <prun/logging/hierarchy.hpp>
#include <prun/pool/errors.hpp>

#include <poll.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <stdio_ext.h>

#include <cerrno>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <optional>
#include <thread>

namespace prun::pool::scope {

namespace {

using isolation::quiet_syscall;
using isolation::SyscallWatch;

constexpr std::size_t kNobody = SIZE_MAX;

// One sequential run at a time per process; the thread that holds it may nest runs. Reset in
// a forked child, where the thread holding it does not exist.
class ProcessRunLock {
 public:
  ProcessRunLock() {
    State& s = state();
    std::unique_lock lock(s.mutex);
    if (s.depth > 0 && s.owner == std::this_thread::get_id()) {
      ++s.depth;
      return;
    }
    s.free.wait(lock, [&] { return s.depth == 0; });
    s.owner = std::this_thread::get_id();
    s.depth = 1;
  }
  ~ProcessRunLock() {
    State& s = state();
    std::lock_guard lock(s.mutex);
    if (--s.depth == 0) s.free.notify_one();
  }
  ProcessRunLock(const ProcessRunLock&) = delete;
  ProcessRunLock& operator=(const ProcessRunLock&) = delete;

 private:
  struct State {
    std::mutex mutex;
    std::condition_variable free;
    std::thread::id owner;
    int depth = 0;
  };
  static State& state() {
    alignas(State) static unsigned char storage[sizeof(State)];
    static State* s = [] {
      ::pthread_atfork(nullptr, nullptr, [] { new (storage) State(); });
      return new (storage) State();  // never destroyed: runs may end during exit
    }();
    return *s;
  }

 public:
  /// Made at load time (see below), never first in a thread another thread's fork() may cut.
  static bool prepare() {
    state();
    return true;
  }
};
[[maybe_unused]] const bool g_run_lock_ready = ProcessRunLock::prepare();

// Reads what a non-blocking descriptor holds, without the SyscallWatch noticing.
void quiet_drain(int fd, std::string& into) {
  char buf[65536];
  for (;;) {
    const long n = quiet_syscall(SYS_read, fd, reinterpret_cast<long>(buf), sizeof buf);
    if (n > 0) {
      into.append(buf, static_cast<std::size_t>(n));
      continue;
    }
    if (n == -EINTR) continue;
    return;
  }
}

// The tasks' descriptors 1 and 2 are pipes for the whole run. A reader thread turns what they
// hold into whole prefixed lines on the real streams as it comes (live); at the end of each
// task, and before any record reaches the real streams, the run drains them itself under the
// same lock, so a task's lines are complete before the next task starts and records and lines
// come out in the order the task wrote them.
class LiveCapture {
 public:
  LiveCapture(const Options& options, const TaskTable& table)
      : out_(sys::Pipe::open()), err_(sys::Pipe::open()), wake_(sys::Pipe::open()) {
    sys::set_nonblocking(out_.read.get());
    sys::set_nonblocking(err_.read.get());
    auto prefix_of = [&options, &table](std::size_t task) {
      return task == kNobody ? std::string() : core::expand_prefix(options.prefix, table.tag(task), task);
    };
    flush_standard_streams();
    for (int s = 0; s < 2; ++s) {
      saved_[s] = sys::Fd(sys::dup_at_least(s + 1, 3));
      const int fd = saved_[s].get();
      routers_[s].emplace([fd](std::string_view b) { isolation::quiet_write_all(fd, b.data(), b.size()); }, prefix_of);
    }
    // Lines as workers print them: whatever the stream's buffering was, line by line now.
    line_buffered_ = __flbf(stdout) != 0;
    if (!line_buffered_) std::setvbuf(stdout, nullptr, _IOLBF, 0);
    reader_ = std::thread([this] { read_loop(); });  // before any SyscallWatch: it is not watched
    // Runs in other threads write to the real streams from now on, before 1 and 2 change.
    set_parent_stream_fds(saved_[0].get(), saved_[1].get());
    ::dup2(out_.write.get(), STDOUT_FILENO);
    ::dup2(err_.write.get(), STDERR_FILENO);
    logging::detail::set_standard_stream_writer(&LiveCapture::write_record, this);
  }

  ~LiveCapture() {
    flush_standard_streams();
    logging::detail::set_standard_stream_writer(nullptr, nullptr);
    ::dup2(saved_[0].get(), STDOUT_FILENO);
    ::dup2(saved_[1].get(), STDERR_FILENO);
    set_parent_stream_fds(-1, -1);
    const char stop = 1;
    sys::write_all(wake_.write.get(), &stop, 1);
    reader_.join();
    std::lock_guard lock(mutex_);
    drain_locked();
    for (auto& r : routers_) r->finish();
    if (!line_buffered_) std::setvbuf(stdout, nullptr, _IOFBF, 0);
  }

  LiveCapture(const LiveCapture&) = delete;
  LiveCapture& operator=(const LiveCapture&) = delete;

  void begin(std::size_t task) {
    std::lock_guard lock(mutex_);
    current_ = task;
  }

  /// Everything `task` printed is out; its partial last line gets a newline.
  void end(std::size_t task) {
    std::lock_guard lock(mutex_);
    drain_locked();
    for (auto& r : routers_) {
      r->end(task);
      r->flush();
    }
    current_ = kNobody;
  }

 private:
  // The logging side: handler output for the real streams, after what the task printed so far.
  static void write_record(void* self, int stream, const char* data, std::size_t size) noexcept {
    auto& c = *static_cast<LiveCapture*>(self);
    flush_standard_streams();
    std::lock_guard lock(c.mutex_);
    c.drain_locked();
    for (auto& r : c.routers_) r->flush();
    isolation::quiet_write_all(c.saved_[stream - 1].get(), data, size);
  }

  void drain_locked() {
    for (int s = 0; s < 2; ++s) {
      bytes_.clear();
      quiet_drain(s == 0 ? out_.read.get() : err_.read.get(), bytes_);
      if (!bytes_.empty()) routers_[s]->text(current_, bytes_);
      routers_[s]->flush();
    }
  }

  void read_loop() {
    pollfd fds[3] = {{out_.read.get(), POLLIN, 0}, {err_.read.get(), POLLIN, 0}, {wake_.read.get(), POLLIN, 0}};
    for (;;) {
      if (::poll(fds, 3, -1) < 0 && errno != EINTR) return;
      if (fds[2].revents) return;
      std::lock_guard lock(mutex_);
      drain_locked();
    }
  }

  sys::Pipe out_, err_, wake_;
  sys::Fd saved_[2];
  std::optional<core::LineRouter> routers_[2];
  std::mutex mutex_;
  std::size_t current_ = kNobody;
  std::string bytes_;
  bool line_buffered_ = true;
  std::thread reader_;
};

// Delivers a task's records to the caller's configuration as it was before the run.
class SnapshotDelivery final : public Delivery {
 public:
  explicit SnapshotDelivery(const logging::HierarchySnapshot& snapshot) : Delivery(true), snapshot_(snapshot) {}

 protected:
  void deliver(const logging::Record& record) override {
    logging::Record copy = record;
    snapshot_.call_handlers(copy);
  }

 private:
  const logging::HierarchySnapshot& snapshot_;
};

}  // namespace

void run_sequential(const Options& options, const TaskTable& table) {
  ProcessRunLock run_lock;
  // The caller's configuration, set aside and reset; runs in other threads route their
  // workers' records to it meanwhile. Restored exactly when the run ends, however.
  SequentialScope scope;
  // The default task level is what the caller's root lets through (joblib drops it).
  const int level = options.log_level.value_or(scope.saved().root_level());

  std::optional<LiveCapture> capture;
  if (options.capture_output) capture.emplace(options, table);
  // What a task may change in the process is put back after it (as in a worker), and a task
  // that made no system call costs no check.
  const bool watched = SyscallWatch::enable(/*unless_traced=*/true);
  isolation::ProcessState baseline;
  baseline.capture();
  struct Unwatch {
    bool on;
    ~Unwatch() {
      SyscallWatch::disarm();
      if (on) SyscallWatch::disable();
    }
  } unwatch{watched};

  auto delivery = std::make_shared<SnapshotDelivery>(scope.saved());
  TaskRunner runner(options, table, delivery, level, 0);
  std::string result;
  for (std::size_t i = 0; i < table.size; ++i) {
    result.clear();
    if (capture) capture->begin(i);
    SyscallWatch::arm();
    Outcome outcome = runner.run(i, result);
    SyscallWatch::disarm();
    if (SyscallWatch::noticed()) baseline.restore();
    if (capture) capture->end(i);
    if (!outcome.ok)
      throw TaskError(i, table.tag(i), ::getpid(), std::string(logging::process_name()), outcome.type,
                      outcome.message, delivery->tail().lines());
    table.store(i, result);
  }
}

}  // namespace prun::pool::scope
