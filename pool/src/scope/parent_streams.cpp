#include "parent_streams.hpp"

#include "../sys/sys.hpp"

#include <atomic>
#include <mutex>
#include <new>
#include <shared_mutex>
#include <string>

#include <pthread.h>
#include <sys/stat.h>

namespace prun::pool::scope {

namespace {
std::atomic<int> g_out{-1}, g_err{-1};

// The configuration a sequential run set aside, for the other threads' runs.
std::atomic<bool> g_aside{false};
std::mutex g_aside_mutex;
std::shared_ptr<const logging::HierarchySnapshot> g_saved;  // guarded by g_aside_mutex
thread_local int t_sequential_depth = 0;
thread_local int t_routing_depth = 0;

// Routing (shared) against setting the configuration aside or back (exclusive).
std::shared_mutex* g_switch = nullptr;

// A worker forked while another thread routed records or set the configuration aside finds
// those locks free, and no configuration set aside (its own runs start from its own state).
void reset_in_child() {
  g_switch = new std::shared_mutex;
  new (&g_aside_mutex) std::mutex();
  new (&g_saved) std::shared_ptr<const logging::HierarchySnapshot>();  // the parent's copy is left
  g_aside.store(false);
  t_routing_depth = 0;
}

std::shared_mutex& switch_lock() {
  static std::shared_mutex* m = [] {
    ::pthread_atfork(nullptr, nullptr, reset_in_child);
    return g_switch = new std::shared_mutex;  // never destroyed: runs may end during exit
  }();
  (void)m;
  return *g_switch;
}
// Made at load time, never first in a thread that another thread's fork() could interrupt.
[[maybe_unused]] const bool g_switch_ready = (switch_lock(), true);
}  // namespace

RoutingGuard::RoutingGuard() {
  if (t_routing_depth++ == 0) switch_lock().lock_shared();
}

RoutingGuard::~RoutingGuard() {
  if (--t_routing_depth == 0) switch_lock().unlock_shared();
}

SequentialScope::SequentialScope() {
  std::unique_lock exclusive(switch_lock());
  saved_ = std::make_shared<const logging::HierarchySnapshot>(logging::HierarchySnapshot::capture_and_reset());
  ++t_sequential_depth;
  std::lock_guard lock(g_aside_mutex);
  previous_ = g_saved;
  // A nested run's snapshot holds the outer task's scope: the outer one stays the caller's.
  g_saved = previous_ ? previous_ : saved_;
  g_aside.store(true, std::memory_order_release);
}

SequentialScope::~SequentialScope() {
  std::unique_lock exclusive(switch_lock());
  saved_->restore();
  --t_sequential_depth;
  std::lock_guard lock(g_aside_mutex);
  if (previous_) {
    g_saved = std::move(previous_);
  } else {
    g_saved.reset();
    g_aside.store(false, std::memory_order_release);
  }
}

int parent_stream_fd(int stream) noexcept {
  const int fd = (stream == 1 ? g_out : g_err).load(std::memory_order_acquire);
  return fd >= 0 ? fd : stream;
}

void set_parent_stream_fds(int out, int err) noexcept {
  g_out.store(out, std::memory_order_release);
  g_err.store(err, std::memory_order_release);
}

void write_parent_stream(int stream, std::string_view bytes) {
  write_gated(parent_stream_fd(stream), bytes, &sys::write_all);
}

// ---- the status line gate ------------------------------------------------------------------

namespace {

constexpr std::string_view kErase = "\r\x1b[K";  // to the line's start, erase to its end

struct Gate {
  std::mutex mutex;
  bool active = false;
  int stream = 2;          // 1, 2 (the parent's, resolved at each write) or a descriptor
  std::string text;        // what is drawn
  bool drawn = false;      // text is on the terminal's last line
  bool mid_line = false;   // a partial line is there (no status line may be drawn)
  std::string scratch;

