#pragma once
// A single-producer single-consumer byte ring in shared memory: how a local worker's frames
// reach the parent. Publishing is a memcpy and a release store. The producer rings a doorbell
// (one byte on a pipe) only when the consumer said it is going to sleep and the producer asks
// for it, so a busy parent costs the worker no system call at all. A full ring blocks the
// worker on a futex until the parent frees space (bounded memory, back-pressure). Frames
// published before a crash stay readable: the ring outlives the worker.
//
// The producer's system calls (doorbell, futex) are quiet: a task's SyscallWatch does not count
// them as the task's own.

#include "../core/protocol.hpp"

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace prun::pool::local {

class Ring {
 public:
  struct Header;
  static constexpr std::size_t kCapacity = std::size_t{1} << 20;
  /// Bytes of shared memory a ring of `capacity` (a power of two) occupies.
  static std::size_t bytes(std::size_t capacity = kCapacity);
  /// A view of a ring living at `memory`; with `construct`, the ring is initialised there.
  Ring(void* memory, std::size_t capacity, bool construct);
  Ring(const Ring&) = delete;
  Ring& operator=(const Ring&) = delete;

  // ---- producer (the worker) ----
  enum class Bell { if_asleep, never };
  /// Publishes whole frames (headers included). With Bell::if_asleep, rings `doorbell_fd` if
  /// the consumer sleeps (`*rang` says whether it did). Frames larger than a quarter of the
  /// ring travel in parts. Blocks while the ring is full, after waking the consumer whatever
  /// `bell` says: it must come and free space. Returns false if the doorbell cannot be written
  /// (the parent is gone).
  bool publish(std::string_view frames, int doorbell_fd, Bell bell = Bell::if_asleep, bool* rang = nullptr);
  /// Whether the consumer declared itself asleep (a publish with Bell::if_asleep would ring).
  bool consumer_asleep() const noexcept;

  // ---- consumer (the parent) ----
  /// Calls on_frame(Frame) for published frames, up to about `budget` bytes; returns whether
  /// frames remain. Frees the space and wakes a producer waiting for it.
  template <typename OnFrame>
  bool drain(OnFrame&& on_frame, std::size_t budget);
  /// Declares the consumer asleep; false (and still awake) if frames arrived meanwhile.
  bool prepare_to_sleep() noexcept;
  /// Whether published frames are waiting.
  bool empty() const noexcept;

 private:
  bool publish_contiguous(std::string_view frame, int doorbell_fd, Bell bell, bool* rang);
  bool ring_if_asleep(int doorbell_fd, bool* rang);
  bool wait_for_space(std::size_t need, int doorbell_fd, bool* rang);
  void release(std::uint64_t new_tail);
  template <typename OnFrame>
  void deliver(protocol::Kind kind, std::string_view payload, OnFrame& on_frame);

  Header* header_;
  char* data_;
  std::size_t capacity_;
  std::string parts_;  // consumer: the bytes of a large frame arriving in parts
};

struct alignas(64) Ring::Header {
  alignas(64) std::atomic<std::uint64_t> head{0};  // bytes published (producer)
  alignas(64) std::atomic<std::uint64_t> tail{0};  // bytes consumed (consumer)
  alignas(64) std::atomic<std::uint32_t> consumer_sleeping{1};
  std::atomic<std::uint32_t> producer_waiting{0};
  std::atomic<std::uint32_t> space_seq{0};  // futex word, bumped when space is freed
};

template <typename OnFrame>
void Ring::deliver(protocol::Kind kind, std::string_view payload, OnFrame& on_frame) {
  if (kind == protocol::Kind::padding) return;
  if (kind != protocol::Kind::part) {
    on_frame(protocol::Frame{kind, payload});
    return;
  }
  parts_.append(payload);  // whole frames assembled from parts
  const std::size_t used = protocol::split_frames(parts_, [&](protocol::Frame f) { on_frame(f); });
  parts_.erase(0, used);
}

template <typename OnFrame>
bool Ring::drain(OnFrame&& on_frame, std::size_t budget) {
  std::uint64_t tail = header_->tail.load(std::memory_order_relaxed);
  const std::uint64_t head = header_->head.load(std::memory_order_acquire);
  std::size_t done = 0;
  while (tail != head && done < budget) {
    const std::size_t pos = tail & (capacity_ - 1);
    const std::size_t to_end = capacity_ - pos;
    if (to_end < protocol::kHeader) {  // too short for a header: the producer skipped it
      tail += to_end;
      continue;
    }
    std::uint32_t size;
    std::memcpy(&size, data_ + pos, sizeof size);
    if (size > to_end - protocol::kHeader) throw protocol::ProtocolError("prun: a frame crosses the ring's end");
    const auto kind = static_cast<protocol::Kind>(data_[pos + 4]);
    deliver(kind, std::string_view(data_ + pos + protocol::kHeader, size), on_frame);
    tail += protocol::kHeader + size;
    done += protocol::kHeader + size;
  }
  release(tail);
  return tail != header_->head.load(std::memory_order_acquire);
}

}  // namespace prun::pool::local
