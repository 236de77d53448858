#pragma once
/// Every exception prun throws for a run: a task failed (TaskError), its worker died
/// (WorkerCrashed), a worker could not start (WorkerStartError) or its initializer threw
/// (InitializerFailed).

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace prun::pool {

/// A task threw. Names the task (0-based index and tag), the process it ran in, the
/// exception's demangled type and what(), and the last lines the task logged.
/// With n_jobs=1 the caller gets the same exception with the same message (but its own pid).
class TaskError : public std::runtime_error {
 public:
  TaskError(std::size_t index, std::string tag, int pid, std::string process_name,
            std::string type, std::string message, std::vector<std::string> last_lines);

  std::size_t index() const noexcept { return index_; }
  const std::string& tag() const noexcept { return tag_; }
  int pid() const noexcept { return pid_; }
  const std::string& process_name() const noexcept { return process_name_; }
  /// Demangled type of the exception ("std::runtime_error"); for a crash, "signal" or "exit".
  const std::string& type() const noexcept { return type_; }
  /// The exception's what(); for a crash, what happened ("killed by signal SIGSEGV").
  const std::string& message() const noexcept { return message_; }
  /// The last lines the task logged, oldest first ("LEVEL logger: message").
  const std::vector<std::string>& last_lines() const noexcept { return last_lines_; }

 protected:
  TaskError(std::string what, std::size_t index, std::string tag, int pid, std::string process_name,
            std::string type, std::string message, std::vector<std::string> last_lines);

 private:
  std::size_t index_;
  std::string tag_;
  int pid_;
  std::string process_name_;
  std::string type_;
  std::string message_;
  std::vector<std::string> last_lines_;
};

/// The worker running a task died (a signal, or exit() from inside the task).
class WorkerCrashed : public TaskError {
 public:
  /// `signal` > 0 when killed by a signal, else `exit_status` is what it exited with;
  /// `meaning` says what prun means by that status, when it uses it.
  WorkerCrashed(std::size_t index, std::string tag, int pid, std::string process_name, int signal,
                int exit_status, std::vector<std::string> last_lines, std::string meaning = {});
  int signal() const noexcept { return signal_; }
  int exit_status() const noexcept { return exit_status_; }

 private:
  int signal_;
  int exit_status_;
};

/// A worker could not be started: the program cannot run, did not answer in time, is not the
/// program the parent is, or the system refused a resource (the error names the limit).
class WorkerStartError : public std::runtime_error {
 public:
  WorkerStartError(std::string program, std::string cause);
  const std::string& program() const noexcept { return program_; }
  const std::string& cause() const noexcept { return cause_; }

 private:
  std::string program_, cause_;
};

/// A new worker's initializer threw.
class InitializerFailed : public std::runtime_error {
 public:
  InitializerFailed(int pid, std::string type, std::string message);
  int pid() const noexcept { return pid_; }
  const std::string& type() const noexcept { return type_; }
  const std::string& message() const noexcept { return message_; }

 private:
  int pid_;
  std::string type_, message_;
};

/// "SIGSEGV" for 11, "signal 70" for a number without a name.
std::string signal_name(int signal);

}  // namespace prun::pool
