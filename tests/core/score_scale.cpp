// The shared score checks of core/score_scale.hpp: whole_score_on, score_rejection_reason, check_score
// (a whole number on the scale), score_type, and the satisfied-set check (satisfied_set_error,
// validate_satisfied_set). The scale itself is tested in score_histogram.cpp.

#include "cxm/core/score_scale.hpp"

#include <cstdint>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "cxm/core/invalid_input.hpp"

namespace {

constexpr double nan_value = std::numeric_limits<double>::quiet_NaN();
constexpr double inf = std::numeric_limits<double>::infinity();
constexpr cxm::score_scale nps_scale{0, 10};

using reason = cxm::rejection_reason;

}  // namespace

// Scores are numbers, never truth values or characters ('9' is 57).
static_assert(cxm::score_type<int> && cxm::score_type<long long> && cxm::score_type<std::uint64_t>);
static_assert(cxm::score_type<std::int8_t> && cxm::score_type<std::uint8_t>);  // signed/unsigned char
static_assert(cxm::score_type<float> && cxm::score_type<double> && cxm::score_type<long double>);
static_assert(cxm::score_type<const int>);
static_assert(!cxm::score_type<bool> && !cxm::score_type<char> && !cxm::score_type<wchar_t>);
static_assert(!cxm::score_type<char8_t> && !cxm::score_type<char16_t> && !cxm::score_type<char32_t>);
static_assert(!cxm::score_type<int*> && !cxm::score_type<std::string>);

// The checks are constexpr.
static_assert(cxm::whole_score_on(nps_scale, 9.0) == 9);
static_assert(!cxm::whole_score_on(nps_scale, 4.5));
static_assert(cxm::score_rejection_reason(nps_scale, 4.5) == reason::score_not_whole);
static_assert(cxm::score_rejection_reason(nps_scale, 11) == reason::score_out_of_scale);

TEST_CASE("whole_score_on gives the integer of a whole number on the scale") {
  CHECK(cxm::whole_score_on(nps_scale, 0.0) == 0);
  CHECK(cxm::whole_score_on(nps_scale, -0.0) == 0);  // −0 is 0
  CHECK(cxm::whole_score_on(nps_scale, 7.0) == 7);
  CHECK(cxm::whole_score_on(nps_scale, 10.0) == 10);
  CHECK(cxm::whole_score_on(nps_scale, 9.0f) == 9);
  CHECK(cxm::whole_score_on(nps_scale, 9.0L) == 9);
  CHECK(cxm::whole_score_on(nps_scale, 9) == 9);
  CHECK(cxm::whole_score_on(nps_scale, std::uint8_t{3}) == 3);
  CHECK(cxm::whole_score_on(cxm::score_scale{-5, 5}, -5.0) == -5);
  CHECK(cxm::score_rejection_reason(nps_scale, 10.0) == std::nullopt);
}

TEST_CASE("a value with a fraction, NaN or an infinity is not a whole number; it is never rounded") {
  for (const double v : {4.5, 9.999999999999998, 0.1, -0.5, 10.5, nan_value, inf, -inf}) {
    CAPTURE(v);
    CHECK(cxm::whole_score_on(nps_scale, v) == std::nullopt);
    CHECK(cxm::score_rejection_reason(nps_scale, v) == reason::score_not_whole);
  }
  // Not whole is checked first: 11.5 is off the scale too, but its reason is score_not_whole.
  CHECK(cxm::score_rejection_reason(nps_scale, 11.5) == reason::score_not_whole);
  CHECK(cxm::score_rejection_reason(nps_scale, 4.5f) == reason::score_not_whole);
  if constexpr (std::numeric_limits<long double>::digits >= 64) {
    // 9 + 2^−60 is a long double (ulp at 9 is 2^(3 − 63)), and rounds to exactly 9.0 as a double: the
    // check runs on the long double, so it is not taken for 9.
    const long double almost_nine = 9.0L + 0x1p-60L;
    CHECK(static_cast<double>(almost_nine) == 9.0);
    CHECK(cxm::whole_score_on(nps_scale, almost_nine) == std::nullopt);
    CHECK(cxm::score_rejection_reason(nps_scale, almost_nine) == reason::score_not_whole);
  }
}

