#pragma once
/// Run<R>: a run started with Parallel::submit, and its results as they come.

#include <prun/pool/task_table.hpp>
#include <prun/runner/codec.hpp>
#include <prun/runner/outcome.hpp>
#include <prun/runner/task.hpp>

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <iterator>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <type_traits>
#include <vector>

namespace prun::runner {

/// A result as it completes: which task, and what it came to.
template <typename R>
struct Completed {
  std::size_t index = 0;
  Outcome<R> outcome;
};

namespace detail {
template <typename R>
struct stored_of {
  using type = std::decay_t<R>;
};
template <>
struct stored_of<void> {
  using type = void;
};
}  // namespace detail

/// A run going on (prun::Parallel::submit). Take its results in input order (in_order(),
/// joblib's return_as="generator") or as they complete (as_completed(), "generator_unordered"),
/// or wait for all of them (get(), outcomes()). Only so many finished results wait for you
/// (Options::max_pending) before no more tasks are handed out: a slow consumer slows the run
/// down instead of filling memory. With n_jobs = 1 each task runs, in your thread, when you ask
/// for the next result.
///
/// Destroying an unfinished run cancels it and waits until its workers are gone. Take results
/// from one thread; cancel() from any.
template <typename R>
class Run {
 public:
  using Value = typename detail::stored_of<R>::type;

  struct State {
    std::vector<Task<R>> tasks;
    pool::Options options;
    pool::TaskTable table;
    std::unique_ptr<pool::RunHandle> handle;
    std::mutex mutex;
    std::map<std::size_t, Outcome<Value>> ready;  // finished, not yet taken
    std::deque<std::size_t> completed;            // their indices, in completion order
    std::size_t next = 0;                         // in_order(): the index to give next
    std::size_t taken = 0;
    std::vector<std::exception_ptr> delivered;    // errors given as outcomes
    bool input_open = false;                      // a pulled input may give more tasks (mutex)
    std::exception_ptr input_error;               // what a pulled input threw (mutex)

    // Tasks known so far (all of them, unless the input is pulled lazily).
    std::size_t known() {
      std::lock_guard lock(mutex);
      return tasks.size();
    }
    // Whether task i will never exist: the input is over and it is past the last.
    bool past_end(std::size_t i) {
      std::lock_guard lock(mutex);
      return !input_open && i >= tasks.size();
    }

    // The run goes first: its thread may still be storing results into this state.
    ~State() { handle.reset(); }

    void put(std::size_t i, Outcome<Value> outcome) {
      std::lock_guard lock(mutex);
      ready.emplace(i, std::move(outcome));
      completed.push_back(i);
    }
    // Waits until `has()` holds (under the lock) or the run is over; returns has().
    template <typename Has>
    bool wait(Has&& has) {
      for (;;) {
        {
          std::lock_guard lock(mutex);
          if (has()) return true;
        }
        if (!handle->advance()) {
          std::lock_guard lock(mutex);
          return has();
        }
      }
    }
    Outcome<Value> take(std::size_t i) {
      auto it = ready.find(i);
      Outcome<Value> o = std::move(it->second);
      ready.erase(it);
      if (!o.ok()) delivered.push_back(o.error());
      handle->consumed(++taken);
      return o;
    }
    // After the last result of a pulled input that threw: what it threw.
    void rethrow_input_error() {
      std::exception_ptr e;
      {
        std::lock_guard lock(mutex);
        e = input_error;
      }
      if (e) std::rethrow_exception(e);
    }
    // The run ended without an outcome for everything: its error, unless already given.
    void rethrow_undelivered() {
      std::exception_ptr e = handle->error();
      if (!e) return;
      for (const auto& d : delivered)
        if (d == e) return;
      std::rethrow_exception(e);
    }
  };

  explicit Run(std::unique_ptr<State> state) : s_(std::move(state)) {}
  Run(Run&&) noexcept = default;
  Run& operator=(Run&&) noexcept = default;

