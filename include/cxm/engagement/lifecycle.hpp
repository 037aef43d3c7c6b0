#pragma once
/// \file
/// Lifecycle per period ("growth accounting"): for every period p up to as_of's, how many customers
/// were
///   new           first-ever activity in p;
///   returning     active in p and in p − 1;
///   resurrecting  active in p, not in p − 1, active before p − 1;
///   dormant       active in p − 1, not in p.
/// These are PostHog's four lifecycle states (PostHog, "Lifecycle insights"; it draws dormant as a
/// negative bar) and Amplitude's new / current / resurrected / dormant (Amplitude, "Lifecycle"
/// chart). Where the products differ, and what cxm does, is written in docs/metrics/retention.md
/// ("Lifecycle"); in short: "new" here is the customer's first activity in the data the engine saw,
/// in the calendar period of that activity, and dormant is a non-negative count.
///
/// Input: one customer_periods per customer (engagement/active_periods.hpp), from an engine's
/// active_periods states (the report-time metric basic_lifecycle) or a host's own table
/// (lifecycle_table, lifecycle_builder). A customer active past the tracked horizon
/// (first + tracked − 1) has periods whose activity is not kept: in such a period p (p − 1 or p
/// unknown), the customer is counted as `untracked`, never guessed; the dormant period right after
/// the customer's last activity is still exact.
/// Cost: O(tracked) per customer plus O(log periods) map updates, one pass, then O(periods) to
/// finish; memory O(periods reported). Exact (integer counts), recomputed at report time from the
/// mergeable per-customer states.

#include <algorithm>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "cxm/engagement/active_periods.hpp"
#include "cxm/events/metric.hpp"
#include "cxm/events/time.hpp"

namespace cxm {

/// One period's lifecycle counts.
struct lifecycle_counts {
  period when;  ///< the period
  std::uint64_t new_customers = 0;  ///< first-ever activity in `when`
  std::uint64_t returning = 0;      ///< active in `when` and the period before
  std::uint64_t resurrecting = 0;   ///< active in `when`, not the period before, active earlier
  std::uint64_t dormant = 0;        ///< active in the period before, not in `when` (a count, >= 0)
  std::uint64_t untracked = 0;      ///< status unknown: `when` or the period before lies past the horizon
  bool complete = false;            ///< false for as_of's own period (still open)
  /// Compares every field.
  friend constexpr bool operator==(const lifecycle_counts&, const lifecycle_counts&) = default;
  /// Customers active in `when`, where known (new + returning + resurrecting).
  [[nodiscard]] constexpr std::uint64_t active() const noexcept { return new_customers + returning + resurrecting; }
};

/// The lifecycle of every period from the earliest first activity up to as_of's period.
struct lifecycle_result {
  period_unit unit = period_unit::month;  ///< the periods' unit
  std::uint32_t tracked = 0;             ///< the periods kept per customer
  std::vector<lifecycle_counts> periods; ///< consecutive, ascending; the last is as_of's (not complete)
  std::uint64_t customers = 0;           ///< customers with a first activity up to as_of's period
  std::uint64_t customers_after_as_of = 0;  ///< first activity after as_of's period: left out
  std::uint64_t past_horizon = 0;        ///< customers active past their tracked periods
  bool includes_later_events = false;    ///< a customer has activity after as_of's period (not reported)
  /// Compares every field.
  friend bool operator==(const lifecycle_result&, const lifecycle_result&) = default;
};

/// Builds a lifecycle one customer at a time.
class lifecycle_builder {
 public:
  /// `tracked`: periods kept per customer (1 .. 64); `current`: as_of's period (the last reported).
  lifecycle_builder(std::uint32_t tracked, period current) : tracked_(tracked), current_(current) {
    if (tracked < 1 || tracked > 64) {
      throw std::invalid_argument("lifecycle: tracked periods must be 1 to 64, not " + std::to_string(tracked));
    }
  }

