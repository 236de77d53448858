#pragma once
/// Outcome<R>: what one task came to, its value or its error.

#include <prun/pool/errors.hpp>

#include <exception>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>

namespace prun::runner {

/// A task's value, or its error: TaskError (the task threw), WorkerCrashed, TaskTimeout, or
/// Cancelled (the run stopped before it could finish). Like std::expected, with the error kept
/// as the exception it is.
template <typename R>
class Outcome {
 public:
  using value_type = R;
  Outcome(R value) : v_(std::in_place_index<0>, std::move(value)) {}
  Outcome(std::exception_ptr error) : v_(std::in_place_index<1>, std::move(error)) {}

  bool ok() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }
  /// The value; throws the error when there is none.
  R& value() & { return check(), std::get<0>(v_); }
  const R& value() const& { return check(), std::get<0>(v_); }
  R&& value() && { return check(), std::get<0>(std::move(v_)); }
  /// The error (nullptr when ok).
  std::exception_ptr error() const noexcept { return ok() ? nullptr : std::get<1>(v_); }
  /// The error as the TaskError it is (nullptr when ok, or when the run was cancelled first).
  const pool::TaskError* task_error() const noexcept { return as<pool::TaskError>(); }
  /// Whether the error is Cancelled.
  bool cancelled() const noexcept { return as<pool::Cancelled>() != nullptr; }
  /// The error as an E, or nullptr.
  template <typename E>
  const E* as() const noexcept {
    if (ok()) return nullptr;
    try {
      std::rethrow_exception(std::get<1>(v_));
    } catch (const E& e) {
      return &e;  // the object the exception_ptr keeps alive (rethrow_exception does not copy it)
    } catch (...) {
    }
    return nullptr;
  }
  /// "ok", or the error's first line.
  std::string describe() const {
    if (ok()) return "ok";
    try {
      std::rethrow_exception(std::get<1>(v_));
    } catch (const std::exception& e) {
      std::string text = e.what();
      return text.substr(0, text.find('\n'));
    } catch (...) {
      return "unknown error";
    }
  }

 private:
  void check() const {
    if (!ok()) std::rethrow_exception(std::get<1>(v_));
  }
  std::variant<R, std::exception_ptr> v_;
};

/// A task without a value: success, or its error.
template <>
class Outcome<void> {
 public:
  using value_type = void;
  Outcome() = default;
  Outcome(std::exception_ptr error) : error_(std::move(error)) {}
  bool ok() const noexcept { return !error_; }
  explicit operator bool() const noexcept { return ok(); }
  void value() const {
    if (error_) std::rethrow_exception(error_);
  }
  std::exception_ptr error() const noexcept { return error_; }
  template <typename E>
  const E* as() const noexcept {
    if (ok()) return nullptr;
    try {
      std::rethrow_exception(error_);
    } catch (const E& e) {
      return &e;
    } catch (...) {
    }
    return nullptr;
  }
  const pool::TaskError* task_error() const noexcept { return as<pool::TaskError>(); }
  bool cancelled() const noexcept { return as<pool::Cancelled>() != nullptr; }
  std::string describe() const {
    if (ok()) return "ok";
    try {
      std::rethrow_exception(error_);
    } catch (const std::exception& e) {
      std::string text = e.what();
      return text.substr(0, text.find('\n'));
    } catch (...) {
      return "unknown error";
    }
  }

 private:
  std::exception_ptr error_;
};

}  // namespace prun::runner

namespace prun {
using runner::Outcome;
}  // namespace prun
