// Tests for include/cxm/analysis/statistics.hpp: hand-worked values (arithmetic in comments) and
// independent brute-force computations on random data.

#include "cxm/analysis/statistics.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <random>
#include <stdexcept>
#include <vector>

#include <doctest/doctest.h>

namespace {

using namespace cxm::analysis;

#define STAT_CHECK_NEAR(a, b, tol) \
  CHECK_MESSAGE(std::abs((a) - (b)) <= (tol), #a " = ", (a), ", expected ", (b), " within ", (tol))

constexpr double nan_value = std::numeric_limits<double>::quiet_NaN();

// Pearson by the one-pass textbook formula (n Σxy − Σx Σy)/√((n Σx² − (Σx)²)(n Σy² − (Σy)²)), a different
// route from the library's two-pass centred sums.
double naive_pearson(const std::vector<double>& x, const std::vector<double>& y) {
  double sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    sx += x[i];
    sy += y[i];
    sxx += x[i] * x[i];
    syy += y[i] * y[i];
    sxy += x[i] * y[i];
  }
  const double n = static_cast<double>(x.size());
  return (n * sxy - sx * sy) / std::sqrt((n * sxx - sx * sx) * (n * syy - sy * sy));
}

// AUC by counting every (positive, negative) pair, ties ½.
double brute_force_auc(const std::vector<double>& s, const std::vector<bool>& y) {
  double concordant = 0, pairs = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (!y[i]) continue;
    for (std::size_t j = 0; j < s.size(); ++j) {
      if (y[j]) continue;
      pairs += 1;
      concordant += s[i] > s[j] ? 1.0 : (s[i] == s[j] ? 0.5 : 0.0);
    }
  }
  return concordant / pairs;
}

}  // namespace

TEST_CASE("pearson of (1,2,3,4,5) and (2,4,5,4,5) is 6/sqrt(60) = 0.7746") {
  // x̄ = 3, ȳ = 4; dx = −2 −1 0 1 2, dy = −2 0 1 0 1; Σdxdy = 4 + 0 + 0 + 0 + 2 = 6, Σdx² = 10, Σdy² = 6;
  // r = 6/√60 = 0.774597.
  const std::vector<double> x{1, 2, 3, 4, 5}, y{2, 4, 5, 4, 5};
  const correlation c = pearson_correlation(x, y);
  CHECK(c.n == 5);
  REQUIRE(c.r);
  STAT_CHECK_NEAR(*c.r, 0.7745966692414834, 1e-12);
  // Fisher z: atanh(0.774597) = 1.03172, half-width 1.959964/√(5−3) = 1.38590;
  // tanh(1.03172 − 1.38590) = tanh(−0.35418) = −0.340082, tanh(2.41762) = 0.984236.
  REQUIRE(c.ci);
  STAT_CHECK_NEAR(c.ci->lower, -0.3400820351875101, 1e-9);
  STAT_CHECK_NEAR(c.ci->upper, 0.9842357551507267, 1e-9);
  CHECK(c.ci->confidence == 0.95);
  CHECK(c.ci->contains(*c.r));
}

TEST_CASE("spearman averages tied ranks") {
  // y = 2 4 5 4 5 → sorted 2 4 4 5 5: rank(2) = 1, rank(4) = (2+3)/2 = 2.5, rank(5) = (4+5)/2 = 4.5.
  const std::vector<double> y{2, 4, 5, 4, 5};
  const std::vector<double> expected_ranks{1, 2.5, 4.5, 2.5, 4.5};
  CHECK(average_ranks(y) == expected_ranks);
  // Ranks of x = 1..5; ry − 3 = −2 −0.5 1.5 −0.5 1.5; Σ = 4 + 0.5 + 0 − 0.5 + 3 = 7; Σ(ry−3)² = 9;
  // ρ = 7/√(10·9) = 0.737865.
  const std::vector<double> x{1, 2, 3, 4, 5};
  const correlation c = spearman_correlation(x, y);
  REQUIRE(c.r);
  STAT_CHECK_NEAR(*c.r, 0.7378647873726218, 1e-12);
  // Same Fisher-z approximation as Pearson: SE = 1/√(n − 3).
  REQUIRE(c.ci);
  const double half = cxm::normal_quantile(0.95) / std::sqrt(2.0);
  STAT_CHECK_NEAR(c.ci->lower, std::tanh(std::atanh(*c.r) - half), 1e-12);
  STAT_CHECK_NEAR(c.ci->upper, std::tanh(std::atanh(*c.r) + half), 1e-12);
}

