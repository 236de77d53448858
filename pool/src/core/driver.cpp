#include "driver.hpp"

#include "exit_codes.hpp"
#include "line_router.hpp"
#include "log_tail.hpp"
#include "prefix.hpp"

#include "../scope/parent_streams.hpp"
#include "../sys/sys.hpp"

#include <prun/logging/handler.hpp>
#include <prun/logging/logger.hpp>
#include <prun/pool/commands.hpp>
#include <prun/pool/errors.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <csignal>
#include <cstdint>
#include <optional>
#include <unordered_map>

namespace prun::pool::core {

namespace asio = boost::asio;

namespace {
constexpr std::size_t kNobody = SIZE_MAX;  // output that belongs to no task

std::int64_t ms_to_ns(std::chrono::milliseconds ms) { return static_cast<std::int64_t>(ms.count()) * 1'000'000; }
}  // namespace

class Driver::Impl final : public LinkEvents {
 public:
  Impl(const Options& options, const TaskTable& table, std::vector<Link*> links, WorkerSource* source,
       DriverConfig config)
      : options_(options), table_(table), source_(source), config_(std::move(config)),
        scheduler_(table.size, static_cast<int>(links.size()),
                   Scheduler::Options{options.batch_size, config_.max_tasks_per_worker,
                                      options.on_error == ErrorPolicy::fail_fast, config_.window,
                                      config_.max_outstanding}),
        observer_(options.observer.get()),
        observer_tags_(observer_ && observer_->wants_tags()) {
    if (config_.cancel) own_token_ = *config_.cancel;
    for (Link* l : links) {
      add(*l);
      scheduler_.set_taken(l->slot(), l->tasks_sent());
    }
  }

  ~Impl() {
    for (auto& s : slots_)
      if (s.link) s.link->detach();
    for (auto* d : {&own_cancel_, &user_cancel_, &own_halt_, &user_halt_})
      if (*d) {
        boost::system::error_code ec;
        (*d)->cancel(ec);
        (*d)->close(ec);
      }
  }

  void start() {
    scope::RoutingGuard routing;
    start_ns_ = sys::monotonic_ns();
    watch(own_cancel_, own_token_.fd(), &Impl::request_cancel);
    watch(own_halt_, own_token_.stopping_fd(), &Impl::request_halt);
    if (options_.cancel) {
      watch(user_cancel_, options_.cancel->fd(), &Impl::request_cancel);
      watch(user_halt_, options_.cancel->stopping_fd(), &Impl::request_halt);
    }
    if (observer_)
      observer_->on_run_started({n_tasks(), static_cast<int>(slots_.size()), config_.backend, options_.n_jobs});
    for (auto& s : slots_) s.link->attach(ctx_, *this);
    if (options_.cancel && options_.cancel->cancelled()) request_cancel();
    if (options_.cancel && options_.cancel->stopping()) request_halt();
    for (auto& s : slots_) dispatch(s);
    check_done();
  }

  bool step() {
    if (done_) return false;
    scope::RoutingGuard routing;  // the parent's configuration stays put during this turn
    if (ctx_.run_one() == 0 && !done_) {
      // Nothing can happen any more: no live worker is left to report.
      if (!error_) error_ = std::make_exception_ptr(std::logic_error("prun: every worker is gone but tasks remain"));
      finish();
    }
    return !done_;
  }

  void run() {
    while (step()) {
    }
    if (error_) std::rethrow_exception(error_);
    if (options_.on_error == ErrorPolicy::fail_fast)
      for (std::size_t i = 0; i < n_tasks(); ++i)
        if (!scheduler_.is_done(i)) throw std::logic_error("prun: task " + std::to_string(i) + " never reported a result");
  }

  bool finished() const noexcept { return done_; }
  std::exception_ptr error() const noexcept { return error_; }
  bool cancelled() const noexcept { return cancel_requested_; }
  std::size_t n_tasks() const noexcept { return scheduler_.n_tasks(); }
  void cancel() noexcept { own_token_.cancel(); }
  void consumed(std::size_t n) {
    asio::post(ctx_, [this, n] {
      scheduler_.consumed(n);
      for (auto& s : slots_) dispatch(s);
    });
  }
  void wake() {
    asio::post(ctx_, [] {});
  }

 private:
  enum class Stop { none, failed_fast, timeout, cancel };

