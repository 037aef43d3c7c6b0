#pragma once
/// \file
/// Churn rates (issue #14, "Churn and retention"): how many customers a business loses per period.
///
/// Two settings, after Schmittlein, Morrison & Colombo (1987), "Counting your customers: who are they
/// and what will they do next?", Management Science 33(1), and Fader & Hardie (2009), "Probability
/// models for customer-base analysis", Journal of Interactive Marketing 23(1):
///  - contractual: the customer says when they leave (an event_kind::cancel event). cxm::cancellation
///    (per-customer) keeps each customer's first and last cancel; cxm::contractual_churn (report-time)
///    gives the churn rate per calendar period: cancels during the period among the customers active
///    at its start, and the joiner-inclusive variant;
///  - non-contractual: nobody says so; a customer counts as churned once their last activity lies more
///    than a threshold in the past (cxm::inactivity_churn, report-time).
/// Revenue churn (gross and net revenue retention): the pure function revenue_retention over
/// per-customer revenue pairs and the stream metric revenue_retention_series, both in
/// churn/revenue_retention.hpp (included here); annual_churn_from_monthly / monthly_churn_from_annual
/// convert rates.
/// Definitions, worked examples and sources: docs/metrics/churn-rate.md.
///
/// Layer 3 (docs/architecture.md, "Layers"): includes only cxm/core, cxm/io and cxm/events. The
/// report-time metrics read the engine's report context through templates, never cxm/stream.

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <iterator>
#include <limits>
#include <map>
#include <optional>
#include <ranges>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cxm/churn/revenue_retention.hpp"
#include "cxm/core/compensated_sum.hpp"
#include "cxm/events/customer_metrics.hpp"
#include "cxm/events/event_kind.hpp"
#include "cxm/events/kind_registry.hpp"
#include "cxm/events/metric.hpp"
#include "cxm/events/observation.hpp"
#include "cxm/events/time.hpp"
#include "cxm/io/reader.hpp"
#include "cxm/io/writer.hpp"

namespace cxm {

// --- cancellation: the per-customer cancel times ---------------------------------------------------

/// What cancellation reports for one customer as of a time.
struct cancellation_result {
  /// The customer's first cancel, if it is at or before as_of (to the second); empty otherwise.
  std::optional<timestamp> first_cancel;
  /// The customer's latest cancel (possibly after as_of: see includes_later_events); empty when
  /// first_cancel is.
  std::optional<timestamp> last_cancel;
  /// last_cancel lies after as_of's second: a cancel later than as_of is included in it.
  bool includes_later_events;
  /// Compares every field.
  friend bool operator==(const cancellation_result&, const cancellation_result&) = default;
};

/// A per-customer metric: the times of the customer's first and last cancel (event_kind::cancel).
///
/// - Input: cancel events (their value is ignored). Times are kept to the second, like activity's.
/// - Several cancels (a customer cancels, comes back, cancels again): both the first and the last are
///   kept; how many there were is activity's count of cancel events. contractual_churn counts a
///   customer as lost at the **first** cancel and never again (see there).
/// - Merge: min of the firsts, max of the lasts: exact under any split of the stream and any arrival
///   order (no event-order assumption).
/// - Cost: O(1) per cancel event, no allocation. Memory: 8 bytes per customer record.
/// - State format (version 1): first (u32 s since 1970; 0xFFFFFFFF with last = 0 when never
///   cancelled), last (u32). Load requires first <= last, or the "never" pair.
/// - Result: cancellation_result. Parameters: none.
///   Thread safety: the engine's (docs/architecture.md, "Thread safety").
struct cancellation {
  /// The per-customer state: 8 bytes (the format above).
  struct state {
    std::uint32_t first = std::numeric_limits<std::uint32_t>::max();  ///< s since 1970; max with last 0 = never
    std::uint32_t last = 0;                                           ///< s since 1970
    /// Compares every field.
    friend constexpr bool operator==(const state&, const state&) = default;
    /// Whether any cancel was seen.
    [[nodiscard]] constexpr bool cancelled() const noexcept { return first <= last; }
  };
  /// Stable name, part of the saved engine.
  static constexpr std::string_view id = "cancellation";
  /// Format version of its saved state and parameters.
  static constexpr std::uint16_t version = 1;
  /// The event kinds it receives.
  static constexpr kind_set listens{event_kind::cancel};

