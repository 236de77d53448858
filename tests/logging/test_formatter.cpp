#include <doctest/doctest.h>

#include <prun/logging.hpp>

#include <stdexcept>
#include <string>

namespace lg = prun::logging;

namespace {
lg::Record sample() {
  lg::Record r;
  r.name = "root";
  r.levelno = lg::INFO;
  r.message = "hello";
  r.created_ns = 1763714510417123456;
  r.function = "main()::<lambda()>";
  return r;
}

std::string rejection(const std::string& fmt, lg::Formatter::Style style = lg::Formatter::Style::percent) {
  try {
    lg::Formatter f(fmt, "", style);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "accepted";
}
}  // namespace

TEST_CASE("an unknown attribute is rejected at construction - naming the key") {
  CHECK(rejection("%(asctime)s %(mesage)s").find("'mesage'") != std::string::npos);
  CHECK(rejection("{levelname} {nope}", lg::Formatter::Style::brace).find("'nope'") != std::string::npos);
}

TEST_CASE("formats Python rejects are rejected") {
  CHECK(rejection("hello").find("no %(name)s field") != std::string::npos);  // Python: ValueError
  CHECK(rejection("%(name)d").find("'name' is text") != std::string::npos);
  CHECK(rejection("%(created)x").find("integer") != std::string::npos);
  CHECK(rejection("%(message)").find("incomplete") != std::string::npos);
  CHECK(rejection("%(message)*s").find("'*'") != std::string::npos);
  CHECK(rejection("%(message)s 50%").find("%%") != std::string::npos);
  CHECK(rejection("{levelname:q}", lg::Formatter::Style::brace).find("levelname") != std::string::npos);
  CHECK(rejection("{levelname", lg::Formatter::Style::brace).find("not closed") != std::string::npos);
}

TEST_CASE("extras are addressable when declared - and a record's value wins over the default") {
  lg::Formatter f("%(user)s:%(n)03d:%(message)s", "", lg::Formatter::Style::percent,
                  {{"user", std::string("-")}, {"n", std::int64_t{0}}});
  lg::Record r = sample();
  CHECK(f.format(r) == "-:000:hello");
  r.extra = {{"user", std::string("ana")}, {"n", std::int64_t{7}}};
  CHECK(f.format(r) == "ana:007:hello");
}

TEST_CASE("default format - date format and UTC") {
  lg::Record r = sample();
  CHECK(lg::Formatter().format(r) == "hello");
  lg::Formatter dated("%(asctime)s %(message)s");
  CHECK(dated.uses_time());
  CHECK(dated.format(r) == "2025-11-21 08:41:50,417 hello");  // tests run with TZ=UTC
  lg::Formatter custom("%(asctime)s", "%H:%M:%S");
  custom.set_utc(true);
  CHECK(custom.format(r) == "08:41:50");  // a datefmt drops the milliseconds, as in Python
}

TEST_CASE("funcName is the bare function name") {
  lg::Formatter f("%(funcName)s");
  lg::Record r = sample();
  CHECK(f.format(r) == "<lambda>");
  r.function = "std::vector<int> ns::Parser<T>::parse_all(const std::string&) const [with T = int]";
  CHECK(f.format(r) == "parse_all");
  r.function = "int main(int, char**)";
  CHECK(f.format(r) == "main");
}

TEST_CASE("an exception's text goes below the message - as Python appends a traceback") {
  lg::Record r = sample();
  r.exc_text = "std::out_of_range: vector::at";
  CHECK(lg::Formatter("%(levelname)s %(message)s").format(r) == "INFO hello\nstd::out_of_range: vector::at");
}
