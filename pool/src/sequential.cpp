// n_jobs=1: the tasks run in the calling process, through the same logging scope as workers.
#include "backends.hpp"
#include "output.hpp"
#include "task_scope.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <system_error>

namespace prun::pool::detail {

namespace {

// Points descriptors 1 and 2 at memory files while a task runs, so that its output can be
// split into prefixed lines afterwards exactly as a worker's would be.
class StdCapture {
 public:
  StdCapture() {
    for (int s = 0; s < 2; ++s) {
      mem_[s] = ::memfd_create(s == 0 ? "prun-stdout" : "prun-stderr", MFD_CLOEXEC);
      saved_[s] = ::fcntl(s + 1, F_DUPFD_CLOEXEC, 3);
      if (mem_[s] < 0 || saved_[s] < 0) throw std::system_error(errno, std::generic_category(), "prun: capture output");
    }
  }
  ~StdCapture() {
    suspend();
    for (int s = 0; s < 2; ++s) {
      ::close(mem_[s]);
      ::close(saved_[s]);
    }
  }
  StdCapture(const StdCapture&) = delete;
  StdCapture& operator=(const StdCapture&) = delete;

  /// From now on the task's writes to 1 and 2 land in the memory files.
  void resume() {
    if (active_) return;
    flush_standard_streams();
    for (int s = 0; s < 2; ++s) ::dup2(mem_[s], s + 1);
    active_ = true;
  }
  /// 1 and 2 are the caller's own again.
  void suspend() {
    if (!active_) return;
    flush_standard_streams();
    for (int s = 0; s < 2; ++s) ::dup2(saved_[s], s + 1);
    active_ = false;
  }
  bool active() const noexcept { return active_; }
  int saved(int stream) const noexcept { return saved_[stream]; }

  /// Takes what the task wrote to stream 0 (stdout) or 1 (stderr), and empties the file.
  std::string take(int stream) {
    std::string text;
    const int fd = mem_[stream];
    off_t size = ::lseek(fd, 0, SEEK_END);
    if (size > 0) {
      text.resize(static_cast<std::size_t>(size));
      ssize_t n = ::pread(fd, text.data(), text.size(), 0);
      text.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
    }
    (void)!::ftruncate(fd, 0);
    ::lseek(fd, 0, SEEK_SET);
    return text;
  }

 private:
  int mem_[2] = {-1, -1};
  int saved_[2] = {-1, -1};
  bool active_ = false;
};

// Delivers a task's records to the caller's configuration as it was before the run.
class SnapshotDelivery final : public Delivery {
 public:
  SnapshotDelivery(const logging::HierarchySnapshot& snapshot, StdCapture* capture)
      : Delivery(true), snapshot_(snapshot), capture_(capture) {}

 protected:
  void deliver(const logging::Record& record) override {
    logging::Record copy = record;
    // The caller's handlers write to the caller's descriptors, never into the task's capture.
    const bool was_active = capture_ && capture_->active();
    if (was_active) capture_->suspend();
    snapshot_.call_handlers(copy);
    if (was_active) capture_->resume();
  }

 private:
  const logging::HierarchySnapshot& snapshot_;
  StdCapture* capture_;
};

}  // namespace

void run_sequential(const Options& options, const TaskTable& table, int level) {
  const logging::HierarchySnapshot snapshot = logging::HierarchySnapshot::capture_and_reset();
  struct Restore {
    const logging::HierarchySnapshot& s;
    ~Restore() { s.restore(); }
  } restore{snapshot};

  std::optional<StdCapture> capture;
  if (options.capture_output) capture.emplace();
  auto delivery = std::make_shared<SnapshotDelivery>(snapshot, capture ? &*capture : nullptr);
  TaskRunner runner(options, table, delivery, level, 0);
  auto prefix_of = [&](std::size_t i) { return expand_prefix(options.prefix, table.tag(i), i); };
  std::optional<LineRouter> out, err;
  if (capture) {
    out.emplace(capture->saved(0), prefix_of);
    err.emplace(capture->saved(1), prefix_of);
  }

  std::string result;
  for (std::size_t i = 0; i < table.size; ++i) {
    result.clear();
    if (capture) capture->resume();
    Outcome outcome = runner.run(i, result);
    if (capture) {
      capture->suspend();
      LineRouter* routers[2] = {&*out, &*err};
      for (int s = 0; s < 2; ++s) {
        routers[s]->text(i, capture->take(s));
        routers[s]->end(i);
        routers[s]->flush();
      }
    }
    if (!outcome.ok)
      throw TaskError(i, table.tag(i), ::getpid(), std::string(logging::process_name()), outcome.type,
                      outcome.message, delivery->tail().lines());
    table.store(i, result);
  }
}

}  // namespace prun::pool::detail
