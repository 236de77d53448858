#pragma once
// Every message between the parent and a worker, with one framing, in one place.
//
// A frame is: u32 payload size, u8 kind, payload. Integers are in the machine's byte order (both
// ends are the same program on the same machine, or ranks of one MPI job of one binary).
// Parent -> worker frames travel on the worker's control socket; worker -> parent frames travel
// through whatever the link uses (a shared-memory ring for local workers).

#include <prun/logging/record.hpp>

#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace prun::pool::protocol {

inline constexpr std::size_t kHeader = 5;
inline constexpr std::size_t kMaxPayload = std::size_t{1} << 31;

/// Frame kinds. Values below 32 go parent -> worker, from 32 up worker -> parent; 0 and 255 are
/// reserved for transports (a ring's padding and multi-part frames).
enum class Kind : std::uint8_t {
  // parent -> worker
  setup = 1,       // Setup: once, before anything else
  run = 2,         // RunConfig: the options of the run that follows
  batch = 3,       // Batch: tasks [begin, end)
  stop = 4,        // leave after the current batch
  stop_before = 5,  // u64: start no task with an index >= this (links without shared memory)
  // worker -> parent
  hello = 32,      // Hello: set up, initializer done, ready
  init_failed = 33,  // InitFailed: the initializer threw; the worker leaves
  fatal = 34,      // Fatal: the worker cannot go on (outside any task); it leaves
  record = 35,     // a log record (logging::Record, with its task index)
  started = 36,    // Started: a task begins
  finished = 37,   // Finished: a task ended, with its result or error
  output = 38,     // Output: what a task printed that the parent had not read from the pipes
  batch_done = 39,  // every task of the current batch was run (or skipped: stop limit)
  recycle = 40,    // the worker took its last task and leaves after this batch
  // transports
  padding = 0,
  part = 255,
};

/// Appends fields to a buffer, and frames.
class Writer {
 public:
  explicit Writer(std::string& out) : out_(out) {}
  template <typename T>
  void pod(const T& v) {
    out_.append(reinterpret_cast<const char*>(&v), sizeof v);
  }
  void str(std::string_view s) {
    pod(static_cast<std::uint32_t>(s.size()));
    out_.append(s);
  }
  void bytes(std::string_view s) { out_.append(s); }
  /// Starts a frame; finish it with end(start).
  std::size_t begin(Kind kind) {
    const std::size_t start = out_.size();
    pod(std::uint32_t{0});
    pod(kind);
    return start;
  }
  void end(std::size_t start) {
    const auto size = static_cast<std::uint32_t>(out_.size() - start - kHeader);
    std::memcpy(out_.data() + start, &size, sizeof size);
  }
  /// A frame without payload.
  void empty(Kind kind) { end(begin(kind)); }
  std::string& buffer() noexcept { return out_; }

 private:
  std::string& out_;
};

/// Malformed input from the other end.
class ProtocolError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Reads fields of one payload; throws ProtocolError when it runs short.
class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  template <typename T>
  T pod() {
    need(sizeof(T));
    T v;
    std::memcpy(&v, in_.data() + pos_, sizeof v);
    pos_ += sizeof v;
    return v;
  }
  std::string_view str() {
    const auto n = pod<std::uint32_t>();
    need(n);
    std::string_view s = in_.substr(pos_, n);
    pos_ += n;
    return s;
  }
  std::string_view rest() noexcept {
    std::string_view s = in_.substr(pos_);
    pos_ = in_.size();
    return s;
  }
  bool done() const noexcept { return pos_ == in_.size(); }

 private:
  void need(std::size_t n) const {
    if (pos_ + n > in_.size()) throw ProtocolError("prun: truncated message");
  }
  std::string_view in_;
  std::size_t pos_ = 0;
};

/// One frame cut out of a byte stream.
struct Frame {
  Kind kind;
  std::string_view payload;
};

/// Splits `bytes` into whole frames; returns how many bytes they took (a partial frame at the
/// end is left for later). Throws ProtocolError for a frame larger than kMaxPayload.
template <typename OnFrame>
std::size_t split_frames(std::string_view bytes, OnFrame&& on_frame) {
  std::size_t at = 0;
  while (bytes.size() - at >= kHeader) {
    std::uint32_t size;
    std::memcpy(&size, bytes.data() + at, sizeof size);
    if (size > kMaxPayload) throw ProtocolError("prun: a message claims an impossible size");
    if (bytes.size() - at - kHeader < size) break;
    on_frame(Frame{static_cast<Kind>(bytes[at + 4]), bytes.substr(at + kHeader, size)});
    at += kHeader + size;
  }
  return at;
}

