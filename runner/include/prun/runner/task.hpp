#pragma once
/// delayed(f)(args...): a task, as joblib's delayed makes one.

#include <prun/pool/registry.hpp>
#include <prun/runner/codec.hpp>
#include <prun/runner/registry.hpp>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

namespace prun::runner {

/// How a task travels to a worker that does not share the caller's memory: the registered
/// function's address and the encoded arguments, or why it cannot.
struct RemoteCall {
  const void* address = nullptr;
  std::string args;
  std::string why_not;  ///< set when address is null
};

namespace detail {
/// The callable delayed() builds: the function and copies of the arguments.
template <typename F, typename... A>
struct Bound {
  F f;
  std::tuple<A...> args;
  decltype(auto) operator()() const { return std::apply(f, args); }
};
}  // namespace detail

/// A callable with its arguments bound, plus an optional tag. Copyable; run it with ().
template <typename R>
class Task {
 public:
  using result_type = R;
  using Describe = void (*)(const std::function<R()>&, RemoteCall&);

  /// A task from any callable; such a task runs on the sequential and fork backends only.
  explicit Task(std::function<R()> fn, Describe describe = nullptr) : fn_(std::move(fn)), describe_(describe) {}

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

  /// Gives this task its own time limit (instead of Options::timeout).
  Task& with_timeout(std::chrono::milliseconds limit) & {
    timeout_ = limit;
    return *this;
  }
  Task&& with_timeout(std::chrono::milliseconds limit) && {
    timeout_ = limit;
    return std::move(*this);
  }
  const std::optional<std::chrono::milliseconds>& timeout() const noexcept { return timeout_; }

  R operator()() const { return fn_(); }

  /// The task as a call by name (for Backend::spawn and Pools); `why_not` says what prevents it.
  RemoteCall remote() const {
    RemoteCall call;
    if (describe_) describe_(fn_, call);
    else call.why_not = "it was built from a std::function, not with prun::delayed";
    return call;
  }

 private:
  std::function<R()> fn_;
  Describe describe_ = nullptr;
  std::optional<std::string> tag_;
  std::optional<std::chrono::milliseconds> timeout_;
};

namespace detail {
template <typename R, typename B, typename Fn>
void describe_remote(const std::function<R()>& fn, RemoteCall& call) {
  const B* bound = fn.template target<B>();
  Fn pointer = bound->f;
  call.address = reinterpret_cast<const void*>(pointer);
  using Params = typename arguments_of<Fn>::tuple;
  // Encoded as the function's own parameter types, which the worker decodes.
  call.args.clear();
  runner::encode(call.args, std::apply([](const auto&... a) { return Params(a...); }, bound->args));
}

template <typename R, typename F>
void describe_not_sendable(const std::function<R()>&, RemoteCall& call) {
  if constexpr (std::is_void_v<function_pointer_t<F>>)
    call.why_not = std::string("it calls a ") + (std::is_class_v<F> ? "lambda with captures or function object" : "callable") +
                   " (" + typeid(F).name() + "), which only exists in this process's memory";
  else
    call.why_not = "its arguments or result cannot be serialized";
}
}  // namespace detail

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
    using B = detail::Bound<F, std::decay_t<Args>...>;
    std::function<R()> fn = B{f_, std::make_tuple(std::decay_t<Args>(std::forward<Args>(args))...)};
    using Fn = detail::function_pointer_t<F>;
    if constexpr (!std::is_void_v<Fn>) {
      using Params = typename detail::arguments_of<Fn>::tuple;
      if constexpr (is_transferable_v<Params> && std::is_constructible_v<Params, const std::decay_t<Args>&...> &&
                    (std::is_void_v<R> || is_transferable_v<std::decay_t<R>>))
        return Task<R>(std::move(fn), &detail::describe_remote<R, B, Fn>);
      else
        return Task<R>(std::move(fn), &detail::describe_not_sendable<R, F>);
    } else {
      return Task<R>(std::move(fn), &detail::describe_not_sendable<R, F>);
    }
  }

 private:
  F f_;
};

/// True when delayed(f)(args...) can run in a spawned or pooled worker once f is registered:
/// f is a function (or a captureless, non-generic lambda) and its parameters and result can
/// be serialized. `static_assert(prun::sendable<decltype(f), int>)` refuses at compile time
/// what Backend::spawn would refuse at run time.
template <typename F, typename... Args>
concept sendable = requires {
  typename detail::arguments_of<detail::function_pointer_t<F>>::tuple;
} && is_transferable_v<typename detail::arguments_of<detail::function_pointer_t<F>>::tuple> &&
    std::is_constructible_v<typename detail::arguments_of<detail::function_pointer_t<F>>::tuple, const std::decay_t<Args>&...> &&
    (std::is_void_v<typename detail::arguments_of<detail::function_pointer_t<F>>::result> ||
     is_transferable_v<std::decay_t<typename detail::arguments_of<detail::function_pointer_t<F>>::result>>);

/// joblib's delayed: `prun::delayed(f)(1, "a")` is a Task that calls f(1, "a") later.
template <typename F>
Delayed<std::decay_t<F>> delayed(F&& f) {
  return Delayed<std::decay_t<F>>(std::forward<F>(f));
}

}  // namespace prun::runner

namespace prun {
using runner::sendable;
using runner::delayed;
using runner::Task;
}  // namespace prun
