#include <prun/logging/level.hpp>

#include <prun/logging/detail/fork_safe_mutex.hpp>

#include "process_state.hpp"
#include "text.hpp"

#include <atomic>

#include <map>
#include <mutex>
#include <shared_mutex>

namespace prun::logging {
namespace {

struct LevelNames {
  detail::ForkSafeMutex mutex;  // a leaf lock; taken before fork (fork.cpp)
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

// Built at load time, so that no thread is initialising it when another forks.
[[maybe_unused]] LevelNames& g_names_at_load = names();

}  // namespace

namespace detail {
void level_names_lock() noexcept { names().mutex.lock(); }
void level_names_unlock() noexcept { names().mutex.unlock(); }
}  // namespace detail

std::string level_name(int level) {
  auto& n = names();
  std::lock_guard lock(n.mutex);
  if (auto it = n.by_level.find(level); it != n.by_level.end()) return it->second;
  return "Level " + std::to_string(level);
}

void add_level_name(int level, std::string_view name) {
  auto& n = names();
  std::lock_guard lock(n.mutex);
  n.by_level[level] = std::string(name);
  n.by_name[std::string(name)] = level;
  g_customised.store(true, std::memory_order_relaxed);
}

bool detail::level_names_customised() noexcept { return g_customised.load(std::memory_order_relaxed); }

std::optional<int> level_from_name(std::string_view name) {
  // Python's getLevelName(str) maps only names: getLevelName("25") is "Level 25", not 25.
  auto& n = names();
  std::lock_guard lock(n.mutex);
  if (auto it = n.by_name.find(name); it != n.by_name.end()) return it->second;
  return std::nullopt;
}

}  // namespace prun::logging
