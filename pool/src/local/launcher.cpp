#include "launcher.hpp"

#include "../scope/parent_streams.hpp"
#include "../scope/task_scope.hpp"
#include "../sys/sys.hpp"

#include <prun/pool/errors.hpp>

#include <fcntl.h>
#include <spawn.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <system_error>

extern char** environ;

namespace prun::pool::local {

namespace {

// The descriptors between the parent and one worker, all close-on-exec. The read ends of the
// output pipes are non-blocking: one open file description, read by the parent and by the
// worker's own drain; the write ends stay blocking.
struct Channels {
  sys::Fd ctrl[2];  // [0] parent, [1] worker
  sys::Pipe bell;   // read: parent, write: worker
  std::optional<sys::Pipe> out, err;

  static Channels open(bool pipe_output) {
    Channels c;
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) sys::throw_errno("socketpair");
    c.ctrl[0].reset(sv[0]);
    c.ctrl[1].reset(sv[1]);
    c.bell = sys::Pipe::open();
    if (pipe_output) {
      c.out = sys::Pipe::open();
      c.err = sys::Pipe::open();
      sys::set_nonblocking(c.out->read.get());
      sys::set_nonblocking(c.err->read.get());
    }
    return c;
  }

  // The parent's ends, once the worker runs. If even its pidfd cannot be had (no descriptor
  // left), the worker is killed and reaped: a failed start leaves no process behind.
  LocalWorker parent_side(int slot, pid_t pid, std::unique_ptr<SharedBlock> block) {
    int pidfd;
    try {
      pidfd = sys::pidfd_open(pid);
    } catch (...) {
      ::kill(pid, SIGKILL);
      sys::reap(pid);
      throw;
    }
    LocalWorker w;
    w.pidfd.reset(pidfd);
    w.slot = slot;
    w.pid = pid;
    w.ctrl = std::move(ctrl[0]);
    w.doorbell = std::move(bell.read);
    if (out) {
      w.out = std::move(out->read);
      w.err = std::move(err->read);
    }
    w.block = std::move(block);
    return w;
  }
};

// A system error while starting a worker, as a WorkerStartError that names the cause (and the
// descriptor limit when that is the cause).
template <typename F>
auto starting(const std::string& program, F&& f) {
  try {
    return f();
  } catch (const std::system_error& e) {
    std::string_view what = e.what();
    if (what.starts_with("prun: ")) what.remove_prefix(6);
    throw WorkerStartError(program, std::string(what));
  }
}

}  // namespace

// ---- fork -----------------------------------------------------------------------------------

LocalWorker ForkLauncher::launch(int slot, bool pipe_output, std::span<const int> others) {
  return starting(program(), [&] {
    std::unique_ptr<SharedBlock> block = SharedBlock::create();
    Channels ch = Channels::open(pipe_output);
    scope::flush_standard_streams();  // nothing buffered may be written twice
    const int parent_ends[] = {ch.ctrl[0].get(), ch.bell.read.get(), block->fd()};
    const pid_t pid = ::fork();
    if (pid < 0) sys::throw_errno("fork");
    if (pid == 0) {
      // The child: its captured streams become 1 and 2, and it keeps nothing of the parent's
      // but its own ends (not another worker's pipes, not an event loop's descriptors).
      WorkerIo io;
      io.slot = slot;
      io.parent_pid = ::getppid();
      io.block = block.get();
      int ctrl = ch.ctrl[1].get(), doorbell = ch.bell.write.get();
      int out_w = -1, err_w = -1;
      if (ch.out) {
        out_w = ch.out->write.get();
        err_w = ch.err->write.get();
        io.out_read = ch.out->read.get();
        io.err_read = ch.err->read.get();
        // Out of the way of 1 and 2 first, whatever numbers they had.
        if (err_w <= 2) err_w = ::fcntl(err_w, F_DUPFD, 3);
        if (out_w <= 2) out_w = ::fcntl(out_w, F_DUPFD, 3);
        ::dup2(out_w, STDOUT_FILENO);
        ::dup2(err_w, STDERR_FILENO);
      } else {
        // Not captured: the parent's real streams, even while a sequential run in another of
        // its threads has taken 1 and 2 over.
        for (int s : {1, 2})
          if (int real = scope::parent_stream_fd(s); real != s) ::dup2(real, s);
      }
      io.ctrl = ctrl;
      io.doorbell = doorbell;
      const int own[] = {0, 1, 2, ctrl, doorbell, io.out_read, io.err_read};
      if (keep_callers_ && !callers_.empty()) {
        // The caller's descriptors as the run found them stay; whatever prun opened goes.
        sys::close_all_except(callers_, own);
      } else if (keep_callers_) {
        // (/proc unreadable.) Its own channels' other ends, and every other worker's, go.
        for (int fd : parent_ends) ::close(fd);
        for (int fd : others) ::close(fd);
        if (ch.out) {
          for (int fd : {ch.out->write.get(), ch.err->write.get(), out_w, err_w})
            if (fd > 2) ::close(fd);
        }
      } else {
        sys::close_all_except(own);
      }
      serve(io, role_);  // never returns
    }
    ::setpgid(pid, pid);  // also done by the child; whichever comes first
    return ch.parent_side(slot, pid, std::move(block));
  });
}

