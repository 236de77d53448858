// The fork backend for one run: forks the workers (they inherit the task table), lets the
// driver run the tasks, then makes sure every worker is gone.
#include "backends.hpp"
#include "driver.hpp"
#include "worker.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <system_error>

namespace prun::pool::detail {

namespace {

[[noreturn]] void throw_errno(const char* what) {
  throw std::system_error(errno, std::generic_category(), std::string("prun: ") + what);
}

struct OwnedWorker {
  WorkerLink link;
  std::unique_ptr<SharedBlock> block;
};

class ForkRun {
 public:
  ForkRun(const Options& options, const TaskTable& table, int level, int n_workers)
      : options_(options), table_(table), level_(level), workers_(static_cast<std::size_t>(n_workers)) {}

  ~ForkRun() {
    // Whatever happened, no worker outlives the run: kill the survivors, then reap them.
    for (OwnedWorker& w : workers_)
      if (w.link.pid > 0 && !w.link.reaped) ::kill(w.link.pid, SIGKILL);
    for (OwnedWorker& w : workers_) {
      if (w.link.pid > 0 && !w.link.reaped) ::waitpid(w.link.pid, nullptr, 0);
      for (int fd : {w.link.pidfd, w.link.ctrl, w.link.doorbell, w.link.out, w.link.err})
        if (fd >= 0) ::close(fd);
    }
  }

  void run() {
    flush_standard_streams();  // nothing buffered may be written twice by the children
    // Workers are forked before the event loop exists, so none inherits its descriptors.
    std::vector<WorkerLink*> links;
    for (std::size_t slot = 0; slot < workers_.size(); ++slot) links.push_back(&fork_worker(static_cast<int>(slot)));
    DriverConfig config;
    config.dispatch = Dispatch::inherited;
    drive(options_, table_, level_, links, config);
  }

 private:
  WorkerLink& fork_worker(int slot) {
    OwnedWorker& w = workers_[static_cast<std::size_t>(slot)];
    w.link.slot = slot;
    w.block = SharedBlock::create();
    w.link.block = w.block.get();
    int ctrl[2], doorbell[2], out[2] = {-1, -1}, err[2] = {-1, -1};
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ctrl) != 0) throw_errno("socketpair");
    w.link.ctrl = ctrl[0];
    if (::pipe2(doorbell, O_CLOEXEC) != 0) throw_errno("pipe2");
    w.link.doorbell = doorbell[0];
    if (options_.capture_output) {
      if (::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0) throw_errno("pipe2");
      // Non-blocking reads for the parent and for the worker's own drain (one open file
      // description, shared by both); the worker's writes stay blocking.
      for (int fd : {out[0], err[0]}) ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
      w.link.out = out[0];
      w.link.err = err[0];
    }
    WorkerSetup setup;
    setup.slot = slot;
    setup.parent_pid = ::getpid();
    setup.ctrl_fd = ctrl[1];
    setup.data_fd = doorbell[1];
    setup.block = w.block.get();
    setup.out_fd = out[1];
    setup.err_fd = err[1];
    setup.out_read_fd = out[0];
    setup.err_read_fd = err[0];
    for (std::size_t k = 0; k < static_cast<std::size_t>(slot); ++k) {  // the other workers' ends
      const WorkerLink& o = workers_[k].link;
      for (int fd : {o.pidfd, o.ctrl, o.doorbell, o.out, o.err, workers_[k].block->fd()})
        if (fd >= 0) setup.close_fds.push_back(fd);
    }
    setup.close_fds.insert(setup.close_fds.end(), {ctrl[0], doorbell[0], w.block->fd()});
    setup.options = &options_;
    setup.table = &table_;
    setup.level = level_;

    pid_t pid = ::fork();
    if (pid == 0) worker_main(setup);  // never returns
    const int fork_errno = errno;
    for (int fd : {ctrl[1], doorbell[1], out[1], err[1]})
      if (fd >= 0) ::close(fd);
    if (pid < 0) {
      errno = fork_errno;
      throw_errno("fork");
    }
    w.link.pid = pid;
    w.link.pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
    if (w.link.pidfd < 0) throw_errno("pidfd_open");
    return w.link;
  }

  const Options& options_;
  const TaskTable& table_;
  int level_;
  std::vector<OwnedWorker> workers_;
};

}  // namespace

void run_fork(const Options& options, const TaskTable& table, int level, int n_workers) {
  ForkRun run(options, table, level, n_workers);
  run.run();
}

}  // namespace prun::pool::detail
