#pragma once
/// \file
/// Stickiness as a monthly SERIES over the whole stream (issue #14, "Engagement"): for every calendar
/// month, DAU/MAU, WAU/MAU and the distribution of customers by their number of active days, with the
/// definitions of cxm::stickiness (engagement/stickiness.hpp, docs/metrics/stickiness.md), which reports
/// only as_of's month and the one before.
///
/// Two metrics:
///   cxm::stickiness_days    per-customer: the customer's COUNTED active days within the 64 days ending
///                           at the latest one (a 64-bit bitmap), events left uncounted, and the outcome
///                           of the customer's last update (read by stickiness_series within the same
///                           event). 16 bytes per customer.
///   cxm::stickiness_series  global (depends_on stickiness_days): per UTC day, the customers whose r-th
///                           active day of the month it is (r = 1 .. 31) and the customers active in the 7
///                           days ending on it. Every figure of every month, cut at any as_of's day, is a
///                           sum of these.
///
/// Why per day and by rank. Daily distinct actives of day x = Σ_r ranks_x[r]; monthly distinct actives
/// up to day X = Σ_{x <= X} ranks_x[1]; customers with exactly k active days among the month's days up
/// to X = A_k(X) − A_{k+1}(X) with A_k(X) = Σ_{x <= X} ranks_x[k] (a customer has at least k active days
/// by X iff their k-th one is at or before X). So a report as of any day is exact, also for as_of's
/// own month, whatever happened after as_of.
///
/// Distinct counts under out-of-order events. When an event marks a new active day d of a customer,
/// the bitmap (before the event) says which of the customer's days of d's month and of d − 6 .. d + 6
/// were already counted: d's rank in the month, the ranks of the later days of the month that move up
/// by one, and the days e = d .. d + 6 whose trailing 7 days gain the customer. That needs d's month
/// and d − 6 within the 64 days kept: the event is COUNTED when
///     min(first day of d's month, d − 6) >= max(latest, d) − 63                       (the horizon)
/// (latest = the customer's latest counted day). Every event on a day at or after the customer's latest
/// is counted, so a time-ordered stream counts everything; so does any stream whose events are at most
/// 33 days older than their customer's latest (up to 57 early in a month): engine_config::max_lateness
/// of 33 days or less guarantees it. An event past the horizon is NOT counted and NOT placed in the
/// bitmap (so the bitmap holds exactly the counted days and every later delta stays consistent); it is
/// counted in the customer's `untracked` and in the series' untracked events of its day, and reported.
/// The figures are then exactly those of the counted events: with no untracked event, those of all.
///
/// Merge: the series' days add up; the bitmaps align on the later latest day and OR. Distinct counts
/// add up exactly only when each customer lives in one part (parallel_ingest partitions by customer):
/// both metrics declare exact_only_when_partitioned, and the engine reports the customers met on both
/// sides of a merge (customers_merged_from_both_sides; zero = exact).
///
/// The transient field. The engine updates the per-customer metrics before the global ones, and a
/// global metric reads its dependencies already updated; whether the event's day was new cannot be
/// seen in the updated bitmap, so stickiness_days records the outcome of its last update in
/// `last_event`, which stickiness_series reads in the same event. The field means nothing between
/// events: it is not saved, not compared by ==, and cleared by merge and load.
///
/// Cost per event: stickiness_days O(1); stickiness_series, for a new active day, O(log D) map lookups
/// for up to 7 + (the customer's later days in the month) days (D = days with data); nothing for a
/// repeated day. Memory: 16 bytes per customer; about 270 bytes per day with data (a std::map node of
/// 31 rank counts, the weekly count and the untracked count), about 100 KB per year. Report: O(D · 31).

#include <algorithm>
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cxm/engagement/stickiness.hpp"
#include "cxm/events/event_kind.hpp"
#include "cxm/events/metric.hpp"
#include "cxm/events/observation.hpp"
#include "cxm/events/time.hpp"
#include "cxm/io/reader.hpp"
#include "cxm/io/writer.hpp"

