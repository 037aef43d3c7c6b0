#pragma once
/// \file
/// Active periods per customer: which calendar periods (days, ISO weeks, months, ...) a customer was
/// active in, counted from the customer's first active period. The per-customer input of cohort
/// retention (churn/retention.hpp) and of the lifecycle (engagement/lifecycle.hpp); definitions and
/// sources in docs/metrics/retention.md.
///
/// State (16 bytes per customer, bounded whatever the number of events):
///   bits   u64  bit i set = active in period first + i, for i < Periods (Periods <= 64);
///   first  u32  the first active period (an index from period_of: periods since 1970 of the unit);
///   last   u32  the latest active period ever (exact, also when it lies past the tracked horizon).
/// Representable times (1970 .. 2106, events/time.hpp) have period indices 0 .. 49 710 for days, so
/// 32 bits hold every index of every unit.
///
/// Out-of-order events are exact: an event before the first period shifts the bitmap towards the
/// past; a bit pushed past the horizon (first + Periods − 1) is not lost silently, `last` still says
/// the customer was active there. An event past the horizon sets no bit: the customer is then
/// "past the horizon" (last − first >= Periods), which every result reports (counted, never dropped).
/// What is exact past the horizon: whether the customer was active at or after a period (through
/// `last`), the latest active period, and the dormant period right after it; which of the periods
/// strictly between the horizon and `last` were active is not kept.
///
/// Merge: OR after aligning both bitmaps on the earlier first period, `last` the max. Exact whether
/// or not the customers are partitioned (the state is the set of active periods ∩ the horizon).
///
/// Cost per update: O(1) (a shift, an OR, two comparisons). Memory: 16 bytes per customer.

#include <algorithm>
#include <bit>
#include <cstdint>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "cxm/events/event_kind.hpp"
#include "cxm/events/kind_registry.hpp"
#include "cxm/events/metric.hpp"
#include "cxm/events/observation.hpp"
#include "cxm/events/time.hpp"
#include "cxm/io/reader.hpp"
#include "cxm/io/writer.hpp"

