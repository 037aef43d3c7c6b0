#pragma once
/// \file
/// Customer ids: integers, strings (looked up as std::string_view, with no allocation per lookup) and
/// 16-byte UUIDs out of the box; any other hashable type through a specialisation of customer_id_traits.
///   hash / equal   transparent functors for the customer table;
///   empty(id)      an id that names nobody (empty string, nil UUID) is rejected as empty_customer_id;
///   save / load    the id's bytes in the state format.

#include <concepts>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <type_traits>

#include <boost/container_hash/hash.hpp>

#include "cxm/io/reader.hpp"
#include "cxm/io/writer.hpp"
#include "cxm/stream/event.hpp"

namespace cxm {

template <class Id>
struct customer_id_traits;

namespace detail {
template <std::size_t Bits, bool Signed>
constexpr std::string_view integer_id_name() noexcept {
  if constexpr (Bits == 8) return Signed ? "int8" : "uint8";
  if constexpr (Bits == 16) return Signed ? "int16" : "uint16";
  if constexpr (Bits == 32) return Signed ? "int32" : "uint32";
  return Signed ? "int64" : "uint64";
}
}  // namespace detail

/// Integer ids, saved as 64-bit two's complement.
template <std::integral Id>
struct customer_id_traits<Id> {
  /// Width and signedness are part of the engine's composition signature: a state saved with uint64
  /// ids never loads into an engine with uint32 ids.
  static constexpr std::string_view type_name = detail::integer_id_name<8 * sizeof(Id), std::is_signed_v<Id>>();
  /// Hashes an id for the customer table (boost::hash).
  struct hash {
    using is_transparent = void;  ///< heterogeneous lookup
    std::size_t operator()(Id id) const noexcept { return boost::hash<Id>{}(id); }  ///< the hash of `id`
  };
  using equal = std::equal_to<>;  ///< transparent equality
  static constexpr bool empty(Id) noexcept { return false; }  ///< an integer always names a customer
  /// The fewest bytes an id takes in a saved state.
  static constexpr std::size_t min_encoded_size = 8;
  /// The id as text, for messages.
  template <std::integral Key>
  static std::string text(Key id) {
    return std::to_string(id);
  }
  static void save(Id id, io::writer& w) { w.i64(static_cast<std::int64_t>(id)); }  ///< the id as an i64
  static Id load(io::reader& r) { return static_cast<Id>(r.i64("customer id")); }  ///< an id written by save
};

/// String ids, looked up as std::string_view, saved as a length-prefixed string.
template <>
struct customer_id_traits<std::string> {
  static constexpr std::string_view type_name = "string";  ///< part of the engine's composition signature
  /// Hashes the id's characters (boost::hash of std::string_view), for std::string and std::string_view alike.
  struct hash {
    using is_transparent = void;  ///< heterogeneous lookup
    /// The hash of `id`.
    std::size_t operator()(std::string_view id) const noexcept { return boost::hash<std::string_view>{}(id); }
  };
  using equal = std::equal_to<>;  ///< transparent equality
  static bool empty(std::string_view id) noexcept { return id.empty(); }  ///< the empty string names nobody
  static constexpr std::size_t min_encoded_size = 8;  ///< the length field
  /// The id quoted, for messages (at most 64 characters of it).
  /// Built by appending: GCC 12 at -O2/-O3 reports a false -Wrestrict inside `"\"" + std::string(...)`.
  static std::string text(std::string_view id) {
    std::string out;
    out.reserve(70);
    out += '"';
    out += id.substr(0, 64);
    out += id.size() > 64 ? "...\"" : "\"";
    return out;
  }
  static void save(const std::string& id, io::writer& w) { w.string(id); }  ///< writer::string
  /// An id written by save.
  static std::string load(io::reader& r) { return std::string(r.string_view("customer id length", "customer id")); }
};

/// 16-byte UUIDs, saved as their 16 bytes.
template <>
struct customer_id_traits<uuid> {
  static constexpr std::string_view type_name = "uuid";  ///< part of the engine's composition signature
  /// Hashes the 16 bytes (boost::hash_range).
  struct hash {
    using is_transparent = void;  ///< heterogeneous lookup
    /// The hash of `id`.
    std::size_t operator()(const uuid& id) const noexcept {
      return boost::hash_range(id.bytes.begin(), id.bytes.end());
    }
  };
  using equal = std::equal_to<>;  ///< transparent equality
  static constexpr bool empty(const uuid& id) noexcept { return id == uuid{}; }  ///< the nil UUID names nobody
  static constexpr std::size_t min_encoded_size = 16;  ///< the 16 bytes
  /// 8-4-4-4-12 hexadecimal digits, for messages.
  static std::string text(const uuid& id) {
    constexpr char digits[] = "0123456789abcdef";
    std::string out;
    for (std::size_t i = 0; i < id.bytes.size(); ++i) {
      if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
      out += digits[id.bytes[i] >> 4];
      out += digits[id.bytes[i] & 0xF];
    }
    return out;
  }
  /// The 16 bytes in order.
  static void save(const uuid& id, io::writer& w) {
    for (const auto b : id.bytes) w.u8(b);
  }
  /// An id written by save.
  static uuid load(io::reader& r) {
    uuid id;
    for (auto& b : id.bytes) b = r.u8("customer id");
    return id;
  }
};

}  // namespace cxm
