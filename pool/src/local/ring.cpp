#include "ring.hpp"

#include "../isolation/syscall_watch.hpp"

#include <linux/futex.h>
#include <sys/syscall.h>

#include <new>

namespace prun::pool::local {

using isolation::quiet_syscall;

namespace {
void futex_wait(std::atomic<std::uint32_t>* word, std::uint32_t expected) {
  // Shared (not FUTEX_PRIVATE) because the word lives in memory shared by two processes.
  quiet_syscall(SYS_futex, reinterpret_cast<long>(word), FUTEX_WAIT, expected, 0, 0, 0);
}
void futex_wake(std::atomic<std::uint32_t>* word) {
  quiet_syscall(SYS_futex, reinterpret_cast<long>(word), FUTEX_WAKE, 1, 0, 0, 0);
}
}  // namespace

std::size_t Ring::bytes(std::size_t capacity) { return sizeof(Header) + capacity; }

Ring::Ring(void* memory, std::size_t capacity, bool construct)
    : header_(construct ? new (memory) Header : static_cast<Header*>(memory)),
      data_(static_cast<char*>(memory) + sizeof(Header)),
      capacity_(capacity) {}

bool Ring::ring_if_asleep(int doorbell_fd, bool* rang) {
  if (header_->consumer_sleeping.load() && header_->consumer_sleeping.exchange(0)) {
    if (rang) *rang = true;
    const char byte = 1;
    return isolation::quiet_write_all(doorbell_fd, &byte, 1);
  }
  return true;
}

bool Ring::wait_for_space(std::size_t need, int doorbell_fd, bool* rang) {
  for (;;) {
    const std::uint32_t seen = header_->space_seq.load();
    if (capacity_ - (header_->head.load(std::memory_order_relaxed) - header_->tail.load()) >= need) return true;
    header_->producer_waiting.store(1);
    if (capacity_ - (header_->head.load(std::memory_order_relaxed) - header_->tail.load()) >= need) {
      header_->producer_waiting.store(0);
      return true;
    }
    // Frames published without a bell may be all the consumer has not seen: it must come.
    if (!ring_if_asleep(doorbell_fd, rang)) return false;
    futex_wait(&header_->space_seq, seen);  // returns at once if space was freed since `seen`
    header_->producer_waiting.store(0);
  }
}

bool Ring::publish_contiguous(std::string_view frame, int doorbell_fd, Bell bell, bool* rang) {
  const std::uint64_t head = header_->head.load(std::memory_order_relaxed);
  const std::size_t pos = head & (capacity_ - 1);
  const std::size_t to_end = capacity_ - pos;
  // A frame never wraps: the rest of the ring is skipped (with a padding frame when it fits).
  const std::size_t skip = to_end < frame.size() ? to_end : 0;
  if (!wait_for_space(skip + frame.size(), doorbell_fd, rang)) return false;
  if (skip >= protocol::kHeader) {
    const auto size = static_cast<std::uint32_t>(skip - protocol::kHeader);
    std::memcpy(data_ + pos, &size, sizeof size);
    data_[pos + 4] = static_cast<char>(protocol::Kind::padding);
  }
  std::memcpy(data_ + ((head + skip) & (capacity_ - 1)), frame.data(), frame.size());
  header_->head.store(head + skip + frame.size(), std::memory_order_seq_cst);
  return bell == Bell::never || ring_if_asleep(doorbell_fd, rang);
}

bool Ring::publish(std::string_view frames, int doorbell_fd, Bell bell, bool* rang) {
  if (rang) *rang = false;
  const std::size_t max_part = capacity_ / 4;
  if (frames.size() <= max_part) return publish_contiguous(frames, doorbell_fd, bell, rang);
  // Whole frames that fit go as they are; a frame too large travels in parts.
  std::string part;
  for (std::size_t at = 0; at < frames.size();) {
    std::uint32_t size;
    std::memcpy(&size, frames.data() + at, sizeof size);
    const std::size_t whole = protocol::kHeader + size;
    if (whole <= max_part) {
      std::size_t end = at + whole;  // gather following frames that fit together
      while (end + protocol::kHeader <= frames.size()) {
        std::memcpy(&size, frames.data() + end, sizeof size);
        if (end + protocol::kHeader + size - at > max_part) break;
        end += protocol::kHeader + size;
      }
      if (!publish_contiguous(frames.substr(at, end - at), doorbell_fd, bell, rang)) return false;
      at = end;
      continue;
    }
    for (std::size_t k = 0; k < whole; k += max_part - protocol::kHeader) {
      part.clear();
      protocol::Writer w(part);
      const std::size_t start = w.begin(protocol::Kind::part);
      w.bytes(frames.substr(at + k, std::min(max_part - protocol::kHeader, whole - k)));
      w.end(start);
      if (!publish_contiguous(part, doorbell_fd, bell, rang)) return false;
    }
    at += whole;
  }
  return true;
}

bool Ring::consumer_asleep() const noexcept { return header_->consumer_sleeping.load(std::memory_order_relaxed) != 0; }

void Ring::release(std::uint64_t new_tail) {
  if (new_tail == header_->tail.load(std::memory_order_relaxed)) return;
  header_->tail.store(new_tail, std::memory_order_seq_cst);
  header_->space_seq.fetch_add(1);
  if (header_->producer_waiting.load()) futex_wake(&header_->space_seq);
}

bool Ring::prepare_to_sleep() noexcept {
  header_->consumer_sleeping.store(1);
  if (header_->head.load() != header_->tail.load(std::memory_order_relaxed)) {
    header_->consumer_sleeping.store(0);
    return false;
  }
  return true;
}

bool Ring::empty() const noexcept {
  return header_->head.load(std::memory_order_acquire) == header_->tail.load(std::memory_order_relaxed);
}

}  // namespace prun::pool::local
