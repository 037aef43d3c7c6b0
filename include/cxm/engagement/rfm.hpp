#pragma once
/// \file
/// Recency, frequency and monetary value (RFM) and their quantile scores (issue #14, "Engagement").
///
/// Two parts:
///  - pure functions, usable without the engine: linear_quantile (numpy's default "linear" method,
///    Hyndman & Fan 1996 definition 7), quantile_breakpoints and score_quantiles, which scores a set of
///    values 1..bins against the breakpoints at the k/bins linear quantiles with a documented tie rule;
///  - cxm::rfm_scores, a report-time metric (no state) that reads each customer's activity and spend
///    from the customer table when the report is made and scores every customer on the three axes.
///
/// The tie rule (docs/metrics/rfm.md, "Ties"): with breakpoints b_1 <= ... <= b_{bins-1},
///   score(x) = 1 + #{k : x > b_k}        (a value equal to a breakpoint takes the lower score),
/// so equal values always get the same score; when many values are equal (80 % of customers with one
/// purchase) several breakpoints coincide and the scores between them stay empty: the breakpoints and
/// the count per score are part of every result, so a collapsed distribution is visible, never hidden.
/// Recency is reversed: the most recent customers get the highest score, score = bins − #{k : x > b_k}.
///
/// Layer 3 (engagement): includes cxm/core, cxm/io and cxm/events only, never cxm/stream.

#include <algorithm>
#include <chrono>
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
#include "cxm/events/customer_metrics.hpp"
#include "cxm/events/event_kind.hpp"
#include "cxm/events/kind_registry.hpp"
#include "cxm/events/metric.hpp"
#include "cxm/events/time.hpp"