  int fd() const noexcept { return stream == 1 || stream == 2 ? parent_stream_fd(stream) : stream; }
};
// Never destroyed: writers in other threads may look at it while the process exits.
Gate& gate() {
  static Gate* g = new Gate;
  return *g;
}
std::atomic<bool> g_gate_on{false};

// The logging handlers' writer: a sequential run's capture, else the gate's while it is on.
std::mutex g_writer_mutex;
logging::detail::StandardStreamWriter g_capture_writer = nullptr;
void* g_capture_context = nullptr;

void write_through_gate(void*, int stream, const char* data, std::size_t size) noexcept {
  write_gated(parent_stream_fd(stream), std::string_view(data, size), &sys::write_all);
}

void refresh_writer() {
  std::lock_guard lock(g_writer_mutex);
  if (g_capture_writer)
    logging::detail::set_standard_stream_writer(g_capture_writer, g_capture_context);
  else if (g_gate_on.load(std::memory_order_acquire))
    logging::detail::set_standard_stream_writer(&write_through_gate, nullptr);
  else
    logging::detail::set_standard_stream_writer(nullptr, nullptr);
}

// Whether two descriptors are the same terminal (or file).
bool same_file(int a, int b) noexcept {
  if (a == b) return true;
  struct stat sa {}, sb {};
  if (::fstat(a, &sa) != 0 || ::fstat(b, &sb) != 0) return false;
  return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino && sa.st_rdev == sb.st_rdev;
}

}  // namespace

void write_gated(int fd, std::string_view bytes, RawWrite write) noexcept {
  if (!g_gate_on.load(std::memory_order_relaxed)) {
    write(fd, bytes.data(), bytes.size());
    return;
  }
  Gate& g = gate();
  std::lock_guard lock(g.mutex);
  const int bar = g.fd();
  if (!g.active || bytes.empty() || !same_file(fd, bar)) {
    write(fd, bytes.data(), bytes.size());
    return;
  }
  // One write: the status line erased, the lines, the status line drawn again below them.
  g.scratch.clear();
  if (g.drawn) g.scratch += kErase;
  g.scratch += bytes;
  g.mid_line = bytes.back() != '\n';
  g.drawn = !g.mid_line && !g.text.empty();
  if (g.drawn) g.scratch += g.text;
  write(fd, g.scratch.data(), g.scratch.size());
}

void set_capture_writer(logging::detail::StandardStreamWriter writer, void* context) noexcept {
  {
    std::lock_guard lock(g_writer_mutex);
    g_capture_writer = writer;
    g_capture_context = context;
  }
  refresh_writer();
}

StatusLine::StatusLine(int stream) {
  Gate& g = gate();
  {
    std::lock_guard lock(g.mutex);
    if (g.active) return;
    g.active = true;
    g.stream = stream;
    g.text.clear();
    g.drawn = false;
    g.mid_line = false;
    owner_ = true;
  }
  g_gate_on.store(true, std::memory_order_release);
  refresh_writer();
}

StatusLine::~StatusLine() {
  if (!owner_) return;
  Gate& g = gate();
  {
    std::lock_guard lock(g.mutex);
    if (!g.text.empty()) {
      // The last text stays, and what comes next starts below it.
      if (g.drawn) g.scratch.assign("\n");
      else g.scratch.assign((g.mid_line ? "\n" : "") + g.text + "\x1b[K\n");
      sys::write_all(g.fd(), g.scratch.data(), g.scratch.size());
    }
    g.active = false;
    g.text.clear();
    g.drawn = false;
  }
  g_gate_on.store(false, std::memory_order_release);
  refresh_writer();
}

void StatusLine::draw(std::string_view text) {
  if (!owner_) return;
  Gate& g = gate();
  std::lock_guard lock(g.mutex);
  g.text.assign(text);
  if (g.mid_line) return;  // drawn once the partial line ends
  g.scratch.assign("\r");
  g.scratch += text;
  g.scratch += "\x1b[K";
  g.drawn = true;
  sys::write_all(g.fd(), g.scratch.data(), g.scratch.size());
}

int parent_root_level() {
  if (g_aside.load(std::memory_order_acquire) && t_sequential_depth == 0) {
    std::lock_guard lock(g_aside_mutex);
    if (g_saved) return g_saved->root_level();
  }
  return logging::get_logger().effective_level();
}

void route_to_parent(logging::Logger& logger, logging::Record& record) {
  if (g_aside.load(std::memory_order_acquire) && t_sequential_depth == 0) {
    std::shared_ptr<const logging::HierarchySnapshot> saved;
    {
      std::lock_guard lock(g_aside_mutex);
      saved = g_saved;
    }
    if (saved) {
      saved->call_handlers(record);
      return;
    }
  }
  logger.dispatch(record);  // honours that logger's `disabled`, as the cookbook's listener does
}

}  // namespace prun::pool::scope
