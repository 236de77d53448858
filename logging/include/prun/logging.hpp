#pragma once
/// prun::logging: Python's logging model in C++. `prun::log` is a short alias.

#include <prun/logging/capture_handler.hpp>
#include <prun/logging/config.hpp>
#include <prun/logging/exception_info.hpp>
#include <prun/logging/extra.hpp>
#include <prun/logging/file_handler.hpp>
#include <prun/logging/filter.hpp>
#include <prun/logging/formatter.hpp>
#include <prun/logging/formatter_base.hpp>
#include <prun/logging/handler.hpp>
#include <prun/logging/hierarchy.hpp>
#include <prun/logging/json_formatter.hpp>
#include <prun/logging/level.hpp>
#include <prun/logging/logger.hpp>
#include <prun/logging/logger_adapter.hpp>
#include <prun/logging/null_handler.hpp>
#include <prun/logging/record.hpp>
#include <prun/logging/rotating_file_handler.hpp>
#include <prun/logging/scoped_root_reset.hpp>
#include <prun/logging/stream_handler.hpp>

namespace prun {
namespace log = logging;
}  // namespace prun
