#pragma once
/// \file
/// Cohort retention: customers grouped by the period of their first activity (their cohort), and the
/// share of each cohort active k periods later. Three readings, as product analytics tools define
/// them (docs/metrics/retention.md names the sources):
///   - "on" (N-period, or classic, retention): active in period cohort + k;
///   - "on or after" (unbounded, or rolling, retention): active in period cohort + k or any later one;
///   - brackets: active anywhere in periods cohort + a .. cohort + b of a bracket [a, b].
/// A figure whose periods are not all complete as of the report (the period of as_of and later) is
/// MARKED as an empty optional, never reported as 0. Means across cohorts per column: simple (of the
/// cohorts' rates) and weighted by cohort size (Σ retained / Σ size), over the cohorts whose column
/// is complete.
///
/// Input: one customer_periods per customer (engagement/active_periods.hpp), from an engine's
/// active_periods states (the report-time metric basic_cohort_retention) or from a host's own table
/// (cohort_retention_table, retention_builder).
/// Cost: O(tracked + brackets) per customer, one pass, plus O(cohorts · (tracked + brackets)) to
/// finish; memory O(cohorts · (tracked + brackets)). Exact (integer counts); it merges through the
/// states it reads (an engine's merge) and is recomputed at report time.

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cxm/engagement/active_periods.hpp"
#include "cxm/events/kind_registry.hpp"
#include "cxm/events/metric.hpp"
#include "cxm/events/time.hpp"

namespace cxm {

/// A bracket of periods after the cohort's first: [from, to], 0 <= from <= to < tracked.
struct retention_bracket {
  std::uint32_t from = 0;  ///< first period of the bracket
  std::uint32_t to = 0;  ///< last period of the bracket
  /// Compares every field.
  friend constexpr bool operator==(const retention_bracket&, const retention_bracket&) = default;
};

/// Brackets from their flat form {from₀, to₀, from₁, to₁, ...} (the parameter of
/// basic_cohort_retention). Throws std::invalid_argument naming the parameter 'brackets' when the
/// count is odd, a bracket is reversed, or reaches past the tracked periods (to >= tracked).
inline std::vector<retention_bracket> brackets_from(std::span<const std::uint32_t> flat, std::uint32_t tracked) {
  if (flat.size() % 2 != 0) {
    throw std::invalid_argument("cohort_retention: parameter 'brackets' must hold pairs (from, to); it has " +
                                std::to_string(flat.size()) + " numbers");
  }
  std::vector<retention_bracket> out;
  for (std::size_t i = 0; i < flat.size(); i += 2) {
    const retention_bracket b{flat[i], flat[i + 1]};
    if (b.from > b.to) {
      throw std::invalid_argument("cohort_retention: parameter 'brackets': bracket [" + std::to_string(b.from) + ", " +
                                  std::to_string(b.to) + "] is reversed");
    }
    if (b.to >= tracked) {
      throw std::invalid_argument("cohort_retention: parameter 'brackets': bracket [" + std::to_string(b.from) + ", " +
                                  std::to_string(b.to) + "] reaches past the " + std::to_string(tracked) +
                                  " tracked periods");
    }
    out.push_back(b);
  }
  return out;
}

/// One cohort's row. Column k of `on` / `on_or_after` is period cohort + k (k = 0 .. tracked − 1);
/// `in_bracket[j]` is bracket j. An empty optional: the column's periods are not all complete.
struct cohort_row {
  period cohort;                  ///< the first-activity period shared by the cohort's customers
  std::uint64_t size = 0;         ///< customers in the cohort (>= 1)
  std::uint64_t past_horizon = 0; ///< of them, active past cohort + tracked − 1 (exact anyway: see below)
  std::vector<std::optional<std::uint64_t>> on;           ///< active in cohort + k
  std::vector<std::optional<std::uint64_t>> on_or_after;  ///< active in cohort + k or later
  std::vector<std::optional<std::uint64_t>> in_bracket;   ///< active in cohort + from .. cohort + to
  std::vector<std::optional<double>> on_rate;             ///< on / size
  std::vector<std::optional<double>> on_or_after_rate;    ///< on_or_after / size
  std::vector<std::optional<double>> bracket_rate;        ///< in_bracket / size
  /// Compares every field.
  friend bool operator==(const cohort_row&, const cohort_row&) = default;
};

/// A mean across cohorts for one column, over the cohorts whose column is complete.
struct retention_mean {
  std::optional<double> simple;    ///< Σ rate / cohorts; empty without a complete cohort
  std::optional<double> weighted;  ///< Σ retained / Σ size (size-weighted); empty likewise
  std::uint64_t cohorts = 0;       ///< cohorts included
  std::uint64_t customers = 0;     ///< Σ size of those cohorts
  /// Compares every field.
  friend bool operator==(const retention_mean&, const retention_mean&) = default;
};

/// A cohort retention table as of a period.
struct retention_table {
  period_unit unit = period_unit::month;  ///< the periods' unit
  std::uint32_t tracked = 0;        ///< the columns k = 0 .. tracked − 1
  period current;                   ///< as_of's period: the first one not complete
  std::vector<retention_bracket> brackets;  ///< the brackets, as given
  std::vector<cohort_row> cohorts;  ///< ascending by cohort; only cohorts up to `current`
  /** \var on_mean
      Per column k: the mean of on_rate over the cohorts whose column is complete. */
  /** \var on_or_after_mean
      Per column k: the mean of on_or_after_rate, likewise. */
  std::vector<retention_mean> on_mean, on_or_after_mean, bracket_mean;  ///< per bracket: the mean of bracket_rate, likewise
  std::uint64_t customers = 0;              ///< customers in the cohorts
  std::uint64_t customers_after_as_of = 0;  ///< first activity after as_of's period: left out
  /// Customers active past their tracked periods. Every figure above stays exact ("on" reads the
  /// tracked bits, "on or after" the exact last period); they are counted so that nothing is hidden.
  std::uint64_t past_horizon = 0;
  bool includes_later_events = false;  ///< a customer has activity after as_of's period (counted in on_or_after)
  /// Compares every field.
  friend bool operator==(const retention_table&, const retention_table&) = default;
};

/// Builds a retention table one customer at a time (the pure functions and the engine metric share it).
class retention_builder {
 public:
  /// `tracked`: the periods kept per customer (1 .. 64); `current`: as_of's period (the first not
  /// complete); `brackets`: validated against `tracked`. Throws std::invalid_argument.
  retention_builder(std::uint32_t tracked, period current, std::vector<retention_bracket> brackets)
      : tracked_(tracked), current_(current), brackets_(std::move(brackets)) {
    if (tracked < 1 || tracked > 64) {
      throw std::invalid_argument("cohort_retention: tracked periods must be 1 to 64, not " + std::to_string(tracked));
    }
    for (const auto& b : brackets_) {
      const std::uint32_t flat[2] = {b.from, b.to};
      (void)brackets_from(flat, tracked);
    }
  }

