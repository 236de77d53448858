// run_commands: external commands under the same driver as tasks, one CommandLink per job slot.
#include <prun/pool/commands.hpp>
#include <prun/pool/errors.hpp>
#include <prun/pool/task_table.hpp>

#include "../core/driver.hpp"
#include "../scope/signals.hpp"
#include "command_link.hpp"

#include <memory>
#include <vector>

namespace prun::pool {

namespace {

// The slots' links; a slot whose command was killed (a signal, a timeout) gets a fresh one.
class Slots final : public core::WorkerSource {
 public:
  Slots(int n, commands::CommandPlan& plan) : plan_(plan) {
    for (int w = 0; w < n; ++w) links_.push_back(std::make_unique<commands::CommandLink>(w, plan_));
  }
  core::Link& replace(int slot) override {
    links_.push_back(std::make_unique<commands::CommandLink>(slot, plan_));
    return *links_.back();
  }
  std::vector<core::Link*> all() const {
    std::vector<core::Link*> v;
    for (const auto& l : links_) v.push_back(l.get());
    return v;
  }

 private:
  commands::CommandPlan& plan_;
  std::vector<std::unique_ptr<commands::CommandLink>> links_;
};

}  // namespace

std::size_t run_commands(const CommandOptions& command_options, const CommandSource& source, CommandOutput& output) {
  Options options = command_options.options;
  options.on_error = ErrorPolicy::collect;  // a failed job stops nothing (halting is the caller's call)
  options.retry_on_error = true;            // retries: a job that failed runs again
  options.batch_size = 1;
  const int n = resolve_n_jobs(options.n_jobs);
  if (command_options.shell.empty()) throw std::invalid_argument("prun: run_commands needs a shell");

  commands::CommandPlan plan;
  plan.shell = command_options.shell;
  plan.delay_ns = static_cast<std::int64_t>(command_options.delay.count()) * 1'000'000;

  TaskTable table;  // grows as the source gives jobs
  table.tag = [&plan](std::size_t i) { return plan.jobs[i].tag; };
  table.store = [](std::size_t, std::string_view) {};
  table.timeout = [&plan](std::size_t i) { return plan.jobs[i].timeout; };

  // Declaration order is destruction order reversed: the driver goes first (it detaches the
  // links), then the links (a job still running is killed with its group and reaped), then
  // the signal scope (which may raise a signal that arrived meanwhile).
  CancelToken token;
  scope::SignalScope signals(options.handle_signals, token.fd());
  Slots slots(n, plan);
  core::DriverConfig config;
  config.backend = "commands";
  config.cancel = token;
  config.output = &output;
  config.max_outstanding = 1;
  config.pull = [&] {
    std::optional<CommandJob> job = source(plan.jobs.size());
    if (!job) return false;
    plan.jobs.push_back(std::move(*job));
    return true;
  };
  core::Driver driver(options, table, slots.all(), &slots, std::move(config));
  driver.start();
  while (driver.step()) {
  }
  if (std::exception_ptr error = driver.error()) {
    // Halted (CancelToken::stop_starting): the jobs that started ran to their end; that is
    // the caller's outcome, not an error.
    const bool halted = !driver.cancelled() && options.cancel && options.cancel->stopping();
    if (!halted) std::rethrow_exception(error);
    try {
      std::rethrow_exception(error);
    } catch (const Cancelled&) {
    }
  }
  return driver.n_tasks();
}

}  // namespace prun::pool
