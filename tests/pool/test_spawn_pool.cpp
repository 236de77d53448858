// The spawn backend and reusable pools: registration, startup failures, reuse, recycling,
// initializers, replacement of dead workers, idle timeout.
#include <doctest/doctest.h>

#include <prun/prun.hpp>

#include "test_support.hpp"

#include <poll.h>
#include <sys/resource.h>
#include <sys/syscall.h>

#include <chrono>
#include <thread>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <fstream>
#include <optional>

namespace lg = prun::logging;
using namespace std::chrono_literals;

namespace {

struct Point {
  int x = 0;
  std::string label;
  bool operator==(const Point&) const = default;
  template <class Archive>
  void serialize(Archive& ar) {
    ar(x, label);
  }
};

std::string describe(std::string s, double d, std::vector<int> v, std::optional<long> o, Point p, char c) {
  std::string out = s + "|" + std::to_string(d) + "|";
  for (int x : v) out += std::to_string(x) + ",";
  out += "|" + (o ? std::to_string(*o) : std::string("none")) + "|" + std::to_string(p.x) + p.label + "|" + c;
  return out;
}
PRUN_REGISTER_TASK(describe);

int my_pid() { return ::getpid(); }
PRUN_REGISTER_TASK(my_pid);

int exit_on_two(int k) {
  if (k == 2) ::_exit(5);
  return k;
}
PRUN_REGISTER_TASK(exit_on_two);

int pid_after_logging(int k) {
  lg::info("task {} in {}", k, ::getpid());
  return ::getpid();
}
PRUN_REGISTER_TASK(pid_after_logging);

void failing_initializer() { throw std::runtime_error("database unreachable"); }
PRUN_REGISTER_TASK(failing_initializer);

int g_initialized_with = 0;
void set_up_worker() { g_initialized_with = 7; }
PRUN_REGISTER_TASK(set_up_worker);
int read_initialized() { return g_initialized_with; }
PRUN_REGISTER_TASK(read_initialized);

std::vector<std::string> open_fds_described() {
  std::vector<std::string> out;
  for (int fd : test::open_fds()) {
    std::error_code ec;
    auto target = std::filesystem::read_symlink("/proc/self/fd/" + std::to_string(fd), ec).string();
    if (ec || target.find("/proc/") != std::string::npos) continue;
    bool copy = false;  // of 0-2, kept to restore them after a task that replaced them
    for (int k = 0; k < 3 && fd > 7; ++k)
      copy = copy || (target == std::filesystem::read_symlink("/proc/self/fd/" + std::to_string(k), ec).string() &&
                      (::fcntl(fd, F_GETFL) & O_ACCMODE) == (::fcntl(k, F_GETFL) & O_ACCMODE));
    out.push_back(copy ? "copy of 0-2" : std::to_string(fd) + (fd > 7 ? "=" + target : ""));
  }
  return out;
}
PRUN_REGISTER_TASK(open_fds_described);

prun::PoolOptions spawn_pool(int n_jobs) {
  prun::PoolOptions o;
  o.n_jobs = n_jobs;
  o.backend = prun::Backend::spawn;
  return o;
}

prun::Options quiet() {
  prun::Options o;
  o.capture_output = false;
  return o;
}

// Waits (on its pidfd) until `pid` has exited; false after `ms` milliseconds.
bool exits_within(int pid, int ms) {
  int fd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (fd < 0) return true;
  pollfd p{fd, POLLIN, 0};
  bool gone = ::poll(&p, 1, ms) == 1;
  ::close(fd);
  return gone;
}

}  // namespace

TEST_CASE("a registered task runs on spawned workers with arguments of several types") {
  std::vector<prun::Task<std::string>> tasks;
  for (int i = 0; i < 4; ++i)
    tasks.push_back(prun::delayed(describe)("s" + std::to_string(i), i / 2.0, std::vector<int>(static_cast<std::size_t>(i), i),
                                            i % 2 ? std::optional<long>(i) : std::nullopt, Point{i, "p"}, 'a'));
  prun::Options opts = quiet();
  opts.n_jobs = 2;
  opts.backend = prun::Backend::spawn;
  auto got = prun::Parallel{opts}(tasks);
  for (int i = 0; i < 4; ++i) CHECK(got[static_cast<std::size_t>(i)] == tasks[static_cast<std::size_t>(i)]());
  CHECK(test::children_of_self().empty());
}

