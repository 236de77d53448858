#include "worker_loop.hpp"

#include "../core/exit_codes.hpp"
#include "../core/protocol.hpp"
#include "../isolation/process_state.hpp"
#include "../isolation/syscall_watch.hpp"
#include "../scope/task_scope.hpp"
#include "../sys/sys.hpp"

#include <prun/logging/detail/standard_streams.hpp>
#include <prun/pool/registry.hpp>

#include <elf.h>
#include <link.h>
#include <poll.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <optional>

namespace prun::pool::local {

namespace {

using core::ExitCode;
using isolation::SyscallWatch;
using protocol::Kind;

[[noreturn]] void leave(ExitCode code) {
  scope::flush_standard_streams();
  ::_exit(static_cast<int>(code));
}

// Publishes each record to the parent at once, into the shared ring: records written just
// before a crash still arrive. A full ring blocks the task, which is the back-pressure we want.
class RingDelivery final : public scope::Delivery {
 public:
  RingDelivery(Ring& ring, int doorbell) : Delivery(false), ring_(ring), doorbell_(doorbell) {}

  /// What handlers a task installed itself (basic_config's StreamHandler, say) write to
  /// descriptors 1 and 2: whole records, which the parent writes to its own stream as they are,
  /// without the prefix of printed lines, as it does at n_jobs = 1 (scope/live_capture).
  static void write_handler_output(void* self, int stream, const char* data, std::size_t size) noexcept {
    auto& d = *static_cast<RingDelivery*>(self);
    std::lock_guard lock(d.ring_mutex_);
    try {
      d.raw_.clear();
      protocol::Output{static_cast<std::uint8_t>(stream), UINT64_MAX, false, std::string_view(data, size)}.encode(d.raw_);
    } catch (...) {
      return;  // out of memory: the record is lost, as a failed write would lose it
    }
    if (!d.ring_.publish(d.raw_, d.doorbell_)) leave(ExitCode::parent_gone);
  }

 protected:
  void deliver(const logging::Record& record) override {
    std::lock_guard lock(ring_mutex_);
    frame_.clear();
    protocol::encode_record(frame_, record);
    if (!ring_.publish(frame_, doorbell_)) leave(ExitCode::parent_gone);
  }

 private:
  Ring& ring_;
  int doorbell_;
  std::mutex ring_mutex_;  // records and handler output may come from several of a task's threads
  std::string frame_, raw_;
};

template <typename Fn>
Fn registered_as(std::string_view name, const char* what) {
  const RegisteredFunction* f = find_function(name);
  if (!f) throw std::runtime_error(std::string("prun: the ") + what + " '" + std::string(name) + "' is not registered in this worker");
  if (*f->signature != typeid(Fn)) throw std::runtime_error(std::string("prun: '") + std::string(name) + "' is not a " + what);
  return reinterpret_cast<Fn>(const_cast<void*>(f->address));
}

class Worker {
 public:
  Worker(const WorkerIo& io, const WorkerRole& role) : io_(io), role_(role), ring_(io.block->ring()), slot_(io.block->slot()) {}

