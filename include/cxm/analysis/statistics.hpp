#pragma once
/// \file
/// Association statistics for the engagement-versus-satisfaction analysis (issue #14): value types plus
/// free functions over spans of per-customer values, in the style of Boost.Math (results hold numbers,
/// functions compute). Nothing here keeps state between calls, so there is nothing to merge or save:
/// merge the per-customer inputs (or the engine that produced them) and call again.
///
///  pearson_correlation    r = Σ(x−x̄)(y−ȳ) / √(Σ(x−x̄)² Σ(y−ȳ)²) (two-pass: means first), with the
///                         Fisher (1915) z interval tanh(atanh r ± z_{1−α/2}/√(n−3)).
///  spearman_correlation   Pearson's r of the average ranks (ties share the mean of their positions;
///                         Spearman 1904). The interval is the same Fisher-z approximation with
///                         SE = 1/√(n−3); Fieller, Hartley & Pearson (1957) suggest the slightly wider
///                         √(1.06/(n−3)) for Spearman — we keep 1/√(n−3) and document it as approximate.
///  auc                    area under the ROC curve = concordance probability P(s⁺ > s⁻) + ½P(s⁺ = s⁻),
///                         from the Mann-Whitney U statistic U = R⁺ − n⁺(n⁺+1)/2 (R⁺: sum of the
///                         average ranks of the positives), AUC = U/(n⁺n⁻); standard error of Hanley &
///                         McNeil (1982, Radiology 143, eq. 1–3): Q1 = A/(2−A), Q2 = 2A²/(1+A),
///                         SE² = [A(1−A) + (n⁺−1)(Q1−A²) + (n⁻−1)(Q2−A²)] / (n⁺n⁻); interval A ± z·SE
///                         clipped to [0, 1].
///  two_proportion_z_test  pooled z = (p_a − p_b)/√(p̂(1−p̂)(1/n_a + 1/n_b)), p̂ = (x_a+x_b)/(n_a+n_b),
///                         two-sided p = 2(1 − Φ(|z|)); the difference's interval is the unpooled Wald
///                         interval (p_a − p_b) ± z·√(p_a(1−p_a)/n_a + p_b(1−p_b)/n_b), clipped to [−1, 1].
///  chi_squared_independence  Pearson's X² = Σ (O − E)²/E with E = row·column/total, (r−1)(c−1) degrees of
///                         freedom, p from the chi-squared distribution (Boost.Math); Cramér's (1946)
///                         V = √(X²/(n·(min(r, c) − 1))); for 2×2 the signed φ = (ad − bc)/√(r₁r₂c₁c₂)
///                         (|φ| = √(X²/n) = V). No continuity correction. Expected counts below 5 are
///                         flagged (Cochran 1954: the chi-squared approximation is then unreliable; use
///                         cxm::fisher_exact from survey/compare.hpp for a 2×2 table).
///
/// Undefined figures are empty std::optionals, never NaN: a correlation with n < 3 or a constant input,
/// its interval with n < 4; an AUC with no positives or no negatives; a proportion test with an empty
/// group; a chi-squared test with an empty row or column. Bad input (sizes that differ, NaN or ±inf
/// values, more successes than trials, a confidence outside (0, 1)) throws std::invalid_argument naming
/// the parameter.
///
/// Cost: correlations O(n) (Pearson) and O(n log n) (Spearman, AUC: one sort), O(n) extra memory;
/// the proportion test O(1); the chi-squared test O(r·c).

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <numeric>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

// The special functions only, not boost/math/distributions (docs/benchmarks.md, "Compile cost"):
// the chi-squared upper tail is gamma_q(k/2, x/2), the normal quantile -sqrt(2)·erfc_inv(2p).
#include <boost/math/constants/constants.hpp>
#include <boost/math/special_functions/erf.hpp>
#include <boost/math/special_functions/gamma.hpp>

#include "cxm/survey/intervals.hpp"

