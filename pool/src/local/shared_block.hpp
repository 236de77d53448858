#pragma once
// The memory a local worker shares with the parent: its slot (what it runs, since when, the
// stop limit, the lock over its captured output) and its ring. Backed by a memfd so that a
// spawned worker can map it after exec; a forked worker simply inherits the mapping.

#include "ring.hpp"

#include <pthread.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>

namespace prun::pool::local {

/// A process-shared, robust mutex: if its owner dies holding it, the next locker takes it over.
class SharedMutex {
 public:
  SharedMutex();
  ~SharedMutex();
  SharedMutex(const SharedMutex&) = delete;
  SharedMutex& operator=(const SharedMutex&) = delete;
  void lock() noexcept;
  void unlock() noexcept;

 private:
  pthread_mutex_t m_;
};

struct alignas(64) SlotState {
  std::atomic<std::int64_t> current{-1};     // the task the worker started last
  std::atomic<int> running{0};               // 1 while that task runs
  std::atomic<std::int64_t> started_ns{0};   // when it started (CLOCK_MONOTONIC)
  std::atomic<std::int64_t> stop_before{INT64_MAX};  // the worker starts no task from here on
  // Captured output: bytes in the worker's stdout/stderr pipes belong to `output_task`. The
  // parent reads them under `output_lock`; at the end of a task that made system calls the
  // worker takes the lock and drains what the parent has not read yet, so the pipes hold
  // nothing of a task once the next one owns them.
  SharedMutex output_lock;
  std::atomic<std::int64_t> output_task{-1};
  std::atomic<std::uint64_t> parent_reads{0};  // bumped by the parent for every read it makes
};

class SharedBlock {
 public:
  /// Creates and initialises a block (in the parent). Throws std::system_error.
  static std::unique_ptr<SharedBlock> create();
  /// Maps the block a parent created, from its memfd (in a spawned worker).
  static std::unique_ptr<SharedBlock> attach(int fd);
  ~SharedBlock();
  SharedBlock(const SharedBlock&) = delete;
  SharedBlock& operator=(const SharedBlock&) = delete;

  SlotState& slot() noexcept { return *slot_; }
  Ring& ring() noexcept { return *ring_; }
  /// The memfd; -1 once closed (the mapping stays).
  int fd() const noexcept { return fd_; }
  void close_fd() noexcept;

 private:
  SharedBlock(int fd, bool construct);
  int fd_;
  std::size_t bytes_;
  void* memory_;
  SlotState* slot_;
  std::unique_ptr<Ring> ring_;
};

}  // namespace prun::pool::local
