#pragma once
/// \file
/// Confidence intervals over survey results (free functions, as in Boost.Math: results hold numbers,
/// functions compute). Every function takes the two-sided confidence level (e.g. 0.95) and throws
/// std::invalid_argument for a level outside (0, 1) or an empty result.
///
///  wilson_interval     Wilson 1927, "Probable inference, the law of succession, and statistical
///                      inference", JASA 22: center (p + z²/2n)/(1 + z²/n),
///                      half-width z/(1 + z²/n)·√(p(1−p)/n + z²/4n²).
///  mean_interval       mean ± t(1−α/2, n−1)·s/√n (Student), or the normal quantile.
///  wald_interval       NPS ± z·SE (Rocks 2016, "Interval Estimation for the 'Net Promoter Score'").
///  adjusted_wald_interval  Rocks 2016 / Sauro & Lewis: add 3 pseudo-answers, 0.75 detractor,
///                      1.5 passive, 0.75 promoter, then the Wald interval on the adjusted shares.
/// Weighted results use Kish's effective sample size in place of n. Intervals are clipped to the range
/// of their quantity: [0, 1] for shares, [−1, 1] for the NPS.
/// The intervals on the normal quantile alone (interval, normal_quantile, wilson_interval,
/// margin_of_error, wald_interval, adjusted_wald_interval) are in survey/normal_intervals.hpp, which
/// this header includes and cxm.hpp includes without Boost.Math; mean_interval is here only.

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

// The Student t quantile is an inverse incomplete beta: the special function only, not
// boost/math/distributions (docs/benchmarks.md, "Compile cost").
#include <boost/math/special_functions/beta.hpp>

#include "cxm/core/score_histogram.hpp"
#include "cxm/survey/normal_intervals.hpp"

namespace cxm {

/// The quantile of mean_interval: Student's t with n − 1 degrees of freedom (Student 1908), or the normal.
enum class mean_interval_method { student_t, normal };

namespace detail {
/// The Student t quantile at p in (0.5, 1) with df > 0 degrees of freedom: P(|T| > t) = 2(1 − p) =
/// I_x(df/2, 1/2) with x = df / (df + t²) (Abramowitz & Stegun 26.7.1 and 26.5.2), so t = sqrt(df·y/x)
/// with x and y = 1 − x from one inverse incomplete beta (y returned directly, no cancellation).
inline double student_t_upper_quantile(double df, double p) {
  double y = 0;
  const double x = boost::math::ibeta_inv(df / 2, 0.5, 2 * (1 - p), &y);
  return std::sqrt(df * y / x);
}
}  // namespace detail

/// Interval for the mean score: Student's t with n − 1 degrees of freedom (default) or the normal.
/// Needs an effective n above 1.
inline interval mean_interval(const score_summary& r, double confidence = 0.95,
                              mean_interval_method method = mean_interval_method::student_t) {
  detail::check_confidence(confidence);
  detail::check_not_empty(r.empty(), "mean_interval");
  if (!(r.effective_n > 1)) throw std::invalid_argument("mean_interval: needs more than one answer");
  const double q = method == mean_interval_method::normal
                       ? normal_quantile(confidence)
                       : detail::student_t_upper_quantile(r.effective_n - 1, 0.5 + confidence / 2);
  const double half = q * r.stddev / std::sqrt(r.effective_n);
  return {r.mean - half, r.mean + half, confidence};
}

}  // namespace cxm
