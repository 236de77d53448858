#include "command_link.hpp"

#include "../core/protocol.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <csignal>
#include <cstring>
#include <system_error>

extern char** environ;

namespace prun::pool::commands {

namespace asio = boost::asio;
using Descriptor = asio::posix::stream_descriptor;

namespace {
// What one read takes before the loop turns to other jobs; what is read of a pipe after its
// command exited (something the command left running may go on writing to it).
constexpr std::size_t kBite = std::size_t{1} << 20;
constexpr std::size_t kAfterExit = std::size_t{4} << 20;
}  // namespace

// The asio objects of one attachment. The link owns the descriptors: these only watch them.
struct CommandLink::Asio {
  asio::io_context& ctx;
  asio::steady_timer delay;
  bool delay_armed = false;
  std::optional<Descriptor> pidfd, out, err;

  explicit Asio(asio::io_context& c) : ctx(c), delay(c) {}
  ~Asio() {
    delay.cancel();
    unwatch();
  }
  void unwatch() noexcept {
    boost::system::error_code ec;
    for (auto* d : {&pidfd, &out, &err})
      if (*d) {
        (*d)->cancel(ec);
        (*d)->release();
        d->reset();
      }
  }
};

CommandLink::CommandLink(int slot, CommandPlan& plan) : Link(slot), plan_(plan) {}

CommandLink::~CommandLink() {
  detach();
  kill_and_reap();
}

std::string CommandLink::name() const { return "job slot " + std::to_string(slot() + 1); }

void CommandLink::attach(asio::io_context& ctx, core::LinkEvents& events) {
  detach();
  events_ = &events;
  ++generation_;
  asio_ = std::make_unique<Asio>(ctx);
  if (job_running_) {
    asio_->pidfd.emplace(ctx, pidfd_.get());
    wait_exit();
    for (int s : {1, 2})
      if (open_[s - 1]) {
        (s == 1 ? asio_->out : asio_->err).emplace(ctx, (s == 1 ? out_ : err_).get());
        read(s);
      }
  }
  start_soon();
}

void CommandLink::detach() noexcept {
  ++generation_;
  asio_.reset();
  events_ = nullptr;
  start_posted_ = false;
}

bool CommandLink::send(std::string_view frames) noexcept {
  if (gone_) return false;
  try {
    protocol::split_frames(frames, [&](const protocol::Frame& f) {
      if (f.kind != protocol::Kind::batch) return;
      const protocol::Batch b = protocol::Batch::decode(f.payload);
      queue_.push_back({static_cast<std::size_t>(b.begin), static_cast<std::size_t>(b.end)});
    });
  } catch (...) {
    return false;  // not from our own driver
  }
  start_soon();
  return true;
}

void CommandLink::set_stop_before(std::size_t index) noexcept {
  stop_before_ = index;
  if (job_running_ || !asio_) return;
  // A job waiting for its start (--delay) may not be due any more: look again now.
  asio_->delay.cancel();
  asio_->delay_armed = false;
  try {
    start_soon();
  } catch (...) {  // no memory for the handler: the delay's own turn comes anyway
  }
}

std::optional<core::Running> CommandLink::running() const noexcept {
  if (!job_running_) return std::nullopt;
  return core::Running{job_, started_ns_};
}

void CommandLink::signal(int sig) noexcept {
  if (!job_running_ || pid_ <= 0) return;
  signalled_ = true;  // whatever it does now, its end is the end of this slot's worker
  // The command leads its own process group: what it started goes too (unless it left it).
  if (::kill(-pid_, sig) != 0) ::kill(pid_, sig);
}

void CommandLink::kill_and_reap() noexcept {
  if (!job_running_ || pid_ <= 0) return;
  if (::kill(-pid_, SIGKILL) != 0) ::kill(pid_, SIGKILL);
  sys::reap(pid_);
  job_running_ = false;
}

// ---- starting jobs ---------------------------------------------------------------------------

// Jobs start from the event loop, never inside the driver's call that sent them.
void CommandLink::start_soon() {
  if (!asio_ || start_posted_ || job_running_ || gone_) return;
  start_posted_ = true;
  const auto gen = generation_;
  asio::post(asio_->ctx, [this, gen] {
    if (gen != generation_) return;
    start_posted_ = false;
    start_next();
  });
}

void CommandLink::start_next() {
  while (!job_running_ && !gone_ && events_ && !queue_.empty()) {
    Queued& q = queue_.front();
    if (q.next >= q.end || q.next >= stop_before_) {
      queue_.pop_front();
      events_->on_batch_done(*this);  // may send the next batch
      continue;
    }
    if (plan_.delay_ns > 0) {
      const std::int64_t now = sys::monotonic_ns();
      if (now < plan_.next_start_ns) {
        if (!asio_->delay_armed) {
          asio_->delay_armed = true;
          asio_->delay.expires_at(std::chrono::steady_clock::time_point(std::chrono::nanoseconds(plan_.next_start_ns)));
          const auto gen = generation_;
          asio_->delay.async_wait([this, gen](const boost::system::error_code& ec) {
            if (gen != generation_ || ec) return;
            asio_->delay_armed = false;
            start_next();
          });
        }
        return;
      }
    }
    launch(q.next++);
  }
}

void CommandLink::launch(std::size_t index) {
  const CommandJob& job = plan_.jobs[index];
  job_ = index;
  job_running_ = true;
  signalled_ = false;
  started_ns_ = sys::monotonic_ns();
  if (plan_.delay_ns > 0) plan_.next_start_ns = started_ns_ + plan_.delay_ns;
  std::string why;
  if (!spawn(job, why)) {
    // As a shell that cannot run a command: the reason on its stderr, exit status 127.
    pid_ = 0;
    events_->on_started(*this, protocol::Started{index, started_ns_});
    if (!events_) return;
    const std::string text = "prun: cannot run the command: " + why + "\n";
    events_->on_output(*this, 2, index, text, false);
    status_ = 127 << 8;  // as waitpid reports exit(127)
    open_[0] = open_[1] = false;
    job_over(index);
    return;
  }
  events_->on_started(*this, protocol::Started{index, started_ns_});
  if (!asio_) return;
  asio_->pidfd.emplace(asio_->ctx, pidfd_.get());
  asio_->out.emplace(asio_->ctx, out_.get());
  asio_->err.emplace(asio_->ctx, err_.get());
  open_[0] = open_[1] = true;
  read(1);
  read(2);
  wait_exit();
}

bool CommandLink::spawn(const CommandJob& job, std::string& why) {
  try {
    sys::Pipe out = sys::Pipe::open(), err = sys::Pipe::open();
    sys::Fd null(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    if (!null) sys::throw_errno("/dev/null");
    // The sources sit above 0-2, so that placing one never overwrites another.
    std::vector<sys::Fd> moved;
    auto above = [&](int fd) {
      if (fd > 2) return fd;
      moved.emplace_back(sys::dup_at_least(fd, 3));
      return moved.back().get();
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
    ::posix_spawn_file_actions_adddup2(&actions, above(null.get()), STDIN_FILENO);
    ::posix_spawn_file_actions_adddup2(&actions, above(out.write.get()), STDOUT_FILENO);
    ::posix_spawn_file_actions_adddup2(&actions, above(err.write.get()), STDERR_FILENO);
    // A process group of its own (a timeout or a cancel stops what the command started too),
    // an empty signal mask, and SIGPIPE and SIGXFSZ at their defaults whatever this program
    // does with them (as Python's subprocess does): `yes | head` must end. Other ignored
    // signals stay ignored, as a shell leaves them (nohup).
    sigset_t none, defaults;
    sigemptyset(&none);
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGPIPE);
    sigaddset(&defaults, SIGXFSZ);
    ::posix_spawnattr_setsigmask(&attr, &none);
    ::posix_spawnattr_setsigdefault(&attr, &defaults);
    ::posix_spawnattr_setpgroup(&attr, 0);
    ::posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    const char* argv[] = {plan_.shell.c_str(), "-c", job.command.c_str(), nullptr};
    pid_t pid = -1;
    const bool search = plan_.shell.find('/') == std::string::npos;
    const int e = (search ? ::posix_spawnp : ::posix_spawn)(&pid, plan_.shell.c_str(), &actions, &attr,
                                                              const_cast<char* const*>(argv), environ);
    if (e != 0) {
      why = fmt::format("{}: {}", plan_.shell, std::strerror(e));
      if (std::string limit = sys::explain_fd_error(e); !limit.empty()) why += " (" + limit + ")";
      return false;
    }
    try {
      pidfd_.reset(sys::pidfd_open(pid));
    } catch (...) {
      ::kill(-pid, SIGKILL);
      sys::reap(pid);
      throw;
    }
    pid_ = pid;
    sys::set_nonblocking(out.read.get());
    sys::set_nonblocking(err.read.get());
    // A job that prints a lot fills 1 MiB between two reads instead of 64 KiB: a sixteenth of
    // the wake-ups and context switches (the kernel's default limit allows it unprivileged;
    // if it refuses, the default size stays).
    (void)::fcntl(out.read.get(), F_SETPIPE_SZ, kBite);
    out_ = std::move(out.read);
    err_ = std::move(err.read);
    return true;  // the write ends and /dev/null close here: the command has its copies
  } catch (const std::system_error& e) {
    std::string_view what = e.what();
    if (what.starts_with("prun: ")) what.remove_prefix(6);
    why = std::string(what);
    return false;
  }
}

// ---- a running job ---------------------------------------------------------------------------

void CommandLink::read(int stream) {
  Descriptor& d = *(stream == 1 ? asio_->out : asio_->err);
  const auto gen = generation_;
  d.async_wait(Descriptor::wait_read, [this, gen, stream](const boost::system::error_code& ec) {
    if (gen != generation_ || ec || !job_running_) return;
    bytes_.clear();
    const sys::ReadStatus st = sys::read_available((stream == 1 ? out_ : err_).get(), bytes_, kBite);
    if (!bytes_.empty()) events_->on_output(*this, stream, job_, bytes_, false);
    if (gen != generation_) return;
    if (st == sys::ReadStatus::open)
      read(stream);
    else
      open_[stream - 1] = false;  // its end of file: the exit says the rest
  });
}

void CommandLink::wait_exit() {
  const auto gen = generation_;
  asio_->pidfd->async_wait(Descriptor::wait_read, [this, gen](const boost::system::error_code& ec) {
    if (gen != generation_ || ec) return;
    on_exit();
  });
}

void CommandLink::on_exit() {
  const std::optional<int> status = sys::try_reap(pid_);
  if (!status) {
    wait_exit();  // not really over (cannot happen with a pidfd, but costs nothing)
    return;
  }
  status_ = *status;
  // What the command wrote before it exited is in the pipes now: take it (bounded, as
  // something it left running may write on), then let go of them.
  for (int s : {1, 2}) {
    if (!open_[s - 1]) continue;
    bytes_.clear();
    sys::read_available((s == 1 ? out_ : err_).get(), bytes_, kAfterExit);
    if (!bytes_.empty()) events_->on_output(*this, s, job_, bytes_, false);
    if (!events_) return;
  }
  job_over(job_);
}

// The job's end: its output is complete, then it finished (an exit status) or its slot's
// worker is gone (a signal, or stopped by the driver).
void CommandLink::job_over(std::size_t index) {
  if (asio_) asio_->unwatch();
  pidfd_.reset();
  out_.reset();
  err_.reset();
  open_[0] = open_[1] = false;
  job_running_ = false;
  events_->on_output(*this, 1, index, {}, true);
  events_->on_output(*this, 2, index, {}, true);
  if (signalled_ || WIFSIGNALED(status_)) {
    gone_ = true;
    core::WorkerExit exit;
    exit.status = status_;
    exit.running = index;
    exit.task_process = true;
    events_->on_exit(*this, exit);  // the driver detaches this link and puts a fresh one in the slot
    return;
  }
  const int code = WEXITSTATUS(status_);
  const std::string text = fmt::format("exit status {}", code);
  protocol::Finished f;
  f.index = index;
  f.t_ns = sys::monotonic_ns();
  f.ok = code == 0;
  f.exit_code = code;
  f.error = {"command failed", text};
  events_->on_finished(*this, f);
  start_next();
}

}  // namespace prun::pool::commands
