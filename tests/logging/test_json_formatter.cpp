// JsonFormatter's objects, field by field. check_json_formatter.py adds adversarial bytes
// parsed back by Python's json module (CTest json_formatter_output_parses_in_python).
#include <doctest/doctest.h>

#include <prun/logging.hpp>

#include <cmath>
#include <limits>
#include <string>

namespace lg = prun::logging;
using Schema = lg::JsonFormatter::Schema;

namespace {
lg::Record sample() {
  lg::Record r;
  r.name = "app.db";
  r.levelno = lg::INFO;
  r.message = "Starting ...";
  r.pathname = "/src/app/db_module.cpp";
  r.function = "void app::Db::connect(int)";
  r.lineno = 42;
  r.created_ns = 1763714510417123456;
  r.relative_ns = 12345678;
  r.thread = 140245;
  r.thread_name = "MainThread";
  r.process = 4242;
  r.process_name = "MainProcess";
  return r;
}

lg::JsonFormatter::Options ecs() {
  lg::JsonFormatter::Options o;
  o.schema = Schema::ecs;
  return o;
}
}  // namespace

TEST_CASE("a record outside a task - with Python's attribute names") {
  CHECK(lg::JsonFormatter().format(sample()) ==
        R"({"name":"app.db","levelname":"INFO","levelno":20,"message":"Starting ...",)"
        R"("pathname":"/src/app/db_module.cpp","filename":"db_module.cpp","module":"db_module",)"
        R"("lineno":42,"funcName":"connect","created":1763714510.4171233,"msecs":417.0,)"
        R"("relativeCreated":12.345678,"thread":140245,"threadName":"MainThread","process":4242,)"
        R"("processName":"MainProcess"})");
}

TEST_CASE("a task's record - its exception - and its extras with their JSON types") {
  lg::Record r = sample();
  r.task = "img-7";
  r.task_index = 6;
  r.worker = 2;
  r.attempt = 1;
  r.exc_text = "std::out_of_range: row 7";
  r.extra = {{"user", std::string("ana")}, {"n", std::int64_t{-3}}, {"ratio", 0.5},
             {"bad", std::numeric_limits<double>::quiet_NaN()}, {"inf", HUGE_VAL}};
  const std::string json = lg::JsonFormatter().format(r);
  CHECK(json.ends_with(R"("processName":"MainProcess","exc_text":"std::out_of_range: row 7",)"
                       R"("task":"img-7","taskIndex":6,"worker":2,"attempt":1,)"
                       R"("user":"ana","n":-3,"ratio":0.5,"bad":null,"inf":null})"));
  r.attempt = 0;  // no attempt number outside a retry scheme
  CHECK(lg::JsonFormatter().format(r).find("\"attempt\"") == std::string::npos);
}

TEST_CASE("an extra never repeats a key - nor takes a standard attribute's") {
  lg::Record r = sample();
  r.extra = {{"message", std::string("shadow")}, {"user", std::string("first")}, {"user", std::string("second")},
             {"\xff", std::int64_t{1}}, {"\xfe", std::int64_t{2}}};
  const std::string json = lg::JsonFormatter().format(r);
  CHECK(json.find("shadow") == std::string::npos);
  CHECK(json.ends_with(R"("user":"first",")"
                       "\xEF\xBF\xBD"
                       R"(":1})"));
}

TEST_CASE("any bytes give valid JSON") {
  lg::Record r = sample();
  r.message = std::string("q\"b\\n\nt\tnul", 11) + std::string(1, '\0') + "\x01\x1f\x7f \xe2\x80\xa8 \xff caf\xc3\xa9 \xed\xa0\x80";
  const std::string json = lg::JsonFormatter().format(r);
  CHECK(json.find(R"("message":"q\"b\\n\nt\tnul\u0000\u0001\u001f)"
                  "\x7f"
                  R"( \u2028 )"
                  "\xEF\xBF\xBD"
                  " caf\xc3\xa9 "
                  "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\"") != std::string::npos);
}

TEST_CASE("asctime on request - as the pattern Formatter renders it") {
  lg::JsonFormatter::Options o;
  o.asctime = true;
  o.utc = true;
  CHECK(lg::JsonFormatter(o).format(sample()).find(R"("relativeCreated":12.345678,"asctime":"2025-11-21 08:41:50,417","thread")") !=
        std::string::npos);
  o.datefmt = "%d/%m/%Y";
  CHECK(lg::JsonFormatter(o).format(sample()).find(R"("asctime":"21/11/2025")") != std::string::npos);
}

TEST_CASE("Elastic Common Schema names - extras under labels") {
  lg::Record r = sample();
  r.levelno = lg::WARNING;
  r.task = "3";
  r.task_index = 2;
  r.worker = 1;
  r.attempt = 2;
  r.exc_text = "std::runtime_error: boom";
  r.extra = {{"user", std::string("ana")}};
  CHECK(lg::JsonFormatter(ecs()).format(r) ==
        R"({"@timestamp":"2025-11-21T08:41:50.417Z","log.level":"warning","message":"Starting ...",)"
        R"("ecs.version":"1.6.0","log.logger":"app.db","log.origin.file.name":"db_module.cpp",)"
        R"("log.origin.file.line":42,"log.origin.function":"connect","process.pid":4242,)"
        R"("process.name":"MainProcess","process.thread.id":140245,"process.thread.name":"MainThread",)"
        R"("error.message":"std::runtime_error: boom","prun.task":"3","prun.task_index":2,"prun.worker":1,)"
        R"("prun.attempt":2,"labels.user":"ana"})");
  lg::JsonFormatter::Options top = ecs();
  top.extra_prefix = "";  // write ECS fields from extras, as ecs-logging-python does
  r.extra = {{"user.name", std::string("ana")}, {"message", std::string("not twice")}};
  const std::string json = lg::JsonFormatter(top).format(r);
  CHECK(json.ends_with(R"("prun.attempt":2,"user.name":"ana"})"));
}

TEST_CASE("a JsonFormatter plugs into any handler") {
  auto cap = std::make_shared<lg::CaptureHandler>();
  cap->set_formatter(std::make_shared<lg::JsonFormatter>());
  lg::Record r = sample();
  cap->handle(r);
  REQUIRE(cap->lines().size() == 1);
  CHECK(cap->lines()[0].starts_with(R"({"name":"app.db","levelname":"INFO")"));
}
