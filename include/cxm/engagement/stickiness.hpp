#pragma once
/// \file
/// Stickiness: DAU/MAU and WAU/MAU per calendar month, and the distribution of customers by their
/// number of active days in the month (issue #14, "Engagement"). Definitions and sources in
/// docs/metrics/stickiness.md.
///
/// Two metrics:
///   cxm::recent_days  per-customer: the customer's latest active day and a 64-bit bitmap of the 64
///                     days ending there (bit i set = active on latest − i). 16 bytes per customer.
///   cxm::stickiness   report-time (depends_on recent_days): as of the report's as_of, for as_of's
///                     month (up to as_of's day, marked incomplete) and the previous month (complete).
///
/// Exactness. The bitmap holds exactly the customer's active days within [latest − 63, latest],
/// whatever the arrival order: an event on a later day shifts the bitmap (days falling off the end are
/// days a sorted stream would have dropped too); an event older than latest − 63 cannot be placed and
/// is counted in `untracked` (saturating), never silently. So a report as of the customer's latest day
/// or later is exact for the 64 days ending at as_of. The previous month always starts at most 61 days
/// before as_of's day, so both reported months lie inside those 64 days. A customer whose latest day is
/// after as_of's day (events later than the report) has lost the days before latest − 63: the report
/// counts such customers (customers_after_as_of) and those for whom a reported day is therefore
/// unknown (customers_with_unknown_days). With engine_config::max_lateness <= 63 days every accepted
/// event can be placed (untracked stays 0); reports as of the engine's watermark are always exact.
///
/// Resolution: days (UTC, days since 1970-01-01). An event later on as_of's own day than as_of counts
/// as activity on that day: "after as_of" means on a later day.
///
/// Merge: align both bitmaps on the later latest day, OR, untracked summed (saturating). The bitmap is
/// exact under any split (a set union restricted to the last 64 days); untracked is a diagnostic of
/// arrival order and may differ between splits.

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cxm/events/event_kind.hpp"
#include "cxm/events/metric.hpp"
#include "cxm/events/observation.hpp"
#include "cxm/events/time.hpp"
#include "cxm/io/reader.hpp"
#include "cxm/io/writer.hpp"

namespace cxm {

/// What recent_days reports for one customer as of a time.
struct recent_days_result {
  std::optional<std::int64_t> latest_day;  ///< latest active day (days since 1970); empty: never active
  std::uint64_t bits;                      ///< bit i: active on latest_day − i
  std::uint32_t active_days;               ///< popcount(bits): active days among the 64 kept
  std::uint32_t untracked;                 ///< events too old to place (older than latest − 63 days)
  bool includes_later_events;              ///< latest_day is after as_of's day
};

/// The active days of each customer within the 64 days ending at the customer's latest active day.
/// Listens to every kind: any accepted event is activity. Cost per update O(1) (a shift and an OR);
/// memory 16 bytes per customer; merge exact for the bitmap (see the top of the file).
/// Result: recent_days_result. Parameters: none. Thread safety: the engine's (docs/architecture.md, "Thread safety").
/// Sources: docs/metrics/stickiness.md.
struct recent_days {
  /// Value-initialised (bits == 0) = no activity yet.
  struct state {
    std::uint64_t bits = 0;       ///< bit i: active on latest − i
    std::uint32_t latest = 0;     ///< latest active day, days since 1970 (0 while bits == 0)
    std::uint32_t untracked = 0;  ///< events older than latest − 63 days (saturating at 2^32 − 1)
    /// Compares every field.
    friend constexpr bool operator==(const state&, const state&) = default;
    [[nodiscard]] constexpr bool seen() const noexcept { return bits != 0; }  ///< whether the customer has an event
  };

  /// Stable name, part of the saved engine.
  static constexpr std::string_view id = "recent_days";
  /// Format version of its saved state and parameters.
  static constexpr std::uint16_t version = 1;
  /// The event kinds it receives.
  static constexpr kind_set listens = kind_set::all();
  static constexpr std::uint32_t kept_days = 64;  ///< the days of the bitmap