/// Engagement versus satisfaction: statistics, segments and per-period series over finished results.
namespace cxm::analysis {

/// A correlation coefficient (Pearson or Spearman) with its Fisher-z interval.
struct correlation {
  std::size_t n;                ///< number of pairs
  std::optional<double> r;      ///< the coefficient in [−1, 1]; empty when n < 3 or an input is constant
  std::optional<interval> ci;   ///< Fisher-z interval; empty when r is, or n < 4; [r, r] when |r| = 1
};

/// AUC (concordance) of a score for a binary outcome, with the Hanley-McNeil standard error.
struct auc_result {
  std::size_t positives;                  ///< customers with the outcome (n⁺)
  std::size_t negatives;                  ///< customers without it (n⁻)
  double mann_whitney_u;                  ///< U of the positives: pairs with s⁺ > s⁻, ties counted ½
  std::optional<double> auc;              ///< U/(n⁺n⁻) in [0, 1]; empty when n⁺ = 0 or n⁻ = 0
  std::optional<double> standard_error;   ///< Hanley & McNeil (1982); empty when auc is
  std::optional<interval> ci;             ///< auc ± z·SE clipped to [0, 1]; empty when auc is
};

/// Two-proportion z test (e.g. the churn rates of two segments): a − b.
struct two_proportion_test {
  /** \var successes_a
      x_a, the successes of sample a. */
  std::uint64_t successes_a, trials_a;   ///< n_a, its trials
  /** \var successes_b
      x_b, the successes of sample b. */
  std::uint64_t successes_b, trials_b;   ///< n_b, its trials
  double proportion_a;                   ///< x_a/n_a
  double proportion_b;                   ///< x_b/n_b
  double difference;                     ///< proportion_a − proportion_b
  interval difference_ci;                ///< unpooled Wald interval, clipped to [−1, 1]
  std::optional<double> z;               ///< pooled z; empty when p̂ is 0 or 1 (no variation: undefined)
  std::optional<double> p_value;         ///< two-sided; empty when z is
};

/// Chi-squared test of independence of an r × c table.
struct chi_squared_test {
  std::size_t rows;                      ///< r ≥ 2
  std::size_t columns;                   ///< c ≥ 2
  std::uint64_t total;                   ///< n, the sum of all cells
  std::vector<double> expected;          ///< E_ij = row_i·column_j/n, row-major (r·c values)
  double statistic;                      ///< Pearson's X² (no continuity correction)
  std::uint64_t degrees_of_freedom;      ///< (r − 1)(c − 1)
  double p_value;                        ///< P(χ²_dof ≥ X²)
  double cramers_v;                      ///< √(X²/(n(min(r, c) − 1))), in [0, 1]
  std::optional<double> phi;             ///< 2×2 only: (ad − bc)/√(r₁r₂c₁c₂), signed, in [−1, 1]
  double min_expected;                   ///< the smallest E_ij
  std::size_t cells_expected_below_5;    ///< number of cells with E_ij < 5
  /// Some expected count is below 5: the p-value is unreliable (Cochran 1954); for 2×2 prefer
  /// cxm::fisher_exact (survey/compare.hpp).
  bool small_expected_counts;
};

namespace detail {

inline void check_finite(std::span<const double> values, const char* function, const char* parameter) {
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (!std::isfinite(values[i])) {
      throw std::invalid_argument(std::string(function) + ": " + parameter + "[" + std::to_string(i) +
                                  "] is not finite");
    }
  }
}

inline void check_same_size(std::size_t a, std::size_t b, const char* function, const char* pa, const char* pb) {
  if (a != b) {
    throw std::invalid_argument(std::string(function) + ": " + pa + " has " + std::to_string(a) + " values but " +
                                pb + " has " + std::to_string(b));
  }
}

inline double two_sided_p(double z) {
  // 2·P(Z > |z|) = erfc(|z|/sqrt(2)): what 2·cdf(complement(normal_distribution<double>(), |z|)) computes.
  return boost::math::erfc(std::abs(z) / boost::math::constants::root_two<double>());
}

/// Q(k/2, x/2), the upper tail P(X > x) of a chi-squared variable with k > 0 degrees of freedom:
/// what cdf(complement(chi_squared_distribution<double>(k), x)) returns, with its check of x.
inline double chi_squared_upper_tail(double k, double x) {
  if (!(x >= 0) || !std::isfinite(x)) {
    throw std::domain_error("chi-squared statistic is " + std::to_string(x) + ", must be finite and >= 0");
  }
  return boost::math::gamma_q(k / 2, x / 2);
}

/// Pearson's r of two equal-length, finite samples (two-pass); empty when n < 3 or a sample is constant.
inline std::optional<double> pearson_r(std::span<const double> x, std::span<const double> y) {
  const std::size_t n = x.size();
  if (n < 3) return std::nullopt;
  const double nd = static_cast<double>(n);
  const double mean_x = std::accumulate(x.begin(), x.end(), 0.0) / nd;
  const double mean_y = std::accumulate(y.begin(), y.end(), 0.0) / nd;
  double sxx = 0, syy = 0, sxy = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double dx = x[i] - mean_x;
    const double dy = y[i] - mean_y;
    sxx += dx * dx;
    syy += dy * dy;
    sxy += dx * dy;
  }
  if (!(sxx > 0) || !(syy > 0)) return std::nullopt;
  return std::clamp(sxy / std::sqrt(sxx * syy), -1.0, 1.0);
}

