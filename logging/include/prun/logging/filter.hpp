#pragma once
/// Filters: callables on a mutable record that return keep (true) or drop (false).

#include <prun/logging/record.hpp>

#include <atomic>
#include <concepts>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace prun::logging {

namespace detail {
struct HierarchyAccess;
}  // namespace detail

/// A filter. Subclass it, or pass any `bool(Record&)` callable to add_filter().
class Filter {
 public:
  virtual ~Filter() = default;
  /// Returns false to drop the record. May modify it (as the seeds' PrefixFilter does).
  virtual bool filter(Record& record) = 0;
};

using FilterPtr = std::shared_ptr<Filter>;

/// Wraps a callable into a Filter.
template <typename F>
  requires std::predicate<F&, Record&>
FilterPtr make_filter(F f) {
  struct Callable final : Filter {
    explicit Callable(F fn) : fn_(std::move(fn)) {}
    bool filter(Record& record) override { return fn_(record); }
    F fn_;
  };
  return std::make_shared<Callable>(std::move(f));
}

/// Puts a fixed prefix such as "process=1 " in front of every message it sees, and marks the
/// record as prefixed: in a prun task, a record that a PrefixFilter prefixed gets no second
/// prefix from prun (the seeds' PrefixFilter on the root gives one `process=1 `, not two).
class PrefixFilter final : public Filter {
 public:
  explicit PrefixFilter(std::string prefix) : prefix_(std::move(prefix)) {}
  bool filter(Record& record) override {
    record.message.insert(0, prefix_);
    record.prefixed = true;
    return true;
  }
  const std::string& prefix() const noexcept { return prefix_; }
  /// Not thread-safe against concurrent filtering; set it while the filter is not in use.
  void set_prefix(std::string prefix) { prefix_ = std::move(prefix); }

 private:
  std::string prefix_;
};

/// Python's Filter(name): keeps records of logger `name` and its descendants (all if empty).
class NameFilter final : public Filter {
 public:
  explicit NameFilter(std::string name) : name_(std::move(name)) {}
  bool filter(Record& record) override;

 private:
  std::string name_;
};

/// Base of Logger and Handler: an ordered list of filters (Python's Filterer). Thread-safe.
/// The filters run without any logging lock held, so a filter may log or configure logging.
class Filterer {
 public:
  void add_filter(FilterPtr filter);
  template <typename F>
    requires std::predicate<F&, Record&>
  FilterPtr add_filter(F f) {
    auto p = make_filter(std::move(f));
    add_filter(p);
    return p;
  }
  /// Removes `filter` (compared by identity); does nothing if absent.
  void remove_filter(const FilterPtr& filter);
  void clear_filters();
  std::vector<FilterPtr> filters() const;
  void set_filters(std::vector<FilterPtr> filters);
  /// Runs the filters in order; false as soon as one drops the record. Without filters it
  /// costs one atomic load.
  bool filter(Record& record) const;

 protected:
  Filterer() = default;
  ~Filterer() = default;
  /// Called with the configuration lock held exclusively after the list changed.
  virtual void filters_changed_locked() {}

 private:
  friend struct detail::HierarchyAccess;
  std::vector<FilterPtr> filters_;  // guarded by the hierarchy's configuration lock
  std::atomic<std::size_t> n_filters_{0};  // lets filter() skip the lock when there are none
};

}  // namespace prun::logging
