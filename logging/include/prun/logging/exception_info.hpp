#pragma once
/// What an exception being handled is: its demangled type and what(). Used by
/// Logger::exception() and by prun's task errors, so both name exceptions the same way.

#include <string>

namespace prun::logging {

struct ExceptionInfo {
  std::string type;     ///< demangled, e.g. "std::out_of_range"; "unknown exception" if none
  std::string message;  ///< what(); empty when it is not a std::exception
  bool is_std = false;  ///< derived from std::exception
};

/// The exception currently being handled (call it inside a catch block).
ExceptionInfo current_exception_info();

}  // namespace prun::logging