namespace cxm {

/// The fewest and most score bins accepted by score_quantiles and rfm_scores (2 = halves, 10 = deciles).
inline constexpr std::uint32_t rfm_min_bins = 2;
inline constexpr std::uint32_t rfm_max_bins = 10;  ///< deciles

/// Which direction a score runs: `ascending` gives the largest values the highest score (frequency,
/// monetary); `descending` gives the smallest values the highest score (recency: more recent = better).
enum class score_order : std::uint8_t { ascending = 0, descending = 1 };

// linear_quantile (numpy's default method) is in cxm/core/quantile.hpp, shared with cxm/analysis.

namespace detail {
inline void check_bins(std::uint32_t bins, std::string_view who) {
  if (bins < rfm_min_bins || bins > rfm_max_bins) {
    throw std::invalid_argument(std::string(who) + ": bins must be between 2 and 10, got " + std::to_string(bins));
  }
}
}  // namespace detail

/// The `bins − 1` breakpoints of sorted values: the linear quantiles at p = k / bins, k = 1 .. bins − 1
/// (bins = 5: the 20, 40, 60 and 80 % quantiles). Ascending (possibly equal). `sorted` as for
/// linear_quantile; `bins` in 2..10, else std::invalid_argument naming `bins`. Cost O(n + bins).
[[nodiscard]] inline std::vector<double> quantile_breakpoints(std::span<const double> sorted, std::uint32_t bins) {
  detail::check_bins(bins, "quantile_breakpoints");
  if (sorted.empty()) throw std::invalid_argument("quantile_breakpoints: sorted must not be empty");
  std::vector<double> out;
  out.reserve(bins - 1);
  for (std::uint32_t k = 1; k < bins; ++k) {
    out.push_back(linear_quantile(sorted, static_cast<double>(k) / static_cast<double>(bins)));
  }
  return out;
}

/// The score of one value against ascending breakpoints (bins = breakpoints.size() + 1):
/// ascending: 1 + #{k : value > b_k}; descending: bins − #{k : value > b_k}. A value equal to a
/// breakpoint counts as below it, so equal values always get the same score. `value` must not be NaN
/// (a NaN compares below every breakpoint). Cost O(log bins).
[[nodiscard]] inline std::uint32_t score_against(std::span<const double> breakpoints, double value,
                                                 score_order order) noexcept {
  // Breakpoints strictly below value: the first breakpoint >= value bounds them.
  const auto above = static_cast<std::uint32_t>(std::lower_bound(breakpoints.begin(), breakpoints.end(), value) -
                                                breakpoints.begin());
  const auto bins = static_cast<std::uint32_t>(breakpoints.size() + 1);
  return order == score_order::ascending ? 1 + above : bins - above;
}

/// Quantile scores of a set of values (one axis).
struct quantile_scores {
  std::vector<double> breakpoints;              ///< bins − 1 ascending breakpoints (quantile_breakpoints)
  std::vector<std::uint64_t> count_per_score;   ///< [s − 1]: how many values got score s, s = 1..bins
  std::vector<std::uint8_t> scores;             ///< each value's score, 1..bins, in the input's order
  /// Compares every field.
  friend bool operator==(const quantile_scores&, const quantile_scores&) = default;
};

/// Scores `values` (any order, finite) 1..bins against their own breakpoints, with the tie rule of
/// score_against. Empty `values`: empty breakpoints and scores, all counts 0 (nothing is undefined
/// presented as a figure). Throws std::invalid_argument naming `bins` (outside 2..10) or `values`
/// (a value not finite). Cost: one copy and one sort, O(n log n); memory O(n).
[[nodiscard]] inline quantile_scores score_quantiles(std::span<const double> values, std::uint32_t bins,
                                                     score_order order = score_order::ascending) {
  detail::check_bins(bins, "score_quantiles");
  quantile_scores out;
  out.count_per_score.assign(bins, 0);
  if (values.empty()) return out;
  std::vector<double> sorted(values.begin(), values.end());
  if (!std::all_of(sorted.begin(), sorted.end(), [](double v) { return std::isfinite(v); })) {
    throw std::invalid_argument("score_quantiles: values holds a value that is not finite");
  }
  std::sort(sorted.begin(), sorted.end());
  out.breakpoints = quantile_breakpoints(sorted, bins);
  out.scores.reserve(values.size());
  for (const double v : values) {
    const auto s = score_against(out.breakpoints, v, order);
    out.scores.push_back(static_cast<std::uint8_t>(s));
    ++out.count_per_score[s - 1];
  }
  return out;
}

/// What recency is measured from. Only the last activity (any event kind) is available today:
/// cxm::activity keeps no last-purchase time. The parameter is saved now so that a later basis
/// (last purchase, from a per-customer metric of its own) does not change the saved parameter layout.
enum class rfm_recency_basis : std::uint8_t { last_activity = 0 };

/// One customer's RFM values as of a time.
struct rfm_values {
  double recency_days;  ///< (as_of − last activity) in days (activity keeps seconds); >= 0
  double frequency;     ///< purchases (activity's count of event_kind::purchase)
  double monetary;      ///< Σ purchase amounts (spend's purchase_amount, gross of refunds)
  /// Compares every field.
  friend bool operator==(const rfm_values&, const rfm_values&) = default;
};

/// Why a customer of the table is not scored as of a time, or `scored`.
enum class rfm_status : std::uint8_t {
  scored = 0,
  not_yet_active = 1,   ///< first activity after as_of (or no activity at all)
  later_activity = 2,   ///< active up to as_of, but with events after as_of's second: the record
                        ///< cannot give recency, frequency or monetary value as of as_of
};

/// The RFM values of one customer from its activity and spend states as of `as_of`, with its status.
/// `values` is set only when `status == scored`. Cost O(1).
struct rfm_customer {
  rfm_status status;  ///< scored, or why not
  std::optional<rfm_values> values;  ///< set only when status == scored
};
/// Recency in days since the last activity, the purchase count and the purchase amount, as of `as_of`.
[[nodiscard]] inline rfm_customer rfm_values_of(const activity::state& a, const spend::state& s, timestamp as_of) {
  if (!a.seen() || from_seconds32(a.first_seen) > as_of) return {rfm_status::not_yet_active, std::nullopt};
  // Times are kept to the second: an event later in as_of's own second is not "later" (as activity).
  if (from_seconds32(a.last_seen) > std::chrono::floor<std::chrono::seconds>(as_of)) {
    return {rfm_status::later_activity, std::nullopt};
  }
  const auto since = as_of - from_seconds32(a.last_seen);  // >= 0: last_seen <= floor(as_of)
  constexpr double ms_per_day = 86'400'000.0;
  return {rfm_status::scored,
          rfm_values{static_cast<double>(since.count()) / ms_per_day,
                     static_cast<double>(a.count(event_kind::purchase)), s.purchase_amount}};
}

/// One customer's three scores, each 1..bins (recency: bins = most recent).
struct rfm_score {
  /** \var r
      Recency score. */
  /** \var f
      Frequency score. */
  std::uint8_t r, f, m;  ///< monetary score
  /// Compares every field.
  friend bool operator==(const rfm_score&, const rfm_score&) = default;
};

/// One axis of an RFM report.
struct rfm_axis {
  std::vector<double> breakpoints;             ///< bins − 1 ascending; empty when no customer is scored
  std::vector<std::uint64_t> count_per_score;  ///< [s − 1]: customers with score s on this axis
  /// Compares every field.
  friend bool operator==(const rfm_axis&, const rfm_axis&) = default;
};

/// The RFM report as of the report's time.
struct rfm_result {
  std::uint32_t bins;                 ///< scores run 1..bins on each axis
  rfm_axis recency;                   ///< breakpoints in days since the last activity; score reversed
  rfm_axis frequency;                 ///< breakpoints in purchases
  rfm_axis monetary;                  ///< breakpoints in the purchase amounts' unit
  /// bins³ counts: customers in cell (r, f, m) at index ((r − 1)·bins + (f − 1))·bins + (m − 1); see cell().
  std::vector<std::uint64_t> cells;
  std::uint64_t scored;               ///< customers scored (the sum of every count_per_score and of cells)
  std::uint64_t not_yet_active;       ///< excluded: first activity after as_of
  std::uint64_t later_activity;       ///< excluded: events after as_of (see rfm_status::later_activity)
  std::uint64_t saturated;            ///< scored customers whose activity counters saturated: frequency is a lower bound
  /// Compares every field.
  friend bool operator==(const rfm_result&, const rfm_result&) = default;

