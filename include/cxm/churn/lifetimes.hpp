#pragma once
/// \file
/// Customer lifetimes from the engine's customer table (issue #14, "survival of customers"): a
/// report-time metric that turns every customer's activity and cancels into one lifetime (churned or
/// right-censored) as of the report's time, folded into a cxm::survival_table, so that
/// kaplan_meier(result.table) is the survival curve of the customer base (docs/metrics/churn.md,
/// "Lifetimes from the engine").
///
/// Rule, as of `as_of` (times kept to the second, as activity and cancellation keep them):
///  - a customer whose first activity is after as_of is not a customer yet: excluded (counted);
///  - first cancel at or before as_of: churned, lifetime = first cancel − first activity (contractual
///    churn: the customer said so; the same first-cancel rule as cxm::contractual_churn);
///  - else, with the inactivity rule on (threshold > 0) and as_of − last activity > threshold (the strict
///    rule of cxm::inactivity_churn): churned, lifetime = last activity + threshold − first activity.
///    The churn is dated when the rule declares it (last activity + threshold), not back-dated to the last
///    activity: the event is then a function of what was observable at that instant, the same instant at
///    which a customer still active would be censored. Back-dating to the last activity would put the
///    churn of lapsed customers up to `threshold` earlier than the censoring of customers in the same
///    state who have not yet reached the threshold, which biases the curve downwards near its end
///    (those recent lapsers are counted at risk until as_of). The choice shifts every inactive churner's
///    lifetime by the same constant `threshold`; subtract it for the "last activity" convention;
///  - else: censored at as_of, lifetime = as_of − first activity.
/// Customers with events after as_of (their last activity, as activity keeps it, is later than as_of):
/// the record no longer knows their last activity as of as_of. They had an event after as_of, so they
/// were customers at as_of: unless their first cancel is at or before as_of (a minimum: exact), they are
/// censored at as_of and counted in censored_later_events. (The inactivity rule cannot be applied to
/// them as of as_of; a gap longer than the threshold before as_of is therefore not counted, as
/// inactivity_churn does not count a gap followed by a return.) For a report of the present (as_of at or
/// after every event) there are none.
/// threshold = 0 turns the inactivity rule off: churn only by cancel, everyone else censored at as_of
/// (for contractual businesses, where silence is not churn).
///
/// Layer 3 (docs/architecture.md, "Layers"): includes only cxm/core, cxm/io, cxm/events and cxm/churn.

#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "cxm/churn/churn_rate.hpp"
#include "cxm/churn/survival.hpp"
#include "cxm/events/customer_metrics.hpp"
#include "cxm/events/kind_registry.hpp"
#include "cxm/events/metric.hpp"
#include "cxm/events/time.hpp"

