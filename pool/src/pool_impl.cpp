// Pool: workers that outlive one run, started by fork or by re-executing the program.
#include <prun/pool/pool.hpp>
#include <prun/pool/registry.hpp>

#include "channels.hpp"
#include "driver.hpp"
#include "spawn.hpp"
#include "worker.hpp"

#include <prun/logging/logger.hpp>

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <system_error>

namespace prun::pool {

WorkerStartError::WorkerStartError(std::string program, std::string cause)
    : std::runtime_error("prun: cannot start a worker from '" + program + "': " + cause),
      program_(std::move(program)), cause_(std::move(cause)) {}

InitializerFailed::InitializerFailed(int pid, std::string type, std::string message)
    : std::runtime_error(fmt::format("prun: the pool's initializer failed in worker {}: {}: {}", pid, type, message)),
      pid_(pid), type_(std::move(type)), message_(std::move(message)) {}

namespace detail {
namespace {

bool g_init_called = false;
constexpr const char* kWorkerFlag = "--prun-worker";

[[noreturn]] void throw_errno(const char* what) {
  throw std::system_error(errno, std::generic_category(), std::string("prun: ") + what);
}

// The address of a registered plain function held by `fn`, or its registered name.
template <typename Fn, typename Function>
std::string registered_name(const Function& fn, const char* what) {
  if (!fn) return {};
  const Fn* target = fn.template target<Fn>();
  const RegisteredFunction* f = target ? find_function(reinterpret_cast<const void*>(*target)) : nullptr;
  if (!f)
    throw std::invalid_argument(std::string("prun: the ") + what +
                                " must be a registered function (PRUN_REGISTER_TASK) to run in a spawned or "
                                "pooled worker; a lambda with captures only exists in this process");
  return f->name;
}

}  // namespace
}  // namespace detail

void init(int argc, char** argv) {
  detail::g_init_called = true;
  if (argc < 5 || std::strcmp(argv[1], detail::kWorkerFlag) != 0) return;
  // argv: --prun-worker <slot> <parent pid> <build id>; descriptors 3..7 were put in place.
  detail::ServeSetup setup;
  detail::WorkerSetup& io = setup.io;
  io.slot = std::atoi(argv[2]);
  io.parent_pid = std::atoi(argv[3]);
  setup.build_id = argv[4];
  io.ctrl_fd = 3;
  io.data_fd = 4;
  static std::unique_ptr<detail::SharedBlock> block = detail::SharedBlock::attach(5);
  io.block = block.get();
  io.out_read_fd = 6;
  io.err_read_fd = 7;
  detail::serve(setup);  // never returns
}

struct Pool::Impl {
  struct Slot {
    std::unique_ptr<detail::WorkerLink> link = std::make_unique<detail::WorkerLink>();
    std::unique_ptr<detail::SharedBlock> block;
    bool alive = false;
  };
  // Links and blocks of workers replaced during a run: the run's driver may still hold them.
  std::vector<std::unique_ptr<detail::WorkerLink>> retired_links;
  std::vector<std::unique_ptr<detail::SharedBlock>> retired_blocks;
  bool running = false;

  PoolOptions opts;
  int n;
  std::vector<Slot> slots;
  std::string program;
  std::string build_id;
  std::string initializer_name;  // spawn
  std::string run_frame;         // the current run's options, for workers started mid-run

  explicit Impl(PoolOptions o) : opts(std::move(o)), n(resolve_n_jobs(opts.n_jobs)), slots(static_cast<std::size_t>(n)) {
    if (opts.backend == Backend::sequential) throw std::invalid_argument("prun: a Pool needs Backend::fork or Backend::spawn");
    if (opts.backend == Backend::spawn) {
      program = opts.program.empty() ? "/proc/self/exe" : opts.program;
      if (opts.program.empty() && !detail::g_init_called)
        throw std::logic_error(
            "prun: Backend::spawn re-executes this program as a worker; call prun::init(argc, argv) first "
            "thing in main() so that a worker does not run your main() instead");
      build_id = detail::own_build_id();
      initializer_name = detail::registered_name<void (*)()>(opts.initializer, "initializer");
    }
  }

  ~Impl() { stop_all(); }

  // Workers that left between runs (idle timeout, killed from outside) are reaped here, and a
  // worker that announced it is leaving (recycled) is waited for rather than given work.
  void refresh() {
    for (Slot& s : slots) {
      if (!s.alive) continue;
      if (s.link->expected_exit && !s.link->reaped) {
        ::waitpid(s.link->pid, &s.link->status, 0);
        s.link->reaped = true;
      }
      if (s.link->reaped || ::waitpid(s.link->pid, &s.link->status, WNOHANG) == s.link->pid) {
        s.link->reaped = true;
        close_slot(s);
      }
    }
  }

