#include "session.hpp"

#include "text.hpp"

#include <prun/pool/errors.hpp>

#include <prun/pool/trace.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <csignal>
#include <ctime>

#include <unistd.h>

namespace prun::cli {

namespace {

std::int64_t now_ns(clockid_t clock) {
  timespec ts{};
  ::clock_gettime(clock, &ts);
  return std::int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

std::chrono::milliseconds ceil_ms(std::chrono::nanoseconds ns) {
  return std::chrono::ceil<std::chrono::milliseconds>(ns);
}

}  // namespace

/// Hands the run's events to the session (and to the trace, when there is one).
class Session::Observer : public pool::RunObserver {
 public:
  Observer(Session& session, std::shared_ptr<pool::RunObserver> trace) : session_(session), trace_(std::move(trace)) {}
  void on_run_started(const pool::RunStarted& e) override {
    if (trace_) trace_->on_run_started(e);
  }
  void on_task_started(const pool::TaskStarted& e) override {
    session_.task_started(e);
    if (trace_) trace_->on_task_started(e);
  }
  void on_task_finished(const pool::TaskFinished& e) override {
    if (trace_) trace_->on_task_finished(e);
    session_.task_finished(e);
  }
  void on_worker_replaced(const pool::WorkerReplaced& e) override {
    if (trace_) trace_->on_worker_replaced(e);
  }
  void on_run_finished(const pool::RunFinished& e) override {
    session_.run_finished();
    if (trace_) trace_->on_run_finished(e);
  }

