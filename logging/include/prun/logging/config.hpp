#pragma once
/// basic_config(): Python's logging.basicConfig().

#include <prun/logging/formatter.hpp>
#include <prun/logging/handler.hpp>

#include <initializer_list>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

namespace prun::logging {

/// Arguments of basic_config(), named as in Python's logging.basicConfig().
struct BasicConfig {
  /// Python's `handlers=[...]`: a list that was given, or not. `.handlers = {}` is an empty
  /// list (the root gets no handler, as with Python's handlers=[]); leaving the member out is
  /// "not given" (a StreamHandler or a FileHandler is made).
  class Handlers {
   public:
    Handlers(std::initializer_list<HandlerPtr> list) : list_(list), given_(true) {}  // NOLINT
    Handlers(std::vector<HandlerPtr> list) : list_(std::move(list)), given_(true) {}  // NOLINT
    static Handlers not_given() {
      Handlers h(std::vector<HandlerPtr>{});
      h.given_ = false;
      return h;
    }
    bool given() const noexcept { return given_; }
    const std::vector<HandlerPtr>& list() const noexcept { return list_; }

   private:
    std::vector<HandlerPtr> list_;
    bool given_;
  };

  std::optional<int> level;
  /// Default: Python's for the style, "%(levelname)s:%(name)s:%(message)s" or
  /// "{levelname}:{name}:{message}".
  std::optional<std::string> format;
  std::string datefmt;
  Formatter::Style style = Formatter::Style::percent;
  std::optional<int> stream_fd;   ///< a file descriptor, e.g. STDOUT_FILENO (default: stderr)
  std::ostream* stream = nullptr; ///< or a std::ostream that outlives the handler
  std::string filename;           ///< or a file, opened with `filemode`
  std::string filemode = "a";
  Handlers handlers = Handlers::not_given();  ///< or ready handlers (given the format if they have none)
  bool force = false;             ///< remove and close the root's handlers first
};

/// Python's basicConfig: does nothing when the root already has handlers (unless `force`).
/// Throws std::invalid_argument for conflicting destinations, as Python raises ValueError.
void basic_config(const BasicConfig& config = {});

}  // namespace prun::logging
