#pragma once
// Captured standard output and error: split into whole lines, each given its task's prefix.

#include <fmt/format.h>

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace prun::pool::core {

/// One captured stream (a worker's stdout, say) on its way to its destination.
/// Bytes are kept per task until they make whole lines, so lines of different tasks never mix,
/// whatever order their bytes arrive in. A line longer than kMaxLine bytes is cut into pieces
/// of exactly kMaxLine bytes, each written as a line: the same pieces however the bytes arrive
/// (one write, or many), so every backend prints the same lines; memory stays bounded.
class LineRouter {
 public:
  static constexpr std::size_t kMaxLine = std::size_t{1} << 20;
  using PrefixOf = std::function<std::string(std::size_t task)>;
  using Write = std::function<void(std::string_view bytes)>;
  /// With `prefix_of` empty, bytes pass unchanged (no prefix, no splitting into lines).
  LineRouter(Write write, PrefixOf prefix_of);

  /// Bytes `task` wrote: whole lines go out with the task's prefix, the rest waits.
  void text(std::size_t task, std::string_view bytes);
  /// `task` is over: its partial last line (if any) goes out with a newline.
  void end(std::size_t task);
  /// The stream ended: every partial line goes out, then everything is written.
  void finish();
  /// Writes what is ready.
  void flush();
  /// Bytes waiting in partial lines (for tests of the memory bound).
  std::size_t pending() const noexcept;

 private:
  struct Partial {
    std::size_t task;
    std::string line;
  };
  void emit(std::size_t task, std::string_view a, std::string_view b);
  const std::string& prefix(std::size_t task);

  Write write_;
  PrefixOf prefix_of_;
  std::vector<Partial> partials_;  // tasks with an unfinished line (rarely more than one)
  std::size_t prefix_task_ = SIZE_MAX;
  std::string prefix_;
  fmt::memory_buffer out_;
};

}  // namespace prun::pool::core
