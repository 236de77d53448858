// Replays hierarchy_cases.txt (random hierarchy scripts run by CPython, see
// gen_hierarchy_cases.py) on prun's hierarchy and expects the same deliveries: live, and with
// every routed record going through HierarchySnapshot (capture_and_reset, call_handlers,
// restore) so that the snapshot's routing and the exactness of restore() are checked too.
#include <doctest/doctest.h>

#include "test_support.hpp"

#include <fstream>
#include <map>
#include <sstream>

namespace lg = prun::logging;

namespace {

struct Case {
  int number = 0;
  std::vector<std::vector<std::string>> ops;
  std::map<std::string, std::vector<std::string>> expected;
  std::vector<std::string> names;  // every logger the case names
};

std::vector<Case> load_cases() {
  std::ifstream in(PRUN_HIERARCHY_CASES);
  std::vector<Case> cases;
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream words(line);
    std::vector<std::string> w;
    for (std::string x; words >> x;) w.push_back(x);
    if (w[0] == "case") {
      cases.emplace_back().number = std::stoi(w[1]);
    } else if (w[0] == "expect") {
      cases.back().expected[w[1]].assign(w.begin() + 2, w.end());
    } else if (w[0] != "end") {
      if (w[0] != "hlevel" && w[0] != "hfilter" && w[0] != "disable" && w[1] != "root") cases.back().names.push_back(w[1]);
      cases.back().ops.push_back(std::move(w));
    }
  }
  return cases;
}

lg::Logger& logger(const std::string& name) { return name == "root" ? lg::get_logger() : lg::get_logger(name); }

bool is_fresh(const lg::Logger& l) {
  return l.level() == lg::NOTSET && l.propagate() && !l.disabled() && l.handlers().empty() && l.filters().empty();
}

enum class Mode { live, snapshot };

// Runs one case; returns the deliveries per handler id ("last" for the last resort).
std::map<std::string, std::vector<std::string>> run(const Case& c, Mode mode) {
  test::CleanLogging clean;
  std::map<std::string, std::shared_ptr<lg::CaptureHandler>> handlers;
  for (const char* id : {"h0", "h1", "h2", "h3"}) handlers[id] = std::make_shared<lg::CaptureHandler>();
  test::FdCapture err(2);  // the last resort writes bare messages there
  for (const auto& op : c.ops) {
    const std::string& kind = op[0];
    if (kind == "get") {
      logger(op[1]);
    } else if (kind == "level") {
      logger(op[1]).set_level(std::stoi(op[2]));
    } else if (kind == "propagate") {
      logger(op[1]).set_propagate(op[2] == "1");
    } else if (kind == "disabled") {
      logger(op[1]).set_disabled(op[2] == "1");
    } else if (kind == "handler") {
      logger(op[1]).add_handler(handlers.at(op[2]));
    } else if (kind == "hlevel") {
      handlers.at(op[1])->set_level(std::stoi(op[2]));
    } else if (kind == "hfilter") {
      handlers.at(op[1])->add_filter(std::make_shared<lg::NameFilter>(op[2]));
    } else if (kind == "remove") {
      logger(op[1]).remove_handler(handlers.at(op[2]));
    } else if (kind == "disable") {
      lg::disable(std::stoi(op[1]));
    } else if (kind == "log") {
      logger(op[1]).log(std::stoi(op[2]), "{}", op[3]);
    } else if (kind == "route") {
      lg::Record r = lg::get_logger(op[1]).make_record(std::stoi(op[2]), op[3], std::source_location::current());
      if (mode == Mode::live) {
        lg::dispatch(r);
      } else {
        auto saved = lg::HierarchySnapshot::capture_and_reset();
        // Inside the scope every logger is as a fresh Python child has it.
        CHECK(lg::get_logger().level() == lg::WARNING);
        CHECK(lg::get_logger().handlers().empty());
        CHECK(lg::disable_level() == lg::NOTSET);
        for (const std::string& name : c.names) CHECK_MESSAGE(is_fresh(lg::get_logger(name)), name);
        saved.call_handlers(r);
        saved.restore();
      }
    }
  }
  std::map<std::string, std::vector<std::string>> got;
  for (auto& [id, h] : handlers)
    for (const lg::Record& r : h->records()) got[id].push_back(r.message);
  got["last"] = test::split_lines(err.text());
  for (auto& [id, h] : handlers) got[id];  // an entry even when empty
  return got;
}

}  // namespace

TEST_CASE("the hierarchy routes records as CPython does - live and through a snapshot") {
  const std::vector<Case> cases = load_cases();
  REQUIRE(cases.size() == 400);
  std::size_t deliveries = 0;
  for (Mode mode : {Mode::live, Mode::snapshot}) {
    int mismatches = 0;
    for (const Case& c : cases) {
      auto got = run(c, mode);
      if (got != c.expected) {
        ++mismatches;
        std::string detail;
        for (auto& [id, msgs] : c.expected) {
          detail += id + " expected:";
          for (auto& m : msgs) detail += " " + m;
          detail += " | got:";
          for (auto& m : got[id]) detail += " " + m;
          detail += "\n";
        }
        FAIL_CHECK("case " << c.number << (mode == Mode::live ? " (live)" : " (snapshot)") << "\n" << detail);
      }
      if (mode == Mode::live)
        for (auto& [id, msgs] : c.expected) deliveries += msgs.size();
    }
    CHECK(mismatches == 0);
  }
  CHECK(deliveries > 1000);  // the corpus exercises routing, not only empty cases
}
