#include <prun/pool/trace.hpp>

#include "../scope/signals.hpp"
#include "../sys/sys.hpp"
#include "json_text.hpp"

#include <prun/logging/level.hpp>
#include <prun/logging/record.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <ctime>
#include <map>
#include <mutex>

namespace prun::pool {

namespace {

constexpr std::string_view kHead = "{\"traceEvents\":[";
constexpr std::string_view kTail = "\n]}\n";
constexpr std::size_t kFlushAt = 64 * 1024;
constexpr std::size_t kMaxName = 1000;  // a record's message is cut there as an event's name
constexpr int kRunsTid = 1;

std::int64_t wall_ns() {
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return std::int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

const char* status_name(TaskStatus s) {
  switch (s) {
    case TaskStatus::ok: return "ok";
    case TaskStatus::error: return "error";
    case TaskStatus::crashed: return "crashed";
    case TaskStatus::timed_out: return "timed_out";
    case TaskStatus::cancelled: return "cancelled";
  }
  return "?";
}

// trace.json → trace.<n>.json; a name without an extension gets .<n> at its end.
std::string numbered(const std::string& path, std::size_t n) {
  const auto slash = path.rfind('/');
  const auto dot = path.rfind('.');
  const bool has_ext = dot != std::string::npos && dot > 0 && (slash == std::string::npos || dot > slash + 1);
  if (!has_ext) return fmt::format("{}.{}", path, n);
  return fmt::format("{}.{}{}", path.substr(0, dot), n, path.substr(dot));
}

}  // namespace

struct TraceObserver::Impl {
  struct Track {
    int tid = 0;
    int slot = 0;
    int pid = 0;
    std::string name;
  };
  struct Open {
    std::size_t index = 0;
    std::uint32_t attempt = 0;
    std::int64_t t_ns = 0;
  };

  TraceOptions options;
  mutable std::mutex mutex;
  sys::Fd fd;
  std::vector<std::string> files;
  std::string buf;
  off_t offset = 0;          // where the next bytes go (the tail is written there when closed)
  bool closed = true;        // the file ends with its tail now
  bool first = true;         // no event in this file yet: no comma
  std::size_t in_file = 0;   // events in this file
  std::error_code error;
  const int pid = ::getpid();
  const std::int64_t base_ns = sys::monotonic_ns();
  const std::int64_t wall_minus_mono = wall_ns() - sys::monotonic_ns();
  std::vector<Track> tracks;       // every track made, in order (named again in a new file)
  std::map<int, std::size_t> current;  // slot → its track now
  std::map<int, Open> running;     // slot → the attempt it started
  int next_tid = kRunsTid + 1;
  bool commands = false;
  std::size_t runs = 0;
  std::int64_t run_start_ns = 0;
  std::string run_backend;
  int run_n_jobs = 0, run_workers = 0;
  std::string ev;  // the event being written

  explicit Impl(TraceOptions o) : options(std::move(o)) {
    if (options.max_events < 16) options.max_events = 16;
    open_file(options.path);
  }

  // ---- the file --------------------------------------------------------------------------------

  void open_file(const std::string& path) {
    const int f = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (f < 0) sys::throw_errno("cannot open trace file '" + path + "'");
    fd.reset(f);
    files.push_back(path);
    offset = 0;
    in_file = 0;
    first = true;
    closed = false;
    buf.assign(kHead);
    metadata();
    close_file();  // valid from the start
  }

  // The names of the process and of every track there is: at the top of each file.
  void metadata() {
    begin_event();
    ev += fmt::format(R"({{"name":"process_name","ph":"M","pid":{},"tid":0,"args":{{"name":)", pid);
    observe::append_json_string(ev, fmt::format("prun (pid {})", pid));
    ev += "}}";
    end_event();
    name_track(kRunsTid, "runs", 0);
    for (const std::size_t t : current_tracks()) name_track(tracks[t].tid, tracks[t].name, tracks[t].slot + 1);
  }

  std::vector<std::size_t> current_tracks() const {
    std::vector<std::size_t> out;
    for (const auto& [slot, t] : current) out.push_back(t);
    return out;
  }

  void name_track(int tid, std::string_view name, int sort) {
    begin_event();
    ev += fmt::format(R"({{"name":"thread_name","ph":"M","pid":{},"tid":{},"args":{{"name":)", pid, tid);
    observe::append_json_string(ev, name);
    ev += "}}";
    end_event();
    begin_event();
    ev += fmt::format(R"({{"name":"thread_sort_index","ph":"M","pid":{},"tid":{},"args":{{"sort_index":{}}}}})", pid,
                      tid, sort);
    end_event();
  }