  /// The day index (days since 1970) of a representable time: 0 .. 49 710.
  static constexpr std::uint32_t day_of(timestamp t) noexcept {
    return static_cast<std::uint32_t>(period_of(t, period_unit::day).index);
  }

  /// Folds a bitmap ending at `latest` into a state (the update and the merge share it). Returns
  /// false when `bits` lies entirely before the state's kept days (nothing could be placed).
  static constexpr bool fold(state& s, std::uint32_t latest, std::uint64_t bits) noexcept {
    if (!s.seen()) {
      s.bits = bits;
      s.latest = latest;
      return true;
    }
    if (latest > s.latest) {
      const auto shift = latest - s.latest;
      s.bits = shift >= kept_days ? 0 : s.bits << shift;
      s.latest = latest;
    }
    const auto offset = s.latest - latest;
    if (offset >= kept_days) return false;
    const auto placed = bits << offset;
    s.bits |= placed;
    return placed != 0;
  }

  /// Marks the event's day active, or counts the event as untracked when it is older than the
  /// customer's latest day − 63. Precondition: o.time representable (the engine guarantees it).
  template <class Context>
  void on(state& s, const observation& o, const Context&) const noexcept {
    if (!fold(s, day_of(o.time), 1u) && s.untracked != std::numeric_limits<std::uint32_t>::max()) ++s.untracked;
  }
  /// Align on the later latest day and OR; untracked summed, saturating. O(1).
  void merge(state& a, const state& b) const noexcept {
    if (b.seen()) (void)fold(a, b.latest, b.bits);
    const auto room = std::numeric_limits<std::uint32_t>::max() - a.untracked;
    a.untracked = b.untracked > room ? std::numeric_limits<std::uint32_t>::max() : a.untracked + b.untracked;
  }

  /// The customer's figures as of the context's as_of().
  template <class Context>
  [[nodiscard]] recent_days_result result(const state& s, const Context& ctx) const {
    recent_days_result r{};
    r.untracked = s.untracked;
    if (!s.seen()) return r;
    r.latest_day = s.latest;
    r.bits = s.bits;
    r.active_days = static_cast<std::uint32_t>(std::popcount(s.bits));
    r.includes_later_events = static_cast<std::int64_t>(s.latest) > period_of(ctx.as_of(), period_unit::day).index;
    return r;
  }

  /// bits (u64), latest (u32), untracked (u32), little-endian: 16 bytes.
  void save(const state& s, io::writer& w) const {
    w.u64(s.bits);
    w.u32(s.latest);
    w.u32(s.untracked);
  }
  /// Validates: without activity latest is 0; with it bit 0 (the latest day) is set and latest is a
  /// representable day (<= 49 710); no bit before day 0. Untracked events need activity.
  state load(io::reader& r, std::uint16_t) const {
    state s;
    s.bits = r.u64("recent_days: bits");
    s.latest = r.u32("recent_days: latest day");
    s.untracked = r.u32("recent_days: untracked events");
    if (!s.seen()) {
      if (s.latest != 0) io::reader::fail("recent_days: a latest day without any activity");
      if (s.untracked != 0) io::reader::fail("recent_days: untracked events without any activity");
      return s;
    }
    if ((s.bits & 1u) == 0) io::reader::fail("recent_days: the latest day is not marked active");
    if (s.latest > max_day) {
      io::reader::fail("recent_days: latest day " + std::to_string(s.latest) + " is past the representable range");
    }
    const auto highest = static_cast<std::uint32_t>(63 - std::countl_zero(s.bits));
    if (highest > s.latest) io::reader::fail("recent_days: a day before 1970-01-01 is marked active");
    return s;
  }

