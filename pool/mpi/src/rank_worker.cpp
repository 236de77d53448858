#include "rank_worker.hpp"

#include "comm.hpp"

#include "../../src/core/exit_codes.hpp"
#include "../../src/core/protocol.hpp"
#include "../../src/isolation/process_state.hpp"
#include "../../src/isolation/syscall_watch.hpp"
#include "../../src/scope/task_scope.hpp"
#include "../../src/sys/sys.hpp"

#include <prun/logging/hierarchy.hpp>
#include <prun/pool/registry.hpp>

#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>

namespace prun::mpi::detail {

namespace {

using pool::isolation::SyscallWatch;
using pool::protocol::Frame;
using pool::protocol::Kind;

constexpr std::size_t kNobody = SIZE_MAX;               // bytes printed between tasks
constexpr std::size_t kSendAt = 256 * 1024;             // the pump is woken to send this much
constexpr std::size_t kTaskWaitsAt = 1024 * 1024;       // a task that logs faster than rank 0 takes waits
constexpr std::size_t kMaxInFlight = 4 * 1024 * 1024;   // sent, not yet taken by rank 0
// Every buffer has room for all a task may add before it waits: it never grows (a large
// allocation is an mmap: fresh pages to fault in, and an munmap that flushes every CPU's TLB).
constexpr std::size_t kBufferSize = kTaskWaitsAt + 64 * 1024;
constexpr std::int64_t kIdlePollNs = 1'000'000;         // MPI has no descriptor: look every millisecond,
constexpr std::int64_t kQuickPollNs = 50'000;           // and every 50 µs
constexpr std::int64_t kRecentNs = 5'000'000;           // for 5 ms after traffic
constexpr std::int64_t kInFlightPollNs = 200'000;       // while a message is in flight

// ---- what a dying rank can still say -----------------------------------------------------------
// A rank that dies ends the whole MPI job (Open MPI's default): rank 0 never learns of it. The
// rank says which task killed it on its real stderr (which mpirun forwards), from a signal
// handler or an exit() handler: async-signal-safe, everything prepared in advance.

char g_head[160];       // "prun: Rank-2@node7 (pid 123) "
std::size_t g_head_len = 0;
int g_stderr = 2;       // the rank's real stderr (1 and 2 are pipes while it serves)
std::atomic<std::int64_t> g_task{-1};
const char* g_tag = nullptr;
std::atomic<std::size_t> g_tag_len{0};
struct sigaction g_previous[NSIG];
constexpr int kFatalSignals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};

void put(char*& p, const char* end, const char* s, std::size_t n) {
  for (std::size_t k = 0; k < n && p < end; ++k) *p++ = s[k];
}
void put(char*& p, const char* end, const char* s) { put(p, end, s, std::strlen(s)); }
void put_number(char*& p, const char* end, std::uint64_t v) {
  char digits[24];
  int n = 0;
  do digits[n++] = static_cast<char>('0' + v % 10);
  while ((v /= 10) != 0);
  while (n > 0 && p < end) *p++ = digits[--n];
}

void report(const char* what, int sig) noexcept {
  char line[1024];
  char* p = line;
  const char* end = line + sizeof line - 1;
  put(p, end, g_head, g_head_len);
  put(p, end, what);
  if (sig > 0) {
    const char* name = sigabbrev_np(sig);
    put(p, end, "SIG");
    put(p, end, name ? name : "?");
  }
  const std::int64_t task = g_task.load();
  if (task >= 0) {
    put(p, end, " while running task ");
    put_number(p, end, static_cast<std::uint64_t>(task));
    put(p, end, " (tag '");
    put(p, end, g_tag, g_tag_len.load());
    put(p, end, "')");
  } else {
    put(p, end, " outside any task");
  }
  put(p, end, "; a rank that dies ends the whole MPI job (no replacement under MPI)\n");
  pool::isolation::quiet_write_all(g_stderr, line, static_cast<unsigned long>(p - line));
}

void on_fatal_signal(int sig) {
  report("died of ", sig);
  ::sigaction(sig, &g_previous[sig], nullptr);  // Open MPI's own handler (a backtrace) or the default
  ::raise(sig);
}

// A task called exit(): said, then the rank leaves at once with that status (the rank's own
// objects, its pump thread among them, are not torn down under a running task).
void on_exit_call(int status, void*) {
  if (g_task.load() < 0) return;
  char what[64] = "left: the task called exit(";
  char* p = what + std::strlen(what);
  put_number(p, what + sizeof what - 3, static_cast<std::uint64_t>(status & 0xff));
  *p++ = ')';
  *p = '\0';
  report(what, 0);
  ::_exit(status);
}

void install_reports(const std::string& name) {
  const std::string head = "prun: " + name + " (pid " + std::to_string(::getpid()) + ") ";
  g_head_len = std::min(head.size(), sizeof g_head);
  std::memcpy(g_head, head.data(), g_head_len);
  for (int sig : kFatalSignals) {
    struct sigaction sa {};
    sa.sa_handler = on_fatal_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_NODEFER;
    ::sigaction(sig, &sa, &g_previous[sig]);
  }
  ::on_exit(on_exit_call, nullptr);
}

template <typename Fn>
Fn registered_as(std::string_view name, const char* what) {
  const pool::RegisteredFunction* f = pool::find_function(name);
  if (!f) throw std::runtime_error(std::string("prun: the ") + what + " '" + std::string(name) + "' is not registered in this worker");
  if (*f->signature != typeid(Fn)) throw std::runtime_error(std::string("prun: '") + std::string(name) + "' is not a " + what);
  return reinterpret_cast<Fn>(const_cast<void*>(f->address));
}

class RankWorker;

// The task's root handler: every record into the outgoing buffer.
class RankDelivery final : public pool::scope::Delivery {
 public:
  explicit RankDelivery(RankWorker& worker) : Delivery(false), worker_(worker) {}

