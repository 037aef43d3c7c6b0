#pragma once
// What CSAT, CES and NPS share: answers on an integer scale kept in a score_histogram, and the same
// ways to add them (one answer, one weighted answer, a range; each with or without a bad-input
// policy). `Derived::name` ("nps", "csat", "ces") names the metric in rejection messages.

#include <concepts>
#include <cstddef>
#include <utility>

#include <range/v3/range/concepts.hpp>

#include "cxm/core/invalid_input.hpp"
#include "cxm/core/score_histogram.hpp"
#include "cxm/core/score_scale.hpp"

namespace cxm::detail {

template <class Derived>
class scored_answers {
 public:
  /// One answer; throws cxm::invalid_event when it is outside the scale.
  void add(int score) { histogram_.add(score, Derived::name, throw_on_invalid); }
  /// One answer with a weight (finite, >= 0); throws cxm::invalid_event otherwise.
  void add(int score, double weight) { histogram_.add(score, weight, Derived::name, throw_on_invalid); }
  /// With a policy (e.g. cxm::skip_invalid{counts}); returns whether the answer was folded in.
  template <invalid_policy Policy>
  bool add(int score, Policy&& on_invalid) {
    return histogram_.add(score, Derived::name, on_invalid);
  }
  template <invalid_policy Policy>
  bool add(int score, double weight, Policy&& on_invalid) {
    return histogram_.add(score, weight, Derived::name, on_invalid);
  }
  /// Many answers (any input range of integers, range-v3 views included). With the default policy an
  /// invalid answer throws before any answer of the range is folded in. Returns the number folded in.
  template <ranges::input_range R>
    requires std::integral<ranges::range_value_t<R>>
  std::size_t add(R&& scores) {
    return histogram_.add_range(scores, Derived::name, throw_on_invalid);
  }
  template <ranges::input_range R, invalid_policy Policy>
    requires std::integral<ranges::range_value_t<R>>
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
