#pragma once
/// \file
/// Revenue retention (issue #14, "Churn and retention": "revenue churn: gross and net revenue retention
/// from purchase amounts per period"). Definitions, the choice of base and sources:
/// docs/metrics/churn-rate.md ("Revenue retention").
///
///   revenue_retention(pairs)   pure function over per-customer (revenue in p − 1, revenue in p) pairs.
///   cxm::basic_revenue_periods<Unit, Periods>  per-customer: the customer's purchase revenue in each of
///                              the last Periods calendar periods (a ring), 8 · Periods + 16 bytes.
///   cxm::basic_revenue_retention_series<Unit, Periods>  global (depends_on the above): for EVERY period
///                              p of the stream, the figures of revenue_retention over the customers who
///                              had revenue in p − 1, kept up to date event by event.
///
/// The base: period p's row is over the customers with purchase revenue in p − 1 (> 0), as the pure
/// function's: NRR(p) = Σ rev_c(p) / Σ rev_c(p − 1), GRR(p) = Σ min(rev_c(p), rev_c(p − 1)) / Σ rev_c(p − 1).
/// Revenue = the amounts of purchase events (refunds are not subtracted; purchases of 0 are ignored).
/// The unit decides the comparison: month-over-month by default; `year` gives the annual NRR / GRR of
/// the SaaS surveys (last year's paying customers, their revenue this year against last year).
///
/// Exactness under out-of-order events. A purchase in period p changes the pairs (p − 1, p) and
/// (p, p + 1): the metric needs the customer's revenue in p − 1, p and p + 1 before the event. The ring
/// keeps the periods latest − Periods + 1 .. latest (latest = the customer's latest purchase period), so a
/// purchase is COUNTED when p − 1 >= max(latest, p) − Periods + 1: every purchase in or after the
/// customer's latest period, and late ones up to Periods − 2 periods behind it. An older one is not
/// counted and not added to the ring (so the ring holds exactly the counted revenue and every later
/// update stays consistent); it is counted (events and amount) in the customer's `untracked` and in the
/// series' untracked figures of its period, and reported. With no untracked event, the series equals
/// revenue_retention over the per-customer revenues of all events.
///
/// Merge: the series' periods add up; the rings align on the later latest period and add up. The
/// per-period sums of distinct customers are exact only when each customer lives in one part
/// (parallel_ingest partitions by customer): both metrics declare exact_only_when_partitioned and the
/// engine reports customers_merged_from_both_sides.
///
/// Floating point. The series keeps, per period, four monotone sums (compensated, Neumaier): starting
/// revenue Σ rev(p − 1), the base revenue of the customers with revenue in p too, retained Σ min, and
/// ending Σ rev(p); churned, contraction and expansion revenue are derived from them (differences,
/// clamped at 0; churned is exactly 0 when no base customer is without revenue in p). A purchase that
/// adds to a period already holding revenue changes min(rev(p), rev(p − 1)) by a difference computed in
/// floating point, so the figures agree with revenue_retention over the same revenues to rounding
/// (about 1e-15 relative to the starting revenue per purchase), whatever the arrival order or split.
///
/// The transient field. The engine updates per-customer metrics before global ones and a global metric
/// reads its dependencies already updated; whether the event's period held revenue before cannot be
/// told from the updated ring exactly, so basic_revenue_periods records the outcome of its last update
/// in `last_event`, read by the series in the same event. It is not saved, not compared by ==, and
/// cleared by merge and load.
///
/// Cost per purchase: O(1) per customer (ring of Periods doubles); the series O(log P) for P periods with
/// data. Memory: 8 · Periods + 16 bytes per customer (48 with the default 4 periods); 136 bytes per
/// period in the series.

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <ranges>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cxm/core/compensated_sum.hpp"
#include "cxm/events/event_kind.hpp"
#include "cxm/events/kind_registry.hpp"
#include "cxm/events/metric.hpp"
#include "cxm/events/observation.hpp"
#include "cxm/events/time.hpp"
#include "cxm/io/reader.hpp"
#include "cxm/io/writer.hpp"

