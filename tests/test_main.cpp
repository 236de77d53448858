#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <cstdlib>
#include <ctime>

int main(int argc, char** argv) {
  // Every test runs in UTC so that rendered times do not depend on the machine.
  ::setenv("TZ", "UTC", 1);
  ::tzset();
  doctest::Context context(argc, argv);
  return context.run();
}
