#include "joblog.hpp"

#include "values.hpp"

#include <fmt/format.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <regex>
#include <system_error>

namespace prun::cli {

std::string_view joblog_header() { return "Seq\tHost\tStarttime\tJobRuntime\tSend\tReceive\tExitval\tSignal\tCommand\n"; }

std::string joblog_line(const JoblogEntry& e) {
  std::string command(e.command);
  for (char& c : command)
    if (c == '\n') c = '\0';
  return fmt::format("{}\t:\t{:.3f}\t{:10.3f}\t0\t{}\t{}\t{}\t{}\n", e.seq, e.start_epoch_s, e.runtime_s, e.received,
                     e.exit_value, e.signal, command);
}

std::unordered_set<std::size_t> read_joblog_done(const std::string& path, bool failed_again) {
  std::unordered_set<std::size_t> done;
  std::ifstream in(path);
  if (!in) return done;
  // GNU parallel's two patterns: a job line, and one that ended well (Exitval 0, Signal 0).
  static const std::regex any_job(R"(^(\d+)\s+\S+(\s+[-0-9.]+){6}(\s|$))");
  static const std::regex succeeded(R"(^(\d+)(?:\t[^\t]+){5}\t0\t0\t)");
  std::string line;
  bool first = true;
  while (std::getline(in, line)) {
    if (first && line.starts_with("Seq\t")) {
      first = false;
      continue;
    }
    first = false;
    std::smatch m;
    if (!std::regex_search(line, m, any_job)) throw UsageError(fmt::format("the format of '{}' is wrong: {}", path, line));
    if (failed_again && !std::regex_search(line, m, succeeded)) continue;
    done.insert(std::stoull(m[1].str()));
  }
  return done;
}

JoblogWriter::JoblogWriter(std::string spec, bool resume) {
  bool write_header = true;
  if (spec == "-") {
    fd_ = 1;
  } else {
    // "+FILE" appends without a header; --resume appends to a log that has lines.
    const bool plus = spec.starts_with('+');
    if (plus) spec.erase(0, 1);
    struct stat st {};
    const bool has_content = ::stat(spec.c_str(), &st) == 0 && st.st_size > 0;
    const bool append = plus || (resume && has_content);
    write_header = !plus && !(resume && has_content);
    fd_ = ::open(spec.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | (append ? O_APPEND : O_TRUNC), 0666);
    if (fd_ < 0) throw UsageError(fmt::format("cannot write to --joblog '{}': {}", spec, std::strerror(errno)));
    owned_ = true;
  }
  if (write_header) write_all(joblog_header());
}

JoblogWriter::~JoblogWriter() {
  if (owned_) ::close(fd_);
}

void JoblogWriter::write(const JoblogEntry& entry) { write_all(joblog_line(entry)); }

void JoblogWriter::write_all(std::string_view rest) {
  while (!rest.empty()) {
    ssize_t n = ::write(fd_, rest.data(), rest.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      throw std::system_error(errno, std::generic_category(), "writing the joblog");
    }
    rest.remove_prefix(static_cast<std::size_t>(n));
  }
}

}  // namespace prun::cli
