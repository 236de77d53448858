// The driver and scheduler against fake links: simulated workers in this process, scripted
// per task. Dispatch, results, fail-fast, crash attribution, recycling and replacement,
// output routing and stepping, without a single process.
#include <doctest/doctest.h>

#include "core/driver.hpp"

#include <prun/logging.hpp>
#include <prun/pool/errors.hpp>

#include "test_support.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <sys/wait.h>

#include <csignal>
#include <deque>
#include <functional>
#include <map>

namespace asio = boost::asio;
namespace lg = prun::logging;
using namespace prun::pool;

namespace {

// What a simulated worker does with a task.
struct Script {
  enum class Action { ok, fail, crash, hang } action = Action::ok;
  std::string output;  // printed on stdout before finishing
  std::string log;     // logged at WARNING before finishing
};

class FakeLink final : public core::Link {
 public:
  using Plan = std::function<Script(std::size_t)>;
  FakeLink(int slot, Plan plan, std::size_t max_tasks = 0) : Link(slot), plan_(std::move(plan)), max_tasks_(max_tasks) {}

  int pid() const noexcept override { return 1000 + slot(); }
  std::string name() const override { return "Fake-" + std::to_string(slot()); }
  void attach(asio::io_context& ctx, core::LinkEvents& events) override {
    ctx_ = &ctx;
    events_ = &events;
  }
  void detach() noexcept override { events_ = nullptr; }
  bool send(std::string_view frames) noexcept override {
    if (exited_) return false;
    protocol::split_frames(frames, [&](protocol::Frame f) {
      protocol::Batch b = protocol::Batch::decode(f.payload);
      batches.push_back({static_cast<std::size_t>(b.begin), static_cast<std::size_t>(b.end)});
      queue_.push_back(batches.back());
    });
    asio::post(*ctx_, [this] { work(); });
    return true;
  }
  void set_stop_before(std::size_t index) noexcept override { stop_before_ = index; }
  std::optional<core::Running> running() const noexcept override {
    if (!running_) return std::nullopt;
    return core::Running{*running_, 0};
  }
  void signal(int sig) noexcept override {
    if (exited_) return;
    signals.push_back(sig);
    if (sig == SIGKILL) die(sig, true);
  }
  bool exited() const noexcept override { return exited_; }

  std::vector<core::Batch> batches;
  std::vector<int> signals;
  std::vector<std::size_t> ran;

 private:
  // One task per turn of the loop, so that simulated workers interleave as real ones do.
  void work() {
    if (exited_ || running_ || !events_) return;
    if (current_.begin == current_.end) {
      if (queue_.empty()) return;
      current_ = queue_.front();
      queue_.pop_front();
    }
    const std::size_t i = current_.begin++;
    bool batch_over = current_.begin == current_.end;
    if (i >= stop_before_) {
      batch_over = true;
    } else {
      events_->on_started(*this, {i, 0});
      ran.push_back(i);
      const Script s = plan_(i);
      if (!s.output.empty()) events_->on_output(*this, 1, i, s.output, false);
      if (!s.log.empty()) {
        lg::Record r = lg::get_logger("fake").make_record(lg::WARNING, s.log, std::source_location::current());
        r.task_index = static_cast<std::int64_t>(i);
        events_->on_record(*this, r);
      }
      if (s.action == Script::Action::hang) {
        running_ = i;
        return;  // until killed
      }
      if (s.action == Script::Action::crash) {
        running_ = i;
        die(SIGSEGV, false);
        return;
      }
      events_->on_output(*this, 1, i, "", true);
      std::string frame;
      const std::size_t at = protocol::Finished::begin(frame, i);
      if (s.action == Script::Action::fail) {
        protocol::Finished::end_error(frame, at, 0, 0, {"std::runtime_error", "task " + std::to_string(i)});
        batch_over = true;  // a worker stops its batch at a failure
      } else {
        frame += "r" + std::to_string(i);
        protocol::Finished::end_ok(frame, at, 0, 0);
      }
      events_->on_finished(*this, protocol::Finished::decode(std::string_view(frame).substr(protocol::kHeader)));
      ++taken_;
    }
    if (batch_over) {
      current_ = {};
      events_->on_batch_done(*this);
      if (max_tasks_ && taken_ >= max_tasks_) {
        events_->on_recycle(*this);
        die(0, true, true);
        return;
      }
    }
    asio::post(*ctx_, [this] { work(); });
  }

  void die(int how, bool killed, bool clean = false) {
    exited_ = true;
    core::WorkerExit e;
    e.status = clean ? 0 : how;  // a wait status: killed by `how`
    e.expected = clean;
    e.running = killed ? std::nullopt : running_;
    (void)killed;
    asio::post(*ctx_, [this, e] {
      if (events_) events_->on_exit(*this, e);
    });
  }

  Plan plan_;
  std::size_t max_tasks_;
  asio::io_context* ctx_ = nullptr;
  core::LinkEvents* events_ = nullptr;
  std::deque<core::Batch> queue_;
  core::Batch current_;
  std::size_t stop_before_ = SIZE_MAX;
  std::optional<std::size_t> running_;
  std::size_t taken_ = 0;
  bool exited_ = false;
};

struct Source final : core::WorkerSource {
  FakeLink::Plan plan;
  std::size_t max_tasks = 0;
  std::vector<std::unique_ptr<FakeLink>> made;
  core::Link& replace(int slot) override {
    made.push_back(std::make_unique<FakeLink>(slot, plan, max_tasks));
    return *made.back();
  }
};

struct Run {
  Options options;
  TaskTable table;
  std::vector<std::string> results;
  Source source;
  std::vector<std::unique_ptr<FakeLink>> links;