namespace cxm {

namespace detail {
/// The first and last day (days since 1970) of the month holding day `d`.
constexpr std::pair<std::int64_t, std::int64_t> month_days_of(std::int64_t d) noexcept {
  const period m = period_of(timestamp{std::chrono::days{d}}, period_unit::month);
  const auto first = period_of(m.start(), period_unit::day).index;
  const auto last = period_of(m.next().start(), period_unit::day).index - 1;
  return {first, last};
}
inline constexpr std::uint32_t max_representable_day =
    static_cast<std::uint32_t>(period_of(latest_time, period_unit::day).index);
}  // namespace detail

/// What stickiness_days reports for one customer as of a time.
struct stickiness_days_result {
  std::optional<std::int64_t> latest_day;  ///< latest counted active day (days since 1970); empty: none
  std::uint64_t bits;                      ///< bit i: counted active on latest_day − i
  std::uint32_t untracked;                 ///< events not counted (past the horizon, see the file's top)
  bool includes_later_events;              ///< latest_day is after as_of's day
  /// Compares every field.
  friend bool operator==(const stickiness_days_result&, const stickiness_days_result&) = default;
};

/// The counted active days of each customer within the 64 days ending at the latest (see the top of
/// the file). Listens to every kind: any accepted event is activity. O(1) per event, 16 bytes.
/// Result: stickiness_days_result. Parameters: none. Merge: bitmaps aligned on the later latest day
/// and ORed; exact only when each customer lives in one part (exact_only_when_partitioned).
/// Thread safety: the engine's (docs/architecture.md, "Thread safety").
struct stickiness_days {
  /// What the customer's last update did (transient: see the top of the file).
  enum class outcome : std::uint8_t {
    none = 0,       ///< no update since the last merge or load
    repeat = 1,     ///< the event's day was already counted
    new_day = 2,    ///< the event's day is a new counted active day
    untracked = 3,  ///< the event lies past the horizon: not counted
  };
  /// Value-initialised (bits == 0) = no activity yet.
  struct state {
    std::uint64_t bits = 0;       ///< bit i: counted active on latest − i
    std::uint32_t untracked = 0;  ///< events past the horizon (saturating at 2^32 − 1)
    std::uint16_t latest = 0;     ///< latest counted day, days since 1970 (0 .. 49 710; 0 while bits == 0)
    outcome last_event = outcome::none;  ///< transient: not saved, not compared
    /// Compares the saved fields (not last_event).
    friend constexpr bool operator==(const state& a, const state& b) noexcept {
      return a.bits == b.bits && a.untracked == b.untracked && a.latest == b.latest;
    }
    /// Whether the customer has a counted day.
    [[nodiscard]] constexpr bool seen() const noexcept { return bits != 0; }
    /// Whether day `d` is a counted active day (false outside the 64 days kept).
    [[nodiscard]] constexpr bool active_on(std::int64_t d) const noexcept {
      const std::int64_t offset = std::int64_t{latest} - d;
      return seen() && offset >= 0 && offset < 64 && ((bits >> offset) & 1u) != 0;
    }
  };
  static_assert(sizeof(state) == 16);

  /// Stable name, part of the saved engine.
  static constexpr std::string_view id = "stickiness_days";
  /// Format version of its saved state and parameters.
  static constexpr std::uint16_t version = 1;
  /// The event kinds it receives.
  static constexpr kind_set listens = kind_set::all();
  /// Its merge is exact only when each customer lives in one part (events/metric.hpp, "exact merges").
  static constexpr bool exact_only_when_partitioned = true;
  static constexpr std::uint32_t kept_days = 64;  ///< days kept back from the latest counted one

  /// Whether an event on day `d` can be counted for a customer whose latest counted day is `latest`
  /// (or who has none: `seen` false). The horizon of the file's top.
  static constexpr bool countable(bool seen, std::int64_t latest, std::int64_t d) noexcept {
    if (!seen) return true;
    const auto top = std::max(latest, d);
    const auto need = std::min(detail::month_days_of(d).first, d - 6);
    return need >= top - std::int64_t{kept_days - 1};
  }

