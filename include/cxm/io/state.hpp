#pragma once
/// \file
/// The framed binary state format (docs/state-format.md):
///   offset 0   4 bytes  magic "CXMS"
///   offset 4   u16      format version of the payload's type
///   offset 6   u32      type tag (fourcc of the accumulator)
///   offset 10  u64      payload length
///   offset 18  payload
///   end - 4    u32      CRC-32 (Boost.CRC, the zip polynomial) of every byte before it
/// All integers little-endian.

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <boost/crc.hpp>

#include "cxm/core/accumulator.hpp"
#include "cxm/core/error.hpp"
#include "cxm/io/reader.hpp"
#include "cxm/io/writer.hpp"

namespace cxm::io {

/// The first four bytes of a framed image: "CXMS".
inline constexpr std::array<std::byte, 4> state_magic{std::byte{'C'}, std::byte{'X'}, std::byte{'M'}, std::byte{'S'}};
inline constexpr std::size_t state_header_size = 18;  ///< magic, version, tag, length (docs/state-format.md)
inline constexpr std::size_t state_trailer_size = 4;  ///< the CRC-32

/// A type that can be written in the framed format.
template <class A>
concept saveable = requires(const A ca, writer& w, reader& r) {
  ca.save(w);
  { A::load(r) } -> std::same_as<A>;
  { A::type_tag } -> std::convertible_to<std::uint32_t>;
  { A::format_version } -> std::convertible_to<std::uint16_t>;
};

/// The CRC-32 of zip and zlib (Boost.CRC's crc_32_type) of `bytes`.
inline std::uint32_t crc32(std::span<const std::byte> bytes) noexcept {
  boost::crc_32_type crc;
  crc.process_bytes(bytes.data(), bytes.size());
  return crc.checksum();
}

/// A type tag as text, for messages (fourcc("nps ") reads "nps").
inline std::string tag_name(std::uint32_t tag) {
  std::string out;
  for (int i = 0; i < 4; ++i) {
    const auto c = static_cast<char>((tag >> (8 * i)) & 0xffu);
    out += (c >= 32 && c < 127) ? c : '?';
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();  // "nps " reads as "nps"
  return out;
}

/// The complete framed image of `state`.
template <saveable A>
std::vector<std::byte> save_state(const A& state) {
  writer payload;
  state.save(payload);
  writer out;
  out.raw(state_magic);
  out.u16(A::format_version);
  out.u32(A::type_tag);
  out.u64(payload.size());
  out.raw(payload.bytes());
  out.u32(crc32(out.bytes()));
  return std::move(out).bytes();
}

/// Loads a framed image written by save_state for the same type (any format version up to
/// A::format_version). Throws cxm::format_error, naming the failed check, on any mismatch.
/// `load_args` go to A::load after the reader: io::load_state<cxm::engine<>>(image, prototype) loads
/// an engine with the metric instances (parameters) of `prototype` and checks the saved ones against them.
template <saveable A, class... LoadArgs>
A load_state(std::span<const std::byte> image, const LoadArgs&... load_args) {
  const std::string expected = tag_name(A::type_tag);
  if (image.size() < state_header_size + state_trailer_size) {
    reader::fail("state image of " + std::to_string(image.size()) + " bytes is shorter than the " +
                 std::to_string(state_header_size + state_trailer_size) + "-byte frame");
  }
  reader header(image.first(state_header_size));
  for (const auto b : state_magic) {
    if (header.u8("magic") != std::to_integer<std::uint8_t>(b)) reader::fail("not a cxm state image (bad magic)");
  }
  const auto version = header.u16("format version");
  const auto tag = header.u32("type tag");
  const auto length = header.u64("payload length");
  if (length != image.size() - state_header_size - state_trailer_size) {
    reader::fail("payload length " + std::to_string(length) + " does not match the image (" +
                 std::to_string(image.size() - state_header_size - state_trailer_size) + " bytes)");
  }
  reader trailer(image.last(state_trailer_size));
  const auto stored_crc = trailer.u32("crc");
  const auto actual_crc = crc32(image.first(image.size() - state_trailer_size));
  if (stored_crc != actual_crc) reader::fail("CRC-32 mismatch: the image is corrupted");
  if (tag != A::type_tag) {
    reader::fail("type tag is '" + tag_name(tag) + "', expected '" + expected + "'");
  }
  if (version == 0 || version > A::format_version) {
    reader::fail(expected + ": unknown format version " + std::to_string(version) + " (this build reads 1.." +
                 std::to_string(A::format_version) + ")");
  }
  reader payload(image.subspan(state_header_size, static_cast<std::size_t>(length)), version);
  A state = A::load(payload, load_args...);
  payload.expect_end(expected);
  return state;
}

}  // namespace cxm::io
