#pragma once
/// Jobs from arguments: sequence numbers, command lines, tags; the jobs --resume skips.

#include "inputs.hpp"
#include "template.hpp"

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

namespace prun::cli {

struct CliOptions;

/// One job as the command line makes it.
struct Job {
  std::size_t seq = 0;     ///< 1-based position in the input ({#}), skipped jobs included
  int slot = 0;            ///< its job slot ({%}), 1..n_jobs
  std::string command;     ///< what /bin/sh -c runs
  std::string args_text;   ///< the arguments joined with spaces
  std::string tag;         ///< --tagstring expanded, else args_text: what names the job
  std::string prefix;      ///< put before each output line ("TAG\t"), "" without --tag/--tagstring
  JobArgs args;
};

/// Makes the jobs in input order. Not thread-safe.
class JobMaker {
 public:
  /// Takes the command, tag options and input sources from `options` (opens the inputs: throws
  /// UsageError for a file that cannot be read).
  explicit JobMaker(const CliOptions& options);

  /// Sequence numbers not to run again (--resume), and a test for other reasons to skip one
  /// (--resume with --results: its results exist).
  void skip(std::unordered_set<std::size_t> seqs) { skip_ = std::move(seqs); }
  void skip_if(std::function<bool(const Job&)> test) { skip_if_ = std::move(test); }

  /// Reads the whole input now; returns how many jobs it holds that skip() does not skip.
  std::size_t count_jobs();
  /// The next job to run, with `slot` as its {%}; nullopt when the input is over.
  std::optional<Job> next(int slot);
  /// Jobs made so far plus those skipped (the last sequence number).
  std::size_t last_seq() const noexcept { return seq_; }

 private:
  InputQueue input_;
  Template command_;
  bool quote_ = true;
  std::optional<Template> tagstring_;
  bool tag_ = false;
  std::size_t seq_ = 0;
  std::unordered_set<std::size_t> skip_;
  std::function<bool(const Job&)> skip_if_;
};

/// --results DIR: where job `job`'s files go. A DIR without replacement strings gives the
/// directory DIR/1/<value>/2/<value>/... (GNU parallel's layout: \ / TAB NUL written as \\ \_
/// \t \0) holding stdout, stderr and seq; with replacement strings it names the stdout file
/// itself, beside FILE.err and FILE.seq.
struct ResultPaths {
  std::string dir;  ///< made before the job starts
  std::string out, err, seq;
};
ResultPaths result_paths(const std::string& results, const Job& job);

}  // namespace prun::cli
