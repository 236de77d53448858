#include "output.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace prun::pool::detail {

bool write_all(int fd, const char* data, std::size_t size) {
  while (size > 0) {
    ssize_t n = ::write(fd, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

LineRouter::LineRouter(int dest_fd, PrefixOf prefix_of) : dest_fd_(dest_fd), prefix_of_(std::move(prefix_of)) {}

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
}

void LineRouter::text(std::size_t task, std::string_view bytes) {
  auto it = std::find_if(partials_.begin(), partials_.end(), [&](const Partial& p) { return p.task == task; });
  while (!bytes.empty()) {
    auto nl = bytes.find('\n');
    if (nl == std::string_view::npos) {
      if (it == partials_.end()) it = partials_.insert(partials_.end(), Partial{task, {}});
      it->line.append(bytes);
      if (it->line.size() >= kMaxLine) {
        emit(task, it->line, {});
        partials_.erase(it);
      }
      return;
    }
    if (it == partials_.end()) {
      emit(task, bytes.substr(0, nl), {});
    } else {
      emit(task, it->line, bytes.substr(0, nl));
      partials_.erase(it);
      it = partials_.end();
    }
    bytes.remove_prefix(nl + 1);
  }
}

void LineRouter::end(std::size_t task) {
  auto it = std::find_if(partials_.begin(), partials_.end(), [&](const Partial& p) { return p.task == task; });
  if (it == partials_.end()) return;
  emit(task, it->line, {});
  partials_.erase(it);
}

void LineRouter::finish() {
  for (const Partial& p : partials_) emit(p.task, p.line, {});
  partials_.clear();
  flush();
}

void LineRouter::flush() {
  if (out_.size() == 0) return;
  write_all(dest_fd_, out_.data(), out_.size());  // a closed destination drops the output
  out_.clear();
}

}  // namespace prun::pool::detail