namespace cxm {

// --- the pure function -------------------------------------------------------------------------------

/// One customer's revenue in two consecutive periods (same currency; both finite and ≥ 0).
struct revenue_pair {
  double previous;  ///< revenue in period p − 1
  double current;   ///< revenue in period p
};

/// Gross and net revenue retention from period p − 1 to p, over the customers with revenue in p − 1.
struct revenue_retention_result {
  std::uint64_t customers;      ///< pairs with previous > 0 (the starting base)
  std::uint64_t new_customers;  ///< pairs with previous = 0 and current > 0: left out of both ratios
  double starting_revenue;      ///< Σ previous over the base
  double retained_revenue;      ///< Σ min(current, previous) over the base
  double ending_revenue;        ///< Σ current over the base
  double churned_revenue;       ///< Σ previous over the base customers with current = 0
  double contraction_revenue;   ///< Σ (previous − current) over the base with 0 < current < previous
  double expansion_revenue;     ///< Σ (current − previous) over the base with current > previous
  /// retained / starting (GRR, in [0, 1]); empty when starting revenue is 0.
  std::optional<double> gross_retention;
  /// ending / starting (NRR, ≥ 0, above 1 when expansion exceeds churn and contraction); empty likewise.
  std::optional<double> net_retention;
  /// Compares every field.
  friend bool operator==(const revenue_retention_result&, const revenue_retention_result&) = default;
};

/// Gross and net revenue retention over per-customer (revenue in p − 1, revenue in p) pairs:
///   GRR = Σ min(r_p, r_{p−1}) / Σ r_{p−1},  NRR = Σ r_p / Σ r_{p−1},
/// both over the customers with r_{p−1} > 0 (new customers of period p are left out; they are
/// counted in new_customers). Definitions as commonly used for subscription businesses, e.g.
/// KeyBanc Capital Markets & Sapphire Ventures, "SaaS Survey" (annual), and Bessemer Venture
/// Partners, "State of the Cloud" (NRR = net dollar retention).
///
/// Pure function: any input range of revenue_pair; O(n), no allocation; sums are compensated
/// (Neumaier), so the result does not depend on the order of the pairs beyond about one ulp. Throws
/// std::invalid_argument naming the pair and the field when a revenue is NaN, infinite or negative.
/// The per-customer pairs are the host's; from an engine's purchase events, revenue_retention_series
/// (below) gives the same figures for every period.
template <std::ranges::input_range R>
  requires std::convertible_to<std::ranges::range_reference_t<R>, revenue_pair>
[[nodiscard]] revenue_retention_result revenue_retention(R&& pairs) {
  compensated_sum start, retained, ending, churned, contraction, expansion;
  std::uint64_t customers = 0, newcomers = 0;
  std::size_t i = 0;
  for (auto&& item : pairs) {
    const revenue_pair x = item;
    for (const auto& [v, name] : {std::pair{x.previous, "previous"}, std::pair{x.current, "current"}}) {
      if (!(std::isfinite(v) && v >= 0.0)) {
        throw std::invalid_argument("revenue_retention: pair " + std::to_string(i) + ": " + name +
                                    " revenue must be finite and >= 0, got " + std::to_string(v));
      }
    }
    ++i;
    if (x.previous == 0.0) {
      if (x.current > 0.0) ++newcomers;
      continue;
    }
    ++customers;
    start.add(x.previous);
    retained.add(std::min(x.current, x.previous));
    ending.add(x.current);
    if (x.current == 0.0) {
      churned.add(x.previous);
    } else if (x.current < x.previous) {
      contraction.add(x.previous - x.current);
    } else {
      expansion.add(x.current - x.previous);
    }
  }
  revenue_retention_result r{customers,     newcomers,         start.value(),       retained.value(),
                             ending.value(), churned.value(), contraction.value(), expansion.value(),
                             std::nullopt,   std::nullopt};
  if (r.starting_revenue > 0.0) {
    r.gross_retention = std::min(1.0, r.retained_revenue / r.starting_revenue);
    r.net_retention = r.ending_revenue / r.starting_revenue;
  }
  return r;
}

// --- per customer: the revenue of the last periods ---------------------------------------------------

/// What basic_revenue_periods reports for one customer as of a time.
struct revenue_periods_result {
  std::optional<period> latest;  ///< the latest period with purchase revenue; empty: none yet
  std::vector<double> revenue;   ///< revenue of the tracked periods ending at latest, oldest first
  std::uint32_t untracked;       ///< purchases not counted (past the horizon, see the file's top)
  bool includes_later_events;    ///< latest is after as_of's period (its revenue is included)
  /// Compares every field.
  friend bool operator==(const revenue_periods_result&, const revenue_periods_result&) = default;
};

namespace detail {
inline void check_fixed_parameters(std::string_view metric, period_unit unit, period_unit type_unit, std::uint32_t periods,
                                   std::uint32_t type_periods) {
  if (unit != type_unit) {
    throw std::invalid_argument("metric '" + std::string(metric) + "': parameter 'unit' is " +
                                std::to_string(static_cast<int>(unit)) + ", this type counts per " +
                                std::string(to_string(type_unit)));
  }
  if (periods != type_periods) {
    throw std::invalid_argument("metric '" + std::string(metric) + "': parameter 'periods' is " + std::to_string(periods) +
                                ", this type keeps " + std::to_string(type_periods));
  }
}
}  // namespace detail

/// Each customer's purchase revenue in the last `Periods` calendar periods of `Unit` (2 .. 64), a ring
/// ending at the customer's latest purchase period (see the top of the file). Listens to purchases.
/// The unit and the number of periods are template arguments (the series that reads the state knows
/// them from the type) and parameters "unit" and "periods" (saved, compared at merge and load).
/// Result: revenue_periods_result. Per purchase O(1); 8 · Periods + 16 bytes per customer. Merge: the
/// rings aligned on the later latest period and added; exact only when each customer lives in one
/// part (exact_only_when_partitioned). Thread safety: the engine's (docs/architecture.md, "Thread safety").
/// Definitions and sources: docs/metrics/retention.md.
template <period_unit Unit = period_unit::month, std::uint32_t Periods = 4>
struct basic_revenue_periods {
  static_assert(Periods >= 2 && Periods <= 64, "cxm: revenue_periods keeps 2 to 64 periods");
  static_assert(static_cast<std::size_t>(Unit) < period_unit_count, "cxm: revenue_periods needs a known period unit");