 protected:
  void deliver(const logging::Record& record) override;

 private:
  RankWorker& worker_;
};

class RankWorker {
 public:
  [[noreturn]] void serve() {
    const World& w = world();
    name_ = rank_name(w.rank);
    become_worker();
    pump_ = std::thread([this] { pump(); });  // before the watch: the pump is never watched
    watched_ = SyscallWatch::enable();
    baseline_.capture();
    table_.tag = [this](std::size_t i) { return std::string(named_.at(i - base_).tag); };
    table_.run = [this](std::size_t i, std::string& result) {
      const std::string_view name = named_.at(i - base_).name;
      const pool::RegisteredFunction* f = last_ && last_->name == name ? last_ : (last_ = pool::find_function(name));
      if (!f || !f->invoke) throw std::runtime_error("prun: '" + std::string(name) + "' is not a registered task in this worker");
      f->invoke(named_.at(i - base_).args, result);
    };
    for (;;) {
      std::string commands = next_commands();
      pool::protocol::split_frames(commands, [&](const Frame& f) { handle(f); });
    }
  }

  // The delivery's side: a record joins the outgoing buffer; a task that logs faster than rank
  // 0 takes them waits once 4 MiB are waiting.
  void publish_record(const logging::Record& record) {
    std::unique_lock lock(box_);
    const std::size_t before = out_.size();
    if (before == 0) since_ns_ = pool::sys::monotonic_ns();  // vDSO: no system call
    pool::protocol::encode_record(out_, record);
    if (before < kSendAt && out_.size() >= kSendAt) wake();
    while (out_.size() >= kTaskWaitsAt) room_.wait(lock);
  }

 private:
  void become_worker() {
    logging::set_process_name(name_);
    logging::detach_all_handlers();
    // Descriptors 1 and 2 become pipes for the rank's whole life; the real ones are kept for
    // what the rank says itself (a crash report).
    pool::scope::flush_standard_streams();
    for (int s = 0; s < 2; ++s) {
      real_[s] = pool::sys::Fd(pool::sys::dup_at_least(s + 1, 10));
      pipes_[s] = pool::sys::Pipe::open();
      pool::sys::set_nonblocking(pipes_[s].read.get());
      (void)::fcntl(pipes_[s].read.get(), F_SETPIPE_SZ, 1 << 20);
      ::dup2(pipes_[s].write.get(), s + 1);
    }
    g_stderr = real_[1].get();
    std::setvbuf(stdout, nullptr, _IOLBF, BUFSIZ);  // lines as workers print them
    wake_ = pool::sys::Fd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    if (!wake_) pool::sys::throw_errno("eventfd");
    install_reports(name_);
    delivery_ = std::make_shared<RankDelivery>(*this);
    out_.reserve(kBufferSize);
  }

