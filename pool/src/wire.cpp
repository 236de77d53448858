#include "wire.hpp"

namespace prun::pool::detail {

void encode_record(Writer& w, const logging::Record& r) {
  w.pod(static_cast<std::int32_t>(r.levelno));
  w.pod(static_cast<std::int32_t>(r.lineno));
  w.pod(static_cast<std::int32_t>(r.process));
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
}

void decode_record(Reader& rd, InternCache& cache, logging::Record& r) {
  r.levelno = rd.pod<std::int32_t>();
  r.lineno = rd.pod<std::int32_t>();
  r.process = rd.pod<std::int32_t>();
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
  auto n = rd.pod<std::uint32_t>();
  r.extra.clear();
  r.extra.reserve(n);
  for (std::uint32_t k = 0; k < n; ++k) {
    std::string key(rd.str());
    auto kind = rd.pod<std::uint8_t>();
    if (kind == 0) r.extra.emplace_back(std::move(key), rd.pod<std::int64_t>());
    else if (kind == 1) r.extra.emplace_back(std::move(key), rd.pod<double>());
    else r.extra.emplace_back(std::move(key), std::string(rd.str()));
  }
}

}  // namespace prun::pool::detail
