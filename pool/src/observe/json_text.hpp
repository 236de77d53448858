#pragma once
// JSON text for the observers' files: strings escaped, bytes that are not UTF-8 replaced by
// U+FFFD, so that any tag, error or message gives a file json.load and Perfetto accept.

#include <string>
#include <string_view>

namespace prun::pool::observe {

/// Appends `s` as a JSON string (with its quotes) to `out`.
void append_json_string(std::string& out, std::string_view s);

}  // namespace prun::pool::observe