  [[noreturn]] void serve() {
    become_worker();
    protocol::Frame cmd{};
    if (!read_command(0, cmd) || cmd.kind != Kind::setup) leave(ExitCode::ok);
    const protocol::Setup setup = protocol::Setup::decode(cmd.payload);
    greet(setup);
    // From here on a task that makes no system call costs no check and no restoration.
    watched_ = SyscallWatch::enable();
    baseline_.capture();

    if (role_.table) {  // forked for this run: it has the run already
      run_options_ = *role_.options;
      stop_on_error_ = run_options_.on_error == ErrorPolicy::fail_fast;
      runner_.emplace(run_options_, *role_.table, delivery_, role_.level, io_.slot + 1);
    } else {
      table_.tag = [this](std::size_t i) { return std::string(named_.at(i - base_).tag); };
      table_.run = [this](std::size_t i, std::string& result) {
        const std::string_view name = named_.at(i - base_).name;
        const RegisteredFunction* f = last_ && last_->name == name ? last_ : (last_ = find_function(name));
        if (!f || !f->invoke) throw std::runtime_error("prun: '" + std::string(name) + "' is not a registered task in this worker");
        f->invoke(named_.at(i - base_).args, result);
      };
    }
    std::uint64_t taken = 0;
    while (read_command(setup.idle_ms, cmd)) {
      switch (cmd.kind) {
        case Kind::stop:
          leave(ExitCode::ok);
        case Kind::run: {
          const protocol::RunConfig c = protocol::RunConfig::decode(cmd.payload);
          run_options_.prefix = c.prefix;
          run_options_.capture_output = c.capture;
          run_options_.configure_task = nullptr;
          stop_on_error_ = c.stop_on_error;
          if (!c.configure_task.empty())
            run_options_.configure_task = registered_as<void (*)(const TaskContext&)>(c.configure_task, "configure_task hook");
          runner_.emplace(run_options_, table_, delivery_, c.level, io_.slot + 1);
          break;
        }
        case Kind::batch: {
          if (!runner_) throw std::runtime_error("prun: a batch came before the run's options");
          batch_ = protocol::Batch::decode(cmd.payload);  // views into command_, valid until the next read
          base_ = batch_.begin;
          named_ = batch_.named;
          if (!role_.table && named_.size() != batch_.end - batch_.begin)
            throw std::runtime_error("prun: a batch by index came to a worker that runs tasks by name");
          taken += batch_.end - batch_.begin;
          const bool last = setup.max_tasks != 0 && taken >= setup.max_tasks;
          if (last) protocol::Writer(out_).empty(Kind::recycle);  // told first, so no more come
          run_batch(batch_.begin, batch_.end, batch_.attempt);
          if (last) leave(ExitCode::ok);
          break;
        }
        default:
          throw std::runtime_error("prun: unexpected command " + std::to_string(static_cast<int>(cmd.kind)));
      }
    }
    leave(ExitCode::ok);
  }

  [[noreturn]] void fail_fatally() noexcept {
    // Something outside any task failed (out of memory, say): tell the parent, then leave.
    try {
      scope::Outcome o = scope::describe_current_exception();
      out_.clear();
      protocol::encode_fatal(out_, o.type + ": " + o.message);
      ring_.publish(out_, io_.doorbell);
    } catch (...) {
    }
    leave(ExitCode::fatal);
  }

 private:
  // Dies with the parent, leads its own process group (so that what its tasks start can be
  // stopped with it) and drops every handler it inherited.
  void become_worker() {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != io_.parent_pid) ::_exit(static_cast<int>(ExitCode::parent_gone));  // died before the prctl
    ::setpgid(0, 0);
    // SIGTERM and SIGINT are how the parent stops a worker: never the program's own handlers
    // (a forked worker inherited them), which have no business running here.
    for (int sig : {SIGTERM, SIGINT}) ::signal(sig, SIG_DFL);
    // Line-buffered: printed lines reach the parent even if the task crashes afterwards.
    scope::set_stdout_line_buffered(true);
    logging::set_process_name("Worker-" + std::to_string(io_.slot + 1));
    logging::detach_all_handlers();  // inherited handlers never write from here
    delivery_ = std::make_shared<RingDelivery>(ring_, io_.doorbell);
    // With captured streams, handlers a task installs write records, not printed lines.
    if (io_.out_read >= 0) logging::detail::set_standard_stream_writer(&RingDelivery::write_handler_output, delivery_.get());
  }

  // Publishes what `out_` holds. The time of every bell actually rung is kept: the parent
  // looks at the ring again a little after each wake-up, which is what lets later frames go
  // without a bell for a while.
  void publish(Ring::Bell bell = Ring::Bell::if_asleep) {
    if (out_.empty()) return;
    bool rang = false;
    if (!ring_.publish(out_, io_.doorbell, bell, &rang)) leave(ExitCode::parent_gone);
    if (rang) last_bell_ns_ = sys::monotonic_ns();
    out_.clear();
  }

