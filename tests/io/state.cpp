// The framed state format (io/state.hpp): magic "CXMS", u16 format version, u32 type tag, u64 payload
// length, payload, CRC-32 of everything before it. The layout is checked byte by byte and the CRC
// against an independent bitwise CRC-32 written here; every failed check names itself.

#include <array>
#include <cstddef>
#include <cstdint>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <doctest/doctest.h>

#include "cxm/core/compensated_sum.hpp"
#include "cxm/core/error.hpp"
#include "cxm/core/invalid_input.hpp"
#include "cxm/core/moments.hpp"
#include "cxm/io/reader.hpp"
#include "cxm/io/state.hpp"
#include "cxm/io/writer.hpp"
#include "cxm/survey/nps.hpp"

namespace {

/// CRC-32 as in zip/PNG/Ethernet, one bit at a time: reflected polynomial 0xEDB88320, initial value and
/// final xor 0xFFFFFFFF (the "CRC-32" of Williams' "A Painless Guide to CRC Error Detection Algorithms",
/// check value 0xCBF43926 for the ASCII bytes "123456789").
std::uint32_t bitwise_crc32(std::span<const std::byte> bytes) {
  std::uint32_t crc = 0xFFFFFFFFu;
  for (const std::byte b : bytes) {
    crc ^= std::to_integer<std::uint32_t>(b);
    for (int bit = 0; bit < 8; ++bit) crc = (crc & 1u) != 0 ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
  }
  return crc ^ 0xFFFFFFFFu;
}

std::vector<std::byte> text_bytes(std::string_view text) {
  std::vector<std::byte> out;
  for (const char c : text) out.push_back(static_cast<std::byte>(c));
  return out;
}

std::uint64_t read_le(const std::vector<std::byte>& image, std::size_t offset, std::size_t size) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < size; ++i) v |= std::to_integer<std::uint64_t>(image[offset + i]) << (8 * i);
  return v;
}

void write_le(std::vector<std::byte>& image, std::size_t offset, std::size_t size, std::uint64_t v) {
  for (std::size_t i = 0; i < size; ++i) image[offset + i] = static_cast<std::byte>((v >> (8 * i)) & 0xffu);
}

/// Recomputes the trailing CRC with the independent implementation, so that a deliberately altered
/// header reaches the check after the CRC.
void reseal(std::vector<std::byte>& image) {
  const std::size_t end = image.size() - 4;
  write_le(image, end, 4, bitwise_crc32(std::span(image).first(end)));
}

template <class A>
std::string load_message(const std::vector<std::byte>& image) {
  try {
    (void)cxm::io::load_state<A>(image);
  } catch (const cxm::format_error& e) {
    return e.what();
  }
  return "loaded";
}

/// 1 + 1e100 + 1 − 1e100: sum 0, compensation 2 (see tests/core/compensated_sum.cpp).
cxm::compensated_sum sample_sum() {
  cxm::compensated_sum s;
  for (const double x : {1.0, 1e100, 1.0, -1e100}) s.add(x);
  return s;
}

/// A type whose load records the format version its reader was handed.
struct version_probe {
  static constexpr std::uint32_t type_tag = cxm::fourcc("prob");
  static constexpr std::uint16_t format_version = 3;
  std::uint16_t seen = 0;
  void save(cxm::io::writer&) const {}
  static version_probe load(cxm::io::reader& r) { return version_probe{r.format_version()}; }
};

}  // namespace

TEST_CASE("the independent bitwise CRC-32 gives the published check value") {
  CHECK(bitwise_crc32(text_bytes("123456789")) == 0xCBF43926u);
  CHECK(bitwise_crc32({}) == 0u);
}

TEST_CASE("io::crc32 agrees with the bitwise CRC-32 on the check string and on random buffers") {
  CHECK(cxm::io::crc32(text_bytes("123456789")) == 0xCBF43926u);
  std::mt19937_64 rng(5);
  for (std::size_t size = 0; size < 300; ++size) {
    std::vector<std::byte> buffer(size);
    for (auto& b : buffer) b = static_cast<std::byte>(rng() & 0xffu);
    CHECK(cxm::io::crc32(buffer) == bitwise_crc32(buffer));
  }
}