  /// What the customer's last update did (transient: see the top of the file).
  enum class outcome : std::uint8_t {
    none = 0,             ///< no counted update (a purchase of 0, or nothing since the last merge or load)
    untracked = 1,        ///< the purchase lies past the horizon: not counted
    added = 2,            ///< added to a period that already held revenue
    first_in_period = 3,  ///< the period's first revenue
  };
  /// Value-initialised = no revenue yet.
  struct state {
    std::array<double, Periods> revenue{};  ///< slot p % Periods: revenue of period p, latest − Periods < p <= latest
    std::uint32_t latest = 0;               ///< latest period with revenue (0 while none)
    std::uint32_t untracked = 0;            ///< purchases past the horizon (saturating at 2^32 − 1)
    outcome last_event = outcome::none;     ///< transient: not saved, not compared
    /// Compares the saved fields (not last_event).
    friend constexpr bool operator==(const state& a, const state& b) noexcept {
      return a.revenue == b.revenue && a.latest == b.latest && a.untracked == b.untracked;
    }
    /// Whether the customer has revenue.
    [[nodiscard]] constexpr bool seen() const noexcept { return revenue[latest % Periods] > 0.0; }
    /// The revenue of period p: 0 outside latest − Periods + 1 .. latest.
    [[nodiscard]] constexpr double in(std::int64_t p) const noexcept {
      if (p < 0 || p > std::int64_t{latest} || p + std::int64_t{Periods} <= std::int64_t{latest}) return 0.0;
      return revenue[static_cast<std::size_t>(p % std::int64_t{Periods})];
    }
  };

  /// Stable name, part of the saved engine.
  static constexpr std::string_view id = "revenue_periods";
  /// Format version of its saved state and parameters.
  static constexpr std::uint16_t version = 1;
  /// The event kinds it receives.
  static constexpr kind_set listens{event_kind::purchase};
  /// Its merge is exact only when each customer lives in one part (events/metric.hpp, "exact merges").
  static constexpr bool exact_only_when_partitioned = true;
  static constexpr period_unit period_unit_v = Unit;  ///< the calendar unit of the periods
  static constexpr std::uint32_t tracked_periods = Periods;  ///< periods kept back from the latest

  /// Fixed by the type; members only so that they are saved and compared.
  period_unit unit = Unit;
  std::uint32_t periods = Periods;  ///< = Periods