  // ---- commands ---------------------------------------------------------------------------

  std::string next_commands() {
    std::unique_lock lock(inbox_mutex_);
    inbox_ready_.wait(lock, [&] { return !inbox_.empty(); });
    std::string c = std::move(inbox_.front());
    inbox_.pop_front();
    return c;
  }

  void handle(const Frame& f) {
    switch (f.kind) {
      case Kind::stop:
        leave();
      case Kind::run:
        try {
          const auto c = pool::protocol::RunConfig::decode(f.payload);
          runner_.reset();
          options_.prefix = c.prefix;
          options_.capture_output = c.capture;
          options_.configure_task = nullptr;
          stop_on_error_ = c.stop_on_error;
          if (!c.configure_task.empty())
            options_.configure_task = registered_as<void (*)(const pool::TaskContext&)>(c.configure_task, "configure_task hook");
          runner_.emplace(options_, table_, delivery_, c.level, world().rank);
        } catch (...) {
          fail();
        }
        break;
      case Kind::batch:
        try {
          if (!runner_) throw std::runtime_error("prun: a batch came without a run this rank could set up");
          batch_ = pool::protocol::Batch::decode(f.payload);  // views into the command, valid meanwhile
          base_ = batch_.begin;
          named_ = batch_.named;
          if (named_.size() != batch_.end - batch_.begin) throw std::runtime_error("prun: a batch by index came to an MPI rank");
          run_batch(batch_.begin, batch_.end, batch_.attempt);
        } catch (...) {
          fail();
        }
        {
          // Every batch is answered, run or not: rank 0 counts them.
          std::lock_guard lock(box_);
          pool::protocol::Writer(out_).empty(Kind::batch_done);
          urgent_ = true;  // rank 0 waits for it to hand out more
        }
        wake();
        break;
      default:
        break;  // setup and anything else: nothing to do on a rank
    }
  }

  // Something failed outside any task: rank 0 learns it (the link ends with this error); the
  // rank goes on serving.
  void fail() noexcept {
    try {
      const pool::scope::Outcome o = pool::scope::describe_current_exception();
      std::lock_guard lock(box_);
      pool::protocol::encode_fatal(out_, o.type + ": " + o.message);
      urgent_ = true;
    } catch (...) {
    }
    runner_.reset();
  }

  // ---- tasks ------------------------------------------------------------------------------

