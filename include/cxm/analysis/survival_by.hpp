#pragma once
/// \file
/// Survival by group (issue #14): one Kaplan-Meier curve per group of customers and the log-rank test
/// of "the groups have the same survival", e.g. satisfied versus not satisfied customers, or the Dick &
/// Basu (1994) segments of analysis/segments.hpp. Formulas: churn/survival.hpp (Kaplan & Meier 1958;
/// log-rank: Mantel 1966, R's survdiff with rho = 0); docs/metrics/churn.md, "Survival by group".
///
/// Input: per-customer lifetimes (cxm::lifetime, e.g. from cxm::customer_lifetimes::of on each customer
/// of an engine) and one group label per customer, position by position. Analysis is layer 5: no state
/// between calls; the mergeable state is the grouped_survival in the result (merge those, then call
/// survival_by(state) again).
/// Cost: O(n log m) to build (n customers, m distinct times per group), O(G · T · k²) for the test
/// (churn/survival.hpp), O(T) per curve; memory O(total distinct (group, time) pairs).

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "cxm/analysis/segments.hpp"
#include "cxm/churn/survival.hpp"
#include "cxm/core/error.hpp"

namespace cxm::analysis {

/// One group's survival.
struct group_survival {
  std::int64_t group;              ///< the label
  std::uint64_t customers;         ///< lifetimes in the group
  std::uint64_t churned;           ///< of them, churned (event = true)
  kaplan_meier_result curve;       ///< its Kaplan-Meier estimate (bands per the survival_options)
  median_survival_result median;   ///< its median survival and interval (empty when S never reaches 0.5)
};

/// The result of survival_by.
struct survival_by_result {
  grouped_survival state;              ///< the lifetimes by group (mergeable, savable): the input, counted
  std::vector<group_survival> groups;  ///< one per label present, ascending
  log_rank_result log_rank;            ///< the log-rank test across the groups (no statistic with < 2 groups)
  std::uint64_t left_out;              ///< customers given no group (the convenience functions; 0 otherwise)
};

/// Curves and test of an already built grouped_survival (one stratum: labels are its groups; a
/// stratified state gives pooled curves and the stratified test). O(as above). Throws
/// std::invalid_argument naming `level` when options.level is not in (0, 1).
inline survival_by_result survival_by(const grouped_survival& state, const survival_options& options = {}) {
  survival_by_result out{state, {}, log_rank(state), 0};
  for (const auto& g : out.log_rank.groups) {
    const auto km = kaplan_meier(state.group(g.group), options);
    out.groups.push_back({g.group, g.subjects, g.observed, km, median_survival(km)});
  }
  return out;
}

/// Per-group Kaplan-Meier curves and the log-rank test of `lifetimes[i]` in group `groups[i]`.
/// Throws std::invalid_argument when the spans differ in length, cxm::invalid_event naming the
/// position when a time is NaN, infinite or negative, std::invalid_argument naming `level` as above.
inline survival_by_result survival_by(std::span<const lifetime> lifetimes, std::span<const std::int64_t> groups,
                                      const survival_options& options = {}) {
  if (lifetimes.size() != groups.size()) {
    throw std::invalid_argument("survival_by: " + std::to_string(lifetimes.size()) + " lifetimes but " +
                                std::to_string(groups.size()) + " groups");
  }
  grouped_survival state;
  for (std::size_t i = 0; i < lifetimes.size(); ++i) {
    if (!std::isfinite(lifetimes[i].time) || lifetimes[i].time < 0) {
      throw invalid_event("survival_by: lifetimes[" + std::to_string(i) + "].time is " +
                          std::to_string(lifetimes[i].time) + ", must be finite and >= 0");
    }
    state.add({lifetimes[i].time, lifetimes[i].event, groups[i], 0});
  }
  return survival_by(state, options);
}

/// The labels of survival_by_satisfaction.
inline constexpr std::int64_t not_satisfied_group = 0;  ///< satisfaction below the threshold
inline constexpr std::int64_t satisfied_group = 1;      ///< satisfaction >= the threshold (segments.hpp's rule)

/// Satisfied (group 1: satisfaction >= `threshold`, the boundary rule of segments.hpp) versus not
/// satisfied (group 0) customers. Customers without a satisfaction measure (empty) are left out of
/// both groups and counted in left_out. Throws std::invalid_argument when the spans differ in length,
/// or naming the position for a non-finite satisfaction, or for a non-finite threshold; bad times as
/// survival_by.
inline survival_by_result survival_by_satisfaction(std::span<const lifetime> lifetimes,
                                                   std::span<const std::optional<double>> satisfaction,
                                                   double threshold, const survival_options& options = {}) {
  if (lifetimes.size() != satisfaction.size()) {
    throw std::invalid_argument("survival_by_satisfaction: " + std::to_string(lifetimes.size()) +
                                " lifetimes but " + std::to_string(satisfaction.size()) + " satisfaction values");
  }
  if (!std::isfinite(threshold)) throw std::invalid_argument("survival_by_satisfaction: threshold is not finite");
  std::vector<lifetime> kept;
  std::vector<std::int64_t> labels;
  std::uint64_t left_out = 0;
  for (std::size_t i = 0; i < lifetimes.size(); ++i) {
    if (!satisfaction[i]) {
      ++left_out;
      continue;
    }
    if (!std::isfinite(*satisfaction[i])) {
      throw std::invalid_argument("survival_by_satisfaction: satisfaction[" + std::to_string(i) + "] is not finite");
    }
    kept.push_back(lifetimes[i]);
    labels.push_back(*satisfaction[i] >= threshold ? satisfied_group : not_satisfied_group);
  }
  auto out = survival_by(kept, labels, options);
  out.left_out = left_out;
  return out;
}

/// By Dick & Basu segment (segments.hpp; e.g. from classify() per customer): group label =
/// static_cast<std::int64_t>(segment), so loyal = 0, latent = 1, spurious = 2, at_risk = 3,
/// unsurveyed = 4. Unsurveyed customers form their own group (segments.hpp reports them, never drops
/// them) unless `include_unsurveyed` is false, when they are left out and counted in left_out.
/// Throws std::invalid_argument when the spans differ in length or a segment is out of range; bad
/// times as survival_by.
inline survival_by_result survival_by_segment(std::span<const lifetime> lifetimes, std::span<const segment> segments,
                                              bool include_unsurveyed = true, const survival_options& options = {}) {
  if (lifetimes.size() != segments.size()) {
    throw std::invalid_argument("survival_by_segment: " + std::to_string(lifetimes.size()) + " lifetimes but " +
                                std::to_string(segments.size()) + " segments");
  }
  std::vector<lifetime> kept;
  std::vector<std::int64_t> labels;
  std::uint64_t left_out = 0;
  for (std::size_t i = 0; i < lifetimes.size(); ++i) {
    if (static_cast<std::size_t>(segments[i]) >= segment_count) {
      throw std::invalid_argument("survival_by_segment: segments[" + std::to_string(i) + "] is out of range");
    }
    if (segments[i] == segment::unsurveyed && !include_unsurveyed) {
      ++left_out;
      continue;
    }
    kept.push_back(lifetimes[i]);
    labels.push_back(static_cast<std::int64_t>(segments[i]));
  }
  auto out = survival_by(kept, labels, options);
  out.left_out = left_out;
  return out;
}

}  // namespace cxm::analysis
