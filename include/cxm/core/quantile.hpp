#pragma once
/// \file
/// The linear quantile (Hyndman & Fan 1996, definition 7; numpy's and R's default), shared by the RFM
/// scores (engagement/rfm.hpp) and the segment thresholds (analysis/segments.hpp).

#include <cmath>
#include <cstddef>
#include <span>
#include <stdexcept>

namespace cxm {

/// The linear quantile of sorted values: numpy.quantile's default method "linear" (Hyndman & Fan 1996,
/// "Sample quantiles in statistical packages", definition 7; also R's default type 7):
///   h = (n − 1)·p,  Q(p) = x[⌊h⌋] + (h − ⌊h⌋)·(x[⌊h⌋ + 1] − x[⌊h⌋])  (0-based order statistics).
/// E.g. quantile([1, 2, 3, 4], 0.25) = 1.75. `sorted`: ascending, finite, not empty; `p` in [0, 1].
/// Throws std::invalid_argument naming `sorted` or `p` otherwise. Cost O(n) (the order is checked),
/// no allocation.
[[nodiscard]] inline double linear_quantile(std::span<const double> sorted, double p) {
  if (!(p >= 0.0 && p <= 1.0)) throw std::invalid_argument("linear_quantile: p must be in [0, 1]");
  if (sorted.empty()) throw std::invalid_argument("linear_quantile: sorted must not be empty");
  for (std::size_t i = 0; i < sorted.size(); ++i) {
    if (!std::isfinite(sorted[i])) throw std::invalid_argument("linear_quantile: sorted holds a value that is not finite");
    if (i > 0 && sorted[i] < sorted[i - 1]) throw std::invalid_argument("linear_quantile: sorted is not in ascending order");
  }
  const double h = static_cast<double>(sorted.size() - 1) * p;
  const double lower = std::floor(h);
  const auto lo = static_cast<std::size_t>(lower);
  if (lo + 1 >= sorted.size()) return sorted[sorted.size() - 1];
  // std::lerp is exact at both ends and monotone in the fraction.
  return std::lerp(sorted[lo], sorted[lo + 1], h - lower);
}

}  // namespace cxm