  void greet(const protocol::Setup& setup) {
    if (!role_.build_id.empty() && role_.build_id != own_build_id()) {
      protocol::encode_fatal(out_, "the worker program was built from a different binary (build id " + own_build_id() +
                                       ", the parent's is " + role_.build_id + ")");
      publish();
      leave(ExitCode::refused);
    }
    // The initializer logs as a task would: its records go to the parent's handlers, at the
    // parent's level, with a prefix naming this worker.
    const bool has_initializer = role_.initializer || !setup.initializer.empty();
    std::uint64_t installed = 0;
    auto install = [&] {
      logging::reset_to_pristine(setup.level);
      delivery_->set_task(setup.prefix, "", 0);
      logging::get_logger().set_handlers({delivery_});
      installed = logging::configuration_generation();
    };
    if (has_initializer) install();
    try {
      if (role_.initializer) role_.initializer();
      else if (!setup.initializer.empty()) registered_as<void (*)()>(setup.initializer, "initializer")();
    } catch (...) {
      scope::Outcome o = scope::describe_current_exception();
      scope::flush_standard_streams();
      protocol::encode_init_failed(out_, {o.type, o.message});
      publish();
      leave(ExitCode::refused);
    }
    if (has_initializer) {
      scope::flush_standard_streams();
      if (logging::configuration_generation() != installed) {
        // Python's initializers configure the worker's logging for every later task (the seeds'
        // initPool); here every task starts from a fresh configuration. Say so, once per worker.
        install();
        logging::get_logger("prun").warning(
            "the pool's initializer configured logging (handlers, levels or filters), which no task "
            "will see: every task starts from a fresh configuration; configure tasks with "
            "Options::configure_task or Options::log_level instead");
        scope::flush_standard_streams();
      }
      logging::reset_to_pristine();
    }
    protocol::Hello{static_cast<std::int32_t>(::getpid())}.encode(out_);
    publish();
  }

  // Reads one command; false at end of file or after `idle_ms` without one (0: wait forever).
  bool read_command(std::uint64_t idle_ms, protocol::Frame& cmd) {
    if (idle_ms > 0) {
      pollfd p{io_.ctrl, POLLIN, 0};
      int r;
      do r = ::poll(&p, 1, static_cast<int>(std::min<std::uint64_t>(idle_ms, INT32_MAX)));
      while (r < 0 && errno == EINTR);
      if (r == 0) return false;  // idle for too long: leave; the pool starts another on demand
    }
    char header[protocol::kHeader];
    if (!sys::read_exact(io_.ctrl, header, sizeof header)) return false;
    std::uint32_t size;
    std::memcpy(&size, header, sizeof size);
    command_.resize(size);
    if (!sys::read_exact(io_.ctrl, command_.data(), size)) return false;
    cmd = protocol::Frame{static_cast<Kind>(header[4]), command_};
    return true;
  }

  // Publishes the frames of the last task and the start of the next. The parent is woken for
  // them only if this worker has not woken it within the last millisecond: it looks at the
  // ring again a little after every wake-up, so they wait at most a few milliseconds, and tiny
  // tasks never cost it a wake-up each.
  void publish_progress(std::int64_t now) {
    publish(now - last_bell_ns_ >= 1'000'000 ? Ring::Bell::if_asleep : Ring::Bell::never);
  }

  // At the end of a task that made system calls: takes whatever it printed that the parent has
  // not read yet and tells the parent that the task's output is complete (if it printed).
  void end_output(std::uint64_t i, std::uint64_t reads_at_start) {
    std::string drained[2];
    bool printed;
    {
      std::lock_guard lock(slot_.output_lock);
      pollfd fds[2] = {{io_.out_read, POLLIN, 0}, {io_.err_read, POLLIN, 0}};
      if (::poll(fds, 2, 0) > 0)
        for (int k = 0; k < 2; ++k)
          if (fds[k].revents & POLLIN) sys::read_available(fds[k].fd, drained[k], SIZE_MAX);
      printed = !drained[0].empty() || !drained[1].empty() || slot_.parent_reads.load() != reads_at_start;
    }
    if (!printed) return;
    // Published after the lock is released: a full ring must never hold up the parent's reads.
    scratch_.clear();
    for (std::uint8_t stream = 1; stream <= 2; ++stream)
      protocol::Output{stream, i, true, drained[stream - 1]}.encode(scratch_);
    if (!ring_.publish(scratch_, io_.doorbell)) leave(ExitCode::parent_gone);
  }

