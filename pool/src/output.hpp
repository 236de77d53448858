#pragma once
// Captured standard output and error: split into whole lines, each given its task's prefix.

#include <fmt/format.h>

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace prun::pool::detail {

/// One captured stream (a worker's stdout, say) on its way to the parent's descriptor.
/// Bytes are kept per task until they make whole lines, so lines of different tasks never mix,
/// whatever order their bytes arrive in.
class LineRouter {
 public:
  using PrefixOf = std::function<std::string(std::size_t)>;
  LineRouter(int dest_fd, PrefixOf prefix_of);

  /// Bytes `task` wrote: whole lines go out with the task's prefix, the rest waits.
  void text(std::size_t task, std::string_view bytes);
  /// `task` is over: its partial last line (if any) goes out with a newline.
  void end(std::size_t task);
  /// The stream ended: every partial line goes out, then everything is written.
  void finish();
  /// Writes what is ready to the destination descriptor.
  void flush();

 private:
  struct Partial {
    std::size_t task;
    std::string line;
  };
  void emit(std::size_t task, std::string_view a, std::string_view b);
  const std::string& prefix(std::size_t task);

  static constexpr std::size_t kMaxLine = 1 << 20;  // longer lines are split
  int dest_fd_;
  PrefixOf prefix_of_;
  std::vector<Partial> partials_;  // tasks with an unfinished line (rarely more than two)
  std::size_t prefix_task_ = SIZE_MAX;
  std::string prefix_;
  fmt::memory_buffer out_;
};

/// Writes all of `data` to `fd`, retrying on EINTR; false on any other error.
bool write_all(int fd, const char* data, std::size_t size);

}  // namespace prun::pool::detail
