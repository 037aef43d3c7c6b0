#pragma once
/// \file
/// An integer answer scale, low..high inclusive (CSAT 1..5, CES 1..7, NPS 0..10), and the checks every
/// layer shares: whether a value is a score of a scale (whole_score_on, score_rejection_reason,
/// check_score) and whether a list of scores is a valid satisfied set (satisfied_set_error,
/// validate_satisfied_set).
///
/// A score is a whole number on the scale. Floating-point values are accepted but checked, never
/// converted silently: 4.5, NaN and ±inf are not whole numbers (rejection_reason::score_not_whole),
/// 11.0 on 0..10 is off the scale (score_out_of_scale). Integers are compared exactly, whatever their
/// type (no wrap of 2^32 + 9 to 9). bool and the character types are not scores (`score_type`).

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "cxm/core/invalid_input.hpp"

namespace cxm {

/// An integer answer scale, low..high inclusive (CSAT 1..5, CES 1..7, NPS 0..10).
struct score_scale {
  /// The largest number of points a scale may have (e.g. 0..1000); keeps saved states bounded.
  static constexpr std::int64_t max_points = 1001;

  int low = 1;  ///< lowest score
  int high = 5;  ///< highest score

  /// Number of scores, high − low + 1.
  [[nodiscard]] constexpr std::size_t points() const noexcept {
    return static_cast<std::size_t>(static_cast<std::int64_t>(high) - low + 1);
  }
  /// Low <= score <= high.
  [[nodiscard]] constexpr bool contains(int score) const noexcept { return score >= low && score <= high; }
  /// "low..high".
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

  /// Compares every field.
  friend constexpr bool operator==(const score_scale&, const score_scale&) = default;
};

namespace detail {
template <class T>
inline constexpr bool is_bool_or_character =
    std::is_same_v<T, bool> || std::is_same_v<T, char> || std::is_same_v<T, wchar_t> || std::is_same_v<T, char8_t> ||
    std::is_same_v<T, char16_t> || std::is_same_v<T, char32_t>;
}  // namespace detail

/// A type a score may be given in: any integer or floating-point type but bool and the character types
/// (char, wchar_t, char8_t, char16_t, char32_t: '9' is 57). signed char and unsigned char (std::int8_t,
/// std::uint8_t) are integers here.
template <class T>
concept score_type = std::is_arithmetic_v<T> && !detail::is_bool_or_character<std::remove_cv_t<T>>;

namespace detail {

/// Finite with no fractional part. Exact for float, double and long double (std::trunc is not
/// constexpr in C++20): from 2^(digits − 1) on, every value of the type is whole.
template <std::floating_point T>
constexpr bool is_whole(T v) noexcept {
  static_assert(std::numeric_limits<T>::digits <= 64, "cxm: floating-point scores wider than 64 mantissa bits");
  if (!(v - v == T(0))) return false;  // NaN, ±inf
  // 2^(digits − 1), computed once at compile time (not a loop per call on the engine's hot path).
  constexpr T all_whole = [] {
    T x = 1;
    for (int i = 1; i < std::numeric_limits<T>::digits; ++i) x *= 2;
    return x;
  }();
  if (v >= all_whole || v <= -all_whole) return true;
  return static_cast<T>(static_cast<std::intmax_t>(v)) == v;
}

/// A floating-point type that holds every value of T and every int exactly.
template <std::floating_point T>
using exact_float = std::conditional_t<(std::numeric_limits<T>::digits > std::numeric_limits<double>::digits), T, double>;

}  // namespace detail

/// Why `value` is not a score of `scale`, or nullopt when it is one: score_not_whole for a value that
/// is not a whole number (4.5, NaN, ±inf; checked first), score_out_of_scale for a whole number off
/// the scale.
template <score_type S>
[[nodiscard]] constexpr std::optional<rejection_reason> score_rejection_reason(const score_scale& scale,
                                                                               S value) noexcept {
  if constexpr (std::is_integral_v<S>) {
    if (std::cmp_less(value, scale.low) || std::cmp_greater(value, scale.high)) {
      return rejection_reason::score_out_of_scale;
    }
  } else {
    const auto v = static_cast<detail::exact_float<S>>(value);
    if (!detail::is_whole(v)) return rejection_reason::score_not_whole;
    if (!(v >= scale.low && v <= scale.high)) return rejection_reason::score_out_of_scale;
  }
  return std::nullopt;
}

/// `value` as a score of `scale`: the integer when `value` is a whole number from low to high,
/// otherwise nullopt (score_rejection_reason says why). Never rounds; −0.0 is 0.
///   whole_score_on({0, 10}, 9.0) == 9, whole_score_on({0, 10}, 4.5) == nullopt
template <score_type S>
[[nodiscard]] constexpr std::optional<int> whole_score_on(const score_scale& scale, S value) noexcept {
  if (score_rejection_reason(scale, value)) return std::nullopt;
  return static_cast<int>(value);
}

/// The rejection of `value` when it is not a score of `scale`, or nullopt: the reason of
/// score_rejection_reason, `value` (as a double), the scale's bounds as allowed_min and allowed_max.
///   check_score({0, 10}, 4.5, "nps")->message() == "nps: score 4.5 is not a whole number"
template <score_type S>
[[nodiscard]] std::optional<rejection> check_score(const score_scale& scale, S value, std::string_view metric,
                                                   std::string_view field = "score") noexcept {
  const auto reason = score_rejection_reason(scale, value);
  if (!reason) return std::nullopt;
  return rejection{.reason = *reason,
                   .metric = metric,
                   .field = field,
                   .value = static_cast<double>(value),
                   .allowed_min = static_cast<double>(scale.low),
                   .allowed_max = static_cast<double>(scale.high)};
}

/// Why `scores` cannot be a satisfied set (the scores CSAT counts as satisfied) on `scale`, or nullopt
/// when it can: it must be non-empty, strictly increasing, and every score on the scale. The text names
/// no metric: "the satisfied set is empty", "satisfied scores are not strictly increasing",
/// "satisfied score 7 is outside the scale 1..5" (checked in that order).
[[nodiscard]] inline std::optional<std::string> satisfied_set_error(const score_scale& scale,
                                                                    std::span<const int> scores) {
  if (scores.empty()) return "the satisfied set is empty";
  for (std::size_t i = 1; i < scores.size(); ++i) {
    if (scores[i] <= scores[i - 1]) return "satisfied scores are not strictly increasing";
  }
  for (const int s : scores) {
    if (!scale.contains(s)) return "satisfied score " + std::to_string(s) + " is outside the scale " + scale.to_string();
  }
  return std::nullopt;
}

/// Throws std::invalid_argument("<metric>: " + the satisfied_set_error) when `scores` is not a valid
/// satisfied set on `scale`.
inline void validate_satisfied_set(const score_scale& scale, std::span<const int> scores, std::string_view metric) {
  if (auto error = satisfied_set_error(scale, scores)) throw std::invalid_argument(std::string(metric) + ": " + *error);
}

}  // namespace cxm
