#pragma once
/// JsonFormatter: one JSON object per record, for log shippers (JSON lines).

#include <prun/logging/formatter_base.hpp>
#include <prun/logging/record.hpp>

#include <cstdint>
#include <string>

namespace prun::logging {

/// Renders a record as one JSON object on one line; the sibling of the pattern Formatter.
///
/// With Python's names (the default) the object holds name, levelname, levelno, message,
/// pathname, filename, module, lineno, funcName, created, msecs, relativeCreated, asctime
/// (when asked for), thread, threadName, process, processName, exc_text (when the record has
/// one), for a record logged by a task its task, taskIndex, worker and attempt (when above 0),
/// then every extra with its JSON type. With Elastic Common Schema names: @timestamp (ISO 8601,
/// UTC, milliseconds), log.level, message, ecs.version, log.logger, log.origin.*, process.*,
/// error.message, the task's fields under prun.* and the extras under labels.* (see
/// docs/logging.md).
///
/// Any bytes give valid JSON: control characters, quotes, backslashes, U+2028 and U+2029 are
/// escaped; bytes that are not UTF-8 become U+FFFD, as Python's bytes.decode("utf-8",
/// "replace") makes them; a non-finite float is null. Immutable, so thread-safe.
class JsonFormatter : public FormatterBase {
 public:
  enum class Schema { python, ecs };
  struct Options {
    Schema schema = Schema::python;
    bool asctime = false;     ///< Python names: add "asctime", as Formatter renders it
    std::string datefmt;      ///< its date format; empty: "2026-11-21 08:41:50,417"
    bool utc = false;         ///< asctime in UTC rather than local time
    std::string extra_prefix = "labels.";  ///< ECS names: the namespace of the extras
  };

  JsonFormatter();
  explicit JsonFormatter(Options options);
  ~JsonFormatter() override;

  using FormatterBase::format;
  void format(const Record& record, fmt::memory_buffer& out) const override;

  const Options& options() const noexcept { return options_; }

 private:
  void format_python(const Record& record, fmt::memory_buffer& out) const;
  void format_ecs(const Record& record, fmt::memory_buffer& out) const;

  Options options_;
  std::uint64_t time_key_;
};

}  // namespace prun::logging
