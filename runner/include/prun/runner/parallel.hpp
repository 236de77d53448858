#pragma once
/// Parallel: runs tasks on workers and returns their results in input order.

#include <prun/pool/task_table.hpp>
#include <prun/pool/errors.hpp>
#include <prun/pool/options.hpp>
#include <prun/pool/pool.hpp>
#include <prun/pool/registry.hpp>
#include <prun/runner/codec.hpp>
#include <prun/runner/task.hpp>

#include <optional>
#include <ranges>
#include <span>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace prun::runner {

using Options = pool::Options;
using Backend = pool::Backend;
using TaskContext = pool::TaskContext;

namespace detail {
template <typename T>
struct task_result;
template <typename R>
struct task_result<Task<R>> {
  using type = R;
};
}  // namespace detail

/// joblib's Parallel. `Parallel{{.n_jobs = 3}}(tasks)` runs every task, each in its own logging
/// scope, and returns their results in input order. n_jobs=1 runs them in the calling process
/// with the same records, prefixes, results and errors.
class Parallel {
 public:
  explicit Parallel(Options options = {}) : options_(std::move(options)) {}
  explicit Parallel(int n_jobs) { options_.n_jobs = n_jobs; }
  /// Runs on a reusable pool's workers (its n_jobs and backend; the rest from `options`).
  explicit Parallel(pool::Pool& pool, Options options = {}) : options_(std::move(options)), pool_(&pool) {}

  const Options& options() const noexcept { return options_; }

  /// Runs every task of `tasks` (any input range of Task<R>). Blocks. Returns
  /// std::vector<R> (nothing for R = void). Throws TaskError or WorkerCrashed for the failing
  /// task with the lowest index; tasks after it are not started.
  template <std::ranges::input_range Tasks>
  auto operator()(Tasks&& tasks) const {
    using TaskT = std::remove_cvref_t<std::ranges::range_value_t<Tasks>>;
    using R = typename detail::task_result<TaskT>::type;
    // Tasks already laid out in memory are used in place; anything else is gathered first.
    std::vector<TaskT> gathered;
    std::span<const TaskT> list;
    if constexpr (std::ranges::contiguous_range<Tasks> &&
                  std::is_same_v<std::remove_cv_t<std::ranges::range_value_t<Tasks>>, TaskT>) {
      list = std::span<const TaskT>(std::ranges::data(tasks), std::ranges::size(tasks));
    } else {
      if constexpr (std::ranges::sized_range<Tasks>) gathered.reserve(std::ranges::size(tasks));
      for (auto&& t : tasks) gathered.push_back(std::forward<decltype(t)>(t));
      list = gathered;
    }

    pool::TaskTable table;
    table.size = list.size();
    table.tag = [&list](std::size_t i) {
      return list[i].tag() ? *list[i].tag() : std::to_string(i + 1);
    };
    const pool::RegisteredFunction* last = nullptr;  // runs of the same function are the rule
    table.remote = [&list, &table, &last](std::size_t i) {
      RemoteCall call = list[i].remote();
      const std::string where = "task " + std::to_string(i) + " (tag '" + table.tag(i) + "')";
      if (!call.address)
        throw std::invalid_argument("prun: " + where + " cannot run in a spawned or pooled worker: " + call.why_not +
                                    "; use Backend::fork, or a registered function (PRUN_REGISTER_TASK)");
      const pool::RegisteredFunction* f =
          last && last->address == call.address ? last : (last = pool::find_function(call.address));
      if (!f)
        throw std::invalid_argument("prun: " + where + " calls " + pool::describe_address(call.address) +
                                    ", which is not registered: add PRUN_REGISTER_TASK(<function>) at namespace "
                                    "scope, or use Backend::fork");
      return pool::RemoteTask{f->name, std::move(call.args)};
    };
    if constexpr (std::is_void_v<R>) {
      table.run = [&list](std::size_t i, std::string&) { list[i](); };
      table.store = [](std::size_t, std::string_view) {};
      execute(table);
    } else {
      using V = std::decay_t<R>;
      std::vector<std::optional<V>> slots(list.size());
      table.run = [&list](std::size_t i, std::string& out) { runner::encode(out, list[i]()); };
      table.store = [&slots](std::size_t i, std::string_view bytes) { slots[i] = runner::decode<V>(bytes); };
      execute(table);
      std::vector<V> results;
      results.reserve(slots.size());
      for (auto& s : slots) results.push_back(std::move(*s));
      return results;
    }
  }

 private:
  void execute(const pool::TaskTable& table) const {
    if (pool_) pool_->run(options_, table);
    else pool::run(options_, table);
  }

  Options options_;
  pool::Pool* pool_ = nullptr;
};

}  // namespace prun::runner

namespace prun {
using pool::init;
using pool::InitializerFailed;
using pool::Pool;
using pool::PoolOptions;
using pool::WorkerStartError;
using pool::TaskError;
using pool::WorkerCrashed;
using runner::Backend;
using runner::Options;
using runner::Parallel;
using runner::TaskContext;
}  // namespace prun
