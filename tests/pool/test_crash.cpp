// Workers that die mid-task, run inside a helper child program.
#include <doctest/doctest.h>

#include "test_support.hpp"

namespace {
test::ProcessResult crash(const char* how) { return test::run_program({PRUN_TEST_CHILD, "crash", how}); }
}  // namespace

TEST_CASE("a worker killed by a signal or exiting mid-task raises WorkerCrashed after its last records") {
  struct Case {
    const char* how;
    std::string caught;
  };
  for (const Case& c : {Case{"sigkill", "CAUGHT 1 SIGKILL 0"}, Case{"segv", "CAUGHT 1 SIGSEGV 0"},
                        Case{"abort", "CAUGHT 1 SIGABRT 0"}, Case{"exit3", "CAUGHT 1 - 3"}}) {
    CAPTURE(c.how);
    test::ProcessResult r = crash(c.how);
    CHECK(r.status == 0);
    // The record written just before the crash reached the parent's handler...
    CHECK(r.err.find("WARNING Worker-") != std::string::npos);
    CHECK(r.err.find(" process=2 about to crash\n") != std::string::npos);
    // ...as did the line it printed, and the exception names the task and what happened.
    CHECK(r.out.find("process=2 last words\n") != std::string::npos);
    CHECK(r.out.find(c.caught + "\n") != std::string::npos);
    CHECK(r.out.find("TAIL WARNING root: process=2 about to crash\n") != std::string::npos);
    CHECK(r.out.find("WHAT task 1 (tag '2') in process ") != std::string::npos);
    CHECK(r.out.find(c.caught == "CAUGHT 1 - 3" ? "worker exited with status 3" : "worker killed by signal SIG") !=
          std::string::npos);
  }
}
