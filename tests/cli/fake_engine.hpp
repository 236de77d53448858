#pragma once
// A double of prun::pool::run_commands for the session's tests: no process runs. Each job's
// command is looked up in a script that says what it prints and how it ends; jobs run
// n_jobs at a time and end shortest first, so that they end out of input order.

#include <prun/pool/commands.hpp>
#include <prun/pool/errors.hpp>

#include <deque>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace test {

struct FakeJob {
  std::string out, err;
  prun::pool::TaskStatus status = prun::pool::TaskStatus::ok;
  int exit_code = 0;
  int signal = 0;
  int duration = 1;  // in fake milliseconds; shorter jobs end first
  int fail_attempts = 0;  // the first attempts fail (exit 1) before this script applies
};

struct FakeEngine {
  std::function<FakeJob(const std::string& command)> script;
  std::vector<prun::pool::CommandJob> started;  // every job handed out, in order
  std::map<std::size_t, int> slot_of;           // the slot each job ran in
  std::size_t max_running = 0;

  std::size_t operator()(const prun::pool::CommandOptions& options, const prun::pool::CommandSource& source,
                         prun::pool::CommandOutput& output) {
    using namespace prun::pool;
    auto& observer = *options.options.observer;
    observer.on_run_started(RunStarted{.workers = options.options.n_jobs, .backend = "commands"});
    struct Running {
      std::size_t index;
      CommandJob job;
      FakeJob fake;
      std::uint32_t attempt;
      std::int64_t start, end;
      int slot;
    };
    std::vector<Running> running;
    std::vector<bool> slots(static_cast<std::size_t>(options.options.n_jobs) + 1, false);
    std::int64_t now = 1'000'000'000;
    std::size_t next = 0, finished = 0;
    bool input_over = false;
    auto start = [&](Running r) {
      r.start = now;
      r.end = now + std::int64_t{r.fake.duration} * 1'000'000;
      observer.on_task_started(TaskStarted{.index = r.index, .tag = r.job.tag, .worker = r.slot,
                                           .pid = 1000 + static_cast<int>(r.index), .attempt = r.attempt, .t_ns = now});
      running.push_back(std::move(r));
    };
    auto end = [&](Running& r, TaskStatus status, int exit_code, int signal, bool final) {
      output.on_job_end(r.index);
      observer.on_task_finished(TaskFinished{.index = r.index, .tag = r.job.tag, .worker = r.slot, .pid = 1000 + static_cast<int>(r.index),
                                             .attempt = r.attempt, .started_ns = r.start, .finished_ns = now,
                                             .status = status, .final = final, .exit_code = exit_code, .signal = signal});
    };
    for (;;) {
      const bool stopping = options.options.cancel && options.options.cancel->stopping();
      while (!input_over && !stopping && running.size() < static_cast<std::size_t>(options.options.n_jobs)) {
        auto job = source(next);
        if (!job) {
          input_over = true;
          break;
        }
        started.push_back(*job);
        int slot = 1;
        while (slots[static_cast<std::size_t>(slot)]) ++slot;
        slots[static_cast<std::size_t>(slot)] = true;
        slot_of[next] = slot;
        start(Running{.index = next, .job = *job, .fake = script(job->command), .attempt = 1, .slot = slot});
        ++next;
      }
      max_running = std::max(max_running, running.size());
      if (running.empty()) break;
      auto it = std::min_element(running.begin(), running.end(), [](auto& a, auto& b) { return a.end < b.end; });
      Running r = std::move(*it);
      running.erase(it);
      now = r.end;
      if (r.job.timeout && r.fake.duration > r.job.timeout->count()) {
        output.on_output(r.index, 1, r.fake.out);
        end(r, TaskStatus::timed_out, -1, 15, true);
      } else if (static_cast<int>(r.attempt) <= r.fake.fail_attempts) {
        output.on_output(r.index, 1, "attempt " + std::to_string(r.attempt) + "\n");
        const bool again = static_cast<int>(r.attempt) <= options.options.retries;
        end(r, TaskStatus::error, 1, 0, !again);
        if (again) {
          ++r.attempt;
          start(std::move(r));
          continue;
        }
      } else {
        if (!r.fake.out.empty()) output.on_output(r.index, 1, r.fake.out);
        if (!r.fake.err.empty()) output.on_output(r.index, 2, r.fake.err);
        const bool again = r.fake.status != TaskStatus::ok && static_cast<int>(r.attempt) <= options.options.retries;
        end(r, r.fake.status, r.fake.exit_code, r.fake.signal, !again);
        if (again) {
          ++r.attempt;
          start(std::move(r));
          continue;
        }
      }
      slots[static_cast<std::size_t>(r.slot)] = false;
      ++finished;
      if (options.options.cancel && options.options.cancel->cancelled()) {
        for (auto& other : running) end(other, TaskStatus::cancelled, -1, 15, true);
        observer.on_run_finished(RunFinished{.tasks = next, .cancelled = true});
        throw Cancelled(finished, next);
      }
    }
    observer.on_run_finished(RunFinished{.tasks = next, .ok = finished});
    return next;
  }
};

}  // namespace test
