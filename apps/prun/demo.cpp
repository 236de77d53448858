// prun --n-jobs N: the seed program of "Logging in a multiprocessing context in Python",
// in C++. Every task's records reach the parent's handler with the task's prefix, and
// --n-jobs 1 prints the same lines from MainProcess.
#include "demo.hpp"

#include <prun/prun.hpp>
#if PRUN_WITH_MPI
#include <prun/mpi.hpp>
#endif

#include <fmt/format.h>

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
    "usage: prun --n-jobs N [--n-tasks K] [--sleep-ms MS] [--log-level LEVEL] [--backend B]\n"
    "\n"
    "Runs K tasks (default 3) on N workers (joblib's n_jobs: 1 = sequential in this process,\n"
    "-1 = every CPU). Each task logs at LEVEL (default DEBUG) with the prefix process=<task>,\n"
    "sleeps MS milliseconds (default 100) and returns its name; the main process logs at INFO\n"
    "with the prefix process=main. B is fork (default), spawn, sequential or mpi: with mpi,\n"
    "start it as `mpirun -np K prun --n-jobs N --backend mpi`; the workers are the ranks\n"
    "1..K-1 and N counts them (-1: all).\n";

struct Args {
  int n_jobs = 0;
  int n_tasks = 3;
  int sleep_ms = 100;
  int log_level = log::DEBUG;
  prun::Backend backend = prun::Backend::fork;
};

// Arguments and messages shown on one line: control characters and bytes that are not UTF-8
// escaped, so that an error is always exactly one line.
std::string one_line(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    std::size_t len = c < 0x80 ? 1 : c >= 0xc2 && c < 0xe0 ? 2 : c >= 0xe0 && c < 0xf0 ? 3 : c >= 0xf0 && c < 0xf5 ? 4 : 0;
    bool valid = len > 0 && i + len <= text.size();
    for (std::size_t k = 1; valid && k < len; ++k) valid = (static_cast<unsigned char>(text[i + k]) & 0xc0) == 0x80;
    if (valid && (len > 1 || (c >= 0x20 && c != 0x7f && c != '\\'))) {
      out.append(text.substr(i, len));
      i += len;
      continue;
    }
    switch (c) {
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\\': out += "\\\\"; break;
      default: out += fmt::format("\\x{:02x}", c);
    }
    ++i;
  }
  return out;
}

// One line on stderr: "prun: <message>".
template <typename... Args>
void complain(fmt::format_string<Args...> f, Args&&... args) {
  const std::string line = "prun: " + fmt::format(f, std::forward<Args>(args)...) + "\n";
  std::fputs(line.c_str(), stderr);
}

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
    const bool known =
        arg == "--n-jobs" || arg == "--n-tasks" || arg == "--sleep-ms" || arg == "--log-level" || arg == "--backend";
    if (!known && !arg.starts_with("-")) {
      complain("the demo takes no command: to run commands, use -j N instead of --n-jobs (see prun --help)");
      return std::nullopt;
    }
    if (!known) {
      complain("unknown option '{}' (see prun --help)", one_line(argv[i]));
      return std::nullopt;
    }
    if (!inline_value) {
      if (i + 1 >= argc) {
        complain("{} needs a value", arg);
        return std::nullopt;
      }
      value = argv[++i];
    }
    if (arg == "--backend") {
      if (value == "fork") args.backend = prun::Backend::fork;
      else if (value == "spawn") args.backend = prun::Backend::spawn;
      else if (value == "sequential") args.backend = prun::Backend::sequential;
      else if (value == "mpi") args.backend = prun::Backend::mpi;
      else {
        complain("--backend must be fork, spawn, sequential or mpi, got '{}'", one_line(value));
        return std::nullopt;
      }
      continue;
    }
    if (arg == "--log-level") {
      auto level = parse_int(value);  // a number, or a name as Python's getLevelName takes it
      if (!level) level = log::level_from_name(value);
      if (!level) {
        complain("--log-level must be a level name or number, got '{}'", one_line(value));
        return std::nullopt;
      }
      args.log_level = *level;
      continue;
    }
    auto number = parse_int(value);
    if (!number) {
      complain("{} must be an integer, got '{}'", arg, one_line(value));
      return std::nullopt;
    }
    if (arg == "--n-jobs") {
      if (*number == 0) {
        complain("--n-jobs 0 has no meaning (1 runs sequentially, -1 uses every CPU)");
        return std::nullopt;
      }
      args.n_jobs = *number;
      have_n_jobs = true;
    } else if (*number < 0) {
      complain("{} must not be negative, got {}", arg, *number);
      return std::nullopt;
    } else if (arg == "--n-tasks") {
      args.n_tasks = *number;
    } else {
      args.sleep_ms = *number;
    }
  }
  if (!have_n_jobs) {
    complain("the option --n-jobs is required (see prun --help)");
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
PRUN_REGISTER_TASK(run_in_parallel);  // spawned workers and MPI ranks run it by name

// What the seed's worker_configurer logs once its logger is set up.
void configure(const prun::TaskContext& task) { log::debug("Configured logger for process: {}", task.tag); }
PRUN_REGISTER_TASK(configure);


int run(int argc, char** argv) {
  bool help = false;
  auto args = parse_args(argc, argv, help);
  if (help) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (!args) return 2;
  if (args->backend == prun::Backend::mpi) {
#if PRUN_WITH_MPI
    prun::mpi::init(argc, argv);  // ranks 1..K-1 serve the tasks in here and never return
#else
    complain("--backend mpi: this prun was built without MPI (PRUN_WITH_MPI=OFF)");
    return 2;
#endif
  }

  std::printf("Running: n_jobs=%d ...\n", args->n_jobs);
  std::fflush(stdout);
  log::basic_config({.level = log::INFO,
                     .format = "%(asctime)s %(levelname)s %(processName)s %(process)d %(name)s %(message)s"});
  log::get_logger().add_filter(std::make_shared<log::PrefixFilter>("process=main "));

  prun::Parallel parallel({
      .n_jobs = args->n_jobs,
      .backend = args->backend,
      .log_level = args->log_level,
      .configure_task = configure,
  });
  log::info("Starting ...");
  std::vector<prun::Task<std::string>> tasks;
  for (int i = 1; i <= args->n_tasks; ++i) tasks.push_back(prun::delayed(run_in_parallel)(std::to_string(i), args->sleep_ms));
  std::vector<std::string> results = parallel(tasks);
  log::info("Done.");

  std::string shown = "[";
  for (std::size_t i = 0; i < results.size(); ++i) shown += (i ? ", '" : "'") + results[i] + "'";
  std::printf("%s]\n", shown.c_str());
  return 0;
}

}  // namespace

namespace prun::demo {

bool is_demo_option(std::string_view arg) {
  for (std::string_view name : {"--n-jobs", "--n-tasks", "--sleep-ms", "--log-level", "--backend"})
    if (arg == name || (arg.starts_with(name) && arg.size() > name.size() && arg[name.size()] == '=')) return true;
  return false;
}

// Every failure is one line on stderr and exit status 1 (bad input: 2, before anything runs).
int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::bad_alloc&) {
    complain("out of memory");
  } catch (const std::exception& e) {
    std::string_view what = e.what();
    if (what.starts_with("prun: ")) what.remove_prefix(6);  // complain() says it already
    complain("{}", one_line(what));
  } catch (...) {
    complain("an unknown exception");
  }
  return 1;
}

}  // namespace prun::demo
