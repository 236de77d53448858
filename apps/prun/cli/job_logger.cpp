#include "job_logger.hpp"

#include "values.hpp"

#include <prun/logging/file_handler.hpp>
#include <prun/logging/formatter.hpp>
#include <prun/logging/json_formatter.hpp>
#include <prun/logging/level.hpp>
#include <prun/pool/errors.hpp>

#include <fmt/format.h>

#include <chrono>

#include <pthread.h>

namespace prun::cli {

namespace log = prun::logging;

JobLogger::JobLogger(const std::string& path, const std::string& format, bool json) {
  log::FormatterPtr formatter;
  try {
    if (json) {
      formatter = std::make_shared<log::JsonFormatter>(log::JsonFormatter::Options{.asctime = true});
    } else {
      log::Formatter::Defaults defaults = {{"seq", ""},  {"tag", ""},       {"args", ""},   {"pid", ""},
                                           {"stream", ""}, {"attempt", ""}, {"event", ""},  {"exit_code", ""},
                                           {"signal", ""}, {"duration", ""}};
      formatter = std::make_shared<log::Formatter>(format.empty() ? kDefaultLogFormat : format, "",
                                                   log::Formatter::Style::percent, std::move(defaults));
    }
  } catch (const std::invalid_argument& e) {
    throw UsageError(fmt::format("--log-format '{}': {}", format, e.what()));
  }
  try {
    handler_ = std::make_shared<log::FileHandler>(path, "a");
  } catch (const std::system_error& e) {
    throw UsageError(fmt::format("cannot write to --log '{}': {}", path, e.code().message()));
  }
  handler_->set_formatter(std::move(formatter));
}

JobLogger::~JobLogger() { flush(); }

log::Record JobLogger::record(const Job& job, const JobState& state, int level, std::string message,
                              std::string_view stream, std::string_view event) const {
  log::Record r;
  r.name = "prun.job";
  r.levelno = level;
  r.message = std::move(message);
  r.created_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                     std::chrono::system_clock::now().time_since_epoch())
                     .count();
  r.relative_ns = r.created_ns - log::start_time_ns();
  r.process = state.pid;
  r.process_name = log::process_name();
  r.thread = static_cast<std::uint64_t>(::pthread_self());
  r.thread_name = log::thread_name();
  r.task = job.tag;
  r.task_index = static_cast<std::int64_t>(job.seq) - 1;
  r.worker = job.slot;
  r.attempt = static_cast<int>(state.attempt);
  r.extra = {{"seq", static_cast<std::int64_t>(job.seq)},
             {"tag", job.tag},
             {"args", job.args_text},
             {"pid", static_cast<std::int64_t>(state.pid)},
             {"stream", std::string(stream)},
             {"attempt", static_cast<std::int64_t>(state.attempt)},
             {"event", std::string(event)}};
  return r;
}

void JobLogger::started(std::size_t index, const Job& job, const pool::TaskStarted& event) {
  JobState& state = jobs_[index];
  state.pid = event.pid;
  state.attempt = event.attempt;
  state.last.clear();
  log::Record r = record(job, state, log::INFO, "start: " + job.command, "event", "start");
  handler_->handle(r);
}

void JobLogger::line(const Job& job, JobState& state, int stream, std::string_view text) {
  state.last.emplace_back(text);
  if (state.last.size() > kLastLines) state.last.pop_front();
  log::Record r = record(job, state, log::INFO, std::string(text), stream == 2 ? "stderr" : "stdout", "line");
  handler_->handle(r);
}

void JobLogger::output(std::size_t index, const Job& job, int stream, std::string_view bytes) {
  JobState& state = jobs_[index];
  std::string& partial = state.partial[stream == 2 ? 1 : 0];
  log::BatchScope batch;  // the lines of one read: one write()
  while (!bytes.empty()) {
    std::size_t newline = bytes.find('\n');
    if (newline == std::string_view::npos) {
      partial.append(bytes);
      return;
    }
    if (partial.empty()) {
      line(job, state, stream, bytes.substr(0, newline));
    } else {
      partial.append(bytes.substr(0, newline));
      line(job, state, stream, partial);
      partial.clear();
    }
    bytes.remove_prefix(newline + 1);
  }
}

void JobLogger::finished(std::size_t index, const Job& job, const pool::TaskFinished& event) {
  JobState& state = jobs_[index];
  for (int stream : {1, 2}) {
    std::string& partial = state.partial[stream - 1];
    if (!partial.empty()) {
      line(job, state, stream, partial);
      partial.clear();
    }
  }
  const double seconds = event.started_ns > 0 ? double(event.finished_ns - event.started_ns) / 1e9 : 0.0;
  // The message says how it ended; how long it took is the record's duration.
  std::string what;
  int level = log::ERROR;
  switch (event.status) {
    case pool::TaskStatus::ok:
      what = "exit status 0";
      level = log::INFO;
      break;
    case pool::TaskStatus::error: what = fmt::format("exit status {}", event.exit_code); break;
    case pool::TaskStatus::crashed:
      what = event.signal ? "killed by signal " + pool::signal_name(event.signal) : fmt::format("exit status {}", event.exit_code);
      break;
    case pool::TaskStatus::timed_out:
      what = "timed out" + (event.signal ? ", killed by signal " + pool::signal_name(event.signal) : std::string());
      break;
    case pool::TaskStatus::cancelled:
      what = "stopped by prun" + (event.signal ? " with signal " + pool::signal_name(event.signal) : std::string());
      level = log::WARNING;
      break;
  }
  if (!event.final) {
    what += "; it runs again";
    level = log::WARNING;
  }
  log::Record r = record(job, state, level, "end: " + what, "event", "end");
  r.extra.emplace_back("exit_code", static_cast<std::int64_t>(event.exit_code));
  r.extra.emplace_back("signal", event.signal ? pool::signal_name(event.signal) : std::string());
  r.extra.emplace_back("duration", seconds);
  if (event.status != pool::TaskStatus::ok && !state.last.empty()) {
    r.exc_text = "last lines:";
    for (const std::string& l : state.last) r.exc_text += "\n  " + l;
  }
  handler_->handle(r);
  if (event.final) jobs_.erase(index);
}

void JobLogger::flush() {
  if (handler_) handler_->flush();
}

}  // namespace prun::cli
