// Back-pressure: workers that log faster than the parent can write lose nothing.
#include <doctest/doctest.h>

#include <prun/prun.hpp>

#include "test_support.hpp"

#include <atomic>

namespace lg = prun::logging;

namespace {
// Checks every record's text and counts them per task, without keeping them.
class Tally final : public lg::Handler {
 public:
  std::vector<std::vector<char>> seen = std::vector<std::vector<char>>(2, std::vector<char>(200000, 0));
  std::size_t garbled = 0, duplicated = 0;

 protected:
  void emit(const lg::Record& r) override {
    // "process=<tag> flood <i> <padding>"
    const std::string expect_prefix = "process=" + r.task + " flood ";
    if (!r.message.starts_with(expect_prefix) || r.task_index < 0 || r.task_index > 1) {
      ++garbled;
      return;
    }
    std::size_t at = expect_prefix.size();
    std::size_t end = r.message.find(' ', at);
    int i = std::stoi(r.message.substr(at, end - at));
    if (r.message.substr(end + 1) != std::string(static_cast<std::size_t>(i % 64), 'x')) ++garbled;
    char& slot = seen[static_cast<std::size_t>(r.task_index)][static_cast<std::size_t>(i)];
    if (slot) ++duplicated;
    slot = 1;
  }
};
}  // namespace

TEST_CASE("2 workers x 200000 records: none lost - duplicated or garbled") {
  test::CleanLogging clean;
  auto tally = std::make_shared<Tally>();
  lg::get_logger().add_handler(tally);
  lg::get_logger().set_level(lg::INFO);
  std::vector<prun::Task<int>> tasks;
  for (int t = 0; t < 2; ++t)
    tasks.push_back(prun::delayed([] {
      for (int i = 0; i < 200000; ++i) lg::info("flood {} {}", i, std::string(static_cast<std::size_t>(i % 64), 'x'));
      return 0;
    })());
  prun::Options opts;
  opts.n_jobs = 2;
  opts.capture_output = false;
  prun::Parallel{opts}(tasks);
  CHECK(tally->garbled == 0);
  CHECK(tally->duplicated == 0);
  for (const auto& task : tally->seen) CHECK(std::count(task.begin(), task.end(), 1) == 200000);
}