  /// Customers with scores (r, f, m), each 1..bins; throws std::out_of_range otherwise.
  [[nodiscard]] std::uint64_t cell(std::uint32_t r, std::uint32_t f, std::uint32_t m) const {
    if (r < 1 || f < 1 || m < 1 || r > bins || f > bins || m > bins) throw std::out_of_range("rfm_result::cell: a score is outside 1..bins");
    return cells[((r - 1) * bins + (f - 1)) * bins + (m - 1)];
  }
};

/// One customer's scores against a report's breakpoints; empty when the report scored no customer.
/// Gives the score the report gave that customer when `values` are that customer's (rfm_values_of
/// with the report's as_of). Cost O(log bins).
[[nodiscard]] inline std::optional<rfm_score> score_rfm(const rfm_result& r, const rfm_values& values) noexcept {
  if (r.scored == 0) return std::nullopt;
  return rfm_score{static_cast<std::uint8_t>(score_against(r.recency.breakpoints, values.recency_days, score_order::descending)),
                   static_cast<std::uint8_t>(score_against(r.frequency.breakpoints, values.frequency, score_order::ascending)),
                   static_cast<std::uint8_t>(score_against(r.monetary.breakpoints, values.monetary, score_order::ascending))};
}

/// A report-time metric (no state, never updated): every customer of the table scored 1..bins on
/// recency, frequency and monetary value as of the report's as_of, by quantile breakpoints over the
/// scored customers (score_quantiles' tie rule; recency reversed).
///  - Input: each customer's cxm::activity (first and last activity, purchase count) and cxm::spend
///    (purchase amount), declared in depends_on.
///  - Customers whose first activity is after as_of, and those with events after as_of, are excluded
///    and counted (rfm_result::not_yet_active, later_activity): their record cannot say what their
///    figures were as of as_of. Customers without a purchase are scored (frequency 0, monetary 0).
///  - Parameters (saved, compared at merge and load): `bins` (2..10, default 5), `recency`
///    (rfm_recency_basis, only last_activity). Invalid values: std::invalid_argument at construction,
///    cxm::format_error on load.
///  - Cost per report: one pass over the table, a sort per axis, then one pass over the scored
///    customers; memory 3 doubles + 3 bytes per scored customer during the report, bins³ counts after.
///    Per event: nothing. Mergeable: it has no state; the report of merged engines is the report of
///    their merged tables (exact when each customer lives in one part, as parallel_ingest does).
///  - Thread safety: the engine's (docs/architecture.md, "Thread safety"). Sources: RFM quintile scoring (Hughes,
///    Strategic Database Marketing); the type-7 quantile (Hyndman & Fan 1996): docs/metrics/rfm.md.
struct rfm_scores {
  /// Stable name, part of the saved engine.
  static constexpr std::string_view id = "rfm";
  /// Format version of its saved state and parameters.
  static constexpr std::uint16_t version = 1;
  /// The per-customer metrics it reads.
  using depends_on = metric_list<activity, spend>;

