// The JSON lines example of docs/logging.md, compiled and run by CTest (test "json_logging").
#include <prun/logging.hpp>

#include <string>

namespace lg = prun::logging;

int main() {
  // [json]
  // One JSON object per line, with Python's attribute names, for log shippers.
  auto lines = std::make_shared<lg::StreamHandler>(lg::StreamHandler::Stream::stdout_);
  lines->set_formatter(std::make_shared<lg::JsonFormatter>());
  lg::Logger& db = lg::get_logger("app.db");
  db.add_handler(lines);
  // The cookbook's way to add context: a filter that gives records an extra attribute.
  db.add_filter([](lg::Record& r) { r.extra.emplace_back("user", std::string("ana")); return true; });
  db.warning("disk {}% full", 91);
  // {"name":"app.db","levelname":"WARNING","levelno":30,"message":"disk 91% full",...,"user":"ana"}

  // Elastic Common Schema names, for Filebeat or Elastic Agent; extras go under "labels.".
  lg::JsonFormatter::Options ecs;
  ecs.schema = lg::JsonFormatter::Schema::ecs;
  lines->set_formatter(std::make_shared<lg::JsonFormatter>(ecs));
  db.error("replica {} unreachable", "db-2");
  // {"@timestamp":"2026-11-21T08:41:50.417Z","log.level":"error","message":"replica db-2 unreachable",
  //  ...,"labels.user":"ana"}
  // [json]
  return 0;
}