TEST_CASE("a saved compensated_sum is magic, version, tag, length, payload and CRC, little-endian") {
  const auto image = cxm::io::save_state(sample_sum());
  // 4 magic + 2 version + 4 tag + 8 length + 16 payload (two f64) + 4 CRC = 38 bytes.
  REQUIRE(image.size() == 38);
  CHECK(image[0] == std::byte{'C'});
  CHECK(image[1] == std::byte{'X'});
  CHECK(image[2] == std::byte{'M'});
  CHECK(image[3] == std::byte{'S'});
  CHECK(image[4] == std::byte{1});  // format version 1, u16 little-endian
  CHECK(image[5] == std::byte{0});
  CHECK(image[6] == std::byte{'c'});  // type tag "csum"
  CHECK(image[7] == std::byte{'s'});
  CHECK(image[8] == std::byte{'u'});
  CHECK(image[9] == std::byte{'m'});
  CHECK(read_le(image, 10, 8) == 16);  // payload length
  CHECK(read_le(image, 18, 8) == 0);   // sum: 0.0 has all bits zero
  CHECK(read_le(image, 26, 8) == 0x4000000000000000u);  // compensation 2.0 = 0x4000000000000000
  CHECK(read_le(image, 34, 4) == bitwise_crc32(std::span(image).first(34)));
  CHECK(cxm::io::state_header_size == 18);
  CHECK(cxm::io::state_trailer_size == 4);

  const auto loaded = cxm::io::load_state<cxm::compensated_sum>(image);
  CHECK(loaded == sample_sum());
  CHECK(loaded.value() == 2.0);
}

TEST_CASE("a saved rejection_counts frames its 89-byte payload under the tag 'rejc', version 3") {
  cxm::rejection_counts counts;
  counts.add(cxm::rejection_reason::unknown_kind);
  counts.add(cxm::rejection_reason::score_not_whole);
  counts.add(cxm::rejection_reason::score_not_whole);
  const auto image = cxm::io::save_state(counts);
  REQUIRE(image.size() == 18 + 89 + 4);  // payload: u8 reason count + 11 × u64
  CHECK(read_le(image, 4, 2) == 3);
  CHECK(read_le(image, 6, 4) == cxm::fourcc("rejc"));
  CHECK(read_le(image, 10, 8) == 89);
  CHECK(image[18] == std::byte{11});
  CHECK(read_le(image, 19 + 8 * 5, 8) == 1);   // unknown_kind = 5
  CHECK(read_le(image, 19 + 8 * 10, 8) == 2);  // score_not_whole = 10, the last reason
  CHECK(read_le(image, 18 + 89, 4) == bitwise_crc32(std::span(image).first(18 + 89)));
  CHECK(cxm::io::load_state<cxm::rejection_counts>(image) == counts);
}

TEST_CASE("an image shorter than the frame is rejected with its size") {
  const auto image = cxm::io::save_state(sample_sum());
  CHECK(load_message<cxm::compensated_sum>({}) == "state image of 0 bytes is shorter than the 22-byte frame");
  CHECK(load_message<cxm::compensated_sum>(std::vector<std::byte>(image.begin(), image.begin() + 21)) ==
        "state image of 21 bytes is shorter than the 22-byte frame");
}

TEST_CASE("a wrong magic is 'not a cxm state image'") {
  for (std::size_t at = 0; at < 4; ++at) {
    auto image = cxm::io::save_state(sample_sum());
    image[at] = std::byte{'x'};
    reseal(image);
    CHECK(load_message<cxm::compensated_sum>(image) == "not a cxm state image (bad magic)");
  }
}

TEST_CASE("a payload length that does not match the image is named with both sizes") {
  auto image = cxm::io::save_state(sample_sum());
  write_le(image, 10, 8, 15);
  reseal(image);
  CHECK(load_message<cxm::compensated_sum>(image) == "payload length 15 does not match the image (16 bytes)");
  write_le(image, 10, 8, 0xFFFFFFFFFFFFFFFFu);
  reseal(image);
  CHECK(load_message<cxm::compensated_sum>(image) ==
        "payload length 18446744073709551615 does not match the image (16 bytes)");
}

TEST_CASE("trailing bytes after the CRC change the image size and fail the length check") {
  auto image = cxm::io::save_state(sample_sum());
  image.push_back(std::byte{0});
  CHECK(load_message<cxm::compensated_sum>(image) == "payload length 16 does not match the image (17 bytes)");
}

TEST_CASE("trailing payload bytes the type does not read are an error naming the type") {
  // A consistent frame (length and CRC right) whose payload has one byte more than compensated_sum reads.
  cxm::io::writer w;
  w.raw(cxm::io::state_magic);
  w.u16(1);
  w.u32(cxm::compensated_sum::type_tag);
  w.u64(17);
  sample_sum().save(w);
  w.u8(0);
  w.u32(bitwise_crc32(w.bytes()));
  CHECK(load_message<cxm::compensated_sum>(w.bytes()) == "csum: 1 unread bytes after the state");
}

TEST_CASE("a CRC mismatch is reported for a corrupted payload, header or CRC") {
  auto payload_flip = cxm::io::save_state(sample_sum());
  payload_flip[20] ^= std::byte{0x01};
  CHECK(load_message<cxm::compensated_sum>(payload_flip) == "CRC-32 mismatch: the image is corrupted");

  auto version_flip = cxm::io::save_state(sample_sum());
  version_flip[4] = std::byte{2};  // not resealed
  CHECK(load_message<cxm::compensated_sum>(version_flip) == "CRC-32 mismatch: the image is corrupted");

  auto crc_flip = cxm::io::save_state(sample_sum());
  crc_flip.back() ^= std::byte{0x80};
  CHECK(load_message<cxm::compensated_sum>(crc_flip) == "CRC-32 mismatch: the image is corrupted");
}

