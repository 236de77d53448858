// A program with modes that the tests run as a child process, for what a test process should
// not do to itself.
//
//   prun_test_child crash <sigkill|segv|abort|exit3>
//       Runs 4 tasks on 2 workers; task 2 logs "about to crash" and prints a line, then dies.
//       stdout: the raw output lines, then "CAUGHT <index> <signal> <status>" and the last
//       lines of the WorkerCrashed; stderr: the records.
//   prun_test_child interrupt <default|own> <n_jobs> <log file> <ready fd>
//       Runs 2 tasks that log numbered records ("task K record N") to the root's file handler
//       and print numbered lines, flat out; each writes its pid (int) to <ready fd> once it
//       has logged 1,000 records. With "own" the program has its own SIGINT handler, which
//       cancels the run through a token: it prints CANCELLED and exits 0.
//   prun_test_child no-init
//       Tries Backend::spawn without having called prun::init: prints the error, exits 3.
//   As a program for another binary's spawned workers it calls prun::init, so it answers the
//   handshake, and reports that its build differs.
#include <prun/prun.hpp>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace lg = prun::logging;

// Under AddressSanitizer, let SIGSEGV and SIGABRT kill the worker as they would without it
// (ASan would report and exit(1) instead). Unused in other builds.
extern "C" const char* __asan_default_options() { return "handle_segv=0:handle_abort=0"; }
// The same under ThreadSanitizer.
extern "C" const char* __tsan_default_options() { return "handle_segv=0:handle_abort=0"; }

namespace {

int crash_task(int i, const std::string& how) {
  lg::info("task {} starting", i);
  if (i == 1) {
    lg::warning("about to crash");
    std::printf("last words\n");
    if (how == "sigkill") std::raise(SIGKILL);
    if (how == "segv") std::raise(SIGSEGV);
    if (how == "abort") std::abort();
    if (how == "exit3") std::exit(3);
  }
  return i;
}

int crash(const std::string& how) {
  lg::basic_config({.level = lg::INFO, .format = "%(levelname)s %(processName)s %(message)s"});
  prun::Options opts;
  opts.n_jobs = 2;
  opts.batch_size = 1;
  std::vector<prun::Task<int>> tasks;
  for (int i = 0; i < 4; ++i) tasks.push_back(prun::delayed(crash_task)(i, how));
  try {
    prun::Parallel{opts}(tasks);
  } catch (const prun::WorkerCrashed& e) {
    std::printf("CAUGHT %zu %s %d\n", e.index(), e.signal() ? prun::pool::signal_name(e.signal()).c_str() : "-",
                e.exit_status());
    for (const auto& line : e.last_lines()) std::printf("TAIL %s\n", line.c_str());
    std::printf("WHAT %s\n", e.what());
    return 0;
  }
  std::printf("NO CRASH\n");
  return 1;
}

prun::CancelToken* g_token = nullptr;

int interrupt(const std::string& mode, int n_jobs, const std::string& log_file, int ready_fd) {
  auto file = std::make_shared<lg::FileHandler>(log_file, "w");
  file->set_formatter(std::make_shared<lg::Formatter>("%(message)s"));
  lg::get_logger().add_handler(file);
  lg::get_logger().set_level(lg::INFO);
  prun::CancelToken token;
  g_token = &token;
  if (mode == "own") {
    struct sigaction sa{};
    sa.sa_handler = [](int) { g_token->cancel(); };
    ::sigaction(SIGINT, &sa, nullptr);
  }
  auto task = [ready_fd](int k) {
    lg::Logger& log = lg::get_logger("flood");
    for (long n = 0;; ++n) {
      log.info("task {} record {}", k, n);
      std::printf("task %d line %ld\n", k, n);
      if (n == 1000) {
        const int pid = ::getpid();
        (void)!::write(ready_fd, &pid, sizeof pid);
      }
    }
    return k;
  };
  prun::Options opts;
  opts.n_jobs = n_jobs;
  opts.cancel = token;
  std::vector<prun::Task<int>> tasks{prun::delayed(task)(0), prun::delayed(task)(1)};
  try {
    prun::Parallel{opts}(tasks);
  } catch (const prun::Cancelled&) {
    std::fprintf(stderr, "CANCELLED\n");
    return 0;
  }
  return 1;
}

}  // namespace

int answer() { return 42; }
PRUN_REGISTER_TASK(answer);

int no_init() {
  std::vector<prun::Task<int>> tasks{prun::delayed(answer)()};
  prun::Options opts;
  opts.n_jobs = 2;
  opts.backend = prun::Backend::spawn;
  try {
    prun::Parallel{opts}(tasks);
  } catch (const std::exception& e) {
    std::printf("REFUSED %s\n", e.what());
    return 3;
  }
  return 0;
}

int main(int argc, char** argv) {
  if (argc == 2 && std::strcmp(argv[1], "no-init") == 0) return no_init();
  prun::init(argc, argv);  // a spawned worker never comes back from here
  if (argc == 3 && std::strcmp(argv[1], "crash") == 0) return crash(argv[2]);
  if (argc == 6 && std::strcmp(argv[1], "interrupt") == 0)
    return interrupt(argv[2], std::atoi(argv[3]), argv[4], std::atoi(argv[5]));
  std::fprintf(stderr, "usage: prun_test_child crash <sigkill|segv|abort|exit3> | no-init\n");
  return 2;
}
