#pragma once
/// One log event, with Python's LogRecord attributes.

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace prun::logging {

/// Value of an extra record attribute (Python's `extra=`): integer, float or text.
using Value = std::variant<std::int64_t, double, std::string>;

/// A log record. Plain value type: copy it freely.
///
/// The string_view members point at storage that lives as long as the program (logger names,
/// source locations and interned thread/process names), so a copied record stays valid.
struct Record {
  std::string_view name;          ///< logger name ("root" for the root logger)
  int levelno = 0;                ///< numeric level
  bool prefixed = false;          ///< a PrefixFilter put its prefix on `message` (prun adds no second one)
  std::string message;            ///< the formatted message (Python's record.getMessage())
  std::string_view pathname;      ///< source file as the compiler saw it
  std::string_view function;      ///< the function's signature; %(funcName)s shows its bare name
  int lineno = 0;                 ///< source line
  std::int64_t created_ns = 0;    ///< wall-clock time of creation, ns since the Unix epoch
  std::int64_t relative_ns = 0;   ///< created_ns minus the logging library's start time
  std::uint64_t thread = 0;       ///< pthread id of the logging thread
  std::string_view thread_name;   ///< "MainThread", or the name given with set_thread_name()
  int process = 0;                ///< pid of the process that created the record
  std::string_view process_name;  ///< "MainProcess", or a worker's name such as "Worker-1"
  std::string task;               ///< tag of the task that logged it; empty outside tasks
  std::int64_t task_index = -1;   ///< 0-based index of that task in its run; -1 outside tasks
  int worker = 0;                 ///< 1-based worker slot that ran the task; 0 outside workers
  int attempt = 0;                ///< 1-based attempt of the task (retries); 0 outside tasks
  std::string exc_text;           ///< "type: what()" of an exception logged with exception()
  std::vector<std::pair<std::string, Value>> extra;  ///< extra attributes, addressable as %(key)s

  /// The extra attribute called `key`, or nullptr.
  const Value* find_extra(std::string_view key) const noexcept {
    for (const auto& [k, v] : extra)
      if (k == key) return &v;
    return nullptr;
  }
};

/// Returns a copy of `s` with program lifetime; equal strings give the same view. Thread-safe.
std::string_view intern(std::string_view s);

/// Name the calling process carries in records (Python's processName); "MainProcess" by default.
void set_process_name(std::string_view name);
std::string_view process_name() noexcept;

/// Name the calling thread carries in records; "MainThread" for the main thread, else "Thread-N".
void set_thread_name(std::string_view name);
std::string_view thread_name();

/// What a task's records carry: its tag and 0-based index in the run, and where it ran.
struct TaskStamp {
  std::string tag;
  std::int64_t index = -1;  ///< -1: not in a task
  int worker = 0;           ///< 1-based worker slot; 0 when run in the calling process
  int attempt = 0;          ///< 1-based attempt (retries); 0 when unknown
};

/// Marks records created from now on in this process, by any thread, as written by `task`;
/// clear_task() ends that. Used by prun's task scopes. One task at a time per process: the
/// owning thread sets and clears the stamp while the task's own threads may be logging; a
/// record made during a change carries the old or the new stamp, whole. Reading the stamp in
/// a record costs one atomic load (plus a copy of the tag) and takes no lock; set_task and
/// clear_task allocate and are not for hot loops.
void set_task(TaskStamp task);
/// The same, with worker 0 and attempt 0.
void set_task(std::string_view tag, std::int64_t index);
void clear_task();
/// The stamp records get now (index -1 outside tasks).
TaskStamp current_task();

/// Time the logging library was loaded, ns since the epoch (the base of %(relativeCreated)s).
std::int64_t start_time_ns() noexcept;

}  // namespace prun::logging