  // What the driver keeps per slot: the link now serving it, its output routers, what it runs.
  struct Slot {
    Link* link = nullptr;
    std::optional<LineRouter> out, err;
    LogTail tail;
    std::int64_t tail_task = -1;
    std::string_view last_name;
    logging::Logger* last_logger = nullptr;
    bool stopping = false;  // recycling: give it nothing more
    std::uint8_t ended = 0;  // streams whose end of the current task came (output to a sink)
    // The task it runs, as its `started` event told.
    std::optional<std::size_t> task;
    std::uint32_t attempt = 1;
    std::int64_t started_ns = 0;
    std::int64_t deadline_ns = 0;  // 0: no timeout
    double limit_s = 0;
    // Being stopped by us, and why.
    Stop stop = Stop::none;
    std::optional<std::size_t> stopped_task;  // the task it ran then
    std::int64_t kill_at_ns = 0;  // SIGKILL then (0: sent, or not due)
  };

  void add(Link& link) {
    const auto w = static_cast<std::size_t>(link.slot());
    if (slots_.size() <= w) slots_.resize(w + 1);
    Slot& s = slots_[w];
    s = Slot{};
    s.link = &link;
    LineRouter::PrefixOf prefix_of;
    if (config_.capture)
      prefix_of = [this](std::size_t task) {
        return task == kNobody ? std::string() : expand_prefix(options_.prefix, table_.tag(task), task);
      };
    s.out.emplace([](std::string_view b) { scope::write_parent_stream(1, b); }, prefix_of);
    s.err.emplace([](std::string_view b) { scope::write_parent_stream(2, b); }, prefix_of);
  }

  Slot& slot_of(Link& link) { return slots_[static_cast<std::size_t>(link.slot())]; }

  // A token's descriptor stays readable once set: one wait is all it takes.
  void watch(std::optional<asio::posix::stream_descriptor>& d, int fd, void (Impl::*then)()) {
    d.emplace(ctx_, sys::dup_at_least(fd, 3));
    d->async_wait(asio::posix::stream_descriptor::wait_read, [this, then](const boost::system::error_code& ec) {
      if (!ec) (this->*then)();
    });
  }

  // ---- dispatch ------------------------------------------------------------------------------

  void dispatch(Slot& s) {
    if (s.stopping || s.stop != Stop::none || !s.link || s.link->exited() || done_) return;
    const int w = s.link->slot();
    for (;;) {
      if (auto b = scheduler_.next(w)) {
        send(s, *b);
        continue;
      }
      // Nothing known is left for this worker: a pulled input gives the next task now.
      if (!more_input() || !scheduler_.can_take(w) || scheduler_.work_left()) return;
      // Pulling may block (input read from a pipe): what was handed out in this turn of the
      // loop starts first (a link may start its work in a handler of its own), then the pull.
      if (sent_this_turn_) {
        if (!pull_posted_) {
          pull_posted_ = true;
          asio::post(ctx_, [this] {
            pull_posted_ = false;
            sent_this_turn_ = false;
            for (auto& o : slots_) dispatch(o);
            check_done();  // the input may have ended
          });
        }
        return;
      }
      if (config_.pull())
        scheduler_.grow(scheduler_.n_tasks() + 1);
      else
        input_over_ = true;
    }
  }

  bool more_input() const noexcept { return config_.pull && !input_over_; }

  void send(Slot& s, const Batch& b) {
    protocol::Batch msg;
    msg.begin = b.begin;
    msg.end = b.end;
    msg.attempt = b.attempt;
    std::vector<std::string> tags;
    if (config_.remote) {
      tags.reserve(b.size());
      msg.named.reserve(b.size());
      for (std::size_t i = b.begin; i < b.end; ++i) {
        tags.push_back(table_.tag(i));
        const RemoteTask& t = (*config_.remote)[i];
        msg.named.push_back({tags.back(), t.name, t.args});
      }
    }
    frame_.clear();
    msg.encode(frame_);
    s.link->count_sent(b.size());
    sent_this_turn_ = more_input();
    s.link->send(frame_);  // a failure means the worker is gone: its exit says the rest
  }

  // ---- events --------------------------------------------------------------------------------

  void on_record(Link& link, logging::Record& r) override {
    Slot& s = slot_of(link);
    if (r.task_index != s.tail_task) {
      s.tail.clear();
      s.tail_task = r.task_index;
    }
    if (r.name.data() != s.last_name.data()) {
      s.last_name = r.name;
      s.last_logger = &logging::get_logger(r.name);
    }
    // As the cookbook's listener: the caller's handlers decide, its logger filters do not.
    scope::route_to_parent(*s.last_logger, r);
    if (observer_ && observer_->wants_records()) observer_->on_record(r);
    s.tail.push_swap(r);  // no allocation per record once the tail is full
  }

