#pragma once
/// prun's messages: one line each on stderr, arguments shown escaped.

#include <string>
#include <string_view>

namespace prun::cli {

/// `text` with control characters, backslashes and bytes that are not UTF-8 escaped (\n, \t,
/// \\, \xHH), so that it always fits on one line.
std::string one_line(std::string_view text);

/// Writes "prun: <one_line(message)>\n" to stderr with one write().
void complain(std::string_view message);

}  // namespace prun::cli
