#pragma once
/// \file
/// Appends the fields of a state payload, little-endian, whatever the host's byte order.

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>
#include <type_traits>
#include <vector>

/// The state format's byte level: writer, reader and the framed image (docs/state-format.md).
namespace cxm::io {

/// Appends the fields of a payload, little-endian whatever the host's byte order.
class writer {
 public:
  /// Appends an unsigned integer of 8, 16, 32 or 64 bits (u8 .. u64), or a two's-complement one (i32, i64).
  void u8(std::uint8_t v) { put_unsigned(v); }
  void u16(std::uint16_t v) { put_unsigned(v); }  ///< see u8
  void u32(std::uint32_t v) { put_unsigned(v); }  ///< see u8
  void u64(std::uint64_t v) { put_unsigned(v); }  ///< see u8
  void i32(std::int32_t v) { put_unsigned(static_cast<std::uint32_t>(v)); }  ///< see u8
  void i64(std::int64_t v) { put_unsigned(static_cast<std::uint64_t>(v)); }  ///< see u8
  void f64(double v) { put_unsigned(std::bit_cast<std::uint64_t>(v)); }  ///< IEEE 754 binary64, bit for bit
  void boolean(bool v) { u8(v ? 1 : 0); }  ///< one byte, 0 or 1
  /// The bytes as they are.
  void raw(std::span<const std::byte> data) { bytes_.insert(bytes_.end(), data.begin(), data.end()); }
  /// A length-prefixed string: u64 length, then the bytes (no terminator).
  void string(std::string_view s) {
    u64(s.size());
    raw(std::as_bytes(std::span(s.data(), s.size())));
  }

  [[nodiscard]] const std::vector<std::byte>& bytes() const& noexcept { return bytes_; }  ///< what was written so far
  [[nodiscard]] std::vector<std::byte> bytes() && noexcept { return std::move(bytes_); }  ///< the bytes, moved out
  [[nodiscard]] std::size_t size() const noexcept { return bytes_.size(); }  ///< number of bytes written

 private:
  template <class U>
  void put_unsigned(U v) {
    static_assert(std::is_unsigned_v<U>);
    for (std::size_t i = 0; i < sizeof(U); ++i) {
      bytes_.push_back(static_cast<std::byte>(static_cast<std::uint8_t>(v >> (8 * i))));
    }
  }

  std::vector<std::byte> bytes_;
};

}  // namespace cxm::io