  /// Folds in one cancel: O(1).
  template <class Context>
  void on(state& s, const observation& o, const Context&) const noexcept {
    s.first = std::min(s.first, o.seconds);
    s.last = std::max(s.last, o.seconds);
  }
  /// Commutative and associative: min of firsts, max of lasts.
  void merge(state& a, const state& b) const noexcept {
    a.first = std::min(a.first, b.first);
    a.last = std::max(a.last, b.last);
  }
  /// The customer's cancels as of ctx.as_of() (see cancellation_result).
  template <class Context>
  [[nodiscard]] cancellation_result result(const state& s, const Context& ctx) const {
    cancellation_result r{};
    if (!s.cancelled() || from_seconds32(s.first) > ctx.as_of()) return r;
    r.first_cancel = from_seconds32(s.first);
    r.last_cancel = from_seconds32(s.last);
    r.includes_later_events = *r.last_cancel > std::chrono::floor<std::chrono::seconds>(ctx.as_of());
    return r;
  }
  /// Writes a state, field by field.
  void save(const state& s, io::writer& w) const {
    w.u32(s.first);
    w.u32(s.last);
  }
  /// Reads version 1; throws cxm::format_error when the pair is neither "never" nor first <= last.
  state load(io::reader& r, std::uint16_t) const {
    state s;
    s.first = r.u32("cancellation: first cancel");
    s.last = r.u32("cancellation: last cancel");
    const bool never = s.first == std::numeric_limits<std::uint32_t>::max() && s.last == 0;
    if (!never && s.first > s.last) {
      io::reader::fail("cancellation: first cancel " + std::to_string(s.first) + " s is after the last " +
                       std::to_string(s.last) + " s");
    }
    return s;
  }
};

// --- one period of a churn series ------------------------------------------------------------------

/// One calendar period of a churn series (contractual_churn, inactivity_churn). A customer "joins" at
/// their first activity and is "lost" at their first cancel (contractual) or when the inactivity rule
/// first calls them churned (inactivity). Active at the start of the period = joined before its first
/// instant and not lost before it (lost exactly at the first instant counts as lost during the period).
struct churn_period {
  period when;                    ///< the calendar period
  std::uint64_t active_at_start;  ///< joined before when.start(), not lost before it
  std::uint64_t joined;           ///< first activity during the period (up to as_of)
  std::uint64_t lost_from_start;  ///< of active_at_start, lost during the period (up to as_of)
  std::uint64_t lost;             ///< all lost during the period: lost_from_start + joiners lost in it
  std::uint64_t active_at_end;    ///< active_at_start + joined − lost
  /// lost_from_start / active_at_start; empty when active_at_start is 0. The usual churn rate: joiners
  /// during the period are excluded from both sides.
  std::optional<double> rate;
  /// lost / (active_at_start + joined); empty when that is 0. The joiner-inclusive variant.
  std::optional<double> joiner_inclusive_rate;
  /// The period holds as_of: it is incomplete (its counts run only to as_of).
  bool current;
  /// Compares every field.
  friend bool operator==(const churn_period&, const churn_period&) = default;
};

namespace detail {

/// Counts joins and losses per period in one pass (a map from period index to three counters), then
/// turns them into a churn series with running sums (the per-period difference arrays):
/// active_at_start(p) = joins before p − losses before p. Cost: O(log P) per customer, O(P) at the end,
/// for P periods holding a join or a loss; memory O(P) and O(rows) for the series.
class churn_tally {
 public:
  explicit churn_tally(period_unit unit) noexcept : unit_(unit) {}

  /// One customer who joined at `join` and was lost at `lost` (empty: not lost). A loss before the
  /// join (impossible from one stream: activity sees every cancel) is moved to the join.
  void add(timestamp join, std::optional<timestamp> lost) {
    const auto jp = period_of(join, unit_).index;
    ++counts_[jp].joined;
    ++customers_;
    if (!lost) return;
    const auto lp = period_of(std::max(*lost, join), unit_).index;
    auto& c = counts_[lp];
    ++c.lost;
    if (lp == jp) ++c.lost_joiners;
    ++lost_;
  }
  [[nodiscard]] std::uint64_t customers() const noexcept { return customers_; }
  [[nodiscard]] std::uint64_t lost() const noexcept { return lost_; }