  void flush() {
    if (buf.empty() || !fd) return;
    std::size_t done = 0;
    while (done < buf.size()) {
      const ssize_t n = ::pwrite(fd.get(), buf.data() + done, buf.size() - done, offset);
      if (n < 0) {
        if (errno == EINTR) continue;
        fail(errno);
        return;
      }
      done += static_cast<std::size_t>(n);
      offset += n;
    }
    buf.clear();
  }

  // Ends the file with its tail, where the next event will go if the file is opened again.
  void close_file() {
    if (closed || !fd) return;
    flush();
    if (!fd) return;
    const off_t at = offset;
    buf.assign(kTail);
    flush();
    offset = at;
    buf.clear();
    if (fd && ::ftruncate(fd.get(), at + static_cast<off_t>(kTail.size())) != 0) fail(errno);
    closed = true;
  }

  void fail(int err) {
    if (!error) error = std::error_code(err, std::generic_category());
    fd.reset();
    buf.clear();
  }

  // ---- events ----------------------------------------------------------------------------------

  // Starts an event in `ev`, moving to the next file first when this one is full.
  void begin_event() {
    ev.clear();
    ev += first ? "\n" : ",\n";
  }

  void end_event() {
    first = false;
    closed = false;  // the next flush writes over the tail
    ++in_file;
    buf += ev;
    if (buf.size() >= kFlushAt) flush();
  }

  // Room for one more event: past the cap, the trace goes on in a new file.
  void make_room() {
    if (!fd || in_file < options.max_events) return;
    close_file();
    try {
      open_file(numbered(options.path, files.size() + 1));
    } catch (const std::system_error& e) {
      fail(e.code().value());
    }
  }

  void append_ts(std::int64_t ns) {
    std::int64_t rel = std::max<std::int64_t>(0, ns - base_ns);
    ev += fmt::format("{}.{:03}", rel / 1000, rel % 1000);
  }

  Track& track_of(int slot, int worker_pid) {
    auto it = current.find(slot);
    if (it != current.end()) {
      Track& t = tracks[it->second];
      if (commands || t.pid == worker_pid) return t;
    }
    make_room();  // a new file names the tracks there are: this one is named below
    Track t;
    t.tid = next_tid++;
    t.slot = slot;
    t.pid = worker_pid;
    t.name = commands ? fmt::format("job slot {}", slot)
             : slot == 0 ? fmt::format("main process (pid {})", worker_pid)
                         : fmt::format("worker {} (pid {})", slot, worker_pid);
    tracks.push_back(t);
    current[slot] = tracks.size() - 1;
    if (fd) name_track(t.tid, t.name, slot + 1);
    return tracks.back();
  }

  // While a run goes on, a signal that ends the program closes the file. Added and removed
  // without `mutex` held: the hook runs under the hooks' lock and takes `mutex`.
  std::atomic<int> exit_hook{-1};

  void run_started(const RunStarted& e) {
    ++runs;
    commands = e.backend == "commands";
    run_start_ns = sys::monotonic_ns();
    run_backend = e.backend;
    run_n_jobs = e.n_jobs;
    run_workers = e.workers;
    current.clear();
    running.clear();
  }

  void task_started(const TaskStarted& e) {
    if (!fd) return;
    track_of(e.worker, e.pid);
    running[e.worker] = Open{e.index, e.attempt, e.t_ns};
  }

  void task_finished(const TaskFinished& e) {
    if (!fd) return;
    const int tid = track_of(e.worker, e.pid).tid;
    std::int64_t start = e.started_ns;
    if (auto it = running.find(e.worker); it != running.end() && it->second.index == e.index &&
                                          it->second.attempt == e.attempt) {
      if (!start) start = it->second.t_ns;
      running.erase(it);
    }
    const std::int64_t end = e.finished_ns;
    if (!start || start > end) start = end;
    make_room();
    if (!fd) return;
    begin_event();
    ev += R"({"name":)";
    observe::append_json_string(ev, e.tag);
    ev += R"(,"cat":"task","ph":"X","ts":)";
    append_ts(start);
    ev += ",\"dur\":";
    const std::int64_t dur = end - start;
    ev += fmt::format("{}.{:03}", dur / 1000, dur % 1000);
    ev += fmt::format(R"(,"pid":{},"tid":{},"args":{{"index":{},"attempt":{},"status":"{}","error":)", pid, tid,
                      e.index, e.attempt, status_name(e.status));
    observe::append_json_string(ev, e.error);
    if (!e.final) ev += R"(,"runs_again":true)";
    if (e.exit_code >= 0) ev += fmt::format(R"(,"exit_code":{})", e.exit_code);
    if (e.signal) ev += fmt::format(R"(,"signal":{})", e.signal);
    if (e.peak_rss_kib > 0) ev += fmt::format(R"(,"peak_rss_kib":{})", e.peak_rss_kib);
    if (e.pid) ev += fmt::format(R"(,"pid":{})", e.pid);
    ev += "}}";
    end_event();
  }

