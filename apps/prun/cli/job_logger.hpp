#pragma once
/// --log: every job's output lines and events as log records, through prun::logging's
/// formatters (Python's %-style, or JSON lines).

#include "jobs.hpp"

#include <prun/logging/handler.hpp>
#include <prun/pool/observer.hpp>

#include <cstddef>
#include <deque>
#include <string>
#include <string_view>
#include <unordered_map>

namespace prun::cli {

/// The default --log-format.
inline constexpr const char* kDefaultLogFormat = "%(asctime)s %(levelname)s %(seq)s %(tag)s %(stream)s %(message)s";

/// Writes one record per output line (INFO; stream "stdout" or "stderr", event "line") and one
/// per job event (stream "event": "start" at INFO; "end" at INFO for exit status 0, ERROR for
/// a failure, a signal or a timeout, WARNING for a job prun stopped or one that runs again).
/// Every record has the extras seq, tag, args, pid, stream, attempt and event, and the task
/// fields (task = tag, taskIndex = seq - 1, worker = slot, attempt); an end record has
/// exit_code, signal (its name, "" for none) and duration (seconds; the message says how it
/// ended: "exit status 3", "killed by signal SIGKILL", "timed out"), and for a job that did
/// not succeed its last lines, shown below the message as an exception's text is. A format
/// may name any of them on every record (missing ones are ""). Single-threaded.
class JobLogger {
 public:
  /// Opens `path` for appending. Throws UsageError for a format Python would refuse or a file
  /// that cannot be opened.
  JobLogger(const std::string& path, const std::string& format, bool json);
  ~JobLogger();

  void started(std::size_t index, const Job& job, const pool::TaskStarted& event);
  void output(std::size_t index, const Job& job, int stream, std::string_view bytes);
  /// The attempt ended (its unfinished last line is logged first).
  void finished(std::size_t index, const Job& job, const pool::TaskFinished& event);
  void flush();

  /// How many last lines an end record keeps.
  static constexpr std::size_t kLastLines = 10;

 private:
  struct JobState {
    std::string partial[2];
    std::deque<std::string> last;
    int pid = 0;
    std::uint32_t attempt = 1;
  };
  void line(const Job& job, JobState& state, int stream, std::string_view text);
  logging::Record record(const Job& job, const JobState& state, int level, std::string message,
                         std::string_view stream, std::string_view event) const;

  logging::HandlerPtr handler_;
  std::unordered_map<std::size_t, JobState> jobs_;
};

}  // namespace prun::cli