  /// Precondition: o.time representable (the engine guarantees it). O(1), no allocation.
  template <class Context>
  void on(state& s, const observation& o, const Context&) const noexcept {
    const auto d = static_cast<std::uint16_t>(period_of(o.time, period_unit::day).index);
    if (!s.seen()) {
      s.bits = 1u;
      s.latest = d;
      s.last_event = outcome::new_day;
      return;
    }
    if (!countable(true, s.latest, d)) {
      if (s.untracked != std::numeric_limits<std::uint32_t>::max()) ++s.untracked;
      s.last_event = outcome::untracked;
      return;
    }
    if (d > s.latest) {
      const auto shift = static_cast<std::uint32_t>(d - s.latest);
      s.bits = shift >= kept_days ? 0 : s.bits << shift;
      s.latest = d;
    }
    const auto bit = std::uint64_t{1} << (s.latest - d);
    s.last_event = (s.bits & bit) != 0 ? outcome::repeat : outcome::new_day;
    s.bits |= bit;
  }
  /// Align on the later latest day and OR; untracked summed (saturating); last_event cleared. O(1).
  void merge(state& a, const state& b) const noexcept {
    if (b.seen()) {
      if (!a.seen()) {
        a.bits = b.bits;
        a.latest = b.latest;
      } else {
        const auto top = std::max(a.latest, b.latest);
        const auto align = [&](const state& s) {
          const auto shift = static_cast<std::uint32_t>(top - s.latest);
          return shift >= kept_days ? std::uint64_t{0} : s.bits << shift;
        };
        a.bits = align(a) | align(b);
        a.latest = top;
      }
    }
    const auto room = std::numeric_limits<std::uint32_t>::max() - a.untracked;
    a.untracked = b.untracked > room ? std::numeric_limits<std::uint32_t>::max() : a.untracked + b.untracked;
    a.last_event = outcome::none;
  }

  /// The customer's figures as of the context's as_of().
  template <class Context>
  [[nodiscard]] stickiness_days_result result(const state& s, const Context& ctx) const {
    stickiness_days_result r{};
    r.untracked = s.untracked;
    if (!s.seen()) return r;
    r.latest_day = s.latest;
    r.bits = s.bits;
    r.includes_later_events = std::int64_t{s.latest} > period_of(ctx.as_of(), period_unit::day).index;
    return r;
  }

