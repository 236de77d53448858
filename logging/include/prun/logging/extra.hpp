#pragma once
/// Extra: per-call options of a log call, Python's `extra=` and `exc_info=True`.

#include <prun/logging/record.hpp>

#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

namespace prun::logging {

/// Key/values that a log call adds to its record (Python's `extra={...}`), each addressable in
/// a format as `%(key)s` / `{key}` without declaring it, and whether the exception being
/// handled is appended (Python's `exc_info=True`). Pass it before the format string:
///
///     log.info(lg::Extra{{"user", "bob"}, {"n", 3}}, "saved {}", path);
///     log.warning(lg::exc_info, "retrying");   // inside a catch block
///
/// The object is built before the level check, like Python's dict; the record only takes it
/// over (moves it) when the level is enabled. Calls without an Extra pay nothing for it.
class Extra {
 public:
  using Item = std::pair<std::string, Value>;

  Extra() = default;
  Extra(std::initializer_list<Item> items) : items_(items) {}

  /// Adds (or replaces) `key`. Chainable: `Extra{}.set("a", 1).set("b", "x")`.
  Extra& set(std::string key, Value value) & {
    set_impl(std::move(key), std::move(value));
    return *this;
  }
  Extra&& set(std::string key, Value value) && {
    set_impl(std::move(key), std::move(value));
    return std::move(*this);
  }
  /// Appends the exception being handled to the record, as Python's `exc_info=True`
  /// (outside a catch block: "NoneType: None", as Python).
  Extra& with_exc_info(bool on = true) & {
    exc_info_ = on;
    return *this;
  }
  Extra&& with_exc_info(bool on = true) && {
    exc_info_ = on;
    return std::move(*this);
  }

  const std::vector<Item>& items() const noexcept { return items_; }
  std::vector<Item>& items() noexcept { return items_; }
  bool exc_info() const noexcept { return exc_info_; }
  /// The value of `key`, or nullptr.
  const Value* find(std::string_view key) const noexcept {
    for (const auto& [k, v] : items_)
      if (k == key) return &v;
    return nullptr;
  }

 private:
  void set_impl(std::string key, Value value) {
    for (auto& [k, v] : items_)
      if (k == key) {
        v = std::move(value);
        return;
      }
    items_.emplace_back(std::move(key), std::move(value));
  }
  std::vector<Item> items_;
  bool exc_info_ = false;
};

/// Python's `exc_info=True` on any level: `log.error(lg::exc_info, "failed")`.
inline const Extra exc_info = Extra{}.with_exc_info();

}  // namespace prun::logging