 private:
  static constexpr std::uint32_t max_day = static_cast<std::uint32_t>(period_of(latest_time, period_unit::day).index);
};

/// One month of stickiness figures.
struct stickiness_month {
  period month;               ///< the calendar month (period_unit::month)
  std::uint32_t days;         ///< days covered: the month's days, up to as_of's day for as_of's month
  bool complete;              ///< every day of the month is covered (as_of's month: as_of is on its last day)
  std::uint64_t mau;          ///< distinct customers active on at least one covered day
  double dau;                 ///< mean over the covered days of the distinct customers active that day
  std::optional<double> dau_mau;  ///< dau / mau; empty when mau == 0
  double wau;                 ///< mean over wau_days of the distinct customers active in the 7 days ending that day
  std::uint32_t wau_days;     ///< covered days whose trailing 7 days lie within the 64 days kept (see docs)
  std::optional<double> wau_mau;  ///< wau / mau; empty when mau == 0 or wau_days == 0
  std::vector<std::uint64_t> daily;           ///< [i]: distinct customers active on the month's day i + 1
  std::vector<std::uint64_t> by_active_days;  ///< [k − 1]: customers active on exactly k covered days (k = 1 .. days)
  /// Compares every field.
  friend bool operator==(const stickiness_month&, const stickiness_month&) = default;
};

/// What stickiness reports as of a time.
struct stickiness_result {
  std::optional<stickiness_month> current;   ///< as_of's month, up to as_of's day; empty if as_of is before 1970
  std::optional<stickiness_month> previous;  ///< the month before (complete); empty if as_of is before 1970
  std::uint64_t customers_after_as_of;       ///< customers active on a day after as_of's (those days are ignored)
  std::uint64_t customers_with_unknown_days; ///< of them, those whose activity on some reported day is lost
  std::uint64_t untracked_events;            ///< events too late to place, summed over customers (saturating)
  /// Compares every field.
  friend bool operator==(const stickiness_result&, const stickiness_result&) = default;
};

/// A report-time metric: DAU/MAU, WAU/MAU and the active-days histogram for as_of's month and the
/// previous month, from every customer's recent_days bitmap. Cost: O(customers · 64) bit operations
/// at report time, O(1) memory besides the result. No parameters.
///
/// Definitions (docs/metrics/stickiness.md): DAU = mean daily distinct active customers over the
/// month's covered days; MAU = distinct customers active in the month (covered days); WAU = mean over
/// the covered days of the distinct customers active in the trailing 7 days (the "L7"/rolling-7-day
/// active count), averaged over the days whose trailing window is within the 64 kept days
/// (wau_days; every day of as_of's month, all but up to 4 first days of the previous month).
/// Input: every customer's recent_days state; nothing per event. Result: stickiness_result. Merge: no
/// state of its own. Thread safety: the engine's (docs/architecture.md, "Thread safety"). Source: DAU/MAU as the
/// stickiness ratio (docs/metrics/stickiness.md).
struct stickiness {
  /// Stable name, part of the saved engine.
  static constexpr std::string_view id = "stickiness";
  /// Format version of its saved state and parameters.
  static constexpr std::uint16_t version = 1;
  /// The per-customer metrics it reads.
  using depends_on = metric_list<recent_days>;

