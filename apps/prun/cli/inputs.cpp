#include "inputs.hpp"

#include "values.hpp"

#include <fmt/format.h>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <system_error>

namespace prun::cli {

RecordReader::RecordReader(int fd, std::string delimiter, bool owned)
    : fd_(fd), owned_(owned), delimiter_(std::move(delimiter)) {
  if (delimiter_.empty()) delimiter_ = "\n";
}

RecordReader::~RecordReader() {
  if (owned_ && fd_ >= 0) ::close(fd_);
}

std::optional<std::string> RecordReader::next() {
  std::size_t scanned = start_;
  for (;;) {
    std::size_t at = buffer_.find(delimiter_, scanned);
    if (at != std::string::npos) {
      std::string record = buffer_.substr(start_, at - start_);
      start_ = at + delimiter_.size();
      return record;
    }
    if (eof_) {
      if (start_ >= buffer_.size()) return std::nullopt;
      std::string record = buffer_.substr(start_);
      start_ = buffer_.size();
      return record;
    }
    // Keep what a delimiter split across two reads needs to be found.
    scanned = buffer_.size() >= delimiter_.size() - 1 ? buffer_.size() - (delimiter_.size() - 1) : 0;
    if (start_ > 0) {
      buffer_.erase(0, start_);
      scanned -= std::min(scanned, start_);
      start_ = 0;
    }
    char chunk[65536];
    ssize_t n = ::read(fd_, chunk, sizeof chunk);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw std::system_error(errno, std::generic_category(), "reading the input");
    }
    if (n == 0) {
      eof_ = true;
      if (owned_) {
        ::close(fd_);
        fd_ = -1;
      }
      continue;
    }
    buffer_.append(chunk, static_cast<std::size_t>(n));
  }
}

struct InputQueue::Source {
  std::vector<std::string> list;
  std::size_t pos = 0;
  std::unique_ptr<RecordReader> reader;
  std::optional<std::string> peeked;

  std::optional<std::string> next() {
    if (peeked) {
      std::optional<std::string> v = std::move(peeked);
      peeked.reset();
      return v;
    }
    if (reader) return reader->next();
    if (pos < list.size()) return list[pos++];
    return std::nullopt;
  }
  bool empty() {
    if (!peeked) peeked = next();
    return !peeked.has_value();
  }
};

InputQueue::InputQueue(const std::vector<SourceSpec>& specs, InputSettings settings) : settings_(std::move(settings)) {
  if (settings_.max_args == 0) settings_.max_args = 1;
  if (!settings_.colsep.empty()) {
    try {
      colsep_.emplace(settings_.colsep, std::regex::ECMAScript | std::regex::optimize);
    } catch (const std::regex_error& e) {
      throw UsageError(fmt::format("--colsep '{}' is not a regular expression: {}", settings_.colsep, e.what()));
    }
  }
  std::vector<std::vector<std::unique_ptr<Source>>> groups;
  for (const SourceSpec& spec : specs) {
    auto source = std::make_unique<Source>();
    if (spec.kind == SourceSpec::Kind::list) {
      source->list = spec.values;
    } else if (spec.path == "-") {
      source->reader = std::make_unique<RecordReader>(0, settings_.delimiter, false);
    } else {
      int fd = ::open(spec.path.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0) throw UsageError(fmt::format("cannot open input file '{}': {}", spec.path, std::strerror(errno)));
      source->reader = std::make_unique<RecordReader>(fd, settings_.delimiter, true);
    }
    if (spec.linked && !groups.empty()) groups.back().push_back(std::move(source));
    else groups.emplace_back().push_back(std::move(source));
  }
  // Every source empty: no job. Otherwise an empty source gives one empty argument.
  bool all_empty = true;
  for (auto& group : groups)
    for (auto& source : group) all_empty = all_empty && source->empty();
  if (all_empty) {
    empty_ = true;
    return;
  }
  for (auto& group : groups)
    for (auto& source : group)
      if (source->empty()) source->list = {std::string()}, source->reader.reset(), source->pos = 0;
  first_group_ = std::move(groups.front());
  for (std::size_t g = 1; g < groups.size(); ++g) {
    std::vector<Row> rows;
    for (;;) {
      Row row;
      for (auto& source : groups[g]) {
        auto v = source->next();
        if (!v) break;
        row.push_back(std::move(*v));
      }
      if (row.size() != groups[g].size()) break;  // linked sources end with the shortest
      rows.push_back(std::move(row));
    }
    other_groups_.push_back(std::move(rows));
  }
  odometer_.assign(other_groups_.size(), 0);
}

InputQueue::~InputQueue() = default;

std::optional<InputQueue::Row> InputQueue::next_first_group_row() {
  Row row;
  for (auto& source : first_group_) {
    auto v = source->next();
    if (!v) return std::nullopt;
    row.push_back(std::move(*v));
  }
  return row;
}

std::optional<InputQueue::Row> InputQueue::next_row() {
  if (empty_ || done_) return std::nullopt;
  if (other_groups_.empty()) {
    auto row = next_first_group_row();
    if (!row) done_ = true;
    return row;
  }
  if (!current_first_) {
    current_first_ = next_first_group_row();
    if (!current_first_) {
      done_ = true;
      return std::nullopt;
    }
  }
  Row row = *current_first_;
  for (std::size_t g = 0; g < other_groups_.size(); ++g) {
    const Row& part = other_groups_[g][odometer_[g]];
    row.insert(row.end(), part.begin(), part.end());
  }
  // Advance: the last source varies fastest.
  std::size_t g = other_groups_.size();
  while (g > 0) {
    --g;
    if (++odometer_[g] < other_groups_[g].size()) break;
    odometer_[g] = 0;
    if (g == 0) current_first_.reset();
  }
  return row;
}

InputQueue::Row InputQueue::split_columns(Row row) const {
  if (!colsep_) return row;
  // Perl's split with a limit of -1, as GNU parallel splits: empty fields are kept, the
  // trailing ones too.
  Row columns;
  for (const std::string& value : row) {
    auto it = value.cbegin();
    std::smatch match;
    auto flags = std::regex_constants::match_default;
    while (it != value.cend() && std::regex_search(it, value.cend(), match, *colsep_, flags) && match.length(0) > 0) {
      columns.emplace_back(it, match[0].first);
      it = match[0].second;
      flags |= std::regex_constants::match_prev_avail;
    }
    columns.emplace_back(it, value.cend());
  }
  return columns;
}

std::size_t InputQueue::read_all() {
  std::deque<JobArgs> all;
  while (auto job = next()) all.push_back(std::move(*job));
  read_ahead_ = std::move(all);
  return read_ahead_.size();
}

std::optional<JobArgs> InputQueue::next() {
  if (!read_ahead_.empty()) {
    JobArgs job = std::move(read_ahead_.front());
    read_ahead_.pop_front();
    return job;
  }
  JobArgs job;
  while (job.rows.size() < settings_.max_args) {
    auto row = next_row();
    if (!row) break;
    Row columns = split_columns(std::move(*row));
    job.flat.insert(job.flat.end(), columns.begin(), columns.end());
    job.rows.push_back(std::move(columns));
  }
  if (job.rows.empty()) return std::nullopt;
  return job;
}

}  // namespace prun::cli
