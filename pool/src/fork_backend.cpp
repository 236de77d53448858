// The fork backend's parent: forks the workers, feeds them batches of task indices, and reads
// every worker's pipes with one Asio event loop, so that no worker waits on another.
#include "backends.hpp"
#include "output.hpp"
#include "task_scope.hpp"
#include "wire.hpp"
#include "worker.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstring>
#include <deque>
#include <list>
#include <optional>
#include <system_error>

namespace prun::pool::detail {

namespace asio = boost::asio;

namespace {

[[noreturn]] void throw_errno(const char* what) {
  throw std::system_error(errno, std::generic_category(), std::string("prun: ") + what);
}

struct Pipe {
  int read = -1, write = -1;
  static Pipe make(int size = 0) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) throw_errno("pipe2");
    if (size > 0) (void)::fcntl(fds[1], F_SETPIPE_SZ, size);  // best effort
    return {fds[0], fds[1]};
  }
};

class SharedControl {
 public:
  explicit SharedControl(int n_workers) : bytes_(RunControl::bytes_for(n_workers)) {
    void* p = ::mmap(nullptr, bytes_, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw_errno("mmap");
    control_ = new (p) RunControl;
    for (int i = 1; i < n_workers; ++i) new (&control_->slots[i]) SlotState;
  }
  ~SharedControl() { ::munmap(control_, bytes_); }
  SharedControl(const SharedControl&) = delete;
  SharedControl& operator=(const SharedControl&) = delete;
  RunControl* operator->() const noexcept { return control_; }
  RunControl* get() const noexcept { return control_; }

 private:
  std::size_t bytes_;
  RunControl* control_;
};

class ForkRun {
 public:
  ForkRun(const Options& options, const TaskTable& table, int level, int n_workers)
      : options_(options), table_(table), level_(level), control_(n_workers),
        done_(table.size, 0) {
    control_->stop_before.store(static_cast<std::int64_t>(table.size));
    workers_.resize(static_cast<std::size_t>(n_workers));
  }

  ~ForkRun() {
    // Whatever happened, no worker outlives the run: kill the survivors, then reap them.
    for (Worker& w : workers_)
      if (w.pid > 0 && !w.reaped) ::kill(w.pid, SIGKILL);
    for (Worker& w : workers_) {
      if (w.pid > 0 && !w.reaped) ::waitpid(w.pid, nullptr, 0);
      if (w.ctrl >= 0) ::close(w.ctrl);
    }
  }

  void run() {
    flush_standard_streams();  // nothing buffered may be written twice by the children
    // Workers are forked before the event loop exists, so none inherits its descriptors.
    std::vector<Pipes> pipes;
    for (std::size_t slot = 0; slot < workers_.size(); ++slot) pipes.push_back(fork_worker(static_cast<int>(slot)));
    ctx_.emplace(1);
    for (std::size_t slot = 0; slot < workers_.size(); ++slot) watch_worker(workers_[slot], pipes[slot]);
    // One batch each first, then a second one queued behind it when there is plenty of work,
    // so that a worker never waits for the parent between batches.
    for (Worker& w : workers_) dispatch(w);
    if (table_.size - next_ >= 2 * workers_.size())
      for (Worker& w : workers_) dispatch(w);
    for (Worker& w : workers_)
      if (w.outstanding == 0) stop(w);
    ctx_->run();
    if (error_) std::rethrow_exception(error_);
    for (std::size_t i = 0; i < done_.size(); ++i)
      if (!done_[i]) throw std::logic_error("prun: task " + std::to_string(i) + " never reported a result");
  }

 private:
  struct Stream {
    explicit Stream(asio::io_context& ctx) : fd(ctx) {}
    asio::posix::stream_descriptor fd;
    std::optional<LineRouter> router;
    bool open = false;
  };
  struct Worker {
    int slot = 0;
    pid_t pid = -1;
    bool reaped = false;
    int ctrl = -1;  // the parent's end of the control socket
    std::unique_ptr<asio::posix::stream_descriptor> data, pidfd;  // data: the ring's doorbell
    std::unique_ptr<Ring> ring;
    std::unique_ptr<Stream> out, err;
    std::array<char, 256> bell{};
    bool data_open = false;
    bool drain_posted = false;
    int outstanding = 0;
    bool stopping = false, killed = false;
    std::deque<Command> batches;  // sent, not yet done
    std::string fatal;
    LogTail tail;
    logging::Record scratch;  // decoded into, then swapped into the tail
    std::int64_t tail_task = -1;
    InternCache cache;
    std::string_view last_name;
    logging::Logger* last_logger = nullptr;
  };