inline correlation with_fisher_interval(std::size_t n, std::optional<double> r, double confidence) {
  const double q = normal_quantile(confidence);  // validates confidence
  correlation out{n, r, std::nullopt};
  if (!r || n < 4) return out;
  if (std::abs(*r) == 1.0) {
    out.ci = interval{*r, *r, confidence};
    return out;
  }
  const double z = std::atanh(*r);
  const double half = q / std::sqrt(static_cast<double>(n - 3));
  out.ci = interval{std::tanh(z - half), std::tanh(z + half), confidence};
  return out;
}

}  // namespace detail

/// Average ranks, 1-based: the i-th value's position in ascending order, ties sharing the mean of their
/// positions ({10, 20, 20, 30} → {1, 2.5, 2.5, 4}). Throws std::invalid_argument for a non-finite value.
/// O(n log n) time, O(n) memory.
inline std::vector<double> average_ranks(std::span<const double> values) {
  detail::check_finite(values, "average_ranks", "values");
  std::vector<std::size_t> order(values.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return values[a] < values[b]; });
  std::vector<double> ranks(values.size());
  for (std::size_t first = 0; first < order.size();) {
    std::size_t last = first + 1;
    while (last < order.size() && values[order[last]] == values[order[first]]) ++last;
    // Positions first+1 .. last (1-based) share their mean.
    const double rank = (static_cast<double>(first + 1) + static_cast<double>(last)) / 2;
    for (std::size_t k = first; k < last; ++k) ranks[order[k]] = rank;
    first = last;
  }
  return ranks;
}

/// Pearson correlation of x and y (equal sizes, finite values) with the Fisher-z interval at
/// `confidence`. Throws std::invalid_argument for sizes that differ, a non-finite value or a
/// confidence outside (0, 1). O(n), no allocation.
inline correlation pearson_correlation(std::span<const double> x, std::span<const double> y,
                                       double confidence = 0.95) {
  detail::check_same_size(x.size(), y.size(), "pearson_correlation", "x", "y");
  detail::check_finite(x, "pearson_correlation", "x");
  detail::check_finite(y, "pearson_correlation", "y");
  return detail::with_fisher_interval(x.size(), detail::pearson_r(x, y), confidence);
}

/// Spearman rank correlation (Pearson of the average ranks; ties allowed) with the Fisher-z interval
/// SE = 1/√(n−3) (an approximation for Spearman: see the header comment). Same errors as
/// pearson_correlation. O(n log n), O(n) memory.
inline correlation spearman_correlation(std::span<const double> x, std::span<const double> y,
                                        double confidence = 0.95) {
  detail::check_same_size(x.size(), y.size(), "spearman_correlation", "x", "y");
  detail::check_finite(x, "spearman_correlation", "x");
  detail::check_finite(y, "spearman_correlation", "y");
  const std::vector<double> rx = average_ranks(x);
  const std::vector<double> ry = average_ranks(y);
  return detail::with_fisher_interval(x.size(), detail::pearson_r(rx, ry), confidence);
}

