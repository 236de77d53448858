#include "output.hpp"

#include <sys/random.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <random>

namespace prun::pool::detail {

Marker Marker::random() {
  Marker m;
  m.magic = {'\0', 'p', 'r', 'u', 'n'};
  if (::getrandom(m.magic.data() + 5, kMagic - 5, 0) != static_cast<ssize_t>(kMagic - 5)) {
    std::random_device rd;
    for (std::size_t i = 5; i < kMagic; ++i) m.magic[i] = static_cast<char>(rd());
  }
  return m;
}

std::array<char, Marker::kSize> Marker::for_task(std::uint64_t task) const {
  std::array<char, kSize> out{};
  std::memcpy(out.data(), magic.data(), kMagic);
  std::memcpy(out.data() + kMagic, &task, sizeof task);
  return out;
}

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

LineRouter::LineRouter(int dest_fd, PrefixOf prefix_of, const Marker* marker)
    : dest_fd_(dest_fd), prefix_of_(std::move(prefix_of)), marker_(marker) {}

void LineRouter::begin_task(std::size_t task) {
  end_task();
  task_ = static_cast<std::int64_t>(task);
  prefix_ = prefix_of_(task);
}

void LineRouter::end_task() {
  if (!line_.empty()) {
    emit_line(line_, {});
    line_.clear();
  }
}

void LineRouter::emit_line(std::string_view a, std::string_view b) {
  out_.append(prefix_);
  out_.append(a);
  out_.append(b);
  out_.push_back('\n');
}

void LineRouter::text(std::string_view bytes) {
  while (!bytes.empty()) {
    auto nl = bytes.find('\n');
    if (nl == std::string_view::npos) {
      line_.append(bytes);
      if (line_.size() >= kMaxLine) end_task();
      return;
    }
    if (line_.empty()) {
      emit_line(bytes.substr(0, nl), {});
    } else {
      emit_line(line_, bytes.substr(0, nl));
      line_.clear();
    }
    bytes.remove_prefix(nl + 1);
  }
}

void LineRouter::feed(std::string_view bytes) {
  if (!marker_) {
    text(bytes);
    return;
  }
  pending_.append(bytes);
  std::string_view all = pending_;
  const std::string_view magic(marker_->magic.data(), Marker::kMagic);
  std::size_t pos = 0;
  while (pos < all.size()) {
    std::size_t m = all.find(magic, pos);
    if (m == std::string_view::npos) {
      // A marker may start in the last kSize-1 bytes; hold those back only if a NUL is there.
      std::size_t keep_from = all.size();
      std::size_t tail = all.size() > Marker::kSize - 1 ? all.size() - (Marker::kSize - 1) : 0;
      if (auto nul = all.find('\0', std::max(tail, pos)); nul != std::string_view::npos) keep_from = nul;
      text(all.substr(pos, keep_from - pos));
      pos = keep_from;
      break;
    }
    text(all.substr(pos, m - pos));
    if (m + Marker::kSize > all.size()) {
      pos = m;
      break;
    }
    std::uint64_t task = 0;
    std::memcpy(&task, all.data() + m + Marker::kMagic, sizeof task);
    begin_task(task);
    pos = m + Marker::kSize;
  }
  pending_.erase(0, pos);
}

void LineRouter::finish() {
  text(pending_);
  pending_.clear();
  end_task();
  flush();
}

void LineRouter::flush() {
  if (out_.size() == 0) return;
  write_all(dest_fd_, out_.data(), out_.size());  // a closed destination drops the output
  out_.clear();
}

}  // namespace prun::pool::detail
