#include "driver.hpp"

#include "output.hpp"
#include "wire.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>

#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstring>
#include <deque>
#include <mutex>
#include <optional>

namespace prun::pool::detail {

namespace asio = boost::asio;

namespace {

struct Batch {
  std::uint64_t begin = 0, end = 0;
};

class Driver {
 public:
  Driver(const Options& options, const TaskTable& table, int level, std::vector<WorkerLink*> links,
         const DriverConfig& config)
      : options_(options), table_(table), level_(level), config_(config), done_(table.size, 0) {
    (void)level_;
    for (WorkerLink* link : links) workers_.push_back(std::make_unique<Worker>(link));
  }

  ~Driver() {
    // Descriptors belong to whoever started the workers: hand them back open.
    for (auto& w : workers_) release(*w);
  }

  void run() {
    for (auto& w : workers_) watch(*w);
    for (auto& w : workers_) dispatch(*w);
    if (table_.size - next_ >= 2 * workers_.size())
      for (auto& w : workers_) dispatch(*w);
    for (auto& w : workers_) maybe_finish(*w);
    check_done();
    ctx_.run();
    for (auto& w : workers_)
      for (Stream* s : {w->out.get(), w->err.get()})
        if (s) s->router->finish();
    if (error_) std::rethrow_exception(error_);
    for (std::size_t i = 0; i < done_.size(); ++i)
      if (!done_[i]) throw std::logic_error("prun: task " + std::to_string(i) + " never reported a result");
  }

 private:
  struct Stream {
    Stream(asio::io_context& ctx, int fd, int dest, LineRouter::PrefixOf prefix_of)
        : sd(ctx, fd), router(std::in_place, dest, std::move(prefix_of)) {}
    asio::posix::stream_descriptor sd;
    std::optional<LineRouter> router;
    bool open = true;
  };
  struct Worker {
    explicit Worker(WorkerLink* l) : link(l) {}
    WorkerLink* link;
    std::unique_ptr<asio::posix::stream_descriptor> doorbell, pidfd;
    std::unique_ptr<Stream> out, err;
    std::array<char, 256> bell{};
    bool drain_posted = false;
    bool retired = false;  // replaced: events that were already queued for it are ignored
    int outstanding = 0;
    bool stopping = false, killed = false, exited = false;
    std::deque<Batch> batches;  // sent, not yet done
    std::string fatal;
    LogTail tail;
    logging::Record scratch;  // decoded into, then swapped into the tail
    std::int64_t tail_task = -1;
    InternCache cache;
    std::string_view last_name;
    logging::Logger* last_logger = nullptr;
  };

  SlotState& slot(const Worker& w) const { return w.link->block->slot(); }
  static std::string worker_name(const Worker& w) { return "Worker-" + std::to_string(w.link->slot + 1); }

  // ---- descriptors ----------------------------------------------------------------------------

  void watch(Worker& w) {
    WorkerLink& l = *w.link;
    SlotState& s = slot(w);
    s.stop_before.store(INT64_MAX);
    s.current.store(-1);
    s.running.store(0);
    s.output_task.store(-1);
    w.doorbell = std::make_unique<asio::posix::stream_descriptor>(ctx_, l.doorbell);
    w.pidfd = std::make_unique<asio::posix::stream_descriptor>(ctx_, l.pidfd);
    read_doorbell(w);
    wait_exit(w);
    drain(w);  // frames published before this run's loop existed (none, normally)
    if (l.out >= 0) {
      auto prefix_of = [this](std::size_t i) { return expand_prefix(options_.prefix, table_.tag(i), i); };
      // With capture off, persistent workers' output still comes through the parent: it
      // passes unchanged (no prefix, no line splitting).
      LineRouter::PrefixOf none = [](std::size_t) { return std::string(); };
      w.out = std::make_unique<Stream>(ctx_, l.out, STDOUT_FILENO, options_.capture_output ? prefix_of : none);
      w.err = std::make_unique<Stream>(ctx_, l.err, STDERR_FILENO, options_.capture_output ? prefix_of : none);
      read_output(w, *w.out);
      read_output(w, *w.err);
    }
  }

