#pragma once
// Time in cxm: std::chrono, UTC, millisecond resolution at the input; calendar periods (day, ISO week,
// month, quarter, year) from the C++20 calendar types.
//
// Representable range: [1970-01-01T00:00:00Z, 2106-02-07T06:28:15Z]. Per-customer state keeps times as
// unsigned 32-bit seconds since 1970 (docs/architecture.md, "customer record"), so an event outside
// this range is rejected with rejection_reason::time_out_of_range rather than wrapped silently.

#include <chrono>
#include <compare>
#include <cstdint>
#include <cstdio>
#include <string>

namespace cxm {

using timestamp = std::chrono::sys_time<std::chrono::milliseconds>;

inline constexpr timestamp earliest_time{std::chrono::milliseconds{0}};
inline constexpr timestamp latest_time{std::chrono::milliseconds{std::int64_t{0xFFFFFFFF} * 1000 + 999}};

constexpr bool representable(timestamp t) noexcept { return t >= earliest_time && t <= latest_time; }

/// Seconds since 1970 of a representable time (the per-customer resolution).
constexpr std::uint32_t to_seconds32(timestamp t) noexcept {
  return static_cast<std::uint32_t>(std::chrono::floor<std::chrono::seconds>(t).time_since_epoch().count());
}
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

enum class period_unit : std::uint8_t { day = 0, iso_week = 1, month = 2, quarter = 3, year = 4 };

/// One calendar period: its unit and its index counted from the period holding 1970-01-01
/// (ISO weeks from Monday 1969-12-29).
struct period {
  period_unit unit = period_unit::day;
  std::int64_t index = 0;

  friend constexpr auto operator<=>(const period&, const period&) = default;

  /// The first instant of the period.
  [[nodiscard]] constexpr timestamp start() const noexcept {
    using namespace std::chrono;
    switch (unit) {
      case period_unit::day: return sys_days{days{index}};
      case period_unit::iso_week: return sys_days{days{index * 7 - 3}};
      case period_unit::month: return month_start(index);
      case period_unit::quarter: return month_start(index * 3);
      case period_unit::year: return month_start(index * 12);
    }
    return {};
  }
  /// The first instant of the next period.
  [[nodiscard]] constexpr timestamp end() const noexcept { return period{unit, index + 1}.start(); }
  [[nodiscard]] constexpr period next() const noexcept { return {unit, index + 1}; }
  [[nodiscard]] constexpr period previous() const noexcept { return {unit, index - 1}; }

  /// "2026-11-23", "2026-W48", "2026-11", "2026-Q4", "2026".
  [[nodiscard]] std::string to_string() const {
    using namespace std::chrono;
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

 private:
  static constexpr timestamp month_start(std::int64_t months_since_1970) noexcept {
    using namespace std::chrono;
    const auto y = static_cast<int>(floor_div(months_since_1970, 12) + 1970);
    const auto m = static_cast<unsigned>(months_since_1970 - floor_div(months_since_1970, 12) * 12 + 1);
    return sys_days{year{y} / month{m} / 1};
  }
  static constexpr std::int64_t floor_div(std::int64_t a, std::int64_t b) noexcept {
    return a / b - ((a % b != 0) && ((a < 0) != (b < 0)) ? 1 : 0);
  }
  friend constexpr period period_of(timestamp t, period_unit unit) noexcept;
};

/// The period of `unit` that holds `t` (UTC).
constexpr period period_of(timestamp t, period_unit unit) noexcept {
  using namespace std::chrono;
  const auto day = floor<days>(t);
  const std::int64_t d = day.time_since_epoch().count();
  switch (unit) {
    case period_unit::day: return {unit, d};
    case period_unit::iso_week: return {unit, period::floor_div(d + 3, 7)};
    default: break;
  }
  const year_month_day ymd{day};
  const std::int64_t months = (static_cast<std::int64_t>(int(ymd.year())) - 1970) * 12 + unsigned(ymd.month()) - 1;
  switch (unit) {
    case period_unit::month: return {unit, months};
    case period_unit::quarter: return {unit, period::floor_div(months, 3)};
    default: return {unit, period::floor_div(months, 12)};
  }
}

}  // namespace cxm
