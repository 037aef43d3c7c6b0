#pragma once
/// \file
/// Engagement versus satisfaction: the Dick & Basu (1994) two-axis segmentation and "what each predicts"
/// (issue #14). Dick, A. S. & Basu, K. (1994), "Customer Loyalty: Toward an Integrated Conceptual
/// Framework", Journal of the Academy of Marketing Science 22(2): loyalty as relative attitude
/// (here: satisfaction) crossed with repeat patronage (here: engagement).
///
///                    satisfied (high)   not satisfied (low)
///   engaged (high)   loyal              spurious
///   not engaged      latent             at_risk            (Dick & Basu: "no loyalty")
///   no satisfaction measure (unsurveyed): its own segment, reported, never dropped.
///
/// Boundary rule: a value >= its threshold counts as high (engaged / satisfied).
/// Thresholds are given as values, or as quantiles of the data: the linear quantile (Hyndman & Fan 1996
/// type 7, numpy's default): h = (n−1)q, x₍⌊h⌋₎ + (h − ⌊h⌋)(x₍⌊h⌋+1₎ − x₍⌊h⌋₎) over the sorted values.
/// The engagement quantile is taken over all customers, the satisfaction quantile over the surveyed ones.
///
/// Input: one customer_profile per customer (the engagement measure is any double the caller computed,
/// e.g. a decayed activity score; nothing here depends on how). Analysis is layer 5: it reads finished
/// per-customer values, it keeps no state between calls (merge the inputs, then call again).
/// Cost: O(n log n) for quantile thresholds (one sort per axis), O(n) otherwise; O(n) extra memory.

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "cxm/core/quantile.hpp"
#include "cxm/analysis/statistics.hpp"
#include "cxm/core/compensated_sum.hpp"
#include "cxm/survey/csat.hpp"
#include "cxm/survey/intervals.hpp"
#include "cxm/survey/nps.hpp"

