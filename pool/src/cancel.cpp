#include <prun/pool/cancel.hpp>

#include "sys/sys.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>

namespace prun::pool {

struct CancelToken::State {
  std::atomic<bool> cancelled{false};
  std::atomic<bool> stopping{false};
  int fd = -1, stop_fd = -1;
  State() : fd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)), stop_fd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
    if (fd < 0 || stop_fd < 0) {
      const int err = errno;
      if (fd >= 0) ::close(fd);
      if (stop_fd >= 0) ::close(stop_fd);
      sys::throw_errno("eventfd for a cancel token", err);
    }
  }
  ~State() {
    ::close(fd);
    ::close(stop_fd);
  }
};

CancelToken::CancelToken() : state_(std::make_shared<State>()) {}

void CancelToken::cancel() const noexcept {
  state_->cancelled.store(true, std::memory_order_release);
  const std::uint64_t one = 1;
  (void)!::write(state_->fd, &one, sizeof one);  // async-signal-safe
  (void)!::write(state_->stop_fd, &one, sizeof one);
}

bool CancelToken::cancelled() const noexcept { return state_->cancelled.load(std::memory_order_acquire); }

void CancelToken::stop_starting() const noexcept {
  state_->stopping.store(true, std::memory_order_release);
  const std::uint64_t one = 1;
  (void)!::write(state_->stop_fd, &one, sizeof one);
}

bool CancelToken::stopping() const noexcept {
  return state_->stopping.load(std::memory_order_acquire) || cancelled();
}

int CancelToken::fd() const noexcept { return state_->fd; }

int CancelToken::stopping_fd() const noexcept { return state_->stop_fd; }

}  // namespace prun::pool