  struct Pipes {
    int data = -1, out = -1, err = -1, pidfd = -1;
  };

  Pipes fork_worker(int slot) {
    Worker& w = workers_[static_cast<std::size_t>(slot)];
    w.slot = slot;
    int ctrl[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ctrl) != 0) throw_errno("socketpair");
    Pipe data = Pipe::make();
    w.ring = std::make_unique<Ring>();
    Pipe out, err;
    if (options_.capture_output) {
      out = Pipe::make();
      err = Pipe::make();
      // Non-blocking reads for the parent and for the worker's own drain (one open file
      // description, shared by both); the worker's writes stay blocking.
      for (int fd : {out.read, err.read}) ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
    }
    WorkerSetup setup;
    setup.slot = slot;
    setup.parent_pid = ::getpid();
    setup.ctrl_fd = ctrl[1];
    setup.data_fd = data.write;
    setup.ring = w.ring.get();
    setup.out_fd = out.write;
    setup.err_fd = err.write;
    setup.out_read_fd = out.read;
    setup.err_read_fd = err.read;
    setup.close_fds = parent_fds_;
    for (int fd : {ctrl[0], data.read})
      if (fd >= 0) setup.close_fds.push_back(fd);
    setup.control = control_.get();
    setup.options = &options_;
    setup.table = &table_;
    setup.level = level_;

    pid_t pid = ::fork();
    if (pid == 0) worker_main(setup);  // never returns
    for (int fd : {ctrl[1], data.write, out.write, err.write})
      if (fd >= 0) ::close(fd);
    if (pid < 0) {
      const int fork_errno = errno;
      for (int fd : {ctrl[0], data.read, out.read, err.read})
        if (fd >= 0) ::close(fd);
      errno = fork_errno;
      throw_errno("fork");
    }
    w.pid = pid;
    w.ctrl = ctrl[0];
    parent_fds_.push_back(w.ctrl);
    int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
    if (pidfd < 0) throw_errno("pidfd_open");
    parent_fds_.insert(parent_fds_.end(), {data.read, pidfd});
    if (out.read >= 0) parent_fds_.insert(parent_fds_.end(), {out.read, err.read});
    return Pipes{data.read, out.read, err.read, pidfd};
  }

  // Hands a worker's descriptors to the event loop (which then owns them).
  void watch_worker(Worker& w, const Pipes& p) {
    w.data = std::make_unique<asio::posix::stream_descriptor>(*ctx_, p.data);
    w.data_open = true;
    w.pidfd = std::make_unique<asio::posix::stream_descriptor>(*ctx_, p.pidfd);
    read_data(w);
    wait_exit(w);
    if (p.out >= 0) {
      auto prefix_of = [this](std::size_t i) { return expand_prefix(options_.prefix, table_.tag(i), i); };
      w.out = std::make_unique<Stream>(*ctx_);
      w.err = std::make_unique<Stream>(*ctx_);
      w.out->fd.assign(p.out);
      w.err->fd.assign(p.err);
      w.out->router.emplace(STDOUT_FILENO, prefix_of);
      w.err->router.emplace(STDERR_FILENO, prefix_of);
      w.out->open = w.err->open = true;
      read_output(w, *w.out);
      read_output(w, *w.err);
    }
  }

  // ---- dispatch -------------------------------------------------------------------------------

  std::size_t limit() const { return static_cast<std::size_t>(control_->stop_before.load()); }

  void send(Worker& w, Command cmd) {
    // Failure means the worker is gone; its pidfd will say so.
    (void)::send(w.ctrl, &cmd, sizeof cmd, MSG_NOSIGNAL);
  }

  void dispatch(Worker& w) {
    const std::size_t end = std::min(limit(), table_.size);
    if (w.stopping || next_ >= end) return;
    std::size_t size = options_.batch_size;
    if (size == 0) {
      // Guided: a quarter of each worker's fair share of what is left, so batches shrink as the
      // run ends and uneven tasks still balance.
      size = (end - next_) / (4 * workers_.size());
      size = std::clamp<std::size_t>(size, 1, 8192);
    }
    Command cmd{next_, std::min(end, next_ + size)};
    next_ = cmd.end;
    w.batches.push_back(cmd);
    ++w.outstanding;
    send(w, cmd);
  }