  Run(std::size_t n, int workers, FakeLink::Plan plan, std::size_t max_tasks = 0) : results(n) {
    table.size = n;
    table.tag = [](std::size_t i) { return "t" + std::to_string(i); };
    table.store = [this](std::size_t i, std::string_view b) { results[i] = std::string(b); };
    source.plan = plan;
    source.max_tasks = max_tasks;
    for (int w = 0; w < workers; ++w) links.push_back(std::make_unique<FakeLink>(w, plan, max_tasks));
  }
  std::vector<core::Link*> link_ptrs() {
    std::vector<core::Link*> out;
    for (auto& l : links) out.push_back(l.get());
    return out;
  }
  void go(core::DriverConfig config = {}) {
    core::Driver d(options, table, link_ptrs(), &source, std::move(config));
    d.start();
    d.run();
  }
};

Script ok(std::size_t) { return {}; }

}  // namespace

TEST_CASE("every task runs once on some worker and its result is stored in its place") {
  Run run(500, 3, ok);
  run.go();
  for (std::size_t i = 0; i < 500; ++i) CHECK(run.results[i] == "r" + std::to_string(i));
  std::vector<int> count(500, 0);
  for (auto& l : run.links)
    for (std::size_t i : l->ran) ++count[i];
  CHECK(std::count(count.begin(), count.end(), 1) == 500);
  for (auto& l : run.links) CHECK(!l->batches.empty());  // all three took part
}

TEST_CASE("the failing task with the lowest index is reported - later running tasks are killed") {
  // Worker 0 gets tasks 0-19 and fails at 3; worker 1 (tasks 20-39) hangs in task 20, after
  // the failure's index: it is killed.
  test::CleanLogging clean;
  lg::get_logger().add_handler(std::make_shared<lg::NullHandler>());
  Run run(40, 2, [](std::size_t i) {
    if (i == 3) return Script{Script::Action::fail, "", "about to fail"};
    if (i == 20) return Script{Script::Action::hang};
    return Script{};
  });
  run.options.batch_size = 10;
  try {
    run.go();
    FAIL("no error");
  } catch (const TaskError& e) {
    CHECK(e.index() == 3);
    CHECK(e.tag() == "t3");
    CHECK(e.message() == "task 3");
    CHECK(e.process_name() == "Fake-0");
    CHECK(e.last_lines() == std::vector<std::string>{"WARNING fake: about to fail"});
  }
  CHECK(run.links[1]->signals == std::vector<int>{SIGKILL});  // it ran task 20 > 3
  CHECK(run.links[0]->signals.empty());
  for (std::size_t i = 0; i < 3; ++i) CHECK(run.results[i] == "r" + std::to_string(i));
  for (auto& l : run.links)
    for (std::size_t i : l->ran) CHECK((i <= 3 || i == 20));  // nothing else started
}

TEST_CASE("a crash names the task that was running - or the first unfinished one of its batch") {
  {
    Run run(20, 1, [](std::size_t i) { return i == 5 ? Script{Script::Action::crash} : Script{}; });
    run.options.batch_size = 10;
    CHECK_THROWS_WITH_AS(run.go(), doctest::Contains("task 5 (tag 't5')"), WorkerCrashed);
  }
}

TEST_CASE("a recycled worker is replaced while work is left - and quotas hold") {
  Run run(50, 2, ok, 7);
  run.options.batch_size = 3;
  core::DriverConfig config;
  config.max_tasks_per_worker = 7;
  run.go(config);
  for (std::size_t i = 0; i < 50; ++i) CHECK(run.results[i] == "r" + std::to_string(i));
  CHECK(run.source.made.size() >= 5);  // 50 tasks at most 7 per worker: at least 8 workers in all
  for (auto& l : run.source.made) CHECK(l->ran.size() <= 7);
  for (auto& l : run.links) CHECK(l->ran.size() <= 7);
}

TEST_CASE("output becomes whole prefixed lines - records reach the parent's handlers") {
  test::CleanLogging clean;
  auto h = std::make_shared<lg::CaptureHandler>();
  lg::get_logger().add_handler(h);
  Run run(4, 2, [](std::size_t i) { return Script{Script::Action::ok, "line " + std::to_string(i) + "\npartial", "hello"}; });
  run.options.prefix = "<{tag}> ";
  std::string out;
  {
    test::FdCapture capture(1);
    run.go();
    out = capture.text();
  }
  auto lines = test::split_lines(out);
  std::sort(lines.begin(), lines.end());
  CHECK(lines == std::vector<std::string>{"<t0> line 0", "<t0> partial", "<t1> line 1", "<t1> partial", "<t2> line 2",
                                          "<t2> partial", "<t3> line 3", "<t3> partial"});
  CHECK(h->size() == 4);
}

TEST_CASE("a run can be advanced one turn at a time") {
  Run run(100, 2, ok);
  run.options.batch_size = 5;
  core::Driver d(run.options, run.table, run.link_ptrs(), &run.source, {});
  d.start();
  int steps = 0;
  std::size_t stored_before_end = 0;
  while (d.step()) {
    ++steps;
    stored_before_end = static_cast<std::size_t>(std::count_if(run.results.begin(), run.results.end(), [](auto& r) { return !r.empty(); }));
  }
  CHECK(d.finished());
  CHECK(steps > 10);
  CHECK(stored_before_end > 0);
  CHECK(stored_before_end <= 100);
  CHECK(!d.error());
}
