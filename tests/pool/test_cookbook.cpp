// The logging cookbook's multi-process program with 'propagate': False on `foo`, its workers
// run as prun tasks: the files and the console hold what CPython writes for the same records
// (tests/logging/cookbook_reference.py), on every backend.
#include <doctest/doctest.h>

#include <prun/logging/dict_config.hpp>
#include <prun/prun.hpp>

#include "test_support.hpp"

#include <nlohmann/json.hpp>

#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <tuple>

#ifdef PRUN_PYTHON3
namespace lg = prun::logging;
using json = nlohmann::json;

namespace {

// The cookbook's `d` (with spaces between its format's fields) and 'propagate': False on foo.
constexpr const char* kCookbookNoPropagate = R"({
  "version": 1,
  "formatters": {
    "detailed": {
      "class": "logging.Formatter",
      "format": "%(asctime)s %(name)-15s %(levelname)-8s %(processName)-10s %(message)s"
    }
  },
  "handlers": {
    "console": {"class": "logging.StreamHandler", "level": "INFO"},
    "file": {"class": "logging.FileHandler", "filename": "mplog.log", "mode": "w", "formatter": "detailed"},
    "foofile": {"class": "logging.FileHandler", "filename": "mplog-foo.log", "mode": "w", "formatter": "detailed"},
    "errors": {"class": "logging.FileHandler", "filename": "mplog-errors.log", "mode": "w", "level": "ERROR",
               "formatter": "detailed"}
  },
  "loggers": {"foo": {"handlers": ["foofile"], "propagate": false}},
  "root": {"level": "DEBUG", "handlers": ["console", "file", "errors"]}
})";

using Message = std::tuple<std::string, int, int>;  // logger, level, number

// The cookbook's worker_process, with the messages CPython's run chose.
void cookbook_worker(std::vector<Message> messages) {
  for (const auto& [logger, level, n] : messages) lg::get_logger(logger).log(level, "Message no. {}", n);
}
PRUN_REGISTER_TASK(cookbook_worker);

// A file's lines without what differs between runs (the time, the process name): "name level
// message", where the message starts with the task's prefix.
std::vector<std::string> normalised(const std::string& text, bool detailed) {
  static const std::regex line(R"(^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} (.{15}) (.{8}) .{10,}? (process=\d+ Message no\. \d+)$)");
  std::vector<std::string> out;
  for (const std::string& l : test::split_lines(text)) {
    std::smatch m;
    if (!detailed) {
      out.push_back(l);
    } else if (std::regex_match(l, m, line)) {
      out.push_back(m[1].str() + " " + m[2].str() + " " + m[3].str());
    } else {
      out.push_back("(not in the cookbook's format) " + l);
    }
  }
  return out;
}

// Lines per task (by their prefix), each task's in order.
std::map<std::string, std::vector<std::string>> per_task(const std::vector<std::string>& lines) {
  std::map<std::string, std::vector<std::string>> out;
  for (const std::string& l : lines) {
    const auto at = l.find("process=");
    out[at == std::string::npos ? "?" : l.substr(at, l.find(' ', at) - at)].push_back(l);
  }
  return out;
}

void run_cookbook(int n_jobs, prun::Backend backend) {
  test::TempDir py, cxx;
  {
    std::ofstream(py.file("config.json")) << kCookbookNoPropagate;
  }
  auto ref = test::run_program({PRUN_PYTHON3, PRUN_LOGGING_TEST_DIR "/cookbook_reference.py", py.file("config.json"),
                                py.path.string(), "tasks"});
  REQUIRE_MESSAGE(ref.status == 0, ref.err);
  // What each of CPython's five workers logged.
  std::vector<std::vector<Message>> workers(5);
  {
    std::ifstream records(py.file("records.txt"));
    for (std::string line; std::getline(records, line);) {
      std::istringstream in(line);
      std::string name, process, prefix, word1, word2;
      int level = 0, n = 0;
      std::int64_t created = 0;
      in >> name >> level >> process >> created >> prefix >> word1 >> word2 >> n;
      workers.at(static_cast<std::size_t>(std::stoi(process.substr(process.find('_') + 1)) - 1))
          .emplace_back(name, level, n);
    }
  }
  test::CleanLogging clean;
  json config = json::parse(kCookbookNoPropagate);
  for (auto& [name, h] : config["handlers"].items())
    if (h.contains("filename")) h["filename"] = cxx.file(h["filename"].get<std::string>());
  config["disable_existing_loggers"] = false;  // loggers outlive a test here; CPython's were new
  std::string console;
  {
    test::FdCapture err(2);
    lg::dict_config(config);
    std::vector<prun::Task<void>> tasks;
    for (auto& w : workers) tasks.push_back(prun::delayed(cookbook_worker)(w));
    prun::Parallel({.n_jobs = n_jobs, .backend = backend})(tasks);
    for (const char* name : {"root", "foo"})
      for (const lg::HandlerPtr& h : lg::get_logger(name).handlers()) h->close();
    console = err.text();
  }
  lg::reset_to_pristine();
  const std::pair<std::string, std::string> outputs[] = {
      {"console", ""}, {"mplog.log", "mplog.log"}, {"mplog-foo.log", "mplog-foo.log"}, {"mplog-errors.log", "mplog-errors.log"}};
  for (const auto& [what, file] : outputs) {
    INFO(what);
    const bool detailed = !file.empty();
    auto want = normalised(file.empty() ? ref.err : test::read_file(py.file(file)), detailed);
    auto have = normalised(file.empty() ? console : test::read_file(cxx.file(file)), detailed);
    CHECK_FALSE(want.empty());
    if (n_jobs == 1) {
      CHECK(have == want);  // one task after the other: CPython's order
    } else {
      CHECK(have.size() == want.size());
      CHECK(per_task(have) == per_task(want));  // tasks interleave; each keeps its order
    }
  }
  // propagate off: no record of foo reaches the root's files.
  CHECK(test::read_file(cxx.file("mplog.log")).find(" foo") == std::string::npos);
}

}  // namespace

TEST_CASE("the cookbook with propagate off on foo, run as prun tasks, writes what CPython writes") {
  SUBCASE("n_jobs=1") { run_cookbook(1, prun::Backend::fork); }
  SUBCASE("fork, n_jobs=3") { run_cookbook(3, prun::Backend::fork); }
  SUBCASE("spawn, n_jobs=3") { run_cookbook(3, prun::Backend::spawn); }
}
#endif
