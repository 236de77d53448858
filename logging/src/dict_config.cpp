#include <prun/logging/dict_config.hpp>

#include <prun/logging/detail/fork_safe_mutex.hpp>
#include <prun/logging/file_handler.hpp>
#include <prun/logging/hierarchy.hpp>
#include <prun/logging/logger.hpp>
#include <prun/logging/null_handler.hpp>
#include <prun/logging/rotating_file_handler.hpp>
#include <prun/logging/stream_handler.hpp>

#include "process_state.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <sstream>
#include <stdexcept>

namespace prun::logging {

using json = nlohmann::json;

namespace {

[[noreturn]] void fail(const std::string& what) { throw std::invalid_argument(what); }

std::string repr(const std::string& s) { return "'" + s + "'"; }

// --- factories -------------------------------------------------------------------------------

struct Factories {
  detail::ForkSafeMutex mutex;  // a leaf lock; taken before fork (fork.cpp)
  std::map<std::string, FormatterFactory, std::less<>> formatters;
  std::map<std::string, HandlerFactory, std::less<>> handlers;
  std::map<std::string, FilterFactory, std::less<>> filters;
};

// Python's TypeError for a keyword the callable does not take.
void check_keys(const json& args, std::initializer_list<std::string_view> allowed, std::string_view callable) {
  for (const auto& [key, value] : args.items())
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end())
      fail(std::string(callable) + "() got an unexpected keyword argument " + repr(key));
}

template <typename T>
T arg(const json& args, const char* key, T fallback, std::string_view callable) {
  auto it = args.find(key);
  if (it == args.end() || it->is_null()) return fallback;
  try {
    return it->get<T>();
  } catch (const json::exception&) {
    fail(std::string(callable) + "(): bad value for " + repr(key) + ": " + it->dump());
  }
}

void check_encoding(const json& args, std::string_view callable) {
  std::string encoding = arg<std::string>(args, "encoding", "utf-8", callable);
  std::string lower;
  for (char c : encoding) lower += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  if (lower != "utf-8" && lower != "utf8" && lower != "utf_8")
    fail(std::string(callable) + "(): encoding " + repr(encoding) + " is not supported (prun writes UTF-8)");
  std::string errors = arg<std::string>(args, "errors", "strict", callable);
  if (errors != "strict") fail(std::string(callable) + "(): errors=" + repr(errors) + " is not supported");
}

std::optional<Value> to_value(const json& v) {
  if (v.is_number_integer()) return Value(v.get<std::int64_t>());
  if (v.is_number_float()) return Value(v.get<double>());
  if (v.is_string()) return Value(v.get<std::string>());
  return std::nullopt;
}

Factories* make_factories() {
  auto* f = new Factories;  // leaked: usable during static destruction
  f->formatters["logging.Formatter"] = [](const json& a) -> FormatterPtr {
    check_keys(a, {"format", "datefmt", "style", "validate", "defaults"}, "Formatter");
    const std::string style = arg<std::string>(a, "style", "%", "Formatter");
    if (style != "%" && style != "{" && style != "$") fail("Style must be one of: %, {, $");
    const auto s = style == "{" ? Formatter::Style::brace : style == "$" ? Formatter::Style::dollar : Formatter::Style::percent;
    // No format: the style's default, as Python's Formatter(None) has it.
    std::string format = arg<std::string>(a, "format", "", "Formatter");
    Formatter::Defaults defaults;
    if (auto it = a.find("defaults"); it != a.end() && !it->is_null()) {
      if (!it->is_object()) fail("Formatter(): 'defaults' must be a dictionary");
      for (const auto& [key, value] : it->items()) {
        auto v = to_value(value);
        if (!v) fail("Formatter(): default " + repr(key) + " must be a number or a string");
        defaults.emplace_back(key, std::move(*v));
      }
    }
    return std::make_shared<const Formatter>(std::move(format), arg<std::string>(a, "datefmt", "", "Formatter"), s,
                                             std::move(defaults));
  };
  f->filters["logging.Filter"] = [](const json& a) -> FilterPtr {
    check_keys(a, {"name"}, "Filter");
    return std::make_shared<NameFilter>(arg<std::string>(a, "name", "", "Filter"));
  };
  f->handlers["logging.StreamHandler"] = [](const json& a) -> HandlerPtr {
    check_keys(a, {"stream"}, "StreamHandler");
    const std::string stream = arg<std::string>(a, "stream", "ext://sys.stderr", "StreamHandler");
    if (stream == "ext://sys.stderr") return std::make_shared<StreamHandler>(StreamHandler::Stream::stderr_);
    if (stream == "ext://sys.stdout") return std::make_shared<StreamHandler>(StreamHandler::Stream::stdout_);
    fail("StreamHandler(): stream must be 'ext://sys.stdout' or 'ext://sys.stderr', not " + repr(stream));
  };
  f->handlers["logging.FileHandler"] = [](const json& a) -> HandlerPtr {
    check_keys(a, {"filename", "mode", "encoding", "delay", "errors"}, "FileHandler");
    if (!a.contains("filename")) fail("FileHandler() missing 1 required positional argument: 'filename'");
    check_encoding(a, "FileHandler");
    return std::make_shared<FileHandler>(arg<std::string>(a, "filename", "", "FileHandler"),
                                         arg<std::string>(a, "mode", "a", "FileHandler"),
                                         arg<bool>(a, "delay", false, "FileHandler"));
  };
  f->handlers["logging.handlers.RotatingFileHandler"] = [](const json& a) -> HandlerPtr {
    constexpr std::string_view kName = "RotatingFileHandler";
    check_keys(a, {"filename", "mode", "maxBytes", "backupCount", "encoding", "delay", "errors"}, kName);
    if (!a.contains("filename")) fail("RotatingFileHandler() missing 1 required positional argument: 'filename'");
    check_encoding(a, kName);
    const auto max_bytes = arg<std::int64_t>(a, "maxBytes", 0, kName);
    return std::make_shared<RotatingFileHandler>(arg<std::string>(a, "filename", "", kName),
                                                 arg<std::string>(a, "mode", "a", kName),
                                                 static_cast<std::size_t>(std::max<std::int64_t>(max_bytes, 0)),
                                                 arg<int>(a, "backupCount", 0, kName), arg<bool>(a, "delay", false, kName));
  };
  f->handlers["logging.NullHandler"] = [](const json& a) -> HandlerPtr {
    check_keys(a, {}, "NullHandler");
    return std::make_shared<NullHandler>();
  };
  return f;
}

Factories& factories() {
  static Factories* f = make_factories();
  return *f;
}
// Built at load time, so that no thread is initialising it when another forks.
[[maybe_unused]] Factories& g_factories_at_load = factories();

template <typename Map>
typename Map::mapped_type find_factory(Map Factories::*map, const std::string& name) {
  Factories& f = factories();
  std::lock_guard lock(f.mutex);
  auto it = (f.*map).find(name);
  if (it == (f.*map).end()) fail("Cannot resolve " + repr(name) + ": no such factory is registered");
  return it->second;
}

// --- building --------------------------------------------------------------------------------

// Python's logging._checkLevel.
int check_level(const json& v) {
  if (v.is_number_integer()) return v.get<int>();
  if (v.is_string()) {
    if (auto level = level_from_name(v.get<std::string>())) return *level;
    fail("Unknown level: " + repr(v.get<std::string>()));
  }
  fail("Level not an integer or a valid string: " + v.dump());
}

// The entry without `keys`.
json without(const json& entry, std::initializer_list<const char*> keys) {
  json rest = entry;
  for (const char* k : keys) rest.erase(k);
  return rest;
}

const json& section(const json& config, const char* key) {
  static const json empty = json::object();
  auto it = config.find(key);
  if (it == config.end() || it->is_null()) return empty;
  if (!it->is_object()) fail(std::string("'") + key + "' must be a dictionary");
  return *it;
}

FormatterPtr build_formatter(const json& entry) {
  if (!entry.is_object()) fail("a formatter must be a dictionary");
  if (auto c = entry.find("()"); c != entry.end())
    return find_factory(&Factories::formatters, c->get<std::string>())(without(entry, {"()", "."}));
  const std::string cls = entry.contains("class") ? entry["class"].get<std::string>() : "logging.Formatter";
  return find_factory(&Factories::formatters, cls)(without(entry, {"class"}));
}

FilterPtr build_filter(const json& entry) {
  if (!entry.is_object()) fail("a filter must be a dictionary");
  if (auto c = entry.find("()"); c != entry.end())
    return find_factory(&Factories::filters, c->get<std::string>())(without(entry, {"()", "."}));
  return std::make_shared<NameFilter>(entry.value("name", std::string()));
}

template <typename Map>
auto lookup(const Map& built, const json& name, const char* what) {
  const std::string key = name.is_string() ? name.get<std::string>() : name.dump();
  auto it = built.find(key);
  if (it == built.end()) fail(std::string("Unable to ") + what + " " + repr(key));
  return it->second;
}

struct Built {
  std::map<std::string, FormatterPtr> formatters;
  std::map<std::string, FilterPtr> filters;
  std::map<std::string, HandlerPtr> handlers;
};

std::vector<FilterPtr> filter_list(const Built& b, const json& entry) {
  std::vector<FilterPtr> out;
  if (auto it = entry.find("filters"); it != entry.end() && !it->is_null()) {
    if (!it->is_array()) fail("'filters' must be a list");
    for (const json& name : *it) out.push_back(lookup(b.filters, name, "add filter"));
  }
  return out;
}

HandlerPtr build_handler(const Built& b, const json& entry) {
  if (!entry.is_object()) fail("a handler must be a dictionary");
  if (entry.contains(".")) fail("'.' (attributes to set) is not supported");
  FormatterPtr formatter;
  if (auto it = entry.find("formatter"); it != entry.end() && !it->is_null())
    formatter = lookup(b.formatters, *it, "set formatter");
  HandlerFactory factory;
  if (auto c = entry.find("()"); c != entry.end()) factory = find_factory(&Factories::handlers, c->get<std::string>());
  else if (auto k = entry.find("class"); k != entry.end()) factory = find_factory(&Factories::handlers, k->get<std::string>());
  else fail("the handler has no 'class' (nor '()')");
  HandlerPtr h = factory(without(entry, {"()", "class", "formatter", "level", "filters"}));
  if (!h) fail("the factory returned no handler");
  if (formatter) h->set_formatter(formatter);
  if (auto it = entry.find("level"); it != entry.end() && !it->is_null()) h->set_level(check_level(*it));
  for (FilterPtr& f : filter_list(b, entry)) h->add_filter(std::move(f));
  return h;
}

// What one logger entry asks for, checked before anything changes.
struct LoggerPlan {
  Logger* logger = nullptr;
  std::optional<int> level;
  std::optional<bool> propagate;
  std::vector<HandlerPtr> handlers;
  std::vector<FilterPtr> filters;
};

LoggerPlan plan_logger(const Built& b, Logger& logger, const json& entry) {
  if (!entry.is_object()) fail("a logger must be a dictionary");
  LoggerPlan p;
  p.logger = &logger;
  if (auto it = entry.find("level"); it != entry.end() && !it->is_null()) p.level = check_level(*it);
  if (auto it = entry.find("propagate"); it != entry.end() && !it->is_null()) {
    if (!it->is_boolean() && !it->is_number_integer()) fail("'propagate' must be true or false");
    p.propagate = it->is_boolean() ? it->get<bool>() : it->get<int>() != 0;
  }
  if (auto it = entry.find("handlers"); it != entry.end() && !it->is_null()) {
    if (!it->is_array()) fail("'handlers' must be a list");
    for (const json& name : *it) p.handlers.push_back(lookup(b.handlers, name, "add handler"));
  }
  p.filters = filter_list(b, entry);
  return p;
}

// Python's common_logger_config (not incremental).
void apply(const LoggerPlan& p) {
  if (p.level) p.logger->set_level(*p.level);
  p.logger->set_handlers(p.handlers);
  for (const FilterPtr& f : p.filters) p.logger->add_filter(f);
}

template <typename F>
auto step(const std::string& context, F&& f) {
  try {
    return f();
  } catch (const std::exception& e) {
    fail(context + ": " + e.what());
  }
}

}  // namespace

