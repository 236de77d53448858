#include <prun/pool/progress.hpp>

#include "../scope/parent_streams.hpp"
#include "../sys/sys.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cmath>
#include <optional>
#include <string>

namespace prun::pool {

namespace {

// joblib.logger.short_format_time.
std::string short_format_time(double t) {
  if (t > 60) return fmt::format("{:4.1f}min", t / 60.);
  return fmt::format(" {:5.1f}s", t);
}

// joblib.parallel._verbosity_filter: true when the line for `index` is skipped.
bool verbosity_filter(std::size_t index, int verbose) {
  if (!verbose) return true;
  if (verbose > 10) return false;
  if (index == 0) return false;
  const double v = .5 * (11 - verbose) * (11 - verbose);
  const double scale = std::sqrt(static_cast<double>(index) / v);
  const double next_scale = std::sqrt(static_cast<double>(index + 1) / v);
  return static_cast<long long>(next_scale) == static_cast<long long>(scale);
}

// Python's %, whose result has the divisor's sign.
long long py_mod(long long a, long long b) {
  const long long r = a % b;
  return r != 0 && ((r < 0) != (b < 0)) ? r + b : r;
}

// 0:07, 12:34, 1:02:03.
std::string clock_time(double seconds) {
  if (!(seconds >= 0) || seconds > 1e9) return "?";
  const auto s = static_cast<long long>(seconds + 0.5);
  if (s >= 3600) return fmt::format("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60);
  return fmt::format("{}:{:02}", s / 60, s % 60);
}

std::string rate_text(double per_s) {
  return per_s >= 100 ? fmt::format("{:.0f}", per_s) : fmt::format("{:.1f}", per_s);
}

}  // namespace

struct ProgressObserver::Impl {
  ProgressOptions o;
  int stream = 2;  // 1 or 2 (the parent's), or a descriptor
  std::string prefix;
  bool known = false;
  std::size_t total = 0, done = 0, failed = 0, started = 0;
  std::int64_t start_ns = 0, drawn_ns = 0;
  int columns = 80;
  std::optional<scope::StatusLine> bar;

  explicit Impl(ProgressOptions options) : o(options) {
    stream = o.fd >= 0 ? o.fd : (o.verbose >= 50 ? 1 : 2);
  }

  int fd() const { return stream == 1 || stream == 2 ? scope::parent_stream_fd(stream) : stream; }
  double elapsed_s(std::int64_t now) const { return static_cast<double>(now - start_ns) / 1e9; }

  void line(std::string text) {
    text.push_back('\n');
    scope::write_gated(fd(), text, &sys::write_all);
  }