namespace cxm {

/// One customer's active periods, as the pure functions of cohort retention and lifecycle read them
/// (from an engine's active_periods state, or built by a host from its own data).
struct customer_periods {
  std::int64_t first = 0;  ///< the first active period index
  std::uint64_t bits = 0;  ///< bit i: active in first + i (i < the tracked periods); bit 0 always set
  std::int64_t last = 0;   ///< the latest active period index (>= first)
  /// Compares every field.
  friend constexpr bool operator==(const customer_periods&, const customer_periods&) = default;
};

/// Whether a customer was active in period `q`, as far as it is known with `tracked` periods kept:
/// empty when `q` lies strictly between the horizon (first + tracked − 1) and `last`.
/// Precondition: 1 <= tracked <= 64, first <= last.
constexpr std::optional<bool> active_in(const customer_periods& c, std::int64_t q, std::uint32_t tracked) noexcept {
  if (q < c.first || q > c.last) return false;
  if (q == c.last) return true;
  const auto offset = q - c.first;
  if (offset < static_cast<std::int64_t>(tracked)) return ((c.bits >> offset) & 1u) != 0;
  return std::nullopt;
}

/// Throws std::invalid_argument, naming `who` and the fault, unless `tracked` is 1 .. 64 and `c` is a
/// history that active_periods can hold: bit 0 set, no bit past `tracked` or past `last`, first <= last,
/// and the bit of `last` set when it lies within the tracked periods.
inline void check_customer_periods(const customer_periods& c, std::uint32_t tracked, std::string_view who) {
  const std::string w(who);
  if (tracked < 1 || tracked > 64) throw std::invalid_argument(w + ": tracked periods must be 1 to 64, not " + std::to_string(tracked));
  // Period indices of any timestamp are within ±1.1e11 (days); 2^40 leaves room and keeps
  // last − first from overflowing.
  constexpr std::int64_t limit = std::int64_t{1} << 40;
  if (c.first < -limit || c.last > limit) {
    throw std::invalid_argument(w + ": period index outside ±2^40 (first " + std::to_string(c.first) + ", last " +
                                std::to_string(c.last) + ")");
  }
  if (c.first > c.last) {
    throw std::invalid_argument(w + ": first period " + std::to_string(c.first) + " is after the last " + std::to_string(c.last));
  }
  if ((c.bits & 1u) == 0) throw std::invalid_argument(w + ": the first period is not marked active");
  if (tracked < 64 && (c.bits >> tracked) != 0) {
    throw std::invalid_argument(w + ": bits set past the " + std::to_string(tracked) + " tracked periods");
  }
  const auto highest = static_cast<std::int64_t>(63 - std::countl_zero(c.bits));
  const auto span = c.last - c.first;
  if (highest > span) throw std::invalid_argument(w + ": a period after the last one is marked active");
  if (span < static_cast<std::int64_t>(tracked) && highest != span) {
    throw std::invalid_argument(w + ": the last period is not marked active");
  }
}

/// What active_periods reports for one customer as of a time.
struct active_periods_result {
  std::optional<period> first;  ///< the first active period; empty: no activity in or before as_of's period
  std::optional<period> last;   ///< the latest active period (possibly after as_of's)
  std::uint64_t bits;           ///< bit i: active in first + i, for i < tracked
  std::uint32_t tracked;        ///< the periods kept from the first one (the metric's Periods)
  std::uint32_t active_tracked; ///< how many of the tracked periods were active (popcount of bits)
  bool past_horizon;            ///< active in a period past first + tracked − 1 (not in bits; last is exact)
  bool includes_later_events;   ///< activity in a period after as_of's is included (bits, last)
};

/// The active periods of each customer, per calendar period of `Unit`, for `Periods` periods from
/// the first one (1 .. 64). Listens to every kind: any accepted event is activity.
///
/// The unit and the horizon are template arguments so that the report-time metrics that read the
/// state (basic_cohort_retention, basic_lifecycle) know them from the type and can never disagree
/// with it; they are also visible (and saved, and compared at merge and load) as the parameters
/// "unit" (the period_unit number: 0 day, 1 iso_week, 2 month, 3 quarter, 4 year) and "periods".
/// Every instantiation has the id "active_periods"; several may be composed in one engine (tests do:
/// monthly and daily), their frames in a saved engine are told apart by position and parameters.
/// Result: active_periods_result. Per event O(1) (a shift, an OR, two comparisons); 16 bytes per
/// customer. Merge: the bitmaps aligned and ORed, `last` the max: exact (the top of this header).
/// Thread safety: the engine's (docs/architecture.md, "Thread safety"). Sources: docs/metrics/retention.md.
template <period_unit Unit = period_unit::month, std::uint32_t Periods = 64>
struct basic_active_periods {
  static_assert(Periods >= 1 && Periods <= 64, "cxm: active_periods tracks 1 to 64 periods (one u64 bitmap)");
  static_assert(static_cast<std::size_t>(Unit) < period_unit_count, "cxm: active_periods needs a known period unit");

  /// See the top of the file. Value-initialised (bits == 0) = no activity yet.
  struct state {
    std::uint64_t bits = 0;   ///< bit i: active in first + i
    std::uint32_t first = 0;  ///< first active period index (0 while bits == 0)
    std::uint32_t last = 0;   ///< latest active period index (0 while bits == 0)
    /// Compares every field.
    friend constexpr bool operator==(const state&, const state&) = default;
    [[nodiscard]] constexpr bool seen() const noexcept { return bits != 0; }  ///< whether the customer has an event
    /// Whether the customer is active beyond the tracked periods.
    [[nodiscard]] constexpr bool past_horizon() const noexcept { return seen() && last - first >= Periods; }
    /// The customer_periods of this state (meaningful when seen()).
    [[nodiscard]] constexpr customer_periods history() const noexcept { return {first, bits, last}; }
  };

  /// Stable name, part of the saved engine.
  static constexpr std::string_view id = "active_periods";
  /// Format version of its saved state and parameters.
  static constexpr std::uint16_t version = 1;
  /// The event kinds it receives.
  static constexpr kind_set listens = kind_set::all();
  static constexpr period_unit period_unit_v = Unit;        ///< the calendar unit of the periods
  static constexpr std::uint32_t tracked_periods = Periods;  ///< periods kept from the first (1 .. 64)

  /// Fixed by the type (see above); members only so that they are saved and compared.
  period_unit unit = Unit;
  std::uint32_t periods = Periods;  ///< = Periods

  /// Visits each parameter by name: saved with the engine, compared by merge.
  template <class Self, class V>
  static void parameters(Self& self, V& visit) {
    visit("unit", self.unit);
    visit("periods", self.periods);
  }
  /// Refuses parameters other than the type's (a state saved by another instantiation).
  void configure(const kind_registry&) const {
    if (unit != Unit) {
      throw std::invalid_argument("metric 'active_periods': parameter 'unit' is " +
                                  std::to_string(static_cast<int>(unit)) + ", this type tracks " +
                                  std::string(to_string(Unit)));
    }
    if (periods != Periods) {
      throw std::invalid_argument("metric 'active_periods': parameter 'periods' is " + std::to_string(periods) +
                                  ", this type tracks " + std::to_string(Periods));
    }
  }

