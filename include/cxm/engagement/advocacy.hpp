#pragma once
/// \file
/// Advocacy and loyalty (issue #14, "Engagement"): referral and loyalty-event rates per customer and
/// per calendar period, and the share of customers who referred anyone. Definitions in
/// docs/metrics/stickiness.md ("Advocacy").
///
/// Two metrics:
///   cxm::advocacy             report-time (depends_on cxm::activity): over the customer table, the
///                             customers who referred anyone (activity's referral count > 0), their
///                             share, referrals per customer and per referrer; loyalty events likewise.
///   cxm::basic_advocacy_per_period<Unit>  global: referral and loyalty events counted per calendar
///                             period (exact, mergeable under any split, order-independent).
///
/// cxm::per_period cannot be used for the per-period counts: it wraps an accumulator with the
/// type_tag / format_version / result() protocol of core/accumulator.hpp, and there is no built-in
/// "count of a kind" accumulator; a small map of counts is simpler and exact.
///
/// activity counts every event it received, also those after as_of: advocacy says how many customers
/// have events after as_of (their counts include them) and sets includes_later_events.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "cxm/events/customer_metrics.hpp"
#include "cxm/events/event_kind.hpp"
#include "cxm/events/kind_registry.hpp"
#include "cxm/events/metric.hpp"
#include "cxm/events/observation.hpp"
#include "cxm/events/time.hpp"
#include "cxm/io/reader.hpp"
#include "cxm/io/writer.hpp"

namespace cxm {

/// Counts and rates of one event kind (referral or loyalty) over the customers.
struct advocacy_figures {
  std::uint64_t events;     ///< events of the kind, summed over the counted customers
  std::uint64_t customers;  ///< counted customers with at least one event of the kind
  std::optional<double> share;                 ///< customers / all counted customers; empty without customers
  std::optional<double> per_customer;          ///< events / all counted customers; empty without customers
  std::optional<double> per_active_customer;   ///< events / customers (with the kind); empty when customers == 0
  /// Compares every field.
  friend bool operator==(const advocacy_figures&, const advocacy_figures&) = default;
};

/// What advocacy reports as of a time.
struct advocacy_result {
  std::uint64_t customers;        ///< customers whose first event is at or before as_of
  advocacy_figures referrals;     ///< referral events; customers = referrers
  advocacy_figures loyalty;       ///< loyalty events; customers = customers with a loyalty event
  std::uint64_t customers_with_later_events;  ///< counted customers with events after as_of
  bool includes_later_events;     ///< customers_with_later_events > 0: their later events are counted
  bool saturated;                 ///< a counted customer's activity counter saturated: counts are lower bounds
  /// Compares every field.
  friend bool operator==(const advocacy_result&, const advocacy_result&) = default;
};

/// A report-time metric over the customer table: the share of customers who referred anyone,
/// referrals per customer and per referrer, and the same for loyalty events. Reads cxm::activity
/// (counts per kind, first and last event). Customers whose first event is after as_of are left out.
/// Cost: one pass over the table, O(1) per customer. No parameters.
/// Result: advocacy_result. Nothing per event; merge: no state of its own.
/// Thread safety: the engine's (docs/architecture.md, "Thread safety").
/// Definitions and sources: docs/metrics/stickiness.md.
struct advocacy {
  /// Stable name, part of the saved engine.
  static constexpr std::string_view id = "advocacy";
  /// Format version of its saved state and parameters.
  static constexpr std::uint16_t version = 1;
  /// The per-customer metrics it reads.
  using depends_on = metric_list<activity>;

  /// Its figures in the report, computed from the customer table as of rc.as_of().
  template <class ReportContext>
  [[nodiscard]] advocacy_result result(const ReportContext& rc) const {
    advocacy_result r{};
    // activity keeps times to the second: an event later in as_of's own second is not "later".
    const auto as_of = std::chrono::floor<std::chrono::seconds>(rc.as_of());
    rc.for_each_customer([&](const auto& customer) {
      const auto& a = customer.template get<activity>();
      if (!a.seen() || from_seconds32(a.first_seen) > as_of) return;
      ++r.customers;
      if (from_seconds32(a.last_seen) > as_of) ++r.customers_with_later_events;
      if (a.saturated != 0) r.saturated = true;
      tally(r.referrals, a.count(event_kind::referral));
      tally(r.loyalty, a.count(event_kind::loyalty));
    });
    r.includes_later_events = r.customers_with_later_events > 0;
    rates(r.referrals, r.customers);
    rates(r.loyalty, r.customers);
    return r;
  }

