#pragma once
// Captured standard output and error: split into whole lines, each given its task's prefix.

#include <fmt/format.h>

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace prun::pool::detail {

/// Written by a worker into each captured stream before every task: a 16-byte magic (a NUL,
/// "prun" and 11 random bytes chosen per run) and the task's index. Bytes that follow belong
/// to that task until the next marker.
struct Marker {
  static constexpr std::size_t kMagic = 16;
  static constexpr std::size_t kSize = kMagic + sizeof(std::uint64_t);
  std::array<char, kMagic> magic{};

  static Marker random();
  std::array<char, kSize> for_task(std::uint64_t task) const;
};

/// One captured stream (a worker's stdout, say) on its way to the parent's descriptor.
class LineRouter {
 public:
  using PrefixOf = std::function<std::string(std::size_t)>;
  LineRouter(int dest_fd, PrefixOf prefix_of, const Marker* marker);

  /// Bytes read from a worker's pipe: text and markers.
  void feed(std::string_view bytes);
  /// The stream ended: everything left goes out, a last partial line gets its newline.
  void finish();

  /// Without markers (sequential mode): what follows belongs to `task`.
  void begin_task(std::size_t task);
  void text(std::string_view bytes);
  /// Terminates the task's partial last line.
  void end_task();

  /// Writes what is ready to the destination descriptor.
  void flush();
  std::int64_t task() const noexcept { return task_; }

 private:
  void emit_line(std::string_view a, std::string_view b);

  static constexpr std::size_t kMaxLine = 1 << 20;  // longer lines are split
  int dest_fd_;
  PrefixOf prefix_of_;
  const Marker* marker_;
  std::string pending_;  // bytes not yet examined for markers
  std::string line_;     // the current task's unfinished line
  std::int64_t task_ = -1;
  std::string prefix_;
  fmt::memory_buffer out_;
};

/// Writes all of `data` to `fd`, retrying on EINTR; false on any other error.
bool write_all(int fd, const char* data, std::size_t size);

}  // namespace prun::pool::detail
