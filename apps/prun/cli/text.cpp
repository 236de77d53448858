#include "text.hpp"

#include <fmt/format.h>

#include <unistd.h>

namespace prun::cli {

std::string one_line(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    std::size_t len = c < 0x80 ? 1 : c >= 0xc2 && c < 0xe0 ? 2 : c >= 0xe0 && c < 0xf0 ? 3 : c >= 0xf0 && c < 0xf5 ? 4 : 0;
    bool valid = len > 0 && i + len <= text.size();
    for (std::size_t k = 1; valid && k < len; ++k) valid = (static_cast<unsigned char>(text[i + k]) & 0xc0) == 0x80;
    if (valid && (len > 1 || (c >= 0x20 && c != 0x7f && c != '\\'))) {
      out.append(text.substr(i, len));
      i += len;
      continue;
    }
    switch (c) {
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\\': out += "\\\\"; break;
      default: out += fmt::format("\\x{:02x}", c);
    }
    ++i;
  }
  return out;
}

void complain(std::string_view message) {
  std::string_view what = message;
  if (what.starts_with("prun: ")) what.remove_prefix(6);
  const std::string line = "prun: " + one_line(what) + "\n";
  (void)!::write(2, line.data(), line.size());
}

}  // namespace prun::cli
