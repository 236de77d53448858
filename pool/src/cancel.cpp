#include <prun/pool/cancel.hpp>

#include "sys/sys.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>

namespace prun::pool {

struct CancelToken::State {
  std::atomic<bool> cancelled{false};
  std::atomic<bool> stopping{false};
  int fd = -1;
  State() : fd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
    if (fd < 0) sys::throw_errno("eventfd for a cancel token");
  }
  ~State() { ::close(fd); }
};

CancelToken::CancelToken() : state_(std::make_shared<State>()) {}

void CancelToken::cancel() const noexcept {
  state_->cancelled.store(true, std::memory_order_release);
  const std::uint64_t one = 1;
  (void)!::write(state_->fd, &one, sizeof one);  // async-signal-safe
}

bool CancelToken::cancelled() const noexcept { return state_->cancelled.load(std::memory_order_acquire); }

void CancelToken::stop_starting() const noexcept {
  state_->stopping.store(true, std::memory_order_release);
  const std::uint64_t one = 1;
  (void)!::write(state_->fd, &one, sizeof one);
}

bool CancelToken::stopping() const noexcept {
  return state_->stopping.load(std::memory_order_acquire) || cancelled();
}

int CancelToken::fd() const noexcept { return state_->fd; }

}  // namespace prun::pool
