// The command line is read by CLI11: short options bundled and with attached values (-kj4),
// --opt=value, values that start with '-' (-j -1), -0, and GNU parallel's "options stop at the
// command" (CLI11's prefix_command). What follows the options — the command's words and the
// ::: / :::: input sources — is GNU parallel's own grammar, read here.
#include "options.hpp"

#include <prun/pool/options.hpp>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

namespace prun::cli {

namespace {

bool is_separator(const std::string& word) {
  return word == ":::" || word == ":::+" || word == "::::" || word == "::::+";
}

}  // namespace

const char* help_text() {
  return R"(usage: prun [options] COMMAND [ARGS...] [::: VALUES... | :::: FILES...]...
       prun [options] COMMAND [ARGS...] < INPUT        (one job per input line)
       prun --n-jobs N [--n-tasks K] [--sleep-ms MS] [--log-level LEVEL]   (the demo)

Runs COMMAND once per argument, several at a time, as GNU parallel does (see docs/cli.md for
what is supported). Each job is `/bin/sh -c` of the command with its replacement strings
replaced by the job's arguments, shell-quoted; without any, the arguments are appended.
Output is printed per job, whole, when the job ends.

The two modes: when the first argument is --n-jobs, --n-tasks, --sleep-ms or --log-level,
prun runs the seed demo (joblib-style tasks that log, see README.md) and reads nothing from
standard input; anything else is a GNU parallel command line.

Input:
  ::: A B C          the values A, B, C; several ::: give every combination
  :::+ A B C         paired with the previous source, value by value
  :::: FILE          one value per line of FILE ("-": standard input); ::::+ pairs it
  -a, --arg-file F   as :::: F, before the ::: sources
  -0, --null         values end with NUL instead of a newline
  -d, --delimiter D  values end with D (\n, \t, \0, \xHH are understood)
  -C, --colsep RE    split each value in columns {1} {2}... at the regular expression RE
  -n, --max-args N   N values per job
Replacement strings:
  {} {.} {/} {//} {/.}   the arguments: whole, without extension, basename, dirname,
                         basename without extension
  {N} {N.} {N/} {N//} {N/.}  the same for argument N (negative: from the end)
  {#} the job's sequence number, {%} its job slot
Jobs:
  -j, --jobs N       N jobs at once; N% of the CPUs, +N / -N CPUs, 0 as many as possible
  --delay DURATION   between two job starts (seconds, or 1m30s)
  --timeout D|N%     kill a job after D, or after N% of the median runtime
  --retries N        run a failing job up to N times
  --halt WHEN,ON=N   WHEN: now (kill running jobs) or soon; ON: fail, success or done;
                     N: a count or N% of the jobs
Output:
  --group            a job's output is printed whole when it ends (the default)
  --lb, --line-buffer  whole lines are printed as they come
  -u, --ungroup      bytes are printed as they come
  -k, --keep-order   in the order of the input
  --tag              each line starts with the job's arguments and a TAB
  --tagstring STR    each line starts with STR (replacement strings work) and a TAB
  --results DIR      each job's stdout, stderr and seq in DIR/1/<arg1>/2/<arg2>/...
  --joblog FILE      one line per job: GNU parallel's TAB-separated columns
  --resume           skip the jobs the joblog lists; --resume-failed: run the failed ones again
  --dry-run          print the commands, run nothing
  --bar, --eta, --progress   progress on stderr
Per-job logging (prun's own):
  --log FILE         every job's lines and events as log records (fields: seq, tag, args,
                     pid, stream, attempt, event)
  --log-format FMT   their layout, Python's %-style ('%(asctime)s %(tag)s %(message)s')
  --log-json         JSON lines instead
  --trace FILE       a Chrome trace of the run (chrome://tracing, Perfetto)

Exit status: 0 all jobs succeeded; 1-100 that many failed; 101 more; 255 bad input; with
--halt, GNU parallel's rules; 130 after Ctrl-C.
)";
}

CliOptions parse_command_line(int argc, const char* const* argv) {
  CliOptions o;
  CLI::App app{"prun"};
  app.prefix_command();  // options end at the first word that is not one: the command
  app.set_help_flag();   // --help is an ordinary flag: prun prints its own text
  app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);

  std::string jobs, delimiter, colsep, max_args, delay, timeout, retries, halt, tagstring;
  std::vector<std::string> arg_files;
  bool null = false, group = false, line_buffer = false, ungroup = false;
  app.add_option("-j,-P,--jobs,--max-procs", jobs);
  app.add_option("-a,--arg-file,--argfile", arg_files)
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  app.add_flag("-0,--null", null);
  app.add_option("-d,--delimiter", delimiter);
  app.add_option("-C,--colsep", colsep);
  app.add_option("-n,--max-args", max_args);
  app.add_option("--delay", delay);
  app.add_option("--timeout", timeout);
  app.add_option("--retries", retries);
  app.add_option("--halt,--halt-on-error", halt);
  app.add_flag("--group", group);
  app.add_flag("--lb,--line-buffer,--line-buffered,--linebuffer,--linebuffered", line_buffer);
  app.add_flag("-u,--ungroup", ungroup);
  app.add_flag("-k,--keep-order,--keeporder", o.keep_order);
  app.add_flag("--tag", o.tag);
  app.add_option("--tagstring,--tag-string", tagstring);
  app.add_option("--results,--result,--res", o.results);
  app.add_option("--joblog,--jl", o.joblog);
  app.add_flag("--resume", o.resume);
  app.add_flag("--resume-failed,--resumefailed", o.resume_failed);
  app.add_flag("--dry-run,--dryrun,--dr", o.dry_run);
  app.add_flag("--bar", o.bar);
  app.add_flag("--eta", o.eta);
  app.add_flag("--progress", o.progress);
  app.add_option("--log", o.log_file);
  app.add_option("--log-format", o.log_format);
  app.add_flag("--log-json", o.log_json);
  app.add_option("--trace", o.trace_file);
  app.add_flag("-h,--help", o.help);
  app.add_flag("--version", o.version);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    throw UsageError(fmt::format("{} (see prun --help)", e.what()));
  }
  if (o.help || o.version) return o;

  // ---- the command and the input sources ----
  std::vector<std::string> rest = app.remaining();
  std::size_t i = 0;
  if (i < rest.size() && rest[i] == "--") ++i;
  else if (i < rest.size() && rest[i].size() > 1 && rest[i][0] == '-' && !is_separator(rest[i]))
    throw UsageError(fmt::format("unknown option '{}' (see prun --help)", rest[i]));
  for (; i < rest.size() && !is_separator(rest[i]); ++i) o.command.push_back(rest[i]);
  for (const std::string& path : arg_files) o.sources.push_back(SourceSpec{.kind = SourceSpec::Kind::file, .path = path});
  while (i < rest.size()) {
    const std::string separator = rest[i++];
    const bool linked = separator.back() == '+';
    const bool files = separator.starts_with("::::");
    std::vector<std::string> values;
    for (; i < rest.size() && !is_separator(rest[i]); ++i) values.push_back(rest[i]);
    if (!files) {
      o.sources.push_back(SourceSpec{.kind = SourceSpec::Kind::list, .values = std::move(values), .linked = linked});
      continue;
    }
    if (values.empty()) throw UsageError(fmt::format("{} must be followed by a file name", separator));
    for (std::size_t k = 0; k < values.size(); ++k)
      o.sources.push_back(SourceSpec{.kind = SourceSpec::Kind::file, .path = values[k], .linked = linked});
  }
  if (o.sources.empty()) o.sources.push_back(SourceSpec{.kind = SourceSpec::Kind::file, .path = "-"});

  // ---- values ----
  if (null && !delimiter.empty()) throw UsageError("-0 and -d both set the delimiter: give one of them");
  if (null) o.input.delimiter = std::string(1, '\0');
  else if (!delimiter.empty()) o.input.delimiter = decode_escapes(delimiter);
  if (app.count("--delimiter") && delimiter.empty()) throw UsageError("-d needs a delimiter that is not empty");
  o.input.colsep = colsep;
  if (!max_args.empty()) {
    long n = parse_count("-n/--max-args", max_args);
    if (n < 1) throw UsageError("-n/--max-args must be at least 1");
    o.input.max_args = static_cast<std::size_t>(n);
  }
  o.n_jobs = parse_jobs(jobs.empty() ? "100%" : jobs, pool::usable_cpus(), unlimited_jobs());
  if (!delay.empty()) o.delay = parse_duration("--delay", delay);
  if (!timeout.empty()) o.timeout = parse_timeout(timeout);
  if (!retries.empty()) o.retries = parse_count("--retries", retries);
  if (!halt.empty()) o.halt = parse_halt(halt);
  if (app.count("--tagstring")) o.tagstring = tagstring;
  o.output = ungroup ? OutputMode::ungroup : line_buffer ? OutputMode::line_buffer : OutputMode::group;
  (void)group;
  if ((o.resume || o.resume_failed) && o.joblog.empty() && o.results.empty())
    throw UsageError("--resume and --resume-failed need --joblog or --results");
  if (o.log_json && o.log_file.empty()) throw UsageError("--log-json needs --log FILE");
  if (!o.log_format.empty() && o.log_file.empty()) throw UsageError("--log-format needs --log FILE");
  if (o.log_json && !o.log_format.empty()) throw UsageError("--log-json and --log-format exclude each other");
  return o;
}

}  // namespace prun::cli