 private:
  static void tally(advocacy_figures& f, std::uint64_t n) noexcept {
    // Per-customer counts are u32: the sum of 2^32 of them cannot overflow u64 in practice; saturate anyway.
    f.events = n > std::numeric_limits<std::uint64_t>::max() - f.events ? std::numeric_limits<std::uint64_t>::max() : f.events + n;
    if (n > 0) ++f.customers;
  }
  static void rates(advocacy_figures& f, std::uint64_t customers) noexcept {
    if (customers > 0) {
      f.share = static_cast<double>(f.customers) / static_cast<double>(customers);
      f.per_customer = static_cast<double>(f.events) / static_cast<double>(customers);
    }
    if (f.customers > 0) f.per_active_customer = static_cast<double>(f.events) / static_cast<double>(f.customers);
  }
};

/// Referral and loyalty events of one calendar period.
struct advocacy_period {
  period when;                 ///< the calendar period
  std::uint64_t referrals;     ///< referral events in it
  std::uint64_t loyalty;       ///< loyalty events in it
  bool complete;               ///< false for as_of's own period (still open)
  /// Compares every field.
  friend bool operator==(const advocacy_period&, const advocacy_period&) = default;
};

/// What advocacy_per_period reports as of a time.
struct advocacy_per_period_result {
  std::vector<advocacy_period> periods;  ///< every period with events up to as_of's, oldest first
  std::uint64_t later_events;            ///< events in periods after as_of's (left out of periods)
  /// Compares every field.
  friend bool operator==(const advocacy_per_period_result&, const advocacy_per_period_result&) = default;
};

/// A global metric: referral and loyalty events per calendar period of `Unit` (id
/// "advocacy_per_period", parameter "unit" fixed by the type, saved and compared). An event lands in
/// the period of its own time: exact, order-independent, merge = sum per period under any split.
/// Cost per update: O(log periods) (a std::map); memory: 24 bytes per period with events.
/// Result: advocacy_per_period_result. Thread safety: the engine's (docs/architecture.md, "Thread safety").
template <period_unit Unit = period_unit::month>
struct basic_advocacy_per_period {
  static_assert(static_cast<std::size_t>(Unit) < period_unit_count, "cxm: advocacy_per_period needs a known period unit");

  /// Counts per period index (periods since 1970 of Unit).
  struct state {
    /// One period's counts.
    struct counts {
      std::uint64_t referrals = 0;  ///< referral events
      std::uint64_t loyalty = 0;  ///< loyalty events
      /// Compares every field.
      friend bool operator==(const counts&, const counts&) = default;
    };
    std::map<std::int64_t, counts> by_period;  ///< period index -> counts; periods with events only

    /// Adds the other's counts, period by period.
    void merge(const state& o) {
      for (const auto& [p, c] : o.by_period) {
        auto& mine = by_period[p];
        mine.referrals += c.referrals;
        mine.loyalty += c.loyalty;
      }
    }
    /// Count (u64), then per period in ascending order: index (i64), referrals (u64), loyalty (u64).
    void save(io::writer& w) const {
      w.u64(by_period.size());
      for (const auto& [p, c] : by_period) {
        w.i64(p);
        w.u64(c.referrals);
        w.u64(c.loyalty);
      }
    }
    /// Validates: indices strictly ascending, each the period of a representable time (1970 .. 2106),
    /// no period without events.
    static state load(io::reader& r) {
      state s;
      const auto n = r.length("advocacy_per_period: periods", 24);
      std::optional<std::int64_t> previous;
      for (std::size_t i = 0; i < n; ++i) {
        const auto p = r.i64("advocacy_per_period: period index");
        if (p < first_index || p > last_index) {
          io::reader::fail("advocacy_per_period: period index " + std::to_string(p) + " is outside the representable range");
        }
        if (previous && p <= *previous) io::reader::fail("advocacy_per_period: period indices are not ascending");
        previous = p;
        counts c;
        c.referrals = r.u64("advocacy_per_period: referrals");
        c.loyalty = r.u64("advocacy_per_period: loyalty events");
        if (c.referrals == 0 && c.loyalty == 0) io::reader::fail("advocacy_per_period: a period without events");
        s.by_period.emplace_hint(s.by_period.end(), p, c);
      }
      return s;
    }
    /// Compares every field.
    friend bool operator==(const state&, const state&) = default;
  };

  /// Stable name, part of the saved engine.
  static constexpr std::string_view id = "advocacy_per_period";
  /// Format version of its saved state and parameters.
  static constexpr std::uint16_t version = 1;
  /// The event kinds it receives.
  static constexpr kind_set listens{event_kind::referral, event_kind::loyalty};
  static constexpr period_unit period_unit_v = Unit;  ///< the calendar unit of the periods

  /// Fixed by the type; a member only so that it is saved and compared.
  period_unit unit = Unit;

  /// Visits each parameter by name: saved with the engine, compared by merge.
  template <class Self, class V>
  static void parameters(Self& self, V& visit) {
    visit("unit", self.unit);
  }
  /// Refuses a unit other than the type's (a state saved by another instantiation).
  void configure(const kind_registry&) const {
    if (unit != Unit) {
      throw std::invalid_argument("metric 'advocacy_per_period': parameter 'unit' is " +
                                  std::to_string(static_cast<int>(unit)) + ", this type counts per " +
                                  std::string(to_string(Unit)));
    }
  }
  /// An empty state with the metric's parameters.
  [[nodiscard]] state make() const { return {}; }
  /// Precondition: o.time representable (the engine guarantees it). O(log periods).
  template <class Context>
  void on(state& s, const observation& o, const Context&) const {
    auto& c = s.by_period[period_of(o.time, Unit).index];
    if (o.kind == event_kind::referral) {
      ++c.referrals;
    } else {
      ++c.loyalty;
    }
  }
  /// The periods up to as_of's (as_of's marked incomplete); later periods are counted in later_events.
  template <class ReportContext>
  [[nodiscard]] advocacy_per_period_result result(const state& s, const ReportContext& rc) const {
    advocacy_per_period_result r{};
    const auto now = period_of(rc.as_of(), Unit).index;
    for (const auto& [p, c] : s.by_period) {
      if (p > now) {
        r.later_events += c.referrals + c.loyalty;
      } else {
        r.periods.push_back({period{Unit, p}, c.referrals, c.loyalty, p != now});
      }
    }
    return r;
  }

 private:
  static constexpr std::int64_t first_index = period_of(earliest_time, Unit).index;
  static constexpr std::int64_t last_index = period_of(latest_time, Unit).index;
};

/// Referral and loyalty events per calendar month: id "advocacy_per_period".
using advocacy_per_period = basic_advocacy_per_period<>;

}  // namespace cxm