  /// The series from the first period holding a join to the period of `last` (every join and loss
  /// added must be at or before `last`); the last row is marked current when `last_is_current`.
  [[nodiscard]] std::vector<churn_period> series(timestamp last, bool last_is_current) const {
    std::vector<churn_period> out;
    if (counts_.empty()) return out;
    const auto first = counts_.begin()->first;
    const auto end = period_of(last, unit_).index;
    if (end < first) return out;
    out.reserve(static_cast<std::size_t>(end - first + 1));
    auto it = counts_.begin();
    std::uint64_t active = 0;
    for (std::int64_t p = first; p <= end; ++p) {
      churn_period row{};
      row.when = period{unit_, p};
      row.active_at_start = active;
      if (it != counts_.end() && it->first == p) {
        row.joined = it->second.joined;
        row.lost = it->second.lost;
        row.lost_from_start = it->second.lost - it->second.lost_joiners;
        ++it;
      }
      row.active_at_end = row.active_at_start + row.joined - row.lost;
      if (row.active_at_start > 0) {
        row.rate = static_cast<double>(row.lost_from_start) / static_cast<double>(row.active_at_start);
      }
      if (row.active_at_start + row.joined > 0) {
        row.joiner_inclusive_rate =
            static_cast<double>(row.lost) / static_cast<double>(row.active_at_start + row.joined);
      }
      row.current = last_is_current && p == end;
      active = row.active_at_end;
      out.push_back(row);
    }
    return out;
  }

 private:
  struct counts {
    std::uint64_t joined = 0;
    std::uint64_t lost = 0;
    std::uint64_t lost_joiners = 0;  ///< lost in the period they joined
  };
  period_unit unit_;
  std::map<std::int64_t, counts> counts_;
  std::uint64_t customers_ = 0;
  std::uint64_t lost_ = 0;
};

inline void check_churn_unit(period_unit unit, std::string_view metric) {
  if (!known_unit(unit)) {
    throw std::invalid_argument("metric '" + std::string(metric) + "': unit must be day, iso_week, month, quarter or year, got " +
                                std::to_string(static_cast<unsigned>(unit)));
  }
}

}  // namespace detail

// --- contractual churn -----------------------------------------------------------------------------

/// What contractual_churn reports as of a time.
struct contractual_churn_result {
  period_unit unit;         ///< the metric's period unit
  std::uint64_t customers;  ///< first activity at or before as_of
  std::uint64_t cancelled;  ///< of them, first cancel at or before as_of
  std::uint64_t remaining;  ///< customers − cancelled: not cancelled as of as_of
  /// One row per period, from the period of the earliest first activity to the period of as_of (the
  /// last row, marked current). When as_of is after latest_time (2106), the rows stop at the period of
  /// latest_time, after which nothing can change, and no row is marked current. Empty without customers.
  std::vector<churn_period> periods;
  /// Compares every field.
  friend bool operator==(const contractual_churn_result&, const contractual_churn_result&) = default;
};

/// A report-time metric: the contractual churn rate per calendar period.
///
/// - A customer joins at their first activity (cxm::activity's first_seen: any event kind, the cancel
///   itself included) and is lost at their **first** cancel (cxm::cancellation). A customer who cancels,
///   comes back and cancels again is lost once, at the first cancel, and does not count as active
///   after it: reactivations are not churn events of this metric (the last cancel is in
///   cancellation_result for hosts that want them).
/// - As of as_of, exactly: customers whose first activity is after as_of are left out; cancels after
///   as_of are not counted (both are minima, so later events do not change them). Times to the second.
/// - rate(p) = cancels during p of the customers active at p's start / customers active at p's start
///   (joiners during p excluded from both sides); joiner_inclusive_rate(p) = all first cancels during
///   p / (active at start + joined during p). Example: 100 active at the start, 5 of them cancel, 10
///   join → rate 5/100 = 5 %, inclusive 5/110 ≈ 4.5 %.
/// - Parameter: `unit`, the calendar period (month by default), saved and compared.
/// - Cost at report time: one pass over the customer table, O(log P) per customer, plus O(P) for the
///   series of P periods. Nothing per event (the per-customer states are activity's and cancellation's).
/// - Merge: nothing of its own; exact whenever activity and cancellation merge exactly (always).
/// - Result: contractual_churn_result. Thread safety: the engine's (docs/architecture.md, "Thread safety").
/// - Source: the contractual setting of Schmittlein, Morrison & Colombo (1987) and Fader & Hardie
///   (2009) (the top of this header; docs/metrics/churn-rate.md).
struct contractual_churn {
  /// Stable name, part of the saved engine.
  static constexpr std::string_view id = "contractual_churn";
  /// Format version of its saved state and parameters.
  static constexpr std::uint16_t version = 1;
  /// The per-customer metrics it reads.
  using depends_on = metric_list<activity, cancellation>;

