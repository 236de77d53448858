#pragma once
// Python's Logger.callHandlers, shared by the live hierarchy and HierarchySnapshot.

#include <prun/logging/hierarchy.hpp>
#include <prun/logging/logger.hpp>

#include <array>
#include <vector>

namespace prun::logging::detail {

/// The handlers a record meets on its way up, collected before any of them runs (so that no
/// lock is held while handlers run). Room for 8 without allocating.
class CollectedHandlers {
 public:
  void push(const HandlerPtr& h) {
    if (n_ < inline_.size()) inline_[n_] = h;
    else more_.push_back(h);
    ++n_;
  }
  std::size_t size() const noexcept { return n_; }
  Handler& operator[](std::size_t i) const noexcept {
    return i < inline_.size() ? *inline_[i] : *more_[i - inline_.size()];
  }

 private:
  std::array<HandlerPtr, 8> inline_;
  std::vector<HandlerPtr> more_;
  std::size_t n_ = 0;
};

/// Hands `record` to each collected handler whose level allows it; to the last resort when
/// none was found on the way (Python: `found == 0`).
inline void call_collected(const CollectedHandlers& list, Record& record) {
  for (std::size_t i = 0; i < list.size(); ++i)
    if (record.levelno >= list[i].level()) list[i].handle(record);
  if (list.size() == 0 && record.levelno >= last_resort().level()) last_resort().handle(record);
}

}  // namespace prun::logging::detail
