// Descriptors, children and signals: a run leaves nothing behind.
#include <doctest/doctest.h>

#include <prun/prun.hpp>

#include "test_support.hpp"

#include <csignal>

#include <sys/syscall.h>

namespace lg = prun::logging;

TEST_CASE("no zombie - orphan or descriptor is left after runs - failed or not") {
  const std::set<int> fds_before = test::open_fds();
  prun::Options opts;
  opts.n_jobs = 2;
  std::vector<prun::Task<int>> ok, bad;
  for (int i = 0; i < 4; ++i) ok.push_back(prun::delayed([](int k) { return k; })(i));
  for (int i = 0; i < 4; ++i) bad.push_back(prun::delayed([](int k) { if (k == 2) throw std::runtime_error("x"); return k; })(i));
  std::vector<prun::Task<int>> dying{prun::delayed([] { ::_exit(4); return 0; })(), prun::delayed([] { return 1; })()};
  {
    test::FdCapture quiet(2);
    CHECK(prun::Parallel{opts}(ok).size() == 4);
    CHECK_THROWS_AS(prun::Parallel{opts}(bad), prun::TaskError);
    CHECK_THROWS_AS(prun::Parallel{opts}(dying), prun::WorkerCrashed);
  }
  CHECK(test::children_of_self().empty());
  CHECK(test::open_fds() == fds_before);
}

TEST_CASE("a worker holds only its own pipes: no other worker's and none of the event loop's") {
  test::FdCapture quiet(1);
  const std::set<int> before = test::open_fds();
  prun::Options opts;
  opts.n_jobs = 3;
  opts.capture_output = true;
  std::vector<prun::Task<std::vector<std::string>>> tasks;
  for (int i = 0; i < 3; ++i)
    tasks.push_back(prun::delayed([before](int) {
      std::vector<int> fds;
      for (int fd : test::open_fds())
        if (!before.count(fd)) fds.push_back(fd);
      auto target_of = [](int fd) {
        std::error_code ec;
        return std::filesystem::read_symlink("/proc/self/fd/" + std::to_string(fd), ec).string();
      };
      std::vector<std::string> extra;  // what each new descriptor is, the listing's own aside
      for (int fd : fds) {
        const std::string target = target_of(fd);
        if (target.empty()) continue;
        auto same_as = [&](int k) {  // the same file, open the same way (a pipe's two ends share a name)
          return target == target_of(k) && (::fcntl(fd, F_GETFL) & O_ACCMODE) == (::fcntl(k, F_GETFL) & O_ACCMODE);
        };
        if (same_as(0) || same_as(1) || same_as(2)) {
          extra.push_back("copy of 0-2");  // kept to restore 0-2 after a task that replaced them
        } else if (target.starts_with("/proc/") && target.ends_with("/stat")) {
          extra.push_back("stat");  // read to see which signal dispositions a task changed
        } else {
          extra.push_back(target.substr(0, target.find(':')));
        }
      }
      return extra;
    })(i));
  auto results = prun::Parallel{opts}(tasks);
  (void)quiet.text();
  // Exactly the control socket, the ring's doorbell pipe, the read ends of its own stdout and
  // stderr pipes (for the drain at each task's end), the copies of its descriptors 0-2 and
  // /proc/thread-self/stat.
  for (auto extra : results) {
    std::sort(extra.begin(), extra.end());
    CHECK(extra == std::vector<std::string>{"copy of 0-2", "copy of 0-2", "copy of 0-2", "pipe", "pipe", "pipe", "socket", "stat"});
  }
}

TEST_CASE("the parent survives writing to a dead worker (SIGPIPE) and reaps only its own children") {
  // An unrelated child of ours that must still be there, unreaped, after the run.
  pid_t bystander = ::fork();
  if (bystander == 0) {
    ::pause();
    ::_exit(0);
  }
  prun::Options opts;
  opts.n_jobs = 2;
  opts.batch_size = 1;
  opts.capture_output = false;
  std::vector<prun::Task<int>> tasks;
  for (int i = 0; i < 20; ++i) tasks.push_back(prun::delayed([](int k) { if (k == 0) ::_exit(0); return k; })(i));
  CHECK_THROWS_AS(prun::Parallel{opts}(tasks), prun::WorkerCrashed);
  auto children = test::children_of_self();
  CHECK(children == std::vector<pid_t>{bystander});
  ::kill(bystander, SIGKILL);
  ::waitpid(bystander, nullptr, 0);
}

TEST_CASE("a worker dies with its parent") {
  // The grandchild's parent (a helper process) is killed; the worker must not be orphaned.
  int fds[2];
  REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
  pid_t helper = ::fork();
  if (helper == 0) {
    prun::Options opts;
    opts.n_jobs = 2;
    opts.capture_output = false;
    const int report = fds[1];
    std::vector<prun::Task<int>> tasks;
    for (int i = 0; i < 2; ++i)
      tasks.push_back(prun::delayed([report](int) {
        int pid = ::getpid();
        (void)!::write(report, &pid, sizeof pid);
        ::pause();
        return 0;
      })(i));
    prun::Parallel{opts}(tasks);
    ::_exit(0);
  }
  ::close(fds[1]);
  int workers[2];
  for (int& w : workers) REQUIRE(::read(fds[0], &w, sizeof w) == sizeof w);
  ::close(fds[0]);
  ::kill(helper, SIGKILL);
  ::waitpid(helper, nullptr, 0);
  for (int w : workers) {
    int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, w, 0));
    if (pidfd < 0) continue;  // already gone
    pollfd p{pidfd, POLLIN, 0};
    CHECK(::poll(&p, 1, 10000) == 1);  // exits promptly (PR_SET_PDEATHSIG)
    ::close(pidfd);
  }
}