  /// Adds one customer (validated by check_customer_periods). O(tracked + brackets).
  void add(const customer_periods& c) {
    check_customer_periods(c, tracked_, "cohort_retention: customer");
    if (c.first > current_.index) {
      ++after_as_of_;
      return;
    }
    auto [it, fresh] = cohorts_.try_emplace(c.first);
    auto& row = it->second;
    if (fresh) {
      row.on.assign(tracked_, 0);
      row.on_or_after.assign(tracked_, 0);
      row.in_bracket.assign(brackets_.size(), 0);
    }
    ++row.size;
    const bool past = c.last - c.first >= static_cast<std::int64_t>(tracked_);
    if (past) ++row.past_horizon;
    if (c.last > current_.index) later_ = true;
    for (std::uint32_t k = 0; k < tracked_; ++k) {
      if ((c.bits >> k) & 1u) ++row.on[k];
      if (c.last - c.first >= static_cast<std::int64_t>(k)) ++row.on_or_after[k];
    }
    for (std::size_t j = 0; j < brackets_.size(); ++j) {
      const auto width = brackets_[j].to - brackets_[j].from + 1;
      const std::uint64_t window = width >= 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << width) - 1;
      if (((c.bits >> brackets_[j].from) & window) != 0) ++row.in_bracket[j];
    }
  }

  /// The table as of the current period.
  [[nodiscard]] retention_table finish() const {
    retention_table t;
    t.unit = current_.unit;
    t.tracked = tracked_;
    t.current = current_;
    t.brackets = brackets_;
    t.customers_after_as_of = after_as_of_;
    t.includes_later_events = later_;
    std::vector<mean_sum> on_sum(tracked_), after_sum(tracked_), bracket_sum(brackets_.size());
    for (const auto& cohort : cohorts_) {
      // Named references, not structured bindings: the lambda below uses them (clang 14 cannot capture a binding).
      const std::int64_t first = cohort.first;
      const counts_type& counts = cohort.second;
      cohort_row row;
      row.cohort = period{current_.unit, first};
      row.size = counts.size;
      row.past_horizon = counts.past_horizon;
      t.customers += counts.size;
      t.past_horizon += counts.past_horizon;
      const auto size = static_cast<double>(counts.size);
      // Column k is complete when period first + k has ended as of as_of: first + k < current.
      auto column = [&](std::uint64_t n, std::int64_t last_offset, mean_sum& sum, auto& counts_out, auto& rates_out) {
        if (first + last_offset < current_.index) {
          counts_out.emplace_back(n);
          const double rate = static_cast<double>(n) / size;
          rates_out.emplace_back(rate);
          sum.rates += rate;
          sum.retained += n;
          sum.size += counts.size;
          ++sum.cohorts;
        } else {
          counts_out.emplace_back(std::nullopt);
          rates_out.emplace_back(std::nullopt);
        }
      };
      for (std::uint32_t k = 0; k < tracked_; ++k) {
        column(counts.on[k], k, on_sum[k], row.on, row.on_rate);
        column(counts.on_or_after[k], k, after_sum[k], row.on_or_after, row.on_or_after_rate);
      }
      for (std::size_t j = 0; j < brackets_.size(); ++j) {
        column(counts.in_bracket[j], brackets_[j].to, bracket_sum[j], row.in_bracket, row.bracket_rate);
      }
      t.cohorts.push_back(std::move(row));
    }
    for (const auto& s : on_sum) t.on_mean.push_back(s.mean());
    for (const auto& s : after_sum) t.on_or_after_mean.push_back(s.mean());
    for (const auto& s : bracket_sum) t.bracket_mean.push_back(s.mean());
    return t;
  }