  void close_slot(Slot& s) {
    for (int* fd : {&s.link->pidfd, &s.link->ctrl, &s.link->doorbell, &s.link->out, &s.link->err})
      if (*fd >= 0) {
        ::close(*fd);
        *fd = -1;
      }
    s.block.reset();
    s.alive = false;
  }

  detail::WorkerLink* start(int index) {
    Slot& s = slots[static_cast<std::size_t>(index)];
    if (s.alive) {
      if (!s.link->reaped) ::waitpid(s.link->pid, nullptr, 0);
      close_slot(s);
    }
    if (running) {  // the old link stays valid (and unused) until the run ends
      retired_links.push_back(std::move(s.link));
      retired_blocks.push_back(std::move(s.block));
    }
    s.link = std::make_unique<detail::WorkerLink>();
    s.block = detail::SharedBlock::create();
    // Pool workers always send their output through the parent: a run without capture only
    // passes it on unchanged.
    detail::Channels ch = detail::Channels::open(true);
    detail::ServeSetup setup;
    ch.hand_out(index, *s.block, *s.link, setup.io);
    s.alive = true;
    try {
      if (opts.backend == Backend::fork) {
        setup.io.close_all_others = true;  // the shared block stays mapped; its fd is not needed
        setup.initializer = opts.initializer;
        detail::flush_standard_streams();
        pid_t pid = ::fork();
        if (pid == 0) detail::serve(setup);  // never returns
        if (pid < 0) throw_errno_("fork");
        s.link->pid = pid;
      } else {
        s.link->pid = detail::spawn_program(
            program, {detail::kWorkerFlag, std::to_string(index), std::to_string(::getpid()), build_id}, ch.out[1],
            ch.err[1], {{ch.ctrl[1], 3}, {ch.bell[1], 4}, {s.block->fd(), 5}, {ch.out[0], 6}, {ch.err[0], 7}});
      }
    } catch (...) {
      ch.close_worker_ends();
      s.link->pid = -1;
      close_slot(s);
      throw;
    }
    ch.close_worker_ends();
    s.link->pidfd = static_cast<int>(::syscall(SYS_pidfd_open, s.link->pid, 0));
    if (s.link->pidfd < 0) throw_errno_("pidfd_open");
    handshake(s);
    if (!run_frame.empty()) send(s, run_frame);
    return s.link.get();
  }

  static void throw_errno_(const char* what) { detail::throw_errno(what); }

  void send(Slot& s, std::string_view bytes) {
    while (!bytes.empty()) {
      ssize_t n = ::send(s.link->ctrl, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return;  // gone; its pidfd will say so
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
  }

  // Sends the setup and waits for the worker's hello: its initializer ran and it is ready.
  void handshake(Slot& s) {
    std::string msg;
    detail::Writer w(msg);
    std::size_t start = w.begin_frame(static_cast<detail::Frame>(detail::Control::setup));
    w.str(initializer_name);
    w.pod(static_cast<std::uint64_t>(opts.idle_timeout.count()));
    w.pod(static_cast<std::uint64_t>(opts.max_tasks_per_child));
    w.end_frame(start);
    send(s, msg);

    const auto deadline = std::chrono::steady_clock::now() + opts.startup_timeout;
    std::string fatal, init_type, init_message;
    bool hello = false, failed = false;
    for (;;) {
      s.block->ring().drain(
          [&](detail::Frame kind, std::string_view payload) {
            detail::Reader rd(payload);
            if (kind == detail::Frame::hello) hello = true;
            if (kind == detail::Frame::fatal) fatal = std::string(rd.str());
            if (kind == detail::Frame::init_failed) {
              failed = true;
              init_type = std::string(rd.str());
              init_message = std::string(rd.str());
            }
          },
          SIZE_MAX);
      if (hello) break;
      if (failed || !fatal.empty()) break;
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      pollfd p[2] = {{s.link->doorbell, POLLIN, 0}, {s.link->pidfd, POLLIN, 0}};
      if (!s.block->ring().prepare_to_sleep()) continue;
      int r = ::poll(p, 2, static_cast<int>(std::max<long>(0, left.count())));
      if (r < 0 && errno == EINTR) continue;
      if (p[0].revents & POLLIN) {
        char buf[64];
        (void)!::read(s.link->doorbell, buf, sizeof buf);
        continue;
      }
      if (p[1].revents & POLLIN) {  // it died before answering
        s.block->ring().drain([&](detail::Frame kind, std::string_view payload) {
          detail::Reader rd(payload);
          if (kind == detail::Frame::fatal) fatal = std::string(rd.str());
          if (kind == detail::Frame::init_failed) {
            failed = true;
            init_type = std::string(rd.str());
            init_message = std::string(rd.str());
          }
        }, SIZE_MAX);
        int status = 0;
        ::waitpid(s.link->pid, &status, 0);
        s.link->reaped = true;
        const int pid = s.link->pid;
        close_slot(s);
        if (failed) throw InitializerFailed(pid, init_type, init_message);
        if (!fatal.empty()) throw WorkerStartError(worker_program(), fatal);
        throw WorkerStartError(worker_program(),
                               WIFSIGNALED(status) ? fmt::format("it was killed by signal {} before answering", WTERMSIG(status))
                                                   : fmt::format("it exited with status {} before answering (does its "
                                                                 "main() call prun::init(argc, argv) first?)",
                                                                 WEXITSTATUS(status)));
      }
      if (r == 0) {
        ::kill(s.link->pid, SIGKILL);
        ::waitpid(s.link->pid, nullptr, 0);
        s.link->reaped = true;
        close_slot(s);
        throw WorkerStartError(worker_program(), fmt::format("it did not answer within {} ms", opts.startup_timeout.count()));
      }
    }
    if (hello) return;
    // It reported a failure and is leaving.
    ::waitpid(s.link->pid, nullptr, 0);
    s.link->reaped = true;
    const int pid = s.link->pid;
    close_slot(s);
    if (failed) throw InitializerFailed(pid, init_type, init_message);
    throw WorkerStartError(worker_program(), fatal);
  }

  std::string worker_program() const { return opts.backend == Backend::spawn ? program : std::string("(fork)"); }

  void stop_all() {
    for (Slot& s : slots)
      if (s.alive && !s.link->reaped) {
        std::string msg;
        detail::Writer w(msg);
        w.end_frame(w.begin_frame(static_cast<detail::Frame>(detail::Control::stop)));
        send(s, msg);
        ::kill(s.link->pid, SIGTERM);
      }
    const auto deadline = std::chrono::steady_clock::now() + opts.stop_grace;
    for (Slot& s : slots) {
      if (!s.alive) continue;
      if (!s.link->reaped) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        pollfd p{s.link->pidfd, POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(std::max<long>(0, left.count()))) != 1) ::kill(s.link->pid, SIGKILL);
        ::waitpid(s.link->pid, nullptr, 0);
        s.link->reaped = true;
      }
      close_slot(s);
    }
  }

