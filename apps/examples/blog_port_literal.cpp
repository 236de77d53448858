// The blog program of "Logging in a multiprocessing context in Python" (the seed), ported line
// by line: restore_root_logger becomes a ScopedRootReset around the run, configure_logger a
// basic_config(level, format) plus a PrefixFilter on the root, inside every task. It prints the
// seed's lines for --n-jobs 1 and 3 on every backend; docs/logging.md ("Porting from Python")
// quotes it and CTest runs it (tests "blog_port_literal_*", checked by tests/check_blog_port.py).
#include "blog_port_args.hpp"

#include <prun/prun.hpp>

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

namespace lg = prun::logging;

// [literal]
// Python: def configure_logger(process_name: str, level: str) -> None:
void configure_logger(const std::string& process_name, int level) {
  lg::basic_config({.level = level,
                    .format = "%(asctime)s %(levelname)s %(processName)s %(process)d %(name)s %(message)s"});
  lg::Logger& logger = lg::get_logger();
  logger.set_filters({std::make_shared<lg::PrefixFilter>("process=" + process_name + " ")});
  lg::debug("Configured logger for process: {}", process_name);
}

// Python: def run_in_parallel(process_name: str, log_level: str) -> str:
std::string run_in_parallel(std::string process_name, int log_level) {
  configure_logger(process_name, log_level);
  lg::debug("Running process: {} ...", process_name);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  lg::debug("Done.");
  return process_name;
}
PRUN_REGISTER_TASK(run_in_parallel);  // for Backend::spawn, which calls tasks by name

// Python: def test(n_jobs: int) -> None:
void test(int n_jobs, prun::Backend backend, bool restore) {
  std::printf("Running: n_jobs=%d ...\n", n_jobs);
  std::fflush(stdout);
  configure_logger("main", lg::INFO);
  prun::Parallel parallel({.n_jobs = n_jobs, .backend = backend});
  lg::info("Starting ...");
  const int n_tasks = 3;
  std::vector<prun::Task<std::string>> tasks;
  for (int i = 1; i <= n_tasks; ++i) tasks.push_back(prun::delayed(run_in_parallel)(std::to_string(i), lg::DEBUG));
  std::vector<std::string> results;
  if (restore) {
    lg::ScopedRootReset restore_root_logger;  // Python: with restore_root_logger():
    results = parallel(tasks);
  } else {
    results = parallel(tasks);
  }
  lg::info("Done.");
  std::string shown = "[";
  for (std::size_t i = 0; i < results.size(); ++i) shown += (i ? ", '" : "'") + results[i] + "'";
  std::printf("%s]\n", shown.c_str());
}
// [literal]

int main(int argc, char** argv) {
  prun::init(argc, argv);  // a spawned worker runs its tasks here and never returns
  const BlogArgs args = parse_blog_args(argc, argv);
  test(args.n_jobs, args.backend, args.restore);
  return 0;
}
