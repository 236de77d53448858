#pragma once
/// Command templates: GNU parallel's replacement strings, and its shell quoting of the values.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace prun::cli {

/// GNU parallel's quoting for Bourne shells: a value made only of `-_.+/`, ASCII letters and
/// digits stays as it is, "" becomes '', anything else is put in single quotes (a ' inside
/// becomes '"'"'), with a leading or trailing '' dropped.
std::string shell_quote(std::string_view value);

/// Perl's File::Basename::dirname, which {//} uses ("a/" -> ".", "/top" -> "/").
std::string perl_dirname(std::string_view path);

/// What a job's replacement strings refer to.
struct JobValues {
  const std::vector<std::string>* args = nullptr;  ///< {1}, {2}, ...: the job's arguments
  std::size_t seq = 1;                             ///< {#}
  int slot = 1;                                    ///< {%}
};

/// A command line (or a --tagstring, or a --results path) with its replacement strings found
/// once: {} {.} {/} {//} {/.} {#} {%}, and the positional {N} {N.} {N/} {N//} {N/.} (N from 1,
/// or negative from the end). Anything else, "{x}" or "{ }" say, is plain text.
class Template {
 public:
  Template() = default;
  explicit Template(std::string_view text);

  /// Whether the text holds a replacement string (else GNU parallel appends " {}").
  bool has_replacements() const noexcept { return has_replacements_; }
  /// The template with " {}" appended (a command without replacement strings).
  Template with_all_args_appended() const;

  /// The text with each replacement string replaced. With `quote`, every argument value is
  /// shell-quoted (an argument past the last one is empty, unquoted, as in GNU parallel);
  /// {} {.} ... of several arguments give each one, transformed, separated by spaces.
  std::string expand(const JobValues& job, bool quote) const;

 private:
  enum class Kind { text, all, seq, slot, positional };
  enum class Transform { none, no_ext, basename, dirname, basename_no_ext };
  struct Part {
    Kind kind = Kind::text;
    Transform transform = Transform::none;
    long position = 0;  // 1-based, or negative from the end
    std::string text;
  };
  std::vector<Part> parts_;
  bool has_replacements_ = false;
};

}  // namespace prun::cli
