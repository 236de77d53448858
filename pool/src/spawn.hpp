#pragma once
// Starting a worker by re-executing a program, with Boost.Process v2.

#include <string>
#include <utility>
#include <vector>

namespace prun::pool::detail {

/// Starts `program` with `args`, stdout and stderr on `out_fd` and `err_fd`, and each
/// (source, target) descriptor of `fds` at its target number. Returns the pid; the child is
/// neither waited for nor killed by Boost (the caller reaps it). Throws WorkerStartError.
int spawn_program(const std::string& program, const std::vector<std::string>& args, int out_fd, int err_fd,
                  const std::vector<std::pair<int, int>>& fds);

}  // namespace prun::pool::detail