  period_unit unit = period_unit::month;  ///< the period of the series

  /// Visits each parameter by name: saved with the engine, compared by merge.
  template <class Self, class V>
  static void parameters(Self& self, V& visit) {
    visit("unit", self.unit);
  }
  /// Throws std::invalid_argument for an unknown unit.
  void configure(const kind_registry&) const { detail::check_churn_unit(unit, id); }

  /// Its figures in the report, computed from the customer table as of rc.as_of().
  template <class ReportContext>
  [[nodiscard]] contractual_churn_result result(const ReportContext& rc) const {
    const auto as_of = rc.as_of();
    detail::churn_tally tally(unit);
    rc.for_each_customer([&](const auto& customer) {
      const auto& a = customer.template get<activity>();
      if (!a.seen()) return;
      const auto join = from_seconds32(a.first_seen);
      if (join > as_of) return;
      const auto& c = customer.template get<cancellation>();
      std::optional<timestamp> lost;
      if (c.cancelled() && from_seconds32(c.first) <= as_of) lost = from_seconds32(c.first);
      tally.add(join, lost);
    });
    const auto last = std::min(as_of, latest_time);
    contractual_churn_result r{unit, tally.customers(), tally.lost(), tally.customers() - tally.lost(), {}};
    r.periods = tally.series(last, period_of(last, unit) == period_of(as_of, unit));
    return r;
  }
};

// --- non-contractual (inactivity) churn --------------------------------------------------------------

/// What inactivity_churn reports as of a time.
struct inactivity_churn_result {
  std::chrono::milliseconds threshold;  ///< the metric's inactivity threshold
  period_unit unit;                     ///< the metric's period unit
  /// Customers evaluated: first and last activity at or before as_of (to the second).
  std::uint64_t customers;
  std::uint64_t churned;  ///< of them, last activity more than `threshold` before as_of
  std::uint64_t remaining;  ///< customers − churned: active as of as_of
  std::optional<double> rate;  ///< churned / customers; empty without customers
  /// Customers with activity at or before as_of **and** after it: their last activity as of as_of is
  /// not known to the record (activity keeps only the latest), so they are left out of every figure
  /// here and counted. 0 for a report of the present (as_of at or after every event).
  std::uint64_t excluded_later_events;
  /// The churn series under the same rule (see inactivity_churn); rows as in contractual_churn_result,
  /// stopping at the period of latest_time + threshold when as_of is later.
  std::vector<churn_period> periods;
  /// Compares every field.
  friend bool operator==(const inactivity_churn_result&, const inactivity_churn_result&) = default;
};

/// A report-time metric: non-contractual churn, "no activity for longer than a threshold".
///
/// - As of as_of: a customer is churned when as_of − last activity > threshold (exactly the threshold
///   is not yet churned). Customers whose first activity is after as_of are left out; customers with
///   activity after as_of are left out and counted (excluded_later_events), see the result.
/// - Series: a customer joins at their first activity and is lost at the first instant the rule calls
///   them churned, last activity + threshold + 1 ms: they churn in the period holding that instant,
///   among the customers not churned at the period's start (the same bookkeeping as contractual_churn).
///   The rule reads the last activity only: a customer who was inactive for longer than the threshold
///   and came back is not counted as having churned during the gap. Losses after as_of are not counted.
/// - Parameters: `threshold` (default 90 days; 1 ms .. 73000 days) and `unit` (month by default), saved
///   and compared.
/// - Cost at report time: one pass over the table, O(log P) per customer, plus O(P) for the series.
///   Nothing per event (the per-customer state is activity's). Merge: exact, as activity's.
/// - Source: the inactivity rule of non-contractual settings, e.g. Fader & Hardie (2009), section 2;
///   the threshold is the host's choice (90 days is a common default, not a published constant).
/// - Result: inactivity_churn_result. Thread safety: the engine's (docs/architecture.md, "Thread safety").
struct inactivity_churn {
  /// Stable name, part of the saved engine.
  static constexpr std::string_view id = "inactivity_churn";
  /// Format version of its saved state and parameters.
  static constexpr std::uint16_t version = 1;
  /// The per-customer metrics it reads.
  using depends_on = metric_list<activity>;
  /// The longest threshold accepted (about 200 years: any time plus it stays a valid timestamp).
  static constexpr std::chrono::milliseconds max_threshold = std::chrono::days{73'000};

  std::chrono::milliseconds threshold = std::chrono::days{90};  ///< inactivity longer than this = churned
  period_unit unit = period_unit::month;                        ///< the period of the series

  /// Visits each parameter by name: saved with the engine, compared by merge.
  template <class Self, class V>
  static void parameters(Self& self, V& visit) {
    visit("threshold", self.threshold);
    visit("unit", self.unit);
  }
  /// Throws std::invalid_argument for a threshold outside 1 ms .. 73000 days or an unknown unit.
  void configure(const kind_registry&) const {
    if (threshold.count() <= 0 || threshold > max_threshold) {
      throw std::invalid_argument("metric 'inactivity_churn': threshold must be between 1 ms and 73000 days, got " +
                                  std::to_string(threshold.count()) + " ms");
    }
    detail::check_churn_unit(unit, id);
  }

  /// Its figures in the report, computed from the customer table as of rc.as_of().
  template <class ReportContext>
  [[nodiscard]] inactivity_churn_result result(const ReportContext& rc) const {
    const auto as_of = rc.as_of();
    const auto as_of_second = std::chrono::floor<std::chrono::seconds>(as_of);
    detail::churn_tally tally(unit);
    std::uint64_t excluded = 0;
    rc.for_each_customer([&](const auto& customer) {
      const auto& a = customer.template get<activity>();
      if (!a.seen()) return;
      const auto join = from_seconds32(a.first_seen);
      if (join > as_of) return;
      const auto last = from_seconds32(a.last_seen);
      if (last > as_of_second) {
        ++excluded;
        return;
      }
      // Churned at t when t − last > threshold, i.e. from last + threshold + 1 ms on.
      const auto churn_at = saturating_add(last, threshold + std::chrono::milliseconds{1});
      std::optional<timestamp> lost;
      if (churn_at <= as_of) lost = churn_at;
      tally.add(join, lost);
    });
    inactivity_churn_result r{threshold, unit, tally.customers(), tally.lost(), tally.customers() - tally.lost(),
                              std::nullopt, excluded, {}};
    if (r.customers > 0) r.rate = static_cast<double>(r.churned) / static_cast<double>(r.customers);
    const auto horizon = saturating_add(latest_time, threshold + std::chrono::milliseconds{1});
    const auto last = std::min(as_of, horizon);
    r.periods = tally.series(last, period_of(last, unit) == period_of(as_of, unit));
    return r;
  }
};

// --- converting rates ------------------------------------------------------------------------------

namespace detail {
inline void check_rate(double rate, std::string_view what) {
  if (!(rate >= 0.0 && rate <= 1.0)) {
    throw std::invalid_argument(std::string(what) + " must be between 0 and 1, got " + std::to_string(rate));
  }
}
}  // namespace detail

/// The churn over `periods` periods at a constant per-period rate: 1 − (1 − rate)^periods (each
/// period loses the same share of those left). `rate` in [0, 1], `periods` finite and ≥ 0, else
/// std::invalid_argument naming the parameter. O(1).
inline double compound_churn(double rate, double periods) {
  detail::check_rate(rate, "compound_churn: rate");
  if (!(std::isfinite(periods) && periods >= 0.0)) {
    throw std::invalid_argument("compound_churn: periods must be finite and >= 0, got " + std::to_string(periods));
  }
  if (rate == 1.0) return periods > 0.0 ? 1.0 : 0.0;
  // −expm1(n·log1p(−r)) = 1 − (1 − r)^n without the cancellation of 1 − pow(...) for small rates.
  return -std::expm1(periods * std::log1p(-rate));
}

/// Annual churn from a constant monthly rate: 1 − (1 − monthly)^12 (0.05 → 1 − 0.95^12 ≈ 0.45964).
/// `monthly` in [0, 1], else std::invalid_argument naming it. O(1).
inline double annual_churn_from_monthly(double monthly) {
  detail::check_rate(monthly, "annual_churn_from_monthly: monthly");
  return compound_churn(monthly, 12.0);
}

/// The constant monthly rate giving an annual churn: 1 − (1 − annual)^(1/12), the inverse of
/// annual_churn_from_monthly. `annual` in [0, 1], else std::invalid_argument naming it. O(1).
inline double monthly_churn_from_annual(double annual) {
  detail::check_rate(annual, "monthly_churn_from_annual: annual");
  return compound_churn(annual, 1.0 / 12.0);
}

// --- revenue retention -----------------------------------------------------------------------------

// revenue_pair, revenue_retention_result and revenue_retention() live in cxm/churn/revenue_retention.hpp
// (included above), next to the stream metric revenue_retention_series.

}  // namespace cxm
