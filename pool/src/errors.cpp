#include <prun/pool/errors.hpp>

#include <fmt/format.h>

#include <csignal>
#include <cstring>

namespace prun::pool {

namespace {
std::string describe(std::size_t index, const std::string& tag, int pid, const std::string& process_name,
                     const std::string& what_happened, const std::vector<std::string>& last_lines) {
  std::string text = fmt::format("task {} (tag '{}') in process {} ({}): {}", index, tag, pid,
                                 process_name, what_happened);
  if (last_lines.empty()) {
    text += "\n(the task logged nothing)";
  } else {
    text += "\nlast lines the task logged:";
    for (const std::string& line : last_lines) text += "\n  " + line;
  }
  return text;
}
}  // namespace

TaskError::TaskError(std::size_t index, std::string tag, int pid, std::string process_name, std::string type,
                     std::string message, std::vector<std::string> last_lines)
    // Copies, not moves: the argument that formats the text reads them too, in any order.
    : TaskError(describe(index, tag, pid, process_name, type + ": " + message, last_lines), index, tag, pid,
                process_name, type, message, last_lines) {}

TaskError::TaskError(std::string what, std::size_t index, std::string tag, int pid, std::string process_name,
                     std::string type, std::string message, std::vector<std::string> last_lines)
    : std::runtime_error(what), index_(index), tag_(std::move(tag)), pid_(pid),
      process_name_(std::move(process_name)), type_(std::move(type)), message_(std::move(message)),
      last_lines_(std::move(last_lines)) {}

namespace {
std::string crash_message(int signal, int exit_status) {
  if (signal > 0) return "worker killed by signal " + signal_name(signal);
  return fmt::format("worker exited with status {} while running the task", exit_status);
}
}  // namespace

WorkerCrashed::WorkerCrashed(std::size_t index, std::string tag, int pid, std::string process_name, int signal,
                             int exit_status, std::vector<std::string> last_lines)
    : TaskError(describe(index, tag, pid, process_name, crash_message(signal, exit_status), last_lines), index,
                tag, pid, process_name, signal > 0 ? "signal" : "exit", crash_message(signal, exit_status),
                last_lines),
      signal_(signal), exit_status_(exit_status) {}

std::string signal_name(int signal) {
  if (const char* abbrev = ::sigabbrev_np(signal)) return std::string("SIG") + abbrev;
  return "signal " + std::to_string(signal);
}

}  // namespace prun::pool