  /// Its figures in the report, computed from the customer table as of rc.as_of().
  template <class ReportContext>
  [[nodiscard]] stickiness_result result(const ReportContext& rc) const {
    stickiness_result r{};
    const std::int64_t today = period_of(rc.as_of(), period_unit::day).index;
    if (today < 0) return r;
    const period cur_month = period_of(rc.as_of(), period_unit::month);
    const period prev_month = cur_month.previous();
    const std::int64_t cur_start = period_of(cur_month.start(), period_unit::day).index;
    const std::int64_t prev_start = period_of(prev_month.start(), period_unit::day).index;
    const std::int64_t cur_end = period_of(cur_month.next().start(), period_unit::day).index - 1;
    // Offsets j = today − day. The current month covers j in [0, today − cur_start], the previous
    // month j in [today − cur_start + 1, today − prev_start] (at most 61).
    const auto cur_span = static_cast<std::uint32_t>(today - cur_start + 1);
    const auto prev_span = static_cast<std::uint32_t>(cur_start - prev_start);
    const std::uint32_t last_offset = cur_span + prev_span - 1;
    std::array<std::uint64_t, 64> daily{};
    std::array<std::uint64_t, 64> weekly{};  // [j]: customers active in [today − j − 6, today − j], j <= 57
    std::uint64_t cur_mau = 0, prev_mau = 0;
    std::vector<std::uint64_t> cur_hist(cur_span, 0), prev_hist(prev_span, 0);
    const std::uint64_t cur_mask = low_bits(cur_span);
    const std::uint64_t prev_mask = low_bits(cur_span + prev_span) & ~cur_mask;

    rc.for_each_customer([&](const auto& customer) {
      const auto& s = customer.template get<recent_days>();
      if (r.untracked_events > std::numeric_limits<std::uint64_t>::max() - s.untracked) {
        r.untracked_events = std::numeric_limits<std::uint64_t>::max();
      } else {
        r.untracked_events += s.untracked;
      }
      if (!s.seen()) return;
      const std::int64_t latest = s.latest;
      std::uint64_t m = 0;  // bit j: active on today − j
      if (latest <= today) {
        const auto shift = today - latest;
        m = shift >= 64 ? 0 : s.bits << shift;
      } else {
        ++r.customers_after_as_of;
        const auto shift = latest - today;
        m = shift >= 64 ? 0 : s.bits >> shift;
        // Known offsets: j <= 63 − shift. A reported day with a larger offset is unknown.
        if (shift > 63 || static_cast<std::int64_t>(last_offset) > 63 - shift) ++r.customers_with_unknown_days;
      }
      if (m == 0) return;
      for (auto bits = m; bits != 0; bits &= bits - 1) ++daily[static_cast<std::size_t>(std::countr_zero(bits))];
      // w bit j: active on some day among today − j − 6 .. today − j.
      std::uint64_t w = m;
      for (int k = 1; k <= 6; ++k) w |= m >> k;
      w &= low_bits(58);
      for (auto bits = w; bits != 0; bits &= bits - 1) ++weekly[static_cast<std::size_t>(std::countr_zero(bits))];
      if (const auto n = std::popcount(m & cur_mask); n > 0) {
        ++cur_mau;
        ++cur_hist[static_cast<std::size_t>(n - 1)];
      }
      if (const auto n = std::popcount(m & prev_mask); n > 0) {
        ++prev_mau;
        ++prev_hist[static_cast<std::size_t>(n - 1)];
      }
    });

    auto month_figures = [&](period month, std::uint32_t first_offset, std::uint32_t span, bool complete,
                             std::uint64_t mau, std::vector<std::uint64_t> hist) {
      stickiness_month out{month, span, complete, mau, 0.0, std::nullopt, 0.0, 0, std::nullopt, {}, std::move(hist)};
      out.daily.resize(span);
      std::uint64_t dau_sum = 0, wau_sum = 0;
      for (std::uint32_t i = 0; i < span; ++i) {
        const auto j = first_offset + span - 1 - i;  // day i + 1 of the month
        out.daily[i] = daily[j];
        dau_sum += daily[j];
        if (j <= 57) {
          wau_sum += weekly[j];
          ++out.wau_days;
        }
      }
      out.dau = static_cast<double>(dau_sum) / static_cast<double>(span);
      if (out.wau_days > 0) out.wau = static_cast<double>(wau_sum) / static_cast<double>(out.wau_days);
      if (mau > 0) {
        out.dau_mau = out.dau / static_cast<double>(mau);
        if (out.wau_days > 0) out.wau_mau = out.wau / static_cast<double>(mau);
      }
      return out;
    };
    r.current = month_figures(cur_month, 0, cur_span, today == cur_end, cur_mau, std::move(cur_hist));
    r.previous = month_figures(prev_month, cur_span, prev_span, true, prev_mau, std::move(prev_hist));
    return r;
  }

 private:
  static constexpr std::uint64_t low_bits(std::uint32_t n) noexcept {
    return n >= 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << n) - 1;
  }
};

}  // namespace cxm
