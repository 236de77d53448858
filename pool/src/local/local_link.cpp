#include "local_link.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>

#include <prun/logging/handler.hpp>

#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <csignal>
#include <mutex>

namespace prun::pool::local {

namespace asio = boost::asio;
using Descriptor = asio::posix::stream_descriptor;

struct LocalLink::Asio {
  asio::io_context& ctx;
  Descriptor doorbell, pidfd;
  std::optional<Descriptor> out, err;
  asio::steady_timer recheck;
  bool recheck_armed = false;
  std::array<char, 256> bell{};
  bool open[2] = {true, true};

  Asio(asio::io_context& c, int bell_fd, int pid_fd) : ctx(c), doorbell(c, bell_fd), pidfd(c, pid_fd), recheck(c) {}
  ~Asio() {
    boost::system::error_code ec;
    recheck.cancel();
    for (Descriptor* d : {&doorbell, &pidfd, out ? &*out : nullptr, err ? &*err : nullptr})
      if (d && d->is_open()) {
        d->cancel(ec);
        d->release();  // the link owns the descriptors
      }
  }
};

LocalLink::LocalLink(LocalWorker worker) : Link(worker.slot), w_(std::move(worker)) {}

LocalLink::~LocalLink() {
  detach();
  if (!reaped_ && w_.pid > 0) kill_and_reap();
}

void LocalLink::append_fds(std::vector<int>& fds) const {
  for (const sys::Fd* fd : {&w_.pidfd, &w_.ctrl, &w_.doorbell, &w_.out, &w_.err})
    if (*fd) fds.push_back(fd->get());
  if (w_.block->fd() >= 0) fds.push_back(w_.block->fd());
}

std::string LocalLink::name() const { return "Worker-" + std::to_string(slot() + 1); }

void LocalLink::prepare_run() noexcept {
  SlotState& s = w_.block->slot();
  s.stop_before.store(INT64_MAX);
}

void LocalLink::attach(asio::io_context& ctx, core::LinkEvents& events) {
  detach();
  events_ = &events;
  ++generation_;
  asio_ = std::make_unique<Asio>(ctx, w_.doorbell.get(), w_.pidfd.get());
  if (w_.out) {
    asio_->out.emplace(ctx, w_.out.get());
    asio_->err.emplace(ctx, w_.err.get());
  }
  if (reaped_) return;
  read_doorbell();
  wait_for_exit();
  drain();  // frames published before this run's loop existed
  if (w_.out) {
    read_output(1);
    read_output(2);
  }
}

void LocalLink::detach() noexcept {
  ++generation_;
  asio_.reset();
  events_ = nullptr;
  drain_posted_ = false;
}

bool LocalLink::send(std::string_view frames) noexcept {
  return !reaped_ && sys::send_all(w_.ctrl.get(), frames.data(), frames.size());
}

void LocalLink::set_stop_before(std::size_t index) noexcept {
  w_.block->slot().stop_before.store(index > static_cast<std::size_t>(INT64_MAX) ? INT64_MAX : static_cast<std::int64_t>(index));
}

std::optional<core::Running> LocalLink::running() const noexcept {
  SlotState& s = w_.block->slot();
  if (reaped_ || !s.running.load()) return std::nullopt;
  return core::Running{static_cast<std::size_t>(s.current.load()), s.started_ns.load()};
}

void LocalLink::signal(int sig) noexcept {
  if (reaped_ || w_.pid <= 0) return;
  // The worker leads its own process group: whatever its tasks started goes too (unless it
  // left the group). Until the worker's setpgid ran there is no such group: signal the pid.
  if (::kill(-w_.pid, sig) != 0) ::kill(w_.pid, sig);
}

// ---- the ring ---------------------------------------------------------------------------------

void LocalLink::read_doorbell() {
  const auto gen = generation_;
  asio_->doorbell.async_read_some(asio::buffer(asio_->bell), [this, gen](const boost::system::error_code& ec, std::size_t) {
    if (gen != generation_) return;
    if (ec) return;  // the worker closed it: its exit (pidfd) says the rest
    drain();
    recheck_soon();
    read_doorbell();
  });
}

// A worker that woke the parent less than a millisecond ago publishes task starts and ends
// without waking it again: looking at the ring once more a little later bounds their delay.
void LocalLink::recheck_soon() {
  if (asio_->recheck_armed) return;
  asio_->recheck_armed = true;
  asio_->recheck.expires_after(std::chrono::milliseconds(2));
  const auto gen = generation_;
  asio_->recheck.async_wait([this, gen](const boost::system::error_code& ec) {
    if (gen != generation_ || ec) return;
    asio_->recheck_armed = false;
    drain();
  });
}

// Takes a bounded bite of the ring so that other workers get their turn; comes back (posted)
// while frames remain, and tells the worker to ring once the ring is empty.
void LocalLink::drain() {
  Ring& ring = w_.block->ring();
  bool more;
  {
    logging::BatchScope batch;  // one write per handler for the whole bite
    more = ring.drain([this](const protocol::Frame& f) { on_frame(f); }, 256 * 1024);
  }
  if ((more || !ring.prepare_to_sleep()) && !drain_posted_ && events_) {
    drain_posted_ = true;
    const auto gen = generation_;
    asio::post(asio_->ctx, [this, gen] {
      if (gen != generation_) return;
      drain_posted_ = false;
      drain();
    });
  }
}

void LocalLink::drain_all() {
  logging::BatchScope batch;
  while (w_.block->ring().drain([this](const protocol::Frame& f) { on_frame(f); }, SIZE_MAX)) {
  }
}

void LocalLink::on_frame(const protocol::Frame& f) {
  using protocol::Kind;
  switch (f.kind) {
    case Kind::record:
      protocol::decode_record(f.payload, cache_, scratch_);
      events_->on_record(*this, scratch_);
      break;
    case Kind::started:
      events_->on_started(*this, protocol::Started::decode(f.payload));
      break;
    case Kind::finished:
      events_->on_finished(*this, protocol::Finished::decode(f.payload));
      break;
    case Kind::output: {
      const protocol::Output o = protocol::Output::decode(f.payload);
      events_->on_output(*this, o.stream, static_cast<std::size_t>(o.task), o.bytes, o.last);
      break;
    }
    case Kind::batch_done:
      events_->on_batch_done(*this);
      break;
    case Kind::recycle:
      expected_exit_ = true;
      events_->on_recycle(*this);
      break;
    case Kind::fatal:
      fatal_ = std::string(protocol::decode_fatal(f.payload));
      break;
    case Kind::init_failed: {
      const protocol::Failure e = protocol::decode_init_failed(f.payload);
      fatal_ = "its initializer failed: " + std::string(e.type) + ": " + std::string(e.message);
      break;
    }
    case Kind::hello:
      break;  // the owner's handshake consumed it, or it did not wait for it
    default:
      throw protocol::ProtocolError("prun: a worker sent a message of unknown kind " +
                                    std::to_string(static_cast<int>(f.kind)));
  }
}

// ---- output -----------------------------------------------------------------------------------

void LocalLink::read_output(int stream) {
  Descriptor& d = stream == 1 ? *asio_->out : *asio_->err;
  const auto gen = generation_;
  d.async_wait(Descriptor::wait_read, [this, gen, stream](const boost::system::error_code& ec) {
    if (gen != generation_ || ec || !asio_->open[stream - 1]) return;
    if (take_output(stream)) read_output(stream);
  });
}

// Reads what the worker's stream holds and gives it to the task that owns the pipe now.
// Returns false at end of file.
bool LocalLink::take_output(int stream) {
  bytes_.clear();
  sys::ReadStatus st;
  std::int64_t task;
  {
    SlotState& s = w_.block->slot();
    std::lock_guard lock(s.output_lock);
    task = s.output_task.load();
    st = sys::read_available(stream == 1 ? w_.out.get() : w_.err.get(), bytes_, 1u << 20);
    s.parent_reads.fetch_add(1);
  }
  if (!bytes_.empty())
    events_->on_output(*this, stream, task < 0 ? kNoTask : static_cast<std::size_t>(task), bytes_, false);
  if (st != sys::ReadStatus::open) asio_->open[stream - 1] = false;
  return st == sys::ReadStatus::open;
}

// ---- exits ------------------------------------------------------------------------------------

void LocalLink::wait_for_exit() {
  const auto gen = generation_;
  asio_->pidfd.async_wait(Descriptor::wait_read, [this, gen](const boost::system::error_code& ec) {
    if (gen != generation_ || ec) return;
    // Readiness can be spurious (a descriptor number reused within one reactor turn): only an
    // exit that waitpid confirms counts.
    if (!sys::has_exited(w_.pid)) {
      wait_for_exit();
      return;
    }
    on_exited(reap_group());
  });
}

int LocalLink::reap_group() noexcept {
  // Still a zombie, so its pid (and process group id) cannot be anyone else's: whatever its
  // tasks left running in its group dies with it. Then it is reaped.
  ::kill(-w_.pid, SIGKILL);
  status_ = sys::reap(w_.pid);
  reaped_ = true;
  return status_;
}

void LocalLink::on_exited(int status) {
  drain_all();  // its last records and results come before the verdict
  // What it printed before it died, without waiting for an end of file that a process which
  // escaped the group could withhold forever.
  for (int stream : {1, 2}) {
    if (!w_.out || !asio_->open[stream - 1]) continue;
    SlotState& s = w_.block->slot();
    const std::int64_t task = s.output_task.load();
    bytes_.clear();
    sys::read_available(stream == 1 ? w_.out.get() : w_.err.get(), bytes_, SIZE_MAX);
    asio_->open[stream - 1] = false;
    events_->on_output(*this, stream, task < 0 ? kNoTask : static_cast<std::size_t>(task), bytes_, true);
  }
  core::WorkerExit exit;
  exit.status = status;
  exit.expected = expected_exit_ && WIFEXITED(status) && WEXITSTATUS(status) == 0;
  SlotState& s = w_.block->slot();
  if (s.running.load()) exit.running = static_cast<std::size_t>(s.current.load());
  exit.fatal = fatal_;
  events_->on_exit(*this, exit);
}

bool LocalLink::poll_exit() noexcept {
  if (reaped_) return true;
  if (!sys::has_exited(w_.pid)) return false;
  reap_group();
  return true;
}

bool LocalLink::wait_exit(std::chrono::milliseconds timeout) noexcept {
  if (poll_exit()) return true;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    pollfd p{w_.pidfd.get(), POLLIN, 0};
    const int r = ::poll(&p, 1, static_cast<int>(std::max<long long>(0, left.count())));
    if (r < 0 && errno == EINTR) continue;
    if (poll_exit()) return true;
    if (r == 0) return false;
  }
}

void LocalLink::kill_and_reap() noexcept {
  if (reaped_ || w_.pid <= 0) return;
  signal(SIGKILL);
  reap_group();
}

}  // namespace prun::pool::local
