#pragma once
// The byte formats between a worker and the parent: framed messages on the data pipe,
// and commands on the control socket.

#include <prun/logging/record.hpp>

#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>

namespace prun::pool::detail {

/// Frames on a worker's data pipe: u32 payload size, u8 kind, payload.
enum class Frame : std::uint8_t {
  record = 1,      // u64 task, record
  result = 2,      // u64 task, encoded result
  error = 3,       // u64 task, str type, str message
  batch_done = 4,  // (nothing)
  fatal = 5,       // str message: the worker cannot go on
  output = 8,      // u8 stream (1 or 2), u64 task, bytes the worker drained from that stream
  hello = 9,       // i32 pid: a persistent worker is set up and its initializer ran
  init_failed = 10,  // str type, str message: the initializer threw
  recycle = 11,    // the worker took its last task and leaves after this batch
  padding = 6,     // (ring only) skip to the ring's start
  part = 7,        // (ring only) the next bytes of a frame too large to travel whole
};
inline constexpr std::size_t kFrameHeader = 5;

/// Frames a persistent worker (a Pool's, or a spawned one) reads on its control socket, framed
/// like the data frames:
///   setup: str initializer name, u64 idle ms, u64 max tasks
///   run:   str prefix, i32 level, u8 capture, str configure_task name
///   batch: u64 begin, u64 end, then per task: str tag, str name, str encoded arguments
///   stop
enum class Control : std::uint8_t { setup = 1, run = 2, batch = 3, stop = 4 };

/// Commands on a per-run worker's control socket: 16 bytes each.
struct Command {
  std::uint64_t begin = 0;  // a batch [begin, end); begin == end means stop
  std::uint64_t end = 0;
};

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
  /// Starts a frame; finish it with end_frame(start).
  std::size_t begin_frame(Frame kind) {
    std::size_t start = out_.size();
    pod(std::uint32_t{0});
    pod(kind);
    return start;
  }
  void end_frame(std::size_t start) {
    auto size = static_cast<std::uint32_t>(out_.size() - start - kFrameHeader);
    std::memcpy(out_.data() + start, &size, sizeof size);
  }

 private:
  std::string& out_;
};

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
    auto n = pod<std::uint32_t>();
    need(n);
    std::string_view s = in_.substr(pos_, n);
    pos_ += n;
    return s;
  }
  std::string_view rest() const { return in_.substr(pos_); }

 private:
  void need(std::size_t n) const {
    if (pos_ + n > in_.size()) throw std::runtime_error("prun: truncated message from a worker");
  }
  std::string_view in_;
  std::size_t pos_ = 0;
};

void encode_record(Writer& w, const logging::Record& r);

/// Remembers the last interned value of each string field of a record stream: records from one
/// worker mostly repeat them, and a compare is far cheaper than a trip to the intern pool.
class InternCache {
 public:
  std::string_view get(int field, std::string_view raw) {
    Slot& s = slots_[field];
    if (s.interned.data() == nullptr || raw != s.interned) s.interned = logging::intern(raw);
    return s.interned;
  }

 private:
  struct Slot {
    std::string_view interned;
  };
  Slot slots_[5];
};

/// Decodes a record into `r`, reusing its strings' storage; views are interned so the record
/// outlives the input.
void decode_record(Reader& rd, InternCache& cache, logging::Record& r);

}  // namespace prun::pool::detail