TEST_CASE("correlations: undefined figures are empty, perfect ones have a point interval") {
  const std::vector<double> two{1, 2}, two_y{3, 1};
  CHECK_FALSE(pearson_correlation(two, two_y).r);  // n < 3
  const std::vector<double> three{1, 2, 3}, three_y{2, 4, 7};
  const correlation c3 = pearson_correlation(three, three_y);
  CHECK(c3.r);
  CHECK_FALSE(c3.ci);  // n − 3 = 0
  const std::vector<double> constant{5, 5, 5, 5};
  const std::vector<double> four{1, 2, 3, 4};
  CHECK_FALSE(pearson_correlation(four, constant).r);
  CHECK_FALSE(spearman_correlation(constant, four).r);
  const std::vector<double> doubled{2, 4, 6, 8}, reversed{4, 3, 2, 1};
  const correlation perfect = pearson_correlation(four, doubled);
  REQUIRE(perfect.ci);
  CHECK(*perfect.r == 1.0);
  CHECK(perfect.ci->lower == 1.0);
  CHECK(perfect.ci->upper == 1.0);
  CHECK(*spearman_correlation(four, reversed).r == -1.0);
  const std::vector<double> none;
  CHECK(pearson_correlation(none, none).n == 0);
  CHECK_FALSE(spearman_correlation(none, none).r);
}

TEST_CASE("correlations reject bad input with the parameter's name") {
  const std::vector<double> x{1, 2, 3, 4}, shorter{1, 2, 3}, with_nan{1, nan_value, 3, 4};
  CHECK_THROWS_AS(pearson_correlation(x, shorter), std::invalid_argument);
  CHECK_THROWS_WITH(pearson_correlation(x, with_nan), "pearson_correlation: y[1] is not finite");
  CHECK_THROWS_WITH(spearman_correlation(with_nan, x), "spearman_correlation: x[1] is not finite");
  CHECK_THROWS_AS(pearson_correlation(x, x, 1.0), std::invalid_argument);
  CHECK_THROWS_AS(spearman_correlation(x, x, 0.0), std::invalid_argument);
}

TEST_CASE("pearson and spearman agree with independent formulas on random data, in any order") {
  std::mt19937_64 rng(14);
  std::normal_distribution<double> normal(0, 1);
  for (int trial = 0; trial < 20; ++trial) {
    const std::size_t n = 5 + static_cast<std::size_t>(trial) * 7;
    std::vector<double> x(n), y(n);
    for (std::size_t i = 0; i < n; ++i) {
      x[i] = normal(rng);
      y[i] = 0.5 * x[i] + normal(rng);
    }
    const correlation p = pearson_correlation(x, y);
    REQUIRE(p.r);
    STAT_CHECK_NEAR(*p.r, naive_pearson(x, y), 1e-10);
    // No ties in continuous data: ρ = 1 − 6Σd²/(n(n² − 1)) (Spearman 1904), d the rank differences.
    const std::vector<double> rx = average_ranks(x), ry = average_ranks(y);
    double d2 = 0;
    for (std::size_t i = 0; i < n; ++i) d2 += (rx[i] - ry[i]) * (rx[i] - ry[i]);
    const double nd = static_cast<double>(n);
    const correlation s = spearman_correlation(x, y);
    REQUIRE(s.r);
    STAT_CHECK_NEAR(*s.r, 1 - 6 * d2 / (nd * (nd * nd - 1)), 1e-10);
    // Shuffling the pairs changes nothing (commutativity of the input order).
    std::vector<std::size_t> order(n);
    for (std::size_t i = 0; i < n; ++i) order[i] = i;
    std::shuffle(order.begin(), order.end(), rng);
    std::vector<double> xs(n), ys(n);
    for (std::size_t i = 0; i < n; ++i) {
      xs[i] = x[order[i]];
      ys[i] = y[order[i]];
    }
    STAT_CHECK_NEAR(*pearson_correlation(xs, ys).r, *p.r, 1e-12);
    CHECK(*spearman_correlation(xs, ys).r == doctest::Approx(*s.r).epsilon(1e-12));
  }
}

