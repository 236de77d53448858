#pragma once
/// dict_config(): Python's logging.config.dictConfig, read from JSON.

#include <prun/logging/filter.hpp>
#include <prun/logging/formatter.hpp>
#include <prun/logging/handler.hpp>

#include <nlohmann/json_fwd.hpp>

#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

namespace prun::logging {

/// Configures logging from a dictionary with the schema of Python's dictConfig (version 1):
/// `formatters` (format, datefmt, style "%" or "{", defaults, validate; `class` or `()`),
/// `filters` (name; or `()`), `handlers` (`class` logging.StreamHandler with `stream`
/// "ext://sys.stdout" / "ext://sys.stderr", logging.FileHandler with filename, mode, delay,
/// encoding (UTF-8 only), logging.handlers.RotatingFileHandler with maxBytes and backupCount
/// too, logging.NullHandler; or a registered class or `()` factory; plus level, formatter,
/// filters), `loggers` (level, propagate, filters, handlers), `root`, and
/// `disable_existing_loggers` (default true). Levels are names ("INFO") or numbers.
///
/// As Python: handlers attached to loggers are flushed and closed first (and stay attached to
/// loggers the dictionary does not name); each named logger gets its handlers replaced, is
/// enabled and gets the level, propagate flag and filters given; other existing loggers are
/// disabled (unless disable_existing_loggers is false, which enables them), except the
/// descendants of named loggers, which are reset (NOTSET, no handler, propagating).
///
/// Errors throw std::invalid_argument whose message starts as Python's ValueError does:
/// "Unable to configure handler 'file': <cause>". Unlike Python, every formatter, filter and
/// handler is built before anything changes, so a failing dictionary changes nothing (though
/// a handler built before the failure may have created or truncated its file). `incremental`
/// true is refused. Not atomic for threads that log while it runs.
void dict_config(const nlohmann::json& config);
/// dict_config() from JSON text. Invalid JSON throws std::invalid_argument.
void dict_config_from_json(std::string_view json_text);
/// dict_config() from a JSON file. An unreadable file or invalid JSON throws std::invalid_argument.
void dict_config_from_file(const std::filesystem::path& path);

/// Factories build objects from a dictionary entry: the entry without the keys dict_config
/// handles itself (`()`, `class`, `.`, and for handlers `level`, `formatter`, `filters`),
/// as Python passes the rest as keyword arguments. They throw to report a bad entry.
using FormatterFactory = std::function<FormatterPtr(const nlohmann::json& args)>;
using HandlerFactory = std::function<HandlerPtr(const nlohmann::json& args)>;
using FilterFactory = std::function<FilterPtr(const nlohmann::json& args)>;

/// Registers a factory under `name` (e.g. "myapp.JsonFormatter"), usable in a dictionary as
/// `"()": name` or `"class": name`; a later registration replaces an earlier one. Built in:
/// logging.Formatter; logging.Filter; logging.StreamHandler, logging.FileHandler,
/// logging.handlers.RotatingFileHandler, logging.NullHandler. Thread-safe.
void register_formatter_factory(std::string name, FormatterFactory factory);
void register_handler_factory(std::string name, HandlerFactory factory);
void register_filter_factory(std::string name, FilterFactory factory);

}  // namespace prun::logging
