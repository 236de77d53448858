#include "asctime.hpp"

#include "text.hpp"

#include <atomic>
#include <ctime>
#include <string>

namespace prun::logging::detail {

namespace {

std::atomic<std::uint64_t> g_keys{0};

struct Split {
  std::int64_t second;
  int millis;
};

Split split(std::int64_t created_ns) {
  std::int64_t sec = created_ns / 1'000'000'000;
  std::int64_t sub = created_ns % 1'000'000'000;
  if (sub < 0) {
    sub += 1'000'000'000;
    --sec;
  }
  return {sec, static_cast<int>(sub / 1'000'000)};
}

// time.strftime: glibc's strftime with a buffer that grows until the text fits; an empty
// result stays empty once the buffer is 256 times the format's length, as in CPython.
void strftime_into(std::string& text, const char* pattern, std::size_t pattern_len, const std::tm& tm) {
  for (std::size_t size = 1024;; size *= 2) {
    text.resize(size);
    const std::size_t n = std::strftime(text.data(), size, pattern, &tm);
    if (n > 0 || size >= 256 * pattern_len) {
      text.resize(n);
      return;
    }
  }
}

void append_millis(int ms, char separator, fmt::memory_buffer& out) {
  const char digits[4] = {separator, static_cast<char>('0' + ms / 100), static_cast<char>('0' + ms / 10 % 10),
                          static_cast<char>('0' + ms % 10)};
  put(out, std::string_view(digits, 4));
}

struct Entry {
  std::uint64_t key = 0;
  std::int64_t second = INT64_MIN;
  bool utc = false;
  std::string text;
};

}  // namespace

std::uint64_t new_time_cache_key() noexcept { return ++g_keys; }

void format_asctime(std::int64_t created_ns, std::string_view datefmt, bool utc, std::uint64_t key,
                    fmt::memory_buffer& out) {
  struct Cache {
    Entry entries[4];
    unsigned next = 0;
  };
  thread_local Cache cache;
  const Split t = split(created_ns);
  Entry* hit = nullptr;
  for (Entry& e : cache.entries)
    if (e.key == key) hit = &e;
  if (!hit) {
    hit = &cache.entries[cache.next++ % 4];
    hit->key = key;
    hit->second = INT64_MIN;
  }
  if (hit->second != t.second || hit->utc != utc) {
    const std::time_t when = static_cast<std::time_t>(t.second);
    std::tm tm{};
    if (utc) gmtime_r(&when, &tm);
    else localtime_r(&when, &tm);
    if (datefmt.empty()) strftime_into(hit->text, "%Y-%m-%d %H:%M:%S", 17, tm);
    else strftime_into(hit->text, std::string(datefmt).c_str(), datefmt.size(), tm);
    hit->second = t.second;
    hit->utc = utc;
  }
  put(out, hit->text);
  if (datefmt.empty()) append_millis(t.millis, ',', out);
}

void format_iso_utc(std::int64_t created_ns, fmt::memory_buffer& out) {
  thread_local Entry cache;
  const Split t = split(created_ns);
  if (cache.second != t.second) {
    const std::time_t when = static_cast<std::time_t>(t.second);
    std::tm tm{};
    gmtime_r(&when, &tm);
    strftime_into(cache.text, "%Y-%m-%dT%H:%M:%S", 17, tm);
    cache.second = t.second;
  }
  put(out, cache.text);
  append_millis(t.millis, '.', out);
  out.push_back('Z');
}

}  // namespace prun::logging::detail
