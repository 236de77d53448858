#pragma once
/// How results (and, for spawned workers, arguments) travel between processes.
///
/// Arithmetic types are copied as bytes; everything else goes through cereal's binary archive,
/// so standard containers, strings, std::optional, pairs, tuples and variants work as they are.
/// The one customization point for your own types is cereal's: give them
///
///     template <class Archive> void serialize(Archive& ar) { ar(field1, field2); }
///
/// (a member, or a free function `serialize(Archive&, T&)`; see cereal's documentation).

#include <cereal/archives/binary.hpp>
#include <cereal/types/array.hpp>
#include <cereal/types/chrono.hpp>
#include <cereal/types/deque.hpp>
#include <cereal/types/list.hpp>
#include <cereal/types/map.hpp>
#include <cereal/types/optional.hpp>
#include <cereal/types/set.hpp>
#include <cereal/types/string.hpp>
#include <cereal/types/tuple.hpp>
#include <cereal/types/unordered_map.hpp>
#include <cereal/types/unordered_set.hpp>
#include <cereal/types/utility.hpp>
#include <cereal/types/variant.hpp>
#include <cereal/types/vector.hpp>

#include <cstring>
#include <istream>
#include <ostream>
#include <stdexcept>
#include <streambuf>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>

namespace prun::runner {

/// True when T can travel between processes.
template <typename T>
inline constexpr bool is_transferable_v =
    std::is_arithmetic_v<T> || std::is_enum_v<T> ||
    (cereal::traits::is_output_serializable<T, cereal::BinaryOutputArchive>::value &&
     cereal::traits::is_input_serializable<T, cereal::BinaryInputArchive>::value);

namespace detail {

template <typename T>
struct is_plain_tuple : std::false_type {};
template <typename... T>
struct is_plain_tuple<std::tuple<T...>> : std::bool_constant<((std::is_arithmetic_v<T> || std::is_enum_v<T>) && ...)> {};
/// Plain bytes suffice: arithmetic types, enums, and tuples of them (most tasks' arguments).
template <typename T>
inline constexpr bool is_plain_v = std::is_arithmetic_v<T> || std::is_enum_v<T> || is_plain_tuple<T>::value;

template <typename T>
void put_plain(std::string& out, const T& value) {
  if constexpr (is_plain_tuple<T>::value)
    std::apply([&](const auto&... v) { (out.append(reinterpret_cast<const char*>(&v), sizeof v), ...); }, value);
  else
    out.append(reinterpret_cast<const char*>(&value), sizeof value);
}

template <typename T>
T get_plain(std::string_view bytes) {
  T value{};
  std::size_t at = 0;
  auto take = [&](auto& v) {
    if (at + sizeof v > bytes.size()) throw std::runtime_error("prun: a value has the wrong size");
    std::memcpy(&v, bytes.data() + at, sizeof v);
    at += sizeof v;
  };
  if constexpr (is_plain_tuple<T>::value)
    std::apply([&](auto&... v) { (take(v), ...); }, value);
  else
    take(value);
  if (at != bytes.size()) throw std::runtime_error("prun: a value has the wrong size");
  return value;
}

class StringSink final : public std::streambuf {
 public:
  void target(std::string* s) noexcept { out_ = s; }

 protected:
  int_type overflow(int_type c) override {
    if (c != traits_type::eof()) out_->push_back(static_cast<char>(c));
    return c;
  }
  std::streamsize xsputn(const char* s, std::streamsize n) override {
    out_->append(s, static_cast<std::size_t>(n));
    return n;
  }

 private:
  std::string* out_ = nullptr;
};

class ViewSource final : public std::streambuf {
 public:
  void source(std::string_view s) noexcept {
    char* p = const_cast<char*>(s.data());
    setg(p, p, p + s.size());
  }
};

}  // namespace detail

/// Appends the bytes of `value` to `out`.
template <typename T>
void encode(std::string& out, const T& value) {
  static_assert(is_transferable_v<T>,
                "prun: this type cannot travel between processes; give it a cereal serialize() "
                "function (see prun/runner/codec.hpp)");
  if constexpr (detail::is_plain_v<T>) {
    detail::put_plain(out, value);
  } else {
    thread_local detail::StringSink sink;
    thread_local std::ostream os(&sink);
    sink.target(&out);
    cereal::BinaryOutputArchive archive(os);
    archive(value);
  }
}

/// The value encode() wrote into `bytes`. Throws std::runtime_error on malformed input.
template <typename T>
T decode(std::string_view bytes) {
  static_assert(is_transferable_v<T>,
                "prun: this type cannot travel between processes; give it a cereal serialize() "
                "function (see prun/runner/codec.hpp)");
  if constexpr (detail::is_plain_v<T>) {
    return detail::get_plain<T>(bytes);
  } else {
    thread_local detail::ViewSource source;
    thread_local std::istream is(&source);
    source.source(bytes);
    is.clear();
    cereal::BinaryInputArchive archive(is);
    if constexpr (std::is_default_constructible_v<T>) {
      T value{};
      archive(value);
      return value;
    } else {
      static_assert(std::is_default_constructible_v<T>, "prun: results must be default-constructible");
    }
  }
}

}  // namespace prun::runner
