#pragma once
/// Numeric log levels with Python's values and names.

#include <optional>
#include <string>
#include <string_view>

namespace prun::logging {

inline constexpr int NOTSET = 0;
inline constexpr int DEBUG = 10;
inline constexpr int INFO = 20;
inline constexpr int WARNING = 30;
inline constexpr int ERROR = 40;
inline constexpr int CRITICAL = 50;

/// Name of a level as Python prints it: "WARNING", or "Level 25" for an unnamed one. Thread-safe.
std::string level_name(int level);

/// Gives `level` a name (Python's addLevelName); later calls replace earlier ones. Thread-safe.
void add_level_name(int level, std::string_view name);

/// Level for a name ("DEBUG", "WARN", "FATAL", a custom name); nullopt otherwise. Python's
/// getLevelName(name): names only, case-sensitive, so "25" or "debug" is not a level
/// (getLevelName("25") is "Level 25"). Thread-safe.
std::optional<int> level_from_name(std::string_view name);

}  // namespace prun::logging
