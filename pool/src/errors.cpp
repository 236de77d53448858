#include <prun/pool/errors.hpp>

#include <fmt/format.h>

#include <csignal>
#include <cstring>

namespace prun::pool {

namespace {
std::string describe(std::size_t index, const std::string& tag, int pid, const std::string& process_name,
                     const std::string& what_happened, const std::vector<std::string>& last_lines,
                     std::uint32_t attempt, const std::vector<std::string>& earlier) {
  std::string text =
      fmt::format("task {} (tag '{}') in process {} ({}): {}", index, tag, pid, process_name, what_happened);
  if (attempt > 1) {
    text += fmt::format("\nattempt {}; earlier:", attempt);
    for (const std::string& e : earlier) text += "\n  " + e;
  }
  if (last_lines.empty()) {
    text += "\n(the task logged nothing)";
  } else {
    text += "\nlast lines the task logged:";
    for (const std::string& line : last_lines) text += "\n  " + line;
  }
  return text;
}

std::string crash_message(int signal, int exit_status, const std::string& meaning) {
  if (signal > 0) return "worker killed by signal " + signal_name(signal);
  std::string text = fmt::format("worker exited with status {} while running the task", exit_status);
  if (!meaning.empty()) text += " (" + meaning + "; the task may also have called exit(" + std::to_string(exit_status) + "))";
  return text;
}

std::string timeout_message(double elapsed, double timeout) {
  return fmt::format("timed out after {:.3f} s (its limit: {:.3f} s)", elapsed, timeout);
}
}  // namespace

TaskError::TaskError(std::size_t index, std::string tag, int pid, std::string process_name, std::string type,
                     std::string message, std::vector<std::string> last_lines, std::uint32_t attempt,
                     std::vector<std::string> earlier_attempts)
    // Copies, not moves: the argument that formats the text reads them too, in any order.
    : TaskError(type + ": " + message, index, tag, pid, process_name, type, message, last_lines, attempt,
                earlier_attempts, 0) {}

TaskError::TaskError(std::string what_happened, std::size_t index, std::string tag, int pid, std::string process_name,
                     std::string type, std::string message, std::vector<std::string> last_lines,
                     std::uint32_t attempt, std::vector<std::string> earlier_attempts, int)
    : std::runtime_error(describe(index, tag, pid, process_name, what_happened, last_lines, attempt, earlier_attempts)),
      index_(index), tag_(std::move(tag)), pid_(pid), process_name_(std::move(process_name)), type_(std::move(type)),
      message_(std::move(message)), last_lines_(std::move(last_lines)), attempt_(attempt),
      earlier_(std::move(earlier_attempts)) {}

WorkerCrashed::WorkerCrashed(std::size_t index, std::string tag, int pid, std::string process_name, int signal,
                             int exit_status, std::vector<std::string> last_lines, std::string meaning,
                             std::uint32_t attempt, std::vector<std::string> earlier_attempts)
    : TaskError(crash_message(signal, exit_status, meaning), index, tag, pid, process_name,
                signal > 0 ? "signal" : "exit", crash_message(signal, exit_status, meaning), last_lines, attempt,
                earlier_attempts, 0),
      signal_(signal), exit_status_(exit_status) {}

TaskTimeout::TaskTimeout(std::size_t index, std::string tag, int pid, std::string process_name, double elapsed_s,
                         double timeout_s, std::vector<std::string> last_lines, std::uint32_t attempt,
                         std::vector<std::string> earlier_attempts)
    : TaskError(timeout_message(elapsed_s, timeout_s), index, tag, pid, process_name, "timeout",
                timeout_message(elapsed_s, timeout_s), last_lines, attempt, earlier_attempts, 0),
      elapsed_(elapsed_s), timeout_(timeout_s) {}

Cancelled::Cancelled(std::size_t finished, std::size_t total)
    : std::runtime_error(fmt::format("prun: the run was cancelled ({} of {} tasks had finished)", finished, total)),
      finished_(finished), total_(total) {}

WorkerStartError::WorkerStartError(std::string program, std::string cause)
    : std::runtime_error(program == "(fork)" ? "prun: cannot fork a worker: " + cause
                                             : "prun: cannot start a worker from '" + program + "': " + cause),
      program_(std::move(program)), cause_(std::move(cause)) {}

InitializerFailed::InitializerFailed(int pid, std::string type, std::string message)
    : std::runtime_error(fmt::format("prun: the pool's initializer failed in worker {}: {}: {}", pid, type, message)),
      pid_(pid), type_(std::move(type)), message_(std::move(message)) {}

std::string signal_name(int signal) {
  if (const char* abbrev = ::sigabbrev_np(signal)) return std::string("SIG") + abbrev;
  return "signal " + std::to_string(signal);
}

}  // namespace prun::pool
