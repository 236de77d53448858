// The shared-memory ring on its own, between two threads: order, wrap-around, frames larger
// than the ring, back-pressure and the doorbell.
#include <doctest/doctest.h>

#include "local/ring.hpp"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <random>
#include <thread>
#include <vector>

using namespace prun::pool;
using local::Ring;

namespace {
struct TestRing {
  static constexpr std::size_t kCapacity = 4096;
  std::vector<char> memory = std::vector<char>(Ring::bytes(kCapacity) + 64);
  void* aligned() {
    auto p = reinterpret_cast<std::uintptr_t>(memory.data());
    return reinterpret_cast<void*>((p + 63) / 64 * 64);
  }
  Ring ring{aligned(), kCapacity, true};
  int bell[2] = {-1, -1};
  TestRing() { REQUIRE(::pipe2(bell, O_CLOEXEC | O_NONBLOCK) == 0); }
  ~TestRing() {
    ::close(bell[0]);
    ::close(bell[1]);
  }
  int rings() {
    char buf[64];
    ssize_t n = ::read(bell[0], buf, sizeof buf);
    return n > 0 ? static_cast<int>(n) : 0;
  }
};

std::string frame_of(std::uint32_t seq, std::size_t size) {
  std::string out;
  protocol::Writer w(out);
  const std::size_t at = w.begin(protocol::Kind::output);
  w.pod(seq);
  for (std::size_t i = 0; i < size; ++i) out.push_back(static_cast<char>((seq + i) & 0xff));
  w.end(at);
  return out;
}

bool intact(std::string_view payload, std::uint32_t& seq) {
  std::memcpy(&seq, payload.data(), 4);
  for (std::size_t i = 4; i < payload.size(); ++i)
    if (payload[i] != static_cast<char>((seq + i - 4) & 0xff)) return false;
  return true;
}
}  // namespace

TEST_CASE("frames arrive whole and in order across wrap-arounds - small and larger than the ring") {
  TestRing t;
  constexpr std::uint32_t kFrames = 5000;
  std::thread producer([&] {
    std::mt19937 rng(1);
    for (std::uint32_t seq = 0; seq < kFrames; ++seq) {
      // Mostly small, sometimes beyond a quarter of the ring (parts), now and then 3x the ring.
      const std::size_t size = seq % 97 == 0 ? 3 * TestRing::kCapacity : seq % 13 == 0 ? 1500 : rng() % 200;
      REQUIRE(t.ring.publish(frame_of(seq, size), t.bell[1]));
    }
  });
  std::uint32_t expected = 0;
  bool ok = true;
  while (expected < kFrames) {
    t.ring.drain(
        [&](const protocol::Frame& f) {
          std::uint32_t seq = 0;
          ok = ok && f.kind == protocol::Kind::output && intact(f.payload, seq) && seq == expected;
          ++expected;
        },
        SIZE_MAX);
    if (t.ring.prepare_to_sleep()) {
      pollfd p{t.bell[0], POLLIN, 0};
      ::poll(&p, 1, 100);
      t.rings();
    }
  }
  producer.join();
  CHECK(ok);
  CHECK(expected == kFrames);
  CHECK(t.ring.empty());
}

TEST_CASE("the doorbell rings once per sleep - and never when asked not to") {
  TestRing t;
  CHECK(t.ring.prepare_to_sleep());
  REQUIRE(t.ring.publish(frame_of(0, 10), t.bell[1], Ring::Bell::never));
  CHECK(t.rings() == 0);
  REQUIRE(t.ring.publish(frame_of(1, 10), t.bell[1]));
  REQUIRE(t.ring.publish(frame_of(2, 10), t.bell[1]));
  CHECK(t.rings() == 1);  // the consumer is awake after the first ring
  int seen = 0;
  t.ring.drain([&](const protocol::Frame&) { ++seen; }, SIZE_MAX);
  CHECK(seen == 3);
  CHECK(!t.ring.consumer_asleep());
  CHECK(t.ring.prepare_to_sleep());
  CHECK(t.ring.consumer_asleep());
}

TEST_CASE("a consumer that is about to sleep sees frames published meanwhile") {
  TestRing t;
  REQUIRE(t.ring.publish(frame_of(0, 10), t.bell[1], Ring::Bell::never));
  CHECK(!t.ring.prepare_to_sleep());  // frames wait: it stays awake
  CHECK(!t.ring.empty());
}

TEST_CASE("a drain takes a bounded bite and says that frames remain") {
  TestRing t;
  for (std::uint32_t seq = 0; seq < 10; ++seq) REQUIRE(t.ring.publish(frame_of(seq, 100), t.bell[1]));
  int seen = 0;
  CHECK(t.ring.drain([&](const protocol::Frame&) { ++seen; }, 250));
  CHECK(seen == 3);
  CHECK(!t.ring.drain([&](const protocol::Frame&) { ++seen; }, SIZE_MAX));
  CHECK(seen == 10);
}

TEST_CASE("a producer that finds the ring full wakes a sleeping consumer - even publishing without a bell") {
  TestRing t;
  CHECK(t.ring.prepare_to_sleep());
  std::atomic<bool> done{false};
  std::thread producer([&] {
    // More than the ring holds, all without a bell: only the full ring can wake the consumer.
    for (std::uint32_t seq = 0; seq < 40; ++seq) REQUIRE(t.ring.publish(frame_of(seq, 200), t.bell[1], Ring::Bell::never));
    done = true;
  });
  pollfd p{t.bell[0], POLLIN, 0};
  REQUIRE(::poll(&p, 1, 10000) == 1);  // woken, although no publish asked for a bell
  // From here on the consumer keeps looking (as the parent does a little after every wake-up).
  int seen = 0;
  while (seen < 40) t.ring.drain([&](const protocol::Frame&) { ++seen; }, SIZE_MAX);
  producer.join();
  CHECK(done);
}
