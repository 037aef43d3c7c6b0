#pragma once
/// \file
/// The confidence intervals of survey results built on the normal quantile alone: Wilson for a
/// share (CSAT, CES), Wald and adjusted Wald for the NPS, and the NPS margin of error. Of Boost.Math
/// only erfc_inv (boost/math/special_functions/erf.hpp); cxm.hpp leaves it out, to stay fast to
/// compile (docs/benchmarks.md, "Compile cost"). Formulas and sources: survey/intervals.hpp, which
/// includes this header and adds mean_interval.

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include <boost/math/constants/constants.hpp>
#include <boost/math/special_functions/erf.hpp>

#include "cxm/survey/ces.hpp"
#include "cxm/survey/csat.hpp"
#include "cxm/survey/nps.hpp"

namespace cxm {

/// A two-sided confidence interval.
struct interval {
  double lower;  ///< lower bound
  double upper;  ///< upper bound
  double confidence;  ///< two-sided level, e.g. 0.95
  [[nodiscard]] bool contains(double v) const noexcept { return v >= lower && v <= upper; }  ///< lower <= v <= upper
  [[nodiscard]] double width() const noexcept { return upper - lower; }  ///< upper − lower
};

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

/// The two-sided standard normal quantile z for `confidence` (0.95 → 1.959964): Φ⁻¹(1/2 + c/2) =
/// −√2 erfc⁻¹(1 + c), computed as Boost.Math's normal quantile computes it (bit for bit the same),
/// from the special function's header alone: the distribution headers cost far more to compile
/// (docs/benchmarks.md, "Compile cost").
inline double normal_quantile(double confidence) {
  detail::check_confidence(confidence);
  const double p = 0.5 + confidence / 2;
  return -boost::math::erfc_inv(2 * p) * boost::math::constants::root_two<double>();
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
