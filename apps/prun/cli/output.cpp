#include "output.hpp"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <system_error>

namespace prun::cli {

// ---- Spool ----

std::unique_ptr<char[]> SpoolBudget::take_chunk() {
  if (free_chunks.empty()) return std::make_unique_for_overwrite<char[]>(kChunk);
  std::unique_ptr<char[]> c = std::move(free_chunks.back());
  free_chunks.pop_back();
  return c;
}

void SpoolBudget::give_back(std::unique_ptr<char[]> chunk) {
  if (free_chunks.size() * kChunk < limit) free_chunks.push_back(std::move(chunk));
}

namespace {

void write_to_file(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw std::system_error(errno, std::generic_category(), "writing held output to a temporary file");
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
}

}  // namespace

Spool::~Spool() {
  if (fd_ >= 0) ::close(fd_);
}

void Spool::spill(SpoolBudget& budget) {
  const char* dir = std::getenv("TMPDIR");
  if (!dir || !*dir) dir = "/tmp";
  fd_ = ::open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd_ < 0) {
    std::string path = std::string(dir) + "/prun-output-XXXXXX";
    fd_ = ::mkostemp(path.data(), O_CLOEXEC);
    if (fd_ < 0) throw std::system_error(errno, std::generic_category(), "a temporary file for held output in " + std::string(dir));
    ::unlink(path.c_str());
  }
  const std::size_t held = size_;
  for (std::size_t k = 0; k < chunks_.size(); ++k)
    write_to_file(fd_, std::string_view(chunks_[k].get(), std::min(SpoolBudget::kChunk, size_ - k * SpoolBudget::kChunk)));
  clear_memory(budget);
  file_size_ = held;
}

void Spool::append(std::string_view bytes, SpoolBudget& budget) {
  if (fd_ < 0 && budget.used + bytes.size() > budget.limit) spill(budget);
  if (fd_ >= 0) {
    write_to_file(fd_, bytes);
    file_size_ += bytes.size();
    return;
  }
  budget.used += bytes.size();
  while (!bytes.empty()) {
    const std::size_t at = size_ % SpoolBudget::kChunk;
    if (at == 0 && size_ / SpoolBudget::kChunk == chunks_.size()) chunks_.push_back(budget.take_chunk());
    const std::size_t n = std::min(bytes.size(), SpoolBudget::kChunk - at);
    std::memcpy(chunks_.back().get() + at, bytes.data(), n);
    size_ += n;
    bytes.remove_prefix(n);
  }
}

void Spool::drain(const std::function<void(std::string_view)>& sink, SpoolBudget& budget) {
  if (fd_ >= 0) {
    std::unique_ptr<char[]> chunk = budget.take_chunk();
    for (off_t at = 0; at < static_cast<off_t>(file_size_);) {
      ssize_t n = ::pread(fd_, chunk.get(), SpoolBudget::kChunk, at);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) throw std::system_error(n < 0 ? errno : EIO, std::generic_category(), "reading held output back");
      sink(std::string_view(chunk.get(), static_cast<std::size_t>(n)));
      at += n;
    }
    budget.give_back(std::move(chunk));
  } else {
    for (std::size_t k = 0; k < chunks_.size(); ++k)
      sink(std::string_view(chunks_[k].get(), std::min(SpoolBudget::kChunk, size_ - k * SpoolBudget::kChunk)));
  }
  clear(budget);
}

void Spool::clear(SpoolBudget& budget) {
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
    file_size_ = 0;
  }
  clear_memory(budget);
}

void Spool::clear_memory(SpoolBudget& budget) {
  budget.used -= size_;
  size_ = 0;
  for (auto& c : chunks_) budget.give_back(std::move(c));
  chunks_.clear();
}

bool write_fully(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n >= 0) {
      bytes.remove_prefix(static_cast<std::size_t>(n));
      continue;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN) {  // a descriptor left non-blocking by whoever gave it to us
      pollfd p{fd, POLLOUT, 0};
      ::poll(&p, 1, -1);
      continue;
    }
    if (errno == EPIPE) return false;
    throw std::system_error(errno, std::generic_category(), fd == 2 ? "writing to stderr" : "writing to stdout");
  }
  return true;
}

// ---- OutputSink ----

struct OutputSink::JobState {
  std::size_t index = 0;
  std::string prefix;
  Spool held[2];
  std::string partial[2];  // --line-buffer: the unfinished last line
  bool line_start[2] = {true, true};
  bool last_cr[2] = {false, false};
  bool done = false;
  bool live = false;  // its bytes are printed as they come
};

OutputSink::OutputSink(Settings settings) : settings_(settings) { budget_.limit = settings_.memory_budget; }

OutputSink::~OutputSink() = default;

OutputSink::JobState* OutputSink::find(std::size_t job) {
  if (job < base_ || job - base_ >= jobs_.size()) return nullptr;
  return jobs_[job - base_].get();
}