// Refused at compile time where the function is known.
static_assert(prun::sendable<decltype(describe), std::string, double, std::vector<int>, std::optional<long>, Point, char>);
static_assert(prun::sendable<decltype(&my_pid)>);
static_assert(!prun::sendable<decltype([n = 1](int x) { return x + n; }), int>);  // captures
static_assert(!prun::sendable<std::function<int(int)>, int>);                     // a function object
static_assert(!prun::sendable<std::thread (*)(), int>);                           // unserializable result

TEST_CASE("the pool reaps only its own workers") {
  pid_t bystander = ::fork();
  if (bystander == 0) {
    ::pause();
    ::_exit(0);
  }
  {
    prun::Pool pool(spawn_pool(2));
    std::vector<prun::Task<int>> tasks;
    for (int i = 0; i < 4; ++i) tasks.push_back(prun::delayed(exit_on_two)(i));
    prun::Options opts = quiet();
    opts.batch_size = 1;
    CHECK_THROWS_AS(prun::Parallel(pool, opts)(tasks), prun::WorkerCrashed);
  }
  CHECK(test::children_of_self() == std::vector<pid_t>{bystander});
  ::kill(bystander, SIGKILL);
  ::waitpid(bystander, nullptr, 0);
}

TEST_CASE("tasks that cannot be sent are refused before any worker starts - naming why") {
  int local = 3;
  std::vector<prun::Task<int>> capturing{prun::delayed([local](int x) { return x + local; })(1)};
  prun::Options opts = quiet();
  opts.n_jobs = 2;
  opts.backend = prun::Backend::spawn;
  try {
    prun::Parallel{opts}(capturing);
    FAIL("accepted");
  } catch (const std::invalid_argument& e) {
    CHECK(std::string(e.what()).find("task 0 (tag '1')") != std::string::npos);
    CHECK(std::string(e.what()).find("lambda with captures") != std::string::npos);
    CHECK(std::string(e.what()).find("Backend::fork") != std::string::npos);
  }
  CHECK(test::children_of_self().empty());  // nothing was started
}

TEST_CASE("an unregistered function is named in the refusal") {
  auto unregistered = [](int x) { return x; };  // captureless, but never registered
  std::vector<prun::Task<int>> tasks{prun::delayed(unregistered)(1)};
  prun::Pool pool(spawn_pool(2));
  try {
    prun::Parallel(pool, quiet())(tasks);
    FAIL("accepted");
  } catch (const std::invalid_argument& e) {
    CHECK(std::string(e.what()).find("not registered") != std::string::npos);
    CHECK(std::string(e.what()).find("PRUN_REGISTER_TASK") != std::string::npos);
  }
  CHECK(pool.worker_pids().empty());
}

TEST_CASE("a pool reused for 100 runs keeps the same workers") {
  prun::Pool pool(spawn_pool(2));
  std::vector<prun::Task<int>> tasks;
  for (int i = 0; i < 4; ++i) tasks.push_back(prun::delayed(my_pid)());
  prun::Options opts = quiet();
  opts.batch_size = 1;
  std::set<int> first;
  for (int run = 0; run < 100; ++run) {
    auto pids = prun::Parallel(pool, opts)(tasks);
    std::set<int> seen(pids.begin(), pids.end());
    if (run == 0) first = seen;
    CHECK(seen == first);
  }
  auto live = pool.worker_pids();
  CHECK(std::set<int>(live.begin(), live.end()) == first);
  CHECK(first.size() == 2);
  CHECK(first.count(::getpid()) == 0);
}

