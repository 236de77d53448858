#include "worker.hpp"

#include "task_scope.hpp"
#include "wire.hpp"

#include <sys/prctl.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>

namespace prun::pool::detail {

namespace {

// Publishes each record to the parent at once, into the shared ring: records written just
// before a crash still arrive. A full ring blocks the task, which is the back-pressure we want.
class RingDelivery final : public Delivery {
 public:
  RingDelivery(Ring& ring, int doorbell) : Delivery(false), ring_(ring), doorbell_(doorbell) {}

 protected:
  void deliver(const logging::Record& record) override {
    frame_.clear();
    Writer w(frame_);
    std::size_t start = w.begin_frame(Frame::record);
    w.pod(static_cast<std::uint64_t>(record.task_index));
    encode_record(w, record);
    w.end_frame(start);
    if (!ring_.publish(frame_, doorbell_)) ::_exit(70);  // the parent is gone
  }

 private:
  Ring& ring_;
  int doorbell_;
  std::string frame_;
};

bool read_exact(int fd, void* buf, std::size_t size) {
  auto* p = static_cast<char*>(buf);
  while (size > 0) {
    ssize_t n = ::read(fd, p, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    p += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

[[noreturn]] void leave(int status) {
  flush_standard_streams();
  ::_exit(status);
}

}  // namespace

void worker_main(const WorkerSetup& s) noexcept {
  // Die with the parent; if it is already gone, the signal will never come.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != s.parent_pid) ::_exit(1);
  for (int fd : s.close_fds) ::close(fd);
  if (s.out_fd >= 0) {
    ::dup2(s.out_fd, STDOUT_FILENO);
    ::dup2(s.err_fd, STDERR_FILENO);
    ::close(s.out_fd);
    ::close(s.err_fd);
    // Line-buffered: printed lines reach the parent even if the task crashes afterwards.
    std::setvbuf(stdout, nullptr, _IOLBF, BUFSIZ);
  }
  try {
    logging::set_process_name("Worker-" + std::to_string(s.slot + 1));
    // Handlers inherited from the parent never write from here.
    logging::detach_all_handlers();
    auto delivery = std::make_shared<RingDelivery>(*s.ring, s.data_fd);
    TaskRunner runner(*s.options, *s.table, delivery, s.level, s.slot + 1);
    SlotState& slot = s.control->slots[s.slot];
    std::string out;
    Writer w(out);
    for (;;) {
      Command cmd;
      if (!read_exact(s.ctrl_fd, &cmd, sizeof cmd) || cmd.begin == cmd.end) break;
      for (std::uint64_t i = cmd.begin; i < cmd.end; ++i) {
        const auto index = static_cast<std::int64_t>(i);
        slot.current.store(index);
        slot.running.store(1);
        // Checked after publishing `current`, so the parent sees either the stop or the task.
        if (index >= s.control->stop_before.load()) {
          slot.running.store(0);
          break;
        }
        if (s.out_fd >= 0) {
          auto marker = s.marker->for_task(i);
          write_all(STDOUT_FILENO, marker.data(), marker.size());
          write_all(STDERR_FILENO, marker.data(), marker.size());
        }
        std::size_t start = w.begin_frame(Frame::result);
        w.pod(i);
        Outcome outcome = runner.run(i, out);
        slot.running.store(0);
        if (outcome.ok) {
          w.end_frame(start);
        } else {
          out.resize(start);
          std::size_t e = w.begin_frame(Frame::error);
          w.pod(i);
          w.str(outcome.type);
          w.str(outcome.message);
          w.end_frame(e);
          break;
        }
        if (out.size() >= 64 * 1024) {
          if (!s.ring->publish(out, s.data_fd)) leave(70);
          out.clear();
        }
      }
      w.end_frame(w.begin_frame(Frame::batch_done));
      if (!s.ring->publish(out, s.data_fd)) leave(70);
      out.clear();
    }
  } catch (...) {
    // Something outside any task failed (out of memory, say): tell the parent, then leave.
    std::string out;
    Writer w(out);
    std::size_t start = w.begin_frame(Frame::fatal);
    Outcome o = describe_current_exception();
    w.str(o.type + ": " + o.message);
    w.end_frame(start);
    s.ring->publish(out, s.data_fd);
    leave(71);
  }
  leave(0);
}

}  // namespace prun::pool::detail
