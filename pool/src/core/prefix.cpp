#include "prefix.hpp"

#include <stdexcept>

namespace prun::pool::core {

namespace {
// Calls `field` for "{tag}"/"{index}" and `text` for the rest; false on anything else.
template <typename Text, typename Field>
bool walk_prefix(std::string_view p, Text&& text, Field&& field) {
  for (std::size_t i = 0; i < p.size();) {
    const std::size_t brace = p.find_first_of("{}", i);
    if (brace == std::string_view::npos) {
      text(p.substr(i));
      break;
    }
    text(p.substr(i, brace - i));
    if (brace + 1 < p.size() && p[brace + 1] == p[brace]) {
      text(p.substr(brace, 1));
      i = brace + 2;
    } else if (p.substr(brace).starts_with("{tag}")) {
      field(true);
      i = brace + 5;
    } else if (p.substr(brace).starts_with("{index}")) {
      field(false);
      i = brace + 7;
    } else {
      return false;
    }
  }
  return true;
}
}  // namespace

std::string expand_prefix(std::string_view pattern, std::string_view tag, std::size_t index) {
  std::string out;
  walk_prefix(pattern, [&](std::string_view t) { out.append(t); },
              [&](bool is_tag) { is_tag ? out.append(tag) : out.append(std::to_string(index)); });
  return out;
}

void check_prefix(std::string_view pattern) {
  if (!walk_prefix(pattern, [](std::string_view) {}, [](bool) {}))
    throw std::invalid_argument("prun: the prefix '" + std::string(pattern) +
                                "' may only use {tag} and {index} (write {{ and }} for braces)");
}

}  // namespace prun::pool::core
