// n_jobs=1 and n_jobs=3 give the same per-task records, output lines, results and errors.
#include <doctest/doctest.h>

#include <prun/prun.hpp>

#include "test_support.hpp"

#include <iostream>

namespace lg = prun::logging;

namespace {

std::string workload(int i) {
  lg::Logger& db = lg::get_logger("app.db");
  lg::Logger& http = lg::get_logger("app.http.client");
  lg::info("task {} begins", i);
  std::printf("stdout line %d\n", i);
  db.debug("query {}", i * 3);
  http.warning("slow response for {}", i);
  std::cerr << "stderr line " << i << '\n';
  if (i % 4 == 0) {
    try {
      throw std::out_of_range("index " + std::to_string(i));
    } catch (...) {
      db.exception("recovered from");
    }
  }
  std::printf("no newline at the end %d", i);
  if (i == 9) throw std::invalid_argument("task nine refuses");
  return "r" + std::to_string(i);
}
PRUN_REGISTER_TASK(workload);  // so that spawned workers can run it by name

struct Observed {
  std::map<std::string, std::vector<std::string>> records;  // by task tag
  std::map<std::string, std::vector<std::string>> out, err;  // raw lines by prefix
  std::vector<std::string> results;
  std::string error;  // what() without the process part
};

void group_lines(const std::string& text, std::map<std::string, std::vector<std::string>>& into) {
  for (const auto& line : test::split_lines(text)) into[line.substr(0, line.find(' '))].push_back(line);
}

Observed observe(int n_jobs, int n_tasks, prun::Backend backend = prun::Backend::fork) {
  test::CleanLogging clean;
  auto h = std::make_shared<lg::CaptureHandler>();
  lg::get_logger().add_handler(h);
  lg::get_logger().set_level(lg::DEBUG);
  std::vector<prun::Task<std::string>> tasks;
  for (int i = 0; i < n_tasks; ++i) tasks.push_back(prun::delayed(workload)(i));
  Observed o;
  test::FdCapture out(1), err(2);
  try {
    prun::Options opts;
    opts.n_jobs = n_jobs;
    opts.backend = backend;
    o.results = prun::Parallel{opts}(tasks);
  } catch (const prun::TaskError& e) {
    std::string what = e.what();
    auto a = what.find(" in process ");
    o.error = what.erase(a, what.find("): ", a) + 1 - a);
  }
  group_lines(out.text(), o.out);
  group_lines(err.text(), o.err);
  for (const auto& r : h->records())
    o.records[r.task].push_back(lg::level_name(r.levelno) + "|" + std::string(r.name) + "|" + r.message + "|" +
                                std::string(r.function) + ":" + std::to_string(r.lineno) + "|" + r.exc_text);
  return o;
}

}  // namespace

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
