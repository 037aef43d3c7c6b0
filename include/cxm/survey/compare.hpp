#pragma once
/// \file
/// Tests between two survey results (two periods, two segments). Free functions over results.
///
///  compare(nps_result, nps_result)    two-sample z test on the NPS: z = (NPS_a − NPS_b)/√(SE_a² + SE_b²)
///                                     (independent samples; Rocks 2016), two-sided p = 2(1 − Φ(|z|)).
///  compare(csat_result, csat_result)  pooled two-proportion z test on the satisfied shares:
///  compare(ces_result, ces_result)    p̂ = (x_a + x_b)/(n_a + n_b), SE = √(p̂(1−p̂)(1/n_a + 1/n_b)).
///  fisher_exact(csat_result, csat_result)  Fisher's exact test on the 2×2 table of satisfied / not
///                                     satisfied answers (Fisher 1922); two-sided p = Σ of the
///                                     hypergeometric probabilities of tables no more likely than the
///                                     observed one. For small counts where the z test is unreliable.
/// Weighted results use Kish's effective n; Fisher's test needs unweighted answers.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

// The special functions only, not boost/math/distributions (docs/benchmarks.md, "Compile cost"):
// the two-sided normal p-value is erfc(|z|/sqrt(2)); Fisher's hypergeometric terms are a ratio
// recurrence (below).
#include <boost/math/constants/constants.hpp>
#include <boost/math/special_functions/erf.hpp>

#include "cxm/survey/ces.hpp"
#include "cxm/survey/csat.hpp"
#include "cxm/survey/nps.hpp"