namespace cxm {

/// How one customer's lifetime ended as of a report time.
enum class lifetime_outcome : std::uint8_t {
  excluded = 0,           ///< no activity at or before as_of: not a customer yet, no lifetime
  cancelled = 1,          ///< churned at the first cancel (at or before as_of)
  inactive = 2,           ///< churned by the inactivity rule, at last activity + threshold
  censored = 3,           ///< still a customer at as_of: censored there
  censored_later = 4,     ///< events after as_of: censored at as_of (see customer_lifetimes)
};

/// One customer's lifetime as of a report time (customer_lifetimes::of).
struct customer_lifetime {
  lifetime_outcome outcome;  ///< how it ended
  /// The lifetime in the metric's unit (event = churned); empty when outcome is excluded.
  std::optional<lifetime> life;
  /// Compares every field.
  friend bool operator==(const customer_lifetime&, const customer_lifetime&) = default;
};

/// What customer_lifetimes reports as of a time.
struct customer_lifetimes_result {
  std::chrono::milliseconds threshold;  ///< the metric's inactivity threshold (0: rule off)
  std::chrono::milliseconds unit;       ///< the length of one unit of the lifetimes (1 day by default)
  /// One lifetime per customer with a first activity at or before as_of, in `unit`s:
  /// kaplan_meier(table) is the survival curve.
  survival_table table;
  std::uint64_t customers;  ///< first activity at or before as_of (= table.subjects())
  std::uint64_t churned;    ///< cancelled + inactive
  std::uint64_t cancelled;  ///< churned at their first cancel
  std::uint64_t inactive;   ///< churned by the inactivity rule
  std::uint64_t censored;   ///< customers − churned, censored_later_events included
  /// Of the censored, customers with events after as_of (censored at as_of: they were customers then).
  /// 0 for a report of the present.
  std::uint64_t censored_later_events;
  std::uint64_t excluded;   ///< customers in the table whose first activity is after as_of
  /// Compares every field.
  friend bool operator==(const customer_lifetimes_result&, const customer_lifetimes_result&) = default;
};

/// A report-time metric: every customer's lifetime as of the report's time, as a survival_table.
///
/// - Input: the per-customer states of cxm::activity (first and last activity) and cxm::cancellation
///   (first cancel), declared in depends_on; no state of its own, nothing per event.
/// - Rule: see the top of this header (cancel first; then the inactivity rule, churn dated at last
///   activity + threshold; else censored at as_of; customers with later events censored at as_of).
/// - Result: customer_lifetimes_result; kaplan_meier(result.table) gives the curve, log_rank over
///   groups via analysis/survival_by.hpp. A lifetime is (end − first activity) / unit, a double;
///   to the second, like the states it reads (as_of itself to the millisecond).
/// - Parameters (saved and compared): `threshold` (default 90 days; 0 = churn only by cancel; at most
///   73000 days), `unit` (default 1 day; 1 ms .. 73000 days). Invalid values: std::invalid_argument
///   from the engine's constructor naming the parameter (a format_error on load).
/// - Cost at report time: one pass over the customer table, O(log m) per customer for m distinct
///   lifetimes, memory O(m). Merge: nothing of its own; exact whenever activity and cancellation merge
///   exactly (always: minima and maxima), under any split and arrival order.
/// - Thread safety: the engine's (docs/architecture.md, "Thread safety"). Source: Kaplan & Meier (1958) for
///   the curve (docs/metrics/churn.md).
struct customer_lifetimes {
  /// Stable name, part of the saved engine.
  static constexpr std::string_view id = "lifetimes";
  /// Format version of its saved state and parameters.
  static constexpr std::uint16_t version = 1;
  /// The per-customer metrics it reads.
  using depends_on = metric_list<activity, cancellation>;
  /// The longest threshold or unit accepted (as inactivity_churn's bound: any time plus it stays valid).
  static constexpr std::chrono::milliseconds max_duration = std::chrono::days{73'000};

  std::chrono::milliseconds threshold = std::chrono::days{90};  ///< inactivity longer than this = churned; 0 = off
  std::chrono::milliseconds unit = std::chrono::days{1};        ///< lifetimes are in multiples of this

  /// Visits each parameter by name: saved with the engine, compared by merge.
  template <class Self, class V>
  static void parameters(Self& self, V& visit) {
    visit("threshold", self.threshold);
    visit("unit", self.unit);
  }
  /// Throws std::invalid_argument naming the parameter: threshold outside 0 .. 73000 days, unit outside
  /// 1 ms .. 73000 days.
  void configure(const kind_registry&) const { validate(); }
  /// The checks of configure, for use without an engine (of() calls it too).
  void validate() const {
    if (threshold.count() < 0 || threshold > max_duration) {
      throw std::invalid_argument("metric 'lifetimes': threshold must be between 0 (off) and 73000 days, got " +
                                  std::to_string(threshold.count()) + " ms");
    }
    if (unit.count() <= 0 || unit > max_duration) {
      throw std::invalid_argument("metric 'lifetimes': unit must be between 1 ms and 73000 days, got " +
                                  std::to_string(unit.count()) + " ms");
    }
  }

  /// One customer's lifetime as of `as_of` from their activity and cancellation states (e.g.
  /// `view.state<cxm::activity>()` of an engine's customer view), by the rule above. O(1).
  /// For per-customer lifetimes with labels (analysis/survival_by.hpp).
  [[nodiscard]] customer_lifetime of(const activity::state& a, const cancellation::state& c, timestamp as_of) const {
    validate();
    if (!a.seen()) return {lifetime_outcome::excluded, std::nullopt};
    const timestamp first = from_seconds32(a.first_seen);
    if (first > as_of) return {lifetime_outcome::excluded, std::nullopt};
    const auto in_units = [&](timestamp end) {
      return static_cast<double>((end - first).count()) / static_cast<double>(unit.count());
    };
    if (c.cancelled() && from_seconds32(c.first) <= as_of) {
      // A cancel is an activity too, so first activity <= first cancel.
      return {lifetime_outcome::cancelled, lifetime{in_units(from_seconds32(c.first)), true}};
    }
    const timestamp last = from_seconds32(a.last_seen);
    if (last > std::chrono::floor<std::chrono::seconds>(as_of)) {
      return {lifetime_outcome::censored_later, lifetime{in_units(as_of), false}};
    }
    // as_of − last > threshold  ⇔  last + threshold < as_of (no overflow: both within ±2^41 ms).
    if (threshold.count() > 0 && last + threshold < as_of) {
      return {lifetime_outcome::inactive, lifetime{in_units(last + threshold), true}};
    }
    return {lifetime_outcome::censored, lifetime{in_units(as_of), false}};
  }

  /// Its figures in the report, computed from the customer table as of rc.as_of().
  template <class ReportContext>
  [[nodiscard]] customer_lifetimes_result result(const ReportContext& rc) const {
    const auto as_of = rc.as_of();
    customer_lifetimes_result r{threshold, unit, {}, 0, 0, 0, 0, 0, 0, 0};
    rc.for_each_customer([&](const auto& customer) {
      const auto x = of(customer.template get<activity>(), customer.template get<cancellation>(), as_of);
      switch (x.outcome) {
        case lifetime_outcome::excluded: ++r.excluded; return;
        case lifetime_outcome::cancelled: ++r.cancelled; break;
        case lifetime_outcome::inactive: ++r.inactive; break;
        case lifetime_outcome::censored: break;
        case lifetime_outcome::censored_later: ++r.censored_later_events; break;
      }
      r.table.add(*x.life);
    });
    r.customers = r.table.subjects();
    r.churned = r.cancelled + r.inactive;
    r.censored = r.customers - r.churned;
    return r;
  }
};

}  // namespace cxm
