// The README's example, compiled and run by CTest (test "readme_example").
// [readme-example]
#include <prun/prun.hpp>

#include <cstdio>

int square(int x) {
  prun::log::info("squaring {}", x);  // reaches the parent's handlers as "process=<tag> squaring <x>"
  return x * x;
}

int main() {
  prun::log::basic_config({.level = prun::log::INFO, .format = "%(asctime)s %(processName)s %(levelname)s %(message)s"});

  std::vector<prun::Task<int>> tasks;
  for (int i = 0; i < 8; ++i) tasks.push_back(prun::delayed(square)(i));

  std::vector<int> squares = prun::Parallel({.n_jobs = 2})(tasks);  // n_jobs = 1: same output

  std::printf("squares:");
  for (int s : squares) std::printf(" %d", s);
  std::printf("\n");
}
// [readme-example]
