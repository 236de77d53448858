#pragma once
/// --joblog: GNU parallel's job log (TAB-separated: Seq Host Starttime JobRuntime Send Receive
/// Exitval Signal Command), written one whole line per finished job; and read back for --resume.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_set>

namespace prun::cli {

struct JoblogEntry {
  std::size_t seq = 0;
  double start_epoch_s = 0;  ///< wall-clock start, seconds since the epoch
  double runtime_s = 0;
  std::uint64_t received = 0;  ///< bytes the job wrote on stdout
  int exit_value = 0;          ///< -1 when killed (timeout, signal)
  int signal = 0;
  std::string_view command;
};

/// One line of the log, with its newline; newlines in the command become NUL, as in GNU parallel.
std::string joblog_line(const JoblogEntry& entry);

/// The header line, with its newline.
std::string_view joblog_header();

/// The sequence numbers --resume skips: every job in the log; with `failed_again`
/// (--resume-failed) only those that exited 0 without a signal. A missing file gives none.
/// Throws UsageError for a line that is not a joblog line.
std::unordered_set<std::size_t> read_joblog_done(const std::string& path, bool failed_again);

/// The log file. Opened as GNU parallel opens it: "-" is standard output, "+FILE" appends
/// (no header), FILE is overwritten with a header, except with `resume` where a log that has
/// lines is appended to. Each entry is one write(). Throws UsageError when the file cannot be opened.
class JoblogWriter {
 public:
  JoblogWriter(std::string spec, bool resume);
  ~JoblogWriter();
  JoblogWriter(const JoblogWriter&) = delete;
  JoblogWriter& operator=(const JoblogWriter&) = delete;
  void write(const JoblogEntry& entry);

 private:
  void write_all(std::string_view bytes);
  int fd_ = -1;
  bool owned_ = false;
};

}  // namespace prun::cli