  void run_started(const RunStarted& e) {
    start_ns = sys::monotonic_ns();
    drawn_ns = 0;
    known = e.tasks > 0;
    total = e.tasks;
    done = failed = started = 0;
    prefix = fmt::format("[Parallel(n_jobs={})]: ", e.n_jobs);
    if (o.verbose > 0) line(fmt::format("{}Using backend {} with {} concurrent workers.", prefix, e.backend, e.workers));
    const bool tty = ::isatty(fd()) == 1;
    if (o.bar == ProgressOptions::Bar::always || (o.bar == ProgressOptions::Bar::automatic && tty)) {
      bar.emplace(stream);
      if (!bar->shown()) bar.reset();
    }
    if (!bar) return;
    columns = o.width;
    if (columns <= 0) {
      winsize ws{};
      columns = tty && ::ioctl(fd(), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0 ? ws.ws_col : 80;
    }
    draw(start_ns, false);
  }

  void task_finished(const TaskFinished& e) {
    if (!e.final) return;
    ++done;
    if (e.status != TaskStatus::ok) ++failed;
    if (known && done > total) known = false;  // more came than the run knew of at its start
    if (o.verbose > 0) progress_line();
    if (bar) {
      const std::int64_t now = sys::monotonic_ns();
      if (now - drawn_ns >= std::chrono::nanoseconds(o.refresh).count() || (known && done == total)) draw(now, false);
    }
  }

  // joblib's Parallel.print_progress, for a run whose tasks were all dispatched at its start
  // (pre_dispatch "all"), or, with the total not known, for a run still pulling its input.
  void progress_line() {
    if (!known) {
      if (verbosity_filter(started, o.verbose)) return;
      const double elapsed = elapsed_s(sys::monotonic_ns());
      line(fmt::format("{}Done {:3} tasks      | elapsed: {}", prefix, done, short_format_time(elapsed)));
      return;
    }
    const auto index = static_cast<long long>(done);
    const auto n = static_cast<long long>(total);
    if (index != 0) {
      const long long cursor = n - index + 1;
      const long long frequency = n / o.verbose + 1;
      const bool is_last_item = index + 1 == n;
      if (is_last_item || py_mod(cursor, frequency) != 0) return;
    }
    const double elapsed = elapsed_s(sys::monotonic_ns());  // only for a line that is due
    const double remaining = index ? elapsed / static_cast<double>(index) * static_cast<double>(n - index) : 0.0;
    line(fmt::format("{}Done {:3} out of {:3} | elapsed: {} remaining: {}", prefix, index, n,
                     short_format_time(elapsed), short_format_time(remaining)));
  }

  void run_finished(const RunFinished& e) {
    const std::int64_t now = sys::monotonic_ns();
    const bool complete = !e.cancelled && (!known || done >= total);
    if (o.verbose > 0) {
      const std::string elapsed = short_format_time(elapsed_s(now));
      if (complete)
        line(fmt::format("{}Done {:3} out of {:3} | elapsed: {} finished", prefix, done, done, elapsed));
      else if (known)
        line(fmt::format("{}Done {:3} out of {:3} | elapsed: {} {}", prefix, done, total, elapsed,
                         e.cancelled ? "cancelled" : "stopped"));
      else
        line(fmt::format("{}Done {:3} tasks      | elapsed: {} {}", prefix, done, elapsed,
                         e.cancelled ? "cancelled" : "stopped"));
    }
    if (bar) {
      draw(now, true);
      bar.reset();  // the last bar stays, with a newline after it
    }
  }

  void draw(std::int64_t now, bool end) {
    drawn_ns = now;
    const double elapsed = elapsed_s(now);
    const double rate = elapsed > 0 ? static_cast<double>(done) / elapsed : 0.0;
    std::string tail = fmt::format(" | {} tasks/s", rate_text(rate));
    if (failed) tail += fmt::format(" | {} failed", failed);
    if (end || !known)
      tail += fmt::format(" | {}", clock_time(elapsed));
    else
      tail += fmt::format(" | ETA {}", done ? clock_time(elapsed / static_cast<double>(done) *
                                                         static_cast<double>(total - done))
                                            : std::string("?"));
    std::string text;
    if (known) {
      const std::string count = fmt::format("{:>{}}/{}", done, fmt::formatted_size("{}", total), total);
      const std::string pct = fmt::format(" {:3}%", total ? done * 100 / total : 100);
      // The graphic takes what the terminal has left (one column spare: no wrap).
      const int room = columns - 1 - static_cast<int>(count.size() + pct.size() + tail.size()) - 3;
      if (room >= 10) {
        const auto filled = static_cast<int>(static_cast<double>(room) * static_cast<double>(done) /
                                             static_cast<double>(std::max<std::size_t>(total, 1)));
        std::string graphic(static_cast<std::size_t>(room), ' ');
        for (int k = 0; k < filled && k < room; ++k) graphic[static_cast<std::size_t>(k)] = '=';
        if (filled < room) graphic[static_cast<std::size_t>(filled)] = '>';
        text = count + " [" + graphic + "]" + pct + tail;
      } else {
        text = count + pct + tail;
      }
    } else {
      text = fmt::format("{} done", done) + tail;
    }
    if (static_cast<int>(text.size()) > columns - 1) text.resize(static_cast<std::size_t>(std::max(columns - 1, 0)));
    bar->draw(text);
  }
};

ProgressObserver::ProgressObserver(ProgressOptions options) : impl_(std::make_unique<Impl>(options)) {}
ProgressObserver::~ProgressObserver() = default;

void ProgressObserver::on_run_started(const RunStarted& e) { impl_->run_started(e); }

void ProgressObserver::on_task_started(const TaskStarted& e) {
  if (e.attempt == 1) ++impl_->started;
}

void ProgressObserver::on_task_finished(const TaskFinished& e) { impl_->task_finished(e); }

void ProgressObserver::on_run_finished(const RunFinished& e) { impl_->run_finished(e); }

}  // namespace prun::pool
