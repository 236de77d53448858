// The line router on its own: whole prefixed lines per task, however the bytes arrive.
#include <doctest/doctest.h>

#include "core/line_router.hpp"

#include <random>
#include <string>

using prun::pool::core::LineRouter;

namespace {
struct Sink {
  std::string text;
  LineRouter router{[this](std::string_view b) { text.append(b); },
                    [](std::size_t task) { return "[" + std::to_string(task) + "] "; }};
};
}  // namespace

TEST_CASE("lines of interleaved tasks never mix") {
  Sink s;
  s.router.text(1, "one-a");
  s.router.text(2, "two-a\ntwo-");
  s.router.text(1, "-b\n");
  s.router.text(2, "b\n");
  s.router.flush();
  CHECK(s.text == "[2] two-a\n[1] one-a-b\n[2] two-b\n");
}

TEST_CASE("a task's unfinished line is completed when it ends - an empty one is not invented") {
  Sink s;
  s.router.text(3, "no newline");
  s.router.end(3);
  s.router.end(4);  // printed nothing
  s.router.text(5, "\n");
  s.router.flush();
  CHECK(s.text == "[3] no newline\n[5] \n");
}

TEST_CASE("finish flushes every partial line") {
  Sink s;
  s.router.text(1, "a");
  s.router.text(2, "b");
  s.router.finish();
  CHECK(s.text == "[1] a\n[2] b\n");
  CHECK(s.router.pending() == 0);
}

TEST_CASE("a line longer than the limit is cut into the same pieces however it arrives") {
  const std::size_t max = LineRouter::kMaxLine;
  std::string line(2 * max + 5, 'x');
  for (std::size_t i = 0; i < line.size(); ++i) line[i] = static_cast<char>('a' + i % 26);
  const std::string input = line + "\n" + std::string(max, 'y') + "\nz";
  std::string expected;
  expected += "[0] " + line.substr(0, max) + "\n";
  expected += "[0] " + line.substr(max, max) + "\n";
  expected += "[0] " + line.substr(2 * max) + "\n";
  expected += "[0] " + std::string(max, 'y') + "\n";  // exactly the limit: one line
  expected += "[0] z\n";

  std::mt19937 rng(7);
  for (int round = 0; round < 20; ++round) {
    Sink s;
    for (std::size_t at = 0; at < input.size();) {
      // Chunks from 1 byte to 300 KiB, as a pipe or a single write would deliver them.
      const std::size_t n = round == 0 ? input.size() : 1 + rng() % (300 * 1024);
      s.router.text(0, std::string_view(input).substr(at, n));
      CHECK(s.router.pending() <= max);  // memory stays bounded
      at += n;
    }
    s.router.end(0);
    s.router.flush();
    CHECK(s.text == expected);
  }
}

TEST_CASE("without a prefix function bytes pass through unchanged") {
  std::string text;
  LineRouter r([&](std::string_view b) { text.append(b); }, {});
  r.text(1, "raw\npartial");
  r.end(1);
  r.finish();
  CHECK(text == "raw\npartial");
}
