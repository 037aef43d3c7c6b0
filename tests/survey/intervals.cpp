// Tests for the survey intervals (include/cxm/survey/intervals.hpp).

#include "cxm/survey/intervals.hpp"

#include <cmath>
#include <cstddef>
#include <limits>
#include <stdexcept>

#include <doctest/doctest.h>

#include "cxm/survey/ces.hpp"
#include "cxm/survey/csat.hpp"
#include "cxm/survey/nps.hpp"
#include "support/invariants.hpp"

namespace {

#define INTERVAL_CHECK_NEAR(a, b, tol) \
  CHECK_MESSAGE(std::abs((a) - (b)) <= (tol), #a " = ", (a), ", expected ", (b), " within ", (tol))

cxm::nps nps_of(int promoters, int passives, int detractors) {
  cxm::nps acc;
  for (int i = 0; i < promoters; ++i) acc.add(10 - i % 2);
  for (int i = 0; i < passives; ++i) acc.add(7 + i % 2);
  for (int i = 0; i < detractors; ++i) acc.add(i % 7);
  return acc;
}

// x satisfied answers (5) and n − x unsatisfied ones (2) on the default 1..5 scale.
cxm::csat csat_of(int satisfied, int n) {
  cxm::csat acc;
  for (int i = 0; i < n; ++i) acc.add(i < satisfied ? 5 : 2);
  return acc;
}

// The small CSAT sample worked by hand in tests/survey/csat.cpp: mean 3.6, s = √(16.4/9) = 1.349897.
cxm::csat_result csat_sample() {
  cxm::csat acc;
  for (const int s : {5, 4, 4, 3, 5, 2, 1, 4, 5, 3}) acc.add(s);
  return acc.result();
}

// The CES sample of tests/survey/ces.cpp: 7 of 12 at or above 5, mean 55/12, s = 1.880925.
cxm::ces_result ces_sample() {
  cxm::ces acc;
  for (const int s : {7, 6, 5, 5, 4, 3, 7, 2, 6, 1, 5, 4}) acc.add(s);
  return acc.result();
}

constexpr double not_a_number = std::numeric_limits<double>::quiet_NaN();

}  // namespace

TEST_CASE("The two-sided normal quantile matches the published table values") {
  // Standard normal table: z(0.975) = 1.959964, z(0.95) = 1.644854, z(0.995) = 2.575829.
  INTERVAL_CHECK_NEAR(cxm::normal_quantile(0.95), 1.959964, 1e-6);
  INTERVAL_CHECK_NEAR(cxm::normal_quantile(0.90), 1.644854, 1e-6);
  INTERVAL_CHECK_NEAR(cxm::normal_quantile(0.99), 2.575829, 1e-6);
}

TEST_CASE("Wilson interval of 8 successes in 10 at 95 % matches the hand calculation") {
  // z = 1.959964, z² = 3.841459, n = 10, p = 0.8.
  // denominator 1 + z²/n = 1.3841459; center (0.8 + 3.841459/20)/1.3841459 = 0.992073/1.3841459 = 0.716740;
  // half-width 1.959964/1.3841459 · √(0.8·0.2/10 + 3.841459/400) = 1.416009 · √0.02560365 = 0.226578;
  // interval [0.490162, 0.943318] (Wilson 1927).
  const auto i = cxm::wilson_interval(0.8, 10.0, 0.95);
  INTERVAL_CHECK_NEAR(i.lower, 0.490162, 1e-6);
  INTERVAL_CHECK_NEAR(i.upper, 0.943318, 1e-6);
  CHECK(i.confidence == 0.95);
  CHECK(i.contains(0.8));
  CHECK_FALSE(i.contains(0.95));
  INTERVAL_CHECK_NEAR(i.width(), 2 * 0.226578, 2e-6);

  // The same through a CSAT result of 8 satisfied answers out of 10.
  const auto r = cxm::wilson_interval(csat_of(8, 10).result(), 0.95);
  INTERVAL_CHECK_NEAR(r.lower, 0.490162, 1e-6);
  INTERVAL_CHECK_NEAR(r.upper, 0.943318, 1e-6);
}

TEST_CASE("Wilson interval stays inside [0, 1] at the extremes") {
  // p = 1, n = 1: center (1 + z²/2)/(1 + z²), half-width z²/(2(1 + z²)):
  // upper = 1, lower = 1/(1 + z²) = 1/4.841459 = 0.206549.
  const auto one = cxm::wilson_interval(csat_of(1, 1).result());
  INTERVAL_CHECK_NEAR(one.lower, 0.206549, 1e-6);
  INTERVAL_CHECK_NEAR(one.upper, 1.0, 1e-12);
  CHECK(one.upper <= 1.0);
  // p = 0, n = 10: lower 0, upper (z²/n)/(1 + z²/n) = 0.3841459/1.3841459 = 0.277533.
  const auto zero = cxm::wilson_interval(csat_of(0, 10).result());
  INTERVAL_CHECK_NEAR(zero.lower, 0.0, 1e-12);
  CHECK(zero.lower >= 0.0);
  INTERVAL_CHECK_NEAR(zero.upper, 0.277533, 1e-6);
}

TEST_CASE("Wilson interval of the CES share at or above the threshold") {
  // 7 of 12: p = 0.583333, 1 + z²/12 = 1.320122; center (0.583333 + 0.160061)/1.320122 = 0.563126;
  // half-width 1.484685 · √(0.583333·0.416667/12 + 3.841459/576) = 0.243614: [0.319511, 0.806740].
  const auto i = cxm::wilson_interval(ces_sample(), 0.95);
  INTERVAL_CHECK_NEAR(i.lower, 0.319511, 1e-6);
  INTERVAL_CHECK_NEAR(i.upper, 0.806740, 1e-6);
}

TEST_CASE("Wilson interval of a weighted CSAT uses Kish's effective n") {
  // Weights 1, 2, 3 on answers 5, 4, 1: satisfied share 3/6 = 0.5, n_eff = 36/14 = 2.571429.
  cxm::csat acc;
  acc.add(5, 1.0);
  acc.add(4, 2.0);
  acc.add(1, 3.0);
  const double n = 36.0 / 14.0;
  const double z = 1.959963984540054;
  const double z2 = z * z;
  const double center = (0.5 + z2 / (2 * n)) / (1 + z2 / n);  // = 0.5 by symmetry
  const double half = z / (1 + z2 / n) * std::sqrt(0.25 / n + z2 / (4 * n * n));
  const auto i = cxm::wilson_interval(acc.result());
  CXM_CHECK_CLOSE(center, 0.5);
  INTERVAL_CHECK_NEAR(i.lower, center - half, 1e-12);
  INTERVAL_CHECK_NEAR(i.upper, center + half, 1e-12);
}

TEST_CASE("Student t interval for the mean CSAT score uses t with n - 1 degrees of freedom") {
  // mean 3.6, s = 1.349897, n = 10, s/√n = 0.426875; t(0.975, 9) = 2.262157 (Student t table):
  // half-width 2.262157 · 0.426875 = 0.965658 → [2.634342, 4.565658].
  const auto r = csat_sample();
  const auto i = cxm::mean_interval(r, 0.95);
  INTERVAL_CHECK_NEAR(i.lower, 2.634342, 1e-6);
  INTERVAL_CHECK_NEAR(i.upper, 4.565658, 1e-6);
  CHECK(i.confidence == 0.95);
  // 90 %: t(0.95, 9) = 1.833113 → half-width 0.782510 → [2.817490, 4.382510].
  const auto ninety = cxm::mean_interval(r, 0.90);
  INTERVAL_CHECK_NEAR(ninety.lower, 2.817490, 1e-6);
  INTERVAL_CHECK_NEAR(ninety.upper, 4.382510, 1e-6);
}

TEST_CASE("Normal interval for the mean CSAT score uses z instead of t") {
  // half-width 1.959964 · 0.426875 = 0.836660 → [2.763340, 4.436660].
  const auto i = cxm::mean_interval(csat_sample(), 0.95, cxm::mean_interval_method::normal);
  INTERVAL_CHECK_NEAR(i.lower, 2.763340, 1e-6);
  INTERVAL_CHECK_NEAR(i.upper, 4.436660, 1e-6);
  // Narrower than Student's for a small sample.
  CHECK(i.width() < cxm::mean_interval(csat_sample(), 0.95).width());
}

TEST_CASE("Student t interval for the mean CES score") {
  // mean 55/12 = 4.583333, s = 1.880925, n = 12, t(0.975, 11) = 2.200985 (Student t table):
  // half-width 2.200985 · 1.880925/√12 = 1.195083 → [3.388251, 5.778416].
  const auto i = cxm::mean_interval(ces_sample());
  INTERVAL_CHECK_NEAR(i.lower, 3.388251, 1e-6);
  INTERVAL_CHECK_NEAR(i.upper, 5.778416, 1e-6);
}

TEST_CASE("Equal weights leave the mean interval unchanged (Kish's n equals n)") {
  cxm::csat weighted;
  for (const int s : {5, 4, 4, 3, 5, 2, 1, 4, 5, 3}) weighted.add(s, 2.5);
  const auto w = cxm::mean_interval(weighted.result());
  const auto u = cxm::mean_interval(csat_sample());
  INTERVAL_CHECK_NEAR(w.lower, u.lower, 1e-12);
  INTERVAL_CHECK_NEAR(w.upper, u.upper, 1e-12);
}

TEST_CASE("NPS Wald interval at 95 % is [0.1414, 0.2086] for 250/675/75 (REFERENCE.md)") {
  const auto r = nps_of(250, 675, 75).result();
  // SE = 0.0171574; margin 1.959964 · 0.0171574 = 0.033628; 0.175 ± 0.033628.
  INTERVAL_CHECK_NEAR(cxm::margin_of_error(r, 0.95), 0.033628, 1e-6);
  const auto i = cxm::wald_interval(r, 0.95);
  INTERVAL_CHECK_NEAR(i.lower, 0.1414, 1e-4);
  INTERVAL_CHECK_NEAR(i.upper, 0.2086, 1e-4);
  CXM_CHECK_CLOSE((i.lower + i.upper) / 2, 0.175);
  CHECK(i.confidence == 0.95);
}

TEST_CASE("NPS adjusted-Wald interval adds 0.75 detractor, 1.5 passive and 0.75 promoter pseudo-answers") {
  // n = 1000 → n + 3 = 1003. p_P = (250 + 0.75)/1003 = 0.25 exactly, p_D = (75 + 0.75)/1003 = 0.0755234,
  // net = 175/1003 = 0.1744766, σ² = 0.25 + 0.0755234 − 0.1744766² = 0.2950814,
  // SE = √(0.2950814/1003) = 0.0171522, margin 1.959964 · 0.0171522 = 0.0336177:
  // [0.1408588, 0.2080943].
  const auto i = cxm::adjusted_wald_interval(nps_of(250, 675, 75).result(), 0.95);
  INTERVAL_CHECK_NEAR(i.lower, 0.1408588, 1e-6);
  INTERVAL_CHECK_NEAR(i.upper, 0.2080943, 1e-6);
  CXM_CHECK_CLOSE((i.lower + i.upper) / 2, 175.0 / 1003.0);
}

TEST_CASE("NPS intervals for a single promoter: Wald collapses, adjusted Wald does not") {
  const auto r = nps_of(1, 0, 0).result();
  const auto wald = cxm::wald_interval(r);
  CHECK(wald.lower == 1.0);
  CHECK(wald.upper == 1.0);
  // n + 3 = 4: p_P = 1.75/4 = 0.4375, p_D = 0.75/4 = 0.1875, net 0.25,
  // σ² = 0.625 − 0.0625 = 0.5625, SE = √(0.5625/4) = 0.375, margin 1.959964 · 0.375 = 0.734986.
  const auto adjusted = cxm::adjusted_wald_interval(r);
  INTERVAL_CHECK_NEAR(adjusted.lower, 0.25 - 0.734986, 1e-6);
  INTERVAL_CHECK_NEAR(adjusted.upper, 0.25 + 0.734986, 1e-6);
}

TEST_CASE("NPS intervals when every answer is a promoter") {
  const auto r = nps_of(40, 0, 0).result();
  const auto wald = cxm::wald_interval(r);
  CHECK(wald.lower == 1.0);
  CHECK(wald.upper == 1.0);
  CHECK(cxm::margin_of_error(r) == 0.0);
  // n + 3 = 43: p_P = 40.75/43, p_D = 0.75/43, net = 40/43 = 0.930233,
  // σ² = 41.5/43 − 0.930233² = 0.0997837, SE = √(0.0997837/43) = 0.0481720, margin 0.0944155:
  // [0.835817, 1.024648], clipped to the NPS range: upper 1.
  const auto adjusted = cxm::adjusted_wald_interval(r);
  INTERVAL_CHECK_NEAR(adjusted.lower, 0.835817, 1e-6);
  CHECK(adjusted.upper == 1.0);
  // All detractors: the mirror image, lower end clipped to −1.
  const auto down = cxm::adjusted_wald_interval(nps_of(0, 0, 40).result());
  INTERVAL_CHECK_NEAR(down.upper, -0.835817, 1e-6);
  CHECK(down.lower == -1.0);
}

TEST_CASE("Intervals of an empty result throw std::invalid_argument") {
  const auto n = cxm::nps{}.result();
  const auto c = cxm::csat{}.result();
  const auto e = cxm::ces{}.result();
  CHECK_THROWS_AS((void)cxm::wald_interval(n), std::invalid_argument);
  CHECK_THROWS_AS((void)cxm::adjusted_wald_interval(n), std::invalid_argument);
  CHECK_THROWS_AS((void)cxm::margin_of_error(n), std::invalid_argument);
  CHECK_THROWS_AS((void)cxm::wilson_interval(c), std::invalid_argument);
  CHECK_THROWS_AS((void)cxm::wilson_interval(e), std::invalid_argument);
  CHECK_THROWS_AS((void)cxm::mean_interval(c), std::invalid_argument);
  CHECK_THROWS_AS((void)cxm::mean_interval(e), std::invalid_argument);
  CHECK_THROWS_AS((void)cxm::wilson_interval(0.5, 0.0), std::invalid_argument);
  CHECK_THROWS_AS((void)cxm::wilson_interval(1.5, 10.0), std::invalid_argument);
  CHECK_THROWS_AS((void)cxm::wilson_interval(not_a_number, 10.0), std::invalid_argument);
  // Only zero-weight answers: empty too.
  cxm::csat zero;
  zero.add(5, 0.0);
  CHECK_THROWS_AS((void)cxm::wilson_interval(zero.result()), std::invalid_argument);
}

TEST_CASE("The mean interval needs more than one answer") {
  cxm::csat one;
  one.add(4);
  CHECK_THROWS_AS((void)cxm::mean_interval(one.result()), std::invalid_argument);
  CHECK_THROWS_AS((void)cxm::mean_interval(one.result(), 0.95, cxm::mean_interval_method::normal),
                  std::invalid_argument);
  one.add(5);
  CHECK_NOTHROW((void)cxm::mean_interval(one.result()));
}

TEST_CASE("A confidence level outside (0, 1) throws std::invalid_argument") {
  const auto n = nps_of(5, 3, 2).result();
  const auto c = csat_sample();
  const auto e = ces_sample();
  for (const double level : {0.0, 1.0, -0.5, 1.5, not_a_number}) {
    CAPTURE(level);
    CHECK_THROWS_AS((void)cxm::normal_quantile(level), std::invalid_argument);
    CHECK_THROWS_AS((void)cxm::wilson_interval(0.5, 10.0, level), std::invalid_argument);
    CHECK_THROWS_AS((void)cxm::wilson_interval(c, level), std::invalid_argument);
    CHECK_THROWS_AS((void)cxm::wilson_interval(e, level), std::invalid_argument);
    CHECK_THROWS_AS((void)cxm::mean_interval(c, level), std::invalid_argument);
    CHECK_THROWS_AS((void)cxm::mean_interval(e, level, cxm::mean_interval_method::normal), std::invalid_argument);
    CHECK_THROWS_AS((void)cxm::wald_interval(n, level), std::invalid_argument);
    CHECK_THROWS_AS((void)cxm::adjusted_wald_interval(n, level), std::invalid_argument);
    CHECK_THROWS_AS((void)cxm::margin_of_error(n, level), std::invalid_argument);
  }
}

TEST_CASE("Higher confidence gives wider intervals") {
  const auto n = nps_of(50, 30, 20).result();
  CHECK(cxm::wald_interval(n, 0.99).width() > cxm::wald_interval(n, 0.95).width());
  CHECK(cxm::wald_interval(n, 0.95).width() > cxm::wald_interval(n, 0.80).width());
  const auto c = csat_sample();
  CHECK(cxm::wilson_interval(c, 0.99).width() > cxm::wilson_interval(c, 0.95).width());
  CHECK(cxm::mean_interval(c, 0.99).width() > cxm::mean_interval(c, 0.95).width());
}