  std::uint32_t bins = 5;                                   ///< scores 1..bins on each axis (5: quintiles)
  rfm_recency_basis recency = rfm_recency_basis::last_activity;  ///< what recency is measured from

  /// Visits each parameter by name: saved with the engine, compared by merge.
  template <class Self, class V>
  static void parameters(Self& self, V& visit) {
    visit("bins", self.bins);
    visit("recency", self.recency);
  }
  /// Throws std::invalid_argument when bins is outside rfm_min_bins .. rfm_max_bins or recency is not last_activity.
  void configure(const kind_registry&) const {
    detail::check_bins(bins, "metric 'rfm'");
    if (recency != rfm_recency_basis::last_activity) {
      throw std::invalid_argument("metric 'rfm': recency must be last_activity (0), got " +
                                  std::to_string(static_cast<int>(recency)));
    }
  }

  /// Its figures in the report, computed from the customer table as of rc.as_of().
  template <class ReportContext>
  [[nodiscard]] rfm_result result(const ReportContext& rc) const {
    rfm_result out{};
    out.bins = bins;
    std::vector<double> r, f, m;
    r.reserve(rc.customers());
    f.reserve(rc.customers());
    m.reserve(rc.customers());
    rc.for_each_customer([&](const auto& customer) {
      const auto& a = customer.template get<activity>();
      const auto c = rfm_values_of(a, customer.template get<spend>(), rc.as_of());
      if (c.status == rfm_status::not_yet_active) {
        ++out.not_yet_active;
      } else if (c.status == rfm_status::later_activity) {
        ++out.later_activity;
      } else {
        r.push_back(c.values->recency_days);
        f.push_back(c.values->frequency);
        m.push_back(c.values->monetary);
        if (a.saturated != 0) ++out.saturated;
      }
    });
    const auto rs = score_quantiles(r, bins, score_order::descending);
    const auto fs = score_quantiles(f, bins, score_order::ascending);
    const auto ms = score_quantiles(m, bins, score_order::ascending);
    out.recency = {rs.breakpoints, rs.count_per_score};
    out.frequency = {fs.breakpoints, fs.count_per_score};
    out.monetary = {ms.breakpoints, ms.count_per_score};
    out.scored = r.size();
    out.cells.assign(static_cast<std::size_t>(bins) * bins * bins, 0);
    for (std::size_t i = 0; i < r.size(); ++i) {
      ++out.cells[((rs.scores[i] - 1u) * bins + (fs.scores[i] - 1u)) * bins + (ms.scores[i] - 1u)];
    }
    return out;
  }
};

}  // namespace cxm
