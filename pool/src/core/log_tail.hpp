#pragma once
// The last records a task logged, for its TaskError. Formats only when asked.

#include <prun/logging/level.hpp>
#include <prun/logging/record.hpp>

#include <fmt/format.h>

#include <array>
#include <string>
#include <utility>
#include <vector>

namespace prun::pool::core {

class LogTail {
 public:
  static constexpr std::size_t kLines = 10;
  void push(const logging::Record& r) {
    ring_[next_ % kLines] = r;
    ++next_;
  }
  /// Keeps `r` and hands back the oldest record kept, whose storage the caller may reuse.
  void push_swap(logging::Record& r) {
    std::swap(ring_[next_ % kLines], r);
    ++next_;
  }
  void clear() noexcept { next_ = 0; }
  /// "LEVEL logger: message", oldest first.
  std::vector<std::string> lines() const {
    std::vector<std::string> out;
    const std::size_t n = std::min(next_, kLines);
    for (std::size_t k = next_ - n; k < next_; ++k) {
      const logging::Record& r = ring_[k % kLines];
      out.push_back(fmt::format("{} {}: {}", logging::level_name(r.levelno), r.name, r.message));
    }
    return out;
  }

 private:
  std::array<logging::Record, kLines> ring_;
  std::size_t next_ = 0;
};

}  // namespace prun::pool::core
