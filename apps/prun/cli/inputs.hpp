#pragma once
/// Where the arguments come from: ::: lists, :::: files and -a files, standard input; their
/// product (several sources) or their pairing (:::+ / ::::+), --colsep columns and -n groups.

#include <cstddef>
#include <deque>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <vector>

namespace prun::cli {

/// Reads records that end with `delimiter` (or at the end of the input) from a descriptor, as
/// they are needed: one read() of up to 64 KiB when no whole record is buffered.
class RecordReader {
 public:
  /// Reads `fd`; closes it at the end when `owned`.
  RecordReader(int fd, std::string delimiter, bool owned);
  ~RecordReader();
  RecordReader(const RecordReader&) = delete;
  RecordReader& operator=(const RecordReader&) = delete;
  /// The next record, without its delimiter; nullopt at the end. Throws std::system_error.
  std::optional<std::string> next();

 private:
  int fd_;
  bool owned_;
  bool eof_ = false;
  std::string delimiter_;
  std::string buffer_;
  std::size_t start_ = 0;
};

/// One input source as the command line gives it.
struct SourceSpec {
  enum class Kind { list, file } kind = Kind::list;
  std::vector<std::string> values;  ///< Kind::list: the ::: arguments
  std::string path;                 ///< Kind::file: a path, "-" for standard input
  bool linked = false;              ///< :::+ / ::::+: paired with the source before it
};

/// The arguments of one job: its rows (one per input line, a value per column: one column per
/// source, or per --colsep field) and all of them in order, which {1}, {2}... and {} refer to.
struct JobArgs {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> flat;
};

struct InputSettings {
  std::string delimiter = "\n";  ///< ends each record of a file or standard input
  std::string colsep;            ///< a regular expression splitting each value in columns; "" none
  std::size_t max_args = 1;      ///< -n: rows per job
};

/// The jobs' arguments in GNU parallel's order: the first source varies slowest. The first
/// group of linked sources is read as jobs are asked for; the others are read whole at the
/// start (a product goes over them again and again). When every source is empty there is no
/// job; otherwise an empty source counts as one empty argument (as in GNU parallel).
class InputQueue {
 public:
  /// Opens the files; throws UsageError naming a file that cannot be opened.
  InputQueue(const std::vector<SourceSpec>& sources, InputSettings settings);
  ~InputQueue();
  InputQueue(const InputQueue&) = delete;
  InputQueue& operator=(const InputQueue&) = delete;

  /// The next job's arguments, or nullopt when the input is over.
  std::optional<JobArgs> next();
  /// Reads the whole input now (for what needs the number of jobs: --eta, --bar, --halt N%)
  /// and returns how many jobs it makes; next() then hands them out.
  std::size_t read_all();

 private:
  struct Source;
  using Row = std::vector<std::string>;
  std::optional<Row> next_row();
  std::optional<Row> next_first_group_row();
  Row split_columns(Row row) const;

  InputSettings settings_;
  std::optional<std::regex> colsep_;
  std::vector<std::unique_ptr<Source>> first_group_;  // read lazily
  std::vector<std::vector<Row>> other_groups_;         // read whole
  std::vector<std::size_t> odometer_;                  // position in each other group
  std::optional<Row> current_first_;
  std::deque<JobArgs> read_ahead_;
  bool empty_ = false;
  bool done_ = false;
};

}  // namespace prun::cli
