#include "jobs.hpp"

#include "options.hpp"

namespace prun::cli {

JobMaker::JobMaker(const CliOptions& options) : input_(options.sources, options.input), tag_(options.tag) {
  std::string text;
  for (std::size_t i = 0; i < options.command.size(); ++i) text += (i ? " " : "") + options.command[i];
  if (options.command.empty()) {
    command_ = Template("{}");  // the input lines are the commands: not quoted
    quote_ = false;
  } else {
    command_ = Template(text);
    if (!command_.has_replacements()) command_ = command_.with_all_args_appended();
  }
  if (options.tagstring) tagstring_.emplace(*options.tagstring);
}

std::size_t JobMaker::count_jobs() {
  const std::size_t all = input_.read_all();
  std::size_t skipped = 0;
  for (std::size_t seq = seq_ + 1; seq <= seq_ + all; ++seq) skipped += skip_.count(seq);
  return all - skipped;
}

std::optional<Job> JobMaker::next(int slot) {
  for (;;) {
    auto args = input_.next();
    if (!args) return std::nullopt;
    Job job;
    job.seq = ++seq_;
    job.slot = slot;
    job.args = std::move(*args);
    if (skip_.count(job.seq)) continue;
    JobValues values{.args = &job.args.flat, .seq = job.seq, .slot = slot};
    job.command = command_.expand(values, quote_);
    for (std::size_t i = 0; i < job.args.flat.size(); ++i) job.args_text += (i ? " " : "") + job.args.flat[i];
    job.tag = tagstring_ ? tagstring_->expand(values, false) : job.args_text;
    if (tagstring_ || tag_) job.prefix = job.tag + '\t';
    if (skip_if_ && skip_if_(job)) continue;
    return job;
  }
}

namespace {

std::string escape_dir_name(const std::string& value) {
  std::string out;
  for (char c : value) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '\t': out += "\\t"; break;
      case '\0': out += "\\0"; break;
      case '/': out += "\\_"; break;
      default: out += c;
    }
  }
  return out;
}

}  // namespace

ResultPaths result_paths(const std::string& results, const Job& job) {
  Template name(results);
  ResultPaths paths;
  if (!name.has_replacements()) {
    std::string dir = results;
    for (const auto& row : job.args.rows)
      for (std::size_t col = 0; col < row.size(); ++col) dir += "/" + std::to_string(col + 1) + "/" + escape_dir_name(row[col]);
    paths.dir = dir;
    paths.out = dir + "/stdout";
    paths.err = dir + "/stderr";
    paths.seq = dir + "/seq";
    return paths;
  }
  JobValues values{.args = &job.args.flat, .seq = job.seq, .slot = job.slot};
  std::string file = name.expand(values, false);
  if (file.ends_with('/')) {
    paths.dir = file;
    paths.out = file + "stdout";
    paths.err = file + "stderr";
    paths.seq = file + "seq";
    return paths;
  }
  auto slash = file.rfind('/');
  paths.dir = slash == std::string::npos ? "." : file.substr(0, slash);
  paths.out = file;
  paths.err = file + ".err";
  paths.seq = file + ".seq";
  return paths;
}

}  // namespace prun::cli
