// The protocol on its own: every message survives its round trip; malformed input is refused.
#include <doctest/doctest.h>

#include "core/protocol.hpp"

#include <vector>

using namespace prun::pool::protocol;

namespace {
std::vector<Frame> frames_of(const std::string& bytes) {
  std::vector<Frame> out;
  const std::size_t used = split_frames(bytes, [&](Frame f) { out.push_back(f); });
  CHECK(used == bytes.size());
  return out;
}
}  // namespace

TEST_CASE("parent-to-worker messages round-trip") {
  std::string bytes;
  Setup{"init_db", 300000, 1000}.encode(bytes);
  RunConfig{"[{tag}] ", 10, false, "hook"}.encode(bytes);
  Batch by_index;
  by_index.begin = 5;
  by_index.end = 9;
  by_index.encode(bytes);
  Batch by_name;
  by_name.begin = 0;
  by_name.end = 2;
  by_name.named = {{"a", "square", std::string_view("\x01\x00\x00\x00", 4)}, {"b\n", "cube", ""}};
  by_name.encode(bytes);
  Writer(bytes).empty(Kind::stop);
  encode_stop_before(bytes, 41);

  auto f = frames_of(bytes);
  REQUIRE(f.size() == 6);
  CHECK(f[0].kind == Kind::setup);
  Setup s = Setup::decode(f[0].payload);
  CHECK(s.initializer == "init_db");
  CHECK(s.idle_ms == 300000);
  CHECK(s.max_tasks == 1000);
  RunConfig c = RunConfig::decode(f[1].payload);
  CHECK(c.prefix == "[{tag}] ");
  CHECK(c.level == 10);
  CHECK(!c.capture);
  CHECK(c.configure_task == "hook");
  Batch b = Batch::decode(f[2].payload);
  CHECK(b.begin == 5);
  CHECK(b.end == 9);
  CHECK(b.named.empty());
  Batch n = Batch::decode(f[3].payload);
  REQUIRE(n.named.size() == 2);
  CHECK(n.named[0].tag == "a");
  CHECK(n.named[0].args == std::string_view("\x01\x00\x00\x00", 4));
  CHECK(n.named[1].tag == "b\n");
  CHECK(n.named[1].name == "cube");
  CHECK(f[4].kind == Kind::stop);
  CHECK(f[4].payload.empty());
  CHECK(f[5].kind == Kind::stop_before);
  CHECK(decode_stop_before(f[5].payload) == 41);
}

TEST_CASE("worker-to-parent messages round-trip") {
  std::string bytes;
  Hello{4242}.encode(bytes);
  Started{7, 123456789}.encode(bytes);
  std::size_t at = Finished::begin(bytes, 7);
  bytes += "RESULT";
  Finished::end_ok(bytes, at, 223456789, 2048);
  at = Finished::begin(bytes, 8);
  bytes += "partial result, dropped";
  Finished::end_error(bytes, at, 323456789, 4096, {"std::runtime_error", "boom"});
  Output{2, 8, true, "half a line"}.encode(bytes);
  encode_fatal(bytes, "out of memory");
  encode_init_failed(bytes, {"std::logic_error", "no db"});
  Writer(bytes).empty(Kind::batch_done);

  auto f = frames_of(bytes);
  REQUIRE(f.size() == 8);
  CHECK(Hello::decode(f[0].payload).pid == 4242);
  Started st = Started::decode(f[1].payload);
  CHECK(st.index == 7);
  CHECK(st.t_ns == 123456789);
  Finished ok = Finished::decode(f[2].payload);
  CHECK(ok.ok);
  CHECK(ok.index == 7);
  CHECK(ok.t_ns == 223456789);
  CHECK(ok.peak_rss_kib == 2048);
  CHECK(ok.result == "RESULT");
  Finished bad = Finished::decode(f[3].payload);
  CHECK(!bad.ok);
  CHECK(bad.index == 8);
  CHECK(bad.peak_rss_kib == 4096);
  CHECK(bad.error.type == "std::runtime_error");
  CHECK(bad.error.message == "boom");
  Output o = Output::decode(f[4].payload);
  CHECK(o.stream == 2);
  CHECK(o.task == 8);
  CHECK(o.last);
  CHECK(o.bytes == "half a line");
  CHECK(decode_fatal(f[5].payload) == "out of memory");
  Failure init = decode_init_failed(f[6].payload);
  CHECK(init.type == "std::logic_error");
  CHECK(f[7].kind == Kind::batch_done);
}

