#pragma once
// An integer answer scale, low..high inclusive (CSAT 1..5, CES 1..7, NPS 0..10).

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace cxm {

struct score_scale {
  /// The largest number of points a scale may have (e.g. 0..1000); keeps saved states bounded.
  static constexpr std::int64_t max_points = 1001;

  int low = 1;
  int high = 5;

  [[nodiscard]] constexpr std::size_t points() const noexcept {
    return static_cast<std::size_t>(static_cast<std::int64_t>(high) - low + 1);
  }
  [[nodiscard]] constexpr bool contains(int score) const noexcept { return score >= low && score <= high; }
  [[nodiscard]] std::string to_string() const { return std::to_string(low) + ".." + std::to_string(high); }

  /// Throws std::invalid_argument unless low < high and the scale has at most max_points points.
  void validate(std::string_view metric) const {
    if (high <= low) {
      throw std::invalid_argument(std::string(metric) + ": a scale needs at least two scores, got " + to_string());
    }
    if (static_cast<std::int64_t>(high) - low + 1 > max_points) {
      throw std::invalid_argument(std::string(metric) + ": scale " + to_string() + " has more than " +
                                  std::to_string(max_points) + " points");
    }
  }

  friend constexpr bool operator==(const score_scale&, const score_scale&) = default;
};

}  // namespace cxm
