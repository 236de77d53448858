// n_jobs=1 and n_jobs=3 give the same per-task records, output lines, results and errors.
#include <doctest/doctest.h>

#include <prun/prun.hpp>

#include "equivalence_workload.hpp"
#include "test_support.hpp"

using namespace equivalence;

TEST_CASE("sequential - fork and spawn are indistinguishable but for pids - names - times and interleaving") {
  for (auto backend : {prun::Backend::fork, prun::Backend::spawn})
  for (int n_tasks : {8, 12}) {  // 8: all succeed; 12: task 9 throws
    CAPTURE(n_tasks);
    CAPTURE(backend == prun::Backend::spawn);
    Observed seq = observe(1, n_tasks);
    Observed par = observe(3, n_tasks, backend);
    CHECK(seq.records.size() == static_cast<std::size_t>(std::min(n_tasks, 10)));
    CHECK(seq.records.at("1").size() == 4);
    CHECK(seq.out.at("process=1") == std::vector<std::string>{"process=1 stdout line 0", "process=1 no newline at the end 0"});
    CHECK(seq.error == (n_tasks == 12 ? seq.error : ""));
    if (n_tasks == 12) {
      // Tasks after the failing one that had already started in parallel (on another worker)
      // logged before they were stopped; sequentially they never start. Compare the rest.
      for (int tag = 11; tag <= 12; ++tag) {
        const std::string t = std::to_string(tag);
        CHECK(seq.records.count(t) == 0);
        par.records.erase(t);
        par.out.erase("process=" + t);
        par.err.erase("process=" + t);
      }
    }
    CHECK(seq.records == par.records);
    CHECK(seq.out == par.out);
    CHECK(seq.err == par.err);
    CHECK(seq.results == par.results);
    CHECK(seq.error == par.error);
    CAPTURE(seq.error);
    if (n_tasks == 12) CHECK(seq.error.find("std::invalid_argument: task nine refuses") != std::string::npos);
    else CHECK(seq.results.at(7) == "r7");
  }
}