TEST_CASE("auc of a tiny example by counting pairs, and its Hanley-McNeil standard error") {
  // Positives 0.9, 0.6, 0.4; negatives 0.6, 0.3. Pairs: 0.9 beats both (2), 0.6 ties 0.6 (½) and beats
  // 0.3 (1), 0.4 loses to 0.6 and beats 0.3 (1): U = 4.5 of 3·2 = 6 pairs, AUC = 0.75.
  const std::vector<double> scores{0.9, 0.6, 0.6, 0.4, 0.3};
  const std::vector<bool> positive{true, true, false, true, false};
  const auc_result a = auc(scores, positive);
  CHECK(a.positives == 3);
  CHECK(a.negatives == 2);
  CHECK(a.mann_whitney_u == 4.5);
  REQUIRE(a.auc);
  CHECK(*a.auc == 0.75);
  // Q1 = 0.75/1.25 = 0.6, Q2 = 2·0.5625/1.75 = 0.642857; SE² = (0.1875 + 2·(0.6 − 0.5625)
  // + 1·(0.642857 − 0.5625))/6 = 0.342857/6 = 0.0571429; SE = 0.239046.
  REQUIRE(a.standard_error);
  STAT_CHECK_NEAR(*a.standard_error, 0.23904572186687872, 1e-12);
  STAT_CHECK_NEAR(hanley_mcneil_standard_error(0.75, 3, 2), 0.23904572186687872, 1e-12);
  // 0.75 ± 1.959964·0.239046 = [0.281483, 1.218517] → clipped to [0.281483, 1].
  REQUIRE(a.ci);
  STAT_CHECK_NEAR(a.ci->lower, 0.75 - 1.959963984540054 * 0.23904572186687872, 1e-9);
  CHECK(a.ci->upper == 1.0);
  // A std::span<const bool> gives the same.
  const std::array<bool, 5> flags{true, true, false, true, false};
  CHECK(*auc(scores, std::span<const bool>(flags)).auc == 0.75);
}

TEST_CASE("auc: empty groups are empty figures, perfect separation has SE 0, bad input throws") {
  const std::vector<double> scores{1, 2, 3};
  const auc_result none = auc(scores, std::vector<bool>{false, false, false});
  CHECK(none.positives == 0);
  CHECK_FALSE(none.auc);
  CHECK_FALSE(none.standard_error);
  CHECK_FALSE(none.ci);
  const auc_result perfect = auc(scores, std::vector<bool>{false, true, true});
  CHECK(*perfect.auc == 1.0);
  CHECK(*perfect.standard_error == 0.0);
  CHECK(*auc(scores, std::vector<bool>{true, false, false}).auc == 0.0);
  CHECK_THROWS_AS(auc(scores, std::vector<bool>{true, false}), std::invalid_argument);
  const std::vector<double> with_nan{1, nan_value, 3};
  CHECK_THROWS_AS(auc(with_nan, std::vector<bool>{true, false, true}), std::invalid_argument);
  CHECK_THROWS_AS(hanley_mcneil_standard_error(1.5, 3, 2), std::invalid_argument);
  CHECK_THROWS_AS(hanley_mcneil_standard_error(0.5, 0, 2), std::invalid_argument);
}

TEST_CASE("auc from ranks equals counting all pairs on random data with ties, in any order") {
  std::mt19937_64 rng(1982);
  std::uniform_int_distribution<int> coarse(0, 6);  // few distinct values: many ties
  std::bernoulli_distribution coin(0.4);
  for (int trial = 0; trial < 30; ++trial) {
    const std::size_t n = 2 + static_cast<std::size_t>(trial) * 5;
    std::vector<double> s(n);
    std::vector<bool> y(n);
    for (std::size_t i = 0; i < n; ++i) {
      y[i] = coin(rng);
      s[i] = coarse(rng) + (y[i] ? 1 : 0);
    }
    const auc_result a = auc(s, y);
    const bool both = std::count(y.begin(), y.end(), true) > 0 && std::count(y.begin(), y.end(), false) > 0;
    REQUIRE(a.auc.has_value() == both);
    if (!both) continue;
    STAT_CHECK_NEAR(*a.auc, brute_force_auc(s, y), 1e-12);
    // Negating the scores gives 1 − AUC.
    std::vector<double> negated(n);
    for (std::size_t i = 0; i < n; ++i) negated[i] = -s[i];
    STAT_CHECK_NEAR(*auc(negated, y).auc, 1 - *a.auc, 1e-12);
    // Reversing the customers' order changes nothing.
    std::vector<double> rs(s.rbegin(), s.rend());
    std::vector<bool> ry(y.rbegin(), y.rend());
    CHECK(*auc(rs, ry).auc == *a.auc);
  }
}

