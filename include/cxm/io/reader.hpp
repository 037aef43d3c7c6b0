#pragma once
/// \file
/// Reads the fields of a state payload. Every read is bounds-checked; every failure throws
/// cxm::format_error naming what was being read. It never reads outside the span it was given.

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>

#include "cxm/core/error.hpp"

namespace cxm::io {

/// Reads the fields of a payload, little-endian; every read is bounds-checked and a failure throws
/// cxm::format_error naming `what` was being read.
class reader {
 public:
  /// `payload`: the bytes to read; `format_version`: the version the image was written with, so that
  /// `load` can read older layouts.
  explicit reader(std::span<const std::byte> payload, std::uint16_t format_version = 1) noexcept
      : data_(payload), version_(format_version) {}

  /// The version the image was written with.
  [[nodiscard]] std::uint16_t format_version() const noexcept { return version_; }
  [[nodiscard]] std::size_t remaining() const noexcept { return data_.size() - pos_; }  ///< bytes not read yet

  /// Reads an unsigned integer of 8, 16, 32 or 64 bits (u8 .. u64), or a two's-complement one (i32, i64).
  std::uint8_t u8(std::string_view what) { return get_unsigned<std::uint8_t>(what); }
  std::uint16_t u16(std::string_view what) { return get_unsigned<std::uint16_t>(what); }  ///< see u8
  std::uint32_t u32(std::string_view what) { return get_unsigned<std::uint32_t>(what); }  ///< see u8
  std::uint64_t u64(std::string_view what) { return get_unsigned<std::uint64_t>(what); }  ///< see u8
  /// See u8.
  std::int32_t i32(std::string_view what) { return static_cast<std::int32_t>(get_unsigned<std::uint32_t>(what)); }
  /// See u8.
  std::int64_t i64(std::string_view what) { return static_cast<std::int64_t>(get_unsigned<std::uint64_t>(what)); }

  /// A byte that must be 0 or 1.
  bool boolean(std::string_view what) {
    const auto v = u8(what);
    if (v > 1) fail(std::string(what) + " is " + std::to_string(v) + ", not 0 or 1");
    return v == 1;
  }

  /// A double that must be finite (NaN and infinities are rejected).
  double f64(std::string_view what) {
    const double v = std::bit_cast<double>(get_unsigned<std::uint64_t>(what));
    if (!std::isfinite(v)) fail(std::string(what) + " is not finite");
    return v;
  }

  /// A finite double that must also be >= 0.
  double non_negative_f64(std::string_view what) {
    const double v = f64(what);
    if (v < 0) fail(std::string(what) + " is negative (" + std::to_string(v) + ")");
    return v;
  }

  /// A length prefix for `element_size`-byte elements, checked against the bytes left before anyone
  /// allocates for it.
  std::size_t length(std::string_view what, std::size_t element_size) {
    const std::uint64_t n = u64(what);
    // Every element takes at least one byte, even when the caller says 0.
    if (n > remaining() / std::max<std::size_t>(element_size, 1)) {
      fail(std::string(what) + " is " + std::to_string(n) + " but only " + std::to_string(remaining()) +
           " bytes remain");
    }
    return static_cast<std::size_t>(n);
  }

  /// The next `n` bytes, as a view into the payload.
  std::span<const std::byte> raw(std::size_t n, std::string_view what) {
    need(n, what);
    auto out = data_.subspan(pos_, n);
    pos_ += n;
    return out;
  }

  /// A string written by writer::string: its length (`length_what`, checked against the bytes left),
  /// then its bytes (`bytes_what`). The view points into the payload.
  std::string_view string_view(std::string_view length_what, std::string_view bytes_what) {
    const auto n = length(length_what, 1);
    const auto bytes = raw(n, bytes_what);
    return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
  }
  /// A string written by writer::string, copied.
  std::string string(std::string_view what) { return std::string(string_view(what, what)); }

  /// Every payload byte must have been read.
  void expect_end(std::string_view what) const {
    if (remaining() != 0) fail(std::string(what) + ": " + std::to_string(remaining()) + " unread bytes after the state");
  }

  /// Throws cxm::format_error with `message`.
  [[noreturn]] static void fail(const std::string& message) { throw format_error(message); }

 private:
  void need(std::size_t n, std::string_view what) const {
    if (n > remaining()) {
      fail("truncated: " + std::string(what) + " needs " + std::to_string(n) + " bytes, " +
           std::to_string(remaining()) + " remain");
    }
  }

  template <class U>
  U get_unsigned(std::string_view what) {
    static_assert(std::is_unsigned_v<U>);
    need(sizeof(U), what);
    U v = 0;
    for (std::size_t i = 0; i < sizeof(U); ++i) {
      v = static_cast<U>(v | static_cast<U>(static_cast<U>(std::to_integer<std::uint8_t>(data_[pos_ + i])) << (8 * i)));
    }
    pos_ += sizeof(U);
    return v;
  }

  std::span<const std::byte> data_;
  std::size_t pos_ = 0;
  std::uint16_t version_;
};

}  // namespace cxm::io
