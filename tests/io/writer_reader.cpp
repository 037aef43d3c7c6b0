// io::writer and io::reader: the little-endian field layout byte by byte, and a reader that checks
// every read against the bytes it was given and names the field when it fails.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "cxm/core/error.hpp"
#include "cxm/io/reader.hpp"
#include "cxm/io/writer.hpp"

namespace {

std::vector<std::byte> bytes(std::initializer_list<unsigned> values) {
  std::vector<std::byte> out;
  for (const unsigned v : values) out.push_back(static_cast<std::byte>(v));
  return out;
}

/// Runs `read` on a reader over `data`; returns the format_error's message, or "read" when none.
template <class Read>
std::string failure(const std::vector<std::byte>& data, Read read) {
  cxm::io::reader r(data);
  try {
    read(r);
  } catch (const cxm::format_error& e) {
    return e.what();
  }
  return "read";
}

}  // namespace

TEST_CASE("writer lays out unsigned integers little-endian, least significant byte first") {
  cxm::io::writer w;
  w.u8(0xab);
  CHECK(w.bytes() == bytes({0xab}));

  cxm::io::writer w16;
  w16.u16(0x1234);
  CHECK(w16.bytes() == bytes({0x34, 0x12}));

  cxm::io::writer w32;
  w32.u32(0x12345678u);
  CHECK(w32.bytes() == bytes({0x78, 0x56, 0x34, 0x12}));

  cxm::io::writer w64;
  w64.u64(0x0102030405060708ull);
  CHECK(w64.bytes() == bytes({0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01}));
}

TEST_CASE("writer lays out signed integers as two's complement") {
  cxm::io::writer w;
  w.i32(-2);  // 0xfffffffe
  CHECK(w.bytes() == bytes({0xfe, 0xff, 0xff, 0xff}));

  cxm::io::writer w64;
  w64.i64(std::numeric_limits<std::int64_t>::min());  // 0x8000000000000000
  CHECK(w64.bytes() == bytes({0, 0, 0, 0, 0, 0, 0, 0x80}));
}

TEST_CASE("writer lays out doubles as their IEEE 754 bits, little-endian") {
  cxm::io::writer w;
  w.f64(1.0);  // 0x3ff0000000000000
  CHECK(w.bytes() == bytes({0, 0, 0, 0, 0, 0, 0xf0, 0x3f}));

  cxm::io::writer w2;
  w2.f64(-2.5);  // sign 1, exponent 1024 (0x400), mantissa 0.25 → 0xc004000000000000
  CHECK(w2.bytes() == bytes({0, 0, 0, 0, 0, 0, 0x04, 0xc0}));

  cxm::io::writer w3;
  w3.f64(-0.0);  // only the sign bit
  CHECK(w3.bytes() == bytes({0, 0, 0, 0, 0, 0, 0, 0x80}));
}

TEST_CASE("writer appends booleans as one byte and raw bytes verbatim, in call order") {
  cxm::io::writer w;
  w.boolean(true);
  w.boolean(false);
  const auto tail = bytes({0xde, 0xad});
  w.raw(tail);
  w.u16(7);
  CHECK(w.bytes() == bytes({1, 0, 0xde, 0xad, 7, 0}));
  CHECK(w.size() == 6);
  const auto moved = std::move(w).bytes();
  CHECK(moved.size() == 6);
}

