#pragma once
/// Parallel: runs tasks on workers and returns their results in input order.

#include <prun/pool/task_table.hpp>
#include <prun/pool/errors.hpp>
#include <prun/pool/options.hpp>
#include <prun/pool/pool.hpp>
#include <prun/pool/registry.hpp>
#include <prun/runner/codec.hpp>
#include <prun/runner/outcome.hpp>
#include <prun/runner/run.hpp>
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
  /// std::vector<R> (nothing for R = void). Throws TaskError (WorkerCrashed, TaskTimeout) for
  /// the failing task with the lowest index; with fail_fast, tasks after it are not started.
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
      gathered = gather<TaskT>(std::forward<Tasks>(tasks));
      list = gathered;
    }
    pool::TaskTable table;
    const pool::RegisteredFunction* last = nullptr;
    describe(list, table, last);
    std::exception_ptr first_failure;  // collect: thrown once every task ran
    std::size_t first_index = SIZE_MAX;
    if (options_.on_error == pool::ErrorPolicy::collect)
      table.fail = [&](std::size_t i, std::exception_ptr e) {
        if (i < first_index) {
          first_index = i;
          first_failure = std::move(e);
        }
      };
    if constexpr (std::is_void_v<R>) {
      table.run = [&list](std::size_t i, std::string&) { list[i](); };
      table.store = [](std::size_t, std::string_view) {};
      execute(table);
      if (first_failure) std::rethrow_exception(first_failure);
    } else {
      using V = std::decay_t<R>;
      std::vector<std::optional<V>> slots(list.size());
      table.run = [&list](std::size_t i, std::string& out) { runner::encode(out, list[i]()); };
      table.store = [&slots](std::size_t i, std::string_view bytes) { slots[i] = runner::decode<V>(bytes); };
      execute(table);
      if (first_failure) std::rethrow_exception(first_failure);
      std::vector<V> results;
      results.reserve(slots.size());
      for (auto& s : slots) results.push_back(std::move(*s));
      return results;
    }
  }

  /// Starts every task of `tasks` and returns at once: a Run to take results from as they
  /// come (in input order or as completed), to cancel, or to wait for. Does not block (at
  /// n_jobs = 1 each task runs when its result is asked for).
  ///
  /// An input range that is not a forward range (a generator, std::views::istream, a transform
  /// of one) is pulled lazily: a task is taken from it only when a worker is free to run it
  /// and fewer than Options::max_pending results wait, so it is read no further ahead than the
  /// run needs. Its tasks then go to the workers by name (registered functions), except at
  /// n_jobs = 1; on Backend::fork, if its first task cannot go by name (a closure), the input
  /// is gathered first instead, as any forward range is.
  template <std::ranges::input_range Tasks>
  auto submit(Tasks&& tasks) const {
    using TaskT = std::remove_cvref_t<std::ranges::range_value_t<Tasks>>;
    using R = typename detail::task_result<TaskT>::type;
    using State = typename Run<R>::State;
    using Value = typename Run<R>::Value;
    auto state = std::make_unique<State>();
    State& st = *state;
    st.options = options_;
    if constexpr (std::ranges::forward_range<Tasks>) {
      st.tasks = gather<TaskT>(std::forward<Tasks>(tasks));
    } else {
      // The input stays with the run; one task is taken now, to tell how the rest can travel.
      auto source = std::make_shared<Source<std::views::all_t<Tasks>>>(std::views::all(std::forward<Tasks>(tasks)));
      if (source->next(st.tasks)) {
        const bool in_process = pool::resolve_n_jobs(options_.n_jobs) == 1 || options_.backend == Backend::sequential;
        if (in_process || pool_ || options_.backend == Backend::spawn || travels_by_name(st.tasks.front())) {
          st.input_open = true;
          st.table.pull = [&st, source] {
            // An input that throws ends the input: what was read runs, then the consumer
            // gets the exception after the last result.
            std::vector<TaskT> one;
            bool more = false;
            std::exception_ptr error;
            try {
              more = source->next(one);
            } catch (...) {
              error = std::current_exception();
            }
            std::lock_guard lock(st.mutex);
            if (more) {
              st.tasks.push_back(std::move(one.front()));
            } else {
              st.input_open = false;
              st.input_error = error;
            }
            return more;
          };
        } else {
          while (source->next(st.tasks)) {
          }
        }
      }
    }
    auto last = std::make_shared<const pool::RegisteredFunction*>(nullptr);
    // The tasks are looked up at each call: a pulled input grows them (in the run's thread).
    const auto& list = st.tasks;
    st.table.size = list.size();
    st.table.tag = [&list](std::size_t i) { return list[i].tag() ? *list[i].tag() : std::to_string(i + 1); };
    st.table.timeout = [&list](std::size_t i) { return list[i].timeout(); };
    st.table.remote = [&list, &table = st.table, last](std::size_t i) {
      return remote_of(std::span<const TaskT>(list), table, *last, i);
    };
    if constexpr (std::is_void_v<R>) {
      st.table.run = [&list](std::size_t i, std::string&) { list[i](); };
      st.table.store = [&st](std::size_t i, std::string_view) { st.put(i, Outcome<void>()); };
    } else {
      st.table.run = [&list](std::size_t i, std::string& out) { runner::encode(out, list[i]()); };
      st.table.store = [&st](std::size_t i, std::string_view bytes) {
        st.put(i, Outcome<Value>(runner::decode<Value>(bytes)));
      };
    }
    st.table.fail = [&st](std::size_t i, std::exception_ptr e) { st.put(i, Outcome<Value>(std::move(e))); };
    st.handle = pool_ ? pool_->start(st.options, st.table) : pool::start(st.options, st.table);
    return Run<R>(std::move(state));
  }

  /// Runs every task (every one, whatever fails: ErrorPolicy::collect) and returns each
  /// task's outcome, its value or its error, in input order. Blocks.
  template <std::ranges::input_range Tasks>
  auto outcomes(Tasks&& tasks) const {
    Parallel collecting = *this;
    collecting.options_.on_error = pool::ErrorPolicy::collect;
    return collecting.submit(std::forward<Tasks>(tasks)).outcomes();
  }

 private:
  // An input pulled lazily, kept by the run: the range (or a view of the caller's) and where
  // it is.
  template <typename View>
  struct Source {
    explicit Source(View v) : view(std::move(v)), it(std::ranges::begin(view)) {}
    // Appends the next task to `out`; false once the input is over.
    template <typename TaskT>
    bool next(std::vector<TaskT>& out) {
      if (it == std::ranges::end(view)) return false;
      out.push_back(*it);
      ++it;
      return true;
    }
    View view;
    std::ranges::iterator_t<View> it;
  };

  template <typename TaskT>
  static bool travels_by_name(const TaskT& task) {
    const RemoteCall call = task.remote();
    return call.address && pool::find_function(call.address);
  }

  template <typename TaskT, typename Tasks>
  static std::vector<TaskT> gather(Tasks&& tasks) {
    std::vector<TaskT> out;
    if constexpr (std::ranges::sized_range<Tasks>) out.reserve(std::ranges::size(tasks));
    for (auto&& t : tasks) out.push_back(std::forward<decltype(t)>(t));
    return out;
  }

  // The task as a call by name, or why it cannot be one.
  template <typename TaskT>
  static pool::RemoteTask remote_of(std::span<const TaskT> list, const pool::TaskTable& table,
                                    const pool::RegisteredFunction*& last, std::size_t i) {
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
  }

  // What the pool needs to know of `list` besides running and storing: size, tags, own
  // timeouts, the call by name. `list` and `last` must outlive the table.
  template <typename TaskT>
  static void describe(std::span<const TaskT> list, pool::TaskTable& table, const pool::RegisteredFunction*& last) {
    table.size = list.size();
    table.tag = [list](std::size_t i) { return list[i].tag() ? *list[i].tag() : std::to_string(i + 1); };
    table.timeout = [list](std::size_t i) { return list[i].timeout(); };
    table.remote = [list, &table, &last](std::size_t i) { return remote_of(list, table, last, i); };
  }

  void execute(const pool::TaskTable& table) const {
    if (pool_) pool_->run(options_, table);
    else pool::run(options_, table);
  }

  Options options_;
  pool::Pool* pool_ = nullptr;
};

}  // namespace prun::runner

namespace prun {
using pool::Cancelled;
using pool::CancelToken;
using pool::ErrorPolicy;
using pool::init;
using pool::InitializerFailed;
using pool::Pool;
using pool::PoolOptions;
using pool::RunObserver;
using pool::TaskError;
using pool::TaskStatus;
using pool::TaskTimeout;
using pool::WorkerCrashed;
using pool::WorkerStartError;
using runner::Backend;
using runner::Options;
using runner::Parallel;
using runner::TaskContext;
}  // namespace prun