  /// bits (u64), latest (u16), untracked (u32), little-endian: 14 bytes. last_event is not saved.
  void save(const state& s, io::writer& w) const {
    w.u64(s.bits);
    w.u16(s.latest);
    w.u32(s.untracked);
  }
  /// Validates: without activity latest and untracked are 0; with it bit 0 (the latest day) is set,
  /// latest is a representable day (<= 49 710), and no bit lies before 1970-01-01.
  state load(io::reader& r, std::uint16_t) const {
    state s;
    s.bits = r.u64("stickiness_days: bits");
    s.latest = r.u16("stickiness_days: latest day");
    s.untracked = r.u32("stickiness_days: untracked events");
    if (!s.seen()) {
      if (s.latest != 0) io::reader::fail("stickiness_days: a latest day without any activity");
      if (s.untracked != 0) io::reader::fail("stickiness_days: untracked events without any activity");
      return s;
    }
    if ((s.bits & 1u) == 0) io::reader::fail("stickiness_days: the latest day is not marked active");
    if (s.latest > detail::max_representable_day) {
      io::reader::fail("stickiness_days: latest day " + std::to_string(s.latest) + " is past the representable range");
    }
    const auto highest = static_cast<std::uint32_t>(63 - std::countl_zero(s.bits));
    if (highest > s.latest) io::reader::fail("stickiness_days: a day before 1970-01-01 is marked active");
    return s;
  }
};

/// Untracked events (past the horizon) whose day falls in one month.
struct untracked_month {
  period month;          ///< the calendar month
  std::uint64_t events;  ///< events not counted
  /// Compares every field.
  friend bool operator==(const untracked_month&, const untracked_month&) = default;
};

/// What stickiness_series reports as of a time.
struct stickiness_series_result {
  /// Every month with data (an active day, a day whose trailing 7 days hold one, or an untracked
  /// event) up to as_of's month, oldest first. The figures are cxm::stickiness's: as_of's month covers
  /// its days up to as_of's day (complete only on its last day); wau_days == days (every trailing
  /// window is known). A month without any data is left out (its figures would all be 0).
  std::vector<stickiness_month> months;
  std::vector<untracked_month> untracked;  ///< months with untracked events (days up to as_of's), oldest first
  std::uint64_t untracked_events;          ///< their sum: 0 means every event up to as_of's day was counted
  /// Compares every field.
  friend bool operator==(const stickiness_series_result&, const stickiness_series_result&) = default;
};

/// A global metric: DAU/MAU, WAU/MAU and the active-days distribution for every month of the stream
/// (see the top of the file). No parameters. Reads cxm::stickiness_days.
/// Result: stickiness_series_result. Per event: O(log D) map lookups for a new active day (D days with
/// data), nothing for a repeated day; memory about 270 bytes per day with data. Merge: the days' counts
/// added; exact when each customer lives in one part.
/// Thread safety: the engine's (docs/architecture.md, "Thread safety").
/// Definitions and sources: docs/metrics/stickiness.md.
struct stickiness_series {
  /// One day's counts.
  struct day_counts {
    std::array<std::uint64_t, 31> ranks{};  ///< [r − 1]: customers whose r-th active day of the month is this day
    std::uint64_t weekly = 0;               ///< customers active in the 7 days ending on this day
    std::uint64_t untracked = 0;            ///< events on this day not counted (past the horizon)
    /// Compares every field.
    friend bool operator==(const day_counts&, const day_counts&) = default;
    /// Customers active on this day.
    [[nodiscard]] std::uint64_t daily() const noexcept {
      std::uint64_t n = 0;
      for (const auto x : ranks) n += x;
      return n;
    }
  };
  /// The state: counts per day with events.
  struct state {
    std::map<std::int64_t, day_counts> by_day;  ///< day index (days since 1970) -> counts

