#pragma once
// Python's Formatter.formatTime, with a per-thread cache of the last seconds rendered.

#include <fmt/format.h>

#include <cstdint>
#include <string_view>

namespace prun::logging::detail {

/// A new key for the asctime cache: one per formatter. Thread-safe.
std::uint64_t new_time_cache_key() noexcept;

/// Appends time.strftime(datefmt, localtime(created)) (gmtime when `utc`), or with an empty
/// `datefmt` "%Y-%m-%d %H:%M:%S" followed by ",mmm". Thread-safe: each thread caches the text of
/// the last second it rendered for a few keys, so most records cost a copy.
void format_asctime(std::int64_t created_ns, std::string_view datefmt, bool utc, std::uint64_t key,
                    fmt::memory_buffer& out);

/// Appends "2025-11-21T08:41:50.417Z" (ISO 8601, UTC, milliseconds), cached per second too.
void format_iso_utc(std::int64_t created_ns, fmt::memory_buffer& out);

}  // namespace prun::logging::detail
