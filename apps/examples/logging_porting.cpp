// What Python users reach for when they port: dictConfig, extra, LoggerAdapter, exc_info and
// getChild. docs/logging.md quotes this program; CTest runs it and checks its output
// (test "logging_porting").
#include <prun/logging.hpp>
#include <prun/logging/dict_config.hpp>

#include <stdexcept>

namespace lg = prun::logging;

int main() {
  // [dict_config]
  // Python: logging.config.dictConfig(config), with the dictionary pasted as JSON.
  lg::dict_config_from_json(R"({
    "version": 1,
    "formatters": {
      "brief": {"format": "%(levelname)-8s %(name)s: %(message)s"},
      "users": {"format": "%(levelname)s %(user)s %(message)s", "defaults": {"user": "-"}}
    },
    "handlers": {
      "console": {"class": "logging.StreamHandler", "stream": "ext://sys.stdout", "formatter": "brief"},
      "audit": {"class": "logging.StreamHandler", "stream": "ext://sys.stdout", "formatter": "users",
                "level": "INFO"}
    },
    "loggers": {
      "app.audit": {"handlers": ["audit"], "propagate": false},
      "app.noisy": {"level": "ERROR"}
    },
    "root": {"level": "DEBUG", "handlers": ["console"]}
  })");
  lg::get_logger("app.db").debug("connected");    // DEBUG    app.db: connected
  lg::get_logger("app.noisy").warning("hidden");  // below app.noisy's ERROR
  // [dict_config]

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
