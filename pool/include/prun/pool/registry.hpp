#pragma once
/// Functions known by name, so that a worker that does not share the caller's memory (a spawned
/// worker, or any worker of a reusable Pool) can run them. prun/runner/registry.hpp has the
/// typed front end (PRUN_REGISTER_TASK); this is the type-erased table behind it.

#include <functional>
#include <string>
#include <string_view>
#include <typeinfo>

namespace prun::pool {

/// Decodes arguments, calls the function, appends its encoded result.
using Invoker = std::function<void(std::string_view args, std::string& result)>;

struct RegisteredFunction {
  std::string name;
  const void* address = nullptr;         ///< the function's address (identity in this binary)
  const std::type_info* signature = nullptr;
  Invoker invoke;
};

/// Registers `fn` under `name`. Registering the same address again under the same name is a
/// no-op; reusing a name for another function throws std::logic_error. Thread-safe.
void register_function(RegisteredFunction fn);

/// The function registered at `address` / under `name`, or nullptr. Thread-safe.
const RegisteredFunction* find_function(const void* address);
const RegisteredFunction* find_function(std::string_view name);

/// A readable name for an unregistered function: its symbol if the binary exports it.
std::string describe_address(const void* address);

}  // namespace prun::pool
