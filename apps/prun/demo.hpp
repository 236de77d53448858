#pragma once
/// The seed demo: `prun --n-jobs N [--n-tasks K] [--sleep-ms MS] [--log-level LEVEL] [--backend B]`.

#include <string_view>

namespace prun::demo {

/// Whether `arg` (the first argument) selects the demo: --n-jobs, --n-tasks, --sleep-ms,
/// --log-level or --backend, alone or with "=value".
bool is_demo_option(std::string_view arg);

/// Runs the demo; returns the exit status (0; 1 a failure; 2 bad input). Reads no input.
int main(int argc, char** argv);

}  // namespace prun::demo