  /// Adds one customer (validated by check_customer_periods).
  void add(const customer_periods& c) {
    check_customer_periods(c, tracked_, "lifecycle: customer");
    const auto now = current_.index;
    if (c.first > now) {
      ++after_as_of_;
      return;
    }
    ++customers_;
    if (c.last > now) later_ = true;
    const auto horizon_end = c.first + static_cast<std::int64_t>(tracked_);  // first period not kept
    if (c.last >= horizon_end) ++past_horizon_;
    earliest_ = std::min(earliest_, c.first);
    ++at(c.first).new_customers;
    // Periods first + 1 .. horizon_end: the status needs activity in p and p − 1.
    const auto tracked_to = std::min(now, horizon_end);
    for (auto p = c.first + 1; p <= tracked_to; ++p) classify(c, p);
    // Past the horizon: p in (horizon_end, last] is unknown; last + 1 is dormant (exact).
    if (c.last >= horizon_end) {
      const auto from = horizon_end + 1, to = std::min(now, c.last);
      if (from <= to) {
        untracked_delta_[from] += 1;
        untracked_delta_[to + 1] -= 1;
      }
      if (c.last + 1 > horizon_end && c.last + 1 <= now) ++at(c.last + 1).dormant;
    }
  }

  /// The lifecycle of every period from the earliest first activity up to as_of's.
  [[nodiscard]] lifecycle_result finish() const {
    lifecycle_result r;
    r.unit = current_.unit;
    r.tracked = tracked_;
    r.customers = customers_;
    r.customers_after_as_of = after_as_of_;
    r.past_horizon = past_horizon_;
    r.includes_later_events = later_;
    if (customers_ == 0) return r;
    std::int64_t untracked = 0;
    auto delta = untracked_delta_.begin();
    for (auto p = earliest_; p <= current_.index; ++p) {
      for (; delta != untracked_delta_.end() && delta->first <= p; ++delta) untracked += delta->second;
      lifecycle_counts row;
      if (const auto it = counts_.find(p); it != counts_.end()) row = it->second;
      row.when = period{current_.unit, p};
      row.untracked += static_cast<std::uint64_t>(untracked);
      row.complete = p < current_.index;
      r.periods.push_back(row);
    }
    return r;
  }

 private:
  lifecycle_counts& at(std::int64_t p) { return counts_[p]; }

  void classify(const customer_periods& c, std::int64_t p) {
    const auto now_active = active_in(c, p, tracked_), before = active_in(c, p - 1, tracked_);
    if (!now_active || !before) {
      ++at(p).untracked;
      return;
    }
    if (*now_active && *before) ++at(p).returning;
    else if (*now_active) ++at(p).resurrecting;  // p − 1 > first, since first is active
    else if (*before) ++at(p).dormant;
  }

  std::uint32_t tracked_;
  period current_;
  std::map<std::int64_t, lifecycle_counts> counts_;
  std::map<std::int64_t, std::int64_t> untracked_delta_;  ///< +1 / −1 at the ends of unknown ranges
  std::int64_t earliest_ = std::numeric_limits<std::int64_t>::max();
  std::uint64_t customers_ = 0, after_as_of_ = 0, past_horizon_ = 0;
  bool later_ = false;
};

/// The lifecycle of `customers` with `tracked` periods kept, up to the period `current` (as_of's).
/// Throws std::invalid_argument on a malformed customer.
inline lifecycle_result lifecycle_table(std::span<const customer_periods> customers, std::uint32_t tracked,
                                        period current) {
  lifecycle_builder b(tracked, current);
  for (const auto& c : customers) b.add(c);
  return b.finish();
}

/// A report-time metric: the lifecycle of an engine's customers from the
/// basic_active_periods<Unit, Periods> states (a declared dependency: its unit is the lifecycle's),
/// up to the report's as_of period. No parameters. Cost: one pass over the table.
/// Result: lifecycle_result (new, returning, resurrecting, dormant per period, as the lifecycle charts
/// of docs/metrics/retention.md). Nothing per event; memory O(periods reported). Merge: none of its
/// own; exact through the states it reads. Thread safety: the engine's (docs/architecture.md, "Thread safety").
template <class ActivePeriods = active_periods>
struct basic_lifecycle {
  /// Stable name, part of the saved engine.
  static constexpr std::string_view id = "lifecycle";
  /// Format version of its saved state and parameters.
  static constexpr std::uint16_t version = 1;
  /// The per-customer metrics it reads.
  using depends_on = metric_list<ActivePeriods>;

  /// Its figures in the report, computed from the customer table as of rc.as_of().
  template <class ReportContext>
  [[nodiscard]] lifecycle_result result(const ReportContext& rc) const {
    lifecycle_builder b(ActivePeriods::tracked_periods, period_of(rc.as_of(), ActivePeriods::period_unit_v));
    rc.for_each_customer([&](const auto& view) {
      const auto& s = view.template get<ActivePeriods>();
      if (s.seen()) b.add(s.history());
    });
    return b.finish();
  }
};

/// The monthly lifecycle over cxm::active_periods.
using lifecycle = basic_lifecycle<>;

}  // namespace cxm