TEST_CASE("two-proportion z test: 30/100 against 15/100") {
  // p̂ = 45/200 = 0.225; SE = √(0.225·0.775·(1/100 + 1/100)) = √0.0034875 = 0.0590551;
  // z = 0.15/0.0590551 = 2.540003; p = 2(1 − Φ(2.540003)) = 0.0110852.
  const auto t = two_proportion_z_test(30, 100, 15, 100);
  REQUIRE(t);
  CHECK(t->proportion_a == 0.3);
  CHECK(t->proportion_b == 0.15);
  STAT_CHECK_NEAR(t->difference, 0.15, 1e-15);
  REQUIRE(t->z);
  STAT_CHECK_NEAR(*t->z, 2.5400025400038095, 1e-9);
  STAT_CHECK_NEAR(*t->p_value, 0.01108516638060264, 1e-9);
  // Wald: √(0.3·0.7/100 + 0.15·0.85/100) = √0.003375 = 0.0580948; 0.15 ± 1.959964·0.0580948.
  STAT_CHECK_NEAR(t->difference_ci.lower, 0.03613638193065062, 1e-9);
  STAT_CHECK_NEAR(t->difference_ci.upper, 0.2638636180693494, 1e-9);
  // Swapping the groups negates z and the difference, keeps p.
  const auto swapped = two_proportion_z_test(15, 100, 30, 100);
  STAT_CHECK_NEAR(*swapped->z, -*t->z, 1e-12);
  STAT_CHECK_NEAR(*swapped->p_value, *t->p_value, 1e-12);
}

TEST_CASE("two-proportion z test: undefined cases are empty, bad counts throw") {
  CHECK_FALSE(two_proportion_z_test(0, 0, 3, 10));
  CHECK_FALSE(two_proportion_z_test(3, 10, 0, 0));
  const auto all_churned = two_proportion_z_test(5, 5, 7, 7);  // p̂ = 1: no variation
  REQUIRE(all_churned);
  CHECK(all_churned->difference == 0.0);
  CHECK_FALSE(all_churned->z);
  CHECK_FALSE(all_churned->p_value);
  CHECK_THROWS_WITH(two_proportion_z_test(11, 10, 3, 10), "two_proportion_z_test: successes_a > trials_a");
  CHECK_THROWS_AS(two_proportion_z_test(1, 10, 11, 10), std::invalid_argument);
  CHECK_THROWS_AS(two_proportion_z_test(1, 10, 1, 10, 1.5), std::invalid_argument);
}

TEST_CASE("chi-squared of a 2x2 table worked by hand, with phi") {
  // {{10, 20}, {30, 40}}: rows 30, 70; columns 40, 60; n = 100. E = 12, 18, 28, 42; every (O − E)² = 4;
  // X² = 4/12 + 4/18 + 4/28 + 4/42 = 0.793651, 1 dof; p = 2(1 − Φ(√X²)) = 0.372998 (χ²₁ = Z²).
  // φ = (10·40 − 20·30)/√(30·70·40·60) = −200/2244.99 = −0.0890871; φ² = X²/n.
  const auto t = chi_squared_independence(10, 20, 30, 40);
  REQUIRE(t);
  CHECK(t->total == 100);
  CHECK(t->degrees_of_freedom == 1);
  const std::vector<double> expected{12, 18, 28, 42};
  for (std::size_t i = 0; i < 4; ++i) STAT_CHECK_NEAR(t->expected[i], expected[i], 1e-12);
  STAT_CHECK_NEAR(t->statistic, 0.7936507936507936, 1e-12);
  STAT_CHECK_NEAR(t->p_value, 0.372998483613487, 1e-9);
  REQUIRE(t->phi);
  STAT_CHECK_NEAR(*t->phi, -0.0890870806374748, 1e-12);
  STAT_CHECK_NEAR(t->cramers_v, std::abs(*t->phi), 1e-12);
  CHECK_FALSE(t->small_expected_counts);
  CHECK(t->min_expected == 12);
}