void register_formatter_factory(std::string name, FormatterFactory factory) {
  Factories& f = factories();
  std::lock_guard lock(f.mutex);
  f.formatters[std::move(name)] = std::move(factory);
}

void register_handler_factory(std::string name, HandlerFactory factory) {
  Factories& f = factories();
  std::lock_guard lock(f.mutex);
  f.handlers[std::move(name)] = std::move(factory);
}

void register_filter_factory(std::string name, FilterFactory factory) {
  Factories& f = factories();
  std::lock_guard lock(f.mutex);
  f.filters[std::move(name)] = std::move(factory);
}

namespace detail {
void factories_lock() noexcept { factories().mutex.lock(); }
void factories_unlock() noexcept { factories().mutex.unlock(); }
}  // namespace detail

void dict_config(const json& config) {
  if (!config.is_object()) fail("dict_config: the configuration must be a dictionary");
  if (!config.contains("version")) fail("dictionary doesn't specify a version");
  if (config["version"] != 1) fail("Unsupported version: " + config["version"].dump());
  if (config.value("incremental", false)) fail("dict_config: incremental configuration is not supported");
  const bool disable_existing = config.value("disable_existing_loggers", true);

  // Build everything first: a bad entry leaves the configuration as it was.
  Built b;
  for (const auto& [name, entry] : section(config, "formatters").items())
    b.formatters[name] = step("Unable to configure formatter " + repr(name), [&] { return build_formatter(entry); });
  for (const auto& [name, entry] : section(config, "filters").items())
    b.filters[name] = step("Unable to configure filter " + repr(name), [&] { return build_filter(entry); });
  for (const auto& [name, entry] : section(config, "handlers").items()) {  // sorted, as Python
    b.handlers[name] = step("Unable to configure handler " + repr(name), [&] { return build_handler(b, entry); });
    b.handlers[name]->set_name(name);
  }
  std::vector<LoggerPlan> plans;
  for (const auto& [name, entry] : section(config, "loggers").items())
    plans.push_back(step("Unable to configure logger " + repr(name),
                         [&] { return plan_logger(b, get_logger(name), entry); }));
  std::optional<LoggerPlan> root;
  if (auto it = config.find("root"); it != config.end() && !it->is_null())
    root = step("Unable to configure root logger", [&] { return plan_logger(b, get_logger(), *it); });

  // Python's _clearExistingHandlers: flush and close, but leave them attached.
  std::vector<HandlerPtr> existing_handlers;
  std::vector<Logger*> existing;
  for (Logger* l : detail::all_loggers()) {
    for (HandlerPtr& h : l->handlers())
      if (std::find(existing_handlers.begin(), existing_handlers.end(), h) == existing_handlers.end())
        existing_handlers.push_back(std::move(h));
    if (l != &get_logger()) existing.push_back(l);
  }
  for (const HandlerPtr& h : existing_handlers) h->close();

  std::vector<Logger*> children;  // descendants of named loggers
  for (const LoggerPlan& p : plans) {
    const std::string prefix = p.logger->name() + ".";
    std::erase(existing, p.logger);
    for (Logger* l : existing)
      if (l->name().starts_with(prefix)) children.push_back(l);
    apply(p);
    p.logger->set_disabled(false);
    if (p.propagate) p.logger->set_propagate(*p.propagate);
  }
  for (Logger* l : existing) {
    if (std::find(children.begin(), children.end(), l) != children.end()) {
      l->set_level(NOTSET);
      l->set_handlers({});
      l->set_propagate(true);
    } else {
      l->set_disabled(disable_existing);
    }
  }
  if (root) apply(*root);
}

void dict_config_from_json(std::string_view json_text) {
  json config;
  try {
    config = json::parse(json_text);
  } catch (const json::parse_error& e) {
    fail(std::string("dict_config: invalid JSON: ") + e.what());
  }
  dict_config(config);
}

void dict_config_from_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) fail("dict_config: cannot read " + path.string());
  std::stringstream text;
  text << in.rdbuf();
  dict_config_from_json(text.str());
}

}  // namespace prun::logging
