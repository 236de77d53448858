#include <prun/logging/level.hpp>

#include "text.hpp"

#include <atomic>

#include <charconv>
#include <map>
#include <mutex>
#include <shared_mutex>

namespace prun::logging {
namespace {

struct LevelNames {
  std::shared_mutex mutex;
  std::map<int, std::string> by_level{{CRITICAL, "CRITICAL"}, {ERROR, "ERROR"},
                                      {WARNING, "WARNING"},   {INFO, "INFO"},
                                      {DEBUG, "DEBUG"},       {NOTSET, "NOTSET"}};
  std::map<std::string, int, std::less<>> by_name{
      {"CRITICAL", CRITICAL}, {"FATAL", CRITICAL}, {"ERROR", ERROR}, {"WARN", WARNING},
      {"WARNING", WARNING},   {"INFO", INFO},      {"DEBUG", DEBUG}, {"NOTSET", NOTSET}};
};

std::atomic<bool> g_customised{false};

LevelNames& names() {
  static auto* n = new LevelNames;  // leaked: usable during static destruction
  return *n;
}

}  // namespace

std::string level_name(int level) {
  auto& n = names();
  std::shared_lock lock(n.mutex);
  if (auto it = n.by_level.find(level); it != n.by_level.end()) return it->second;
  return "Level " + std::to_string(level);
}

void add_level_name(int level, std::string_view name) {
  auto& n = names();
  std::unique_lock lock(n.mutex);
  n.by_level[level] = std::string(name);
  n.by_name[std::string(name)] = level;
  g_customised.store(true, std::memory_order_relaxed);
}

bool detail::level_names_customised() noexcept { return g_customised.load(std::memory_order_relaxed); }

std::optional<int> level_from_name(std::string_view name) {
  int value = 0;
  auto [ptr, ec] = std::from_chars(name.data(), name.data() + name.size(), value);
  if (ec == std::errc{} && ptr == name.data() + name.size() && !name.empty()) return value;
  auto& n = names();
  std::shared_lock lock(n.mutex);
  if (auto it = n.by_name.find(name); it != n.by_name.end()) return it->second;
  return std::nullopt;
}

}  // namespace prun::logging
