#pragma once
// Confidence intervals over survey results (free functions, as in Boost.Math: results hold numbers,
// functions compute). Every function takes the two-sided confidence level (e.g. 0.95) and throws
// std::invalid_argument for a level outside (0, 1) or an empty result.
//
//  wilson_interval     Wilson 1927, "Probable inference, the law of succession, and statistical
//                      inference", JASA 22: center (p + z²/2n)/(1 + z²/n),
//                      half-width z/(1 + z²/n)·√(p(1−p)/n + z²/4n²).
//  mean_interval       mean ± t(1−α/2, n−1)·s/√n (Student), or the normal quantile.
//  wald_interval       NPS ± z·SE (Rocks 2016, "Interval Estimation for the 'Net Promoter Score'").
//  adjusted_wald_interval  Rocks 2016 / Sauro & Lewis: add 3 pseudo-answers, 0.75 detractor,
//                      1.5 passive, 0.75 promoter, then the Wald interval on the adjusted shares.
// Weighted results use Kish's effective sample size in place of n. Intervals are clipped to the range
// of their quantity: [0, 1] for shares, [−1, 1] for the NPS.

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include <boost/math/distributions/normal.hpp>
#include <boost/math/distributions/students_t.hpp>

#include "cxm/core/score_histogram.hpp"
#include "cxm/survey/ces.hpp"
#include "cxm/survey/csat.hpp"
#include "cxm/survey/nps.hpp"

namespace cxm {

struct interval {
  double lower;
  double upper;
  double confidence;  ///< two-sided level, e.g. 0.95
  [[nodiscard]] bool contains(double v) const noexcept { return v >= lower && v <= upper; }
  [[nodiscard]] double width() const noexcept { return upper - lower; }
};

enum class mean_interval_method { student_t, normal };

namespace detail {
inline void check_confidence(double confidence) {
  if (!(confidence > 0 && confidence < 1)) {
    throw std::invalid_argument("confidence level must be in (0, 1), got " + std::to_string(confidence));
  }
}
inline void check_not_empty(bool empty, const char* what) {
  if (empty) throw std::invalid_argument(std::string(what) + ": the result is empty (no answers)");
}
}  // namespace detail

/// The two-sided standard normal quantile z for `confidence` (0.95 → 1.959964).
inline double normal_quantile(double confidence) {
  detail::check_confidence(confidence);
  return boost::math::quantile(boost::math::normal_distribution<double>(), 0.5 + confidence / 2);
}

/// Wilson score interval for a proportion p observed on n (possibly effective) trials.
inline interval wilson_interval(double p, double n, double confidence = 0.95) {
  const double z = normal_quantile(confidence);
  if (!(n > 0) || !(p >= 0 && p <= 1)) throw std::invalid_argument("wilson_interval: needs n > 0 and 0 <= p <= 1");
  const double z2 = z * z;
  const double denominator = 1 + z2 / n;
  const double center = (p + z2 / (2 * n)) / denominator;
  const double half = z / denominator * std::sqrt(p * (1 - p) / n + z2 / (4 * n * n));
  return {std::max(0.0, center - half), std::min(1.0, center + half), confidence};
}

/// Wilson interval for the CSAT (the satisfied share).
inline interval wilson_interval(const csat_result& r, double confidence = 0.95) {
  detail::check_not_empty(r.empty(), "wilson_interval");
  return wilson_interval(r.satisfied_share, r.effective_n, confidence);
}

/// Wilson interval for the CES share at or above the threshold.
inline interval wilson_interval(const ces_result& r, double confidence = 0.95) {
  detail::check_not_empty(r.empty(), "wilson_interval");
  return wilson_interval(r.easy_share, r.effective_n, confidence);
}

/// Interval for the mean score: Student's t with n − 1 degrees of freedom (default) or the normal.
/// Needs an effective n above 1.
inline interval mean_interval(const score_summary& r, double confidence = 0.95,
                              mean_interval_method method = mean_interval_method::student_t) {
  detail::check_confidence(confidence);
  detail::check_not_empty(r.empty(), "mean_interval");
  if (!(r.effective_n > 1)) throw std::invalid_argument("mean_interval: needs more than one answer");
  const double q = method == mean_interval_method::normal
                       ? normal_quantile(confidence)
                       : boost::math::quantile(boost::math::students_t_distribution<double>(r.effective_n - 1),
                                               0.5 + confidence / 2);
  const double half = q * r.stddev / std::sqrt(r.effective_n);
  return {r.mean - half, r.mean + half, confidence};
}

/// Margin of error of the NPS (in units of `net`): z·SE.
inline double margin_of_error(const nps_result& r, double confidence = 0.95) {
  detail::check_not_empty(r.empty(), "margin_of_error");
  return normal_quantile(confidence) * r.standard_error;
}

/// Wald interval for the NPS (in units of `net`, −1..1): net ± z·SE.
inline interval wald_interval(const nps_result& r, double confidence = 0.95) {
  const double moe = margin_of_error(r, confidence);
  return {std::max(-1.0, r.net - moe), std::min(1.0, r.net + moe), confidence};
}

/// Adjusted-Wald interval for the NPS (Rocks 2016): pseudo-counts 0.75 detractor, 1.5 passive and
/// 0.75 promoter added to the (effective) sample before the Wald interval. Better coverage for small n
/// and extreme shares.
inline interval adjusted_wald_interval(const nps_result& r, double confidence = 0.95) {
  detail::check_confidence(confidence);
  detail::check_not_empty(r.empty(), "adjusted_wald_interval");
  const double n = r.effective_n;
  const double n_adj = n + 3.0;
  const double promoters = (r.promoter_share * n + 0.75) / n_adj;
  const double detractors = (r.detractor_share * n + 0.75) / n_adj;
  const double net = promoters - detractors;
  const double variance = std::max(0.0, promoters + detractors - net * net);
  const double moe = normal_quantile(confidence) * std::sqrt(variance / n_adj);
  return {std::max(-1.0, net - moe), std::min(1.0, net + moe), confidence};
}

}  // namespace cxm