TEST_CASE("a record keeps every field - extras of each type included") {
  prun::logging::Record r;
  r.name = "app.db";
  r.levelno = 30;
  r.message = "line one\nline two \xff";
  r.pathname = "/src/app.cpp";
  r.function = "int main()";
  r.lineno = 42;
  r.created_ns = 1'700'000'000'123'456'789;
  r.relative_ns = 5;
  r.thread = 99;
  r.thread_name = "MainThread";
  r.process = 1234;
  r.process_name = "Worker-2";
  r.task = "users.csv";
  r.task_index = 17;
  r.worker = 2;
  r.attempt = 3;
  r.exc_text = "std::out_of_range: row 7";
  r.extra = {{"user", std::string("bob")}, {"n", std::int64_t{-3}}, {"ratio", 0.25}};
  std::string bytes;
  encode_record(bytes, r);
  auto f = frames_of(bytes);
  REQUIRE(f.size() == 1);
  CHECK(f[0].kind == Kind::record);
  InternCache cache;
  prun::logging::Record d;
  decode_record(f[0].payload, cache, d);
  CHECK(d.name == r.name);
  CHECK(d.levelno == r.levelno);
  CHECK(d.message == r.message);
  CHECK(d.pathname == r.pathname);
  CHECK(d.function == r.function);
  CHECK(d.lineno == r.lineno);
  CHECK(d.created_ns == r.created_ns);
  CHECK(d.relative_ns == r.relative_ns);
  CHECK(d.thread == r.thread);
  CHECK(d.thread_name == r.thread_name);
  CHECK(d.process == r.process);
  CHECK(d.process_name == r.process_name);
  CHECK(d.task == r.task);
  CHECK(d.task_index == r.task_index);
  CHECK(d.worker == 2);
  CHECK(d.attempt == 3);
  CHECK(d.exc_text == r.exc_text);
  CHECK(d.extra == r.extra);
  // Views are interned: the decoded record outlives the bytes it came from.
  bytes.assign(bytes.size(), 'x');
  CHECK(d.name == "app.db");
}

TEST_CASE("frames split across reads are cut only when whole") {
  std::string bytes;
  Started{1, 2}.encode(bytes);
  Started{3, 4}.encode(bytes);
  std::vector<Frame> got;
  const std::string_view all = bytes;
  std::size_t used = split_frames(all.substr(0, 30), [&](Frame f) { got.push_back(f); });
  CHECK(got.size() == 1);
  CHECK(used == kHeader + 16);
  used += split_frames(all.substr(used), [&](Frame f) { got.push_back(f); });
  CHECK(got.size() == 2);
  CHECK(used == bytes.size());
}

TEST_CASE("malformed messages are refused with a ProtocolError") {
  std::string bytes;
  Hello{1}.encode(bytes);
  const std::string_view payload = std::string_view(bytes).substr(kHeader);
  CHECK_THROWS_AS(Started::decode(payload), ProtocolError);  // too short
  CHECK_THROWS_AS(Output::decode(std::string_view("\x03", 1)), ProtocolError);
  std::string batch;
  Batch b;
  b.begin = 5;
  b.end = 3;
  b.encode(batch);
  CHECK_THROWS_AS(Batch::decode(std::string_view(batch).substr(kHeader)), ProtocolError);
  std::string huge(kHeader, '\xff');
  CHECK_THROWS_AS(split_frames(huge, [](Frame) {}), ProtocolError);
  prun::logging::Record r;
  InternCache cache;
  CHECK_THROWS_AS(decode_record("short", cache, r), ProtocolError);
}