namespace cxm {

/// A two-sample z test of a − b (compare).
struct z_test {
  double difference;      ///< a − b (net NPS, or share)
  double standard_error;  ///< of the difference
  double z;               ///< difference / standard_error
  double p_value;         ///< two-sided
};

/// Fisher's exact test on the 2×2 table of two samples' successes (Fisher 1922).
struct fisher_test {
  double p_value;     ///< two-sided
  double odds_ratio;  ///< (x_a·(n_b − x_b)) / ((n_a − x_a)·x_b), the sample odds ratio; 0 or ∞ at a zero
                      ///< cell, NaN when both products are 0
};

namespace detail {
inline double two_sided_normal_p(double z) {
  // 2·P(Z > |z|) = erfc(|z|/sqrt(2)): what 2·cdf(complement(normal_distribution<double>(), |z|)) computes.
  return boost::math::erfc(std::abs(z) / boost::math::constants::root_two<double>());
}

inline z_test pooled_proportion_test(double share_a, double n_a, double share_b, double n_b, const char* what) {
  if (!(n_a > 0) || !(n_b > 0)) throw std::invalid_argument(std::string(what) + ": both results need answers");
  const double pooled = (share_a * n_a + share_b * n_b) / (n_a + n_b);
  const double se = std::sqrt(pooled * (1 - pooled) * (1 / n_a + 1 / n_b));
  const double difference = share_a - share_b;
  if (se == 0) {
    // Both samples all satisfied or all not: no evidence of a difference (the difference is 0 too).
    return {difference, 0.0, 0.0, 1.0};
  }
  const double z = difference / se;
  return {difference, se, z, two_sided_normal_p(z)};
}
}  // namespace detail

/// Two-sample z test of NPS a against NPS b. Throws std::invalid_argument if either is empty.
inline z_test compare(const nps_result& a, const nps_result& b) {
  if (a.empty() || b.empty()) throw std::invalid_argument("compare(nps): both results need answers");
  const double difference = a.net - b.net;
  const double se = std::sqrt(a.standard_error * a.standard_error + b.standard_error * b.standard_error);
  if (se == 0) return {difference, 0.0, difference == 0 ? 0.0 : std::copysign(std::numeric_limits<double>::infinity(), difference), difference == 0 ? 1.0 : 0.0};
  const double z = difference / se;
  return {difference, se, z, detail::two_sided_normal_p(z)};
}

/// Pooled two-proportion z test of the CSAT (satisfied share) of a against b.
inline z_test compare(const csat_result& a, const csat_result& b) {
  return detail::pooled_proportion_test(a.satisfied_share, a.effective_n, b.satisfied_share, b.effective_n,
                                        "compare(csat)");
}

/// Pooled two-proportion z test of the CES share at or above the threshold of a against b.
/// Throws std::invalid_argument when the thresholds differ (the shares would measure different things).
inline z_test compare(const ces_result& a, const ces_result& b) {
  if (a.threshold != b.threshold) throw std::invalid_argument("compare(ces): the results use different thresholds");
  return detail::pooled_proportion_test(a.easy_share, a.effective_n, b.easy_share, b.effective_n, "compare(ces)");
}

/// The largest sample fisher_exact accepts (its cost grows with the counts).
inline constexpr std::uint64_t fisher_max_trials = 1'000'000;

/// Fisher's exact test on [[x_a, n_a − x_a], [x_b, n_b − x_b]] (x = successes, n = trials).
inline fisher_test fisher_exact(std::uint64_t x_a, std::uint64_t n_a, std::uint64_t x_b, std::uint64_t n_b) {
  if (x_a > n_a || x_b > n_b) throw std::invalid_argument("fisher_exact: successes exceed trials");
  if (n_a == 0 || n_b == 0) throw std::invalid_argument("fisher_exact: both samples need answers");
  if (n_a > fisher_max_trials || n_b > fisher_max_trials) {
    throw std::invalid_argument("fisher_exact: meant for small samples (at most " + std::to_string(fisher_max_trials) +
                                " answers each); use compare() for large ones");
  }
  const std::uint64_t total = n_a + n_b;
  const std::uint64_t successes = x_a + x_b;
  // Given the margins, x_a is hypergeometric: `total` answers of which `successes` satisfied, n_a drawn.
  // P(k) ∝ C(successes, k)·C(total − successes, n_a − k); consecutive terms have the ratio
  // P(k+1)/P(k) = (successes − k)(n_a − k) / ((k + 1)(total − successes − n_a + k + 1)). The terms are
  // built from the mode (largest term = 1, so nothing overflows) and normalised by their sum.
  const auto lo = static_cast<std::uint64_t>(n_a + successes > total ? n_a + successes - total : 0);
  const std::uint64_t hi = std::min(n_a, successes);
  const double s = static_cast<double>(successes), na = static_cast<double>(n_a), nt = static_cast<double>(total);
  const auto ratio = [&](std::uint64_t k) {  // P(k+1)/P(k)
    const double kd = static_cast<double>(k);
    return (s - kd) * (na - kd) / ((kd + 1) * (nt - s - na + kd + 1));
  };
  const auto mode = std::min(hi, std::max(lo, static_cast<std::uint64_t>((na + 1) * (s + 1) / (nt + 2))));
  std::vector<double> weight(static_cast<std::size_t>(hi - lo + 1));
  weight[static_cast<std::size_t>(mode - lo)] = 1;
  for (std::uint64_t k = mode; k < hi; ++k) {
    weight[static_cast<std::size_t>(k + 1 - lo)] = weight[static_cast<std::size_t>(k - lo)] * ratio(k);
  }
  for (std::uint64_t k = mode; k > lo; --k) {
    weight[static_cast<std::size_t>(k - 1 - lo)] = weight[static_cast<std::size_t>(k - lo)] / ratio(k - 1);
  }
  double sum = 0;
  for (const double w : weight) sum += w;
  const double observed = weight[static_cast<std::size_t>(x_a - lo)];
  // Tables whose probability is within a relative 1e-7 of the observed one count as "as extreme"
  // (the usual guard against rounding, as in R's fisher.test).
  const double limit = observed * (1 + 1e-7);
  double p = 0;
  for (const double w : weight) {
    if (w <= limit) p += w;
  }
  p /= sum;
  const double fa = static_cast<double>(n_a - x_a), fb = static_cast<double>(n_b - x_b);
  const double num = static_cast<double>(x_a) * fb, den = fa * static_cast<double>(x_b);
  const double odds = den == 0 ? (num == 0 ? std::numeric_limits<double>::quiet_NaN() : std::numeric_limits<double>::infinity()) : num / den;
  return {std::min(1.0, p), odds};
}

/// Fisher's exact test on the satisfied / not satisfied answers of two CSAT results (unweighted only).
inline fisher_test fisher_exact(const csat_result& a, const csat_result& b) {
  if (a.weighted || b.weighted) throw std::invalid_argument("fisher_exact(csat): needs unweighted answers");
  return fisher_exact(a.satisfied, a.n, b.satisfied, b.n);
}

}  // namespace cxm