  void on_output(Link& link, int stream, std::size_t task, std::string_view bytes, bool last) override {
    Slot& s = slot_of(link);
    if (config_.output) {
      if (!bytes.empty()) config_.output->on_output(task, stream, bytes);
      if (last && (s.ended |= static_cast<std::uint8_t>(stream)) == 3) {
        s.ended = 0;
        config_.output->on_job_end(task);
      }
      return;
    }
    LineRouter& router = stream == 1 ? *s.out : *s.err;
    if (!bytes.empty()) router.text(task, bytes);
    if (last) router.end(task);
    router.flush();
  }

  void on_started(Link& link, const protocol::Started& st) override {
    Slot& s = slot_of(link);
    const auto i = static_cast<std::size_t>(st.index);
    scheduler_.started(link.slot(), i);
    s.task = i;
    s.attempt = scheduler_.attempt(i);
    s.started_ns = st.t_ns;
    const std::chrono::milliseconds limit = timeout_of(i);
    s.deadline_ns = limit.count() > 0 ? st.t_ns + ms_to_ns(limit) : 0;
    s.limit_s = static_cast<double>(limit.count()) / 1e3;
    if (s.deadline_ns) arm_timer();
    if (observer_) {
      const std::string tag = observer_tags_ ? table_.tag(i) : std::string();
      observer_->on_task_started({i, tag, link.slot() + 1, link.pid(), s.attempt, st.t_ns});
    }
  }

  void on_finished(Link& link, const protocol::Finished& f) override {
    const auto i = static_cast<std::size_t>(f.index);
    if (i >= n_tasks()) throw protocol::ProtocolError("prun: a worker finished a task that does not exist");
    Slot& s = slot_of(link);
    const std::int64_t started = s.task == i ? s.started_ns : 0;
    const std::uint32_t attempt = scheduler_.attempt(i);
    s.task.reset();
    s.deadline_ns = 0;
    if (f.ok) {
      scheduler_.finished(link.slot(), i);
      table_.store(i, f.result);
      ++n_ok_;
      tell_finished(link, i, attempt, started, f.t_ns, TaskStatus::ok, true, {}, f.peak_rss_kib, f.exit_code);
      return;
    }
    const std::string what = std::string(f.error.type) + ": " + std::string(f.error.message);
    if (options_.retry_on_error && attempt <= static_cast<std::uint32_t>(options_.retries)) {
      again(i, attempt, what);
      tell_finished(link, i, attempt, started, f.t_ns, TaskStatus::error, false, what, f.peak_rss_kib, f.exit_code);
      return;
    }
    scheduler_.finished(link.slot(), i);
    tell_finished(link, i, attempt, started, f.t_ns, TaskStatus::error, true, what, f.peak_rss_kib, f.exit_code);
    give_up(i, std::make_exception_ptr(TaskError(i, table_.tag(i), link.pid(), link.name(), std::string(f.error.type),
                                                 std::string(f.error.message), tail_of(s, i), attempt,
                                                 earlier_of(i))));
  }

  void on_batch_done(Link& link) override {
    Slot& s = slot_of(link);
    scheduler_.batch_done(link.slot());
    s.task.reset();
    s.deadline_ns = 0;
    dispatch(s);
    check_done();
  }

  void on_recycle(Link& link) override {
    Slot& s = slot_of(link);
    s.stopping = true;
    scheduler_.retire(link.slot());
  }

