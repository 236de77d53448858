#pragma once
/// prun's command-line mode: GNU parallel's options, run by prun::pool::run_commands.

#include "options.hpp"

namespace prun::cli {

/// Runs the jobs `options` describe (or prints them: --dry-run) and returns the exit status
/// (GNU parallel's). Throws UsageError for bad input found before any job starts.
int run(const CliOptions& options);

/// `prun ARGS...`: parses, runs, and turns every error into one line on stderr (exit status
/// 255 for bad input and other errors, as GNU parallel).
int main(int argc, char** argv);

}  // namespace prun::cli
