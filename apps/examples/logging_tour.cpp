// The examples of docs/logging.md, compiled and run by CTest (test "logging_tour").
#include <prun/logging.hpp>

#include <stdexcept>

namespace lg = prun::logging;

int main() {
  // [basic]
  // Python: logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
  lg::basic_config({.level = lg::INFO, .format = "%(levelname)s %(name)s: %(message)s", .stream_fd = 1});
  lg::info("took {:.1f}s", 1.25);             // INFO root: took 1.2s
  lg::debug("not shown: the root is at INFO");  // costs one compare, formats nothing
  // [basic]

  // [hierarchy]
  // Python: log = logging.getLogger("app.db"); log.setLevel(logging.DEBUG)
  lg::Logger& db = lg::get_logger("app.db");
  db.set_level(lg::DEBUG);
  db.debug("connected to {}", "primary");  // DEBUG app.db: connected to primary (root's handler)
  lg::get_logger("app").set_propagate(true);
  // [hierarchy]

  // [handlers]
  // Python: h = logging.FileHandler("app.log", "w"); h.setLevel(logging.ERROR)
  //         h.setFormatter(logging.Formatter("%(asctime)s %(levelname)-8s %(message)s"))
  auto errors = std::make_shared<lg::FileHandler>("/tmp/prun-logging-tour.log", "w");
  errors->set_level(lg::ERROR);
  errors->set_formatter(std::make_shared<lg::Formatter>("%(asctime)s %(levelname)-8s %(message)s"));
  lg::get_logger().add_handler(errors);
  // [handlers]

  // [filters]
  // The seeds' PrefixFilter, on the root logger: only records logged *on the root* get it,
  // exactly as in Python (logger filters do not run for records propagated from children).
  lg::get_logger().add_filter(std::make_shared<lg::PrefixFilter>("process=main "));
  lg::info("Starting ...");                // INFO root: process=main Starting ...
  db.info("a child's record is untouched");  // INFO app.db: a child's record is untouched
  // Any callable is a filter: drop records that mention a secret.
  lg::get_logger().add_filter([](lg::Record& r) { return r.message.find("password") == std::string::npos; });
  lg::warning("password=hunter2");         // dropped
  // [filters]

  // [exception]
  try {
    throw std::out_of_range("row 7");
  } catch (...) {
    db.exception("import failed");  // ERROR app.db: import failed
                                    // std::out_of_range: row 7
  }
  // [exception]

  // [scope]
  // The seeds' restore_root_logger: save the root, start from scratch, put it back.
  {
    lg::ScopedRootReset scope;
    lg::basic_config({.level = lg::DEBUG, .format = "%(levelname)s [scoped] %(message)s", .stream_fd = 1});
    lg::debug("inside the scope");  // DEBUG [scoped] inside the scope
  }
  lg::info("outside again");  // INFO root: process=main outside again
  // [scope]
  errors->close();
  return 0;
}
