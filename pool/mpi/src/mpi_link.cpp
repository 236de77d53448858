#include "mpi_link.hpp"

#include "../../src/sys/sys.hpp"

#include <prun/logging/handler.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <algorithm>
#include <chrono>

namespace prun::mpi::detail {

namespace asio = boost::asio;
using pool::protocol::Frame;
using pool::protocol::Kind;

namespace {
constexpr std::chrono::microseconds kFirstPause{20};
constexpr std::chrono::microseconds kRecentPause{100};  // the longest for 5 ms after a message
constexpr std::chrono::microseconds kLongestPause{1000};
constexpr std::int64_t kRecentNs = 5'000'000;
}  // namespace

struct MpiLink::Asio {
  asio::io_context& ctx;
  asio::steady_timer timer;
  std::chrono::microseconds pause = kFirstPause;
  std::int64_t last_message_ns = 0;
  explicit Asio(asio::io_context& c) : ctx(c), timer(c) {}
};

MpiLink::MpiLink(int slot, int rank, Sender& sender, std::string_view run_frame)
    : Link(slot), rank_(rank), sender_(sender) {
  std::string frames;
  pool::protocol::encode_stop_before(frames, UINT64_MAX);  // a fresh run: no limit
  frames.append(run_frame);
  sender_.send(rank_, kTagCommands, std::move(frames));
}

MpiLink::~MpiLink() { detach(); }

int MpiLink::pid() const noexcept {
  const World& w = world();
  return rank_ < static_cast<int>(w.peers.size()) ? w.peers[static_cast<std::size_t>(rank_)].pid : 0;
}

std::string MpiLink::name() const {
  const World& w = world();
  return rank_ < static_cast<int>(w.peers.size()) ? w.peers[static_cast<std::size_t>(rank_)].name : rank_name(rank_);
}

void MpiLink::attach(asio::io_context& ctx, pool::core::LinkEvents& events) {
  detach();
  events_ = &events;
  ++generation_;
  asio_ = std::make_unique<Asio>(ctx);
  schedule(true);
}

void MpiLink::detach() noexcept {
  ++generation_;
  asio_.reset();
  events_ = nullptr;
  exit_posted_ = false;
}

bool MpiLink::send(std::string_view frames) noexcept {
  if (gone_) return false;
  try {
    pool::protocol::split_frames(frames, [&](const Frame& f) {
      if (f.kind == Kind::batch) ++outstanding_;
    });
    sender_.send(rank_, kTagCommands, std::string(frames));
    return true;
  } catch (...) {
    return false;
  }
}

void MpiLink::set_stop_before(std::size_t index) noexcept {
  if (gone_) return;
  try {
    std::string frame;
    pool::protocol::encode_stop_before(frame, index);
    sender_.send(rank_, kTagCommands, std::move(frame));
  } catch (...) {
    // Without memory for a message the rank runs its batch to the end; the run stays correct.
  }
}

std::optional<pool::core::Running> MpiLink::running() const noexcept { return running_; }

void MpiLink::signal(int sig) noexcept {
  if (gone_ || signalled_) return;
  signalled_ = sig;
  set_stop_before(0);
  if (outstanding_ == 0 && asio_ && !exit_posted_) {
    // Idle: gone now, told from the loop (never from inside the driver's own call).
    exit_posted_ = true;
    const auto gen = generation_;
    try {
      asio::post(asio_->ctx, [this, gen] {
        if (gen == generation_ && !gone_) leave();
      });
    } catch (...) {
    }
  }
}

void MpiLink::poll() {
  const auto gen = generation_;
  bool busy = false;
  // A bounded number of messages per turn, so that other links and timers get their turn.
  for (int k = 0; k < 16 && !gone_; ++k) {
    if (!receive(rank_, kTagEvents, message_)) break;
    busy = true;
    on_message();
    if (gen != generation_) return;  // detached meanwhile (it left, or the run ended)
  }
  sender_.progress();
  if (!gone_) schedule(busy);
}

void MpiLink::schedule(bool busy) {
  const auto gen = generation_;
  const std::int64_t now = pool::sys::monotonic_ns();
  if (busy) {
    asio_->last_message_ns = now;
    asio_->pause = kFirstPause;
    asio::post(asio_->ctx, [this, gen] {
      if (gen == generation_) poll();
    });
    return;
  }
  asio_->timer.expires_after(asio_->pause);
  asio_->pause = std::min(asio_->pause * 2, now - asio_->last_message_ns < kRecentNs ? kRecentPause : kLongestPause);
  asio_->timer.async_wait([this, gen](const boost::system::error_code& ec) {
    if (!ec && gen == generation_) poll();
  });
}

void MpiLink::on_message() {
  logging::BatchScope batch;  // records of one message: one write per handler
  const auto gen = generation_;
  pool::protocol::split_frames(message_, [&](const Frame& f) {
    if (gen != generation_ || gone_) return;
    on_frame(f);
  });
}

void MpiLink::on_frame(const Frame& f) {
  using pool::protocol::decode_record;
  switch (f.kind) {
    case Kind::record:
      decode_record(f.payload, cache_, scratch_);
      if (events_) events_->on_record(*this, scratch_);
      break;
    case Kind::output: {
      const auto o = pool::protocol::Output::decode(f.payload);
      if (events_) events_->on_output(*this, o.stream, static_cast<std::size_t>(o.task), o.bytes, o.last);
      break;
    }
    case Kind::started: {
      const auto s = pool::protocol::Started::decode(f.payload);
      running_ = pool::core::Running{static_cast<std::size_t>(s.index), s.t_ns};
      if (events_ && !signalled_) events_->on_started(*this, s);
      break;
    }
    case Kind::finished: {
      running_.reset();
      // Stopped: its result no longer counts (as a killed worker's would never come).
      if (events_ && !signalled_) events_->on_finished(*this, pool::protocol::Finished::decode(f.payload));
      break;
    }
    case Kind::batch_done:
      running_.reset();
      if (outstanding_ > 0) --outstanding_;
      if (signalled_ || !fatal_.empty()) {
        if (outstanding_ == 0 && events_) leave();
      } else if (events_) {
        events_->on_batch_done(*this);
      }
      break;
    case Kind::fatal:
      // The rank's serve loop failed outside any task: this link is over; the rank ends the
      // batches it holds without running them, and serves later runs.
      fatal_ = std::string(pool::protocol::decode_fatal(f.payload));
      if (fatal_.empty()) fatal_ = "failure outside any task";
      if (outstanding_ == 0 && events_) leave();
      break;
    default:
      throw pool::protocol::ProtocolError("prun: a worker rank sent a message of unknown kind " +
                                          std::to_string(static_cast<int>(f.kind)));
  }
}

// The driver hears that this worker is gone: stopped by it (signal), or failed (fatal).
void MpiLink::leave() {
  gone_ = true;
  pool::core::WorkerExit exit;
  exit.status = signalled_;  // as waitpid would report a death by that signal
  exit.fatal = fatal_;
  exit.running = running_ ? std::optional<std::size_t>(running_->index) : std::nullopt;
  running_.reset();
  if (events_) events_->on_exit(*this, exit);
}

void MpiLink::quiesce() {
  if (outstanding_ == 0) return;
  set_stop_before(0);
  while (outstanding_ > 0) {
    receive(rank_, kTagEvents, message_, /*wait=*/true);
    pool::protocol::split_frames(message_, [&](const Frame& f) {
      if (f.kind == Kind::batch_done && outstanding_ > 0) --outstanding_;
    });
    sender_.progress();
  }
}

}  // namespace prun::mpi::detail