TEST_CASE("max_tasks_per_child recycles workers") {
  for (auto backend : {prun::Backend::spawn, prun::Backend::fork}) {
    CAPTURE(backend == prun::Backend::spawn);
    prun::PoolOptions po = spawn_pool(2);
    po.backend = backend;
    po.max_tasks_per_child = 2;
    prun::Pool pool(po);
    std::vector<prun::Task<int>> tasks;
    for (int i = 0; i < 8; ++i) tasks.push_back(prun::delayed(my_pid)());
    std::map<int, int> per_pid;  // over the pool's whole life
    auto first = prun::Parallel(pool, quiet())(tasks);
    for (int p : first) ++per_pid[p];
    CHECK(per_pid.size() >= 4);  // 8 tasks, at most 2 per worker
    auto second = prun::Parallel(pool, quiet())(tasks);
    for (int p : second) ++per_pid[p];
    CAPTURE(fmt::format("{} / {}", fmt::join(first, " "), fmt::join(second, " ")));
    for (auto [pid, n] : per_pid) CHECK(n <= 2);  // no worker ever takes a third task
    CHECK(per_pid.size() >= 8);
    CHECK(per_pid.count(::getpid()) == 0);
  }
}

TEST_CASE("an initializer runs once in each new worker - and one that throws is reported as such") {
  prun::PoolOptions po = spawn_pool(2);
  po.initializer = set_up_worker;
  prun::Pool pool(po);
  std::vector<prun::Task<int>> tasks{prun::delayed(read_initialized)(), prun::delayed(read_initialized)()};
  CHECK(prun::Parallel(pool, quiet())(tasks) == std::vector<int>{7, 7});
  CHECK(g_initialized_with == 0);  // not in the parent

  for (auto backend : {prun::Backend::spawn, prun::Backend::fork}) {
    prun::PoolOptions bad = spawn_pool(2);
    bad.backend = backend;
    if (backend == prun::Backend::spawn) bad.initializer = failing_initializer;
    else bad.initializer = [] { throw std::runtime_error("database unreachable"); };
    prun::Pool failing(bad);
    try {
      prun::Parallel(failing, quiet())(tasks);
      FAIL("no exception");
    } catch (const prun::InitializerFailed& e) {
      CHECK(e.type() == "std::runtime_error");
      CHECK(e.message() == "database unreachable");
      CHECK(std::string(e.what()).find("initializer failed") != std::string::npos);
    }
  }
  CHECK(test::children_of_self().size() == 2);  // only `pool`'s
}

TEST_CASE("a worker killed between runs is replaced - and a crash mid-run leaves the pool usable") {
  prun::Pool pool(spawn_pool(2));
  std::vector<prun::Task<int>> tasks;
  for (int i = 0; i < 4; ++i) tasks.push_back(prun::delayed(my_pid)());
  prun::Parallel(pool, quiet())(tasks);
  auto before = pool.worker_pids();
  REQUIRE(before.size() == 2);
  ::kill(before[0], SIGKILL);
  REQUIRE(exits_within(before[0], 10000));
  auto pids = prun::Parallel(pool, quiet())(tasks);
  auto after = pool.worker_pids();
  CHECK(after.size() == 2);
  CHECK(std::count(after.begin(), after.end(), before[0]) == 0);
  CHECK(std::count(after.begin(), after.end(), before[1]) == 1);

  // Unlike Python's BrokenProcessPool, a crash does not break the pool.
  std::vector<prun::Task<int>> crashing;
  for (int i = 0; i < 4; ++i) crashing.push_back(prun::delayed(exit_on_two)(i));
  prun::Options opts = quiet();
  opts.batch_size = 1;
  CHECK_THROWS_AS(prun::Parallel(pool, opts)(crashing), prun::WorkerCrashed);
  CHECK(prun::Parallel(pool, quiet())(tasks).size() == 4);
  CHECK(pool.worker_pids().size() == 2);
}

