#pragma once
// Field-by-field comparisons of survey results, shared by the survey, stream and boost tests: counts,
// flags and parameters exact; floating point with cxm::test::close (NaN equal to NaN, so empty results
// agree too), 1e-12 relative unless `rel` says otherwise (`exact` for bit-for-bit agreement); the
// distribution too, score by score. Scalar fields come first, so that a distribution of another size
// (a REQUIRE) does not hide them.

#include <concepts>
#include <cstddef>
#include <vector>

#include <doctest/doctest.h>

#include "cxm/core/score_histogram.hpp"
#include "cxm/survey/ces.hpp"
#include "cxm/survey/csat.hpp"
#include "cxm/survey/nps.hpp"
#include "support/invariants.hpp"

namespace cxm::test {

/// The default relative tolerance of the comparisons below.
inline constexpr double default_rel = 1e-12;
/// `rel` for exact comparisons: equal, or both NaN.
inline constexpr double exact = 0.0;

#define CXM_CHECK_CLOSE_REL(a, b, rel) \
  CHECK_MESSAGE(::cxm::test::close((a), (b), (rel)), #a " = ", (a), ", " #b " = ", (b))

/// Same length, and per score the same score and answers, weight and share within `rel`.
inline void same_distribution(const std::vector<score_count>& a, const std::vector<score_count>& b,
                              double rel = default_rel) {
  REQUIRE(a.size() == b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    CHECK(a[i].score == b[i].score);
    CHECK(a[i].answers == b[i].answers);
    CXM_CHECK_CLOSE_REL(a[i].weight, b[i].weight, rel);
    CXM_CHECK_CLOSE_REL(a[i].share, b[i].share, rel);
  }
}

namespace detail {

/// Every score_summary field but the distribution.
inline void same_summary_fields(const score_summary& a, const score_summary& b, double rel) {
  CHECK(a.n == b.n);
  CHECK(a.weighted == b.weighted);
  CXM_CHECK_CLOSE_REL(a.total_weight, b.total_weight, rel);
  CXM_CHECK_CLOSE_REL(a.effective_n, b.effective_n, rel);
  CXM_CHECK_CLOSE_REL(a.mean, b.mean, rel);
  CXM_CHECK_CLOSE_REL(a.population_variance, b.population_variance, rel);
  CXM_CHECK_CLOSE_REL(a.sample_variance, b.sample_variance, rel);
  CXM_CHECK_CLOSE_REL(a.stddev, b.stddev, rel);
}

}  // namespace detail

/// Every field of a score_summary, the distribution included.
inline void same_summary(const score_summary& a, const score_summary& b, double rel = default_rel) {
  detail::same_summary_fields(a, b, rel);
  same_distribution(a.distribution, b.distribution, rel);
}

inline void same_result(const nps_result& a, const nps_result& b, double rel = default_rel) {
  CHECK(a.n == b.n);
  CHECK(a.promoters == b.promoters);
  CHECK(a.passives == b.passives);
  CHECK(a.detractors == b.detractors);
  CHECK(a.weighted == b.weighted);
  CXM_CHECK_CLOSE_REL(a.total_weight, b.total_weight, rel);
  CXM_CHECK_CLOSE_REL(a.effective_n, b.effective_n, rel);
  CXM_CHECK_CLOSE_REL(a.promoter_share, b.promoter_share, rel);
  CXM_CHECK_CLOSE_REL(a.passive_share, b.passive_share, rel);
  CXM_CHECK_CLOSE_REL(a.detractor_share, b.detractor_share, rel);
  CXM_CHECK_CLOSE_REL(a.net, b.net, rel);
  CXM_CHECK_CLOSE_REL(a.score, b.score, rel);
  CXM_CHECK_CLOSE_REL(a.variance, b.variance, rel);
  CXM_CHECK_CLOSE_REL(a.standard_error, b.standard_error, rel);
  same_distribution(a.distribution, b.distribution, rel);
}

inline void same_result(const csat_result& a, const csat_result& b, double rel = default_rel) {
  detail::same_summary_fields(a, b, rel);
  CHECK(a.satisfied == b.satisfied);
  CXM_CHECK_CLOSE_REL(a.satisfied_weight, b.satisfied_weight, rel);
  CXM_CHECK_CLOSE_REL(a.satisfied_share, b.satisfied_share, rel);
  same_distribution(a.distribution, b.distribution, rel);
}

inline void same_result(const ces_result& a, const ces_result& b, double rel = default_rel) {
  detail::same_summary_fields(a, b, rel);
  CHECK(a.threshold == b.threshold);
  CHECK(a.easy == b.easy);
  CXM_CHECK_CLOSE_REL(a.easy_weight, b.easy_weight, rel);
  CXM_CHECK_CLOSE_REL(a.easy_share, b.easy_share, rel);
  same_distribution(a.distribution, b.distribution, rel);
}

/// A tumbling window's result: the same periods, each with the same result, and the same too_late count.
template <class R>
  requires requires(const R& r) {
    r.periods;
    r.too_late;
  }
void same_result(const R& a, const R& b) {
  CHECK(a.too_late == b.too_late);
  REQUIRE(a.periods.size() == b.periods.size());
  for (std::size_t i = 0; i < a.periods.size(); ++i) {
    CHECK(a.periods[i].when == b.periods[i].when);
    same_result(a.periods[i].result, b.periods[i].result);
  }
}

/// Active customers: counts and the window exactly.
template <class R>
  requires requires(const R& r) {
    r.active;
    r.window;
  }
void same_result(const R& a, const R& b) {
  CHECK(a.active == b.active);
  CHECK(a.window == b.window);
}

/// Any other result that compares with == (a custom metric's), exactly.
template <class R>
  requires(std::equality_comparable<R> && !requires(const R& r) { r.active; })
void same_result(const R& a, const R& b) {
  CHECK(a == b);
}

/// same_result (default tolerance) as one object, for callers that take a comparison as an argument
/// (check_invariants' `same`).
struct same_result_fn {
  template <class R>
  void operator()(const R& a, const R& b) const {
    same_result(a, b);
  }
};
inline constexpr same_result_fn same_results{};

}  // namespace cxm::test
