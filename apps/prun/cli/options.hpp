#pragma once
/// prun's command line in GNU parallel's grammar, parsed into one struct.

#include "inputs.hpp"
#include "values.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace prun::cli {

enum class OutputMode {
  group,        ///< --group (default): a job's output is printed whole when it ends
  line_buffer,  ///< --line-buffer/--lb: whole lines are printed as they come
  ungroup,      ///< -u/--ungroup: bytes are printed as they come
};

struct CliOptions {
  // ---- the command and its inputs ----
  std::vector<std::string> command;    ///< the command's words (joined with spaces); empty: the input is the command
  std::vector<SourceSpec> sources;     ///< -a files, then ::: / :::: sources; standard input when none was given
  InputSettings input;                 ///< -0, -d, --colsep, -n
  // ---- how jobs run ----
  int n_jobs = 1;                      ///< -j resolved (default: one per usable CPU)
  std::chrono::nanoseconds delay{0};   ///< --delay
  TimeoutSpec timeout;                 ///< --timeout
  long retries = 0;                    ///< --retries: runs per job at most (0 and 1: once)
  HaltSpec halt;                       ///< --halt
  // ---- output ----
  OutputMode output = OutputMode::group;
  bool keep_order = false;             ///< -k
  bool tag = false;                    ///< --tag
  std::optional<std::string> tagstring;
  std::string results;                 ///< --results DIR ("" none)
  std::string joblog;                  ///< --joblog FILE ("" none; "-" standard output; "+FILE" appends)
  bool resume = false, resume_failed = false;
  bool dry_run = false;
  bool bar = false, eta = false, progress = false;
  // ---- prun's own ----
  std::string log_file;                ///< --log FILE: every job's lines and events as log records
  std::string log_format;              ///< --log-format (Python's %-style)
  bool log_json = false;               ///< --log-json: JSON lines instead
  std::string trace_file;              ///< --trace FILE: a Chrome trace of the run
  bool help = false;
  bool version = false;
};

/// Parses GNU parallel's command line (argv[0] is skipped). Options come first, then the
/// command, then the input sources (::: :::+ :::: ::::+); `--` ends the options. Throws
/// UsageError (one line) for an unknown option, a missing or bad value.
CliOptions parse_command_line(int argc, const char* const* argv);

/// The text of prun --help.
const char* help_text();

}  // namespace prun::cli