/// Hanley & McNeil (1982) standard error of an AUC `a` from n⁺ positives and n⁻ negatives (both > 0):
/// √([A(1−A) + (n⁺−1)(Q1−A²) + (n⁻−1)(Q2−A²)]/(n⁺n⁻)), Q1 = A/(2−A), Q2 = 2A²/(1+A).
/// Throws std::invalid_argument for a outside [0, 1] or an empty group.
inline double hanley_mcneil_standard_error(double a, std::size_t positives, std::size_t negatives) {
  if (!(a >= 0 && a <= 1)) throw std::invalid_argument("hanley_mcneil_standard_error: auc must be in [0, 1]");
  if (positives == 0 || negatives == 0) {
    throw std::invalid_argument("hanley_mcneil_standard_error: positives and negatives must be > 0");
  }
  const double np = static_cast<double>(positives);
  const double nn = static_cast<double>(negatives);
  const double q1 = a / (2 - a);
  const double q2 = 2 * a * a / (1 + a);
  const double variance = (a * (1 - a) + (np - 1) * (q1 - a * a) + (nn - 1) * (q2 - a * a)) / (np * nn);
  return std::sqrt(std::max(0.0, variance));
}

namespace detail {
/// The AUC of scores[i] for the outcome is_positive(i), i < scores.size().
template <class IsPositive>
auc_result auc_of(std::span<const double> scores, IsPositive&& is_positive, double confidence) {
  const double q = normal_quantile(confidence);
  const std::vector<double> ranks = average_ranks(scores);  // checks finiteness
  std::size_t positives = 0;
  double rank_sum = 0;
  for (std::size_t i = 0; i < ranks.size(); ++i) {
    if (is_positive(i)) {
      ++positives;
      rank_sum += ranks[i];
    }
  }
  const std::size_t negatives = scores.size() - positives;
  const double np = static_cast<double>(positives);
  // Mann-Whitney: U = R⁺ − n⁺(n⁺+1)/2 counts the (positive, negative) pairs with s⁺ > s⁻, ties ½.
  auc_result out{positives, negatives, rank_sum - np * (np + 1) / 2, std::nullopt, std::nullopt, std::nullopt};
  if (positives == 0 || negatives == 0) return out;
  const double a = std::clamp(out.mann_whitney_u / (np * static_cast<double>(negatives)), 0.0, 1.0);
  const double se = hanley_mcneil_standard_error(a, positives, negatives);
  out.auc = a;
  out.standard_error = se;
  out.ci = interval{std::max(0.0, a - q * se), std::min(1.0, a + q * se), confidence};
  return out;
}
}  // namespace detail

/// AUC of `scores` for the outcome `positive` (true = has the outcome; a higher score is taken to
/// predict the outcome: negate the scores, or use 1 − AUC, for a measure that predicts its absence).
/// Ties between a positive and a negative count ½. Throws std::invalid_argument for sizes that differ,
/// a non-finite score or a confidence outside (0, 1). O(n log n), O(n) memory.
inline auc_result auc(std::span<const double> scores, std::span<const bool> positive, double confidence = 0.95) {
  detail::check_same_size(scores.size(), positive.size(), "auc", "scores", "positive");
  return detail::auc_of(scores, [&](std::size_t i) { return positive[i]; }, confidence);
}

/// The same for outcomes in a std::vector<bool> (which a std::span cannot view).
inline auc_result auc(std::span<const double> scores, const std::vector<bool>& positive, double confidence = 0.95) {
  detail::check_same_size(scores.size(), positive.size(), "auc", "scores", "positive");
  return detail::auc_of(scores, [&](std::size_t i) { return static_cast<bool>(positive[i]); }, confidence);
}

/// Pooled two-proportion z test of x_a/n_a against x_b/n_b; empty when n_a = 0 or n_b = 0. Throws
/// std::invalid_argument when successes exceed trials or for a confidence outside (0, 1). O(1).
inline std::optional<two_proportion_test> two_proportion_z_test(std::uint64_t successes_a, std::uint64_t trials_a,
                                                                std::uint64_t successes_b, std::uint64_t trials_b,
                                                                double confidence = 0.95) {
  const double q = normal_quantile(confidence);
  if (successes_a > trials_a) throw std::invalid_argument("two_proportion_z_test: successes_a > trials_a");
  if (successes_b > trials_b) throw std::invalid_argument("two_proportion_z_test: successes_b > trials_b");
  if (trials_a == 0 || trials_b == 0) return std::nullopt;
  const double xa = static_cast<double>(successes_a), na = static_cast<double>(trials_a);
  const double xb = static_cast<double>(successes_b), nb = static_cast<double>(trials_b);
  const double pa = xa / na, pb = xb / nb;
  const double difference = pa - pb;
  const double wald_se = std::sqrt(pa * (1 - pa) / na + pb * (1 - pb) / nb);
  two_proportion_test out{successes_a, trials_a, successes_b, trials_b, pa, pb, difference,
                          interval{std::max(-1.0, difference - q * wald_se), std::min(1.0, difference + q * wald_se),
                                   confidence},
                          std::nullopt, std::nullopt};
  const double pooled = (xa + xb) / (na + nb);
  const double pooled_se = std::sqrt(pooled * (1 - pooled) * (1 / na + 1 / nb));
  if (pooled_se > 0) {
    out.z = difference / pooled_se;
    out.p_value = detail::two_sided_p(*out.z);
  }
  return out;
}

