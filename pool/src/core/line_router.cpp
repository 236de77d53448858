#include "line_router.hpp"

#include <algorithm>

namespace prun::pool::core {

LineRouter::LineRouter(Write write, PrefixOf prefix_of) : write_(std::move(write)), prefix_of_(std::move(prefix_of)) {}

const std::string& LineRouter::prefix(std::size_t task) {
  if (task != prefix_task_) {
    prefix_ = prefix_of_(task);
    prefix_task_ = task;
  }
  return prefix_;
}

void LineRouter::emit(std::size_t task, std::string_view a, std::string_view b) {
  out_.append(prefix(task));
  out_.append(a);
  out_.append(b);
  out_.push_back('\n');
  if (out_.size() >= 64 * 1024) flush();
}

void LineRouter::text(std::size_t task, std::string_view bytes) {
  if (!prefix_of_) {  // pass-through
    out_.append(bytes);
    if (out_.size() >= 64 * 1024) flush();
    return;
  }
  auto it = std::find_if(partials_.begin(), partials_.end(), [&](const Partial& p) { return p.task == task; });
  std::string none;
  std::string& held = it == partials_.end() ? none : it->line;
  while (!bytes.empty()) {
    const auto nl = bytes.find('\n');
    std::string_view segment = bytes.substr(0, nl);
    // More of the line is known to follow the first kMaxLine bytes: cut a piece.
    while (held.size() + segment.size() > kMaxLine) {
      const std::size_t take = kMaxLine - held.size();
      emit(task, held, segment.substr(0, take));
      held.clear();
      segment.remove_prefix(take);
    }
    if (nl == std::string_view::npos) {
      held.append(segment);
      break;
    }
    emit(task, held, segment);
    held.clear();
    bytes.remove_prefix(nl + 1);
  }
  if (it == partials_.end() && !none.empty()) partials_.push_back(Partial{task, std::move(none)});
  else if (it != partials_.end() && it->line.empty()) partials_.erase(it);
}

void LineRouter::end(std::size_t task) {
  auto it = std::find_if(partials_.begin(), partials_.end(), [&](const Partial& p) { return p.task == task; });
  if (it == partials_.end()) return;
  if (!it->line.empty()) emit(task, it->line, {});
  partials_.erase(it);
}

void LineRouter::finish() {
  for (const Partial& p : partials_)
    if (!p.line.empty()) emit(p.task, p.line, {});
  partials_.clear();
  flush();
}

void LineRouter::flush() {
  if (out_.size() == 0) return;
  write_(std::string_view(out_.data(), out_.size()));
  out_.clear();
}

std::size_t LineRouter::pending() const noexcept {
  std::size_t n = 0;
  for (const Partial& p : partials_) n += p.line.size();
  return n;
}

}  // namespace prun::pool::core
