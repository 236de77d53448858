#include "template.hpp"

#include <fmt/format.h>

#include <charconv>

namespace prun::cli {

std::string shell_quote(std::string_view value) {
  if (value.empty()) return "''";
  bool plain = true;
  for (char c : value) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
              c == '.' || c == '+' || c == '/';
    if (!ok) {
      plain = false;
      break;
    }
  }
  if (plain) return std::string(value);
  std::string out = "'";
  for (char c : value) {
    if (c == '\'') out += "'\"'\"'";
    else out += c;
  }
  out += '\'';
  // GNU parallel drops the empty '' a leading or trailing quote leaves.
  if (out.starts_with("''")) out.erase(0, 2);
  if (out.ends_with("''") && out.size() >= 2) out.erase(out.size() - 2);
  return out;
}

namespace {

// Perl's s:.*/:: (no /s flag: '.' does not match a newline). The leftmost match starts at the
// first line that holds a '/', and takes that line up to its last '/'.
std::string perl_strip_to_last_slash(std::string_view s) {
  std::size_t line_start = 0;
  while (line_start <= s.size()) {
    std::size_t line_end = s.find('\n', line_start);
    if (line_end == std::string_view::npos) line_end = s.size();
    std::string_view line = s.substr(line_start, line_end - line_start);
    std::size_t slash = line.rfind('/');
    if (slash != std::string_view::npos) {
      std::string out(s.substr(0, line_start));
      out.append(s.substr(line_start + slash + 1));
      return out;
    }
    line_start = line_end + 1;
  }
  return std::string(s);
}

// Perl's s:\.[^/.]*$:: : the last '.' with no '/' after it, and what follows, go.
std::string perl_strip_extension(std::string_view s) {
  std::size_t dot = s.rfind('.');
  if (dot == std::string_view::npos || s.find('/', dot) != std::string_view::npos) return std::string(s);
  return std::string(s.substr(0, dot));
}

// File::Basename's _strip_trailing_sep: s{(.)/*\z}{$1}s
void strip_trailing_slashes(std::string& s) {
  while (s.size() > 1 && s.back() == '/') s.pop_back();
}

// File::Basename::fileparse on Unix: m{^(.*/)?(.*)}s, with "./" for an empty directory.
std::pair<std::string, std::string> fileparse(std::string_view path) {
  std::size_t slash = path.rfind('/');
  if (slash == std::string_view::npos) return {"./", std::string(path)};
  return {std::string(path.substr(0, slash + 1)), std::string(path.substr(slash + 1))};
}

std::string transformed(std::string_view value, int transform) {
  switch (transform) {
    case 1: return perl_strip_extension(value);
    case 2: return perl_strip_to_last_slash(value);
    case 3: return perl_dirname(value);
    case 4: return perl_strip_extension(perl_strip_to_last_slash(value));
    default: return std::string(value);
  }
}

}  // namespace

std::string perl_dirname(std::string_view path) {
  auto [dir, base] = fileparse(path);
  strip_trailing_slashes(dir);
  if (base.empty()) {
    std::tie(dir, base) = fileparse(dir);
    strip_trailing_slashes(dir);
  }
  return dir;
}

Template::Template(std::string_view text) {
  auto add_text = [&](std::string_view t) {
    if (t.empty()) return;
    if (!parts_.empty() && parts_.back().kind == Kind::text) parts_.back().text.append(t);
    else parts_.push_back(Part{.kind = Kind::text, .text = std::string(t)});
  };
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t open = text.find('{', i);
    if (open == std::string_view::npos) {
      add_text(text.substr(i));
      break;
    }
    add_text(text.substr(i, open - i));
    std::size_t close = text.find('}', open + 1);
    if (close == std::string_view::npos) {
      add_text(text.substr(open));
      break;
    }
    std::string_view inner = text.substr(open + 1, close - open - 1);
    Part part;
    bool known = true;
    if (inner == "#") {
      part.kind = Kind::seq;
    } else if (inner == "%") {
      part.kind = Kind::slot;
    } else {
      // An optional position, then one of "", ".", "/", "//", "/.".
      std::string_view rest = inner;
      if (!rest.empty() && (rest.front() == '-' || std::isdigit(static_cast<unsigned char>(rest.front())))) {
        long pos = 0;
        auto [p, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), pos);
        if (ec != std::errc{} || pos == 0) {
          known = false;
        } else {
          part.kind = Kind::positional;
          part.position = pos;
          rest.remove_prefix(static_cast<std::size_t>(p - rest.data()));
        }
      } else {
        part.kind = Kind::all;
      }
      if (rest.empty()) part.transform = Transform::none;
      else if (rest == ".") part.transform = Transform::no_ext;
      else if (rest == "/") part.transform = Transform::basename;
      else if (rest == "//") part.transform = Transform::dirname;
      else if (rest == "/.") part.transform = Transform::basename_no_ext;
      else known = false;
    }
    if (!known) {
      // Not a replacement string: its '{' is text, and the search goes on after it ("{{}}").
      add_text(text.substr(open, 1));
      i = open + 1;
      continue;
    }
    parts_.push_back(std::move(part));
    has_replacements_ = true;
    i = close + 1;
  }
}

Template Template::with_all_args_appended() const {
  Template t = *this;
  if (!t.parts_.empty() && t.parts_.back().kind == Kind::text) t.parts_.back().text += ' ';
  else t.parts_.push_back(Part{.kind = Kind::text, .text = " "});
  t.parts_.push_back(Part{.kind = Kind::all});
  t.has_replacements_ = true;
  return t;
}

std::string Template::expand(const JobValues& job, bool quote) const {
  static const std::vector<std::string> none;
  const std::vector<std::string>& args = job.args ? *job.args : none;
  std::string out;
  auto put_value = [&](std::string_view v, Transform t) {
    std::string value = transformed(v, static_cast<int>(t));
    out += quote ? shell_quote(value) : value;
  };
  for (const Part& part : parts_) {
    switch (part.kind) {
      case Kind::text: out += part.text; break;
      case Kind::seq: out += fmt::to_string(job.seq); break;
      case Kind::slot: out += fmt::to_string(job.slot); break;
      case Kind::all:
        for (std::size_t k = 0; k < args.size(); ++k) {
          if (k) out += ' ';
          put_value(args[k], part.transform);
        }
        break;
      case Kind::positional: {
        long n = static_cast<long>(args.size());
        long index = part.position > 0 ? part.position - 1 : n + part.position;
        if (index >= 0 && index < n) put_value(args[static_cast<std::size_t>(index)], part.transform);
        break;
      }
    }
  }
  return out;
}

}  // namespace prun::cli
