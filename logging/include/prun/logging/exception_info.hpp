#pragma once
/// What an exception being handled is: its demangled type and what(). Used by
/// Logger::exception() and by prun's task errors, so both name exceptions the same way.

#include <exception>
#include <string>

namespace prun::logging {

struct ExceptionInfo {
  std::string type;     ///< demangled, e.g. "std::out_of_range"; "unknown exception" if none.
                        ///< An exception thrown by std::throw_with_nested(e) is named as e's type.
  std::string message;  ///< what(); empty when it is not a std::exception
  bool is_std = false;  ///< derived from std::exception
};

/// The exception currently being handled (call it inside a catch block).
ExceptionInfo current_exception_info();

/// The exception `e` as Python's traceback ends: "type: what()" ("type" alone when what() is
/// empty). A nested exception (std::throw_with_nested) prints its whole chain in Python's
/// order for `raise ... from cause`: the innermost cause first, each followed by "The above
/// exception was the direct cause of the following exception:", the outermost last. Prun has
/// no traceback, so the "Traceback (most recent call last):" blocks are left out.
std::string exception_text(const std::exception_ptr& e);

/// exception_text() of the exception being handled; "NoneType: None" outside a catch block
/// (what Python appends for exc_info=True when there is no exception).
std::string current_exception_text();

}  // namespace prun::logging
