#pragma once
/// \file
/// Mean and variance of a stream of (optionally weighted) values, one pass, mergeable.
/// Update: West 1979 ("Updating mean and variance estimates: an improved method", CACM 22(9)), the
/// weighted form of Welford 1962. Merge: Chan, Golub & LeVeque 1979 (pairwise update):
///   W = W_a + W_b,  δ = mean_b − mean_a,  mean = mean_a + δ·W_b/W,  M2 = M2_a + M2_b + δ²·W_a·W_b/W.
/// Unweighted values have weight 1. Results flag emptiness by n == 0 (their moments are NaN then).

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

#include "cxm/core/accumulator.hpp"
#include "cxm/core/invalid_input.hpp"
#include "cxm/io/reader.hpp"
#include "cxm/io/writer.hpp"

namespace cxm {

/// What moments reports: sizes, mean and both variances.
struct moments_result {
  std::uint64_t n;             ///< number of values
  double total_weight;         ///< Σw (= n when unweighted)
  double effective_n;          ///< Kish's effective sample size (Σw)²/Σw² (= n when unweighted)
  double mean;                 ///< Σw·x/Σw; NaN when n == 0
  double population_variance;  ///< Σw(x − mean)²/Σw  (÷ n); NaN when n == 0
  double sample_variance;      ///< population_variance · n_eff/(n_eff − 1)  (÷ n − 1); NaN when n_eff <= 1
  /// No values, or only zero-weight ones: the moments are NaN then.
  [[nodiscard]] bool empty() const noexcept { return !(total_weight > 0); }
};

/// Weighted mean and variance in one pass (West 1979 update, Chan, Golub & LeVeque 1979 merge).
/// Input: a finite double, with an optional weight >= 0 (default 1). Result: moments_result. Parameters: none.
/// Per add O(1), no allocation; 40 bytes. Mergeable: associative and commutative, exact for n, to
/// rounding for the moments. Not synchronised (docs/architecture.md, "Thread safety").
class moments {
 public:
  /// Identifies the payload in a framed image (docs/state-format.md).
  static constexpr std::uint32_t type_tag = fourcc("mome");
  /// Version of the payload's layout (docs/state-format.md).
  static constexpr std::uint16_t format_version = 1;

  /// Adds `x` with weight 1; throws cxm::invalid_event when x is not finite.
  void add(double x) { add(x, 1.0, throw_on_invalid); }
  /// Adds `x` with `weight`; throws cxm::invalid_event when either is not finite or the weight is negative.
  void add(double x, double weight) { add(x, weight, throw_on_invalid); }

  /// Returns false (after calling `on_invalid`) when x or the weight is rejected.
  template <invalid_policy Policy>
  bool add(double x, double weight, Policy&& on_invalid) {
    constexpr double inf = std::numeric_limits<double>::infinity();
    if (!std::isfinite(x)) {
      on_invalid(rejection{rejection_reason::amount_not_finite, "moments", "value", x, -inf, inf});
      return false;
    }
    if (!std::isfinite(weight)) {
      on_invalid(rejection{rejection_reason::weight_not_finite, "moments", "weight", weight, 0, inf});
      return false;
    }
    if (weight < 0) {
      on_invalid(rejection{rejection_reason::weight_negative, "moments", "weight", weight, 0, inf});
      return false;
    }
    add_valid(x, weight);
    return true;
  }

  /// Chan, Golub & LeVeque's pairwise update (the formula at the top of this header).
  void merge(const moments& other) {
    if (other.n_ == 0) return;
    if (n_ == 0) {
      *this = other;
      return;
    }
    const double w = weight_ + other.weight_;
    if (w > 0) {
      const double delta = other.mean_ - mean_;
      mean_ += delta * (other.weight_ / w);
      m2_ += other.m2_ + delta * delta * (weight_ * other.weight_ / w);
    }
    n_ += other.n_;
    weight_ = w;
    weight_squares_ += other.weight_squares_;
  }

  /// n, weights, mean and variances; NaN moments when empty.
  [[nodiscard]] moments_result result() const noexcept {
    constexpr double nan = std::numeric_limits<double>::quiet_NaN();
    if (n_ == 0) return {0, 0.0, 0.0, nan, nan, nan};
    const double n_eff = weight_squares_ > 0 ? weight_ * weight_ / weight_squares_ : 0.0;
    const double pop = weight_ > 0 ? m2_ / weight_ : nan;
    const double sample = n_eff > 1 ? pop * n_eff / (n_eff - 1) : nan;
    return {n_, weight_, n_eff, weight_ > 0 ? mean_ : nan, pop, sample};
  }

  /// Writes the payload (docs/state-format.md).
  void save(io::writer& w) const {
    w.u64(n_);
    w.f64(weight_);
    w.f64(weight_squares_);
    w.f64(mean_);
    w.f64(m2_);
  }

  /// Reads a payload written by save; throws cxm::format_error naming the failed check.
  static moments load(io::reader& r) {
    moments out;
    out.n_ = r.u64("moments: n");
    out.weight_ = r.non_negative_f64("moments: total weight");
    out.weight_squares_ = r.non_negative_f64("moments: sum of squared weights");
    out.mean_ = r.f64("moments: mean");
    out.m2_ = r.non_negative_f64("moments: M2");
    if (out.n_ == 0 && (out.weight_ != 0 || out.weight_squares_ != 0 || out.mean_ != 0 || out.m2_ != 0)) {
      io::reader::fail("moments: n = 0 but the moments are not zero");
    }
    return out;
  }

  /// Compares the whole state.
  friend bool operator==(const moments&, const moments&) = default;

 private:
  void add_valid(double x, double weight) noexcept {
    ++n_;
    if (weight == 0) return;
    weight_ += weight;
    weight_squares_ += weight * weight;
    const double delta = x - mean_;
    mean_ += delta * (weight / weight_);
    m2_ += weight * delta * (x - mean_);
  }

  std::uint64_t n_ = 0;
  double weight_ = 0.0;
  double weight_squares_ = 0.0;
  double mean_ = 0.0;
  double m2_ = 0.0;
};

}  // namespace cxm