 private:
  Session& session_;
  std::shared_ptr<pool::RunObserver> trace_;
};

Session::Session(const CliOptions& options, JobMaker& jobs, std::unique_ptr<ResultsWriter> results, std::size_t total)
    : options_(options),
      jobs_(jobs),
      results_(std::move(results)),
      sink_(OutputSink::Settings{.mode = options.output, .keep_order = options.keep_order, .print = !results_}),
      halt_(options.halt, total) {
  if (!options.joblog.empty()) joblog_ = std::make_unique<JoblogWriter>(options.joblog, options.resume || options.resume_failed);
  if (!options.log_file.empty()) logger_ = std::make_unique<JobLogger>(options.log_file, options.log_format, options.log_json);
  if (options.progress || options.eta || options.bar)
    progress_ = std::make_unique<ProgressDisplay>(ProgressDisplay::Settings{.progress = options.progress,
                                                                            .eta = options.eta,
                                                                            .bar = options.bar,
                                                                            .cpus = pool::usable_cpus(),
                                                                            .n_jobs = options.n_jobs,
                                                                            .total = total});
  if (!options.trace_file.empty()) {
    try {
      trace_ = std::make_shared<pool::TraceObserver>(pool::TraceOptions{.path = options.trace_file});
    } catch (const std::system_error& e) {
      throw UsageError(fmt::format("cannot write to --trace '{}': {}", options.trace_file, e.code().message()));
    }
  }
  observer_ = std::make_shared<Observer>(*this, trace_);
  for (int slot = 1; slot <= options.n_jobs && slot <= 4096; ++slot) free_slots_.insert(slot);
  next_extra_slot_ = std::min(options.n_jobs, 4096) + 1;
}

Session::~Session() = default;

int Session::take_slot() {
  // The lowest free slot, as GNU parallel gives {%}. Slots past 4096 (-j0) are handed out as
  // they are first needed.
  if (free_slots_.empty()) return next_extra_slot_++;
  int slot = *free_slots_.begin();
  free_slots_.erase(free_slots_.begin());
  return slot;
}

void Session::give_back_slot(int slot) { free_slots_.insert(slot); }

Session::Entry* Session::entry(std::size_t index) {
  if (index < base_ || index - base_ >= entries_.size()) return nullptr;
  return entries_[index - base_].get();
}

std::optional<std::chrono::milliseconds> Session::timeout_for_next_job() const {
  if (options_.timeout.percent <= 0) return std::nullopt;
  if (ok_runtimes_.empty()) return std::nullopt;  // no job succeeded yet: no limit (GNU parallel)
  std::vector<double> sorted = ok_runtimes_;
  auto middle = sorted.begin() + static_cast<std::ptrdiff_t>(sorted.size() / 2);
  std::nth_element(sorted.begin(), middle, sorted.end());
  const double limit_s = *middle * options_.timeout.percent / 100;
  return std::chrono::milliseconds(std::max<std::int64_t>(1, std::llround(limit_s * 1000)));
}

std::optional<pool::CommandJob> Session::next_job(std::size_t index) {
  if (output_closed_) return std::nullopt;
  const int slot = take_slot();
  std::optional<Job> job = jobs_.next(slot);
  if (!job) {
    give_back_slot(slot);
    return std::nullopt;
  }
  if (results_) results_->start(index, *job);
  sink_.add_job(index, job->prefix);
  pool::CommandJob command{.command = job->command, .tag = job->tag, .timeout = timeout_for_next_job()};
  while (base_ + entries_.size() < index) entries_.push_back(nullptr);
  entries_.push_back(std::make_unique<Entry>(Entry{.job = std::move(*job)}));
  return command;
}

void Session::on_output(std::size_t job, int stream, std::string_view bytes) {
  Entry* e = entry(job);
  if (!e) return;
  if (stream == 1) e->received += bytes.size();
  sink_.output(job, stream, bytes);
  if (results_) results_->output(job, stream, bytes);
  if (logger_) logger_->output(job, e->job, stream, bytes);
  if (sink_.closed() && !output_closed_) {
    // Whoever read our output is gone: nothing more can be shown, so nothing more runs.
    output_closed_ = true;
    cancel_.cancel();
  }
}

void Session::on_job_end(std::size_t) {
  // The job's outcome (and whether it runs again) comes with on_task_finished, next.
}

void Session::task_started(const pool::TaskStarted& event) {
  Entry* e = entry(event.index);
  if (!e) return;
  ++running_;
  e->started_ns = event.t_ns;
  e->start_epoch_s = double(now_ns(CLOCK_REALTIME) - (now_ns(CLOCK_MONOTONIC) - event.t_ns)) / 1e9;
  e->received = 0;
  if (logger_) logger_->started(event.index, e->job, event);
  if (progress_) progress_->started();
}

void Session::task_finished(const pool::TaskFinished& event) {
  Entry* e = entry(event.index);
  if (!e) return;
  if (running_) --running_;
  if (logger_) logger_->finished(event.index, e->job, event);
  if (!event.final) {
    if (progress_) progress_->retrying();
    sink_.job_done(event.index, false);
    if (results_) results_->done(event.index, false);
    return;
  }
  sink_.job_done(event.index, true);
  if (results_) results_->done(event.index, true);
  const std::int64_t started = event.started_ns ? event.started_ns : e->started_ns;
  const double runtime_s = started ? double(event.finished_ns - started) / 1e9 : 0.0;
  if (progress_) progress_->finished(runtime_s, e->job.tag);
  // GNU parallel's columns: a job killed by a signal has Exitval 0 and the signal; one killed
  // for its timeout has Exitval -1. A job stopped by prun (--halt now, Ctrl-C) did not finish:
  // it is not logged, so --resume runs it again.
  int exit_value = 0, signal = 0;
  bool failed = true;
  switch (event.status) {
    case pool::TaskStatus::ok: failed = false; break;
    case pool::TaskStatus::error: exit_value = event.exit_code; break;
    case pool::TaskStatus::crashed:
      signal = event.signal;
      exit_value = signal ? 0 : event.exit_code;
      break;
    case pool::TaskStatus::timed_out:
      exit_value = -1;
      signal = event.signal ? event.signal : SIGTERM;
      break;
    case pool::TaskStatus::cancelled: failed = false; break;
  }
  if (event.status != pool::TaskStatus::cancelled) {
    if (joblog_)
      joblog_->write(JoblogEntry{.seq = e->job.seq,
                                 .start_epoch_s = e->start_epoch_s,
                                 .runtime_s = runtime_s,
                                 .received = e->received,
                                 .exit_value = exit_value,
                                 .signal = signal,
                                 .command = e->job.command});
    if (!failed) ok_runtimes_.push_back(runtime_s);
    std::string messages;
    if (event.status == pool::TaskStatus::timed_out)
      messages += fmt::format("prun: Warning: This job was killed because it timed out:\nprun: Warning: {}\n", e->job.command);
    auto action = halt_.job_done(failed, exit_value, signal, e->job.command, running_, messages);
    if (!messages.empty()) write_fully(2, messages);
    if (action == HaltTracker::Action::now) cancel_.cancel();
    else if (action == HaltTracker::Action::soon) cancel_.stop_starting();
  }
  give_back_slot(e->job.slot);
  entries_[event.index - base_].reset();
  while (!entries_.empty() && !entries_.front()) {
    entries_.pop_front();
    ++base_;
  }
}

void Session::run_finished() {
  if (finished_) return;
  finished_ = true;
  // Everything held is printed and every file is complete before run_commands returns — or
  // raises the signal that stopped it (Ctrl-C), which ends this process.
  sink_.flush_all();
  if (logger_) logger_->flush();
  if (progress_) progress_->done();
}

int Session::run(const Engine& engine) {
  pool::CommandOptions options;
  options.options.n_jobs = options_.n_jobs;
  options.options.timeout = options_.timeout.percent > 0 ? std::chrono::milliseconds(0) : ceil_ms(options_.timeout.fixed);
  options.options.retries = options_.retries > 1 ? static_cast<int>(options_.retries - 1) : 0;
  options.options.observer = observer_;
  options.options.cancel = cancel_;
  options.options.handle_signals = true;
  options.delay = ceil_ms(options_.delay);
  try {
    engine(options, [this](std::size_t index) { return next_job(index); }, *this);
  } catch (const pool::Cancelled&) {
    run_finished();
    if (output_closed_) return 255;
    if (!halt_.halted()) throw;
    return halt_.exit_status();
  }
  run_finished();
  return halt_.exit_status();
}

namespace {

int dry_run(const CliOptions& options, JobMaker& jobs) {
  std::string out;
  for (std::size_t n = 0;; ++n) {
    // No job runs, so no slot frees: {%} counts through the slots as jobs would take them.
    auto job = jobs.next(static_cast<int>(n % static_cast<std::size_t>(options.n_jobs)) + 1);
    if (!job) break;
    out += job->prefix + job->command + '\n';
    if (out.size() >= (std::size_t{1} << 16)) {
      if (!write_fully(1, out)) return 0;
      out.clear();
    }
  }
  write_fully(1, out);
  return 0;
}

}  // namespace

int run_with(const CliOptions& options, const Session::Engine& engine) {
  for (const SourceSpec& source : options.sources)
    if (source.kind == SourceSpec::Kind::file && source.path == "-" && ::isatty(0))
      complain("reading the arguments from the terminal (end them with Ctrl-D; see prun --help)");
  JobMaker jobs(options);
  std::unique_ptr<ResultsWriter> results;
  if (!options.results.empty()) results = std::make_unique<ResultsWriter>(options.results);
  if (options.resume || options.resume_failed) {
    if (!options.joblog.empty() && options.joblog != "-") {
      std::string path = options.joblog.starts_with('+') ? options.joblog.substr(1) : options.joblog;
      jobs.skip(read_joblog_done(path, options.resume_failed));
    }
    if (results && !options.resume_failed) jobs.skip_if([&results](const Job& job) { return results->exists(job); });
  }
  if (options.dry_run) return dry_run(options, jobs);
  const bool need_total =
      options.eta || options.bar || (options.halt.when != HaltSpec::When::never && options.halt.is_percent);
  const std::size_t total = need_total ? jobs.count_jobs() : 0;
  Session session(options, jobs, std::move(results), total);
  return session.run(engine);
}

}  // namespace prun::cli