  /// The period index of a representable time (0 .. 49 710 for days).
  static constexpr std::uint32_t index_of(timestamp t) noexcept {
    return static_cast<std::uint32_t>(period_of(t, Unit).index);
  }

  /// Folds one active period into a state (the update and the merge share it).
  static constexpr void fold(state& s, std::uint32_t first, std::uint64_t bits, std::uint32_t last) noexcept {
    if (!s.seen()) {
      s = {bits, first, last};
      return;
    }
    if (first < s.first) {
      // Align on the earlier first period: the kept bits move up; those pushed past the horizon are
      // still covered by `last` (which is at least as late).
      const auto shift = s.first - first;
      s.bits = shift >= Periods ? 0 : s.bits << shift;
      s.first = first;
    }
    const auto offset = first - s.first;
    if (offset < Periods) s.bits |= bits << offset;
    s.bits &= mask;
    s.last = std::max(s.last, last);
  }

  /// Marks the event's period active. Precondition: o.time is representable (1970 .. 2106), which
  /// the engine guarantees (it rejects other times as time_out_of_range). O(1), no allocation.
  template <class Context>
  void on(state& s, const observation& o, const Context&) const noexcept {
    const auto p = index_of(o.time);
    fold(s, p, 1u, p);
  }
  /// Exact under any split: OR after aligning on the earlier first period, last = max. O(1).
  void merge(state& a, const state& b) const noexcept {
    if (b.seen()) fold(a, b.first, b.bits, b.last);
  }

  /// The customer's periods as of `ctx.as_of()`: empty fields when the first activity is after
  /// as_of's period.
  template <class Context>
  [[nodiscard]] active_periods_result result(const state& s, const Context& ctx) const {
    active_periods_result r{};
    r.tracked = Periods;
    const auto now = period_of(ctx.as_of(), Unit).index;
    if (!s.seen() || s.first > now) return r;
    r.first = period{Unit, s.first};
    r.last = period{Unit, s.last};
    r.bits = s.bits;
    r.active_tracked = static_cast<std::uint32_t>(std::popcount(s.bits));
    r.past_horizon = s.past_horizon();
    r.includes_later_events = s.last > now;
    return r;
  }

  /// bits (u64), first (u32), last (u32), little-endian: 16 bytes.
  void save(const state& s, io::writer& w) const {
    w.u64(s.bits);
    w.u32(s.first);
    w.u32(s.last);
  }
  /// Validates: no bit past the horizon; without activity everything 0; with it bit 0 set,
  /// first <= last, last within the representable range, the highest set bit not after last.
  state load(io::reader& r, std::uint16_t) const {
    state s;
    s.bits = r.u64("active_periods: bits");
    s.first = r.u32("active_periods: first period");
    s.last = r.u32("active_periods: last period");
    if ((s.bits & ~mask) != 0) io::reader::fail("active_periods: bits set past the " + std::to_string(Periods) + " tracked periods");
    if (!s.seen()) {
      if (s.first != 0 || s.last != 0) io::reader::fail("active_periods: periods without any activity");
      return s;
    }
    if ((s.bits & 1u) == 0) io::reader::fail("active_periods: the first period is not marked active");
    if (s.first > s.last) {
      io::reader::fail("active_periods: first period " + std::to_string(s.first) + " is after the last " +
                       std::to_string(s.last));
    }
    if (s.last > max_index) {
      io::reader::fail("active_periods: last period " + std::to_string(s.last) + " is past the representable range");
    }
    const auto highest = static_cast<std::uint32_t>(63 - std::countl_zero(s.bits));
    const auto span = s.last - s.first;
    if (highest > span) io::reader::fail("active_periods: a period after the last one is marked active");
    if (span < Periods && highest != span) io::reader::fail("active_periods: the last period is not marked active");
    return s;
  }

 private:
  static constexpr std::uint64_t mask = Periods == 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << Periods) - 1;
  static constexpr std::uint32_t max_index = static_cast<std::uint32_t>(period_of(latest_time, Unit).index);
};

/// Monthly active periods, 64 months from the first (5 years 4 months): id "active_periods".
using active_periods = basic_active_periods<>;

}  // namespace cxm
