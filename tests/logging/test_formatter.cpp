// The Formatter's rules beyond single renderings (those are in test_formatter_oracle.cpp):
// when a format is refused, how a record without a key is reported, the styles' defaults,
// the asctime cache, and the abstract FormatterBase.
#include <doctest/doctest.h>

#include <prun/logging.hpp>

#include "test_support.hpp"

#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace lg = prun::logging;
using Style = lg::Formatter::Style;

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

std::string rejection(const std::string& fmt, Style style = Style::percent) {
  try {
    lg::Formatter f(fmt, "", style);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "accepted";
}

std::string emit_error(const lg::Formatter& f, const lg::Record& r) {
  try {
    (void)f.format(r);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "formatted";
}
}  // namespace

TEST_CASE("formats Python refuses are refused - naming the format and the reason") {
  CHECK(rejection("hello") == "invalid format 'hello': no field such as %(message)s, which the '%' style requires");
  CHECK(rejection("{levelname:q}", Style::brace) == "invalid format '{levelname:q}': bad specifier: 'q'");
  CHECK(rejection("{levelname", Style::brace) == "invalid format '{levelname': expected '}' before end of string");
  CHECK(rejection("{a-b} {message}", Style::brace).find("invalid field name/expression: 'a-b'") != std::string::npos);
  CHECK(rejection("{message!x}", Style::brace).find("invalid conversion: 'x'") != std::string::npos);
  CHECK(rejection("$ $message", Style::dollar).find("bare '$' not allowed") != std::string::npos);
  CHECK(rejection("no fields", Style::dollar).find("no fields") != std::string::npos);
}

TEST_CASE("formats that would fail for every record are refused at construction") {
  // Python builds these formatters and then fails on every record they meet.
  CHECK(rejection("%(name)d").find("%d format: a real number is required, not str") != std::string::npos);
  CHECK(rejection("%(created)x").find("an integer is required, not float") != std::string::npos);
  CHECK(rejection("%(message)s 50%").find("incomplete format") != std::string::npos);
  CHECK(rejection("%(message)*s").find("'*'") != std::string::npos);
  CHECK(rejection("%(message)s %(message)q").find("unsupported format character 'q'") != std::string::npos);
  CHECK(rejection("{levelname:d}", Style::brace).find("Unknown format code 'd' for object of type 'str'") != std::string::npos);
  CHECK(rejection("{lineno:.2}", Style::brace).find("Precision not allowed") != std::string::npos);
  CHECK(rejection("{message:+}", Style::brace).find("Sign not allowed") != std::string::npos);
  CHECK(rejection("{} {message}", Style::brace).find("positional") != std::string::npos);
  // ... but not when some record could format it: an extra may be an int, a name one letter.
  CHECK(rejection("%(user)d") == "accepted");
  CHECK(rejection("%(name)c") == "accepted");
  CHECK(rejection("{user:=+5}", Style::brace) == "accepted");
}

TEST_CASE("what prun refuses on purpose is refused with the alternative") {
  CHECK(rejection("%s %(message)s").find("a conversion without a (key)") != std::string::npos);
  CHECK(rejection("{name.upper}", Style::brace).find("attribute and index access") != std::string::npos);
  CHECK(rejection("%(msg)s").find("use 'message'") != std::string::npos);
  CHECK(rejection("%(args)s %(message)s").find("'args'") != std::string::npos);
  // Python takes any Unicode decimal digit as a width ("{message:٧}" pads to 7); prun only ASCII.
  CHECK(rejection("{message:\u0667}", Style::brace).find("bad specifier") != std::string::npos);
}

TEST_CASE("extras are addressable without declaring them - in every style") {
  lg::Record r = sample();
  r.extra = {{"user", std::string("ana")}, {"n", std::int64_t{7}}, {"ratio", 0.5}};
  CHECK(lg::Formatter("%(user)s:%(n)03d:%(ratio).2f:%(message)s").format(r) == "ana:007:0.50:hello");
  CHECK(lg::Formatter("{user}:{n:03d}:{ratio:.2f}:{message}", "", Style::brace).format(r) == "ana:007:0.50:hello");
  CHECK(lg::Formatter("$user:${n}:$ratio:$message", "", Style::dollar).format(r) == "ana:7:0.5:hello");
}

TEST_CASE("defaults fill in for missing extras - and a record's own value wins") {
  lg::Formatter f("%(user)s:%(n)03d:%(message)s", "", Style::percent, {{"user", std::string("-")}, {"n", std::int64_t{0}}});
  lg::Record r = sample();
  CHECK(f.format(r) == "-:000:hello");
  r.extra = {{"user", std::string("ana")}, {"n", std::int64_t{7}}};
  CHECK(f.format(r) == "ana:007:hello");
}

TEST_CASE("a key that is nowhere fails that record only - as Python's KeyError does") {
  lg::Formatter f("%(user)s %(message)s");
  lg::Record r = sample();
  CHECK(emit_error(f, r) == "Formatting field not found in record: 'user'");
  r.extra = {{"user", std::string("ana")}};
  CHECK(f.format(r) == "ana hello");
  // A value of the wrong type fails the same way, for that record.
  lg::Formatter number("%(user)d");
  CHECK(emit_error(number, r) == "%d format: a real number is required, not str");
  r.extra = {{"user", std::int64_t{42}}};
  CHECK(number.format(r) == "42");
}

TEST_CASE("a handler reports a record it cannot format as a logging error - and writes nothing of it") {
  test::CleanLogging clean;
  std::ostringstream os;
  auto h = std::make_shared<lg::StreamHandler>(os);
  h->set_formatter(std::make_shared<lg::Formatter>("[%(user)s] %(message)s"));
  lg::Logger& log = lg::get_logger("fmt.errors");
  log.add_handler(h);
  log.set_propagate(false);
  lg::Record ok = log.make_record(lg::WARNING, "with a user", std::source_location::current());
  ok.extra = {{"user", std::string("ana")}};
  std::string err;
  {
    test::FdCapture capture(2);
    log.handle(ok);
    log.warning("no user here");
    log.handle(ok);
    err = capture.text();
  }
  log.remove_handler(h);
  log.set_propagate(true);
  CHECK(os.str() == "[ana] with a user\n[ana] with a user\n");
  CHECK(err.find("--- Logging error ---") != std::string::npos);
  CHECK(err.find("Formatting field not found in record: 'user'") != std::string::npos);
  CHECK(err.find("Message: 'no user here'") != std::string::npos);
}

TEST_CASE("an empty format is the style's default - as in Python") {
  lg::Record r = sample();
  CHECK(lg::Formatter().fmt() == "%(message)s");
  CHECK(lg::Formatter("").format(r) == "hello");
  CHECK(lg::Formatter("", "", Style::brace).fmt() == "{message}");
  CHECK(lg::Formatter("", "", Style::brace).format(r) == "hello");
  CHECK(lg::Formatter("", "", Style::dollar).fmt() == "${message}");
  CHECK(lg::default_formatter()->format(r) == "hello");
}

TEST_CASE("date format and UTC") {
  lg::Record r = sample();
  lg::Formatter dated("%(asctime)s %(message)s");
  CHECK(dated.uses_time());
  CHECK_FALSE(lg::Formatter("%(message)s").uses_time());
  CHECK(dated.format(r) == "2025-11-21 08:41:50,417 hello");  // tests run with TZ=UTC
  lg::Formatter custom("%(asctime)s", "%H:%M:%S");
  custom.set_utc(true);
  CHECK(custom.format(r) == "08:41:50");  // a datefmt drops the milliseconds, as in Python
  CHECK(lg::Formatter("{message:>{width}}", "", Style::brace, {{"width", std::int64_t{7}}}).format(r) == "  hello");
}

TEST_CASE("the asctime cache serves formats that start with literal text - and never a stale second") {
  lg::Formatter bracketed("[%(asctime)s] %(message)s");
  lg::Formatter other("%(asctime)s|", "%S");
  lg::Record r = sample();
  for (int step = 0; step < 2500; ++step) {  // crosses two seconds; the formatters alternate
    r.created_ns = 1763714510417123456 + std::int64_t{step} * 1'000'000;
    const int second = 50 + static_cast<int>((417 + step) / 1000);
    const int ms = (417 + step) % 1000;
    REQUIRE(bracketed.format(r) == fmt::format("[2025-11-21 08:41:{:02},{:03}] hello", second, ms));
    REQUIRE(other.format(r) == fmt::format("{:02}|", second));
  }
}

TEST_CASE("a Formatter subclass can render time its own way - as Python's formatTime override") {
  struct Epoch : lg::Formatter {
    using lg::Formatter::Formatter;
    void format_time(const lg::Record& record, fmt::memory_buffer& out) const override {
      fmt::format_to(std::back_inserter(out), "{}", record.created_ns / 1'000'000'000);
    }
  };
  CHECK(Epoch("[%(asctime)s] %(message)s").format(sample()) == "[1763714510] hello");
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
  r.message = "ends with a newline\n";
  CHECK(lg::Formatter().format(r) == "ends with a newline\nstd::out_of_range: vector::at");
  r.message.clear();  // an empty text still gets its line break, even after earlier output
  fmt::memory_buffer out;
  out.append(std::string_view("earlier record\n"));
  lg::Formatter().format(r, out);
  CHECK(fmt::to_string(out) == "earlier record\n\nstd::out_of_range: vector::at");
  CHECK(lg::Formatter("%(exc_text)s|").format(r) == "std::out_of_range: vector::at|\nstd::out_of_range: vector::at");
  r.exc_text.clear();
  CHECK(lg::Formatter("%(exc_text)s|{}").format(r) == "None|{}");
}

TEST_CASE("task fields are attributes") {
  lg::Record r = sample();
  r.task = "img-7";
  r.task_index = 6;
  r.worker = 2;
  r.attempt = 1;
  CHECK(lg::Formatter("%(task)s %(taskIndex)d %(worker)d %(attempt)d %(taskName)s").format(r) == "img-7 6 2 1 None");
}

TEST_CASE("a handler takes any FormatterBase - the abstract interface") {
  struct Upper : lg::FormatterBase {
    void format(const lg::Record& record, fmt::memory_buffer& out) const override {
      for (char c : record.message) out.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
    }
  };
  auto cap = std::make_shared<lg::CaptureHandler>();
  cap->set_formatter(std::make_shared<const Upper>());
  lg::Record r = sample();
  cap->handle(r);
  CHECK(cap->lines() == std::vector<std::string>{"HELLO"});
  const lg::FormatterPtr p = std::make_shared<lg::Formatter>("%(levelname)s");
  CHECK(p->format(r) == "INFO");
}

TEST_CASE("one formatter serves many threads - each with its own caches") {
  const lg::Formatter text("[%(asctime)s] %(funcName)s %(levelname)-8s %(user)s %(message)r");
  const lg::JsonFormatter json;
  auto record = [](int k) {
    lg::Record r = sample();
    r.created_ns += std::int64_t{k} * 1'234'567'891;  // a new second almost every time
    r.function = k % 2 ? "void a::odd(int)" : "int even()";
    r.extra = {{"user", std::string(k % 3 ? "ana" : "bo")}};
    return r;
  };
  std::vector<std::string> expected;
  for (int k = 0; k < 400; ++k) expected.push_back(text.format(record(k)) + json.format(record(k)));
  std::vector<int> wrong(4, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int round = 0; round < 5; ++round)
        for (int k = 0; k < 400; ++k)
          if (text.format(record(k)) + json.format(record(k)) != expected[static_cast<std::size_t>(k)]) ++wrong[static_cast<std::size_t>(t)];
    });
  for (auto& th : threads) th.join();
  CHECK(wrong == std::vector<int>(4, 0));
}