TEST_CASE("chi-squared of a 2x3 table: Cramer's V and the 2-dof p-value exp(-X2/2)") {
  // {{10, 20, 30}, {20, 20, 10}}: rows 60, 50; columns 30, 40, 40; n = 110.
  // E = 16.3636 21.8182 21.8182 / 13.6364 18.1818 18.1818; X² = 2.47475 + 0.151515 + 3.06818
  //   + 2.96970 + 0.181818 + 3.68182 = 12.5278; V = √(12.5278/(110·1)) = 0.337474;
  // with 2 dof the survival function is exp(−X²/2) = 0.00190383.
  const std::vector<std::uint64_t> cells{10, 20, 30, 20, 20, 10};
  const auto t = chi_squared_independence(cells, 2, 3);
  REQUIRE(t);
  CHECK(t->degrees_of_freedom == 2);
  STAT_CHECK_NEAR(t->statistic, 12.52777777777778, 1e-10);
  STAT_CHECK_NEAR(t->cramers_v, 0.3374742788552765, 1e-10);
  STAT_CHECK_NEAR(t->p_value, std::exp(-t->statistic / 2), 1e-12);
  STAT_CHECK_NEAR(t->p_value, 0.001903827607695494, 1e-9);
  CHECK_FALSE(t->phi);
  // Brute force: expected counts recomputed cell by cell sum back to the margins.
  double sum = 0;
  for (double e : t->expected) sum += e;
  STAT_CHECK_NEAR(sum, 110.0, 1e-12);
}

TEST_CASE("chi-squared flags expected counts below 5 and is empty for an empty row or column") {
  // {{3, 1}, {1, 3}}: every E = 2 < 5.
  const auto small = chi_squared_independence(3, 1, 1, 3);
  REQUIRE(small);
  CHECK(small->small_expected_counts);
  CHECK(small->cells_expected_below_5 == 4);
  CHECK(small->min_expected == 2);
  CHECK_FALSE(chi_squared_independence(0, 0, 3, 4));  // empty row
  CHECK_FALSE(chi_squared_independence(0, 5, 0, 4));  // empty column
  const std::vector<std::uint64_t> cells{1, 2, 3};
  CHECK_THROWS_AS(chi_squared_independence(cells, 2, 2), std::invalid_argument);
  CHECK_THROWS_AS(chi_squared_independence(cells, 1, 3), std::invalid_argument);
  // Perfect association: V = |φ| = 1, p tiny.
  const auto perfect = chi_squared_independence(50, 0, 0, 50);
  CHECK(*perfect->phi == doctest::Approx(1.0));
  CHECK(perfect->cramers_v == doctest::Approx(1.0));
  CHECK(perfect->p_value < 1e-20);
}

TEST_CASE("chi-squared statistic of random 3x4 tables equals the brute-force sum") {
  std::mt19937_64 rng(1946);
  std::uniform_int_distribution<std::uint64_t> count(1, 40);
  for (int trial = 0; trial < 20; ++trial) {
    std::vector<std::uint64_t> cells(12);
    for (auto& c : cells) c = count(rng);
    const auto t = chi_squared_independence(cells, 3, 4);
    REQUIRE(t);
    double n = 0, rows[3] = {}, cols[4] = {};
    for (std::size_t i = 0; i < 3; ++i)
      for (std::size_t j = 0; j < 4; ++j) {
        const double v = static_cast<double>(cells[i * 4 + j]);
        n += v;
        rows[i] += v;
        cols[j] += v;
      }
    // X² = n(Σ O²/(r_i c_j) − 1), an algebraically equal form.
    double s = 0;
    for (std::size_t i = 0; i < 3; ++i)
      for (std::size_t j = 0; j < 4; ++j) {
        const double v = static_cast<double>(cells[i * 4 + j]);
        s += v * v / (rows[i] * cols[j]);
      }
    STAT_CHECK_NEAR(t->statistic, n * (s - 1), 1e-9 * std::max(1.0, t->statistic));
    STAT_CHECK_NEAR(t->cramers_v, std::sqrt(t->statistic / (n * 2)), 1e-12);
    CHECK(t->degrees_of_freedom == 6);
  }
}
