#include "worker_set.hpp"

#include "../core/prefix.hpp"
#include "../scope/parent_streams.hpp"
#include "../sys/sys.hpp"

#include <prun/pool/errors.hpp>

#include <prun/logging/handler.hpp>

#include <poll.h>
#include <sys/wait.h>

#include <fmt/format.h>

#include <algorithm>
#include <csignal>
#include <exception>

namespace prun::pool::local {

WorkerSet::WorkerSet(int size, std::unique_ptr<Launcher> launcher, WorkerSetConfig config)
    : launcher_(std::move(launcher)), config_(std::move(config)), slots_(static_cast<std::size_t>(size)) {}

WorkerSet::~WorkerSet() { stop_all(); }

void WorkerSet::send_setup(LocalLink& link) {
  protocol::Setup setup;
  setup.initializer = config_.initializer;
  setup.idle_ms = static_cast<std::uint64_t>(config_.idle_timeout.count());
  setup.max_tasks = config_.max_tasks_per_child;
  setup.level = level_;
  setup.prefix = core::expand_prefix(prefix_, link.name(), static_cast<std::size_t>(link.slot()));
  std::string frame;
  setup.encode(frame);
  link.send(frame);
}

std::vector<LocalLink*> WorkerSet::start(const std::vector<int>& which) {
  // Every process first, then every greeting: the starts overlap.
  std::vector<LocalLink*> started;
  std::exception_ptr error;
  for (int slot : which) {
    try {
      // A forked worker must not keep the other workers' descriptors (it would hold their
      // pipes open), whatever else of the caller's it keeps.
      std::vector<int> others;
      for (const auto& s : slots_)
        if (s) s->append_fds(others);
      for (const auto& s : retired_) s->append_fds(others);
      auto link = std::make_unique<LocalLink>(launcher_->launch(slot, config_.pipe_output, others));
      send_setup(*link);
      started.push_back(link.get());
      slots_[static_cast<std::size_t>(slot)] = std::move(link);
    } catch (...) {
      if (!error) error = std::current_exception();
    }
  }
  if (config_.greet) {
    try {
      greet(started);
    } catch (...) {
      if (!error) error = std::current_exception();
    }
  }
  if (error) std::rethrow_exception(error);
  return started;
}

// Waits for each new worker's hello: its initializer ran and it is the program we are. A worker
// that fails is reaped and its slot emptied; the first failure is thrown once all are settled.
void WorkerSet::greet(std::vector<LocalLink*>& links) {
  const auto deadline = std::chrono::steady_clock::now() + config_.startup_timeout;
  struct Pending {
    LocalLink* link;
    bool hello = false, failed = false;
    std::string fatal, type, message;
  };
  std::vector<Pending> pending;
  for (LocalLink* l : links) pending.push_back({l});
  std::exception_ptr error;
  auto fail = [&](Pending& p, std::exception_ptr e) {
    if (!error) error = std::move(e);
    slots_[static_cast<std::size_t>(p.link->slot())].reset();  // kills and reaps it if needed
    p.link = nullptr;
  };
  protocol::InternCache cache;
  logging::Record record;
  auto read_frames = [&](Pending& p) {
    scope::RoutingGuard routing;
    logging::BatchScope batch;
    p.link->block().ring().drain(
        [&](const protocol::Frame& f) {
          if (f.kind == protocol::Kind::record) {  // the initializer's: to the parent's handlers
            protocol::decode_record(f.payload, cache, record);
            scope::route_to_parent(logging::get_logger(record.name), record);
          }
          if (f.kind == protocol::Kind::output) {  // what handlers the initializer installed wrote
            const protocol::Output o = protocol::Output::decode(f.payload);
            scope::write_parent_stream(o.stream, o.bytes);
          }
          if (f.kind == protocol::Kind::hello) p.hello = true;
          if (f.kind == protocol::Kind::fatal) p.fatal = std::string(protocol::decode_fatal(f.payload));
          if (f.kind == protocol::Kind::init_failed) {
            const protocol::Failure e = protocol::decode_init_failed(f.payload);
            p.failed = true;
            p.type = std::string(e.type);
            p.message = std::string(e.message);
          }
        },
        SIZE_MAX);
  };
  for (;;) {
    std::vector<pollfd> fds;
    std::vector<Pending*> waiting;
    for (Pending& p : pending) {
      if (!p.link || p.hello) continue;
      read_frames(p);
      if (p.failed || !p.fatal.empty()) {
        p.link->wait_exit(config_.stop_grace);  // it leaves by itself
        const int pid = p.link->pid();
        fail(p, p.failed ? std::make_exception_ptr(InitializerFailed(pid, p.type, p.message))
                         : std::make_exception_ptr(WorkerStartError(launcher_->program(), p.fatal)));
        continue;
      }
      if (p.hello) continue;
      if (!p.link->block().ring().prepare_to_sleep()) {  // frames came meanwhile: look again
        read_frames(p);
        if (p.hello) continue;
      }
      fds.push_back({p.link->doorbell_fd(), POLLIN, 0});
      fds.push_back({p.link->pidfd(), POLLIN, 0});
      waiting.push_back(&p);
    }
    if (waiting.empty()) break;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    const int r = ::poll(fds.data(), fds.size(), static_cast<int>(std::max<long long>(0, left.count())));
    if (r < 0 && errno == EINTR) continue;
    if (r == 0) {
      for (Pending* p : waiting)
        fail(*p, std::make_exception_ptr(WorkerStartError(
                     launcher_->program(), fmt::format("it did not answer within {} ms", config_.startup_timeout.count()))));
      break;
    }
    for (std::size_t k = 0; k < waiting.size(); ++k) {
      Pending& p = *waiting[k];
      if (fds[2 * k].revents & POLLIN) {
        char buf[64];
        (void)!::read(fds[2 * k].fd, buf, sizeof buf);
      }
      if (!(fds[2 * k + 1].revents & POLLIN)) continue;
      read_frames(p);  // it died: what did it say first?
      if (p.hello) continue;  // it answered, then left: its exit is the run's business
      p.link->wait_exit(std::chrono::milliseconds(0));
      p.link->poll_exit();
      const int status = p.link->status();
      const int pid = p.link->pid();
      std::exception_ptr e;
      if (p.failed) e = std::make_exception_ptr(InitializerFailed(pid, p.type, p.message));
      else if (!p.fatal.empty()) e = std::make_exception_ptr(WorkerStartError(launcher_->program(), p.fatal));
      else
        e = std::make_exception_ptr(WorkerStartError(
            launcher_->program(),
            WIFSIGNALED(status) ? fmt::format("it was killed by signal {} before answering", WTERMSIG(status))
                                : fmt::format("it exited with status {} before answering (does its main() call "
                                              "prun::init(argc, argv) first?)",
                                              WEXITSTATUS(status))));
      fail(p, e);
    }
  }
  std::erase_if(links, [&](LocalLink* l) {
    return std::none_of(pending.begin(), pending.end(), [&](const Pending& p) { return p.link == l; });
  });
  if (error) std::rethrow_exception(error);
}

std::vector<core::Link*> WorkerSet::prepare(int n, std::string_view run_frame, std::string_view prefix, int level) {
  refresh();
  run_frame_ = std::string(run_frame);
  prefix_ = std::string(prefix);
  level_ = level;
  std::vector<int> missing;
  for (int k = 0; k < n; ++k)
    if (!slots_[static_cast<std::size_t>(k)]) missing.push_back(k);
  if (!missing.empty()) start(missing);
  std::vector<core::Link*> links;
  for (int k = 0; k < n; ++k) {
    LocalLink& l = *slots_[static_cast<std::size_t>(k)];
    l.prepare_run();
    if (!run_frame_.empty()) l.send(run_frame_);
    links.push_back(&l);
  }
  in_run_ = true;
  return links;
}

core::Link& WorkerSet::replace(int slot) {
  auto& current = slots_[static_cast<std::size_t>(slot)];
  if (current) retired_.push_back(std::move(current));  // the driver may still hold it
  start({slot});
  LocalLink& l = *slots_[static_cast<std::size_t>(slot)];
  l.prepare_run();
  if (!run_frame_.empty()) l.send(run_frame_);
  return l;
}

void WorkerSet::end_run() {
  in_run_ = false;
  retired_.clear();
  run_frame_.clear();
  for (auto& s : slots_)
    if (s && s->exited()) s.reset();
}

void WorkerSet::refresh() {
  for (auto& s : slots_) {
    if (!s) continue;
    // A worker that announced it leaves (recycled) is waited for rather than given work.
    if (s->expecting_exit()) s->wait_exit(config_.stop_grace);
    if (s->poll_exit()) s.reset();
  }
}

void WorkerSet::stop_all() noexcept {
  // Between runs every worker waits for a command: asked to stop, it leaves at once. Signals
  // are for one that does not (SIGKILL after stop_grace): a forked worker may have inherited
  // the program's own SIGTERM handler, which has no business running here.
  std::string stop;
  protocol::Writer(stop).empty(protocol::Kind::stop);
  for (auto& s : slots_)
    if (s && !s->exited()) {
      s->expect_exit();
      s->send(stop);
    }
  const auto deadline = std::chrono::steady_clock::now() + config_.stop_grace;
  for (auto& s : slots_) {
    if (!s) continue;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (!s->wait_exit(std::max(left, std::chrono::milliseconds(0)))) s->kill_and_reap();
    s.reset();
  }
  retired_.clear();
}

std::vector<int> WorkerSet::pids() {
  refresh();
  std::vector<int> out;
  for (auto& s : slots_)
    if (s) out.push_back(s->pid());
  return out;
}

}  // namespace prun::pool::local