  void on_exit(Link& link, const WorkerExit& exit) override {
    Slot& s = slot_of(link);
    s.out->finish();
    s.err->finish();
    link.detach();  // it delivered everything it had; nothing of it may reach a successor's slot
    const std::optional<std::size_t> known = exit.running ? exit.running : s.task;
    const std::int64_t now = sys::monotonic_ns();
    const int w = link.slot();
    const char* why = "left";
    // How it ended, for the observer: the signal, and a command's own exit status.
    end_signal_ = WIFSIGNALED(exit.status) ? WTERMSIG(exit.status) : 0;
    end_code_ = exit.task_process && WIFEXITED(exit.status) ? WEXITSTATUS(exit.status) : -1;
    switch (s.stop) {
      case Stop::failed_fast:
        why = "stopped: an earlier task failed";
        scheduler_.lost(w, known, false);
        break;
      case Stop::cancel: {
        why = "stopped: the run was cancelled";
        const std::optional<std::size_t> task = s.stopped_task ? s.stopped_task : known;
        scheduler_.lost(w, task, false);
        if (task && !scheduler_.is_done(*task)) {
          scheduler_.give_up(*task);
          tell_finished(link, *task, s.attempt, s.started_ns, now, TaskStatus::cancelled, true, "cancelled", 0, end_code_,
                        end_signal_);
          if (options_.on_error == ErrorPolicy::collect && table_.fail)
            table_.fail(*task, std::make_exception_ptr(Cancelled(scheduler_.n_done(), n_tasks())));
        }
        break;
      }
      case Stop::timeout: {
        why = "timed out";
        // The task it was stopped for, unless that one finished just before the signal landed.
        std::optional<std::size_t> task = s.stopped_task;
        if (task && scheduler_.is_done(*task)) task.reset();
        scheduler_.lost(w, task, false);
        if (task) timed_out(link, s, *task, now);
        break;
      }
      case Stop::none:
        if (exit.expected) {
          why = "recycled";
          scheduler_.lost(w, std::nullopt, false);
        } else if (auto culprit = scheduler_.lost(w, known, true); culprit && *culprit < scheduler_.stop_before()) {
          why = "crashed";
          crashed(link, s, *culprit, exit, now);
        } else {
          why = "exited";  // with nothing to do (killed from outside between batches)
        }
        break;
    }
    if (!done_ && (scheduler_.work_left() || more_input())) replace(s, why);
    check_done();
  }

  // ---- failures ------------------------------------------------------------------------------

  std::vector<std::string> tail_of(const Slot& s, std::size_t task) const {
    return s.tail_task == static_cast<std::int64_t>(task) ? s.tail.lines() : std::vector<std::string>{};
  }

  std::vector<std::string> earlier_of(std::size_t task) const {
    auto it = earlier_.find(task);
    return it == earlier_.end() ? std::vector<std::string>{} : it->second;
  }

  std::chrono::milliseconds timeout_of(std::size_t task) const {
    if (table_.timeout)
      if (auto own = table_.timeout(task)) return *own;
    return options_.timeout;
  }

  void tell_finished(Link& link, std::size_t i, std::uint32_t attempt, std::int64_t started, std::int64_t ended,
                     TaskStatus status, bool final, std::string_view error, std::int64_t rss, int exit_code = -1,
                     int sig = 0) {
    if (status != TaskStatus::ok && final) ++n_failed_;
    if (!observer_) return;
    const std::string tag = observer_tags_ ? table_.tag(i) : std::string();
    observer_->on_task_finished(
        {i, tag, link.slot() + 1, link.pid(), attempt, started, ended, status, final, error, rss, exit_code, sig});
  }

  // Task i runs again: its attempt so far (`what` says how it ended) is kept for its error.
  void again(std::size_t i, std::uint32_t attempt, const std::string& what) {
    earlier_[i].push_back(fmt::format("attempt {}: {}", attempt, what));
    scheduler_.retry(i, attempt + 1);
  }

  void crashed(Link& link, Slot& s, std::size_t i, const WorkerExit& exit, std::int64_t now) {
    const std::uint32_t attempt = scheduler_.attempt(i);
    const int sig = WIFSIGNALED(exit.status) ? WTERMSIG(exit.status) : 0;
    const int code = WIFEXITED(exit.status) ? WEXITSTATUS(exit.status) : 0;
    std::exception_ptr error;
    std::string what;
    if (!exit.fatal.empty()) {
      what = "worker failure: " + exit.fatal;
      error = std::make_exception_ptr(TaskError(i, table_.tag(i), link.pid(), link.name(), "worker failure",
                                                exit.fatal, tail_of(s, i), attempt, earlier_of(i)));
    } else {
      WorkerCrashed e(i, table_.tag(i), link.pid(), link.name(), sig, code, tail_of(s, i),
                      std::string(exit_code_meaning(code)), attempt, earlier_of(i));
      what = e.message();
      error = std::make_exception_ptr(e);
    }
    const std::int64_t started = s.task == i ? s.started_ns : 0;
    if (attempt <= static_cast<std::uint32_t>(options_.retries)) {
      again(i, attempt, what);
      tell_finished(link, i, attempt, started, now, TaskStatus::crashed, false, what, 0, end_code_, end_signal_);
      return;
    }
    scheduler_.give_up(i);
    tell_finished(link, i, attempt, started, now, TaskStatus::crashed, true, what, 0, end_code_, end_signal_);
    give_up(i, error);
  }