TEST_CASE("startup failures name the program and the cause - and nothing hangs") {
  test::TempDir dir;
  {
    prun::PoolOptions po = spawn_pool(1);
    po.n_jobs = 2;
    po.program = dir.file("missing-program");
    prun::Pool pool(po);
    std::vector<prun::Task<int>> tasks{prun::delayed(my_pid)(), prun::delayed(my_pid)()};
    try {
      prun::Parallel(pool, quiet())(tasks);
      FAIL("started");
    } catch (const prun::WorkerStartError& e) {
      CHECK(e.program() == dir.file("missing-program"));
      CHECK(e.cause().find("No such file") != std::string::npos);
    }
  }
  {
    std::ofstream(dir.file("not-executable")) << "data";
    prun::PoolOptions po = spawn_pool(2);
    po.program = dir.file("not-executable");
    prun::Pool pool(po);
    std::vector<prun::Task<int>> tasks{prun::delayed(my_pid)(), prun::delayed(my_pid)()};
    CHECK_THROWS_WITH_AS(prun::Parallel(pool, quiet())(tasks), doctest::Contains("Permission denied"), prun::WorkerStartError);
  }
  {
    // A program that never answers the handshake.
    std::ofstream(dir.file("silent.sh")) << "#!/bin/sh\nexec sleep 30\n";
    std::filesystem::permissions(dir.file("silent.sh"), std::filesystem::perms::owner_all);
    prun::PoolOptions po = spawn_pool(2);
    po.program = dir.file("silent.sh");
    po.startup_timeout = 300ms;
    prun::Pool pool(po);
    std::vector<prun::Task<int>> tasks{prun::delayed(my_pid)(), prun::delayed(my_pid)()};
    CHECK_THROWS_WITH_AS(prun::Parallel(pool, quiet())(tasks), doctest::Contains("did not answer within 300 ms"),
                         prun::WorkerStartError);
  }
  {
    // Another prun program: it answers, but it is not this binary.
    prun::PoolOptions po = spawn_pool(2);
    po.program = PRUN_TEST_CHILD;
    prun::Pool pool(po);
    std::vector<prun::Task<int>> tasks{prun::delayed(my_pid)(), prun::delayed(my_pid)()};
    CHECK_THROWS_WITH_AS(prun::Parallel(pool, quiet())(tasks), doctest::Contains("different binary"), prun::WorkerStartError);
  }
  CHECK(test::children_of_self().empty());
}

TEST_CASE("a program that did not call prun::init is told what to add") {
  test::ProcessResult r = test::run_program({PRUN_TEST_CHILD, "no-init"});
  CHECK(r.status == 3);
  CHECK(r.out.find("call prun::init(argc, argv) first thing in main()") != std::string::npos);
}

TEST_CASE("idle workers leave and the pool starts new ones on demand") {
  prun::PoolOptions po = spawn_pool(2);
  po.idle_timeout = 100ms;
  prun::Pool pool(po);
  std::vector<prun::Task<int>> tasks{prun::delayed(my_pid)(), prun::delayed(my_pid)()};
  auto first = prun::Parallel(pool, quiet())(tasks);
  for (int pid : first) CHECK(exits_within(pid, 10000));
  auto second = prun::Parallel(pool, quiet())(tasks);
  for (int pid : second) CHECK(std::count(first.begin(), first.end(), pid) == 0);
}

TEST_CASE("destroying a pool stops and reaps its workers") {
  std::vector<int> pids;
  {
    prun::Pool pool(spawn_pool(2));
    std::vector<prun::Task<int>> tasks{prun::delayed(my_pid)(), prun::delayed(my_pid)()};
    pids = prun::Parallel(pool, quiet())(tasks);
    CHECK(test::children_of_self().size() == 2);
  }
  CHECK(test::children_of_self().empty());
}

