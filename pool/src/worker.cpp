#include "worker.hpp"

#include "task_scope.hpp"
#include "wire.hpp"

#include <poll.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <mutex>

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

// Reads everything `fd` holds now (it is non-blocking: the parent's end set O_NONBLOCK on the
// shared open file description).
void drain_fd(int fd, std::string& into) {
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n > 0) {
      into.append(buf, static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    return;
  }
}

// At the end of task `i`: takes whatever the task printed that the parent has not read yet and
// tells the parent the task's output is complete (only if the task printed anything at all).
void end_output(const WorkerSetup& s, SlotState& slot, std::uint64_t i, std::uint64_t reads_at_start,
                std::string& scratch) {
  std::string drained[2];
  bool printed;
  {
    std::lock_guard lock(slot.output_lock);
    pollfd fds[2] = {{s.out_read_fd, POLLIN, 0}, {s.err_read_fd, POLLIN, 0}};
    if (::poll(fds, 2, 0) > 0)
      for (int k = 0; k < 2; ++k)
        if (fds[k].revents & POLLIN) drain_fd(fds[k].fd, drained[k]);
    printed = !drained[0].empty() || !drained[1].empty() || slot.parent_reads.load() != reads_at_start;
  }
  if (!printed) return;
  // Published after the lock is released: a full ring must never hold up the parent's reads.
  scratch.clear();
  Writer w(scratch);
  for (std::uint8_t stream = 1; stream <= 2; ++stream) {
    std::size_t start = w.begin_frame(Frame::output);
    w.pod(stream);
    w.pod(i);
    scratch.append(drained[stream - 1]);
    w.end_frame(start);
  }
  if (!s.ring->publish(scratch, s.data_fd)) ::_exit(70);
}

[[noreturn]] void leave(int status) {
  flush_standard_streams();
  ::_exit(status);
}

}  // namespace

SharedMutex::SharedMutex() {
  pthread_mutexattr_t attr;
  pthread_mutexattr_init(&attr);
  pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
  pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
  pthread_mutex_init(&m_, &attr);
  pthread_mutexattr_destroy(&attr);
}

SharedMutex::~SharedMutex() { pthread_mutex_destroy(&m_); }

void SharedMutex::lock() noexcept {
  // A worker that died holding it left nothing half-done that matters: take it over.
  if (pthread_mutex_lock(&m_) == EOWNERDEAD) pthread_mutex_consistent(&m_);
}

void SharedMutex::unlock() noexcept { pthread_mutex_unlock(&m_); }

void worker_main(const WorkerSetup& s) noexcept {
  // Die with the parent; if it is already gone, the signal will never come.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != s.parent_pid) ::_exit(1);
  for (int fd : s.close_fds) ::close(fd);
  const bool capture = s.out_fd >= 0;
  if (capture) {
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
    std::string out, output_frames;
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
        std::uint64_t reads_at_start = 0;
        if (capture) {
          std::lock_guard lock(slot.output_lock);
          slot.output_task.store(index);
          reads_at_start = slot.parent_reads.load();
        }
        std::size_t start = w.begin_frame(Frame::result);
        w.pod(i);
        Outcome outcome = runner.run(i, out);  // flushes stdio at the end
        if (capture) end_output(s, slot, i, reads_at_start, output_frames);
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