TEST_CASE("an image of another type names both tags") {
  const auto image = cxm::io::save_state(sample_sum());
  CHECK(load_message<cxm::moments>(image) == "type tag is 'csum', expected 'mome'");
  CHECK(load_message<cxm::rejection_counts>(image) == "type tag is 'csum', expected 'rejc'");
  // Unprintable tag bytes show as '?'.
  auto odd = image;
  write_le(odd, 6, 4, 0x01020304u);
  reseal(odd);
  CHECK(cxm::io::tag_name(cxm::fourcc("nps ")) == "nps");  // trailing padding spaces are not shown
  CHECK(load_message<cxm::compensated_sum>(odd) == "type tag is '?\?\?\?', expected 'csum'");
}

TEST_CASE("format version 0 and versions newer than this build are unknown") {
  auto image = cxm::io::save_state(sample_sum());
  write_le(image, 4, 2, 0);
  reseal(image);
  CHECK(load_message<cxm::compensated_sum>(image) == "csum: unknown format version 0 (this build reads 1..1)");
  write_le(image, 4, 2, 2);
  reseal(image);
  CHECK(load_message<cxm::compensated_sum>(image) == "csum: unknown format version 2 (this build reads 1..1)");
  write_le(image, 4, 2, 65535);
  reseal(image);
  CHECK(load_message<cxm::compensated_sum>(image) == "csum: unknown format version 65535 (this build reads 1..1)");
  write_le(image, 4, 2, 1);
  reseal(image);
  CHECK(load_message<cxm::compensated_sum>(image) == "loaded");  // the reseal itself is sound
}

TEST_CASE("a payload that fails the type's own validation reports the type's message") {
  // moments with n = 0 but a non-zero mean, in an otherwise perfect frame.
  cxm::io::writer payload;
  payload.u64(0);
  payload.f64(0.0);
  payload.f64(0.0);
  payload.f64(7.0);
  payload.f64(0.0);
  cxm::io::writer w;
  w.raw(cxm::io::state_magic);
  w.u16(1);
  w.u32(cxm::moments::type_tag);
  w.u64(payload.size());
  w.raw(payload.bytes());
  w.u32(bitwise_crc32(w.bytes()));
  CHECK(load_message<cxm::moments>(w.bytes()) == "moments: n = 0 but the moments are not zero");
}

TEST_CASE("a framed nps image whose counts do not add up to n names the check") {
  // The payload of score_histogram::save, by hand: i32 low 0, i32 high 10, u64 n = 11, eleven bins of
  // {u64 unweighted, u64 weighted, f64 weight sum, f64 compensation} with one answer each except two on
  // score 4 (12 in all), then the squared weights {f64, f64}.
  cxm::io::writer payload;
  payload.i32(0);
  payload.i32(10);
  payload.u64(11);
  for (int score = 0; score <= 10; ++score) {
    payload.u64(score == 4 ? 2 : 1);
    payload.u64(0);
    payload.f64(0.0);
    payload.f64(0.0);
  }
  payload.f64(0.0);
  payload.f64(0.0);
  cxm::io::writer w;
  w.raw(cxm::io::state_magic);
  w.u16(1);
  w.u32(cxm::fourcc("nps "));
  w.u64(payload.size());
  w.raw(payload.bytes());
  w.u32(bitwise_crc32(w.bytes()));
  CHECK(load_message<cxm::nps>(w.bytes()) == "nps: counts sum to 12, n = 11");

  // The same image with n = 12 loads: 12 answers, 2 of them on score 4.
  auto fixed = w.bytes();
  write_le(fixed, 18 + 8, 8, 12);
  reseal(fixed);
  const auto r = cxm::io::load_state<cxm::nps>(fixed).result();
  CHECK(r.n == 12);
  CHECK(r.distribution[4].answers == 2);
  CHECK(r.promoters == 2);    // 9, 10
  CHECK(r.passives == 2);     // 7, 8
  CHECK(r.detractors == 8);   // 0..6 with two on 4
}

TEST_CASE("the payload's reader is given the image's format version") {
  static_assert(cxm::io::saveable<version_probe>);
  auto image = cxm::io::save_state(version_probe{});
  CHECK(read_le(image, 4, 2) == 3);
  CHECK(cxm::io::load_state<version_probe>(image).seen == 3);
  write_le(image, 4, 2, 2);  // an older version this build still reads
  reseal(image);
  CHECK(cxm::io::load_state<version_probe>(image).seen == 2);
  write_le(image, 4, 2, 4);
  reseal(image);
  CHECK(load_message<version_probe>(image) == "prob: unknown format version 4 (this build reads 1..3)");
}
