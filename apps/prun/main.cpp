// prun --n-jobs N: the seed program of "Logging in a multiprocessing context in Python",
// in C++. Every task's records reach the parent's handler with the task's prefix, and
// --n-jobs 1 prints the same lines from MainProcess.
#include <prun/prun.hpp>

#include <charconv>
#include <chrono>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

namespace {

namespace log = prun::logging;

constexpr const char* kUsage =
    "usage: prun --n-jobs N [--n-tasks K] [--sleep-ms MS] [--log-level LEVEL]\n"
    "\n"
    "Runs K tasks (default 3) on N workers (joblib's n_jobs: 1 = sequential in this process,\n"
    "-1 = every CPU). Each task logs at LEVEL (default DEBUG) with the prefix process=<task>,\n"
    "sleeps MS milliseconds (default 100) and returns its name; the main process logs at INFO\n"
    "with the prefix process=main.\n";

struct Args {
  int n_jobs = 0;
  int n_tasks = 3;
  int sleep_ms = 100;
  int log_level = log::DEBUG;
};

std::optional<int> parse_int(std::string_view s) {
  int v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || p != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

// Parses argv; on bad input prints one line naming the problem and returns nullopt.
std::optional<Args> parse_args(int argc, char** argv, bool& help) {
  Args args;
  bool have_n_jobs = false;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    std::string_view value;
    bool inline_value = false;
    if (auto eq = arg.find('='); arg.starts_with("--") && eq != std::string_view::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
      inline_value = true;
    }
    if (arg == "--help" || arg == "-h") {
      help = true;
      return std::nullopt;
    }
    const bool known = arg == "--n-jobs" || arg == "--n-tasks" || arg == "--sleep-ms" || arg == "--log-level";
    if (!known) {
      std::fprintf(stderr, "prun: unknown option '%s' (see prun --help)\n", argv[i]);
      return std::nullopt;
    }
    if (!inline_value) {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "prun: %.*s needs a value\n", static_cast<int>(arg.size()), arg.data());
        return std::nullopt;
      }
      value = argv[++i];
    }
    if (arg == "--log-level") {
      auto level = parse_int(value);  // a number, or a name as Python's getLevelName takes it
      if (!level) level = log::level_from_name(value);
      if (!level) {
        std::fprintf(stderr, "prun: --log-level must be a level name or number, got '%.*s'\n",
                     static_cast<int>(value.size()), value.data());
        return std::nullopt;
      }
      args.log_level = *level;
      continue;
    }
    auto number = parse_int(value);
    if (!number) {
      std::fprintf(stderr, "prun: %.*s must be an integer, got '%.*s'\n", static_cast<int>(arg.size()),
                   arg.data(), static_cast<int>(value.size()), value.data());
      return std::nullopt;
    }
    if (arg == "--n-jobs") {
      if (*number == 0) {
        std::fprintf(stderr, "prun: --n-jobs 0 has no meaning (1 runs sequentially, -1 uses every CPU)\n");
        return std::nullopt;
      }
      args.n_jobs = *number;
      have_n_jobs = true;
    } else if (*number < 0) {
      std::fprintf(stderr, "prun: %.*s must not be negative, got %d\n", static_cast<int>(arg.size()), arg.data(),
                   *number);
      return std::nullopt;
    } else if (arg == "--n-tasks") {
      args.n_tasks = *number;
    } else {
      args.sleep_ms = *number;
    }
  }
  if (!have_n_jobs) {
    std::fprintf(stderr, "prun: the option --n-jobs is required (see prun --help)\n");
    return std::nullopt;
  }
  return args;
}

// The task: what the seed's run_in_parallel does once its logger is configured.
std::string run_in_parallel(std::string process_name, int sleep_ms) {
  log::debug("Running process: {} ...", process_name);
  std::this_thread::sleep_for(std::chrono::milliseconds(sleep_ms));
  log::debug("Done.");
  return process_name;
}

}  // namespace

int main(int argc, char** argv) {
  bool help = false;
  auto args = parse_args(argc, argv, help);
  if (help) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (!args) return 2;

  std::printf("Running: n_jobs=%d ...\n", args->n_jobs);
  std::fflush(stdout);
  log::basic_config({.level = log::INFO,
                     .format = "%(asctime)s %(levelname)s %(processName)s %(process)d %(name)s %(message)s"});
  log::get_logger().add_filter(std::make_shared<log::PrefixFilter>("process=main "));

  prun::Parallel parallel({
      .n_jobs = args->n_jobs,
      .log_level = args->log_level,
      .configure_task = [](const prun::TaskContext& task) {
        log::debug("Configured logger for process: {}", task.tag);
      },
  });
  log::info("Starting ...");
  std::vector<prun::Task<std::string>> tasks;
  for (int i = 1; i <= args->n_tasks; ++i) tasks.push_back(prun::delayed(run_in_parallel)(std::to_string(i), args->sleep_ms));
  std::vector<std::string> results;
  try {
    results = parallel(tasks);
  } catch (const prun::TaskError& e) {
    log::error("{}", e.what());
    return 1;
  }
  log::info("Done.");

  std::string shown = "[";
  for (std::size_t i = 0; i < results.size(); ++i) shown += (i ? ", '" : "'") + results[i] + "'";
  std::printf("%s]\n", shown.c_str());
  return 0;
}