TEST_CASE("a whole number off the scale is out of scale, compared exactly whatever its type") {
  for (const double v : {11.0, -1.0, 1e300, -1e300, 4294967305.0}) {
    CAPTURE(v);
    CHECK(cxm::whole_score_on(nps_scale, v) == std::nullopt);
    CHECK(cxm::score_rejection_reason(nps_scale, v) == reason::score_out_of_scale);
  }
  // 2^32 + 9 would be 9 truncated to 32 bits; 2^64 − 1 would be −1 as an int64.
  CHECK(cxm::score_rejection_reason(nps_scale, (std::int64_t{1} << 32) + 9) == reason::score_out_of_scale);
  CHECK(cxm::score_rejection_reason(nps_scale, std::numeric_limits<std::uint64_t>::max()) ==
        reason::score_out_of_scale);
  CHECK(cxm::score_rejection_reason(cxm::score_scale{-5, 5}, std::numeric_limits<std::uint64_t>::max() - 4) ==
        reason::score_out_of_scale);
  CHECK(cxm::score_rejection_reason(nps_scale, std::numeric_limits<std::int64_t>::min()) ==
        reason::score_out_of_scale);
  // A float is compared as a double: 16777216.0f is not 16777217 (which a float cannot hold).
  CHECK(cxm::score_rejection_reason(cxm::score_scale{16'777'217, 16'777'218}, 16'777'216.0f) ==
        reason::score_out_of_scale);
}

TEST_CASE("check_score builds the rejection: reason, value and the scale's bounds") {
  CHECK(cxm::check_score(nps_scale, 9.0, "nps") == std::nullopt);
  const auto half = cxm::check_score(nps_scale, 4.5, "nps");
  REQUIRE(half);
  CHECK(half->reason == reason::score_not_whole);
  CHECK(half->metric == "nps");
  CHECK(half->field == "score");
  CHECK(half->value == 4.5);
  CHECK(half->allowed_min == 0.0);
  CHECK(half->allowed_max == 10.0);
  CHECK(half->message() == "nps: score 4.5 is not a whole number");
  const auto off = cxm::check_score(cxm::score_scale{1, 5}, 6.0, "engine", "csat score");
  REQUIRE(off);
  CHECK(off->reason == reason::score_out_of_scale);
  CHECK(off->message() == "engine: csat score 6 is outside the scale 1..5");
  CHECK(cxm::check_score(nps_scale, nan_value, "nps")->message() == "nps: score nan is not a whole number");
  CHECK(cxm::check_score(nps_scale, 12, "nps")->message() == "nps: score 12 is outside the scale 0..10");
}

TEST_CASE("a satisfied set must be non-empty, strictly increasing and on the scale") {
  const cxm::score_scale five{1, 5};
  CHECK(cxm::satisfied_set_error(five, std::vector<int>{4, 5}) == std::nullopt);
  CHECK(cxm::satisfied_set_error(five, std::vector<int>{1}) == std::nullopt);
  CHECK(cxm::satisfied_set_error(five, std::vector<int>{1, 2, 3, 4, 5}) == std::nullopt);
  CHECK(cxm::satisfied_set_error(five, std::vector<int>{}) == "the satisfied set is empty");
  CHECK(cxm::satisfied_set_error(five, std::vector<int>{5, 4}) == "satisfied scores are not strictly increasing");
  CHECK(cxm::satisfied_set_error(five, std::vector<int>{4, 4}) == "satisfied scores are not strictly increasing");
  CHECK(cxm::satisfied_set_error(five, std::vector<int>{4, 6}) == "satisfied score 6 is outside the scale 1..5");
  CHECK(cxm::satisfied_set_error(five, std::vector<int>{0, 4}) == "satisfied score 0 is outside the scale 1..5");
  // Order of the checks: increasing before on the scale ({7, 3}: both wrong).
  CHECK(cxm::satisfied_set_error(five, std::vector<int>{7, 3}) == "satisfied scores are not strictly increasing");

  CHECK_NOTHROW(cxm::validate_satisfied_set(five, std::vector<int>{4, 5}, "csat"));
  CHECK_THROWS_WITH_AS(cxm::validate_satisfied_set(five, std::vector<int>{}, "engine_config: csat"),
                       "engine_config: csat: the satisfied set is empty", std::invalid_argument);
  const int on_ten[] = {9, 11};
  CHECK_THROWS_WITH_AS(cxm::validate_satisfied_set(nps_scale, on_ten, "csat"),
                       "csat: satisfied score 11 is outside the scale 0..10", std::invalid_argument);
}
