#pragma once
/// What the jobs print, on prun's stdout and stderr: grouped per job (--group), whole lines as
/// they come (--line-buffer), bytes as they come (--ungroup), in input order (-k), each line
/// tagged (--tag, --tagstring).

#include "options.hpp"

#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace prun::cli {

/// The memory the held output of all jobs may take before it goes to temporary files.
struct SpoolBudget {
  static constexpr std::size_t kChunk = std::size_t{1} << 20;
  std::size_t limit = std::size_t{256} << 20;
  std::size_t used = 0;
  /// Chunks given back, kept for the next jobs: their pages stay mapped, so holding a job's
  /// output costs a copy, not a page fault per 4 KiB (and a string's doubling copies).
  std::vector<std::unique_ptr<char[]>> free_chunks;
  std::unique_ptr<char[]> take_chunk();
  void give_back(std::unique_ptr<char[]> chunk);
};

/// The bytes of one stream of one job until they may be printed: in memory, or in an unlinked
/// temporary file ($TMPDIR, else /tmp) once the budget is spent.
class Spool {
 public:
  Spool() = default;
  ~Spool();
  Spool(const Spool&) = delete;
  Spool& operator=(const Spool&) = delete;
  void append(std::string_view bytes, SpoolBudget& budget);
  bool empty() const noexcept { return size_ == 0 && file_size_ == 0; }
  /// Hands the bytes to `sink` in order, in pieces, then empties the spool.
  void drain(const std::function<void(std::string_view)>& sink, SpoolBudget& budget);
  void clear(SpoolBudget& budget);

 private:
  void spill(SpoolBudget& budget);
  void clear_memory(SpoolBudget& budget);
  std::vector<std::unique_ptr<char[]>> chunks_;  // the memory part: full chunks, the last one filling
  std::size_t size_ = 0;                          // bytes held in memory
  int fd_ = -1;
  std::size_t file_size_ = 0;
};

/// Writes to a descriptor whole (EINTR, short writes, a non-blocking descriptor). Returns
/// false when the reader is gone (EPIPE); throws std::system_error for other errors.
bool write_fully(int fd, std::string_view bytes);

/// Prints the jobs' output as the options ask. Jobs are numbered 0, 1, 2... in input order
/// (the order -k keeps). Single-threaded.
class OutputSink {
 public:
  struct Settings {
    OutputMode mode = OutputMode::group;
    bool keep_order = false;
    bool print = true;  ///< false: nothing is printed (--results holds the output)
    int out_fd = 1, err_fd = 2;
    std::size_t memory_budget = std::size_t{256} << 20;
  };
  explicit OutputSink(Settings settings);
  ~OutputSink();

  /// Job `job` (the next number) will run; its lines start with `prefix` ("" for none).
  void add_job(std::size_t job, std::string prefix);
  /// Bytes job `job` wrote on stream 1 or 2.
  void output(std::size_t job, int stream, std::string_view bytes);
  /// The job's attempt is over. Final: its output may be printed. Not final (a retry follows):
  /// in --group mode what it printed is dropped, as GNU parallel prints only the last attempt.
  void job_done(std::size_t job, bool final);
  /// Prints whatever is still held, in input order (the run is over or was stopped).
  void flush_all();
  /// Standard output or error was closed by its reader (EPIPE): nothing more is printed.
  bool closed() const noexcept { return closed_; }

 private:
  struct JobState;
  JobState* find(std::size_t job);
  bool is_live(std::size_t job) const;
  void write_out(JobState& job, int stream, std::string_view bytes);
  void write_lines(JobState& job, int stream, std::string_view bytes);
  void release(JobState& job);
  void finish(JobState& job);
  void advance_head();

  Settings settings_;
  SpoolBudget budget_;
  std::deque<std::unique_ptr<JobState>> jobs_;  // jobs_[i] is job base_ + i
  std::size_t base_ = 0;
  std::string scratch_;
  bool closed_ = false;
};

}  // namespace prun::cli
