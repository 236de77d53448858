#include <prun/logging/filter.hpp>
#include <prun/logging/detail/fork_safe_mutex.hpp>

#include <algorithm>
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
}

void Filterer::remove_filter(const FilterPtr& filter) {
  std::unique_lock lock(detail::config_lock());
  std::erase(filters_, filter);
  n_filters_.store(filters_.size(), std::memory_order_release);
}

void Filterer::clear_filters() {
  std::unique_lock lock(detail::config_lock());
  filters_.clear();
  n_filters_.store(0, std::memory_order_release);
}

std::vector<FilterPtr> Filterer::filters() const {
  std::shared_lock lock(detail::config_lock());
  return filters_;
}

void Filterer::set_filters(std::vector<FilterPtr> filters) {
  std::unique_lock lock(detail::config_lock());
  filters_ = std::move(filters);
  n_filters_.store(filters_.size(), std::memory_order_release);
}

bool Filterer::filter(Record& record) const {
  if (n_filters_.load(std::memory_order_acquire) == 0) return true;
  std::shared_lock lock(detail::config_lock());
  for (const FilterPtr& f : filters_)
    if (!f->filter(record)) return false;
  return true;
}

}  // namespace prun::logging