  /// Visits each parameter by name: saved with the engine, compared by merge.
  template <class Self, class V>
  static void parameters(Self& self, V& visit) {
    visit("unit", self.unit);
    visit("periods", self.periods);
  }
  /// Refuses parameters other than the type's, and a registry where purchases carry no amount.
  void configure(const kind_registry& kinds) const {
    detail::check_fixed_parameters(id, unit, Unit, periods, Periods);
    if (kinds[event_kind::purchase].value != value_kind::amount) {
      throw std::invalid_argument("metric 'revenue_periods': purchase must carry an amount in the kind registry");
    }
  }

  /// Whether a purchase in period p can be counted for a customer whose latest period is `latest`.
  static constexpr bool countable(std::uint32_t latest, std::uint32_t p) noexcept {
    return std::uint64_t{p} + Periods >= std::uint64_t{std::max(latest, p)} + 2;
  }

  /// Precondition: o.time representable and o.value finite and >= 0 (the engine guarantees both). O(1).
  template <class Context>
  void on(state& s, const observation& o, const Context&) const noexcept {
    const double amount = o.value;
    if (!(amount > 0.0)) {
      s.last_event = outcome::none;
      return;
    }
    const auto p = static_cast<std::uint32_t>(period_of(o.time, Unit).index);
    if (!s.seen()) {
      s.revenue = {};
      s.latest = p;
    } else if (!countable(s.latest, p)) {
      if (s.untracked != std::numeric_limits<std::uint32_t>::max()) ++s.untracked;
      s.last_event = outcome::untracked;
      return;
    } else if (p > s.latest) {
      const auto clear = std::min<std::uint32_t>(p - s.latest, Periods);
      for (std::uint32_t q = p - clear + 1; q <= p; ++q) s.revenue[q % Periods] = 0.0;
      s.latest = p;
    }
    double& slot = s.revenue[p % Periods];
    s.last_event = slot == 0.0 ? outcome::first_in_period : outcome::added;
    slot += amount;
  }
  /// Align on the later latest period and add the revenues; untracked summed (saturating);
  /// last_event cleared. O(Periods).
  void merge(state& a, const state& b) const noexcept {
    if (b.seen()) {
      if (!a.seen()) {
        a.revenue = b.revenue;
        a.latest = b.latest;
      } else {
        const auto top = std::max(a.latest, b.latest);
        std::array<double, Periods> out{};
        for (std::uint32_t i = 0; i < Periods && i <= top; ++i) {
          const auto q = std::int64_t{top} - i;
          out[static_cast<std::size_t>(q % Periods)] = a.in(q) + b.in(q);
        }
        a.revenue = out;
        a.latest = top;
      }
    }
    const auto room = std::numeric_limits<std::uint32_t>::max() - a.untracked;
    a.untracked = b.untracked > room ? std::numeric_limits<std::uint32_t>::max() : a.untracked + b.untracked;
    a.last_event = outcome::none;
  }

  /// The customer's figures as of the context's as_of().
  template <class Context>
  [[nodiscard]] revenue_periods_result result(const state& s, const Context& ctx) const {
    revenue_periods_result r{};
    r.untracked = s.untracked;
    if (!s.seen()) return r;
    r.latest = period{Unit, s.latest};
    for (std::uint32_t i = Periods; i-- > 0;) r.revenue.push_back(s.in(std::int64_t{s.latest} - i));
    r.includes_later_events = std::int64_t{s.latest} > period_of(ctx.as_of(), Unit).index;
    return r;
  }

  /// The ring in slot order (Periods × f64), latest (u32), untracked (u32). last_event is not saved.
  void save(const state& s, io::writer& w) const {
    for (const double x : s.revenue) w.f64(x);
    w.u32(s.latest);
    w.u32(s.untracked);
  }
  /// Validates: every revenue finite and >= 0; without revenue in the latest period, everything 0;
  /// with it, a representable latest period and no revenue in a period before 1970.
  state load(io::reader& r, std::uint16_t) const {
    state s;
    for (auto& x : s.revenue) x = r.non_negative_f64("revenue_periods: revenue");
    s.latest = r.u32("revenue_periods: latest period");
    s.untracked = r.u32("revenue_periods: untracked purchases");
    if (!s.seen()) {
      if (std::any_of(s.revenue.begin(), s.revenue.end(), [](double x) { return x != 0.0; })) {
        io::reader::fail("revenue_periods: revenue without any in the latest period");
      }
      if (s.latest != 0) io::reader::fail("revenue_periods: a latest period without any revenue");
      if (s.untracked != 0) io::reader::fail("revenue_periods: untracked purchases without any revenue");
      return s;
    }
    if (s.latest > max_index) {
      io::reader::fail("revenue_periods: latest period " + std::to_string(s.latest) + " is past the representable range");
    }
    for (std::uint32_t i = s.latest + 1; i < Periods; ++i) {
      if (s.revenue[(s.latest + Periods - i) % Periods] != 0.0) io::reader::fail("revenue_periods: revenue before 1970");
    }
    return s;
  }