/// Chi-squared test of independence of a `rows` × `columns` table of counts given row-major. Empty when
/// a row or a column sums to 0 (drop it first). Throws std::invalid_argument when rows or columns < 2 or
/// counts.size() ≠ rows·columns. O(r·c).
inline std::optional<chi_squared_test> chi_squared_independence(std::span<const std::uint64_t> counts,
                                                                std::size_t rows, std::size_t columns) {
  if (rows < 2 || columns < 2) throw std::invalid_argument("chi_squared_independence: rows and columns must be >= 2");
  if (counts.size() != rows * columns) {
    throw std::invalid_argument("chi_squared_independence: counts has " + std::to_string(counts.size()) +
                                " cells, expected rows * columns = " + std::to_string(rows * columns));
  }
  std::vector<double> row_sum(rows, 0.0), column_sum(columns, 0.0);
  std::uint64_t total = 0;
  for (std::size_t i = 0; i < rows; ++i) {
    for (std::size_t j = 0; j < columns; ++j) {
      const std::uint64_t c = counts[i * columns + j];
      row_sum[i] += static_cast<double>(c);
      column_sum[j] += static_cast<double>(c);
      total += c;
    }
  }
  if (std::any_of(row_sum.begin(), row_sum.end(), [](double s) { return s == 0; }) ||
      std::any_of(column_sum.begin(), column_sum.end(), [](double s) { return s == 0; })) {
    return std::nullopt;
  }
  const double n = static_cast<double>(total);
  chi_squared_test out{rows, columns, total, std::vector<double>(rows * columns), 0.0,
                       static_cast<std::uint64_t>((rows - 1) * (columns - 1)), 1.0, 0.0, std::nullopt,
                       n, 0, false};
  for (std::size_t i = 0; i < rows; ++i) {
    for (std::size_t j = 0; j < columns; ++j) {
      const double e = row_sum[i] * column_sum[j] / n;
      const double d = static_cast<double>(counts[i * columns + j]) - e;
      out.expected[i * columns + j] = e;
      out.statistic += d * d / e;
      out.min_expected = std::min(out.min_expected, e);
      if (e < 5) ++out.cells_expected_below_5;
    }
  }
  out.small_expected_counts = out.cells_expected_below_5 > 0;
  // cdf(complement(chi_squared_distribution<double>(k), x)) is Q(k/2, x/2) after its checks.
  out.p_value = detail::chi_squared_upper_tail(static_cast<double>(out.degrees_of_freedom), out.statistic);
  const double k = static_cast<double>(std::min(rows, columns) - 1);
  out.cramers_v = std::min(1.0, std::sqrt(out.statistic / (n * k)));
  if (rows == 2 && columns == 2) {
    const double a = static_cast<double>(counts[0]), b = static_cast<double>(counts[1]);
    const double c = static_cast<double>(counts[2]), d = static_cast<double>(counts[3]);
    out.phi = std::clamp((a * d - b * c) / std::sqrt(row_sum[0] * row_sum[1] * column_sum[0] * column_sum[1]), -1.0,
                         1.0);
  }
  return out;
}

/// The 2×2 table {{a, b}, {c, d}}.
inline std::optional<chi_squared_test> chi_squared_independence(std::uint64_t a, std::uint64_t b, std::uint64_t c,
                                                                std::uint64_t d) {
  const std::uint64_t cells[4] = {a, b, c, d};
  return chi_squared_independence(cells, 2, 2);
}

}  // namespace cxm::analysis