namespace cxm::analysis {

/// One customer's measures and outcomes.
struct customer_profile {
  double engagement = 0;                 ///< the engagement measure (finite; higher = more engaged)
  std::optional<double> satisfaction;    ///< the satisfaction measure (finite); empty = unsurveyed
  bool churned = false;                  ///< the outcome "churned" (retained = !churned)
  double spend = 0;                      ///< money spent in the period (finite)
  bool referred = false;                 ///< referred at least one customer
  std::optional<int> nps_answer;         ///< an NPS answer 0..10, if the customer gave one
  std::optional<int> csat_answer;        ///< a CSAT answer on the scale of segmentation_parameters::csat_template
};

/// The four Dick & Basu segments plus the unsurveyed customers.
enum class segment : std::uint8_t { loyal = 0, latent = 1, spurious = 2, at_risk = 3, unsurveyed = 4 };
inline constexpr std::size_t segment_count = 5;  ///< number of segments

/// "loyal", "latent", "spurious", "at_risk", "unsurveyed".
constexpr std::string_view to_string(segment s) noexcept {
  switch (s) {
    case segment::loyal: return "loyal";
    case segment::latent: return "latent";
    case segment::spurious: return "spurious";
    case segment::at_risk: return "at_risk";
    case segment::unsurveyed: return "unsurveyed";
  }
  return "unknown";
}

/// A threshold on one axis: a fixed value, or a quantile q in [0, 1] of the data.
struct threshold {
  /// A fixed value, or a quantile of the data.
  enum class kind : std::uint8_t { value, quantile };
  kind type = kind::quantile;  ///< which one `x` is
  double x = 0.5;  ///< the value, or q
  static constexpr threshold at(double value) noexcept { return {kind::value, value}; }  ///< the fixed value `value`
  /// The quantile `q` of the data.
  static constexpr threshold at_quantile(double q) noexcept { return {kind::quantile, q}; }
};

/// Parameters of segment_customers.
struct segmentation_parameters {
  threshold engagement = threshold::at_quantile(0.5);    ///< default: the median engagement
  threshold satisfaction = threshold::at_quantile(0.5);  ///< default: the median satisfaction of the surveyed
  double confidence = 0.95;                              ///< for every interval
  /// An empty accumulator (its scale and satisfied set) cloned for each segment's CSAT; default 1..5, {4, 5}.
  cxm::csat csat_template{};
};

/// Outcomes of one segment.
struct segment_outcomes {
  segment which;  ///< the segment
  std::uint64_t customers;                  ///< size
  double share;                             ///< customers / all customers (unsurveyed included); 0 when none
  std::uint64_t churned;                    ///< customers who churned
  std::optional<double> churn_rate;         ///< churned / customers; empty for an empty segment
  std::optional<interval> churn_interval;   ///< Wilson (1927) interval of the churn rate
  std::optional<double> mean_spend;         ///< compensated mean of spend; empty for an empty segment
  std::uint64_t referred;                   ///< customers who referred
  std::optional<double> referral_rate;      ///< referred / customers; empty for an empty segment
  std::optional<nps_result> nps;            ///< of the segment's NPS answers; empty when none
  std::optional<csat_result> csat;          ///< of the segment's CSAT answers; empty when none
};

/// Two-proportion z tests of churn between segments (a − b); each empty when a segment is empty.
struct churn_comparisons {
  std::optional<two_proportion_test> loyal_vs_spurious;    ///< satisfaction's effect among the engaged
  std::optional<two_proportion_test> latent_vs_at_risk;    ///< satisfaction's effect among the not engaged
  std::optional<two_proportion_test> loyal_vs_latent;      ///< engagement's effect among the satisfied
  std::optional<two_proportion_test> spurious_vs_at_risk;  ///< engagement's effect among the not satisfied
};

/// The result of segment_customers.
struct segmentation {
  std::uint64_t customers;                        ///< all customers
  std::uint64_t surveyed;                         ///< customers with a satisfaction measure
  double engagement_threshold;                    ///< the value used (>= is engaged); empty data: 0 unused
  std::optional<double> satisfaction_threshold;   ///< the value used; empty when a quantile was asked and
                                                  ///< nobody was surveyed
  std::array<segment_outcomes, segment_count> segments;  ///< indexed by segment
  churn_comparisons churn_tests;  ///< churn between segments
  /// Engaged × satisfied among the surveyed, 2×2 {{loyal, spurious}, {latent, at_risk}}; empty when a
  /// row or column is empty. phi > 0: engaged customers are more often satisfied.
  std::optional<chi_squared_test> axes_independence;
  /// The outcomes of segment `s`.
  [[nodiscard]] const segment_outcomes& operator[](segment s) const noexcept {
    return segments[static_cast<std::size_t>(s)];
  }
};

/// The linear (type 7, numpy default) quantile q ∈ [0, 1] of `values`; empty for no values. Throws
/// std::invalid_argument for q outside [0, 1] or a non-finite value. O(n log n).
inline std::optional<double> linear_quantile(std::vector<double> values, double q) {
  if (!(q >= 0 && q <= 1)) {
    throw std::invalid_argument("linear_quantile: q must be in [0, 1], got " + std::to_string(q));
  }
  detail::check_finite(values, "linear_quantile", "values");
  if (values.empty()) return std::nullopt;
  std::sort(values.begin(), values.end());
  return cxm::linear_quantile(std::span<const double>(values), q);
}

/// The segment of one customer, given the threshold values (>= counts as high).
constexpr segment classify(double engagement, std::optional<double> satisfaction, double engagement_threshold,
                           double satisfaction_threshold) noexcept {
  if (!satisfaction) return segment::unsurveyed;
  const bool engaged = engagement >= engagement_threshold;
  const bool satisfied = *satisfaction >= satisfaction_threshold;
  if (engaged) return satisfied ? segment::loyal : segment::spurious;
  return satisfied ? segment::latent : segment::at_risk;
}

/// Two-proportion z test of the churn rates of segments a and b of `result`; empty when one is empty.
inline std::optional<two_proportion_test> compare_churn(const segmentation& result, segment a, segment b,
                                                        double confidence = 0.95) {
  const auto& sa = result[a];
  const auto& sb = result[b];
  return two_proportion_z_test(sa.churned, sa.customers, sb.churned, sb.customers, confidence);
}

namespace detail {
inline double resolve_threshold(const threshold& t, const std::vector<double>& values, const char* parameter) {
  if (!std::isfinite(t.x)) {
    throw std::invalid_argument(std::string("segment_customers: ") + parameter + " is not finite");
  }
  if (t.type == threshold::kind::value) return t.x;
  if (!(t.x >= 0 && t.x <= 1)) {
    throw std::invalid_argument(std::string("segment_customers: ") + parameter + " quantile must be in [0, 1]");
  }
  return linear_quantile(values, t.x).value_or(0.0);
}
}  // namespace detail

/// Segments the customers (Dick & Basu 1994) and reports each segment's outcomes, the churn tests
/// between segments and the independence test of the two axes. Throws std::invalid_argument naming the
/// field for a non-finite engagement, satisfaction or spend, a threshold that is not finite or a
/// quantile outside [0, 1], a confidence outside (0, 1), a csat_template holding answers;
/// cxm::invalid_event for an NPS or CSAT answer off its scale.
inline segmentation segment_customers(std::span<const customer_profile> customers,
                                      const segmentation_parameters& parameters = {}) {
  (void)normal_quantile(parameters.confidence);  // validates the confidence level
  if (parameters.csat_template.result().n != 0) {
    throw std::invalid_argument("segment_customers: parameters.csat_template must hold no answers");
  }
  std::vector<double> engagement, satisfaction;
  engagement.reserve(customers.size());
  for (std::size_t i = 0; i < customers.size(); ++i) {
    const auto& c = customers[i];
    const auto fail = [i](const char* field) {
      throw std::invalid_argument("segment_customers: customers[" + std::to_string(i) + "]." + field +
                                  " is not finite");
    };
    if (!std::isfinite(c.engagement)) fail("engagement");
    if (c.satisfaction && !std::isfinite(*c.satisfaction)) fail("satisfaction");
    if (!std::isfinite(c.spend)) fail("spend");
    engagement.push_back(c.engagement);
    if (c.satisfaction) satisfaction.push_back(*c.satisfaction);
  }
  segmentation out{};
  out.customers = customers.size();
  out.surveyed = satisfaction.size();
  out.engagement_threshold = detail::resolve_threshold(parameters.engagement, engagement, "engagement threshold");
  const double satisfaction_threshold =
      detail::resolve_threshold(parameters.satisfaction, satisfaction, "satisfaction threshold");
  if (parameters.satisfaction.type == threshold::kind::value || !satisfaction.empty()) {
    out.satisfaction_threshold = satisfaction_threshold;
  }

  struct tally {
    std::uint64_t customers = 0, churned = 0, referred = 0;
    compensated_sum spend;
    nps nps_answers;
    cxm::csat csat_answers;
    bool has_nps = false, has_csat = false;
  };
  std::array<tally, segment_count> tallies;
  for (auto& t : tallies) t.csat_answers = parameters.csat_template;
  for (const auto& c : customers) {
    auto& t = tallies[static_cast<std::size_t>(
        classify(c.engagement, c.satisfaction, out.engagement_threshold, satisfaction_threshold))];
    ++t.customers;
    t.churned += c.churned ? 1 : 0;
    t.referred += c.referred ? 1 : 0;
    t.spend.add(c.spend);
    if (c.nps_answer) {
      t.nps_answers.add(*c.nps_answer);
      t.has_nps = true;
    }
    if (c.csat_answer) {
      t.csat_answers.add(*c.csat_answer);
      t.has_csat = true;
    }
  }
  for (std::size_t s = 0; s < segment_count; ++s) {
    const tally& t = tallies[s];
    segment_outcomes& o = out.segments[s];
    o = segment_outcomes{static_cast<segment>(s), t.customers, 0.0, t.churned, std::nullopt, std::nullopt,
                         std::nullopt, t.referred, std::nullopt, std::nullopt, std::nullopt};
    if (t.customers == 0) continue;
    const double n = static_cast<double>(t.customers);
    o.share = n / static_cast<double>(out.customers);
    o.churn_rate = static_cast<double>(t.churned) / n;
    o.churn_interval = wilson_interval(*o.churn_rate, n, parameters.confidence);
    o.mean_spend = t.spend.value() / n;
    o.referral_rate = static_cast<double>(t.referred) / n;
    if (t.has_nps) o.nps = t.nps_answers.result();
    if (t.has_csat) o.csat = t.csat_answers.result();
  }
  const double confidence = parameters.confidence;
  out.churn_tests = {compare_churn(out, segment::loyal, segment::spurious, confidence),
                     compare_churn(out, segment::latent, segment::at_risk, confidence),
                     compare_churn(out, segment::loyal, segment::latent, confidence),
                     compare_churn(out, segment::spurious, segment::at_risk, confidence)};
  out.axes_independence = chi_squared_independence(out[segment::loyal].customers, out[segment::spurious].customers,
                                                   out[segment::latent].customers, out[segment::at_risk].customers);
  return out;
}

/// Whether a higher measure predicts the outcome, or its absence (churn: higher engagement predicts
/// *not* churning, so lower_predicts_outcome).
enum class orientation : std::uint8_t { higher_predicts_outcome, lower_predicts_outcome };

/// "What each predicts": the AUCs of engagement, of satisfaction and of both combined, on the same
/// customers (those with a satisfaction measure).
struct predictive_comparison_result {
  orientation direction;       ///< how the measures were oriented before the AUC
  std::size_t customers;       ///< customers used (surveyed: complete cases)
  std::size_t unsurveyed;      ///< customers left out for want of a satisfaction measure
  auc_result engagement;       ///< AUC of the (oriented) engagement measure
  auc_result satisfaction;     ///< AUC of the (oriented) satisfaction measure
  /// AUC of the combined score (rank(engagement) + rank(satisfaction))/2, average ranks among the
  /// customers used: equal weight to each measure on a common scale, immune to their units.
  auc_result combined;
};

/// AUCs of engagement, satisfaction and the rank-mean combination for `outcome` (true = the customer has
/// it). With orientation::lower_predicts_outcome (the default, for churn) the measures are negated first,
/// so every AUC reads "above 0.5: the measure predicts the outcome the expected way"; the AUC of the raw
/// measure is 1 − that. Customers with no satisfaction measure are left out of all three (counted in
/// `unsurveyed`) so that the three AUCs are comparable. Throws std::invalid_argument for sizes that differ
/// or a non-finite value. O(n log n).
inline predictive_comparison_result predictive_comparison(std::span<const double> engagement,
                                                          std::span<const std::optional<double>> satisfaction,
                                                          const std::vector<bool>& outcome,
                                                          orientation direction = orientation::lower_predicts_outcome,
                                                          double confidence = 0.95) {
  detail::check_same_size(engagement.size(), satisfaction.size(), "predictive_comparison", "engagement",
                          "satisfaction");
  detail::check_same_size(engagement.size(), outcome.size(), "predictive_comparison", "engagement", "outcome");
  detail::check_finite(engagement, "predictive_comparison", "engagement");
  const double sign = direction == orientation::lower_predicts_outcome ? -1.0 : 1.0;
  std::vector<double> e, s;
  std::vector<bool> y;
  for (std::size_t i = 0; i < engagement.size(); ++i) {
    if (!satisfaction[i]) continue;
    if (!std::isfinite(*satisfaction[i])) {
      throw std::invalid_argument("predictive_comparison: satisfaction[" + std::to_string(i) + "] is not finite");
    }
    e.push_back(sign * engagement[i]);
    s.push_back(sign * *satisfaction[i]);
    y.push_back(outcome[i]);
  }
  const std::vector<double> re = average_ranks(e), rs = average_ranks(s);
  std::vector<double> combined(re.size());
  for (std::size_t i = 0; i < re.size(); ++i) combined[i] = (re[i] + rs[i]) / 2;
  return {direction,
          e.size(),
          engagement.size() - e.size(),
          auc(e, y, confidence),
          auc(s, y, confidence),
          auc(combined, y, confidence)};
}

/// The same over customer profiles, for the outcome "churned" (lower measures predict churn).
inline predictive_comparison_result predictive_comparison(std::span<const customer_profile> customers,
                                                          double confidence = 0.95) {
  std::vector<double> e;
  std::vector<std::optional<double>> s;
  std::vector<bool> y;
  for (const auto& c : customers) {
    e.push_back(c.engagement);
    s.push_back(c.satisfaction);
    y.push_back(c.churned);
  }
  return predictive_comparison(e, s, y, orientation::lower_predicts_outcome, confidence);
}

}  // namespace cxm::analysis
