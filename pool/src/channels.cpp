#include "channels.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

namespace prun::pool::detail {

Channels Channels::open(bool capture_output) {
  Channels c;
  auto fail = [&c](const char* what) {
    const int e = errno;
    for (int* pair : {c.ctrl, c.bell, c.out, c.err})
      for (int k = 0; k < 2; ++k)
        if (pair[k] >= 0) ::close(pair[k]);
    throw std::system_error(e, std::generic_category(), std::string("prun: ") + what);
  };
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, c.ctrl) != 0) fail("socketpair");
  if (::pipe2(c.bell, O_CLOEXEC) != 0) fail("pipe2");
  if (capture_output) {
    if (::pipe2(c.out, O_CLOEXEC) != 0 || ::pipe2(c.err, O_CLOEXEC) != 0) fail("pipe2");
    for (int fd : {c.out[0], c.err[0]}) ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  }
  return c;
}

void Channels::hand_out(int slot, SharedBlock& block, WorkerLink& link, WorkerSetup& setup) const {
  link.slot = slot;
  link.block = &block;
  link.ctrl = ctrl[0];
  link.doorbell = bell[0];
  link.out = out[0];
  link.err = err[0];
  setup.slot = slot;
  setup.parent_pid = ::getpid();
  setup.block = &block;
  setup.ctrl_fd = ctrl[1];
  setup.data_fd = bell[1];
  setup.out_fd = out[1];
  setup.err_fd = err[1];
  setup.out_read_fd = out[0];
  setup.err_read_fd = err[0];
}

void Channels::close_worker_ends() {
  for (int* fd : {&ctrl[1], &bell[1], &out[1], &err[1]})
    if (*fd >= 0) {
      ::close(*fd);
      *fd = -1;
    }
}

}  // namespace prun::pool::detail
