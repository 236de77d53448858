#include "process_state.hpp"

#include "../sys/sys.hpp"

#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

namespace prun::pool::isolation {

ProcessState::~ProcessState() {
  for (int fd : saved_) sys::close_quietly(fd);
  sys::close_quietly(stat_fd_);
}

void ProcessState::capture(int min_fd) {
  for (int k = 0; k < 3; ++k) {
    sys::close_quietly(saved_[static_cast<std::size_t>(k)]);
    saved_[static_cast<std::size_t>(k)] = -1;
    if (::fcntl(k, F_GETFD) < 0) continue;  // closed at baseline: it will be closed again
    saved_[static_cast<std::size_t>(k)] = sys::dup_at_least(k, min_fd);
    status_flags_[static_cast<std::size_t>(k)] = ::fcntl(k, F_GETFL);
  }
  ::pthread_sigmask(SIG_SETMASK, nullptr, &mask_);
  if (stat_fd_ < 0) stat_fd_ = ::open("/proc/thread-self/stat", O_RDONLY | O_CLOEXEC);
  if (stat_fd_ >= 0) {
    if (int moved = ::fcntl(stat_fd_, F_DUPFD_CLOEXEC, min_fd); moved >= 0) {
      ::close(stat_fd_);
      stat_fd_ = moved;
    }
    if (!read_sigsets(ignored_, caught_)) {
      ::close(stat_fd_);
      stat_fd_ = -1;
    }
  }
  // A signal neither caught nor ignored is at its default, one that is ignored at SIG_IGN: only
  // the caught ones (and SIGCHLD, whose flags matter even at its default) need their whole
  // action kept. Without /proc, every action is.
  for (int s = 1; s <= 64; ++s) {
    const auto k = static_cast<std::size_t>(s);
    const std::uint64_t bit = std::uint64_t{1} << (s - 1);
    known_[k] = false;
    if (s == SIGKILL || s == SIGSTOP) continue;
    if (stat_fd_ >= 0 && !(caught_ & bit) && s != SIGCHLD) {
      actions_[k] = {};
      actions_[k].sa_handler = (ignored_ & bit) ? SIG_IGN : SIG_DFL;
      known_[k] = true;
      continue;
    }
    known_[k] = ::sigaction(s, nullptr, &actions_[k]) == 0;
  }
  captured_ = true;
}

bool ProcessState::read_sigsets(std::uint64_t& ignored, std::uint64_t& caught) const noexcept {
  char buf[2048];
  ssize_t n = ::pread(stat_fd_, buf, sizeof buf - 1, 0);
  if (n <= 0) return false;
  buf[n] = '\0';
  const char* p = std::strrchr(buf, ')');  // the command name may hold anything, but not after the last ')'
  if (!p) return false;
  p += 2;
  // Fields from 3 (state) on; sigignore is field 33, sigcatch 34 (proc(5)).
  for (int field = 3; field < 33; ++field) {
    p = std::strchr(p, ' ');
    if (!p) return false;
    ++p;
  }
  char* end = nullptr;
  ignored = std::strtoull(p, &end, 10);
  if (end == p || *end != ' ') return false;
  caught = std::strtoull(end + 1, &end, 10);
  return true;
}

void ProcessState::restore_dispositions() noexcept {
  std::uint64_t ignored = 0, caught = 0;
  const bool seen = stat_fd_ >= 0 && read_sigsets(ignored, caught);
  for (int s = 1; s <= 64; ++s) {
    const auto k = static_cast<std::size_t>(s);
    if (!known_[k]) continue;
    const std::uint64_t bit = std::uint64_t{1} << (s - 1);
    const struct sigaction& base = actions_[k];
    const bool base_custom = (caught_ & bit) != 0;
    // Without /proc, and for signals whose handler or flags matter beyond ignored/caught (a
    // handler of the baseline, SIGCHLD's SA_NOCLDWAIT), compare the whole action.
    if (!seen || base_custom || s == SIGCHLD) {
      struct sigaction now{};
      if (::sigaction(s, nullptr, &now) != 0) continue;
      const bool same = now.sa_handler == base.sa_handler && now.sa_flags == base.sa_flags &&
                        std::memcmp(&now.sa_mask, &base.sa_mask, sizeof now.sa_mask) == 0;
      if (!same) ::sigaction(s, &base, nullptr);
      continue;
    }
    if (((ignored ^ ignored_) & bit) || ((caught ^ caught_) & bit)) ::sigaction(s, &base, nullptr);
  }
}

void ProcessState::restore() noexcept {
  if (!captured_) return;
  for (int k = 0; k < 3; ++k) {
    const int saved = saved_[static_cast<std::size_t>(k)];
    if (saved < 0) {
      ::close(k);
      continue;
    }
    ::dup2(saved, k);  // a no-op when k still names the same open file
    ::fcntl(k, F_SETFL, status_flags_[static_cast<std::size_t>(k)]);
  }
  ::pthread_sigmask(SIG_SETMASK, &mask_, nullptr);
  restore_dispositions();
}

}  // namespace prun::pool::isolation