  void worker_replaced(const WorkerReplaced& e) {
    if (!fd || commands) return;
    auto it = current.find(e.worker);
    if (it == current.end()) return;
    const int tid = tracks[it->second].tid;
    make_room();
    if (!fd) return;
    begin_event();
    ev += R"({"name":)";
    observe::append_json_string(ev, fmt::format("worker replaced: {}", e.why));
    ev += R"(,"cat":"worker","ph":"i","s":"t","ts":)";
    append_ts(sys::monotonic_ns());
    ev += fmt::format(R"(,"pid":{},"tid":{},"args":{{"old_pid":{},"new_pid":{}}}}})", pid, tid, e.old_pid, e.new_pid);
    end_event();
    current.erase(it);
  }

  void record(const logging::Record& r) {
    if (!fd) return;
    const int tid = track_of(r.worker, r.process).tid;
    make_room();
    if (!fd) return;
    begin_event();
    ev += R"({"name":)";
    std::string_view message = r.message;
    if (message.size() > kMaxName) message = message.substr(0, kMaxName);
    observe::append_json_string(ev, message);
    ev += R"(,"cat":"log","ph":"i","s":"t","ts":)";
    append_ts(r.created_ns - wall_minus_mono);
    ev += fmt::format(R"(,"pid":{},"tid":{},"args":{{"level":)", pid, tid);
    observe::append_json_string(ev, logging::level_name(r.levelno));
    ev += R"(,"logger":)";
    observe::append_json_string(ev, r.name);
    ev += R"(,"task":)";
    observe::append_json_string(ev, r.task);
    ev += fmt::format(R"(,"index":{},"attempt":{}}}}})", r.task_index, r.attempt);
    end_event();
  }

  static void on_exit(void* self) noexcept {
    auto& impl = *static_cast<Impl*>(self);
    if (::getpid() != impl.pid) return;  // a forked worker's copy: the file is the parent's
    std::lock_guard lock(impl.mutex);
    try {
      impl.close_file();
    } catch (...) {
    }
  }

  void run_finished(const RunFinished& e) {
    if (fd && runs > 0) {
      make_room();
      if (fd) {
        begin_event();
        ev += R"({"name":)";
        observe::append_json_string(ev, fmt::format("run {}", runs));
        ev += R"(,"cat":"run","ph":"X","ts":)";
        append_ts(run_start_ns);
        const std::int64_t dur = std::max<std::int64_t>(0, sys::monotonic_ns() - run_start_ns);
        ev += fmt::format(R"(,"dur":{}.{:03},"pid":{},"tid":{},"args":{{"backend":)", dur / 1000, dur % 1000, pid,
                          kRunsTid);
        observe::append_json_string(ev, run_backend);
        ev += fmt::format(R"(,"n_jobs":{},"workers":{},"tasks":{},"ok":{},"failed":{},"cancelled":{}}}}})", run_n_jobs,
                          run_workers, e.tasks, e.ok, e.failed, e.cancelled ? "true" : "false");
        end_event();
      }
    }
    close_file();
  }
};

TraceObserver::TraceObserver(TraceOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}

TraceObserver::~TraceObserver() {
  scope::SignalScope::remove_exit_hook(impl_->exit_hook.exchange(-1));
  std::lock_guard lock(impl_->mutex);
  impl_->close_file();
}

void TraceObserver::on_run_started(const RunStarted& e) {
  if (impl_->exit_hook.load() < 0) impl_->exit_hook = scope::SignalScope::add_exit_hook(&Impl::on_exit, impl_.get());
  std::lock_guard lock(impl_->mutex);
  impl_->run_started(e);
}

void TraceObserver::on_task_started(const TaskStarted& e) {
  std::lock_guard lock(impl_->mutex);
  impl_->task_started(e);
}

void TraceObserver::on_task_finished(const TaskFinished& e) {
  std::lock_guard lock(impl_->mutex);
  impl_->task_finished(e);
}

void TraceObserver::on_worker_replaced(const WorkerReplaced& e) {
  std::lock_guard lock(impl_->mutex);
  impl_->worker_replaced(e);
}

void TraceObserver::on_record(const logging::Record& r) {
  std::lock_guard lock(impl_->mutex);
  impl_->record(r);
}

bool TraceObserver::wants_records() const { return impl_->options.records; }

void TraceObserver::on_run_finished(const RunFinished& e) {
  {
    std::lock_guard lock(impl_->mutex);
    impl_->run_finished(e);
  }
  scope::SignalScope::remove_exit_hook(impl_->exit_hook.exchange(-1));
}

std::vector<std::string> TraceObserver::files() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->files;
}

std::error_code TraceObserver::error() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->error;
}

}  // namespace prun::pool
