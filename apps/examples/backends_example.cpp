// The examples of docs/backends.md, compiled and run by CTest (test "backends_example").
#include <prun/prun.hpp>

#include <cstdio>

int connections = 0;
void open_connection() { connections = 1; }
PRUN_REGISTER_TASK(open_connection);

int connected(int x) { return x * connections; }
PRUN_REGISTER_TASK(connected);

std::vector<prun::Task<int>> make_tasks(const std::vector<int>& chunk) {
  std::vector<prun::Task<int>> tasks;
  for (int x : chunk) tasks.push_back(prun::delayed(connected)(x));
  return tasks;
}

int square(int x) { return x * x; }
PRUN_REGISTER_TASK(square);                        // namespace scope, once per program

auto cube = [](int x) { return x * x * x; };       // a captureless lambda in a variable
PRUN_REGISTER_TASK(cube);

int main(int argc, char** argv) {
  prun::init(argc, argv);                          // a spawned worker never returns from here
  std::vector<prun::Task<int>> tasks{prun::delayed(square)(3), prun::delayed(cube)(2)};
  auto r = prun::Parallel{{.n_jobs = 2, .backend = prun::Backend::spawn}}(tasks);
  std::printf("spawned: %d %d\n", r[0], r[1]);

  std::vector<std::vector<int>> chunks{{1, 2}, {3, 4}};
  std::vector<std::vector<int>> results;
  prun::Pool pool({.n_jobs = 4, .backend = prun::Backend::spawn,
                   .max_tasks_per_child = 1000, .initializer = open_connection});
  for (auto& chunk : chunks) results.push_back(prun::Parallel{pool}(make_tasks(chunk)));
  std::printf("pooled: %d %d %d %d\n", results[0][0], results[0][1], results[1][0], results[1][1]);
}
