// Prints prun::logging's costs, one name=value per line. A benchmark, not a test: it never fails.
#include <prun/logging.hpp>

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>

namespace lg = prun::logging;
using Clock = std::chrono::steady_clock;

namespace {
template <typename F>
double ns_per_op(long n, F&& f) {
  auto t0 = Clock::now();
  for (long i = 0; i < n; ++i) f(i);
  return std::chrono::duration<double, std::nano>(Clock::now() - t0).count() / static_cast<double>(n);
}

// Best of several rounds, to keep a noisy neighbour out of the number.
template <typename F>
double best_ns(long n, F&& f) {
  double best = 1e300;
  for (int round = 0; round < 5; ++round) best = std::min(best, ns_per_op(n, f));
  return best;
}

constexpr const char* kSeedFormat = "%(asctime)s %(levelname)s %(processName)s %(process)d %(name)s %(message)s";
constexpr const char* kBracketedFormat = "[%(asctime)s] %(levelname)s %(processName)s %(process)d %(name)s %(message)s";
}  // namespace

int main() {
  lg::Logger& root = lg::get_logger();
  root.set_level(lg::INFO);
  root.add_handler(std::make_shared<lg::NullHandler>());

  volatile long sink = 0;
  double disabled = best_ns(50'000'000, [&](long i) { root.debug("value {}", i); sink = i; });
  std::printf("disabled_call_ns=%.2f\n", disabled);

  lg::Formatter formatter(kSeedFormat);
  lg::Record record = lg::get_logger("bench").make_record(lg::INFO, "process=1 Running process: 1 ...",
                                                          std::source_location::current());
  fmt::memory_buffer out;
  double format = best_ns(2'000'000, [&](long i) {
    out.clear();
    record.created_ns += i & 1023;  // a new millisecond now and then, as in real use
    formatter.format(record, out);
  });
  std::printf("format_ns=%.1f\n", format);

  // The same record with a format that starts with literal text (the asctime cache must serve it).
  lg::Formatter bracketed(kBracketedFormat);
  double bracketed_ns = best_ns(2'000'000, [&](long i) {
    out.clear();
    record.created_ns += i & 1023;
    bracketed.format(record, out);
  });
  std::printf("format_bracketed_ns=%.1f\n", bracketed_ns);

  // The same record as one JSON line with Python's attribute names.
  lg::JsonFormatter json;
  double json_ns = best_ns(2'000'000, [&](long i) {
    out.clear();
    record.created_ns += i & 1023;
    json.format(record, out);
  });
  std::printf("json_format_ns=%.1f\n", json_ns);

  const std::string path = (std::filesystem::temp_directory_path() / ("prun-bench-" + std::to_string(::getpid()) + ".log")).string();
  auto file = std::make_shared<lg::FileHandler>(path, "w");
  file->set_formatter(std::make_shared<lg::Formatter>(kSeedFormat));
  root.set_handlers({file});
  lg::Logger& bench = lg::get_logger("bench");
  constexpr long kRecords = 2'000'000;
  double per_record = ns_per_op(kRecords, [&](long i) { bench.info("record {} of the benchmark", i); });
  std::printf("file_records_per_s=%.0f\n", 1e9 / per_record);

  // The same through a BatchScope every 256 records (what prun's parent does while merging).
  double batched = ns_per_op(kRecords / 256, [&](long) {
    lg::BatchScope batch;
    for (int k = 0; k < 256; ++k) bench.info("record {} of the benchmark", k);
  }) / 256;
  std::printf("file_records_per_s_batched=%.0f\n", 1e9 / batched);
  root.set_handlers({});
  std::filesystem::remove(path);
  return sink == -1;
}