 private:
  struct counts_type {
    std::uint64_t size = 0;
    std::uint64_t past_horizon = 0;
    std::vector<std::uint64_t> on, on_or_after, in_bracket;
  };
  struct mean_sum {
    double rates = 0.0;
    std::uint64_t retained = 0, size = 0, cohorts = 0;
    [[nodiscard]] retention_mean mean() const {
      retention_mean m;
      m.cohorts = cohorts;
      m.customers = size;
      if (cohorts > 0) {
        m.simple = rates / static_cast<double>(cohorts);
        m.weighted = static_cast<double>(retained) / static_cast<double>(size);
      }
      return m;
    }
  };

  std::uint32_t tracked_;
  period current_;
  std::vector<retention_bracket> brackets_;
  std::map<std::int64_t, counts_type> cohorts_;
  std::uint64_t after_as_of_ = 0;
  bool later_ = false;
};

/// The retention table of `customers` (one entry per customer) with `tracked` periods kept, as of
/// the period `current` (its unit is the table's). Throws std::invalid_argument on a malformed
/// customer or bracket. Cost: see the top of the file.
inline retention_table cohort_retention_table(std::span<const customer_periods> customers, std::uint32_t tracked,
                                              period current, std::vector<retention_bracket> brackets = {}) {
  retention_builder b(tracked, current, std::move(brackets));
  for (const auto& c : customers) b.add(c);
  return b.finish();
}

/// A report-time metric: the cohort retention table of an engine's customers, from the
/// basic_active_periods<Unit, Periods> states (a declared dependency: its unit and horizon are the
/// table's), as of the report's as_of. Parameter "brackets": flat pairs {from, to, ...}, e.g.
/// {1, 3, 4, 6} for [1, 3] and [4, 6] (validated by configure: std::invalid_argument).
/// Cost: one pass over the table, O(tracked + brackets) per customer.
/// Result: retention_table. Nothing per event; memory O(cohorts · (tracked + brackets)). Merge: none
/// of its own; exact through the states it reads. Thread safety: the engine's (docs/architecture.md, "Thread safety").
/// Definitions ("on", "on or after") and sources: docs/metrics/retention.md.
template <class ActivePeriods = active_periods>
struct basic_cohort_retention {
  /// Stable name, part of the saved engine.
  static constexpr std::string_view id = "cohort_retention";
  /// Format version of its saved state and parameters.
  static constexpr std::uint16_t version = 1;
  /// The per-customer metrics it reads.
  using depends_on = metric_list<ActivePeriods>;

  std::vector<std::uint32_t> brackets{};  ///< flat pairs {from₀, to₀, from₁, to₁, ...}

  /// Visits each parameter by name: saved with the engine, compared by merge.
  template <class Self, class V>
  static void parameters(Self& self, V& visit) {
    visit("brackets", self.brackets);
  }
  /// Throws std::invalid_argument for an invalid bracket.
  void configure(const kind_registry&) const { (void)brackets_from(brackets, ActivePeriods::tracked_periods); }

  /// Its figures in the report, computed from the customer table as of rc.as_of().
  template <class ReportContext>
  [[nodiscard]] retention_table result(const ReportContext& rc) const {
    retention_builder b(ActivePeriods::tracked_periods, period_of(rc.as_of(), ActivePeriods::period_unit_v),
                        brackets_from(brackets, ActivePeriods::tracked_periods));
    rc.for_each_customer([&](const auto& view) {
      const auto& s = view.template get<ActivePeriods>();
      if (s.seen()) b.add(s.history());
    });
    return b.finish();
  }
};

/// Monthly cohort retention over cxm::active_periods (64 months).
using cohort_retention = basic_cohort_retention<>;

}  // namespace cxm