  void timed_out(Link& link, Slot& s, std::size_t i, std::int64_t now) {
    const std::uint32_t attempt = scheduler_.attempt(i);
    const double elapsed = static_cast<double>(now - s.started_ns) / 1e9;
    TaskTimeout e(i, table_.tag(i), link.pid(), link.name(), elapsed, s.limit_s, tail_of(s, i), attempt, earlier_of(i));
    if (attempt <= static_cast<std::uint32_t>(options_.retries)) {
      again(i, attempt, e.message());
      tell_finished(link, i, attempt, s.started_ns, now, TaskStatus::timed_out, false, e.message(), 0, end_code_,
                    end_signal_);
      return;
    }
    scheduler_.give_up(i);
    tell_finished(link, i, attempt, s.started_ns, now, TaskStatus::timed_out, true, e.message(), 0, end_code_,
                  end_signal_);
    give_up(i, std::make_exception_ptr(e));
  }

  // Task i failed for good: the policy decides what that means for the run.
  void give_up(std::size_t i, std::exception_ptr error) {
    if (table_.fail) table_.fail(i, error);  // its outcome, for a consumer of outcomes
    if (options_.on_error == ErrorPolicy::collect) return;
    if (scheduler_.fail(i)) error_ = std::move(error);
    // No task from the limit on may start; workers already running one are stopped.
    const std::size_t limit = scheduler_.stop_before();
    for (Slot& s : slots_) {
      if (!s.link || s.link->exited()) continue;
      s.link->set_stop_before(limit);
      if (s.stop != Stop::none) continue;
      if (auto r = s.link->running(); r && r->index > i) {
        s.link->signal(SIGKILL);
        s.stop = Stop::failed_fast;
      }
    }
  }

  // ---- time: timeouts and grace periods ------------------------------------------------------

  void arm_timer() {
    std::int64_t next = 0;
    for (const Slot& s : slots_) {
      if (!s.link || s.link->exited()) continue;
      for (std::int64_t t : {s.stop == Stop::none ? s.deadline_ns : 0, s.kill_at_ns})
        if (t && (!next || t < next)) next = t;
    }
    if (!next || (timer_armed_ && next >= timer_at_)) return;
    timer_armed_ = true;
    timer_at_ = next;
    // steady_clock is CLOCK_MONOTONIC, the clock of the workers' timestamps.
    timer_.expires_at(std::chrono::steady_clock::time_point(std::chrono::nanoseconds(next)));
    timer_.async_wait([this](const boost::system::error_code& ec) {
      if (ec) return;
      timer_armed_ = false;
      on_time();
    });
  }

  void on_time() {
    const std::int64_t now = sys::monotonic_ns();
    for (Slot& s : slots_) {
      if (!s.link || s.link->exited()) continue;
      if (s.stop == Stop::none && s.deadline_ns && now >= s.deadline_ns) stop(s, Stop::timeout, now);
      if (s.kill_at_ns && now >= s.kill_at_ns) {
        s.link->signal(SIGKILL);
        s.kill_at_ns = 0;
      }
    }
    arm_timer();
  }

  // Stops a worker's task: SIGTERM to its process group now, SIGKILL after the grace period.
  void stop(Slot& s, Stop why, std::int64_t now) {
    s.stop = why;
    s.stopped_task = s.task;
    if (!s.stopped_task)
      if (auto r = s.link->running()) s.stopped_task = r->index;
    s.link->set_stop_before(0);
    s.link->signal(SIGTERM);
    s.kill_at_ns = now + ms_to_ns(options_.grace);
  }

  void request_cancel() {
    if (cancel_requested_ || done_) return;
    cancel_requested_ = true;
    input_over_ = true;
    scheduler_.cancel();
    const std::int64_t now = sys::monotonic_ns();
    for (Slot& s : slots_) {
      if (!s.link || s.link->exited()) continue;
      s.link->set_stop_before(0);
      if (s.stop == Stop::none && (s.task || s.link->running())) stop(s, Stop::cancel, now);
    }
    arm_timer();
    check_done();
  }

  // Halting (CancelToken::stop_starting): nothing more starts; running tasks finish as usual.
  void request_halt() {
    if (halted_ || cancel_requested_ || done_) return;
    halted_ = true;
    input_over_ = true;
    scheduler_.cancel();
    for (Slot& s : slots_) {
      if (!s.link || s.link->exited()) continue;
      // A worker starts no task after the one it runs (it may have begun the next already).
      const std::optional<Running> r = s.link->running();
      s.link->set_stop_before(r ? r->index + 1 : 0);
    }
    check_done();
  }