void OutputSink::add_job(std::size_t job, std::string prefix) {
  while (base_ + jobs_.size() < job) jobs_.push_back(nullptr);  // numbers never given stay empty
  auto state = std::make_unique<JobState>();
  state->index = job;
  state->prefix = settings_.mode == OutputMode::ungroup ? std::string() : std::move(prefix);
  state->live = settings_.mode != OutputMode::group && !settings_.keep_order;
  jobs_.push_back(std::move(state));
  if (settings_.keep_order) advance_head();
}

void OutputSink::write_out(JobState& job, int stream, std::string_view bytes) {
  if (!settings_.print || closed_ || bytes.empty()) return;
  const int s = stream == 2 ? 1 : 0;
  const int fd = stream == 2 ? settings_.err_fd : settings_.out_fd;
  job.last_cr[s] = bytes.back() == '\r';
  if (job.prefix.empty()) {
    if (!write_fully(fd, bytes)) closed_ = true;
    return;
  }
  // The tag goes before every line, and after every carriage return (as GNU parallel does).
  scratch_.clear();
  std::size_t i = 0;
  while (i < bytes.size()) {
    if (job.line_start[s]) {
      scratch_ += job.prefix;
      job.line_start[s] = false;
    }
    std::size_t end = bytes.find_first_of("\n\r", i);
    if (end == std::string_view::npos) {
      scratch_.append(bytes.substr(i));
      break;
    }
    scratch_.append(bytes.substr(i, end + 1 - i));
    job.line_start[s] = true;
    i = end + 1;
    if (scratch_.size() >= (std::size_t{1} << 16)) {
      if (!write_fully(fd, scratch_)) closed_ = true;
      scratch_.clear();
    }
  }
  if (!closed_ && !write_fully(fd, scratch_)) closed_ = true;
}

void OutputSink::write_lines(JobState& job, int stream, std::string_view bytes) {
  if (settings_.mode == OutputMode::ungroup) {
    write_out(job, stream, bytes);
    return;
  }
  std::string& partial = job.partial[stream == 2 ? 1 : 0];
  const std::size_t last_newline = bytes.rfind('\n');
  if (last_newline == std::string_view::npos) {
    partial.append(bytes);
    return;
  }
  if (partial.empty()) {
    write_out(job, stream, bytes.substr(0, last_newline + 1));
  } else {
    partial.append(bytes.substr(0, last_newline + 1));
    write_out(job, stream, partial);
    partial.clear();
  }
  partial.append(bytes.substr(last_newline + 1));
}

void OutputSink::output(std::size_t job, int stream, std::string_view bytes) {
  JobState* state = find(job);
  if (!state || bytes.empty()) return;
  if (state->live) write_lines(*state, stream, bytes);
  else state->held[stream == 2 ? 1 : 0].append(bytes, budget_);
}

void OutputSink::release(JobState& job) {
  for (int stream : {1, 2}) {
    job.held[stream - 1].drain(
        [&](std::string_view bytes) {
          if (settings_.mode == OutputMode::group) write_out(job, stream, bytes);
          else write_lines(job, stream, bytes);
        },
        budget_);
  }
}

void OutputSink::finish(JobState& job) {
  for (int stream : {1, 2}) {
    std::string& partial = job.partial[stream - 1];
    if (!partial.empty()) {
      std::string rest;
      rest.swap(partial);
      write_out(job, stream, rest);
    }
    if (job.last_cr[stream - 1] && !job.prefix.empty() && settings_.print && !closed_)
      if (!write_fully(stream == 2 ? settings_.err_fd : settings_.out_fd, job.prefix)) closed_ = true;
  }
}

void OutputSink::advance_head() {
  while (!jobs_.empty()) {
    JobState* head = jobs_.front().get();
    if (head && !head->done) {
      if (settings_.mode != OutputMode::group && !head->live) {
        head->live = true;
        release(*head);  // what it printed while it waited, then live
      }
      return;
    }
    if (head) {
      release(*head);
      finish(*head);
    }
    jobs_.pop_front();
    ++base_;
  }
}

void OutputSink::job_done(std::size_t job, bool final) {
  JobState* state = find(job);
  if (!state) return;
  if (!final) {
    // Another attempt follows: what this one printed and is not out yet is dropped.
    for (auto& held : state->held) held.clear(budget_);
    if (state->live) finish(*state);
    for (auto& p : state->partial) p.clear();
    return;
  }
  state->done = true;
  if (settings_.keep_order) {
    advance_head();
    return;
  }
  release(*state);
  finish(*state);
  jobs_[job - base_].reset();
  while (!jobs_.empty() && !jobs_.front()) {
    jobs_.pop_front();
    ++base_;
  }
}

void OutputSink::flush_all() {
  for (auto& state : jobs_) {
    if (!state) continue;
    release(*state);
    finish(*state);
  }
  base_ += jobs_.size();
  jobs_.clear();
}

}  // namespace prun::cli
