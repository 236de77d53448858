// What Python users reach for when they port: extra, LoggerAdapter, exc_info and getChild. docs/logging.md quotes this program; CTest runs it and checks its output
// (test "logging_porting").
#include <prun/logging.hpp>

#include <stdexcept>

namespace lg = prun::logging;

int main() {
  // Python: logging.basicConfig(level=logging.DEBUG, format="%(levelname)-8s %(name)s: %(message)s")
  lg::basic_config({.level = lg::DEBUG, .format = "%(levelname)-8s %(name)s: %(message)s", .stream_fd = 1});
  auto users = std::make_shared<lg::StreamHandler>(lg::StreamHandler::Stream::stdout_);
  users->set_formatter(std::make_shared<lg::Formatter>("%(levelname)s %(user)s %(message)s", "", lg::Formatter::Style::percent,
                                                       lg::Formatter::Defaults{{"user", std::string("-")}}));
  lg::get_logger("app.audit").add_handler(users);
  lg::get_logger("app.audit").set_propagate(false);

  // [extra]
  // Python: audit.info("login", extra={"user": "bob", "attempt": 2})
  lg::Logger& audit = lg::get_logger("app.audit");
  audit.info(lg::Extra{{"user", "bob"}, {"attempt", 2}}, "login");  // INFO bob login
  audit.info("anonymous");                                           // INFO - anonymous
  // [extra]

  // [adapter]
  // Python: conn = logging.LoggerAdapter(logging.getLogger("app.db"), {"user": "ann"})
  lg::LoggerAdapter conn(lg::get_logger("app.db"), {{"user", "ann"}}, "[conn 7] ");
  conn.info("query took {} ms", 12);  // INFO     app.db: [conn 7] query took 12 ms
  // [adapter]

  // [exc_info]
  // Python: log.warning("retrying", exc_info=True)
  try {
    throw std::runtime_error("timeout");
  } catch (...) {
    lg::get_logger("app.db").warning(lg::exc_info, "retrying");  // WARNING  app.db: retrying
                                                                  // std::runtime_error: timeout
  }
  // [exc_info]

  // [get_child]
  // Python: logging.getLogger("app").getChild("cache")
  lg::get_logger("app").get_child("cache").error("evicted");  // ERROR    app.cache: evicted
  // [get_child]
  return 0;
}