  void run(const Options& options, const TaskTable& table) {
    if (table.size == 0) return;
    detail::check_prefix(options.prefix);
    // Everything that could refuse a task does so before any worker starts.
    if (!table.remote) throw std::invalid_argument("prun: these tasks cannot be sent by name");
    std::vector<RemoteTask> remote;
    remote.reserve(table.size);
    for (std::size_t i = 0; i < table.size; ++i) remote.push_back(table.remote(i));
    const std::string hook = detail::registered_name<void (*)(const TaskContext&)>(options.configure_task, "configure_task hook");
    const int level = options.log_level.value_or(logging::get_logger().effective_level());

    run_frame.clear();
    detail::Writer w(run_frame);
    const std::size_t frame = w.begin_frame(static_cast<detail::Frame>(detail::Control::run));
    w.str(options.prefix);
    w.pod(static_cast<std::int32_t>(level));
    w.pod(static_cast<std::uint8_t>(options.capture_output));
    w.str(hook);
    w.end_frame(frame);

    refresh();
    const int active = static_cast<int>(std::min<std::size_t>(slots.size(), table.size));
    std::vector<detail::WorkerLink*> links;
    for (int k = 0; k < active; ++k) {
      Slot& s = slots[static_cast<std::size_t>(k)];
      if (!s.alive) start(k);  // sends the run frame too
      else send(s, run_frame);
      links.push_back(s.link.get());
    }
    detail::DriverConfig config;
    config.dispatch = detail::Dispatch::by_name;
    config.remote = &remote;
    config.persistent = true;
    config.max_tasks_per_worker = opts.max_tasks_per_child;
    config.replace = [this](int slot) { return this->start(slot); };
    struct Cleanup {
      Impl& impl;
      ~Cleanup() {
        impl.running = false;
        impl.retired_links.clear();
        impl.retired_blocks.clear();
        impl.run_frame.clear();
        // Workers that died or were killed during the run are gone for good.
        for (Slot& s : impl.slots)
          if (s.alive && s.link->reaped) impl.close_slot(s);
      }
    } cleanup{*this};
    running = true;
    detail::flush_standard_streams();
    detail::drive(options, table, level, links, config);
  }
};

Pool::Pool(PoolOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}
Pool::~Pool() = default;
const PoolOptions& Pool::options() const noexcept { return impl_->opts; }
int Pool::size() const noexcept { return impl_->n; }

std::vector<int> Pool::worker_pids() const {
  impl_->refresh();
  std::vector<int> pids;
  for (const auto& s : impl_->slots)
    if (s.alive) pids.push_back(s.link->pid);
  return pids;
}

void Pool::run(const Options& options, const TaskTable& table) { impl_->run(options, table); }
void Pool::shutdown() { impl_->stop_all(); }

}  // namespace prun::pool