// ---- parent -> worker -------------------------------------------------------------------------

struct Setup {
  std::string initializer;      ///< registered name ("" = none or already in the fork)
  std::uint64_t idle_ms = 0;    ///< leave after this long without a command (0 = never)
  std::uint64_t max_tasks = 0;  ///< leave after this many tasks (0 = never)
  std::int32_t level = 30;      ///< the level of the initializer's records (the parent's root's)
  std::string prefix;           ///< put in front of the initializer's records
  void encode(std::string& out) const;
  static Setup decode(std::string_view payload);
};

struct RunConfig {
  std::string prefix;
  std::int32_t level = 0;
  bool capture = true;
  std::string configure_task;  ///< registered name of the hook ("" = none)
  bool stop_on_error = true;   ///< a batch stops at its first failing task (fail-fast)
  void encode(std::string& out) const;
  static RunConfig decode(std::string_view payload);
};

/// A task sent by name (to a worker that does not share the caller's memory).
struct NamedTask {
  std::string_view tag, name, args;
};

/// Tasks [begin, end). By index (the worker inherited the task table), or by name.
struct Batch {
  std::uint64_t begin = 0, end = 0;
  std::uint32_t attempt = 1;     ///< of every task in it
  std::vector<NamedTask> named;  ///< empty: by index; else one per task, in order
  void encode(std::string& out) const;
  /// The views of `named` point into `payload`.
  static Batch decode(std::string_view payload);
};

/// The stop limit, for links that cannot write it into the worker's memory (an MPI rank).
void encode_stop_before(std::string& out, std::uint64_t index);
std::uint64_t decode_stop_before(std::string_view payload);

// ---- worker -> parent -------------------------------------------------------------------------

struct Hello {
  std::int32_t pid = 0;
  void encode(std::string& out) const;
  static Hello decode(std::string_view payload);
};

/// An exception described: init_failed, and the error of a finished task.
struct Failure {
  std::string_view type, message;
};

void encode_init_failed(std::string& out, Failure f);
Failure decode_init_failed(std::string_view payload);
void encode_fatal(std::string& out, std::string_view message);
std::string_view decode_fatal(std::string_view payload);

struct Started {
  std::uint64_t index = 0;
  std::int64_t t_ns = 0;  ///< CLOCK_MONOTONIC of the worker
  void encode(std::string& out) const;
  static Started decode(std::string_view payload);
};

/// A task's end: when, the worker's peak RSS, and its encoded result or its error.
/// Written in two steps so that the result is encoded straight into the frame:
///   auto at = Finished::begin(out, index);  <task appends its result to out>  Finished::end_ok(...)
struct Finished {
  std::uint64_t index = 0;
  std::int64_t t_ns = 0;
  std::int64_t peak_rss_kib = 0;
  bool ok = true;
  std::string_view result;  ///< when ok
  Failure error;            ///< when not
  /// Not on the wire: set by links whose task is a process of its own (a command), to its
  /// exit status; -1 otherwise.
  int exit_code = -1;

  static std::size_t begin(std::string& out, std::uint64_t index);
  static void end_ok(std::string& out, std::size_t start, std::int64_t t_ns, std::int64_t rss_kib);
  /// Drops whatever the task appended and records its error instead.
  static void end_error(std::string& out, std::size_t start, std::int64_t t_ns, std::int64_t rss_kib, Failure f);
  static Finished decode(std::string_view payload);
};

/// Bytes a task wrote to its standard output (stream 1) or error (2) that reached the worker's
/// own end-of-task drain; `last` says the task is over (its partial line may be completed).
struct Output {
  std::uint8_t stream = 1;
  std::uint64_t task = 0;
  bool last = true;
  std::string_view bytes;
  void encode(std::string& out) const;
  static Output decode(std::string_view payload);
};

// ---- records ----------------------------------------------------------------------------------

void encode_record(std::string& out, const logging::Record& r);

/// Remembers the last interned value of each string field of a record stream: records from one
/// worker mostly repeat them, and a compare is far cheaper than a trip to the intern pool.
class InternCache {
 public:
  std::string_view get(int field, std::string_view raw) {
    std::string_view& s = slots_[field];
    if (s.data() == nullptr || raw != s) s = logging::intern(raw);
    return s;
  }

 private:
  std::string_view slots_[5];
};

/// Decodes a record into `r`, reusing its strings' storage; views are interned, so the record
/// outlives the payload.
void decode_record(std::string_view payload, InternCache& cache, logging::Record& r);

}  // namespace prun::pool::protocol