 private:
  static constexpr std::uint32_t max_index = static_cast<std::uint32_t>(period_of(latest_time, Unit).index);
};

/// Monthly revenue of the last 4 months (late purchases up to 2 months behind are counted):
/// id "revenue_periods", 48 bytes per customer.
using revenue_periods = basic_revenue_periods<>;

// --- the series ------------------------------------------------------------------------------------------

/// One period of revenue_retention_series.
struct revenue_retention_period {
  period when;                       ///< period p: the pair (p − 1, p)
  revenue_retention_result figures;  ///< as revenue_retention over the customers' (rev(p − 1), rev(p))
  bool complete;                     ///< false for as_of's own period (still open; its bucket holds all its purchases)
  std::uint64_t untracked_events;    ///< purchases in p not counted (past the horizon)
  double untracked_revenue;          ///< their amounts
  /// Compares every field.
  friend bool operator==(const revenue_retention_period&, const revenue_retention_period&) = default;
};

/// What revenue_retention_series reports as of a time.
struct revenue_retention_series_result {
  period_unit unit;                              ///< the periods' unit
  std::vector<revenue_retention_period> periods; ///< every period with data up to as_of's, oldest first
  std::uint64_t untracked_events;                ///< Σ over the listed periods: 0 = every purchase counted
  double untracked_revenue;                      ///< their amounts
  /// Compares every field.
  friend bool operator==(const revenue_retention_series_result&, const revenue_retention_series_result&) = default;
};

/// A global metric: gross and net revenue retention for every period of the stream (see the top of the
/// file). Reads basic_revenue_periods<Unit, Periods>; parameters "unit" and "periods", fixed by the type.
/// Result: revenue_retention_series_result. Per purchase O(log P) for P periods with data; memory
/// 136 bytes per period. Merge: the periods' sums added; exact only when each customer lives in one
/// part (exact_only_when_partitioned). Thread safety: the engine's (docs/architecture.md, "Thread safety").
/// Definitions and sources: docs/metrics/retention.md.
template <period_unit Unit = period_unit::month, std::uint32_t Periods = 4>
struct basic_revenue_retention_series {
  using periods_metric = basic_revenue_periods<Unit, Periods>;  ///< the per-customer metric it reads

  /// The sums of one period p (the pair p − 1, p).
  struct row {
    std::uint64_t customers = 0;      ///< the base: customers with revenue in p − 1
    std::uint64_t continuing = 0;     ///< of the base, those with revenue in p too
    std::uint64_t new_customers = 0;  ///< revenue in p, none in p − 1
    std::uint64_t untracked_events = 0;  ///< purchases in p not counted (past the horizon)
    compensated_sum starting;         ///< Σ rev(p − 1) over the base
    compensated_sum continuing_base;  ///< Σ rev(p − 1) over the continuing customers
    compensated_sum retained;         ///< Σ min(rev(p), rev(p − 1)) over the base
    compensated_sum ending;           ///< Σ rev(p) over the base
    compensated_sum untracked_revenue;  ///< their amounts
    /// Compares every field.
    friend bool operator==(const row&, const row&) = default;
  };

  /// The state: one row per period.
  struct state {
    std::map<std::int64_t, row> by_period;  ///< period index p -> its row

