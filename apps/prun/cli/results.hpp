#pragma once
/// --results: each job's stdout, stderr and sequence number in files of their own.

#include "jobs.hpp"

#include <cstddef>
#include <string>
#include <string_view>
#include <unordered_map>

namespace prun::cli {

/// Writes the files of --results as the jobs run (GNU parallel's layout, see result_paths).
/// Each attempt of a job starts its files again. Single-threaded.
class ResultsWriter {
 public:
  explicit ResultsWriter(std::string results) : results_(std::move(results)) {}
  ~ResultsWriter();
  ResultsWriter(const ResultsWriter&) = delete;
  ResultsWriter& operator=(const ResultsWriter&) = delete;

  /// Whether job's files are there already (what --resume skips). 
  bool exists(const Job& job) const;
  /// Makes the directory and the files of a job about to start (engine number `index`).
  /// Throws std::system_error when they cannot be made.
  void start(std::size_t index, const Job& job);
  void output(std::size_t index, int stream, std::string_view bytes);
  /// The attempt is over; the files are closed when `final`, emptied for the next attempt else.
  void done(std::size_t index, bool final);

 private:
  struct Files {
    int out = -1, err = -1;
  };
  std::string results_;
  std::unordered_map<std::size_t, Files> open_;
};

}  // namespace prun::cli