  void stop(Worker& w) {
    if (w.stopping) return;
    w.stopping = true;
    send(w, Command{0, 0});
  }

  // ---- errors ---------------------------------------------------------------------------------

  void fail(std::size_t index, std::exception_ptr error) {
    if (error_ && index >= error_index_) return;
    error_ = std::move(error);
    error_index_ = index;
    // No task from `index` on may start; kill the workers already running one.
    control_->stop_before.store(static_cast<std::int64_t>(std::min(limit(), index)));
    for (Worker& w : workers_) {
      if (w.reaped || w.killed) continue;
      if (w.slot >= 0 && control_->slots[w.slot].running.load() &&
          control_->slots[w.slot].current.load() > static_cast<std::int64_t>(index)) {
        ::kill(w.pid, SIGKILL);
        w.killed = true;
      }
    }
  }

  std::vector<std::string> tail_of(const Worker& w, std::size_t task) const {
    return w.tail_task == static_cast<std::int64_t>(task) ? w.tail.lines() : std::vector<std::string>{};
  }

  // ---- the data pipe ------------------------------------------------------------------------

  // The data pipe only carries doorbells: a byte means "frames are waiting in the ring".
  void read_data(Worker& w) {
    w.data->async_read_some(asio::buffer(w.bell), [this, &w](const boost::system::error_code& ec, std::size_t) {
      if (ec) {  // the worker is gone: whatever it published is still in the ring
        w.data_open = false;
        w.data->close();
        drain_all(w);
        return;
      }
      drain(w);
      read_data(w);
    });
  }

  // Takes a bounded bite of the worker's ring so that other workers get their turn; comes back
  // (posted) while frames remain, and tells the worker to ring once the ring is empty.
  void drain(Worker& w) {
    bool more;
    {
      logging::BatchScope batch;  // one write per handler for the whole bite
      more = w.ring->drain([this, &w](Frame kind, std::string_view payload) { handle_frame(w, kind, payload); },
                           256 * 1024);
    }
    if ((more || !w.ring->prepare_to_sleep()) && !w.drain_posted) {
      w.drain_posted = true;
      asio::post(*ctx_, [this, &w] {
        w.drain_posted = false;
        drain(w);
      });
    }
  }

  void drain_all(Worker& w) {
    logging::BatchScope batch;
    while (w.ring->drain([this, &w](Frame kind, std::string_view payload) { handle_frame(w, kind, payload); },
                         SIZE_MAX)) {
    }
  }

  void handle_frame(Worker& w, Frame kind, std::string_view payload) {
    Reader rd(payload);
    switch (kind) {
      case Frame::record: {
        rd.pod<std::uint64_t>();
        logging::Record& r = w.scratch;
        decode_record(rd, w.cache, r);
        if (r.task_index != w.tail_task) {
          w.tail.clear();
          w.tail_task = r.task_index;
        }
        if (r.name.data() != w.last_name.data()) {
          w.last_name = r.name;
          w.last_logger = &logging::get_logger(r.name);
        }
        // As the cookbook's listener: the caller's handlers decide, its logger filters do not.
        w.last_logger->call_handlers(r);
        w.tail.push_swap(r);  // no allocation per record once the tail is full
        break;
      }
      case Frame::result: {
        auto index = static_cast<std::size_t>(rd.pod<std::uint64_t>());
        table_.store(index, rd.rest());
        done_[index] = 1;
        break;
      }
      case Frame::error: {
        auto index = static_cast<std::size_t>(rd.pod<std::uint64_t>());
        std::string type(rd.str());
        std::string message(rd.str());
        fail(index, std::make_exception_ptr(TaskError(index, table_.tag(index), w.pid, worker_name(w), type,
                                                      message, tail_of(w, index))));
        break;
      }
      case Frame::batch_done:
        if (!w.batches.empty()) w.batches.pop_front();
        --w.outstanding;
        dispatch(w);
        if (w.outstanding == 0) stop(w);
        break;
      case Frame::fatal:
        w.fatal = std::string(rd.str());
        break;
      case Frame::output: {
        const auto stream = rd.pod<std::uint8_t>();
        const auto task = static_cast<std::size_t>(rd.pod<std::uint64_t>());
        Stream* s = stream == 1 ? w.out.get() : w.err.get();
        if (s) {
          s->router->text(task, rd.rest());
          s->router->end(task);
          s->router->flush();
        }
        break;
      }
      case Frame::padding:
      case Frame::part:
        break;  // the ring consumes these itself
    }
  }

