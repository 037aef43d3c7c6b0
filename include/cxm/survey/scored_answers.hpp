#pragma once
/// \file
/// What CSAT, CES and NPS share: answers on an integer scale kept in a score_histogram, and the same
/// ways to add them (one answer, one weighted answer, n identical answers, a range; each with or without
/// a bad-input policy). `Derived::name` ("nps", "csat", "ces") names the metric in rejection messages.
///
/// Scores: any integer type, or a floating-point type holding a whole number (9.0). 4.5, NaN and ±inf
/// are rejected as score_not_whole and never rounded; a whole number off the scale as
/// score_out_of_scale (core/score_scale.hpp). bool and character types do not compile.
///
/// Two kinds of weight, which give the same shares but not the same standard errors:
///   add_count(score, n)   frequency weight: n identical answers, exactly as n calls of add(score)
///                         (n counts n times; the standard errors are those of n answers);
///   add(score, w)         reliability (sampling) weight: one answer standing for w customers; the
///                         standard errors use Kish's effective n = (Σw)²/Σw², which is below the
///                         number of answers when the weights differ.
/// Pass counts (tallies of a survey export) to add_count, never as weights: 120 detractors, 580
/// passives and 300 promoters as three weighted answers give n_eff 1000²/440800 = 2.27 instead of 1000,
/// so an NPS standard error of 0.413 instead of 0.0197, √440.8 = 21 times too large (tests/survey/nps.cpp).

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <type_traits>
#include <utility>

#include <range/v3/range/concepts.hpp>

#include "cxm/core/invalid_input.hpp"
#include "cxm/core/score_histogram.hpp"
#include "cxm/core/score_scale.hpp"

namespace cxm {

/// A type a number of answers may be given in: any integer type but bool and the character types.
/// Negative counts are rejected (weight_negative) at run time.
template <class T>
concept answer_count_type = std::integral<T> && score_type<T>;

}  // namespace cxm

namespace cxm::detail {

template <class Derived>
class scored_answers {
 public:
  /// One answer; throws cxm::invalid_event when it is not a whole number on the scale.
  template <score_type S>
  void add(S score) {
    histogram_.add(score, Derived::name, throw_on_invalid);
  }
  /// One answer with a reliability weight (finite, >= 0); throws cxm::invalid_event otherwise.
  template <score_type S>
  void add(S score, double weight) {
    histogram_.add(score, weight, Derived::name, throw_on_invalid);
  }
  /// With a policy (e.g. cxm::skip_invalid{counts}); returns whether the answer was folded in.
  template <score_type S, invalid_policy Policy>
  bool add(S score, Policy&& on_invalid) {
    return histogram_.add(score, Derived::name, on_invalid);
  }
  template <score_type S, invalid_policy Policy>
  bool add(S score, double weight, Policy&& on_invalid) {
    return histogram_.add(score, weight, Derived::name, on_invalid);
  }

  /// One answer already validated on this scale, given as its bin (score − the scale's low end,
  /// below the number of points: precondition). The engine's fast path: its kind registry has checked
  /// the score (cxm::observation::score_index).
  void add_validated(std::size_t bin) noexcept { histogram_.add_to_bin(bin); }

  /// `answers` identical answers (a frequency weight): the same state, `==`, as `answers` calls of
  /// add(score), in O(points). Throws cxm::invalid_event for a score that is not on the scale or a
  /// negative count, and std::overflow_error (state unchanged) when the total number of answers would
  /// pass 2^64 − 1.
  template <score_type S, answer_count_type N>
  void add_count(S score, N answers) {
    add_count(score, answers, throw_on_invalid);
  }
  /// With a policy; returns whether the answers were folded in (true for a count of 0 on a valid score).
  template <score_type S, answer_count_type N, invalid_policy Policy>
  bool add_count(S score, N answers, Policy&& on_invalid) {
    if (histogram_.bin_of(score) >= histogram_.points()) {
      on_invalid(histogram_.rejection_of(score, Derived::name));
      return false;
    }
    if constexpr (std::is_signed_v<N>) {
      if (answers < 0) {
        on_invalid(rejection{.reason = rejection_reason::weight_negative,
                             .metric = Derived::name,
                             .field = "count",
                             .value = static_cast<double>(answers),
                             .allowed_min = 0,
                             .allowed_max = std::numeric_limits<double>::infinity(),
                             .detail = std::to_string(answers) + " is negative (allowed: a whole number >= 0)"});
        return false;
      }
    }
    return histogram_.add_count(score, static_cast<std::uint64_t>(answers), Derived::name, on_invalid);
  }

  /// Many answers (any input range of a score_type, range-v3 views included). With the default policy
  /// an invalid answer throws before any answer of the range is folded in. Returns the number folded in.
  template <ranges::input_range R>
    requires score_type<ranges::range_value_t<R>>
  std::size_t add(R&& scores) {
    return histogram_.add_range(scores, Derived::name, throw_on_invalid);
  }
  template <ranges::input_range R, invalid_policy Policy>
    requires score_type<ranges::range_value_t<R>>
  std::size_t add(R&& scores, Policy&& on_invalid) {
    return histogram_.add_range(scores, Derived::name, on_invalid);
  }

  [[nodiscard]] const score_histogram& histogram() const noexcept { return histogram_; }

  friend bool operator==(const scored_answers&, const scored_answers&) = default;

 protected:
  explicit scored_answers(score_scale scale) : histogram_(scale, Derived::name) {}

  score_histogram histogram_;
};

}  // namespace cxm::detail
