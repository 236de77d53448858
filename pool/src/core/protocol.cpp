#include "protocol.hpp"

namespace prun::pool::protocol {

void Setup::encode(std::string& out) const {
  Writer w(out);
  const std::size_t at = w.begin(Kind::setup);
  w.str(initializer);
  w.pod(idle_ms);
  w.pod(max_tasks);
  w.pod(level);
  w.str(prefix);
  w.end(at);
}

Setup Setup::decode(std::string_view payload) {
  Reader r(payload);
  Setup s;
  s.initializer = std::string(r.str());
  s.idle_ms = r.pod<std::uint64_t>();
  s.max_tasks = r.pod<std::uint64_t>();
  s.level = r.pod<std::int32_t>();
  s.prefix = std::string(r.str());
  return s;
}

void RunConfig::encode(std::string& out) const {
  Writer w(out);
  const std::size_t at = w.begin(Kind::run);
  w.str(prefix);
  w.pod(level);
  w.pod(static_cast<std::uint8_t>(capture));
  w.str(configure_task);
  w.pod(static_cast<std::uint8_t>(stop_on_error));
  w.end(at);
}

RunConfig RunConfig::decode(std::string_view payload) {
  Reader r(payload);
  RunConfig c;
  c.prefix = std::string(r.str());
  c.level = r.pod<std::int32_t>();
  c.capture = r.pod<std::uint8_t>() != 0;
  c.configure_task = std::string(r.str());
  c.stop_on_error = r.pod<std::uint8_t>() != 0;
  return c;
}

void Batch::encode(std::string& out) const {
  Writer w(out);
  const std::size_t at = w.begin(Kind::batch);
  w.pod(begin);
  w.pod(end);
  w.pod(attempt);
  w.pod(static_cast<std::uint8_t>(!named.empty()));
  for (const NamedTask& t : named) {
    w.str(t.tag);
    w.str(t.name);
    w.str(t.args);
  }
  w.end(at);
}

Batch Batch::decode(std::string_view payload) {
  Reader r(payload);
  Batch b;
  b.begin = r.pod<std::uint64_t>();
  b.end = r.pod<std::uint64_t>();
  b.attempt = r.pod<std::uint32_t>();
  if (b.end < b.begin) throw ProtocolError("prun: a batch ends before it begins");
  if (r.pod<std::uint8_t>() != 0) {
    b.named.reserve(b.end - b.begin);
    for (std::uint64_t i = b.begin; i < b.end; ++i) {
      NamedTask t;
      t.tag = r.str();
      t.name = r.str();
      t.args = r.str();
      b.named.push_back(t);
    }
  }
  if (!r.done()) throw ProtocolError("prun: a batch has trailing bytes");
  return b;
}

void Hello::encode(std::string& out) const {
  Writer w(out);
  const std::size_t at = w.begin(Kind::hello);
  w.pod(pid);
  w.end(at);
}

Hello Hello::decode(std::string_view payload) {
  Reader r(payload);
  return Hello{r.pod<std::int32_t>()};
}

void encode_init_failed(std::string& out, Failure f) {
  Writer w(out);
  const std::size_t at = w.begin(Kind::init_failed);
  w.str(f.type);
  w.str(f.message);
  w.end(at);
}

Failure decode_init_failed(std::string_view payload) {
  Reader r(payload);
  Failure f;
  f.type = r.str();
  f.message = r.str();
  return f;
}

void encode_stop_before(std::string& out, std::uint64_t index) {
  Writer w(out);
  const std::size_t at = w.begin(Kind::stop_before);
  w.pod(index);
  w.end(at);
}

std::uint64_t decode_stop_before(std::string_view payload) {
  Reader r(payload);
  return r.pod<std::uint64_t>();
}

void encode_fatal(std::string& out, std::string_view message) {
  Writer w(out);
  const std::size_t at = w.begin(Kind::fatal);
  w.str(message);
  w.end(at);
}

std::string_view decode_fatal(std::string_view payload) {
  Reader r(payload);
  return r.str();
}

void Started::encode(std::string& out) const {
  Writer w(out);
  const std::size_t at = w.begin(Kind::started);
  w.pod(index);
  w.pod(t_ns);
  w.end(at);
}

Started Started::decode(std::string_view payload) {
  Reader r(payload);
  Started s;
  s.index = r.pod<std::uint64_t>();
  s.t_ns = r.pod<std::int64_t>();
  return s;
}

namespace {
// index, t_ns, rss, ok: fixed offsets after the header, patched when the task ends.
constexpr std::size_t kFinishedFixed = 8 + 8 + 8 + 1;

void patch_finished(std::string& out, std::size_t start, std::int64_t t_ns, std::int64_t rss, bool ok) {
  char* p = out.data() + start + kHeader + 8;
  std::memcpy(p, &t_ns, 8);
  std::memcpy(p + 8, &rss, 8);
  p[16] = static_cast<char>(ok);
}
}  // namespace

std::size_t Finished::begin(std::string& out, std::uint64_t index) {
  Writer w(out);
  const std::size_t at = w.begin(Kind::finished);
  w.pod(index);
  out.append(kFinishedFixed - 8, '\0');
  return at;
}

void Finished::end_ok(std::string& out, std::size_t start, std::int64_t t_ns, std::int64_t rss_kib) {
  patch_finished(out, start, t_ns, rss_kib, true);
  Writer(out).end(start);
}

void Finished::end_error(std::string& out, std::size_t start, std::int64_t t_ns, std::int64_t rss_kib, Failure f) {
  out.resize(start + kHeader + kFinishedFixed);
  patch_finished(out, start, t_ns, rss_kib, false);
  Writer w(out);
  w.str(f.type);
  w.str(f.message);
  w.end(start);
}

Finished Finished::decode(std::string_view payload) {
  Reader r(payload);
  Finished f;
  f.index = r.pod<std::uint64_t>();
  f.t_ns = r.pod<std::int64_t>();
  f.peak_rss_kib = r.pod<std::int64_t>();
  f.ok = r.pod<std::uint8_t>() != 0;
  if (f.ok) {
    f.result = r.rest();
  } else {
    f.error.type = r.str();
    f.error.message = r.str();
  }
  return f;
}

void Output::encode(std::string& out) const {
  Writer w(out);
  const std::size_t at = w.begin(Kind::output);
  w.pod(stream);
  w.pod(task);
  w.pod(static_cast<std::uint8_t>(last));
  w.bytes(bytes);
  w.end(at);
}

Output Output::decode(std::string_view payload) {
  Reader r(payload);
  Output o;
  o.stream = r.pod<std::uint8_t>();
  if (o.stream != 1 && o.stream != 2) throw ProtocolError("prun: output on an unknown stream");
  o.task = r.pod<std::uint64_t>();
  o.last = r.pod<std::uint8_t>() != 0;
  o.bytes = r.rest();
  return o;
}

void encode_record(std::string& out, const logging::Record& r) {
  Writer w(out);
  const std::size_t at = w.begin(Kind::record);
  w.pod(static_cast<std::int32_t>(r.levelno));
  w.pod(static_cast<std::int32_t>(r.lineno));
  w.pod(static_cast<std::int32_t>(r.process));
  w.pod(static_cast<std::int32_t>(r.worker));
  w.pod(static_cast<std::int32_t>(r.attempt));
  w.pod(r.created_ns);
  w.pod(r.relative_ns);
  w.pod(r.thread);
  w.pod(r.task_index);
  w.str(r.name);
  w.str(r.message);
  w.str(r.pathname);
  w.str(r.function);
  w.str(r.thread_name);
  w.str(r.process_name);
  w.str(r.task);
  w.str(r.exc_text);
  w.pod(static_cast<std::uint32_t>(r.extra.size()));
  for (const auto& [key, value] : r.extra) {
    w.str(key);
    w.pod(static_cast<std::uint8_t>(value.index()));
    if (auto* i = std::get_if<std::int64_t>(&value)) w.pod(*i);
    else if (auto* d = std::get_if<double>(&value)) w.pod(*d);
    else w.str(std::get<std::string>(value));
  }
  w.end(at);
}

void decode_record(std::string_view payload, InternCache& cache, logging::Record& r) {
  Reader rd(payload);
  r.levelno = rd.pod<std::int32_t>();
  r.lineno = rd.pod<std::int32_t>();
  r.process = rd.pod<std::int32_t>();
  r.worker = rd.pod<std::int32_t>();
  r.attempt = rd.pod<std::int32_t>();
  r.created_ns = rd.pod<std::int64_t>();
  r.relative_ns = rd.pod<std::int64_t>();
  r.thread = rd.pod<std::uint64_t>();
  r.task_index = rd.pod<std::int64_t>();
  r.name = cache.get(0, rd.str());
  r.message.assign(rd.str());
  r.pathname = cache.get(1, rd.str());
  r.function = cache.get(2, rd.str());
  r.thread_name = cache.get(3, rd.str());
  r.process_name = cache.get(4, rd.str());
  r.task.assign(rd.str());
  r.exc_text.assign(rd.str());
  const auto n = rd.pod<std::uint32_t>();
  r.extra.clear();
  for (std::uint32_t k = 0; k < n; ++k) {
    std::string key(rd.str());
    const auto kind = rd.pod<std::uint8_t>();
    if (kind == 0) r.extra.emplace_back(std::move(key), rd.pod<std::int64_t>());
    else if (kind == 1) r.extra.emplace_back(std::move(key), rd.pod<double>());
    else if (kind == 2) r.extra.emplace_back(std::move(key), std::string(rd.str()));
    else throw ProtocolError("prun: a record has an extra value of unknown type");
  }
}

}  // namespace prun::pool::protocol
