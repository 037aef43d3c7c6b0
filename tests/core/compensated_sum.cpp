// compensated_sum: Neumaier's compensated summation (Neumaier 1974), merge, save/load, invariants.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include <doctest/doctest.h>

#include "cxm/core/compensated_sum.hpp"
#include "cxm/core/error.hpp"
#include "cxm/io/reader.hpp"
#include "cxm/io/writer.hpp"
#include "support/invariants.hpp"

namespace {

// Plain left-to-right summation, for contrast. The operands come from a vector so that the compiler
// cannot fold the expression at compile time in another order.
double naive_sum(const std::vector<double>& xs) {
  double s = 0;
  for (const double x : xs) s += x;
  return s;
}

}  // namespace

TEST_CASE("compensated sum of 1 + 1e100 + 1 - 1e100 is 2 where naive summation gives 0") {
  const std::vector<double> xs{1.0, 1e100, 1.0, -1e100};
  // Naive: 1 + 1e100 rounds to 1e100, + 1 rounds to 1e100 again, − 1e100 = 0: both ones are lost.
  CHECK(naive_sum(xs) == 0.0);

  // Neumaier: each addition's rounding error (the lost 1) goes into the compensation term:
  // sum 1 → 1e100 (compensation 1) → 1e100 (compensation 2) → 0 (compensation 2 + 0); value 0 + 2.
  cxm::compensated_sum s;
  for (const double x : xs) s.add(x);
  CHECK(s.value() == 2.0);
  CHECK(s.result().value == 2.0);
}

TEST_CASE("compensated sum of 0.1 ten million times is within one ulp of a long double reference") {
  constexpr std::int64_t times = 10'000'000;
  const double tenth = 0.1;  // the double nearest 0.1, 0.1000000000000000055511151231257827...
  cxm::compensated_sum s;
  double naive = 0;
  for (std::int64_t i = 0; i < times; ++i) {
    s.add(tenth);
    naive += tenth;
  }
  // The exact sum is 10^7 times the double `tenth`, = 1000000.0000000000555...; the long double
  // product rounds only once (64-bit significand on x86-64: relative error <= 2^-64), so it is an
  // independent reference far more accurate than one ulp of 10^6 (2^-33 ≈ 1.16e-10).
  const long double reference = static_cast<long double>(times) * static_cast<long double>(tenth);
  const long double ulp = static_cast<long double>(std::nextafter(1e6, 2e6) - 1e6);
  const long double compensated_error = std::fabs(static_cast<long double>(s.value()) - reference);
  const long double naive_error = std::fabs(static_cast<long double>(naive) - reference);
  CHECK(compensated_error <= ulp);
  // Naive summation drifts by about 1.6e-4 here (999999.99983897...): a million ulps.
  CHECK(naive_error > 1e-5L);
}

TEST_CASE("compensated sum merge keeps both compensation terms") {
  // a: 1 + 1e100 → sum 1e100, compensation 1.  b: 1 − 1e100 → sum −1e100, compensation 1.
  // a.merge(b): sum 1e100 − 1e100 = 0 (exact, compensation + 0), then + b's compensation 1 → 2.
  cxm::compensated_sum a;
  a.add(1.0);
  a.add(1e100);
  cxm::compensated_sum b;
  b.add(1.0);
  b.add(-1e100);
  cxm::compensated_sum ab = a;
  ab.merge(b);
  CHECK(ab.value() == 2.0);
  cxm::compensated_sum ba = b;
  ba.merge(a);
  CHECK(ba.value() == 2.0);
}

TEST_CASE("compensated sum split into two parts and merged equals one pass for money amounts") {
  // Amounts with cents, including refunds; the reference is a long double loop (64-bit significand),
  // whose accumulated error over 10'000 terms of <= 1e4 stays far below 1e-12 of the total.
  std::mt19937_64 rng(7);
  std::uniform_int_distribution<std::int64_t> cents(-50'000, 1'000'000);
  std::vector<double> amounts;
  for (int i = 0; i < 10'000; ++i) amounts.push_back(static_cast<double>(cents(rng)) / 100.0);
  long double reference = 0;
  cxm::compensated_sum whole, first, second;
  for (std::size_t i = 0; i < amounts.size(); ++i) {
    reference += amounts[i];
    whole.add(amounts[i]);
    (i % 3 == 0 ? first : second).add(amounts[i]);
  }
  first.merge(second);
  CXM_CHECK_CLOSE(whole.value(), static_cast<double>(reference));
  CXM_CHECK_CLOSE(first.value(), static_cast<double>(reference));
}

TEST_CASE("compensated sum starts at zero or at an initial value") {
  CHECK(cxm::compensated_sum{}.value() == 0.0);
  cxm::compensated_sum s(5.25);
  CHECK(s.value() == 5.25);
  s.add(0.75);
  CHECK(s.value() == 6.0);  // 5.25 + 0.75, both exact binary fractions
  CHECK(cxm::compensated_sum{} == cxm::compensated_sum{0.0});
}

TEST_CASE("compensated sum saves its sum and compensation as two little-endian f64") {
  cxm::compensated_sum s;
  s.add(1.0);
  s.add(1e100);  // sum 1e100, compensation 1
  cxm::io::writer w;
  s.save(w);
  REQUIRE(w.size() == 16);
  cxm::io::reader check(w.bytes());
  CHECK(check.f64("sum") == 1e100);
  CHECK(check.f64("compensation") == 1.0);

  cxm::io::reader r(w.bytes());
  const auto loaded = cxm::compensated_sum::load(r);
  CHECK(loaded == s);
  CHECK(r.remaining() == 0);
}

TEST_CASE("compensated sum load rejects a NaN or infinite sum and a truncated image") {
  {
    cxm::io::writer w;
    w.f64(std::numeric_limits<double>::quiet_NaN());
    w.f64(0.0);
    cxm::io::reader r(w.bytes());
    CHECK_THROWS_WITH_AS(cxm::compensated_sum::load(r), "compensated_sum: sum is not finite", cxm::format_error);
  }
  {
    cxm::io::writer w;
    w.f64(1.0);
    w.f64(-std::numeric_limits<double>::infinity());
    cxm::io::reader r(w.bytes());
    CHECK_THROWS_WITH_AS(cxm::compensated_sum::load(r), "compensated_sum: compensation is not finite",
                         cxm::format_error);
  }
  {
    cxm::io::writer w;
    w.f64(1.0);
    w.u32(0);
    cxm::io::reader r(w.bytes());
    CHECK_THROWS_WITH_AS(cxm::compensated_sum::load(r),
                         "truncated: compensated_sum: compensation needs 8 bytes, 4 remain", cxm::format_error);
  }
}

TEST_CASE("compensated sum keeps the accumulator invariants") {
  // Amounts spread over six orders of magnitude, some negative (refunds).
  auto draw = [](std::mt19937_64& rng) {
    const double magnitude = std::pow(10.0, std::uniform_real_distribution<double>(-2.0, 4.0)(rng));
    return rng() % 5 == 0 ? -magnitude : magnitude;
  };
  auto same = [](const cxm::compensated_sum::result_type& a, const cxm::compensated_sum::result_type& b) {
    CXM_CHECK_CLOSE(a.value, b.value);
  };
  cxm::test::check_invariants<cxm::compensated_sum>([] { return cxm::compensated_sum{}; }, draw, same);
}