  /// Tasks known so far: all of them, or, for an input pulled lazily, those pulled (final
  /// once done()).
  std::size_t size() const { return s_->known(); }
  /// Stops handing out tasks, stops the running ones (SIGTERM, then SIGKILL after
  /// Options::grace) and delivers what they produced; the results end there.
  void cancel() { s_->handle->cancel(); }
  bool done() const { return s_->handle->finished(); }

  /// Outcomes in input order, each as soon as it and all before it are known.
  class InOrder {
   public:
    struct iterator {
      using value_type = Outcome<Value>;
      using difference_type = std::ptrdiff_t;
      State* s = nullptr;
      std::optional<Outcome<Value>> current;
      Outcome<Value>& operator*() { return *current; }
      iterator& operator++() {
        pull();
        return *this;
      }
      void operator++(int) { pull(); }
      bool operator==(std::default_sentinel_t) const { return !current; }
      void pull() {
        current.reset();
        if (s->past_end(s->next)) return s->rethrow_input_error();
        if (s->wait([&] { return s->ready.count(s->next) != 0; })) {
          std::lock_guard lock(s->mutex);
          current.emplace(s->take(s->next++));
        } else if (!s->past_end(s->next)) {
          s->rethrow_undelivered();  // the run stopped short (a failure that stopped it, cancelled)
        } else {
          s->rethrow_input_error();
        }
      }
    };
    iterator begin() {
      iterator it{s_};
      it.pull();
      return it;
    }
    std::default_sentinel_t end() const noexcept { return {}; }
    State* s_;
  };

  /// Outcomes with their task's index, in the order the tasks finish.
  class AsCompleted {
   public:
    struct iterator {
      using value_type = Completed<Value>;
      using difference_type = std::ptrdiff_t;
      State* s = nullptr;
      std::optional<Completed<Value>> current;
      Completed<Value>& operator*() { return *current; }
      iterator& operator++() {
        pull();
        return *this;
      }
      void operator++(int) { pull(); }
      bool operator==(std::default_sentinel_t) const { return !current; }
      void pull() {
        current.reset();
        auto has = [&] {
          while (!s->completed.empty() && !s->ready.count(s->completed.front())) s->completed.pop_front();
          return !s->completed.empty();
        };
        if (s->wait(has)) {
          std::lock_guard lock(s->mutex);
          const std::size_t i = s->completed.front();
          s->completed.pop_front();
          current.emplace(Completed<Value>{i, s->take(i)});
        } else {
          s->rethrow_undelivered();
          s->rethrow_input_error();
        }
      }
    };
    iterator begin() {
      iterator it{s_};
      it.pull();
      return it;
    }
    std::default_sentinel_t end() const noexcept { return {}; }
    State* s_;
  };

  InOrder in_order() { return InOrder{s_.get()}; }
  AsCompleted as_completed() { return AsCompleted{s_.get()}; }

  /// Every task's outcome, in input order (tasks that never ran: Cancelled). Waits.
  std::vector<Outcome<Value>> outcomes() {
    std::vector<Outcome<Value>> out;
    out.reserve(size());
    try {
      for (auto& o : in_order()) out.push_back(std::move(o));
    } catch (...) {
      {
        std::lock_guard lock(s_->mutex);
        if (s_->input_error) throw;  // the input failed: not a task's outcome
      }
      // The run stopped short: what never ran was not cancelled by you, but it did not run.
      while (out.size() < size())
        out.push_back(Outcome<Value>(std::make_exception_ptr(pool::Cancelled(out.size(), size()))));
    }
    while (out.size() < size()) out.push_back(Outcome<Value>(std::make_exception_ptr(pool::Cancelled(out.size(), size()))));
    return out;
  }

  /// Every value, in input order; throws the first error. Waits.
  auto get() {
    if constexpr (std::is_void_v<Value>) {
      for (auto& o : in_order()) o.value();
      s_->rethrow_undelivered();
    } else {
      std::vector<Value> values;
      values.reserve(size());
      for (auto& o : in_order()) values.push_back(std::move(o).value());
      s_->rethrow_undelivered();
      return values;
    }
  }

 private:
  std::unique_ptr<State> s_;
};

}  // namespace prun::runner

namespace prun {
using runner::Completed;
using runner::Run;
}  // namespace prun
