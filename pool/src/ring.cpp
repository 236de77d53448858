#include "ring.hpp"

#include "output.hpp"

#include <linux/futex.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <new>
#include <system_error>

namespace prun::pool::detail {

namespace {
void futex_wait(std::atomic<std::uint32_t>* word, std::uint32_t expected) {
  // Shared (not FUTEX_PRIVATE) because the word lives in memory shared by two processes.
  ::syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(word), FUTEX_WAIT, expected, nullptr, nullptr, 0);
}
void futex_wake(std::atomic<std::uint32_t>* word) {
  ::syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(word), FUTEX_WAKE, 1, nullptr, nullptr, 0);
}
}  // namespace

std::size_t Ring::bytes(std::size_t capacity) { return sizeof(Header) + capacity; }

Ring::Ring(void* memory, std::size_t capacity, bool construct)
    : header_(construct ? new (memory) Header : static_cast<Header*>(memory)),
      data_(static_cast<char*>(memory) + sizeof(Header)),
      capacity_(capacity) {}

void Ring::wait_for_space(std::size_t need) {
  for (;;) {
    const std::uint32_t seen = header_->space_seq.load();
    if (capacity_ - (header_->head.load(std::memory_order_relaxed) - header_->tail.load()) >= need) return;
    header_->producer_waiting.store(1);
    if (capacity_ - (header_->head.load(std::memory_order_relaxed) - header_->tail.load()) >= need) {
      header_->producer_waiting.store(0);
      return;
    }
    futex_wait(&header_->space_seq, seen);  // returns at once if space was freed since `seen`
    header_->producer_waiting.store(0);
  }
}

bool Ring::publish_contiguous(std::string_view frame, int doorbell_fd) {
  const std::uint64_t head = header_->head.load(std::memory_order_relaxed);
  const std::size_t pos = head & (capacity_ - 1);
  const std::size_t to_end = capacity_ - pos;
  // A frame never wraps: the rest of the ring is skipped (with a padding frame when it fits).
  const std::size_t skip = to_end < frame.size() ? to_end : 0;
  wait_for_space(skip + frame.size());
  if (skip >= kFrameHeader) {
    std::uint32_t size = static_cast<std::uint32_t>(skip - kFrameHeader);
    std::memcpy(data_ + pos, &size, sizeof size);
    data_[pos + 4] = static_cast<char>(Frame::padding);
  }
  std::memcpy(data_ + ((head + skip) & (capacity_ - 1)), frame.data(), frame.size());
  header_->head.store(head + skip + frame.size(), std::memory_order_seq_cst);
  if (header_->consumer_sleeping.load() && header_->consumer_sleeping.exchange(0)) {
    const char bell = 1;
    return write_all(doorbell_fd, &bell, 1);
  }
  return true;
}

bool Ring::publish(std::string_view frame, int doorbell_fd) {
  const std::size_t max_part = capacity_ / 4;
  if (frame.size() <= max_part) return publish_contiguous(frame, doorbell_fd);
  std::string part;
  for (std::size_t at = 0; at < frame.size(); at += max_part - kFrameHeader) {
    std::string_view chunk = frame.substr(at, max_part - kFrameHeader);
    part.clear();
    Writer w(part);
    std::size_t start = w.begin_frame(Frame::part);
    part.append(chunk);
    w.end_frame(start);
    if (!publish_contiguous(part, doorbell_fd)) return false;
  }
  return true;
}

void Ring::release(std::uint64_t new_tail) {
  if (new_tail == header_->tail.load(std::memory_order_relaxed)) return;
  header_->tail.store(new_tail, std::memory_order_seq_cst);
  header_->space_seq.fetch_add(1);
  if (header_->producer_waiting.load()) futex_wake(&header_->space_seq);
}

bool Ring::prepare_to_sleep() {
  header_->consumer_sleeping.store(1);
  if (header_->head.load() != header_->tail.load(std::memory_order_relaxed)) {
    header_->consumer_sleeping.store(0);
    return false;
  }
  return true;
}

}  // namespace prun::pool::detail