  // Runs tasks [begin, end) unless the parent lowered the stop limit; stops at the first failure.
  void run_batch(std::uint64_t begin, std::uint64_t end, std::uint32_t attempt) {
    const bool capture = io_.out_read >= 0;
    for (std::uint64_t i = begin; i < end; ++i) {
      const auto index = static_cast<std::int64_t>(i);
      const std::int64_t t0 = sys::monotonic_ns();
      slot_.current.store(index);
      slot_.started_ns.store(t0);
      slot_.running.store(1);
      // Checked after publishing `current`, so the parent sees either the stop or the task.
      if (index >= slot_.stop_before.load()) {
        slot_.running.store(0);
        break;
      }
      protocol::Started{i, t0}.encode(out_);
      publish_progress(t0);
      std::uint64_t reads_at_start = 0;
      if (capture) {
        std::lock_guard lock(slot_.output_lock);
        slot_.output_task.store(index);
        reads_at_start = slot_.parent_reads.load();
      }
      const std::size_t frame = protocol::Finished::begin(out_, i);
      SyscallWatch::arm();
      scope::Outcome outcome = runner_->run(i, out_, attempt);  // the task, then stdio flushed
      SyscallWatch::disarm();
      const bool touched = SyscallWatch::noticed();
      if (touched) {
        if (capture) end_output(i, reads_at_start);
        baseline_.restore();  // descriptors 0-2, signal mask and dispositions, as before the task
      }
      slot_.running.store(0);
      const std::int64_t t1 = sys::monotonic_ns();
      // Memory grows through system calls (or, rarely, by touching pages mapped earlier):
      // re-read the peak after tasks that made any, or ran long enough to touch much.
      if (touched || t1 - t0 > 50'000 || peak_rss_kib_ == 0) peak_rss_kib_ = sys::peak_rss_kib();
      if (outcome.ok) {
        protocol::Finished::end_ok(out_, frame, t1, peak_rss_kib_);
      } else {
        protocol::Finished::end_error(out_, frame, t1, peak_rss_kib_, {outcome.type, outcome.message});
        if (stop_on_error_) break;
      }
      if (out_.size() >= 64 * 1024) publish_progress(t1);
    }
    protocol::Writer(out_).empty(Kind::batch_done);
    publish(Ring::Bell::if_asleep);
  }

  const WorkerIo& io_;
  const WorkerRole& role_;
  Ring& ring_;
  SlotState& slot_;
  std::shared_ptr<RingDelivery> delivery_;
  bool watched_ = false;
  bool stop_on_error_ = true;
  isolation::ProcessState baseline_;
  Options run_options_;
  TaskTable table_;
  std::optional<scope::TaskRunner> runner_;
  const RegisteredFunction* last_ = nullptr;  // runs of the same function are the rule
  protocol::Batch batch_;
  std::vector<protocol::NamedTask> named_;
  std::uint64_t base_ = 0;
  std::string command_;
  std::string out_, scratch_;
  std::int64_t last_bell_ns_ = 0;
  std::int64_t peak_rss_kib_ = 0;
};

}  // namespace

void serve(const WorkerIo& io, const WorkerRole& role) noexcept {
  std::optional<Worker> worker;
  try {
    worker.emplace(io, role);
    worker->serve();
  } catch (...) {
    if (worker) worker->fail_fatally();
    ::_exit(static_cast<int>(ExitCode::fatal));
  }
}

std::string own_build_id() {
  std::string id;
  ::dl_iterate_phdr(
      [](dl_phdr_info* info, std::size_t, void* data) -> int {
        auto& out = *static_cast<std::string*>(data);
        for (int k = 0; k < info->dlpi_phnum; ++k) {
          const ElfW(Phdr)& ph = info->dlpi_phdr[k];
          if (ph.p_type != PT_NOTE) continue;
          const char* p = reinterpret_cast<const char*>(info->dlpi_addr + ph.p_vaddr);
          const char* end = p + ph.p_memsz;
          while (p + sizeof(ElfW(Nhdr)) <= end) {
            auto* note = reinterpret_cast<const ElfW(Nhdr)*>(p);
            const char* name = p + sizeof(ElfW(Nhdr));
            const char* desc = name + ((note->n_namesz + 3) & ~3u);
            if (note->n_type == NT_GNU_BUILD_ID && note->n_namesz == 4 && std::memcmp(name, "GNU", 4) == 0) {
              for (unsigned i = 0; i < note->n_descsz; ++i) out += fmt::format("{:02x}", static_cast<unsigned char>(desc[i]));
              return 1;  // the first object is the program itself
            }
            p = desc + ((note->n_descsz + 3) & ~3u);
          }
        }
        return 1;
      },
      &id);
  return id;
}

}  // namespace prun::pool::local
