#pragma once
// A floating-point sum with Neumaier's compensation (Neumaier 1974, "Rundungsfehleranalyse einiger
// Verfahren zur Summation endlicher Summen"): the rounding error of each addition is kept in a second
// term, so sums of money and weights stay accurate to about one ulp of the total whatever the order.

#include <cmath>
#include <cstdint>

#include "cxm/core/accumulator.hpp"
#include "cxm/io/reader.hpp"
#include "cxm/io/writer.hpp"

namespace cxm {

class compensated_sum {
 public:
  static constexpr std::uint32_t type_tag = fourcc("csum");
  static constexpr std::uint16_t format_version = 1;

  struct result_type {
    double value;
  };

  constexpr compensated_sum() noexcept = default;
  constexpr explicit compensated_sum(double initial) noexcept : sum_(initial) {}

  constexpr void add(double x) noexcept {
    const double t = sum_ + x;
    if (std::abs(sum_) >= std::abs(x)) {
      compensation_ += (sum_ - t) + x;
    } else {
      compensation_ += (x - t) + sum_;
    }
    sum_ = t;
  }

  constexpr void merge(const compensated_sum& other) noexcept {
    add(other.sum_);
    compensation_ += other.compensation_;
  }

  [[nodiscard]] constexpr double value() const noexcept { return sum_ + compensation_; }
  [[nodiscard]] constexpr result_type result() const noexcept { return {value()}; }

  void save(io::writer& w) const {
    w.f64(sum_);
    w.f64(compensation_);
  }
  static compensated_sum load(io::reader& r) {
    compensated_sum out;
    out.sum_ = r.f64("compensated_sum: sum");
    out.compensation_ = r.f64("compensated_sum: compensation");
    return out;
  }

  friend constexpr bool operator==(const compensated_sum&, const compensated_sum&) = default;

 private:
  double sum_ = 0.0;
  double compensation_ = 0.0;
};

}  // namespace cxm
