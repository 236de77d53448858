// The blog program of "Logging in a multiprocessing context in Python" (the seed), written the
// prun way: the parent configures logging once, prun gives every task the prefix process=<tag>
// and the task level, and configure_task takes the place of the seed's per-task
// configure_logger. Same lines as the seed for --n-jobs 1 and 3 on every backend; CTest runs
// it (tests "blog_port_idiomatic_*", checked by tests/check_blog_port.py).
#include "blog_port_args.hpp"

#include <prun/prun.hpp>

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

namespace lg = prun::logging;

// [idiomatic]
// Runs in each task's process before the task, once prun has set up its logging scope.
void configure_task(const prun::TaskContext& task) {
  lg::debug("Configured logger for process: {}", task.tag);
}
PRUN_REGISTER_TASK(configure_task);

std::string run_in_parallel(std::string process_name) {
  lg::debug("Running process: {} ...", process_name);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  lg::debug("Done.");
  return process_name;
}
PRUN_REGISTER_TASK(run_in_parallel);

void test(int n_jobs, prun::Backend backend) {
  std::printf("Running: n_jobs=%d ...\n", n_jobs);
  std::fflush(stdout);
  lg::basic_config({.level = lg::INFO,
                    .format = "%(asctime)s %(levelname)s %(processName)s %(process)d %(name)s %(message)s"});
  lg::get_logger().add_filter(std::make_shared<lg::PrefixFilter>("process=main "));
  prun::Parallel parallel({.n_jobs = n_jobs, .backend = backend, .log_level = lg::DEBUG,
                           .configure_task = configure_task});
  lg::info("Starting ...");
  std::vector<prun::Task<std::string>> tasks;
  for (int i = 1; i <= 3; ++i) tasks.push_back(prun::delayed(run_in_parallel)(std::to_string(i)));
  std::vector<std::string> results = parallel(tasks);
  lg::info("Done.");
  std::string shown = "[";
  for (std::size_t i = 0; i < results.size(); ++i) shown += (i ? ", '" : "'") + results[i] + "'";
  std::printf("%s]\n", shown.c_str());
}
// [idiomatic]

int main(int argc, char** argv) {
  prun::init(argc, argv);
  const BlogArgs args = parse_blog_args(argc, argv);
  test(args.n_jobs, args.backend);
  return 0;
}
