#pragma once
/// delayed(f)(args...): a task, as joblib's delayed makes one.

#include <prun/runner/codec.hpp>

#include <functional>
#include <optional>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

namespace prun::runner {

/// A callable with its arguments bound, plus an optional tag. Copyable; run it with ().
template <typename R>
class Task {
 public:
  using result_type = R;

  explicit Task(std::function<R()> fn) : fn_(std::move(fn)) {}

  /// Sets the tag that names this task in prefixes, records and errors (default: index + 1).
  Task& with_tag(std::string tag) & {
    tag_ = std::move(tag);
    return *this;
  }
  Task&& with_tag(std::string tag) && {
    tag_ = std::move(tag);
    return std::move(*this);
  }
  const std::optional<std::string>& tag() const noexcept { return tag_; }

  R operator()() const { return fn_(); }

 private:
  std::function<R()> fn_;
  std::optional<std::string> tag_;
};

template <typename F>
class Delayed {
 public:
  explicit Delayed(F f) : f_(std::move(f)) {}

  /// Binds copies of `args`; the call happens when the task runs.
  template <typename... Args>
    requires std::invocable<const F&, const std::decay_t<Args>&...>
  auto operator()(Args&&... args) const {
    using R = std::invoke_result_t<const F&, const std::decay_t<Args>&...>;
    static_assert(std::is_void_v<R> || is_transferable_v<std::decay_t<R>>,
                  "prun: the task's result cannot travel between processes; give its type a cereal "
                  "serialize() function (see prun/runner/codec.hpp)");
    return Task<R>([f = f_, bound = std::make_tuple(std::decay_t<Args>(std::forward<Args>(args))...)]() -> R {
      return std::apply(f, bound);
    });
  }

 private:
  F f_;
};

/// joblib's delayed: `prun::delayed(f)(1, "a")` is a Task that calls f(1, "a") later.
template <typename F>
Delayed<std::decay_t<F>> delayed(F&& f) {
  return Delayed<std::decay_t<F>>(std::forward<F>(f));
}

}  // namespace prun::runner

namespace prun {
using runner::delayed;
using runner::Task;
}  // namespace prun
