#include <prun/logging/exception_info.hpp>

#include <cxxabi.h>

#include <cstdlib>
#include <memory>
#include <string_view>
#include <typeinfo>
#include <vector>

namespace prun::logging {

namespace {
// Demangled name of `t`, with std::throw_with_nested's wrapper taken off.
std::string type_name(const std::type_info* t) {
  if (!t) return "unknown exception";
  int status = 0;
  std::unique_ptr<char, void (*)(void*)> demangled(abi::__cxa_demangle(t->name(), nullptr, nullptr, &status), std::free);
  std::string name = status == 0 && demangled ? demangled.get() : t->name();
  constexpr std::string_view kNested = "std::_Nested_exception<";
  if (name.starts_with(kNested) && name.ends_with('>')) name = name.substr(kNested.size(), name.size() - kNested.size() - 1);
  return name;
}

// Describes the exception in flight (inside a catch block); `cause` gets its nested exception.
ExceptionInfo describe_in_flight(std::exception_ptr current, std::exception_ptr* cause) {
  ExceptionInfo info{type_name(abi::__cxa_current_exception_type()), {}, false};
  try {
    std::rethrow_exception(current);
  } catch (const std::exception& e) {
    info.message = e.what();
    info.is_std = true;
    if (cause)
      if (const auto* nested = dynamic_cast<const std::nested_exception*>(&e)) *cause = nested->nested_ptr();
  } catch (const std::nested_exception& n) {
    if (cause) *cause = n.nested_ptr();
  } catch (...) {
  }
  return info;
}

ExceptionInfo describe(const std::exception_ptr& e, std::exception_ptr* cause) {
  try {
    std::rethrow_exception(e);
  } catch (...) {
    return describe_in_flight(std::current_exception(), cause);
  }
}

void append_line(const ExceptionInfo& info, std::string& out) {
  out += info.type;
  if (!info.message.empty()) out.append(": ").append(info.message);
}
}  // namespace

ExceptionInfo current_exception_info() {
  std::exception_ptr current = std::current_exception();
  if (!current) return ExceptionInfo{"unknown exception", {}, false};
  return describe_in_flight(current, nullptr);
}

std::string exception_text(const std::exception_ptr& e) {
  if (!e) return "NoneType: None";
  // Outermost first as found; printed innermost first, as Python prints a __cause__ chain.
  std::vector<ExceptionInfo> chain;
  std::exception_ptr next = e;
  while (next && chain.size() < 64) {
    std::exception_ptr cause;
    chain.push_back(describe(next, &cause));
    next = cause;
  }
  std::string out;
  for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
    if (it != chain.rbegin()) out += "\n\nThe above exception was the direct cause of the following exception:\n\n";
    append_line(*it, out);
  }
  return out;
}

std::string current_exception_text() { return exception_text(std::current_exception()); }

}  // namespace prun::logging
