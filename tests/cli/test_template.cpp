// Replacement strings and GNU parallel's quoting of their values. The expected strings are
// what GNU parallel 20221122 prints with --dry-run for the same input (tests/cli/compare_gnu.py
// checks the same cases against a live GNU parallel).
#include <doctest/doctest.h>

#include "cli/template.hpp"

#include <string>
#include <vector>

using namespace prun::cli;

namespace {
std::string expand(const std::string& text, std::vector<std::string> args, std::size_t seq = 1, int slot = 1) {
  Template t(text);
  if (!t.has_replacements()) t = t.with_all_args_appended();
  return t.expand(JobValues{.args = &args, .seq = seq, .slot = slot}, true);
}
}  // namespace

TEST_CASE("values are quoted as GNU parallel quotes them for a Bourne shell") {
  CHECK(shell_quote("abc-_.+/XYZ09") == "abc-_.+/XYZ09");
  CHECK(shell_quote("") == "''");
  CHECK(shell_quote("a b") == "'a b'");
  CHECK(shell_quote("it's") == "'it'\"'\"'s'");
  CHECK(shell_quote("'start") == "\"'\"'start'");
  CHECK(shell_quote("end'") == "'end'\"'\"");
  CHECK(shell_quote("$HOME") == "'$HOME'");
  CHECK(shell_quote("a=b") == "'a=b'");
  CHECK(shell_quote("%") == "'%'");
  CHECK(shell_quote("é") == "'é'");
  CHECK(shell_quote("-n") == "-n");
  CHECK(shell_quote("a\nb") == "'a\nb'");
}

TEST_CASE("a command without replacement strings gets its arguments appended") {
  CHECK(expand("echo", {"a b"}) == "echo 'a b'");
  CHECK(expand("echo {}; ls", {"a"}) == "echo a; ls");
  CHECK(expand("echo {} {}", {"a b"}) == "echo 'a b' 'a b'");
  CHECK(expand("echo", {"a", "1"}) == "echo a 1");
  CHECK(expand("echo {#}", {"a"}, 7) == "echo 7");  // {#} counts: nothing is appended
  CHECK(expand("echo {%}", {"a"}, 7, 3) == "echo 3");
}

TEST_CASE("{.} {/} {//} {/.} work as GNU parallel's Perl expressions do") {
  const std::string cmd = "echo {} {.} {/} {//} {/.}";
  CHECK(expand(cmd, {"/a/b/c.tar.gz"}) == "echo /a/b/c.tar.gz /a/b/c.tar c.tar.gz /a/b c.tar");
  CHECK(expand(cmd, {"rel/x.y"}) == "echo rel/x.y rel/x x.y rel x");
  CHECK(expand(cmd, {"noext"}) == "echo noext noext noext . noext");
  CHECK(expand(cmd, {"./d.e/f"}) == "echo ./d.e/f ./d.e/f f ./d.e f");
  CHECK(expand(cmd, {"/top"}) == "echo /top /top top / top");
  CHECK(expand(cmd, {".hidden"}) == "echo .hidden '' .hidden . ''");
  CHECK(expand(cmd, {"a/"}) == "echo a/ a/ '' . ''");
  CHECK(perl_dirname("/") == "/");
  CHECK(perl_dirname("") == ".");
  CHECK(perl_dirname("//a") == "/");
  CHECK(perl_dirname("a//b") == "a");
  CHECK(perl_dirname("a/b/") == "a");
}

TEST_CASE("positional replacement strings, from the start or the end") {
  CHECK(expand("echo {1} {2.} {2/} {2//} {2/.} {-1}", {"x/y.z", "/p/q.r"}) == "echo x/y.z /p/q q.r /p q /p/q.r");
  CHECK(expand("echo {2} {1}", {"a", "1"}) == "echo 1 a");
  CHECK(expand("echo {-1} {-2}", {"a", "b"}) == "echo b a");
  CHECK(expand("echo {3}", {"a", "b"}) == "echo ");  // past the last: empty, unquoted
  CHECK(expand("echo {1}-{2}", {"e"}) == "echo e-");
  CHECK(expand("echo {1}{2}", {"a", "b"}) == "echo ab");
}

TEST_CASE("several arguments: {} gives each, quoted, in its context") {
  CHECK(expand("echo x{}y", {"a", "b c"}) == "echo xa 'b c'y");
  CHECK(expand("echo {.}", {"a.x", "b.y"}) == "echo a b");
}

TEST_CASE("what is not a replacement string is text") {
  CHECK(expand("echo { } {x} {1x} {}} {{}}", {"a"}) == "echo { } {x} {1x} a} {a}");
  CHECK(expand("echo \"{}\"", {"a b"}) == "echo \"'a b'\"");  // quoted inside quotes, as GNU parallel
  CHECK(expand("echo {", {"a"}) == "echo { a");
}

TEST_CASE("unquoted expansion, for --tagstring and commands read from the input") {
  std::vector<std::string> args{"b c"};
  CHECK(Template("<{}>-{#}").expand(JobValues{.args = &args, .seq = 2}, false) == "<b c>-2");
  CHECK(Template("{}").expand(JobValues{.args = &args}, false) == "b c");
}