    /// Adds the other's counts, day by day.
    void merge(const state& o) {
      for (const auto& [d, c] : o.by_day) {
        auto& mine = by_day[d];
        for (std::size_t r = 0; r < mine.ranks.size(); ++r) mine.ranks[r] += c.ranks[r];
        mine.weekly += c.weekly;
        mine.untracked += c.untracked;
      }
    }
    /// Count (u64), then per day in ascending order: index (i64), weekly (u64), untracked (u64), the
    /// number n of rank counts up to the last non-zero one (u8, 0 .. 31), and those n counts (u64).
    void save(io::writer& w) const {
      w.u64(by_day.size());
      for (const auto& [d, c] : by_day) {
        w.i64(d);
        w.u64(c.weekly);
        w.u64(c.untracked);
        std::size_t n = c.ranks.size();
        while (n > 0 && c.ranks[n - 1] == 0) --n;
        w.u8(static_cast<std::uint8_t>(n));
        for (std::size_t r = 0; r < n; ++r) w.u64(c.ranks[r]);
      }
    }
    /// Validates every field: day indices strictly ascending within 0 .. 49 716 (the last representable
    /// day + 6, the reach of a trailing window); no empty day; at most 31 rank counts, the last one
    /// non-zero, none past the day's day of the month, none after the last representable day; the
    /// trailing-7-day count at least the day's distinct actives; and per month, for every day and k,
    /// A_k >= A_{k+1} (see the file's top), so that no derived figure can be negative.
    static state load(io::reader& r) {
      state s;
      const auto n = r.length("stickiness_series: days", 25);
      std::optional<std::int64_t> previous;
      for (std::size_t i = 0; i < n; ++i) {
        const auto d = r.i64("stickiness_series: day index");
        if (d < 0 || d > last_day) {
          io::reader::fail("stickiness_series: day index " + std::to_string(d) + " is outside the representable range");
        }
        if (previous && d <= *previous) io::reader::fail("stickiness_series: day indices are not ascending");
        previous = d;
        day_counts c;
        c.weekly = r.u64("stickiness_series: weekly actives");
        c.untracked = r.u64("stickiness_series: untracked events");
        const auto ranks = r.u8("stickiness_series: rank count");
        const auto [first, last] = detail::month_days_of(d);
        (void)last;
        const auto day_of_month = static_cast<std::size_t>(d - first + 1);
        if (ranks > 31) io::reader::fail("stickiness_series: " + std::to_string(ranks) + " rank counts, at most 31");
        if (ranks > day_of_month) {
          io::reader::fail("stickiness_series: day " + std::to_string(d) + " is day " + std::to_string(day_of_month) +
                           " of its month but has " + std::to_string(ranks) + " rank counts");
        }
        if (ranks > 0 && d > std::int64_t{detail::max_representable_day}) {
          io::reader::fail("stickiness_series: active customers on day " + std::to_string(d) + ", past the representable range");
        }
        std::uint64_t daily = 0;
        for (std::size_t k = 0; k < ranks; ++k) {
          c.ranks[k] = r.u64("stickiness_series: rank count");
          if (c.ranks[k] > std::numeric_limits<std::uint64_t>::max() - daily) io::reader::fail("stickiness_series: daily actives overflow");
          daily += c.ranks[k];
        }
        if (ranks > 0 && c.ranks[ranks - 1u] == 0) io::reader::fail("stickiness_series: the last rank count is 0");
        if (c.weekly < daily) io::reader::fail("stickiness_series: fewer weekly than daily actives on day " + std::to_string(d));
        if (daily == 0 && c.weekly == 0 && c.untracked == 0) io::reader::fail("stickiness_series: a day without data");
        s.by_day.emplace_hint(s.by_day.end(), d, c);
      }
      check_ranks(s);
      return s;
    }
    /// Compares every field.
    friend bool operator==(const state&, const state&) = default;

   private:
    static void check_ranks(const state& s) {
      std::array<std::uint64_t, 32> cumulative{};
      std::int64_t month_first = -1;
      for (const auto& [d, c] : s.by_day) {
        const auto first = detail::month_days_of(d).first;
        if (first != month_first) {
          cumulative.fill(0);
          month_first = first;
        }
        for (std::size_t k = 0; k < 31; ++k) {
          if (c.ranks[k] > std::numeric_limits<std::uint64_t>::max() - cumulative[k]) {
            io::reader::fail("stickiness_series: rank counts overflow");
          }
          cumulative[k] += c.ranks[k];
        }
        for (std::size_t k = 0; k < 31; ++k) {
          if (cumulative[k] < cumulative[k + 1]) {
            io::reader::fail("stickiness_series: by day " + std::to_string(d) + ", more customers with " +
                             std::to_string(k + 2) + " active days of the month than with " + std::to_string(k + 1));
          }
        }
      }
    }
  };

  /// Stable name, part of the saved engine.
  static constexpr std::string_view id = "stickiness_series";
  /// Format version of its saved state and parameters.
  static constexpr std::uint16_t version = 1;
  /// The event kinds it receives.
  static constexpr kind_set listens = kind_set::all();
  /// Its merge is exact only when each customer lives in one part (events/metric.hpp, "exact merges").
  static constexpr bool exact_only_when_partitioned = true;
  /// The per-customer metrics it reads.
  using depends_on = metric_list<stickiness_days>;

  /// An empty state with the metric's parameters.
  [[nodiscard]] state make() const { return {}; }

