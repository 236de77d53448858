#pragma once
// The statuses a worker exits with on its own account, with what they mean. A task that calls
// exit() may use the same numbers: reports say what prun means by them, never only the number.

#include <string_view>

namespace prun::pool::core {

enum class ExitCode : int {
  ok = 0,            ///< told to stop, idle for too long, or recycled after its last task
  refused = 3,       ///< it would not serve: its initializer threw, or it is another binary
  parent_gone = 70,  ///< its parent went away (the ring's doorbell or the control socket closed)
  fatal = 71,        ///< an error outside any task (out of memory, a corrupt message)
};

/// What prun means by `status`, e.g. "prun's status for a worker whose parent went away";
/// empty for statuses prun does not use.
constexpr std::string_view exit_code_meaning(int status) noexcept {
  switch (status) {
    case static_cast<int>(ExitCode::refused): return "prun's status for a worker that refused to serve";
    case static_cast<int>(ExitCode::parent_gone): return "prun's status for a worker whose parent went away";
    case static_cast<int>(ExitCode::fatal): return "prun's status for a worker that failed outside any task";
    default: return {};
  }
}

}  // namespace prun::pool::core
