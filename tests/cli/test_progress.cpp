// --progress, --eta and --bar: GNU parallel's words, drawn on a descriptor.
#include <doctest/doctest.h>

#include "cli/progress.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <string>

using namespace prun::cli;

namespace {
std::string contents(int fd) {
  std::string text(4096, '\0');
  ssize_t n = ::pread(fd, text.data(), text.size(), 0);
  text.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
  return text;
}
}  // namespace

TEST_CASE("--progress: GNU parallel's header, then running/completed/100%/average") {
  int fd = ::memfd_create("progress", MFD_CLOEXEC);
  {
    ProgressDisplay p({.progress = true, .cpus = 2, .n_jobs = 3, .fd = fd});
    CHECK(contents(fd) == "\nComputers / CPU cores / Max jobs to run\n1:local / 2 / 3\n\n"
                          "Computer:jobs running/jobs completed/%of started jobs/Average seconds to complete\n");
    p.started();
    p.started();
    CHECK(p.line() == "local:2/0/100%/0.0s");
    p.finished(1.0, "a");
    p.retrying();  // the other one failed and runs again
    p.started();
    p.finished(2.0, "b");
    CHECK(p.line() == "local:0/2/100%/1.5s");
    p.done();
  }
  const std::string text = contents(fd);
  CHECK(text.ends_with("\rlocal:0/2/100%/1.5s \n"));
  ::close(fd);
}

TEST_CASE("--eta and --bar count the jobs left") {
  ProgressDisplay eta({.eta = true, .total = 4, .fd = -1});
  CHECK(eta.line() == "ETA: 0s Left: 4 AVG: 0.00s  local:0/0/100%/0.0s");
  ProgressDisplay bar({.bar = true, .total = 4, .fd = -1, .refresh = std::chrono::hours(1)});
  bar.started();
  bar.finished(0.5, "x y");
  CHECK(bar.line().starts_with("25% 1:3="));
  CHECK(bar.line().ends_with("s x y"));
}
