#pragma once
/// \file
/// A floating-point sum with Neumaier's compensation (Neumaier 1974, "Rundungsfehleranalyse einiger
/// Verfahren zur Summation endlicher Summen"): the rounding error of each addition is kept in a second
/// term, so sums of money and weights stay accurate to about one ulp of the total whatever the order.

#include <cmath>
#include <cstdint>

#include "cxm/core/accumulator.hpp"
#include "cxm/io/reader.hpp"
#include "cxm/io/writer.hpp"

namespace cxm {

/// A sum of doubles with Neumaier's compensation (Neumaier 1974), accurate to about one ulp of
/// the total whatever the order. Input: a double per add. Result: `value`. Parameters: none.
/// Per add O(1); 16 bytes. Mergeable: adds the other's sum and compensation (to rounding).
/// Not synchronised: one per thread, then merge (docs/architecture.md, "Thread safety").
class compensated_sum {
 public:
  /// Identifies the payload in a framed image (docs/state-format.md).
  static constexpr std::uint32_t type_tag = fourcc("csum");
  /// Version of the payload's layout (docs/state-format.md).
  static constexpr std::uint16_t format_version = 1;

  /// The result: the compensated sum.
  struct result_type {
    double value;  ///< sum plus compensation
  };

  constexpr compensated_sum() noexcept = default;
  /// A sum that starts at `initial`.
  constexpr explicit compensated_sum(double initial) noexcept : sum_(initial) {}

  /// Adds `x`, keeping its rounding error in the compensation term.
  constexpr void add(double x) noexcept {
    const double t = sum_ + x;
    if (std::abs(sum_) >= std::abs(x)) {
      compensation_ += (sum_ - t) + x;
    } else {
      compensation_ += (x - t) + sum_;
    }
    sum_ = t;
  }

  /// Adds another sum and its compensation.
  constexpr void merge(const compensated_sum& other) noexcept {
    add(other.sum_);
    compensation_ += other.compensation_;
  }

  /// The sum, compensation included.
  [[nodiscard]] constexpr double value() const noexcept { return sum_ + compensation_; }
  [[nodiscard]] constexpr result_type result() const noexcept { return {value()}; }  ///< {value()}

  /// Writes the payload (docs/state-format.md).
  void save(io::writer& w) const {
    w.f64(sum_);
    w.f64(compensation_);
  }
  /// Reads a payload written by save; throws cxm::format_error naming the failed check.
  static compensated_sum load(io::reader& r) {
    compensated_sum out;
    out.sum_ = r.f64("compensated_sum: sum");
    out.compensation_ = r.f64("compensated_sum: compensation");
    return out;
  }

  /// Compares the whole state.
  friend constexpr bool operator==(const compensated_sum&, const compensated_sum&) = default;

 private:
  double sum_ = 0.0;
  double compensation_ = 0.0;
};

}  // namespace cxm
