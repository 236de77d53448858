// The test main of the suite that runs under mpirun: ranks 1..K-1 become workers inside
// prun::mpi::init and never return; rank 0 runs the tests.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <prun/mpi.hpp>

#include <cstdlib>
#include <ctime>

int main(int argc, char** argv) {
  prun::mpi::init(argc, argv);
  ::setenv("TZ", "UTC", 1);
  ::tzset();
  doctest::Context context(argc, argv);
  return context.run();
}