  static std::string worker_name(const Worker& w) { return "Worker-" + std::to_string(w.slot + 1); }

  // ---- output and exits -----------------------------------------------------------------------

  void read_output(Worker& w, Stream& s) {
    s.fd.async_wait(asio::posix::stream_descriptor::wait_read, [this, &w, &s](const boost::system::error_code& ec) {
      if (ec || !s.open) return;
      if (take_output(w, s)) read_output(w, s);
    });
  }

  // Reads what the worker's stream holds and gives it to the task that owns the pipe now.
  // Returns false at end of file.
  bool take_output(Worker& w, Stream& s) {
    static thread_local std::string bytes;
    bytes.clear();
    bool eof = false;
    std::int64_t task;
    {
      SlotState& slot = control_->slots[w.slot];
      std::lock_guard lock(slot.output_lock);
      task = slot.output_task.load();
      char buf[65536];
      while (bytes.size() < (1u << 20)) {
        ssize_t n = ::read(s.fd.native_handle(), buf, sizeof buf);
        if (n > 0) {
          bytes.append(buf, static_cast<std::size_t>(n));
        } else if (n < 0 && errno == EINTR) {
          continue;
        } else {
          eof = n == 0;
          break;
        }
      }
      slot.parent_reads.fetch_add(1);
    }
    if (!bytes.empty()) {
      // Nothing runs before a task publishes its index, so this is only a guard.
      s.router->text(task < 0 ? 0 : static_cast<std::size_t>(task), bytes);
      s.router->flush();
    }
    if (eof) {
      s.open = false;
      s.fd.close();
    }
    return !eof;
  }

  void wait_exit(Worker& w) {
    w.pidfd->async_wait(asio::posix::stream_descriptor::wait_read, [this, &w](const boost::system::error_code& ec) {
      if (ec) return;
      int status = 0;
      if (::waitpid(w.pid, &status, 0) == w.pid) w.reaped = true;
      w.pidfd->close();
      drain_all(w);  // its last records and its error, if any, before judging the exit
      for (Stream* s : {w.out.get(), w.err.get()}) {
        if (!s) continue;
        while (s->open && take_output(w, *s)) {  // what it printed before it died
        }
        s->router->finish();
      }
      on_exit(w, status);
    });
  }

  void on_exit(Worker& w, int status) {
    if (w.killed) return;
    const bool clean = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    if (w.stopping && clean) return;
    // Died on its own: which task was it running?
    SlotState& slot = control_->slots[w.slot];
    std::optional<std::size_t> task;
    if (slot.running.load()) {
      task = static_cast<std::size_t>(slot.current.load());
    } else {
      for (const Command& b : w.batches)
        for (std::uint64_t i = b.begin; i < b.end && !task; ++i)
          if (!done_[i] && i < limit()) task = i;
    }
    if (!task) return;  // it had nothing left to do
    const int sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    const int code = WIFEXITED(status) ? WEXITSTATUS(status) : 0;
    if (!w.fatal.empty()) {
      fail(*task, std::make_exception_ptr(TaskError(*task, table_.tag(*task), w.pid, worker_name(w),
                                                    "worker failure", w.fatal, tail_of(w, *task))));
      return;
    }
    fail(*task, std::make_exception_ptr(
                    WorkerCrashed(*task, table_.tag(*task), w.pid, worker_name(w), sig, code, tail_of(w, *task))));
  }

  const Options& options_;
  const TaskTable& table_;
  int level_;
  SharedControl control_;
  std::optional<asio::io_context> ctx_;  // created once the workers exist
  std::vector<Worker> workers_;
  std::vector<int> parent_fds_;  // every descriptor the parent holds for the run
  std::vector<char> done_;
  std::size_t next_ = 0;
  std::exception_ptr error_;
  std::size_t error_index_ = 0;
};

}  // namespace

void run_fork(const Options& options, const TaskTable& table, int level, int n_workers) {
  ForkRun run(options, table, level, n_workers);
  run.run();
}

}  // namespace prun::pool::detail