// ---- spawn ----------------------------------------------------------------------------------

SpawnLauncher::SpawnLauncher(std::string program, std::string build_id)
    : program_(std::move(program)), build_id_(std::move(build_id)) {}

LocalWorker SpawnLauncher::launch(int slot, bool pipe_output, std::span<const int>) {
  // Checked here so that the error names the cause plainly.
  if (::access(program_.c_str(), X_OK) != 0)
    throw WorkerStartError(program_, std::string("cannot execute it: ") + std::strerror(errno));
  return starting(program_, [&] {
    std::unique_ptr<SharedBlock> block = SharedBlock::create();
    Channels ch = Channels::open(true);  // a spawned worker's output always comes through the parent
    (void)pipe_output;
    // Every source above the targets (1-7), so that placing one never overwrites another; the
    // copies are close-on-exec, and the child closes everything from 8 up.
    std::vector<sys::Fd> moved;
    auto above = [&](int fd) {
      if (fd >= spawned_fd::first_free) return fd;
      moved.emplace_back(sys::dup_at_least(fd, spawned_fd::first_free));
      return moved.back().get();
    };
    const std::pair<int, int> map[] = {
        {above(ch.ctrl[1].get()), spawned_fd::ctrl},    {above(ch.bell.write.get()), spawned_fd::doorbell},
        {above(block->fd()), spawned_fd::block},        {above(ch.out->read.get()), spawned_fd::out_read},
        {above(ch.err->read.get()), spawned_fd::err_read}, {above(ch.out->write.get()), STDOUT_FILENO},
        {above(ch.err->write.get()), STDERR_FILENO},
    };
    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attr;
    ::posix_spawn_file_actions_init(&actions);
    ::posix_spawnattr_init(&attr);
    struct Cleanup {
      posix_spawn_file_actions_t& a;
      posix_spawnattr_t& t;
      ~Cleanup() {
        ::posix_spawn_file_actions_destroy(&a);
        ::posix_spawnattr_destroy(&t);
      }
    } cleanup{actions, attr};
    for (auto [source, target] : map) ::posix_spawn_file_actions_adddup2(&actions, source, target);
    // Descriptors the host program left without O_CLOEXEC must not leak into the worker.
    ::posix_spawn_file_actions_addclosefrom_np(&actions, spawned_fd::first_free);
    // Its own process group, an empty signal mask, every signal at its default.
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    ::posix_spawnattr_setsigmask(&attr, &none);
    ::posix_spawnattr_setsigdefault(&attr, &all);
    ::posix_spawnattr_setpgroup(&attr, 0);
    ::posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

    const std::string args[] = {program_, kWorkerFlag, std::to_string(slot), std::to_string(::getpid()), build_id_};
    char* argv[] = {const_cast<char*>(args[0].c_str()), const_cast<char*>(args[1].c_str()),
                    const_cast<char*>(args[2].c_str()), const_cast<char*>(args[3].c_str()),
                    const_cast<char*>(args[4].c_str()), nullptr};
    pid_t pid = -1;
    scope::flush_standard_streams();
    if (int err = ::posix_spawn(&pid, program_.c_str(), &actions, &attr, argv, environ); err != 0) {
      std::string why = std::strerror(err);
      if (std::string limit = sys::explain_fd_error(err); !limit.empty()) why += " (" + limit + ")";
      throw WorkerStartError(program_, "cannot start it: " + why);
    }
    block->close_fd();  // the worker has its copy; the mapping stays
    return ch.parent_side(slot, pid, std::move(block));
  });
}

bool spawned_worker_from(int argc, char** argv, WorkerIo& io, WorkerRole& role) {
  if (argc < 5 || std::strcmp(argv[1], kWorkerFlag) != 0) return false;
  io.slot = std::atoi(argv[2]);
  io.parent_pid = std::atoi(argv[3]);
  role.build_id = argv[4];
  io.ctrl = spawned_fd::ctrl;
  io.doorbell = spawned_fd::doorbell;
  static std::unique_ptr<SharedBlock> block = SharedBlock::attach(spawned_fd::block);
  io.block = block.get();
  io.out_read = spawned_fd::out_read;
  io.err_read = spawned_fd::err_read;
  return true;
}

}  // namespace prun::pool::local
