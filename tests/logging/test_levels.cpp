#include <doctest/doctest.h>

#include <prun/logging/level.hpp>

namespace lg = prun::logging;

TEST_CASE("levels have Python's values and names") {
  CHECK(lg::NOTSET == 0);
  CHECK(lg::DEBUG == 10);
  CHECK(lg::INFO == 20);
  CHECK(lg::WARNING == 30);
  CHECK(lg::ERROR == 40);
  CHECK(lg::CRITICAL == 50);
  CHECK(lg::level_name(lg::WARNING) == "WARNING");
  CHECK(lg::level_name(lg::NOTSET) == "NOTSET");
  CHECK(lg::level_name(25) == "Level 25");
  CHECK(lg::level_from_name("WARN") == lg::WARNING);
  CHECK(lg::level_from_name("FATAL") == lg::CRITICAL);
  CHECK_FALSE(lg::level_from_name("15").has_value());  // Python: getLevelName("15") is "Level 15"
  CHECK_FALSE(lg::level_from_name("LOUD").has_value());
}

TEST_CASE("add_level_name names custom levels both ways") {
  lg::add_level_name(15, "VERBOSE");
  CHECK(lg::level_name(15) == "VERBOSE");
  CHECK(lg::level_from_name("VERBOSE") == 15);
  CHECK(lg::level_name(16) == "Level 16");
}
