// Formats records read from stdin with JsonFormatter and prints one JSON line each, for
// check_json_formatter.py, which makes adversarial records and parses the lines with Python.
//
// Usage: prun_json_probe python|ecs [asctime]
// Input: records made of items `<tag><8-digit length><bytes>`, each record ended by "Z".
// Tags: n name, l levelno, m message, p pathname, f function, L lineno, c created_ns,
// r relative_ns, t thread, T threadName, P process, N processName, k task, i taskIndex,
// w worker, a attempt, x exc_text, E extra key (followed by I int, F float or S text).
#include <prun/logging/json_formatter.hpp>

#include <cstdio>
#include <cstdlib>
#include <deque>
#include <iostream>
#include <iterator>
#include <string>

namespace lg = prun::logging;

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  lg::JsonFormatter::Options options;
  options.schema = std::string(argv[1]) == "ecs" ? lg::JsonFormatter::Schema::ecs : lg::JsonFormatter::Schema::python;
  options.asctime = argc > 2 && std::string(argv[2]) == "asctime";
  options.utc = true;
  const lg::JsonFormatter json(options);

  const std::string input((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
  std::size_t at = 0;
  std::deque<std::string> storage;  // the record's string_view fields point here
  lg::Record r;
  std::string key;
  fmt::memory_buffer out;
  while (at < input.size()) {
    const char tag = input[at++];
    if (tag == 'Z') {
      out.clear();
      json.format(r, out);
      out.push_back('\n');
      std::fwrite(out.data(), 1, out.size(), stdout);
      r = lg::Record{};
      storage.clear();
      continue;
    }
    const std::size_t len = std::stoul(input.substr(at, 8));
    std::string bytes = input.substr(at + 8, len);
    at += 8 + len;
    auto view = [&]() -> std::string_view { return storage.emplace_back(bytes); };
    switch (tag) {
      case 'n': r.name = view(); break;
      case 'l': r.levelno = std::stoi(bytes); break;
      case 'm': r.message = bytes; break;
      case 'p': r.pathname = view(); break;
      case 'f': r.function = view(); break;
      case 'L': r.lineno = std::stoi(bytes); break;
      case 'c': r.created_ns = std::stoll(bytes); break;
      case 'r': r.relative_ns = std::stoll(bytes); break;
      case 't': r.thread = std::stoull(bytes); break;
      case 'T': r.thread_name = view(); break;
      case 'P': r.process = std::stoi(bytes); break;
      case 'N': r.process_name = view(); break;
      case 'k': r.task = bytes; break;
      case 'i': r.task_index = std::stoll(bytes); break;
      case 'w': r.worker = std::stoi(bytes); break;
      case 'a': r.attempt = std::stoi(bytes); break;
      case 'x': r.exc_text = bytes; break;
      case 'E': key = bytes; break;
      case 'I': r.extra.emplace_back(key, std::int64_t{std::stoll(bytes)}); break;
      case 'F': r.extra.emplace_back(key, std::strtod(bytes.c_str(), nullptr)); break;
      case 'S': r.extra.emplace_back(key, bytes); break;
      default: return 3;
    }
  }
  return 0;
}