  void run_batch(std::uint64_t begin, std::uint64_t end, std::uint32_t attempt) {
    for (std::uint64_t i = begin; i < end; ++i) {
      if (i >= stop_before_.load()) break;
      const std::int64_t t0 = pool::sys::monotonic_ns();
      const std::string_view tag = named_[i - base_].tag;
      g_tag = tag.data();
      g_tag_len.store(tag.size());
      g_task.store(static_cast<std::int64_t>(i));
      {
        std::lock_guard lock(box_);
        if (out_.empty()) since_ns_ = t0;
        pool::protocol::Started{i, t0}.encode(out_);
        current_ = i;
        printed_ = false;
      }
      frame_.clear();
      const std::size_t at = pool::protocol::Finished::begin(frame_, i);
      SyscallWatch::arm();
      const pool::scope::Outcome outcome = runner_->run(i, frame_, attempt);  // the task, then stdio flushed
      SyscallWatch::disarm();
      const bool touched = SyscallWatch::noticed();
      g_task.store(-1);
      const std::int64_t t1 = pool::sys::monotonic_ns();
      if (touched || t1 - t0 > 50'000 || peak_rss_kib_ == 0) peak_rss_kib_ = pool::sys::peak_rss_kib();
      if (outcome.ok) pool::protocol::Finished::end_ok(frame_, at, t1, peak_rss_kib_);
      else pool::protocol::Finished::end_error(frame_, at, t1, peak_rss_kib_, {outcome.type, outcome.message});
      {
        std::unique_lock lock(box_);
        // A task that made no system call printed nothing: no pipe to look at.
        if (touched) drain_locked();
        if (printed_)
          for (std::uint8_t stream = 1; stream <= 2; ++stream) pool::protocol::Output{stream, i, true, {}}.encode(out_);
        current_ = kNobody;
        out_.append(frame_);
        if (out_.size() >= kSendAt) wake();
        while (out_.size() >= kTaskWaitsAt) room_.wait(lock);
      }
      if (touched) baseline_.restore();  // descriptors 0-2, signal mask and dispositions
      if (!outcome.ok && stop_on_error_) break;
    }
  }

  // Reads what the pipes hold into output frames of the task that owns them now. Under box_.
  void drain_locked() {
    for (int s = 0; s < 2; ++s) {
      bytes_.clear();
      for (;;) {
        char buf[65536];
        const long n = pool::isolation::quiet_syscall(SYS_read, pipes_[s].read.get(), reinterpret_cast<long>(buf), sizeof buf);
        if (n > 0) {
          bytes_.append(buf, static_cast<std::size_t>(n));
          if (bytes_.size() >= (std::size_t{1} << 20)) break;
          continue;
        }
        if (n == -EINTR) continue;
        break;
      }
      if (bytes_.empty()) continue;
      if (current_ != kNobody) printed_ = true;
      if (out_.empty()) since_ns_ = pool::sys::monotonic_ns();
      pool::protocol::Output{static_cast<std::uint8_t>(s + 1), current_, false, bytes_}.encode(out_);
    }
  }

  void wake() noexcept {
    const std::uint64_t one = 1;
    pool::isolation::quiet_syscall(SYS_write, wake_.get(), reinterpret_cast<long>(&one), sizeof one);
  }

  // ---- the pump: every MPI call of a serving rank --------------------------------------------

  void pump() noexcept {
    try {
      pump_loop();
    } catch (const std::exception& e) {
      std::string line = "prun: " + name_ + ": " + e.what() + "\n";
      pool::isolation::quiet_write_all(g_stderr, line.data(), line.size());
      MPI_Abort(MPI_COMM_WORLD, static_cast<int>(pool::core::ExitCode::fatal));
    }
  }

  void pump_loop() {
    Sender sender;
    std::string message, sending;
    sending.reserve(kBufferSize);
    std::int64_t last_traffic_ns = 0;
    bool pipes_ready = false;
    pollfd fds[3] = {{pipes_[0].read.get(), POLLIN, 0}, {pipes_[1].read.get(), POLLIN, 0}, {wake_.get(), POLLIN, 0}};
    for (;;) {
      bool busy = false;
      while (receive(0, kTagCommands, message)) {
        busy = true;
        std::string rest;
        pool::protocol::split_frames(message, [&](const Frame& f) {
          if (f.kind == Kind::stop_before) {
            stop_before_.store(pool::protocol::decode_stop_before(f.payload));
            return;
          }
          rest.append(f.payload.data() - pool::protocol::kHeader, f.payload.size() + pool::protocol::kHeader);
        });
        if (rest.empty()) continue;
        {
          std::lock_guard lock(inbox_mutex_);
          inbox_.push_back(std::move(rest));
        }
        inbox_ready_.notify_one();
      }
      // What waits is sent in large messages: once 256 KiB wait, at once when rank 0 waits for
      // it (a batch's end, a failure), and otherwise after at most a millisecond.
      bool quit;
      bool answer = false;  // what goes now is what rank 0 waits for (the end of a batch)
      std::int64_t wait_ns = kIdlePollNs;
      {
        std::lock_guard lock(box_);  // held briefly: the task thread takes it for every record
        if (pipes_ready) drain_locked();
        if (!out_.empty()) {
          const std::int64_t age = pool::sys::monotonic_ns() - since_ns_;
          const bool due = urgent_ || quit_ || out_.size() >= kSendAt || age >= kIdlePollNs;
          if (due && sender.in_flight() < kMaxInFlight) {
            sending.swap(out_);
            answer = urgent_;
            urgent_ = false;
            room_.notify_all();
          } else if (!due) {
            wait_ns = kIdlePollNs - age;
          }
        }
        quit = quit_ && out_.empty();
      }
      if (!sending.empty()) {
        sender.send(0, kTagEvents, std::move(sending));
        // The next out_: a buffer already sent (its pages touched), else a fresh one reserved
        // here rather than grown by the task under the lock.
        sending = sender.take_buffer();
        if (sending.capacity() < kBufferSize) sending.reserve(kBufferSize);
      }
      // A large message moves only while both sides call MPI: look again soon while one is in
      // flight.
      const bool in_flight = !sender.progress();
      if (quit) {
        sender.wait_all();
        return;
      }
      // After commands, or after answering rank 0, more commands are likely (the next batch):
      // look again within 50 µs for 5 ms, then every millisecond. A message in flight moves
      // on at each look: every 200 µs meanwhile.
      const std::int64_t now = pool::sys::monotonic_ns();
      if (busy || answer) last_traffic_ns = now;
      if (busy) wait_ns = 0;
      else if (now - last_traffic_ns < kRecentNs) wait_ns = std::min<std::int64_t>(wait_ns, kQuickPollNs);
      else if (in_flight) wait_ns = std::min<std::int64_t>(wait_ns, kInFlightPollNs);
      const timespec timeout{0, static_cast<long>(wait_ns)};
      const int r = ::ppoll(fds, 3, &timeout, nullptr);
      pipes_ready = r > 0 && ((fds[0].revents | fds[1].revents) & (POLLIN | POLLHUP));
      if (r > 0 && (fds[2].revents & POLLIN)) {
        std::uint64_t n;
        (void)!::read(wake_.get(), &n, sizeof n);
      }
    }
  }

  [[noreturn]] void leave() {
    pool::scope::flush_standard_streams();
    {
      std::lock_guard lock(box_);
      quit_ = true;
    }
    wake();
    pump_.join();
    for (int s = 0; s < 2; ++s) ::dup2(real_[s].get(), s + 1);
    MPI_Finalize();
    ::_exit(0);
  }

  std::string name_;
  pool::sys::Fd real_[2];
  pool::sys::Pipe pipes_[2];
  pool::sys::Fd wake_;
  std::thread pump_;
  // Commands from rank 0 (the pump takes stop limits itself: they count during a batch).
  std::mutex inbox_mutex_;
  std::condition_variable inbox_ready_;
  std::deque<std::string> inbox_;
  std::atomic<std::uint64_t> stop_before_{UINT64_MAX};
  // What goes to rank 0, and the task the pipes' bytes belong to.
  std::mutex box_;
  std::condition_variable room_;
  std::string out_;
  std::size_t current_ = kNobody;
  bool printed_ = false;
  bool quit_ = false;
  bool urgent_ = false;           // rank 0 waits for what out_ holds
  std::int64_t since_ns_ = 0;     // when out_ stopped being empty
  std::string bytes_;
  // The run.
  std::shared_ptr<RankDelivery> delivery_;
  bool watched_ = false;
  pool::isolation::ProcessState baseline_;
  pool::Options options_;
  pool::TaskTable table_;
  std::optional<pool::scope::TaskRunner> runner_;
  bool stop_on_error_ = true;
  const pool::RegisteredFunction* last_ = nullptr;
  pool::protocol::Batch batch_;
  std::vector<pool::protocol::NamedTask> named_;
  std::uint64_t base_ = 0;
  std::string frame_;
  std::int64_t peak_rss_kib_ = 0;
};

void RankDelivery::deliver(const logging::Record& record) { worker_.publish_record(record); }

}  // namespace

void serve_rank() noexcept {
  try {
    static RankWorker worker;  // lives until _exit
    worker.serve();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "prun: %s: %s\n", rank_name(world().rank).c_str(), e.what());
  } catch (...) {
  }
  MPI_Abort(MPI_COMM_WORLD, static_cast<int>(pool::core::ExitCode::fatal));
  ::_exit(static_cast<int>(pool::core::ExitCode::fatal));
}

}  // namespace prun::mpi::detail
