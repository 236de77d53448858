// The fork backend for one run: forks the workers (they inherit the task table), lets the
// driver run the tasks, then makes sure every worker is gone.
#include "backends.hpp"
#include "channels.hpp"
#include "driver.hpp"
#include "worker.hpp"

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
    w.block = SharedBlock::create();
    Channels ch = Channels::open(options_.capture_output);
    WorkerSetup setup;
    ch.hand_out(slot, *w.block, w.link, setup);
    for (std::size_t k = 0; k < static_cast<std::size_t>(slot); ++k) {  // the other workers' ends
      const WorkerLink& o = workers_[k].link;
      for (int fd : {o.pidfd, o.ctrl, o.doorbell, o.out, o.err, workers_[k].block->fd()})
        if (fd >= 0) setup.close_fds.push_back(fd);
    }
    setup.close_fds.insert(setup.close_fds.end(), {ch.ctrl[0], ch.bell[0], w.block->fd()});
    setup.options = &options_;
    setup.table = &table_;
    setup.level = level_;

    pid_t pid = ::fork();
    if (pid == 0) worker_main(setup);  // never returns
    const int fork_errno = errno;
    ch.close_worker_ends();
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
