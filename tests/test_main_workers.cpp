// The test main of suites that start spawned workers: the test program itself is re-executed
// as a worker, so prun::init comes first.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <prun/pool/pool.hpp>

#include <cstdlib>
#include <ctime>

int main(int argc, char** argv) {
  prun::pool::init(argc, argv);
  ::setenv("TZ", "UTC", 1);
  ::tzset();
  doctest::Context context(argc, argv);
  return context.run();
}