TEST_CASE("a spawned worker holds exactly its own descriptors") {
  // 0-2, the control socket (3), the doorbell (4), the shared block (5) and the read ends of
  // its stdout and stderr pipes (6, 7), and its copies of 0-2 (and /proc/thread-self/stat,
  // not listed): nothing leaked from the parent, everything placed.
  // A descriptor without O_CLOEXEC, as a host program may well have: Boost 1.81 let such
  // descriptors through to the child.
  int null = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  int leaky = ::fcntl(null, F_DUPFD, 20);  // F_DUPFD: the copy has no O_CLOEXEC
  ::close(null);
  REQUIRE(leaky >= 20);
  prun::Pool pool(spawn_pool(2));
  std::vector<prun::Task<std::vector<std::string>>> tasks{prun::delayed(open_fds_described)()};
  auto fds = prun::Parallel(pool, quiet())(tasks).at(0);
  ::close(leaky);
  CAPTURE(fmt::format("{}", fmt::join(fds, " ")));
  CHECK(fds == std::vector<std::string>{"0", "1", "2", "3", "4", "5", "6", "7", "copy of 0-2", "copy of 0-2", "copy of 0-2"});
}

TEST_CASE("records from spawned workers reach the parent's handlers with the task's prefix") {
  test::CleanLogging clean;
  auto h = std::make_shared<lg::CaptureHandler>();
  h->set_formatter(std::make_shared<lg::Formatter>("%(processName)s %(message)s"));
  lg::get_logger().add_handler(h);
  lg::get_logger().set_level(lg::INFO);
  prun::Pool pool(spawn_pool(2));
  std::vector<prun::Task<int>> tasks{prun::delayed(pid_after_logging)(1), prun::delayed(pid_after_logging)(2)};
  auto pids = prun::Parallel(pool, quiet())(tasks);
  auto lines = h->lines();
  std::sort(lines.begin(), lines.end());
  REQUIRE(lines.size() == 2);
  CHECK(lines[0].ends_with("process=1 task 1 in " + std::to_string(pids[0])));
  CHECK(lines[1].ends_with("process=2 task 2 in " + std::to_string(pids[1])));
  CHECK(lines[0].starts_with("Worker-"));
}

TEST_CASE("spawned workers start under a low descriptor limit - or the error names the limit and leaves no zombie") {
  rlimit saved{};
  REQUIRE(::getrlimit(RLIMIT_NOFILE, &saved) == 0);
  struct Restore {
    rlimit r;
    ~Restore() { ::setrlimit(RLIMIT_NOFILE, &r); }
  } restore{saved};
  std::vector<prun::Task<int>> tasks{prun::delayed(my_pid)(), prun::delayed(my_pid)()};
  rlimit low{64, saved.rlim_max};
  REQUIRE(::setrlimit(RLIMIT_NOFILE, &low) == 0);
  {
    prun::Pool pool(spawn_pool(2));
    CHECK(prun::Parallel(pool, quiet())(tasks).size() == 2);
  }
  // Enough for the test's own descriptors, not for eight workers.
  const std::size_t open_now = test::open_fds().size();
  rlimit tight{static_cast<rlim_t>(open_now + 12), saved.rlim_max};
  REQUIRE(::setrlimit(RLIMIT_NOFILE, &tight) == 0);
  {
    prun::Pool pool(spawn_pool(8));
    std::vector<prun::Task<int>> many;
    for (int i = 0; i < 8; ++i) many.push_back(prun::delayed(my_pid)());
    try {
      prun::Parallel(pool, quiet())(many);
      FAIL("started");
    } catch (const prun::WorkerStartError& e) {
      CHECK(std::string(e.what()).find("(ulimit -n) is " + std::to_string(open_now + 12)) != std::string::npos);
    }
  }
  CHECK(test::children_of_self().empty());  // no zombie, no orphan
}

void logging_initializer() {
  lg::info("connecting from {}", ::getpid());
  lg::get_logger("db").warning("slow start");
}
PRUN_REGISTER_TASK(logging_initializer);

