#pragma once
/// \file
/// Time in cxm: std::chrono, UTC, millisecond resolution at the input; calendar periods (day, ISO week,
/// month, quarter, year) from the C++20 calendar types.
///
/// Three ranges:
///  - a timestamp is any int64 count of milliseconds since 1970 (timestamp::min() .. timestamp::max(),
///    about ±292 million years). Adding or taking a bound from a time goes through saturating_add and
///    saturating_sub, which clamp to that range instead of overflowing;
///  - the representable range [1970-01-01T00:00:00Z, 2106-02-07T06:28:15.999Z] (earliest_time,
///    latest_time): per-customer state keeps times as unsigned 32-bit seconds since 1970
///    (docs/architecture.md, "customer record"), so the engine rejects an event outside it with
///    rejection_reason::time_out_of_range rather than wrapping it silently;
///  - the calendar range, the years -32766 .. 32766 (earliest_period_time, latest_period_time): the
///    times whose periods can be started, ended and labelled. The calendar types are specified only for
///    std::chrono::year's range, -32767 .. 32767; one year of margin at each end keeps every period of
///    a time in the calendar range, and the first instant after it (the end of a year, the Monday after
///    an ISO week), inside that range. Windows (events/window.hpp) hold only periods of this range.
///
/// period_of(t, unit) is exact for every timestamp. A period's start(), end() and to_string() are exact
/// for the periods of the calendar range (in_period_range(p)); outside it start() and end() saturate to
/// timestamp::min() or timestamp::max() and to_string() names the raw index, never overflowing.

#include <array>
#include <chrono>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <string_view>

#include "cxm/core/iso8601.hpp"
#include "cxm/io/reader.hpp"
#include "cxm/io/writer.hpp"

namespace cxm {

/// A time: milliseconds since 1970, UTC.
using timestamp = std::chrono::sys_time<std::chrono::milliseconds>;

/// The first time an engine accepts: 1970-01-01T00:00:00.000Z.
inline constexpr timestamp earliest_time{std::chrono::milliseconds{0}};
/// The last time an engine accepts: 2106-02-07T06:28:15.999Z (32-bit seconds).
inline constexpr timestamp latest_time{std::chrono::milliseconds{std::int64_t{0xFFFFFFFF} * 1000 + 999}};

/// Whether `t` is in earliest_time .. latest_time.
constexpr bool representable(timestamp t) noexcept { return t >= earliest_time && t <= latest_time; }

/// `t + d`, or timestamp::max() / timestamp::min() when the exact sum is beyond the int64 milliseconds
/// of a timestamp. For any `d`, including milliseconds::min() and milliseconds::max().
constexpr timestamp saturating_add(timestamp t, std::chrono::milliseconds d) noexcept {
  using limits = std::numeric_limits<timestamp::rep>;
  const timestamp::rep a = t.time_since_epoch().count(), b = d.count();
  if (b > 0 && a > limits::max() - b) return timestamp::max();
  if (b < 0 && a < limits::min() - b) return timestamp::min();
  return timestamp{std::chrono::milliseconds{a + b}};
}

/// `t - d`, or timestamp::min() / timestamp::max() when the exact difference is beyond the int64
/// milliseconds of a timestamp. For any `d`, including milliseconds::min() (never negated).
constexpr timestamp saturating_sub(timestamp t, std::chrono::milliseconds d) noexcept {
  using limits = std::numeric_limits<timestamp::rep>;
  const timestamp::rep a = t.time_since_epoch().count(), b = d.count();
  if (b > 0 && a < limits::min() + b) return timestamp::min();
  if (b < 0 && a > limits::max() + b) return timestamp::max();
  return timestamp{std::chrono::milliseconds{a - b}};
}

/// The calendar range: -32766-01-01T00:00:00.000Z .. 32766-12-31T23:59:59.999Z (see the top of the file).
inline constexpr timestamp earliest_period_time =
    std::chrono::sys_days{std::chrono::year{-32766} / std::chrono::January / 1};
/// The last instant of the calendar range: 32766-12-31T23:59:59.999Z.
inline constexpr timestamp latest_period_time =
    std::chrono::sys_days{std::chrono::year{32767} / std::chrono::January / 1} - std::chrono::milliseconds{1};

/// Whether `t` is in the calendar range [earliest_period_time, latest_period_time].
constexpr bool in_period_range(timestamp t) noexcept { return t >= earliest_period_time && t <= latest_period_time; }

/// Seconds since 1970 of a representable time (the per-customer resolution). Precondition:
/// representable(t) — the time is not negative, so an unsigned division rounds toward the past.
constexpr std::uint32_t to_seconds32(timestamp t) noexcept {
  return static_cast<std::uint32_t>(static_cast<std::uint64_t>(t.time_since_epoch().count()) / 1000u);
}
/// Seconds since 1970 (as to_seconds32 gives) back to a timestamp.
constexpr timestamp from_seconds32(std::uint32_t s) noexcept {
  return timestamp{std::chrono::seconds{s}};
}

/// Any std::chrono::sys_time, converted to cxm's millisecond timestamp (rounded toward the past).
template <class Duration>
constexpr timestamp to_timestamp(std::chrono::sys_time<Duration> t) noexcept {
  return std::chrono::floor<std::chrono::milliseconds>(t);
}

/// Milliseconds since 1970 as a timestamp (hosts with integer timestamps).
constexpr timestamp from_unix_ms(std::int64_t ms) noexcept { return timestamp{std::chrono::milliseconds{ms}}; }

/// A calendar period, UTC. The numbering is part of the state format.
enum class period_unit : std::uint8_t { day = 0, iso_week = 1, month = 2, quarter = 3, year = 4 };
inline constexpr std::size_t period_unit_count = 5;  ///< number of period units

/// "day", "iso_week", "month", "quarter", "year"; "unknown" for any other value.
constexpr std::string_view to_string(period_unit unit) noexcept {
  switch (unit) {
    case period_unit::day: return "day";
    case period_unit::iso_week: return "iso_week";
    case period_unit::month: return "month";
    case period_unit::quarter: return "quarter";
    case period_unit::year: return "year";
  }
  return "unknown";
}

namespace detail {
/// a / b rounded toward −∞, for b > 0.
constexpr std::int64_t floor_div(std::int64_t a, std::int64_t b) noexcept {
  return a / b - ((a % b != 0) && ((a < 0) != (b < 0)) ? 1 : 0);
}
/// The Gregorian calendar repeats every 400 years: 146 097 days, 4 800 months.
inline constexpr std::int64_t days_per_400_years = 146'097;
inline constexpr std::int64_t months_per_400_years = 4'800;
}  // namespace detail

/// One calendar period: its unit and its index counted from the period holding 1970-01-01
/// (ISO weeks from Monday 1969-12-29).
struct period {
  period_unit unit = period_unit::day;  ///< the period's unit
  std::int64_t index = 0;  ///< periods since the one holding 1970-01-01

