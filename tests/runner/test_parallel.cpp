// The typed API: delayed, tags, result types, input ranges.
#include <doctest/doctest.h>

#include <prun/prun.hpp>

#include "test_support.hpp"

#include <map>
#include <optional>
#include <ranges>
#include <tuple>

namespace {

struct Point {
  int x = 0;
  double y = 0;
  std::string label;
  bool operator==(const Point&) const = default;
  template <class Archive>
  void serialize(Archive& ar) {
    ar(x, y, label);
  }
};

prun::Options opts(int n_jobs) {
  prun::Options o;
  o.n_jobs = n_jobs;
  o.capture_output = false;
  return o;
}

}  // namespace

TEST_CASE("results come back in input order for every transferable type") {
  for (int n_jobs : {1, 2}) {
    CAPTURE(n_jobs);
    std::vector<prun::Task<std::map<std::string, std::vector<int>>>> maps;
    for (int i = 0; i < 5; ++i)
      maps.push_back(prun::delayed([](int k) {
        return std::map<std::string, std::vector<int>>{{"k" + std::to_string(k), std::vector<int>(static_cast<std::size_t>(k), k)}};
      })(i));
    auto got = prun::Parallel(opts(n_jobs))(maps);
    REQUIRE(got.size() == 5);
    CHECK(got[3].at("k3") == std::vector<int>{3, 3, 3});

    auto mixed = [](int k) {
      return std::tuple<std::optional<double>, std::pair<std::string, long>, Point>{
          k % 2 ? std::optional<double>(k * 0.5) : std::nullopt, {std::string(static_cast<std::size_t>(k), 'z'), -k},
          Point{k, k / 4.0, "p" + std::to_string(k)}};
    };
    std::vector<prun::Task<decltype(mixed(0))>> tasks;
    for (int i = 0; i < 7; ++i) tasks.push_back(prun::delayed(mixed)(i));
    auto results = prun::Parallel(opts(n_jobs))(tasks);
    for (int i = 0; i < 7; ++i) CHECK(results[static_cast<std::size_t>(i)] == mixed(i));
  }
}

TEST_CASE("delayed binds copies of its arguments - of several types") {
  auto join = [](const std::string& s, int n, double d, const std::vector<std::string>& v) {
    std::string out = s + ":" + std::to_string(n) + ":" + std::to_string(d);
    for (const auto& x : v) out += "," + x;
    return out;
  };
  std::string s = "a";
  std::vector<std::string> v{"x", "y"};
  auto task = prun::delayed(join)(s, 2, 0.5, v);
  s = "changed";
  v.clear();
  std::vector<prun::Task<std::string>> tasks{task};
  CHECK(prun::Parallel(opts(2))(tasks) == std::vector<std::string>{"a:2:0.500000,x,y"});
}

TEST_CASE("any input range of tasks - and void tasks") {
  auto square = [](int x) { return x * x; };
  auto tasks = std::views::iota(0, 50) | std::views::transform([&](int i) { return prun::delayed(square)(i); });
  auto got = prun::Parallel(opts(2))(tasks);
  for (int i = 0; i < 50; ++i) CHECK(got[static_cast<std::size_t>(i)] == i * i);

  std::vector<prun::Task<void>> nothing{prun::delayed([] {})(), prun::delayed([] {})()};
  prun::Parallel(opts(2))(nothing);
  std::vector<prun::Task<int>> empty;
  CHECK(prun::Parallel(opts(2))(empty).empty());
}

TEST_CASE("tags default to the 1-based index and can be set per task") {
  namespace lg = prun::logging;
  test::CleanLogging clean;
  auto h = std::make_shared<lg::CaptureHandler>();
  lg::get_logger().add_handler(h);
  std::vector<prun::Task<int>> tasks;
  tasks.push_back(prun::delayed([] { lg::warning("a"); return 0; })());
  tasks.push_back(prun::delayed([] { lg::warning("b"); return 0; })().with_tag("users.csv"));
  prun::Parallel(opts(2))(tasks);
  auto lines = h->lines();
  std::sort(lines.begin(), lines.end());
  CHECK(lines == std::vector<std::string>{"process=1 a", "process=users.csv b"});
}