  void release(Worker& w) {
    boost::system::error_code ec;
    for (auto* sd : {w.doorbell.get(), w.pidfd.get()})
      if (sd && sd->is_open()) {
        sd->cancel(ec);
        sd->release();
      }
    for (Stream* s : {w.out.get(), w.err.get()})
      if (s && s->sd.is_open()) {
        s->sd.cancel(ec);
        s->sd.release();
      }
  }

  // ---- dispatch -------------------------------------------------------------------------------

  std::size_t limit() const { return stop_before_; }

  std::size_t quota(const Worker& w) const {
    if (!config_.persistent || config_.max_tasks_per_worker == 0) return SIZE_MAX;
    return config_.max_tasks_per_worker - std::min(config_.max_tasks_per_worker, w.link->assigned);
  }

  void send(Worker& w, std::string_view bytes) {
    // Failure means the worker is gone; its pidfd will say so.
    while (!bytes.empty()) {
      ssize_t n = ::send(w.link->ctrl, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return;
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
  }

  void dispatch(Worker& w) {
    const std::size_t end = std::min(limit(), table_.size);
    if (w.stopping || w.exited || w.killed || next_ >= end) return;
    std::size_t size = options_.batch_size;
    if (size == 0) {
      // Guided: a quarter of each worker's fair share of what is left, so batches shrink as the
      // run ends and uneven tasks still balance.
      size = (end - next_) / (4 * workers_.size());
      size = std::clamp<std::size_t>(size, 1, 8192);
    }
    size = std::min(size, quota(w));
    if (size == 0) return;
    Batch b{next_, std::min(end, next_ + size)};
    next_ = b.end;
    w.batches.push_back(b);
    ++w.outstanding;
    w.link->assigned += b.end - b.begin;
    std::string msg;
    if (config_.dispatch == Dispatch::inherited) {
      Command cmd{b.begin, b.end};
      msg.assign(reinterpret_cast<const char*>(&cmd), sizeof cmd);
    } else {
      Writer wr(msg);
      std::size_t start = wr.begin_frame(static_cast<Frame>(Control::batch));
      wr.pod(b.begin);
      wr.pod(b.end);
      for (std::uint64_t i = b.begin; i < b.end; ++i) {
        const RemoteTask& t = (*config_.remote)[i];
        wr.str(table_.tag(i));
        wr.str(t.name);
        wr.str(t.args);
      }
      wr.end_frame(start);
    }
    send(w, msg);
  }

  // A worker with nothing left to do: per-run workers are told to leave.
  void maybe_finish(Worker& w) {
    if (w.outstanding != 0 || w.stopping || w.exited || w.killed) return;
    dispatch(w);
    if (w.outstanding != 0) return;
    if (!config_.persistent) {
      w.stopping = true;
      w.link->expected_exit = true;
      Command cmd{0, 0};
      send(w, std::string_view(reinterpret_cast<const char*>(&cmd), sizeof cmd));
    }
  }

  // Persistent workers: the run is over once nobody has work and every killed worker is gone.
  void check_done() {
    if (!config_.persistent) return;
    for (auto& w : workers_) {
      if (w->killed && !w->exited) return;
      if (!w->exited && w->outstanding != 0) return;
    }
    if (next_ < std::min(limit(), table_.size)) {
      // Work is left but no live worker can take it (all gone): that is an error already, or
      // the replacements have not been asked for yet.
      bool any_live = std::any_of(workers_.begin(), workers_.end(), [](auto& w) { return !w->exited && !w->killed; });
      if (any_live || !error_) return;
    }
    for (auto& w : workers_) release(*w);
    ctx_.stop();
  }

  // ---- errors ---------------------------------------------------------------------------------

  void fail(std::size_t index, std::exception_ptr error) {
    if (error_ && index >= error_index_) return;
    error_ = std::move(error);
    error_index_ = index;
    // No task from `index` on may start; kill the workers already running one.
    stop_before_ = std::min(stop_before_, index);
    for (auto& w : workers_) {
      if (w->exited) continue;
      SlotState& s = slot(*w);
      s.stop_before.store(static_cast<std::int64_t>(stop_before_));
      if (!w->killed && s.running.load() && s.current.load() > static_cast<std::int64_t>(index)) {
        ::kill(w->link->pid, SIGKILL);
        w->killed = true;
      }
    }
  }

  std::vector<std::string> tail_of(const Worker& w, std::size_t task) const {
    return w.tail_task == static_cast<std::int64_t>(task) ? w.tail.lines() : std::vector<std::string>{};
  }

  // ---- the ring -------------------------------------------------------------------------------

  void read_doorbell(Worker& w) {
    w.doorbell->async_read_some(asio::buffer(w.bell), [this, &w](const boost::system::error_code& ec, std::size_t) {
      if (ec == asio::error::operation_aborted || w.retired) return;
      if (ec) {  // the worker is gone: whatever it published is still in the ring
        drain_all(w);
        return;
      }
      drain(w);
      read_doorbell(w);
    });
  }

  // Takes a bounded bite of the worker's ring so that other workers get their turn; comes back
  // (posted) while frames remain, and tells the worker to ring once the ring is empty.
  void drain(Worker& w) {
    if (w.retired) return;
    Ring& ring = w.link->block->ring();
    bool more;
    {
      logging::BatchScope batch;  // one write per handler for the whole bite
      more = ring.drain([this, &w](Frame kind, std::string_view payload) { handle_frame(w, kind, payload); },
                        256 * 1024);
    }
    if ((more || !ring.prepare_to_sleep()) && !w.drain_posted) {
      w.drain_posted = true;
      asio::post(ctx_, [this, &w] {
        w.drain_posted = false;
        drain(w);
      });
    }
    check_done();
  }

  void drain_all(Worker& w) {
    if (w.retired) return;
    logging::BatchScope batch;
    while (w.link->block->ring().drain(
        [this, &w](Frame kind, std::string_view payload) { handle_frame(w, kind, payload); }, SIZE_MAX)) {
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
        fail(index, std::make_exception_ptr(TaskError(index, table_.tag(index), w.link->pid, worker_name(w), type,
                                                      message, tail_of(w, index))));
        break;
      }
      case Frame::batch_done:
        if (!w.batches.empty()) w.batches.pop_front();
        --w.outstanding;
        dispatch(w);
        maybe_finish(w);
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
      case Frame::recycle:
        w.link->expected_exit = true;
        break;
      case Frame::hello:
      case Frame::init_failed:
      case Frame::padding:
      case Frame::part:
        break;  // handshake frames, and what the ring consumes itself
    }
  }

  // ---- output -------------------------------------------------------------------------------

  void read_output(Worker& w, Stream& s) {
    s.sd.async_wait(asio::posix::stream_descriptor::wait_read, [this, &w, &s](const boost::system::error_code& ec) {
      if (ec || !s.open || w.retired) return;
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
      SlotState& st = slot(w);
      std::lock_guard lock(st.output_lock);
      task = st.output_task.load();
      char buf[65536];
      while (bytes.size() < (1u << 20)) {
        ssize_t n = ::read(s.sd.native_handle(), buf, sizeof buf);
        if (n > 0) {
          bytes.append(buf, static_cast<std::size_t>(n));
        } else if (n < 0 && errno == EINTR) {
          continue;
        } else {
          eof = n == 0;
          break;
        }
      }
      st.parent_reads.fetch_add(1);
    }
    if (!bytes.empty()) {
      if (options_.capture_output) {
        // Nothing runs before a task publishes its index, so this is only a guard.
        s.router->text(task < 0 ? 0 : static_cast<std::size_t>(task), bytes);
      } else {
        write_all(s.sd.native_handle() == w.link->out ? STDOUT_FILENO : STDERR_FILENO, bytes.data(), bytes.size());
      }
      s.router->flush();
    }
    if (eof) s.open = false;
    return !eof;
  }

  // ---- exits --------------------------------------------------------------------------------

  void wait_exit(Worker& w) {
    w.pidfd->async_wait(asio::posix::stream_descriptor::wait_read, [this, &w](const boost::system::error_code& ec) {
      if (ec || w.retired) return;
      int status = 0;
      // Readiness can be spurious (a descriptor number reused within one reactor turn): only
      // an exit that waitpid confirms counts.
      const int r = ::waitpid(w.link->pid, &status, WNOHANG);
      if (r == 0) {
        wait_exit(w);
        return;
      }
      if (r == w.link->pid) {
        w.link->reaped = true;
        w.link->status = status;
      }
      w.exited = true;
      drain_all(w);  // its last records and its error, if any, before judging the exit
      for (Stream* s : {w.out.get(), w.err.get()}) {
        if (!s) continue;
        while (s->open && take_output(w, *s)) {  // what it printed before it died
        }
        s->router->finish();
      }
      on_exit(w, status);
      check_done();
    });
  }

  void on_exit(Worker& w, int status) {
    if (w.killed) return;
    const bool clean = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    if (w.link->expected_exit && clean) {
      // A recycled worker: replace it if there is work left for it.
      if (config_.persistent && config_.replace && w.outstanding == 0 && next_ < std::min(limit(), table_.size)) {
        try {
          replace(w);
        } catch (...) {
          fail(next_, std::current_exception());
        }
      }
      return;
    }
    // Died on its own: which task was it running?
    SlotState& s = slot(w);
    std::optional<std::size_t> task;
    if (s.running.load()) {
      task = static_cast<std::size_t>(s.current.load());
    } else {
      for (const Batch& b : w.batches)
        for (std::uint64_t i = b.begin; i < b.end && !task; ++i)
          if (!done_[i] && i < limit()) task = i;
    }
    if (!task) return;  // it had nothing left to do
    const int sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    const int code = WIFEXITED(status) ? WEXITSTATUS(status) : 0;
    if (!w.fatal.empty()) {
      fail(*task, std::make_exception_ptr(TaskError(*task, table_.tag(*task), w.link->pid, worker_name(w),
                                                    "worker failure", w.fatal, tail_of(w, *task))));
      return;
    }
    fail(*task, std::make_exception_ptr(WorkerCrashed(*task, table_.tag(*task), w.link->pid, worker_name(w), sig,
                                                      code, tail_of(w, *task))));
  }

  void replace(Worker& w) {
    const int slot_index = w.link->slot;
    release(w);
    w.retired = true;
    WorkerLink* fresh = config_.replace(slot_index);
    auto next = std::make_unique<Worker>(fresh);
    for (auto& p : workers_)
      if (p.get() == &w) {
        // The old entry's handlers may still be queued; keep it alive until the run ends.
        retired_.push_back(std::move(p));
        p = std::move(next);
        watch(*p);
        dispatch(*p);
        maybe_finish(*p);
        return;
      }
  }

  const Options& options_;
  const TaskTable& table_;
  int level_;
  const DriverConfig& config_;
  asio::io_context ctx_{1};
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<std::unique_ptr<Worker>> retired_;
  std::vector<char> done_;
  std::size_t next_ = 0;
  std::size_t stop_before_ = SIZE_MAX;
  std::exception_ptr error_;
  std::size_t error_index_ = 0;
};

}  // namespace

void drive(const Options& options, const TaskTable& table, int level, std::vector<WorkerLink*> links,
           const DriverConfig& config) {
  Driver driver(options, table, level, std::move(links), config);
  driver.run();
}

}  // namespace prun::pool::detail
