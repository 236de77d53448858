#pragma once
// The workload every backend must run the same way (tests/pool/test_equivalence.cpp, and
// tests/mpi on Backend::mpi): records through nested loggers, an exception logged, lines on
// both streams, a last line without a newline, and a task that throws. observe() runs it and
// gathers what came out, per task.
#include <prun/prun.hpp>

#include "test_support.hpp"

#include <cstdio>
#include <iostream>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace equivalence {

namespace lg = prun::logging;

inline std::string workload(int i) {
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

inline void group_lines(const std::string& text, std::map<std::string, std::vector<std::string>>& into) {
  for (const auto& line : test::split_lines(text)) into[line.substr(0, line.find(' '))].push_back(line);
}

inline Observed observe(int n_jobs, int n_tasks, prun::Backend backend = prun::Backend::fork) {
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

}  // namespace equivalence
