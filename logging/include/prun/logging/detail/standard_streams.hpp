#pragma once
// Where StreamHandlers send what they write to the process's standard output and error.
//
// By default, to descriptors 1 and 2. While prun runs tasks in the calling process (n_jobs=1)
// those descriptors are the tasks' captured streams; prun installs a writer that puts handler
// output on the real streams instead, in order with what the tasks printed. A worker whose
// streams are captured installs one that sends handler output to the parent, which writes it
// as it is (not as printed lines with the task's prefix).

#include <cstddef>

namespace prun::logging::detail {

/// Called with stream 1 or 2 and the bytes of one or more whole records. Must not throw.
using StandardStreamWriter = void (*)(void* context, int stream, const char* data, std::size_t size) noexcept;

/// Installs `writer` (nullptr: back to descriptors 1 and 2). Process-wide; for prun's own use.
void set_standard_stream_writer(StandardStreamWriter writer, void* context) noexcept;

/// Writes through the installed writer; false when none is installed (the caller writes).
bool write_standard_stream(int stream, const char* data, std::size_t size) noexcept;

}  // namespace prun::logging::detail