    /// Adds the other's rows, period by period.
    void merge(const state& o) {
      for (const auto& [p, x] : o.by_period) {
        auto& mine = by_period[p];
        mine.customers += x.customers;
        mine.continuing += x.continuing;
        mine.new_customers += x.new_customers;
        mine.untracked_events += x.untracked_events;
        mine.starting.merge(x.starting);
        mine.continuing_base.merge(x.continuing_base);
        mine.retained.merge(x.retained);
        mine.ending.merge(x.ending);
        mine.untracked_revenue.merge(x.untracked_revenue);
      }
    }
    /// Count (u64), then per period in ascending order: index (i64); customers, continuing,
    /// new_customers, untracked_events (u64); starting, continuing_base, retained, ending,
    /// untracked_revenue (each a compensated sum: sum and compensation, f64): 120 bytes.
    void save(io::writer& w) const {
      w.u64(by_period.size());
      for (const auto& [p, x] : by_period) {
        w.i64(p);
        w.u64(x.customers);
        w.u64(x.continuing);
        w.u64(x.new_customers);
        w.u64(x.untracked_events);
        x.starting.save(w);
        x.continuing_base.save(w);
        x.retained.save(w);
        x.ending.save(w);
        x.untracked_revenue.save(w);
      }
    }
    /// Validates every field: indices strictly ascending within the representable periods (and the one
    /// after the last, which can only hold a base); every sum finite and >= 0; continuing <= customers;
    /// a base exactly when there is starting revenue; continuing customers exactly when there is
    /// continuing base, retained and ending revenue; untracked events exactly with untracked revenue;
    /// no empty period.
    static state load(io::reader& r) {
      state s;
      const auto n = r.length("revenue_retention_series: periods", 120);
      std::optional<std::int64_t> previous;
      for (std::size_t i = 0; i < n; ++i) {
        const auto p = r.i64("revenue_retention_series: period index");
        if (p < first_index || p > last_index + 1) {
          io::reader::fail("revenue_retention_series: period index " + std::to_string(p) + " is outside the representable range");
        }
        if (previous && p <= *previous) io::reader::fail("revenue_retention_series: period indices are not ascending");
        previous = p;
        row x;
        x.customers = r.u64("revenue_retention_series: customers");
        x.continuing = r.u64("revenue_retention_series: continuing customers");
        x.new_customers = r.u64("revenue_retention_series: new customers");
        x.untracked_events = r.u64("revenue_retention_series: untracked purchases");
        x.starting = sum(r, "starting revenue");
        x.continuing_base = sum(r, "continuing base revenue");
        x.retained = sum(r, "retained revenue");
        x.ending = sum(r, "ending revenue");
        x.untracked_revenue = sum(r, "untracked revenue");
        const auto fail = [&](const std::string& why) {
          io::reader::fail("revenue_retention_series: period " + std::to_string(p) + ": " + why);
        };
        if (x.continuing > x.customers) fail("more continuing customers than customers");
        if ((x.customers == 0) != (x.starting.value() == 0.0)) fail("customers and starting revenue disagree");
        if ((x.continuing == 0) != (x.continuing_base.value() == 0.0) || (x.continuing == 0) != (x.retained.value() == 0.0) ||
            (x.continuing == 0) != (x.ending.value() == 0.0)) {
          fail("continuing customers and their revenue disagree");
        }
        if ((x.untracked_events == 0) != (x.untracked_revenue.value() == 0.0)) fail("untracked purchases and revenue disagree");
        if (x.customers == 0 && x.new_customers == 0 && x.untracked_events == 0) fail("a period without data");
        if (p == last_index + 1 && (x.continuing != 0 || x.new_customers != 0 || x.untracked_events != 0)) {
          fail("revenue past the representable range");
        }
        s.by_period.emplace_hint(s.by_period.end(), p, x);
      }
      return s;
    }
    /// Compares every field.
    friend bool operator==(const state&, const state&) = default;

   private:
    static compensated_sum sum(io::reader& r, const char* what) {
      const auto x = compensated_sum::load(r);
      if (!(std::isfinite(x.value()) && x.value() >= 0.0)) {
        io::reader::fail(std::string("revenue_retention_series: ") + what + " must be finite and >= 0");
      }
      return x;
    }
  };

  /// Stable name, part of the saved engine.
  static constexpr std::string_view id = "revenue_retention_series";
  /// Format version of its saved state and parameters.
  static constexpr std::uint16_t version = 1;
  /// The event kinds it receives.
  static constexpr kind_set listens{event_kind::purchase};
  /// Its merge is exact only when each customer lives in one part (events/metric.hpp, "exact merges").
  static constexpr bool exact_only_when_partitioned = true;
  /// The per-customer metrics it reads.
  using depends_on = metric_list<periods_metric>;

  /// Fixed by the type; members only so that they are saved and compared.
  period_unit unit = Unit;
  std::uint32_t periods = Periods;  ///< = Periods