  /// Reads the customer's stickiness_days, already updated with this event, and folds in its outcome.
  template <class Context>
  void on(state& s, const observation& o, const Context& ctx) const {
    const auto& c = ctx.template get<stickiness_days>();
    const std::int64_t d = period_of(o.time, period_unit::day).index;
    if (c.last_event == stickiness_days::outcome::untracked) {
      ++s.by_day[d].untracked;
      return;
    }
    if (c.last_event != stickiness_days::outcome::new_day) return;
    // The customer's counted days before this event: the bitmap without d.
    stickiness_days::state before = c;
    before.bits &= ~(std::uint64_t{1} << (std::int64_t{c.latest} - d));
    // Ranks in d's month: the days of the month already counted, ascending; d takes rank r, the later
    // ones move up by one. The whole month up to `latest` is within the bitmap (the horizon).
    const auto [first, last] = detail::month_days_of(d);
    std::size_t earlier = 0;  // counted days of the month before x, d left out
    for (auto x = first; x <= std::min<std::int64_t>(last, c.latest); ++x) {
      if (x == d) {
        ++s.by_day[d].ranks[earlier];  // d is the (earlier + 1)-th
        continue;
      }
      if (!before.active_on(x)) continue;
      if (x > d) {
        auto& day = s.by_day[x].ranks;
        --day[earlier];  // x was the (earlier + 1)-th day, now the (earlier + 2)-th
        ++day[earlier + 1];
      }
      ++earlier;
    }
    // Trailing 7 days: e = d .. d + 6 gains the customer unless a day of e − 6 .. e was counted.
    for (auto e = d; e <= d + 6; ++e) {
      bool already = false;
      for (auto x = e - 6; x <= e && !already; ++x) already = before.active_on(x);
      if (!already) ++s.by_day[e].weekly;
    }
  }

  /// Every month with data up to as_of's (see stickiness_series_result). O(D · 31).
  template <class ReportContext>
  [[nodiscard]] stickiness_series_result result(const state& s, const ReportContext& rc) const {
    stickiness_series_result r{};
    const std::int64_t today = period_of(rc.as_of(), period_unit::day).index;
    auto it = s.by_day.begin();
    while (it != s.by_day.end() && it->first <= today) {
      const auto [first, last] = detail::month_days_of(it->first);
      const auto end = std::min(last, today);
      const auto span = static_cast<std::uint32_t>(end - first + 1);
      stickiness_month m{period_of(timestamp{std::chrono::days{first}}, period_unit::month),
                         span, end == last, 0, 0.0, std::nullopt, 0.0, span, std::nullopt,
                         std::vector<std::uint64_t>(span, 0), std::vector<std::uint64_t>(span, 0)};
      std::array<std::uint64_t, 32> at_least{};  // A_k by `end`: customers with >= k + 1 active days
      std::uint64_t dau_sum = 0, wau_sum = 0, untracked = 0;
      for (; it != s.by_day.end() && it->first <= end; ++it) {
        const auto& c = it->second;
        const auto daily = c.daily();
        m.daily[static_cast<std::size_t>(it->first - first)] = daily;
        dau_sum += daily;
        wau_sum += c.weekly;
        untracked += c.untracked;
        for (std::size_t k = 0; k < 31; ++k) at_least[k] += c.ranks[k];
      }
      m.mau = at_least[0];
      for (std::size_t k = 0; k < span; ++k) m.by_active_days[k] = at_least[k] - at_least[k + 1];
      m.dau = static_cast<double>(dau_sum) / static_cast<double>(span);
      m.wau = static_cast<double>(wau_sum) / static_cast<double>(span);
      if (m.mau > 0) {
        m.dau_mau = m.dau / static_cast<double>(m.mau);
        m.wau_mau = m.wau / static_cast<double>(m.mau);
      }
      if (untracked > 0) {
        r.untracked.push_back({m.month, untracked});
        r.untracked_events += untracked;
      }
      r.months.push_back(std::move(m));
      // Skip the rest of as_of's month (days after as_of): the loop condition ends there.
    }
    return r;
  }

 private:
  static constexpr std::int64_t last_day = std::int64_t{detail::max_representable_day} + 6;
};

}  // namespace cxm
