#pragma once
// The state of a process that one task may change and the next must not inherit: what
// descriptors 0, 1 and 2 name (and their file status flags, such as O_NONBLOCK), the calling
// thread's signal mask, and the disposition of every signal.

#include <signal.h>

#include <array>
#include <cstdint>

namespace prun::pool::isolation {

class ProcessState {
 public:
  ProcessState() = default;
  ~ProcessState();
  ProcessState(const ProcessState&) = delete;
  ProcessState& operator=(const ProcessState&) = delete;

  /// Takes the current state as the baseline. Keeps close-on-exec copies of 0-2 numbered at
  /// least `min_fd`. Throws std::system_error.
  void capture(int min_fd = 10);
  /// Puts the baseline back: 0-2 name the same open files with the same status flags, the mask
  /// is the same, every disposition that differs is restored. A few microseconds.
  void restore() noexcept;
  /// The baseline copy of descriptor 0, 1 or 2 (-1 if it was closed).
  int saved(int fd) const noexcept { return saved_[static_cast<std::size_t>(fd)]; }
  bool captured() const noexcept { return captured_; }

 private:
  void restore_dispositions() noexcept;
  bool read_sigsets(std::uint64_t& ignored, std::uint64_t& caught) const noexcept;

  bool captured_ = false;
  std::array<int, 3> saved_{-1, -1, -1};
  std::array<int, 3> status_flags_{};
  sigset_t mask_{};
  std::array<struct sigaction, 65> actions_{};
  std::array<bool, 65> known_{};  // actions_[s] holds a baseline (sigaction accepted s)
  std::uint64_t ignored_ = 0, caught_ = 0;
  int stat_fd_ = -1;  // /proc/thread-self/stat, read to see which dispositions changed
};

}  // namespace prun::pool::isolation