  /// Visits each parameter by name: saved with the engine, compared by merge.
  template <class Self, class V>
  static void parameters(Self& self, V& visit) {
    visit("unit", self.unit);
    visit("periods", self.periods);
  }
  /// Throws std::invalid_argument when unit or periods differ from the type's.
  void configure(const kind_registry&) const { detail::check_fixed_parameters(id, unit, Unit, periods, Periods); }
  /// An empty state with the metric's parameters.
  [[nodiscard]] state make() const { return {}; }

  /// Folds the purchase into the rows p and p + 1, from the customer's ring (already updated) and its
  /// last_event. O(log P).
  template <class Context>
  void on(state& s, const observation& o, const Context& ctx) const {
    using outcome = typename periods_metric::outcome;
    const auto& c = ctx.template get<periods_metric>();
    const std::int64_t p = period_of(o.time, Unit).index;
    const double amount = o.value;
    if (c.last_event == outcome::untracked) {
      auto& x = s.by_period[p];
      ++x.untracked_events;
      x.untracked_revenue.add(amount);
      return;
    }
    if (c.last_event != outcome::added && c.last_event != outcome::first_in_period) return;
    const bool first = c.last_event == outcome::first_in_period;
    const double now = c.in(p), prev = c.in(p - 1), next = c.in(p + 1);
    const double before = first ? 0.0 : std::max(0.0, now - amount);
    // Row p: the pair (p − 1, p).
    if (prev > 0.0) {
      auto& x = s.by_period[p];
      x.ending.add(amount);
      x.retained.add(std::min(now, prev) - std::min(before, prev));
      if (first) {
        ++x.continuing;
        x.continuing_base.add(prev);
      }
    } else if (first) {
      ++s.by_period[p].new_customers;
    }
    // Row p + 1: the pair (p, p + 1); the customer's revenue in p is its base.
    auto& y = s.by_period[p + 1];
    y.starting.add(amount);
    if (first) {
      ++y.customers;
      if (next > 0.0) {
        if (y.new_customers > 0) --y.new_customers;  // was new in p + 1; 0 only after an inexact merge
        ++y.continuing;
        y.continuing_base.add(now);
        y.ending.add(next);
        y.retained.add(std::min(next, now));
      }
    } else if (next > 0.0) {
      y.continuing_base.add(amount);
      y.retained.add(std::min(next, now) - std::min(next, before));
    }
  }

  /// Every period with data up to as_of's, oldest first; as_of's own period is incomplete.
  template <class ReportContext>
  [[nodiscard]] revenue_retention_series_result result(const state& s, const ReportContext& rc) const {
    revenue_retention_series_result r{Unit, {}, 0, 0.0};
    const auto current = period_of(rc.as_of(), Unit).index;
    compensated_sum untracked;
    for (const auto& [p, x] : s.by_period) {
      if (p > current) break;
      revenue_retention_period out{period{Unit, p}, figures(x), p != current, x.untracked_events, x.untracked_revenue.value()};
      r.untracked_events += x.untracked_events;
      untracked.merge(x.untracked_revenue);
      r.periods.push_back(out);
    }
    r.untracked_revenue = untracked.value();
    return r;
  }

  /// The revenue_retention figures of one row (see the top of the file for the derived fields).
  [[nodiscard]] static revenue_retention_result figures(const row& x) noexcept {
    const double start = x.starting.value(), base = x.continuing_base.value(), kept = x.retained.value(),
                 end = x.ending.value();
    revenue_retention_result f{x.customers, x.new_customers, start, kept, end, 0.0, 0.0, 0.0, std::nullopt, std::nullopt};
    if (x.continuing < x.customers) f.churned_revenue = std::max(0.0, start - base);
    f.contraction_revenue = std::max(0.0, base - kept);
    f.expansion_revenue = std::max(0.0, end - kept);
    if (start > 0.0) {
      f.gross_retention = std::min(1.0, kept / start);
      f.net_retention = end / start;
    }
    return f;
  }

 private:
  static constexpr std::int64_t first_index = period_of(earliest_time, Unit).index;
  static constexpr std::int64_t last_index = period_of(latest_time, Unit).index;
};

/// Month-over-month revenue retention, late purchases up to 2 months behind counted:
/// id "revenue_retention_series".
using revenue_retention_series = basic_revenue_retention_series<>;

}  // namespace cxm
