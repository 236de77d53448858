#include <prun/logging/filter.hpp>

#include "config_lock.hpp"

#include <algorithm>
#include <array>
#include <mutex>
#include <shared_mutex>

namespace prun::logging {

bool NameFilter::filter(Record& record) {
  if (name_.empty() || record.name == name_) return true;
  return record.name.size() > name_.size() && record.name.starts_with(name_) &&
         record.name[name_.size()] == '.';
}

void Filterer::add_filter(FilterPtr filter) {
  std::unique_lock lock(detail::config_lock());
  if (std::find(filters_.begin(), filters_.end(), filter) == filters_.end())
    filters_.push_back(std::move(filter));
  n_filters_.store(filters_.size(), std::memory_order_release);
  filters_changed_locked();
}

void Filterer::remove_filter(const FilterPtr& filter) {
  std::unique_lock lock(detail::config_lock());
  std::erase(filters_, filter);
  n_filters_.store(filters_.size(), std::memory_order_release);
  filters_changed_locked();
}

void Filterer::clear_filters() { set_filters({}); }

std::vector<FilterPtr> Filterer::filters() const {
  std::shared_lock lock(detail::config_lock());
  return filters_;
}

void Filterer::set_filters(std::vector<FilterPtr> filters) {
  {
    std::unique_lock lock(detail::config_lock());
    filters_.swap(filters);
    n_filters_.store(filters_.size(), std::memory_order_release);
    filters_changed_locked();
  }
  // The old filters are released here, outside the lock.
}

bool Filterer::filter(Record& record) const {
  if (n_filters_.load(std::memory_order_acquire) == 0) return true;
  // Copy the list and run the filters unlocked: a filter is user code that may log or
  // configure logging, and the lock must never be held across it (see config_lock()).
  constexpr std::size_t kInline = 4;
  std::array<FilterPtr, kInline> inline_copy;
  std::vector<FilterPtr> heap_copy;
  std::size_t n = 0;
  {
    std::shared_lock lock(detail::config_lock());
    n = filters_.size();
    if (n <= kInline) std::copy(filters_.begin(), filters_.end(), inline_copy.begin());
    else heap_copy = filters_;
  }
  const FilterPtr* list = n <= kInline ? inline_copy.data() : heap_copy.data();
  for (std::size_t i = 0; i < n; ++i)
    if (!list[i]->filter(record)) return false;
  return true;
}

}  // namespace prun::logging
