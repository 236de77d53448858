// docs/steering.md quotes this program (built and run by CTest): results taken as they
// complete, errors collected instead of stopping the run, a hung task stopped by its timeout,
// a crashed task run again, a run cancelled from another thread.
#include <prun/prun.hpp>

#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <thread>

using namespace std::chrono_literals;

int slow_square(int x) {
  std::this_thread::sleep_for(std::chrono::milliseconds(20 * (4 - x)));  // later inputs finish first
  return x * x;
}

int parse(int row) {
  if (row == 2) throw std::invalid_argument("row 2 is empty");
  if (row == 3) std::raise(SIGKILL);  // its worker dies
  if (row == 4)
    for (;;) ::pause();  // hangs: its timeout stops it
  return row * 10;
}

int wait_forever(int) {
  for (;;) ::pause();
}

// Crashes its worker the first time it runs (the marker file does not exist yet).
int flaky(std::string marker) {
  if (!std::filesystem::exists(marker)) {
    std::ofstream(marker) << "tried";
    std::raise(SIGKILL);
  }
  return 42;
}

int main() {
  // Results as they complete: index and outcome.
  std::vector<prun::Task<int>> squares;
  for (int x = 0; x < 5; ++x) squares.push_back(prun::delayed(slow_square)(x));
  auto run = prun::Parallel({.n_jobs = 2}).submit(squares);
  int sum = 0, count = 0;
  for (auto& [index, outcome] : run.as_completed()) {
    sum += outcome.value();
    ++count;
  }
  std::printf("as completed: %d results, sum %d\n", count, sum);

  // Every task runs; each outcome is its value or its error.
  std::vector<prun::Task<int>> rows;
  for (int row = 0; row < 5; ++row) rows.push_back(prun::delayed(parse)(row));
  rows[4].with_timeout(300ms);
  prun::Options collect{.n_jobs = 2, .on_error = prun::ErrorPolicy::collect, .grace = 100ms};
  auto outcomes = prun::Parallel(collect).outcomes(rows);
  for (std::size_t i = 0; i < outcomes.size(); ++i) {
    const auto& o = outcomes[i];
    if (o.ok()) std::printf("row %zu: %d\n", i, o.value());
    else if (auto* t = o.as<prun::TaskTimeout>()) std::printf("row %zu: timed out after %.1f s\n", i, t->timeout());
    else if (auto* c = o.as<prun::WorkerCrashed>()) std::printf("row %zu: crashed (signal %d)\n", i, c->signal());
    else std::printf("row %zu: %s: %s\n", i, o.task_error()->type().c_str(), o.task_error()->message().c_str());
  }

  // A task whose worker crashed runs again on a fresh worker.
  const auto marker = std::filesystem::temp_directory_path() / ("prun-flaky-" + std::to_string(::getpid()));
  std::vector<prun::Task<int>> once{prun::delayed(flaky)(marker.string())};
  std::printf("flaky: %d\n", prun::Parallel({.n_jobs = 2, .retries = 1})(once).at(0));
  std::filesystem::remove(marker);

  // Cancelled from another thread (a signal handler could call token.cancel() too).
  prun::CancelToken token;
  std::vector<prun::Task<int>> endless;
  for (int k = 0; k < 4; ++k) endless.push_back(prun::delayed(wait_forever)(k));
  std::thread canceller([token] {
    std::this_thread::sleep_for(200ms);
    token.cancel();
  });
  try {
    prun::Parallel({.n_jobs = 2, .grace = 100ms, .cancel = token})(endless);
  } catch (const prun::Cancelled&) {
    std::printf("cancelled: the running tasks were stopped, no other started\n");
  }
  canceller.join();
}