  /// Orders by unit, then index.
  friend constexpr auto operator<=>(const period&, const period&) = default;

  /// The first instant of the period: exact from first_period(unit) to last_period(unit).next();
  /// timestamp::min() below that, timestamp::max() above it (and for an unknown unit).
  [[nodiscard]] constexpr timestamp start() const noexcept;
  /// The first instant of the next period: exact for in_period_range(*this), saturated like start()
  /// otherwise.
  [[nodiscard]] constexpr timestamp end() const noexcept;
  /// index ± 1: the caller keeps the index off the int64 limits (any period of the calendar range is).
  [[nodiscard]] constexpr period next() const noexcept { return {unit, index + 1}; }
  [[nodiscard]] constexpr period previous() const noexcept { return {unit, index - 1}; }  ///< index − 1

  /// "2026-11-23", "2026-W48", "2026-11", "2026-Q4", "2026"; outside the calendar range,
  /// "month period 9223372036854775807 (outside the calendar range)".
  [[nodiscard]] std::string to_string() const;

 private:
  static constexpr timestamp month_start(std::int64_t months_since_1970) noexcept {
    using namespace std::chrono;
    const auto y = static_cast<int>(detail::floor_div(months_since_1970, 12) + 1970);
    const auto m = static_cast<unsigned>(months_since_1970 - detail::floor_div(months_since_1970, 12) * 12 + 1);
    return sys_days{year{y} / month{m} / 1};
  }
};

/// The period of `unit` that holds `t` (UTC). Exact for every timestamp, also outside the calendar
/// range: the day is first moved by whole 400-year cycles into 1970..2369, where the calendar types
/// are specified, and the cycles are added back as 4 800 months each.
constexpr period period_of(timestamp t, period_unit unit) noexcept {
  using namespace std::chrono;
  // floor<days> of any int64 milliseconds is about ±1.07e11 days: no sum or product below overflows.
  const std::int64_t d = floor<days>(t).time_since_epoch().count();
  switch (unit) {
    case period_unit::day: return {unit, d};
    case period_unit::iso_week: return {unit, detail::floor_div(d + 3, 7)};
    default: break;
  }
  const std::int64_t cycles = detail::floor_div(d, detail::days_per_400_years);
  const year_month_day ymd{sys_days{days{d - cycles * detail::days_per_400_years}}};
  const std::int64_t months = cycles * detail::months_per_400_years +
                              (static_cast<std::int64_t>(int(ymd.year())) - 1970) * 12 + unsigned(ymd.month()) - 1;
  switch (unit) {
    case period_unit::month: return {unit, months};
    case period_unit::quarter: return {unit, detail::floor_div(months, 3)};
    default: return {unit, detail::floor_div(months, 12)};
  }
}

namespace detail {
constexpr std::array<std::int64_t, period_unit_count> period_indices(timestamp t) noexcept {
  return {period_of(t, period_unit::day).index, period_of(t, period_unit::iso_week).index,
          period_of(t, period_unit::month).index, period_of(t, period_unit::quarter).index,
          period_of(t, period_unit::year).index};
}
inline constexpr std::array<std::int64_t, period_unit_count> first_period_index = period_indices(earliest_period_time);
inline constexpr std::array<std::int64_t, period_unit_count> last_period_index = period_indices(latest_period_time);
constexpr bool known_unit(period_unit unit) noexcept { return static_cast<std::size_t>(unit) < period_unit_count; }
}  // namespace detail

/// The period of `unit` holding earliest_period_time, the first of the calendar range.
constexpr period first_period(period_unit unit) noexcept {
  return {unit, detail::known_unit(unit) ? detail::first_period_index[static_cast<std::size_t>(unit)] : 0};
}
/// The period of `unit` holding latest_period_time, the last of the calendar range.
constexpr period last_period(period_unit unit) noexcept {
  return {unit, detail::known_unit(unit) ? detail::last_period_index[static_cast<std::size_t>(unit)] : 0};
}

/// Whether `p` is a period of a known unit from first_period(p.unit) to last_period(p.unit): its
/// start(), end() and to_string() are exact.
constexpr bool in_period_range(period p) noexcept {
  return detail::known_unit(p.unit) && p.index >= first_period(p.unit).index && p.index <= last_period(p.unit).index;
}

constexpr timestamp period::start() const noexcept {
  using namespace std::chrono;
  // Exact up to the start of the period after the last one, which is still inside std::chrono::year's
  // range (the calendar range keeps a year of margin).
  if (!detail::known_unit(unit) || index > last_period(unit).index + 1) return timestamp::max();
  if (index < first_period(unit).index) return timestamp::min();
  switch (unit) {
    case period_unit::day: return sys_days{days{index}};
    case period_unit::iso_week: return sys_days{days{index * 7 - 3}};
    case period_unit::month: return month_start(index);
    case period_unit::quarter: return month_start(index * 3);
    case period_unit::year: return month_start(index * 12);
  }
  return timestamp::max();
}

constexpr timestamp period::end() const noexcept {
  return index == std::numeric_limits<std::int64_t>::max() ? timestamp::max() : next().start();
}

inline std::string period::to_string() const {
  using namespace std::chrono;
  if (!in_period_range(*this)) {
    return std::string(cxm::to_string(unit)) + " period " + std::to_string(index) + " (outside the calendar range)";
  }
  char buf[32];
  const year_month_day first{floor<days>(start())};
  switch (unit) {
    case period_unit::day:
      std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", int(first.year()), unsigned(first.month()), unsigned(first.day()));
      break;
    case period_unit::iso_week: {
      // The ISO year of a week is the year of its Thursday.
      const year_month_day thursday{floor<days>(start()) + days{3}};
      const sys_days jan4{thursday.year() / January / 4};
      const auto week1_monday = jan4 - (weekday{jan4} - Monday);
      const auto week = (floor<days>(start()) - week1_monday).count() / 7 + 1;
      std::snprintf(buf, sizeof buf, "%04d-W%02d", int(thursday.year()), int(week));
      break;
    }
    case period_unit::month:
      std::snprintf(buf, sizeof buf, "%04d-%02u", int(first.year()), unsigned(first.month()));
      break;
    case period_unit::quarter:
      std::snprintf(buf, sizeof buf, "%04d-Q%u", int(first.year()), (unsigned(first.month()) - 1) / 3 + 1);
      break;
    case period_unit::year:
      std::snprintf(buf, sizeof buf, "%04d", int(first.year()));
      break;
  }
  return buf;
}

/// An optional time in a saved state: a flag, then milliseconds since 1970 (0 without the flag).
inline void save_optional_time(io::writer& w, const std::optional<timestamp>& t) {
  w.boolean(t.has_value());
  w.i64(t ? t->time_since_epoch().count() : 0);
}

/// Reads an optional time saved by save_optional_time: without its flag the value must be 0, with it
/// the time must lie in [first, last]; `range` names that range in the message ("the calendar range
/// (years -32766..32766)"). Throws cxm::format_error naming `what`, with times in ISO 8601.
inline std::optional<timestamp> load_optional_time(io::reader& r, std::string_view what, timestamp first,
                                                   timestamp last, std::string_view range) {
  const bool has = r.boolean(std::string(what) + " flag");
  const auto ms = r.i64(what);
  if (!has) {
    if (ms != 0) io::reader::fail(std::string(what) + " value " + format_iso8601(ms) + " without its flag");
    return std::nullopt;
  }
  const timestamp t{std::chrono::milliseconds{ms}};
  if (t < first || t > last) {
    io::reader::fail(std::string(what) + " " + format_iso8601(ms) + " is outside " + std::string(range));
  }
  return t;
}

}  // namespace cxm
