#include "shared_block.hpp"

#include "../sys/sys.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <new>

namespace prun::pool::local {

SharedMutex::SharedMutex() {
  pthread_mutexattr_t attr;
  pthread_mutexattr_init(&attr);
  pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
  pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
  pthread_mutex_init(&m_, &attr);
  pthread_mutexattr_destroy(&attr);
}

SharedMutex::~SharedMutex() { pthread_mutex_destroy(&m_); }

void SharedMutex::lock() noexcept {
  // A worker that died holding it left nothing half-done that matters: take it over.
  if (pthread_mutex_lock(&m_) == EOWNERDEAD) pthread_mutex_consistent(&m_);
}

void SharedMutex::unlock() noexcept { pthread_mutex_unlock(&m_); }

namespace {
constexpr std::size_t kSlotBytes = (sizeof(SlotState) + 63) / 64 * 64;
}

SharedBlock::SharedBlock(int fd, bool construct) : fd_(fd), bytes_(kSlotBytes + Ring::bytes()) {
  if (construct && ::ftruncate(fd_, static_cast<off_t>(bytes_)) != 0) sys::throw_errno("size the shared block");
  memory_ = ::mmap(nullptr, bytes_, PROT_READ | PROT_WRITE, MAP_SHARED, fd_, 0);
  if (memory_ == MAP_FAILED) sys::throw_errno("map the shared block");
  slot_ = construct ? new (memory_) SlotState : static_cast<SlotState*>(memory_);
  ring_ = std::make_unique<Ring>(static_cast<char*>(memory_) + kSlotBytes, Ring::kCapacity, construct);
}

std::unique_ptr<SharedBlock> SharedBlock::create() {
  int fd = ::memfd_create("prun-worker", MFD_CLOEXEC);
  if (fd < 0) sys::throw_errno("memfd_create");
  try {
    return std::unique_ptr<SharedBlock>(new SharedBlock(fd, true));
  } catch (...) {
    ::close(fd);
    throw;
  }
}

std::unique_ptr<SharedBlock> SharedBlock::attach(int fd) { return std::unique_ptr<SharedBlock>(new SharedBlock(fd, false)); }

void SharedBlock::close_fd() noexcept {
  sys::close_quietly(fd_);
  fd_ = -1;
}

SharedBlock::~SharedBlock() {
  ::munmap(memory_, bytes_);
  close_fd();
}

}  // namespace prun::pool::local