TEST_CASE("reader reads back every field the writer wrote") {
  cxm::io::writer w;
  w.u8(200);
  w.u16(65535);
  w.u32(4'000'000'000u);
  w.u64(std::numeric_limits<std::uint64_t>::max());
  w.i32(std::numeric_limits<std::int32_t>::min());
  w.i64(-1);
  w.f64(std::numeric_limits<double>::denorm_min());
  w.f64(-std::numeric_limits<double>::max());
  w.f64(-0.0);
  w.boolean(true);
  cxm::io::reader r(w.bytes(), 3);
  CHECK(r.format_version() == 3);
  CHECK(r.remaining() == 1 + 2 + 4 + 8 + 4 + 8 + 8 + 8 + 8 + 1);
  CHECK(r.u8("a") == 200);
  CHECK(r.u16("b") == 65535);
  CHECK(r.u32("c") == 4'000'000'000u);
  CHECK(r.u64("d") == std::numeric_limits<std::uint64_t>::max());
  CHECK(r.i32("e") == std::numeric_limits<std::int32_t>::min());
  CHECK(r.i64("f") == -1);
  CHECK(r.f64("g") == std::numeric_limits<double>::denorm_min());
  CHECK(r.f64("h") == -std::numeric_limits<double>::max());
  const double negative_zero = r.non_negative_f64("i");  // −0 is not below zero
  CHECK(negative_zero == 0.0);
  CHECK(std::signbit(negative_zero));
  CHECK(r.boolean("j"));
  CHECK(r.remaining() == 0);
  CHECK_NOTHROW(r.expect_end("test"));
}

TEST_CASE("reader decodes little-endian bytes it did not write itself") {
  const auto data = bytes({0x78, 0x56, 0x34, 0x12, 0xff, 0xff, 0xff, 0xff});
  cxm::io::reader r(data);
  CHECK(r.u32("x") == 0x12345678u);
  CHECK(r.i32("y") == -1);
  CHECK(cxm::io::reader(bytes({0x01, 0x02})).format_version() == 1);  // the default version
}

TEST_CASE("reading past the end throws format_error naming the field, and reads nothing") {
  const auto three = bytes({1, 2, 3});
  CHECK(failure(three, [](cxm::io::reader& r) { r.u32("moments: n"); }) ==
        "truncated: moments: n needs 4 bytes, 3 remain");
  CHECK(failure(three, [](cxm::io::reader& r) { r.u64("nps: n"); }) == "truncated: nps: n needs 8 bytes, 3 remain");
  CHECK(failure(three, [](cxm::io::reader& r) { r.f64("weight"); }) == "truncated: weight needs 8 bytes, 3 remain");
  CHECK(failure(three, [](cxm::io::reader& r) { r.i64("time"); }) == "truncated: time needs 8 bytes, 3 remain");
  CHECK(failure(three, [](cxm::io::reader& r) { r.i32("low"); }) == "truncated: low needs 4 bytes, 3 remain");
  CHECK(failure({}, [](cxm::io::reader& r) { r.u8("flag"); }) == "truncated: flag needs 1 bytes, 0 remain");
  CHECK(failure({}, [](cxm::io::reader& r) { r.boolean("flag"); }) == "truncated: flag needs 1 bytes, 0 remain");
  CHECK(failure(three, [](cxm::io::reader& r) { r.raw(4, "blob"); }) == "truncated: blob needs 4 bytes, 3 remain");
  CHECK(failure(three, [](cxm::io::reader& r) {
          r.u16("a");
          r.u16("b");
        }) == "truncated: b needs 2 bytes, 1 remain");

  // A failed read does not advance: the bytes are still there for a smaller read.
  cxm::io::reader r(three);
  CHECK_THROWS_AS(r.u32("x"), cxm::format_error);
  CHECK(r.remaining() == 3);
  CHECK(r.u16("y") == 0x0201);
  CHECK(r.u8("z") == 3);
}

TEST_CASE("reader rejects NaN and infinities wherever a double is read") {
  const auto nan_bytes = [] {
    cxm::io::writer w;
    w.f64(std::numeric_limits<double>::quiet_NaN());
    return std::move(w).bytes();
  }();
  CHECK(failure(nan_bytes, [](cxm::io::reader& r) { r.f64("moments: mean"); }) == "moments: mean is not finite");
  CHECK(failure(nan_bytes, [](cxm::io::reader& r) { r.non_negative_f64("w"); }) == "w is not finite");
  // A signalling NaN with payload bits, written by hand: exponent all ones, mantissa non-zero.
  CHECK(failure(bytes({1, 0, 0, 0, 0, 0, 0xf0, 0x7f}), [](cxm::io::reader& r) { r.f64("x"); }) == "x is not finite");
  // +inf 0x7ff0000000000000, −inf 0xfff0000000000000.
  CHECK(failure(bytes({0, 0, 0, 0, 0, 0, 0xf0, 0x7f}), [](cxm::io::reader& r) { r.f64("x"); }) == "x is not finite");
  CHECK(failure(bytes({0, 0, 0, 0, 0, 0, 0xf0, 0xff}), [](cxm::io::reader& r) { r.f64("x"); }) == "x is not finite");
  // The largest finite double 0x7fefffffffffffff is accepted.
  CHECK(failure(bytes({0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xef, 0x7f}), [](cxm::io::reader& r) { r.f64("x"); }) ==
        "read");
}

TEST_CASE("non_negative_f64 rejects negative numbers with the value") {
  cxm::io::writer w;
  w.f64(-1.5);
  CHECK(failure(w.bytes(), [](cxm::io::reader& r) { r.non_negative_f64("moments: M2"); }) ==
        "moments: M2 is negative (-1.500000)");
}

TEST_CASE("boolean accepts only 0 and 1") {
  CHECK(failure(bytes({2}), [](cxm::io::reader& r) { r.boolean("weighted"); }) == "weighted is 2, not 0 or 1");
  CHECK(failure(bytes({255}), [](cxm::io::reader& r) { r.boolean("weighted"); }) == "weighted is 255, not 0 or 1");
  const auto zero_one = bytes({0, 1});  // the reader views these bytes: they must outlive it
  cxm::io::reader r(zero_one);
  CHECK_FALSE(r.boolean("a"));
  CHECK(r.boolean("b"));
}

TEST_CASE("length rejects a count larger than the remaining bytes allow, before anyone allocates") {
  // Length 1000 of 8-byte elements with 16 bytes after the prefix.
  cxm::io::writer w;
  w.u64(1000);
  w.u64(0);
  w.u64(0);
  CHECK(failure(w.bytes(), [](cxm::io::reader& r) { r.length("table: records", 8); }) ==
        "table: records is 1000 but only 16 bytes remain");

  // 2^64 − 1 one-byte elements (an allocation that would fail or exhaust memory) is refused.
  cxm::io::writer huge;
  huge.u64(std::numeric_limits<std::uint64_t>::max());
  CHECK(failure(huge.bytes(), [](cxm::io::reader& r) { r.length("blob", 1); }) ==
        "blob is 18446744073709551615 but only 0 bytes remain");

  // 2^61 elements of 8 bytes: n · size would overflow to 0 in 64 bits; the check divides instead.
  cxm::io::writer wraps;
  wraps.u64(std::uint64_t{1} << 61);
  CHECK(failure(wraps.bytes(), [](cxm::io::reader& r) { r.length("ids", 8); }) ==
        "ids is 2305843009213693952 but only 0 bytes remain");

  // An exact fit is accepted: 2 elements of 8 bytes in 16 bytes.
  cxm::io::writer fits;
  fits.u64(2);
  fits.u64(0);
  fits.u64(0);
  cxm::io::reader fitting(fits.bytes());
  CHECK(fitting.length("ids", 8) == 2);
  CHECK(fitting.remaining() == 16);

  // ...and one element more is not: 3 · 8 > 16 (the rounding of 17 / 8 = 2 must not let it through).
  cxm::io::writer off_by_one;
  off_by_one.u64(3);
  off_by_one.u64(0);
  off_by_one.u64(0);
  off_by_one.u8(0);
  CHECK(failure(off_by_one.bytes(), [](cxm::io::reader& r) { r.length("ids", 8); }) ==
        "ids is 3 but only 17 bytes remain");
}

TEST_CASE("raw returns a view of the next bytes and advances") {
  const auto data = bytes({10, 20, 30, 40});
  cxm::io::reader r(data);
  const auto first = r.raw(3, "head");
  REQUIRE(first.size() == 3);
  CHECK(first[0] == std::byte{10});
  CHECK(first[2] == std::byte{30});
  CHECK(first.data() == data.data());  // a view, not a copy
  CHECK(r.remaining() == 1);
  CHECK(r.raw(0, "nothing").empty());
}

TEST_CASE("expect_end fails when payload bytes are left unread") {
  const auto data = bytes({1, 2, 3});
  CHECK(failure(data, [](cxm::io::reader& r) {
          r.u8("a");
          r.expect_end("nps");
        }) == "nps: 2 unread bytes after the state");
  CHECK(failure(data, [](cxm::io::reader& r) {
          r.raw(3, "all");
          r.expect_end("nps");
        }) == "read");
}

TEST_CASE("reader::fail throws format_error with the given message") {
  CHECK_THROWS_WITH_AS(cxm::io::reader::fail("csat: bad"), "csat: bad", cxm::format_error);
  CHECK_THROWS_AS(cxm::io::reader::fail("x"), std::runtime_error);
}
