// Tests for the two-sample survey tests (include/cxm/survey/compare.hpp).

#include "cxm/survey/compare.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <stdexcept>

#include <doctest/doctest.h>

#include "cxm/survey/ces.hpp"
#include "cxm/survey/csat.hpp"
#include "cxm/survey/nps.hpp"
#include "support/invariants.hpp"

namespace {

#define COMPARE_CHECK_NEAR(a, b, tol) \
  CHECK_MESSAGE(std::abs((a) - (b)) <= (tol), #a " = ", (a), ", expected ", (b), " within ", (tol))

cxm::nps_result nps_of(int promoters, int passives, int detractors) {
  cxm::nps acc;
  for (int i = 0; i < promoters; ++i) acc.add(9 + i % 2);
  for (int i = 0; i < passives; ++i) acc.add(7 + i % 2);
  for (int i = 0; i < detractors; ++i) acc.add(i % 7);
  return acc.result();
}

// `satisfied` answers of 4 or 5 and n − satisfied answers of 1..3 on the default 1..5 scale.
cxm::csat_result csat_of(int satisfied, int n) {
  cxm::csat acc;
  for (int i = 0; i < n; ++i) acc.add(i < satisfied ? 4 + i % 2 : 1 + i % 3);
  return acc.result();
}

// `easy` answers of 5..7 and n − easy answers of 1..4 on the default 1..7 scale.
cxm::ces_result ces_of(int easy, int n) {
  cxm::ces acc;
  for (int i = 0; i < n; ++i) acc.add(i < easy ? 5 + i % 3 : 1 + i % 4);
  return acc.result();
}

// The two-sided normal p-value through the complementary error function, independent of Boost.Math:
// 2(1 − Φ(|z|)) = erfc(|z|/√2).
double two_sided_p(double z) { return std::erfc(std::abs(z) / std::sqrt(2.0)); }

// Exact binomial coefficient; exact for n <= 60 (every intermediate value stays below 2^64).
std::uint64_t choose(std::uint64_t n, std::uint64_t k) {
  if (k > n) return 0;
  k = std::min(k, n - k);
  std::uint64_t out = 1;
  for (std::uint64_t i = 0; i < k; ++i) out = out * (n - i) / (i + 1);  // out·(n − i) is divisible by i + 1
  return out;
}

// Fisher's exact two-sided p by brute force over every table with the observed margins, in exact
// integers: P(k) = C(K, k)·C(N − K, n_a − k)/C(N, n_a); sum the tables with P(k) <= P(x_a).
double brute_force_fisher(std::uint64_t x_a, std::uint64_t n_a, std::uint64_t x_b, std::uint64_t n_b) {
  const std::uint64_t total = n_a + n_b;
  const std::uint64_t successes = x_a + x_b;
  const auto weight = [&](std::uint64_t k) { return choose(successes, k) * choose(total - successes, n_a - k); };
  const std::uint64_t observed = weight(x_a);
  std::uint64_t as_extreme = 0;
  for (std::uint64_t k = 0; k <= std::min(n_a, successes); ++k) {
    if (n_a - k > total - successes) continue;
    if (weight(k) <= observed) as_extreme += weight(k);
  }
  return static_cast<double>(as_extreme) / static_cast<double>(choose(total, n_a));
}

}  // namespace

TEST_CASE("Two-sample NPS z test, worked by hand") {
  // A: 50 promoters, 30 passives, 20 detractors (n = 100): net 0.3, σ² = 0.7 − 0.09 = 0.61, SE² = 0.0061.
  // B: 40/30/30: net 0.1, σ² = 0.7 − 0.01 = 0.69, SE² = 0.0069.
  // difference 0.2, SE = √0.013 = 0.114018, z = 1.754116, p = 2(1 − Φ(1.754116)) = 0.079411.
  const auto a = nps_of(50, 30, 20);
  const auto b = nps_of(40, 30, 30);
  const auto t = cxm::compare(a, b);
  CXM_CHECK_CLOSE(t.difference, 0.2);
  CXM_CHECK_CLOSE(t.standard_error, std::sqrt(0.013));
  COMPARE_CHECK_NEAR(t.z, 1.754116, 1e-6);
  COMPARE_CHECK_NEAR(t.p_value, 0.079411, 1e-6);
  COMPARE_CHECK_NEAR(t.p_value, two_sided_p(t.z), 1e-12);

  // Swapping the samples flips the sign, not the p-value.
  const auto u = cxm::compare(b, a);
  CXM_CHECK_CLOSE(u.difference, -0.2);
  CXM_CHECK_CLOSE(u.z, -t.z);
  CXM_CHECK_CLOSE(u.p_value, t.p_value);
}

TEST_CASE("Two-sample NPS z test of equal samples has z = 0 and p = 1") {
  const auto t = cxm::compare(nps_of(50, 30, 20), nps_of(50, 30, 20));
  CHECK(t.difference == 0.0);
  CHECK(t.z == 0.0);
  COMPARE_CHECK_NEAR(t.p_value, 1.0, 1e-15);
}

TEST_CASE("Two-sample NPS z test with zero standard errors") {
  // All promoters against all detractors: difference 2, no sampling variance → z = +∞, p = 0.
  const auto t = cxm::compare(nps_of(20, 0, 0), nps_of(0, 0, 20));
  CHECK(t.difference == 2.0);
  CHECK(t.standard_error == 0.0);
  CHECK(t.z == std::numeric_limits<double>::infinity());
  CHECK(t.p_value == 0.0);
  CHECK(cxm::compare(nps_of(0, 0, 20), nps_of(20, 0, 0)).z == -std::numeric_limits<double>::infinity());
  // Both all promoters: no difference, p = 1.
  const auto same = cxm::compare(nps_of(20, 0, 0), nps_of(7, 0, 0));
  CHECK(same.difference == 0.0);
  CHECK(same.z == 0.0);
  CHECK(same.p_value == 1.0);
}

TEST_CASE("Comparing with an empty NPS throws std::invalid_argument") {
  CHECK_THROWS_AS((void)cxm::compare(cxm::nps{}.result(), nps_of(1, 1, 1)), std::invalid_argument);
  CHECK_THROWS_AS((void)cxm::compare(nps_of(1, 1, 1), cxm::nps{}.result()), std::invalid_argument);
}

TEST_CASE("Pooled two-proportion z test on CSAT, worked by hand") {
  // 80/100 satisfied against 70/100: pooled p̂ = 150/200 = 0.75,
  // SE = √(0.75·0.25·(1/100 + 1/100)) = √0.00375 = 0.0612372, z = 0.1/0.0612372 = 1.632993,
  // p = 0.102470 (z² = 2.6667 is the uncorrected χ² of the 2×2 table, p = 0.1025).
  const auto a = csat_of(80, 100);
  const auto b = csat_of(70, 100);
  CHECK(a.satisfied == 80);
  const auto t = cxm::compare(a, b);
  CXM_CHECK_CLOSE(t.difference, 0.1);
  COMPARE_CHECK_NEAR(t.standard_error, 0.0612372, 1e-7);
  COMPARE_CHECK_NEAR(t.z, 1.632993, 1e-6);
  COMPARE_CHECK_NEAR(t.z * t.z, 8.0 / 3.0, 1e-12);
  COMPARE_CHECK_NEAR(t.p_value, 0.102470, 1e-6);
  COMPARE_CHECK_NEAR(t.p_value, two_sided_p(t.z), 1e-12);
}

TEST_CASE("Pooled two-proportion z test on the CES share, worked by hand") {
  // 30/40 easy against 20/40: pooled 50/80 = 0.625, SE = √(0.625·0.375·(2/40)) = √0.01171875 = 0.108253,
  // difference 0.25, z = 2.309401, p = 0.020921.
  const auto t = cxm::compare(ces_of(30, 40), ces_of(20, 40));
  CXM_CHECK_CLOSE(t.difference, 0.25);
  COMPARE_CHECK_NEAR(t.standard_error, 0.108253, 1e-6);
  COMPARE_CHECK_NEAR(t.z, 2.309401, 1e-6);
  COMPARE_CHECK_NEAR(t.p_value, 0.020921, 1e-6);
}

TEST_CASE("Comparing CES shares taken at different thresholds throws std::invalid_argument") {
  cxm::ces strict(cxm::score_scale{1, 7}, 6);
  for (const int s : {7, 6, 2}) strict.add(s);
  CHECK_THROWS_AS((void)cxm::compare(ces_of(2, 3), strict.result()), std::invalid_argument);
}

TEST_CASE("Pooled z test of two all-satisfied samples reports no difference") {
  const auto t = cxm::compare(csat_of(10, 10), csat_of(25, 25));
  CHECK(t.difference == 0.0);
  CHECK(t.standard_error == 0.0);
  CHECK(t.z == 0.0);
  CHECK(t.p_value == 1.0);
}

TEST_CASE("Pooled z test of weighted CSAT results uses Kish's effective n") {
  // A: answers 5 (w 1), 4 (w 2), 1 (w 3): share 3/6 = 0.5, n_eff = 36/14.
  // B: answers 5 (w 1), 2 (w 1), 1 (w 2): share 1/4 = 0.25, n_eff = 16/6.
  cxm::csat a;
  a.add(5, 1.0);
  a.add(4, 2.0);
  a.add(1, 3.0);
  cxm::csat b;
  b.add(5, 1.0);
  b.add(2, 1.0);
  b.add(1, 2.0);
  const double n_a = 36.0 / 14.0, n_b = 16.0 / 6.0;
  const double pooled = (0.5 * n_a + 0.25 * n_b) / (n_a + n_b);
  const double se = std::sqrt(pooled * (1 - pooled) * (1 / n_a + 1 / n_b));
  const auto t = cxm::compare(a.result(), b.result());
  CXM_CHECK_CLOSE(t.difference, 0.25);
  COMPARE_CHECK_NEAR(t.standard_error, se, 1e-12);
  COMPARE_CHECK_NEAR(t.z, 0.25 / se, 1e-12);
}

TEST_CASE("Pooled z tests throw std::invalid_argument when a result is empty") {
  CHECK_THROWS_AS((void)cxm::compare(cxm::csat{}.result(), csat_of(1, 2)), std::invalid_argument);
  CHECK_THROWS_AS((void)cxm::compare(ces_of(1, 2), cxm::ces{}.result()), std::invalid_argument);
}

TEST_CASE("Fisher exact test of 3/10 against 8/10 gives two-sided p = 0.06978 (R fisher.test)") {
  // Margins: 11 successes in 20, 10 drawn. P(k) = C(11,k)·C(9,10−k)/C(20,10); the tables no more likely
  // than k = 3 are k = 1, 2, 3 and 8, 9, 10: (1 + 45 + 540 + 540 + 45 + 1)/16796 = 1172/16796 = 293/4199.
  const auto f = cxm::fisher_exact(3, 10, 8, 10);
  COMPARE_CHECK_NEAR(f.p_value, 0.06978, 1e-5);
  COMPARE_CHECK_NEAR(f.p_value, 293.0 / 4199.0, 1e-12);
  COMPARE_CHECK_NEAR(f.p_value, brute_force_fisher(3, 10, 8, 10), 1e-12);
  // Sample odds ratio 3·2/(7·8) = 6/56.
  CXM_CHECK_CLOSE(f.odds_ratio, 6.0 / 56.0);
  // Swapping the samples keeps p and inverts the odds ratio.
  const auto g = cxm::fisher_exact(8, 10, 3, 10);
  CXM_CHECK_CLOSE(g.p_value, f.p_value);
  CXM_CHECK_CLOSE(g.odds_ratio, 56.0 / 6.0);
}

TEST_CASE("Fisher exact test of the tea-tasting table [[3,1],[1,3]] gives p = 0.4857") {
  // Fisher 1935, "The Design of Experiments": P(k) = C(4,k)·C(4,4−k)/70 = 1, 16, 36, 16, 1 (/70);
  // two-sided p = (1 + 16 + 16 + 1)/70 = 34/70 = 0.485714.
  const auto f = cxm::fisher_exact(3, 4, 1, 4);
  COMPARE_CHECK_NEAR(f.p_value, 0.4857, 1e-4);
  COMPARE_CHECK_NEAR(f.p_value, 34.0 / 70.0, 1e-12);
  COMPARE_CHECK_NEAR(f.p_value, brute_force_fisher(3, 4, 1, 4), 1e-12);
  CXM_CHECK_CLOSE(f.odds_ratio, 9.0);
}

TEST_CASE("Fisher exact test agrees with a brute-force hypergeometric sum on assorted tables") {
  const std::array<std::array<std::uint64_t, 4>, 9> tables{{
      {0, 10, 10, 10},  // p = 2/C(20,10) = 2/184756
      {5, 10, 5, 10},   // identical samples: p = 1
      {12, 30, 20, 30},
      {1, 5, 9, 25},
      {7, 13, 2, 17},
      {0, 1, 1, 1},
      {2, 2, 0, 3},
      {15, 28, 15, 28},
      {25, 30, 3, 30},
  }};
  for (const auto& t : tables) {
    CAPTURE(t[0]);
    CAPTURE(t[1]);
    CAPTURE(t[2]);
    CAPTURE(t[3]);
    const double expected = brute_force_fisher(t[0], t[1], t[2], t[3]);
    const auto f = cxm::fisher_exact(t[0], t[1], t[2], t[3]);
    CHECK(std::abs(f.p_value - expected) <= 1e-9 * std::max(expected, 1e-300));
    CHECK(f.p_value <= 1.0);
  }
  CXM_CHECK_CLOSE(cxm::fisher_exact(0, 10, 10, 10).p_value, 2.0 / 184756.0);
  CHECK(cxm::fisher_exact(0, 10, 10, 10).odds_ratio == 0.0);
  CHECK(cxm::fisher_exact(10, 10, 0, 10).odds_ratio == std::numeric_limits<double>::infinity());
  COMPARE_CHECK_NEAR(cxm::fisher_exact(5, 10, 5, 10).p_value, 1.0, 1e-12);
}

TEST_CASE("Fisher exact test on two CSAT results uses the satisfied and unsatisfied counts") {
  const auto f = cxm::fisher_exact(csat_of(3, 10), csat_of(8, 10));
  COMPARE_CHECK_NEAR(f.p_value, 293.0 / 4199.0, 1e-12);
  CXM_CHECK_CLOSE(f.odds_ratio, 6.0 / 56.0);
}

TEST_CASE("Fisher exact test refuses weighted answers, empty samples and impossible tables") {
  cxm::csat weighted;
  weighted.add(5, 2.0);
  CHECK_THROWS_AS((void)cxm::fisher_exact(weighted.result(), csat_of(3, 10)), std::invalid_argument);
  CHECK_THROWS_AS((void)cxm::fisher_exact(csat_of(3, 10), weighted.result()), std::invalid_argument);
  CHECK_THROWS_AS((void)cxm::fisher_exact(cxm::csat{}.result(), csat_of(3, 10)), std::invalid_argument);
  CHECK_THROWS_AS((void)cxm::fisher_exact(4, 3, 1, 3), std::invalid_argument);
  CHECK_THROWS_AS((void)cxm::fisher_exact(0, 0, 1, 3), std::invalid_argument);
  CHECK_THROWS_AS((void)cxm::fisher_exact(1, 3, 0, 0), std::invalid_argument);
  CHECK_THROWS_AS((void)cxm::fisher_exact(1, cxm::fisher_max_trials + 1, 1, 3), std::invalid_argument);
}