TEST_CASE("an initializer's records reach the parent's handlers at the parent's level - prefixed with the worker") {
  for (auto backend : {prun::Backend::spawn, prun::Backend::fork}) {
    CAPTURE(backend == prun::Backend::spawn);
    test::CleanLogging clean;
    auto h = std::make_shared<lg::CaptureHandler>();
    h->set_formatter(std::make_shared<lg::Formatter>("%(levelname)s %(name)s %(processName)s %(message)s"));
    lg::get_logger().add_handler(h);
    lg::get_logger().set_level(lg::INFO);
    prun::PoolOptions po = spawn_pool(2);
    po.backend = backend;
    po.initializer = logging_initializer;
    prun::Pool pool(po);
    std::vector<prun::Task<int>> tasks{prun::delayed(my_pid)(), prun::delayed(my_pid)()};
    std::string err;
    {
      test::FdCapture capture(2);
      prun::Parallel(pool, quiet())(tasks);
      err = capture.text();
    }
    CHECK(err.empty());  // nothing went to the last resort
    auto lines = h->lines();
    std::sort(lines.begin(), lines.end());
    REQUIRE(lines.size() == 4);
    for (int w = 1; w <= 2; ++w) {
      const std::string name = "Worker-" + std::to_string(w);
      CHECK(std::count(lines.begin(), lines.end(), "WARNING db " + name + " process=" + name + " slow start") == 1);
      CHECK(std::count_if(lines.begin(), lines.end(), [&](const std::string& l) {
              return l.starts_with("INFO root " + name + " process=" + name + " connecting from ");
            }) == 1);
    }
  }
}

void configuring_initializer() {
  // The Q&A seed's initPool: a handler and a level for the worker's root.
  lg::basic_config({.level = lg::DEBUG, .format = "init %(levelname)s %(message)s"});
  lg::debug("set up");
}
PRUN_REGISTER_TASK(configuring_initializer);

int log_in_task(int x) {
  lg::debug("hidden: the task level is the parent's INFO");
  lg::info("task {}", x);
  return x;
}
PRUN_REGISTER_TASK(log_in_task);

TEST_CASE("an initializer that configures logging is told in one warning that no task sees it") {
  for (auto backend : {prun::Backend::spawn, prun::Backend::fork}) {
    CAPTURE(backend == prun::Backend::spawn);
    test::CleanLogging clean;
    auto h = std::make_shared<lg::CaptureHandler>();
    h->set_formatter(std::make_shared<lg::Formatter>("%(levelname)s %(name)s %(processName)s %(message)s"));
    lg::get_logger().add_handler(h);
    lg::get_logger().set_level(lg::INFO);
    prun::PoolOptions po = spawn_pool(2);
    po.backend = backend;
    po.initializer = configuring_initializer;
    prun::Pool pool(po);
    std::vector<prun::Task<int>> tasks{prun::delayed(log_in_task)(1), prun::delayed(log_in_task)(2)};
    std::string err;
    {
      test::FdCapture capture(2);
      CHECK(prun::Parallel(pool, quiet())(tasks) == std::vector<int>{1, 2});
      err = capture.text();
    }
    // What the initializer's own handler wrote, whole, once per worker.
    auto err_lines = test::split_lines(err);
    std::sort(err_lines.begin(), err_lines.end());
    CHECK(err_lines == std::vector<std::string>{"init DEBUG process=Worker-1 set up", "init DEBUG process=Worker-2 set up"});
    // The warning, through the parent's handlers; the tasks at the parent's level, unaffected.
    auto lines = h->lines();
    std::sort(lines.begin(), lines.end());
    REQUIRE(lines.size() == 4);
    for (int t = 1; t <= 2; ++t)
      CHECK(std::count_if(lines.begin(), lines.begin() + 2, [&](const std::string& l) {
              return l.starts_with("INFO root Worker-") && l.ends_with(" process=" + std::to_string(t) + " task " + std::to_string(t));
            }) == 1);
    for (int w = 1; w <= 2; ++w) {
      const std::string name = "Worker-" + std::to_string(w);
      CHECK(lines[static_cast<std::size_t>(w + 1)] ==
            "WARNING prun " + name + " process=" + name +
                " the pool's initializer configured logging (handlers, levels or filters), which no task will see: "
                "every task starts from a fresh configuration; configure tasks with Options::configure_task or "
                "Options::log_level instead");
    }
  }
}
