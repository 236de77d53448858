#include "live_capture.hpp"

#include "../core/prefix.hpp"
#include "../isolation/syscall_watch.hpp"
#include "parent_streams.hpp"
#include "signals.hpp"
#include "task_scope.hpp"


#include <poll.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <stdio_ext.h>

#include <cerrno>
#include <cstdio>

namespace prun::pool::scope {

namespace {

constexpr std::size_t kNobody = SIZE_MAX;

// Reads what a non-blocking descriptor holds, up to about `limit` bytes (a task printing flat
// out never empties its pipe), without the SyscallWatch noticing.
void quiet_drain(int fd, std::string& into, std::size_t limit) {
  char buf[65536];
  while (into.size() < limit) {
    const long n = isolation::quiet_syscall(SYS_read, fd, reinterpret_cast<long>(buf), sizeof buf);
    if (n > 0) {
      into.append(buf, static_cast<std::size_t>(n));
      continue;
    }
    if (n == -EINTR) continue;
    return;
  }
}

// The task's own thread may write (a record logged by the task): no system call the watch sees.
bool quiet_write(int fd, const void* data, std::size_t size) noexcept {
  return isolation::quiet_write_all(fd, data, size);
}

}  // namespace

LiveCapture::LiveCapture(const Options& options, const TaskTable& table)
    : out_(sys::Pipe::open()), err_(sys::Pipe::open()), wake_(sys::Pipe::open()),
      signal_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)), current_(kNobody) {
  if (!signal_) sys::throw_errno("eventfd");
  sys::set_nonblocking(out_.read.get());
  sys::set_nonblocking(err_.read.get());
  auto prefix_of = [&options, &table](std::size_t task) {
    return task == kNobody ? std::string() : core::expand_prefix(options.prefix, table.tag(task), task);
  };
  flush_standard_streams();
  for (int s = 0; s < 2; ++s) {
    saved_[s] = sys::Fd(sys::dup_at_least(s + 1, 3));
    const int fd = saved_[s].get();
    routers_[s].emplace([fd](std::string_view b) { write_gated(fd, b, &quiet_write); }, prefix_of);
  }
  line_buffered_ = __flbf(stdout) != 0;
  reader_ = std::thread([this] { read_loop(); });  // before any SyscallWatch: it is not watched
  resume();
}

LiveCapture::~LiveCapture() {
  suspend();
  const char stop = 1;
  sys::write_all(wake_.write.get(), &stop, 1);
  reader_.join();
  std::lock_guard lock(mutex_);
  drain_locked();
  for (auto& r : routers_) r->finish();
}

void LiveCapture::resume() {
  if (active_) return;
  flush_standard_streams();
  // Lines as workers print them: whatever the stream's buffering was, line by line now.
  if (!line_buffered_) set_stdout_line_buffered(true);
  // Runs in other threads write to the real streams from now on, before 1 and 2 change.
  set_parent_stream_fds(saved_[0].get(), saved_[1].get());
  ::dup2(out_.write.get(), STDOUT_FILENO);
  ::dup2(err_.write.get(), STDERR_FILENO);
  set_capture_writer(&LiveCapture::write_record, this);
  active_ = true;
}

void LiveCapture::suspend() {
  if (!active_) return;
  flush_standard_streams();
  set_capture_writer(nullptr, nullptr);
  ::dup2(saved_[0].get(), STDOUT_FILENO);
  ::dup2(saved_[1].get(), STDERR_FILENO);
  set_parent_stream_fds(-1, -1);
  if (!line_buffered_) set_stdout_line_buffered(false);
  sync();
  active_ = false;
}

void LiveCapture::begin(std::size_t task) {
  std::lock_guard lock(mutex_);
  current_ = task;
}

void LiveCapture::end(std::size_t task, bool made_system_calls) {
  std::lock_guard lock(mutex_);
  // A task that made no system call wrote nothing into the pipes: no read to wait for them.
  if (made_system_calls) drain_locked();
  for (auto& r : routers_) {
    r->end(task);
    r->flush();
  }
  current_ = kNobody;
}

void LiveCapture::sync() {
  std::lock_guard lock(mutex_);
  drain_locked();
}

// The logging side: handler output for the real streams, after what the task printed so far.
void LiveCapture::write_record(void* self, int stream, const char* data, std::size_t size) noexcept {
  auto& c = *static_cast<LiveCapture*>(self);
  flush_standard_streams();
  std::lock_guard lock(c.mutex_);
  c.drain_locked();
  write_gated(c.saved_[stream - 1].get(), std::string_view(data, size), &quiet_write);
}

void LiveCapture::drain_locked() {
  for (int s = 0; s < 2; ++s) {
    bytes_.clear();
    quiet_drain(s == 0 ? out_.read.get() : err_.read.get(), bytes_, std::size_t{1} << 20);
    if (!bytes_.empty()) routers_[s]->text(current_, bytes_);
    routers_[s]->flush();
  }
}

void LiveCapture::read_loop() {
  pollfd fds[4] = {{out_.read.get(), POLLIN, 0}, {err_.read.get(), POLLIN, 0}, {wake_.read.get(), POLLIN, 0},
                   {signal_.get(), POLLIN, 0}};
  for (;;) {
    if (::poll(fds, 4, -1) < 0 && errno != EINTR) return;
    if (fds[2].revents) return;
    {
      std::lock_guard lock(mutex_);
      drain_locked();
      // SIGINT or SIGTERM during a task, which nothing can stop here: everything printed so
      // far goes out, whole, and the signal ends the program as it would have.
      if (fds[3].revents)
        for (auto& r : routers_) r->finish();
    }
    if (fds[3].revents) SignalScope::raise_default(SignalScope::pending());  // unlocked: it flushes handlers
  }
}

}  // namespace prun::pool::scope
