#include "worker.hpp"

#include "task_scope.hpp"
#include "wire.hpp"

#include <prun/pool/registry.hpp>

#include <elf.h>
#include <link.h>
#include <poll.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <mutex>

namespace prun::pool::detail {

namespace {

// Publishes each record to the parent at once, into the shared ring: records written just
// before a crash still arrive. A full ring blocks the task, which is the back-pressure we want.
class RingDelivery final : public Delivery {
 public:
  RingDelivery(Ring& ring, int doorbell) : Delivery(false), ring_(ring), doorbell_(doorbell) {}

 protected:
  void deliver(const logging::Record& record) override {
    frame_.clear();
    Writer w(frame_);
    std::size_t start = w.begin_frame(Frame::record);
    w.pod(static_cast<std::uint64_t>(record.task_index));
    encode_record(w, record);
    w.end_frame(start);
    if (!ring_.publish(frame_, doorbell_)) ::_exit(70);  // the parent is gone
  }

 private:
  Ring& ring_;
  int doorbell_;
  std::string frame_;
};

bool read_exact(int fd, void* buf, std::size_t size) {
  auto* p = static_cast<char*>(buf);
  while (size > 0) {
    ssize_t n = ::read(fd, p, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    p += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

// Reads everything `fd` holds now (it is non-blocking: the parent's end set O_NONBLOCK on the
// shared open file description).
void drain_fd(int fd, std::string& into) {
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n > 0) {
      into.append(buf, static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    return;
  }
}

[[noreturn]] void leave(int status) {
  flush_standard_streams();
  ::_exit(status);
}

void publish(const WorkerSetup& s, std::string_view frames) {
  if (!s.block->ring().publish(frames, s.data_fd)) leave(70);  // the parent is gone
}

// At the end of task `i`: takes whatever the task printed that the parent has not read yet and
// tells the parent the task's output is complete (only if the task printed anything at all).
void end_output(const WorkerSetup& s, std::uint64_t i, std::uint64_t reads_at_start, std::string& scratch) {
  SlotState& slot = s.block->slot();
  std::string drained[2];
  bool printed;
  {
    std::lock_guard lock(slot.output_lock);
    pollfd fds[2] = {{s.out_read_fd, POLLIN, 0}, {s.err_read_fd, POLLIN, 0}};
    if (::poll(fds, 2, 0) > 0)
      for (int k = 0; k < 2; ++k)
        if (fds[k].revents & POLLIN) drain_fd(fds[k].fd, drained[k]);
    printed = !drained[0].empty() || !drained[1].empty() || slot.parent_reads.load() != reads_at_start;
  }
  if (!printed) return;
  // Published after the lock is released: a full ring must never hold up the parent's reads.
  scratch.clear();
  Writer w(scratch);
  for (std::uint8_t stream = 1; stream <= 2; ++stream) {
    std::size_t start = w.begin_frame(Frame::output);
    w.pod(stream);
    w.pod(i);
    scratch.append(drained[stream - 1]);
    w.end_frame(start);
  }
  publish(s, scratch);
}

// Runs tasks [begin, end) unless the parent lowered the stop limit; publishes their results
// (batched), errors, output and finally batch_done. Returns false if a task failed.
bool run_batch(const WorkerSetup& s, TaskRunner& runner, bool capture, std::uint64_t begin, std::uint64_t end,
               std::string& out, std::string& scratch) {
  SlotState& slot = s.block->slot();
  Writer w(out);
  bool ok = true;
  for (std::uint64_t i = begin; i < end; ++i) {
    const auto index = static_cast<std::int64_t>(i);
    slot.current.store(index);
    slot.running.store(1);
    // Checked after publishing `current`, so the parent sees either the stop or the task.
    if (index >= slot.stop_before.load()) {
      slot.running.store(0);
      break;
    }
    std::uint64_t reads_at_start = 0;
    if (capture) {
      std::lock_guard lock(slot.output_lock);
      slot.output_task.store(index);
      reads_at_start = slot.parent_reads.load();
    }
    std::size_t start = w.begin_frame(Frame::result);
    w.pod(i);
    Outcome outcome = runner.run(i, out);  // flushes stdio at the end
    if (capture) end_output(s, i, reads_at_start, scratch);
    slot.running.store(0);
    if (outcome.ok) {
      w.end_frame(start);
    } else {
      out.resize(start);
      std::size_t e = w.begin_frame(Frame::error);
      w.pod(i);
      w.str(outcome.type);
      w.str(outcome.message);
      w.end_frame(e);
      ok = false;
      break;
    }
    if (out.size() >= 64 * 1024) {
      publish(s, out);
      out.clear();
    }
  }
  w.end_frame(w.begin_frame(Frame::batch_done));
  publish(s, out);
  out.clear();
  return ok;
}

// What every worker does first: die with the parent, keep only its own descriptors, make the
// captured streams its stdout and stderr, and drop the handlers it inherited.
void become_worker(const WorkerSetup& s) {
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != s.parent_pid) ::_exit(1);  // the parent died before the prctl
  for (int fd : s.close_fds) ::close(fd);
  if (s.close_all_others) {
    // A pool's forked worker runs registered tasks only and may be forked while the parent's
    // event loop exists: it keeps nothing of the parent's but what it needs.
    std::vector<int> keep{0, 1, 2, s.ctrl_fd, s.data_fd, s.out_fd, s.err_fd, s.out_read_fd, s.err_read_fd};
    std::erase(keep, -1);
    std::sort(keep.begin(), keep.end());
    unsigned next = 0;
    for (int fd : keep) {
      if (static_cast<unsigned>(fd) > next) ::close_range(next, static_cast<unsigned>(fd) - 1, 0);
      next = static_cast<unsigned>(fd) + 1;
    }
    ::close_range(next, ~0u, 0);
  }
  if (s.out_fd >= 0) {
    ::dup2(s.out_fd, STDOUT_FILENO);
    ::dup2(s.err_fd, STDERR_FILENO);
    if (s.out_fd > STDERR_FILENO) ::close(s.out_fd);
    if (s.err_fd > STDERR_FILENO) ::close(s.err_fd);
  }
  // Line-buffered: printed lines reach the parent even if the task crashes afterwards.
  std::setvbuf(stdout, nullptr, _IOLBF, BUFSIZ);
  logging::set_process_name("Worker-" + std::to_string(s.slot + 1));
  logging::detach_all_handlers();  // handlers inherited from the parent never write from here
}

[[noreturn]] void fail_fatally(const WorkerSetup& s, int status) {
  // Something outside any task failed (out of memory, say): tell the parent, then leave.
  std::string out;
  Writer w(out);
  std::size_t start = w.begin_frame(Frame::fatal);
  Outcome o = describe_current_exception();
  w.str(o.type + ": " + o.message);
  w.end_frame(start);
  s.block->ring().publish(out, s.data_fd);
  leave(status);
}

}  // namespace

void worker_main(const WorkerSetup& s) noexcept {
  try {
    become_worker(s);
    auto delivery = std::make_shared<RingDelivery>(s.block->ring(), s.data_fd);
    TaskRunner runner(*s.options, *s.table, delivery, s.level, s.slot + 1);
    std::string out, scratch;
    for (;;) {
      Command cmd;
      if (!read_exact(s.ctrl_fd, &cmd, sizeof cmd) || cmd.begin == cmd.end) break;
      run_batch(s, runner, s.out_fd >= 0, cmd.begin, cmd.end, out, scratch);
    }
  } catch (...) {
    fail_fatally(s, 71);
  }
  leave(0);
}

// ---- persistent workers -------------------------------------------------------------------

namespace {

// Reads one control frame; false at end of file or after `idle_ms` without one (0: forever).
bool read_command(int fd, std::uint64_t idle_ms, Control& kind, std::string& payload) {
  if (idle_ms > 0) {
    pollfd p{fd, POLLIN, 0};
    int r;
    do r = ::poll(&p, 1, static_cast<int>(std::min<std::uint64_t>(idle_ms, INT32_MAX)));
    while (r < 0 && errno == EINTR);
    if (r == 0) return false;  // idle for too long: leave; the pool starts another on demand
  }
  char header[kFrameHeader];
  if (!read_exact(fd, header, sizeof header)) return false;
  std::uint32_t size;
  std::memcpy(&size, header, sizeof size);
  kind = static_cast<Control>(header[4]);
  payload.resize(size);
  return read_exact(fd, payload.data(), size);
}

template <typename Fn>
Fn registered_as(std::string_view name, const char* what) {
  const RegisteredFunction* f = find_function(name);
  if (!f) throw std::runtime_error(std::string("prun: the ") + what + " '" + std::string(name) + "' is not registered in this worker");
  if (*f->signature != typeid(Fn)) throw std::runtime_error(std::string("prun: '") + std::string(name) + "' is not a " + what);
  return reinterpret_cast<Fn>(const_cast<void*>(f->address));
}

}  // namespace

void serve(const ServeSetup& setup) noexcept {
  const WorkerSetup& s = setup.io;
  try {
    become_worker(s);
    Control kind;
    std::string payload;
    if (!read_command(s.ctrl_fd, 0, kind, payload) || kind != Control::setup) leave(0);
    Reader rd(payload);
    std::string initializer(rd.str());
    const auto idle_ms = rd.pod<std::uint64_t>();
    const auto max_tasks = rd.pod<std::uint64_t>();
    std::string out, scratch;
    Writer w(out);
    if (!setup.build_id.empty() && setup.build_id != own_build_id()) {
      std::size_t start = w.begin_frame(Frame::fatal);
      w.str("the worker program was built from a different binary (build id " + own_build_id() +
            ", the parent's is " + setup.build_id + ")");
      w.end_frame(start);
      publish(s, out);
      leave(3);
    }
    try {
      if (setup.initializer) setup.initializer();
      else if (!initializer.empty()) registered_as<void (*)()>(initializer, "initializer")();
    } catch (...) {
      Outcome o = describe_current_exception();
      std::size_t start = w.begin_frame(Frame::init_failed);
      w.str(o.type);
      w.str(o.message);
      w.end_frame(start);
      publish(s, out);
      leave(3);
    }
    std::size_t start = w.begin_frame(Frame::hello);
    w.pod(static_cast<std::int32_t>(::getpid()));
    w.end_frame(start);
    publish(s, out);
    out.clear();

    // One run at a time: its options, then batches of tasks by name.
    Options options;
    int level = logging::WARNING;
    std::uint64_t base = 0;
    std::vector<std::string> tags, names, args;
    TaskTable table;
    table.tag = [&](std::size_t i) { return tags.at(i - base); };
    const RegisteredFunction* last = nullptr;  // runs of the same function are the rule
    table.run = [&](std::size_t i, std::string& result) {
      const std::string& name = names.at(i - base);
      const RegisteredFunction* f = last && last->name == name ? last : (last = find_function(name));
      if (!f || !f->invoke) throw std::runtime_error("prun: '" + names.at(i - base) + "' is not a registered task in this worker");
      f->invoke(args.at(i - base), result);
    };
    auto delivery = std::make_shared<RingDelivery>(s.block->ring(), s.data_fd);
    std::optional<TaskRunner> runner;
    std::uint64_t taken = 0;
    while (read_command(s.ctrl_fd, idle_ms, kind, payload)) {
      Reader in(payload);
      if (kind == Control::stop) break;
      if (kind == Control::run) {
        options.prefix = std::string(in.str());
        level = in.pod<std::int32_t>();
        options.capture_output = in.pod<std::uint8_t>() != 0;
        std::string hook(in.str());
        options.configure_task = nullptr;
        if (!hook.empty()) options.configure_task = registered_as<void (*)(const TaskContext&)>(hook, "configure_task hook");
        runner.emplace(options, table, delivery, level, s.slot + 1);
        continue;
      }
      if (kind != Control::batch || !runner) continue;
      const auto begin = in.pod<std::uint64_t>();
      const auto end = in.pod<std::uint64_t>();
      base = begin;
      tags.clear();
      names.clear();
      args.clear();
      for (std::uint64_t i = begin; i < end; ++i) {
        tags.emplace_back(in.str());
        names.emplace_back(in.str());
        args.emplace_back(in.str());
      }
      taken += end - begin;
      if (max_tasks != 0 && taken >= max_tasks) {  // told before the batch ends, so no more come
        Writer rw(out);
        rw.end_frame(rw.begin_frame(Frame::recycle));
      }
      run_batch(s, *runner, options.capture_output, begin, end, out, scratch);
      if (max_tasks != 0 && taken >= max_tasks) leave(0);
    }
  } catch (...) {
    fail_fatally(s, 71);
  }
  leave(0);
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

}  // namespace prun::pool::detail
