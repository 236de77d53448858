#pragma once
// A task's prefix: Options::prefix with {tag} and {index} replaced.

#include <cstddef>
#include <string>
#include <string_view>

namespace prun::pool::core {

/// The text `pattern` expands to for a task: "{tag}" and "{index}" replaced, "{{" and "}}"
/// escaped.
std::string expand_prefix(std::string_view pattern, std::string_view tag, std::size_t index);
/// Throws std::invalid_argument if `pattern` names anything but {tag} and {index}.
void check_prefix(std::string_view pattern);

}  // namespace prun::pool::core