  // ---- workers -------------------------------------------------------------------------------

  void replace(Slot& s, const char* why) {
    if (!source_) return;
    const int w = s.link->slot();
    const int old_pid = s.link->pid();
    try {
      Link& fresh = source_->replace(w);
      scheduler_.renew(w);
      scheduler_.set_taken(w, fresh.tasks_sent());
      add(fresh);
      fresh.attach(ctx_, *this);
      if (observer_) observer_->on_worker_replaced({w + 1, old_pid, fresh.pid(), why});
      dispatch(slots_[static_cast<std::size_t>(w)]);
    } catch (...) {
      // No worker for this slot: the run fails with why (fail-fast), or the tasks wait for the
      // other workers; with none left, what could not run fails.
      const bool others = std::any_of(slots_.begin(), slots_.end(), [&](const Slot& o) {
        return o.link && o.link != s.link && !o.link->exited();
      });
      if (!others || options_.on_error == ErrorPolicy::fail_fast) {
        if (!error_) error_ = std::current_exception();
        scheduler_.cancel();
      }
    }
  }

  void check_done() {
    if (done_ || !scheduler_.settled() || more_input()) return;
    // Workers we stopped must be gone (their records delivered) before the run ends.
    for (const Slot& s : slots_)
      if (s.link && s.stop != Stop::none && !s.link->exited()) return;
    finish();
  }

  void finish() {
    done_ = true;
    timer_.cancel();
    const bool cut_short = cancel_requested_ || (halted_ && scheduler_.n_done() < n_tasks());
    if (cut_short) {
      // What never finished was cancelled; the run itself ends with Cancelled.
      if (options_.on_error == ErrorPolicy::collect && table_.fail)
        for (std::size_t i = 0; i < n_tasks(); ++i)
          if (!scheduler_.is_done(i)) table_.fail(i, std::make_exception_ptr(Cancelled(scheduler_.n_done(), n_tasks())));
      if (!error_) error_ = std::make_exception_ptr(Cancelled(scheduler_.n_done(), n_tasks()));
    }
    if (observer_)
      observer_->on_run_finished({n_tasks(), n_ok_, n_failed_, cut_short, sys::monotonic_ns() - start_ns_});
  }

  const Options& options_;
  const TaskTable& table_;
  WorkerSource* source_;
  DriverConfig config_;
  Scheduler scheduler_;
  RunObserver* observer_;
  const bool observer_tags_;  // the observer reads tags: make them
  bool sent_this_turn_ = false;  // work was handed out since the last pull (input still open)
  bool pull_posted_ = false;
  asio::io_context ctx_{1};
  asio::steady_timer timer_{ctx_};
  bool timer_armed_ = false;
  std::int64_t timer_at_ = 0;
  CancelToken own_token_;
  std::optional<asio::posix::stream_descriptor> own_cancel_, user_cancel_, own_halt_, user_halt_;
  std::vector<Slot> slots_;
  std::unordered_map<std::size_t, std::vector<std::string>> earlier_;  // attempts of tasks that ran again
  std::string frame_;
  std::exception_ptr error_;
  bool cancel_requested_ = false;
  bool halted_ = false;
  bool input_over_ = false;
  int end_signal_ = 0, end_code_ = -1;  // how the worker in on_exit ended
  bool done_ = false;
  std::int64_t start_ns_ = 0;
  std::size_t n_ok_ = 0, n_failed_ = 0;
};

Driver::Driver(const Options& options, const TaskTable& table, std::vector<Link*> links, WorkerSource* source,
               DriverConfig config)
    : impl_(std::make_unique<Impl>(options, table, std::move(links), source, std::move(config))) {}
Driver::~Driver() = default;
void Driver::start() { impl_->start(); }
bool Driver::step() { return impl_->step(); }
void Driver::run() { impl_->run(); }
bool Driver::finished() const noexcept { return impl_->finished(); }
std::exception_ptr Driver::error() const noexcept { return impl_->error(); }
bool Driver::cancelled() const noexcept { return impl_->cancelled(); }
std::size_t Driver::n_tasks() const noexcept { return impl_->n_tasks(); }
void Driver::cancel() noexcept { impl_->cancel(); }
void Driver::consumed(std::size_t n) { impl_->consumed(n); }
void Driver::wake() { impl_->wake(); }

}  // namespace prun::pool::core
