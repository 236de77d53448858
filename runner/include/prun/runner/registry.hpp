#pragma once
/// Registering functions by name, for workers that do not share the caller's memory.
///
///     int square(int x) { return x * x; }
///     PRUN_REGISTER_TASK(square);           // at namespace scope, once per program
///
/// Then `prun::delayed(square)(3)` runs on every backend, including Backend::spawn and
/// reusable Pools. A captureless lambda kept in a variable can be registered the same way.
/// Arguments and results travel with prun/runner/codec.hpp.

#include <prun/pool/registry.hpp>
#include <prun/runner/codec.hpp>

#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

namespace prun::runner {

namespace detail {

/// The plain function pointer type of F: F itself, or the conversion target of a captureless,
/// non-generic lambda. `void` when there is none.
template <typename F, typename = void>
struct function_pointer {
  using type = void;
};
template <typename R, typename... P>
struct function_pointer<R (*)(P...)> {
  using type = R (*)(P...);
};
template <typename R, typename... P>
struct function_pointer<R (*)(P...) noexcept> {
  using type = R (*)(P...);
};
template <typename M>
struct member_signature;
template <typename C, typename R, typename... P>
struct member_signature<R (C::*)(P...) const> {
  using type = R (*)(P...);
};
template <typename C, typename R, typename... P>
struct member_signature<R (C::*)(P...) const noexcept> {
  using type = R (*)(P...);
};
template <typename F>
struct function_pointer<F, std::void_t<decltype(&F::operator())>> {
  using candidate = typename member_signature<decltype(&F::operator())>::type;
  using type = std::conditional_t<std::is_convertible_v<F, candidate>, candidate, void>;
};
template <typename F>
using function_pointer_t = typename function_pointer<std::decay_t<F>>::type;

template <typename Fn>
struct arguments_of;
template <typename R, typename... P>
struct arguments_of<R (*)(P...)> {
  using tuple = std::tuple<std::decay_t<P>...>;
  using result = R;
};

template <typename R, typename... P>
pool::Invoker make_invoker(R (*fn)(P...)) {
  // Hooks (configure_task, initializers) take arguments that do not travel; they are called
  // through their address and signature instead.
  if constexpr (!((is_transferable_v<std::decay_t<P>>) && ...) ||
                !(std::is_void_v<R> || is_transferable_v<std::decay_t<R>>)) {
    return {};
  } else return [fn](std::string_view args, std::string& out) {
    auto values = runner::decode<std::tuple<std::decay_t<P>...>>(args);
    if constexpr (std::is_void_v<R>) {
      std::apply(fn, values);
    } else {
      runner::encode(out, std::apply(fn, values));
    }
  };
}

}  // namespace detail

/// Registers `fn` (a function, or a captureless lambda) under `name`.
template <typename F>
bool register_task(std::string name, const F& fn) {
  using Fn = detail::function_pointer_t<F>;
  static_assert(!std::is_void_v<Fn>, "prun: only functions and captureless lambdas can be registered");
  Fn pointer = fn;
  pool::register_function({std::move(name), reinterpret_cast<const void*>(pointer), &typeid(Fn),
                           detail::make_invoker(pointer)});
  return true;
}

}  // namespace prun::runner

#define PRUN_DETAIL_CONCAT2(a, b) a##b
#define PRUN_DETAIL_CONCAT(a, b) PRUN_DETAIL_CONCAT2(a, b)
/// Registers a function (or a captureless lambda variable) under its own name.
#define PRUN_REGISTER_TASK(fn) \
  [[maybe_unused]] static const bool PRUN_DETAIL_CONCAT(prun_registered_, __COUNTER__) = \
      ::prun::runner::register_task(#fn, fn)

namespace prun {
using runner::register_task;
}  // namespace prun
