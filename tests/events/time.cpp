// Tests for cxm's time and calendar periods (include/cxm/events/time.hpp).

#include "cxm/events/time.hpp"

#include <chrono>
#include <cstdint>
#include <ctime>
#include <limits>
#include <random>
#include <string>
#include <utility>

#include <doctest/doctest.h>

namespace {

using namespace std::chrono;
using cxm::period;
using cxm::period_of;
using cxm::period_unit;

/// The same period as text, from the C library's own calendar code (an independent implementation).
std::string c_library_label(cxm::timestamp t, const char* format) {
  const std::time_t seconds = static_cast<std::time_t>(floor<std::chrono::seconds>(t).time_since_epoch().count());
  const std::tm* parts = std::gmtime(&seconds);
  REQUIRE(parts != nullptr);
  char buf[32];
  REQUIRE(std::strftime(buf, sizeof buf, format, parts) > 0);
  return buf;
}

constexpr cxm::timestamp at(year_month_day d, milliseconds since_midnight = milliseconds{0}) {
  return sys_days{d} + since_midnight;
}

constexpr milliseconds last_millisecond_of_day = hours{23} + minutes{59} + seconds{59} + milliseconds{999};

}  // namespace

TEST_CASE("An event at 23:59:59.999 on the last day of a month belongs to that month, one at 00:00 next day to the next") {
  const auto last_instant = at(2024y / January / 31, last_millisecond_of_day);
  const auto first = at(2024y / February / 1);
  CHECK(first - last_instant == milliseconds{1});
  // Months are counted from 1970-01: (2024 − 1970) · 12 + 0 = 648 for January 2024.
  CHECK(period_of(last_instant, period_unit::month) == period{period_unit::month, 648});
  CHECK(period_of(first, period_unit::month) == period{period_unit::month, 649});
  CHECK(period_of(last_instant, period_unit::month).to_string() == "2024-01");
  CHECK(period_of(first, period_unit::month).to_string() == "2024-02");
  // Days: 2024-01-01 is day 1 704 067 200 / 86 400 = 19 723, so 2024-01-31 is 19 753.
  CHECK(period_of(last_instant, period_unit::day).index == 19'753);
  CHECK(period_of(first, period_unit::day).index == 19'754);
  CHECK(period_of(last_instant, period_unit::day).to_string() == "2024-01-31");

  // A leap day ends February 2024.
  CHECK(period_of(at(2024y / February / 29, last_millisecond_of_day), period_unit::month).to_string() == "2024-02");
  CHECK(period_of(at(2024y / March / 1), period_unit::month).to_string() == "2024-03");
}

TEST_CASE("The last millisecond of a year closes its month, quarter and year") {
  const auto last_instant = at(2023y / December / 31, last_millisecond_of_day);
  const auto first = at(2024y / January / 1);
  // 2023-12: (2023 − 1970) · 12 + 11 = 647; quarter 647 / 3 = 215 (2023-Q4); year 53.
  CHECK(period_of(last_instant, period_unit::month).index == 647);
  CHECK(period_of(last_instant, period_unit::quarter) == period{period_unit::quarter, 215});
  CHECK(period_of(last_instant, period_unit::quarter).to_string() == "2023-Q4");
  CHECK(period_of(last_instant, period_unit::year) == period{period_unit::year, 53});
  CHECK(period_of(last_instant, period_unit::year).to_string() == "2023");
  CHECK(period_of(first, period_unit::month).index == 648);
  CHECK(period_of(first, period_unit::quarter).to_string() == "2024-Q1");
  CHECK(period_of(first, period_unit::year).index == 54);
}

TEST_CASE("ISO weeks: 2020-12-31 and 2021-01-03 are 2020-W53, 2021-01-04 is 2021-W01") {
  const auto thursday = period_of(at(2020y / December / 31), period_unit::iso_week);
  const auto sunday = period_of(at(2021y / January / 3, last_millisecond_of_day), period_unit::iso_week);
  const auto monday = period_of(at(2021y / January / 4), period_unit::iso_week);
  CHECK(thursday.to_string() == "2020-W53");
  CHECK(sunday.to_string() == "2020-W53");
  CHECK(monday.to_string() == "2021-W01");
  CHECK(thursday == sunday);
  CHECK(monday == sunday.next());
  // Weeks count from Monday 1969-12-29 (day −3): 2021-01-04 is day 18 631, (18 631 + 3) / 7 = 2662.
  CHECK(monday.index == 2662);
  CHECK(monday.start() == at(2021y / January / 4));
  CHECK(sunday.end() == monday.start());

  // 2020 is a 53-week ISO year (it starts on Monday 2019-12-30), 2021 a 52-week one.
  const auto w2020_01 = period_of(at(2019y / December / 30), period_unit::iso_week);
  CHECK(w2020_01.to_string() == "2020-W01");
  CHECK(monday.index - w2020_01.index == 53);
  const auto w2022_01 = period_of(at(2022y / January / 3), period_unit::iso_week);
  CHECK(w2022_01.to_string() == "2022-W01");
  CHECK(w2022_01.index - monday.index == 52);
  CHECK(period_of(at(2022y / January / 2), period_unit::iso_week).to_string() == "2021-W52");

  // Another 53-week year: 2015-12-31 (a Thursday) through 2016-01-03 are 2015-W53.
  CHECK(period_of(at(2015y / December / 31), period_unit::iso_week).to_string() == "2015-W53");
  CHECK(period_of(at(2016y / January / 3), period_unit::iso_week).to_string() == "2015-W53");
  CHECK(period_of(at(2016y / January / 4), period_unit::iso_week).to_string() == "2016-W01");
  // The example of the header's comment: 2026-11-23 is a Monday of 2026-W48.
  CHECK(period_of(at(2026y / November / 23), period_unit::iso_week).to_string() == "2026-W48");
}

TEST_CASE("ISO week 0 starts on Monday 1969-12-29 and holds 1970-01-01") {
  const auto w = period_of(cxm::earliest_time, period_unit::iso_week);
  CHECK(w == period{period_unit::iso_week, 0});
  CHECK(w.start() == at(1969y / December / 29));
  CHECK(w.end() == at(1970y / January / 5));
  CHECK(w.to_string() == "1970-W01");
}

TEST_CASE("Day, ISO week and month labels agree with the C library's calendar on random times 1970..2106") {
  std::mt19937_64 rng(19700101);
  const auto span = static_cast<std::uint64_t>(cxm::latest_time.time_since_epoch().count());
  for (int trial = 0; trial < 3000; ++trial) {
    const cxm::timestamp t{milliseconds{static_cast<std::int64_t>(rng() % span)}};
    CAPTURE(t.time_since_epoch().count());
    CHECK(period_of(t, period_unit::day).to_string() == c_library_label(t, "%Y-%m-%d"));
    CHECK(period_of(t, period_unit::iso_week).to_string() == c_library_label(t, "%G-W%V"));
    CHECK(period_of(t, period_unit::month).to_string() == c_library_label(t, "%Y-%m"));
    CHECK(period_of(t, period_unit::year).to_string() == c_library_label(t, "%Y"));
  }
}

TEST_CASE("A period holds exactly the times in [start, end), and the next period starts at its end") {
  std::mt19937_64 rng(42);
  const auto span = static_cast<std::uint64_t>(cxm::latest_time.time_since_epoch().count());
  for (const auto unit : {period_unit::day, period_unit::iso_week, period_unit::month, period_unit::quarter,
                          period_unit::year}) {
    CAPTURE(static_cast<int>(unit));
    for (int trial = 0; trial < 500; ++trial) {
      const cxm::timestamp t{milliseconds{static_cast<std::int64_t>(rng() % span)}};
      const period p = period_of(t, unit);
      CHECK(p.start() <= t);
      CHECK(t < p.end());
      CHECK(period_of(p.start(), unit) == p);
      CHECK(period_of(p.end() - milliseconds{1}, unit) == p);
      CHECK(period_of(p.end(), unit) == p.next());
      CHECK(p.next().previous() == p);
      CHECK(p < p.next());
    }
  }
}

TEST_CASE("Quarters and years start on the first of January, April, July and October") {
  CHECK(period{period_unit::quarter, 216}.start() == at(2024y / January / 1));
  CHECK(period{period_unit::quarter, 217}.start() == at(2024y / April / 1));
  CHECK(period{period_unit::quarter, 218}.start() == at(2024y / July / 1));
  CHECK(period{period_unit::quarter, 219}.start() == at(2024y / October / 1));
  CHECK(period{period_unit::quarter, 219}.end() == at(2025y / January / 1));
  CHECK(period{period_unit::year, 0}.start() == at(1970y / January / 1));
  CHECK(period{period_unit::year, 54}.to_string() == "2024");
  CHECK(period{period_unit::month, 0}.to_string() == "1970-01");
  CHECK(period{period_unit::month, 11}.end() == at(1971y / January / 1));
}

TEST_CASE("The representable range is 1970-01-01T00:00:00.000 to 2106-02-07T06:28:15.999 UTC") {
  CHECK(cxm::earliest_time == at(1970y / January / 1));
  CHECK(cxm::latest_time == at(2106y / February / 7, hours{6} + minutes{28} + seconds{15} + milliseconds{999}));
  CHECK(cxm::representable(cxm::earliest_time));
  CHECK(cxm::representable(cxm::latest_time));
  CHECK_FALSE(cxm::representable(cxm::earliest_time - milliseconds{1}));
  CHECK_FALSE(cxm::representable(cxm::latest_time + milliseconds{1}));
  // 2106-02-07T06:28:15 is 2^32 − 1 seconds after 1970: the last second an unsigned 32-bit count holds.
  CHECK(cxm::to_seconds32(cxm::latest_time) == 0xFFFFFFFFu);
  CHECK(cxm::from_seconds32(0xFFFFFFFFu) == cxm::latest_time - milliseconds{999});
}

TEST_CASE("Seconds since 1970 round milliseconds down; unix milliseconds convert exactly") {
  CHECK(cxm::to_seconds32(cxm::from_unix_ms(1'999)) == 1u);
  CHECK(cxm::to_seconds32(cxm::from_unix_ms(2'000)) == 2u);
  CHECK(cxm::to_seconds32(cxm::from_unix_ms(0)) == 0u);
  CHECK(cxm::from_unix_ms(1'704'067'200'000) == at(2024y / January / 1));
  CHECK(cxm::from_seconds32(1'704'067'200u) == at(2024y / January / 1));
}

TEST_CASE("to_timestamp converts any sys_time to milliseconds, rounding toward the past") {
  CHECK(cxm::to_timestamp(sys_time<microseconds>{microseconds{1'500}}) == cxm::from_unix_ms(1));
  CHECK(cxm::to_timestamp(sys_time<microseconds>{microseconds{-1}}) == cxm::from_unix_ms(-1));
  CHECK(cxm::to_timestamp(sys_seconds{seconds{1'704'067'200}}) == at(2024y / January / 1));
  CHECK(cxm::to_timestamp(sys_days{2024y / January / 1}) == at(2024y / January / 1));
}

// ---- Saturating arithmetic and the calendar range (issue #12) -------------------------------------

namespace {

constexpr auto ms_max = std::numeric_limits<std::int64_t>::max();
constexpr auto ms_min = std::numeric_limits<std::int64_t>::min();
constexpr cxm::timestamp t_max = cxm::timestamp::max();
constexpr cxm::timestamp t_min = cxm::timestamp::min();

constexpr period_unit all_units[] = {period_unit::day, period_unit::iso_week, period_unit::month,
                                     period_unit::quarter, period_unit::year};

/// Months since 1970-01 straight from the calendar types (valid inside std::chrono::year's range).
std::int64_t chrono_months(cxm::timestamp t) {
  const year_month_day ymd{floor<days>(t)};
  return (static_cast<std::int64_t>(int(ymd.year())) - 1970) * 12 + unsigned(ymd.month()) - 1;
}

}  // namespace

// The helpers are constant expressions.
static_assert(cxm::saturating_add(cxm::from_unix_ms(1), milliseconds{2}) == cxm::from_unix_ms(3));
static_assert(cxm::saturating_sub(cxm::timestamp::min(), milliseconds{1}) == cxm::timestamp::min());
static_assert(noexcept(cxm::saturating_add(std::declval<cxm::timestamp>(), std::declval<milliseconds>())));
static_assert(noexcept(cxm::saturating_sub(std::declval<cxm::timestamp>(), std::declval<milliseconds>())));
static_assert(cxm::in_period_range(cxm::earliest_period_time) && !cxm::in_period_range(cxm::timestamp::max()));

TEST_CASE("saturating_add and saturating_sub are exact inside the int64 range and clamp at its ends") {
  const auto t = at(2024y / March / 10);
  CHECK(cxm::saturating_add(t, hours{1}) == t + hours{1});
  CHECK(cxm::saturating_sub(t, hours{1}) == t - hours{1});
  CHECK(cxm::saturating_add(t, -hours{1}) == t - hours{1});
  CHECK(cxm::saturating_sub(t, -hours{1}) == t + hours{1});
  CHECK(cxm::saturating_add(t, milliseconds{0}) == t);

  // Exactly reaching a limit is exact; one past it clamps.
  CHECK(cxm::saturating_add(cxm::from_unix_ms(ms_max - 5), milliseconds{5}) == t_max);
  CHECK(cxm::saturating_add(cxm::from_unix_ms(ms_max - 5), milliseconds{6}) == t_max);
  CHECK(cxm::saturating_add(cxm::from_unix_ms(ms_max - 5), milliseconds{4}) == cxm::from_unix_ms(ms_max - 1));
  CHECK(cxm::saturating_sub(cxm::from_unix_ms(ms_min + 5), milliseconds{5}) == t_min);
  CHECK(cxm::saturating_sub(cxm::from_unix_ms(ms_min + 5), milliseconds{6}) == t_min);
  CHECK(cxm::saturating_sub(cxm::from_unix_ms(ms_min + 5), milliseconds{4}) == cxm::from_unix_ms(ms_min + 1));

  // The extreme durations, including milliseconds::min() (whose negation would overflow).
  CHECK(cxm::saturating_add(t_max, milliseconds::max()) == t_max);
  CHECK(cxm::saturating_add(t_min, milliseconds::min()) == t_min);
  CHECK(cxm::saturating_add(t_min, milliseconds::max()) == cxm::from_unix_ms(-1));
  CHECK(cxm::saturating_add(t_max, milliseconds::min()) == cxm::from_unix_ms(-1));
  CHECK(cxm::saturating_sub(t_min, milliseconds::max()) == t_min);
  CHECK(cxm::saturating_sub(t_max, milliseconds::min()) == t_max);
  CHECK(cxm::saturating_sub(t_min, milliseconds::min()) == cxm::from_unix_ms(0));
  CHECK(cxm::saturating_sub(t_max, milliseconds::max()) == cxm::from_unix_ms(0));
  CHECK(cxm::saturating_sub(cxm::from_unix_ms(-1), milliseconds::max()) == t_min);
  CHECK(cxm::saturating_sub(cxm::from_unix_ms(-1), milliseconds::min()) == t_max);
  CHECK(cxm::saturating_sub(cxm::from_unix_ms(-2), milliseconds::min()) == cxm::from_unix_ms(ms_max - 1));

  // Random operands against the compiler's overflow-checking arithmetic, clamped.
  std::mt19937_64 rng(12);
  for (int trial = 0; trial < 20'000; ++trial) {
    // Mix full-range values with values near the limits and near zero.
    const auto draw = [&rng]() -> std::int64_t {
      const auto v = static_cast<std::int64_t>(rng());
      switch (rng() % 3) {
        case 0: return v;
        case 1: return (v < 0 ? ms_min : ms_max) - v % 1000;
        default: return v % 1'000'000;
      }
    };
    const std::int64_t a = draw(), b = draw();
    CAPTURE(a);
    CAPTURE(b);
    std::int64_t sum = 0, difference = 0;
    const std::int64_t expected_sum = __builtin_add_overflow(a, b, &sum) ? (b > 0 ? ms_max : ms_min) : sum;
    const std::int64_t expected_difference =
        __builtin_sub_overflow(a, b, &difference) ? (b < 0 ? ms_max : ms_min) : difference;
    CHECK(cxm::saturating_add(cxm::from_unix_ms(a), milliseconds{b}) == cxm::from_unix_ms(expected_sum));
    CHECK(cxm::saturating_sub(cxm::from_unix_ms(a), milliseconds{b}) == cxm::from_unix_ms(expected_difference));
  }
}

TEST_CASE("The calendar range is -32766-01-01T00:00:00.000Z .. 32766-12-31T23:59:59.999Z") {
  CHECK(cxm::earliest_period_time == sys_days{year{-32766} / January / 1});
  CHECK(cxm::latest_period_time == sys_days{year{32766} / December / 31} + last_millisecond_of_day);
  CHECK(cxm::in_period_range(cxm::earliest_period_time));
  CHECK(cxm::in_period_range(cxm::latest_period_time));
  CHECK_FALSE(cxm::in_period_range(cxm::earliest_period_time - milliseconds{1}));
  CHECK_FALSE(cxm::in_period_range(cxm::latest_period_time + milliseconds{1}));
  CHECK_FALSE(cxm::in_period_range(t_min));
  CHECK_FALSE(cxm::in_period_range(t_max));
  // It holds the representable range of per-customer times.
  CHECK(cxm::in_period_range(cxm::earliest_time));
  CHECK(cxm::in_period_range(cxm::latest_time));

  // The first and last periods of each unit hold the ends of the range; their neighbours outside it
  // are outside in_period_range.
  for (const auto unit : all_units) {
    CAPTURE(cxm::to_string(unit));
    const period first = cxm::first_period(unit), last_p = cxm::last_period(unit);
    CHECK(first == period_of(cxm::earliest_period_time, unit));
    CHECK(last_p == period_of(cxm::latest_period_time, unit));
    CHECK(cxm::in_period_range(first));
    CHECK(cxm::in_period_range(last_p));
    CHECK_FALSE(cxm::in_period_range(first.previous()));
    CHECK_FALSE(cxm::in_period_range(last_p.next()));
    CHECK(first.start() <= cxm::earliest_period_time);
    CHECK(cxm::earliest_period_time < first.end());
    CHECK(last_p.start() <= cxm::latest_period_time);
    CHECK(cxm::latest_period_time < last_p.end());
    CHECK(last_p.end() == last_p.next().start());
    CHECK(period_of(last_p.end(), unit) == last_p.next());
  }
  // Every unit but the ISO week starts exactly at the range's ends.
  for (const auto unit : {period_unit::day, period_unit::month, period_unit::quarter, period_unit::year}) {
    CHECK(cxm::first_period(unit).start() == cxm::earliest_period_time);
    CHECK(cxm::last_period(unit).end() == cxm::latest_period_time + milliseconds{1});
  }
  // The indices docs/state-format.md lists for the calendar range.
  CHECK(cxm::earliest_period_time.time_since_epoch().count() == -1'096'162'243'200'000);
  CHECK(cxm::latest_period_time.time_since_epoch().count() == 971'859'427'199'999);
  CHECK(cxm::first_period(period_unit::day).index == -12'687'063);
  CHECK(cxm::last_period(period_unit::day).index == 11'248'372);
  CHECK(cxm::first_period(period_unit::iso_week).index == -1'812'438);
  CHECK(cxm::last_period(period_unit::iso_week).index == 1'606'910);
  CHECK(cxm::first_period(period_unit::quarter).index == -138'944);
  CHECK(cxm::last_period(period_unit::quarter).index == 123'187);
  CHECK(cxm::first_period(period_unit::year).index == -34'736);
  CHECK(cxm::last_period(period_unit::year).index == 30'796);
  CHECK(cxm::first_period(period_unit::month) == period{period_unit::month, (-32766 - 1970) * 12});
  CHECK(cxm::last_period(period_unit::month) == period{period_unit::month, (32766 - 1970) * 12 + 11});
  CHECK(cxm::first_period(period_unit::year).to_string() == "-32766");
  CHECK(cxm::last_period(period_unit::year).to_string() == "32766");
  CHECK(cxm::first_period(period_unit::month).to_string() == "-32766-01");
  CHECK(cxm::last_period(period_unit::quarter).to_string() == "32766-Q4");
  CHECK(cxm::last_period(period_unit::day).to_string() == "32766-12-31");
  // ISO weeks at the ends: a label from the week's Thursday, so the year may differ from the date's.
  const auto first_week = cxm::first_period(period_unit::iso_week);
  const auto last_week = cxm::last_period(period_unit::iso_week);
  CHECK(year_month_day{floor<days>(first_week.start())}.year() >= year{-32767});
  CHECK(year_month_day{floor<days>(last_week.end())}.year() <= year{32767});
  CHECK(first_week.to_string().find("-W") != std::string::npos);
  CHECK(last_week.to_string().find("-W") != std::string::npos);
}

TEST_CASE("period_of is exact for every timestamp: a 400-year shift moves it by whole cycles") {
  // Inside the calendar range, against the calendar types directly.
  std::mt19937_64 rng(400);
  const auto lo = cxm::earliest_period_time.time_since_epoch().count();
  const auto range_span = static_cast<std::uint64_t>(cxm::latest_period_time.time_since_epoch().count() - lo);
  for (int trial = 0; trial < 5'000; ++trial) {
    const cxm::timestamp t = cxm::from_unix_ms(lo + static_cast<std::int64_t>(rng() % range_span));
    CAPTURE(t.time_since_epoch().count());
    const auto months = chrono_months(t);
    CHECK(period_of(t, period_unit::month).index == months);
    CHECK(period_of(t, period_unit::quarter).index == cxm::detail::floor_div(months, 3));
    CHECK(period_of(t, period_unit::year).index == cxm::detail::floor_div(months, 12));
    for (const auto unit : all_units) {
      const period p = period_of(t, unit);
      REQUIRE(cxm::in_period_range(p));
      CHECK(p.start() <= t);
      CHECK(t < p.end());
      CHECK(period_of(p.start(), unit) == p);
      CHECK(period_of(p.end() - milliseconds{1}, unit) == p);
    }
  }
  // Anywhere in the int64 range: 400 years later is 4 800 months, 1 600 quarters, 400 years later.
  constexpr auto cycle = days{cxm::detail::days_per_400_years};
  constexpr auto cycle_ms = duration_cast<milliseconds>(cycle).count();
  for (int trial = 0; trial < 5'000; ++trial) {
    const auto ms = static_cast<std::int64_t>(rng() >> 1) - (trial % 2 == 0 ? 0 : ms_max);  // any sign
    if (ms > ms_max - cycle_ms) continue;
    const cxm::timestamp t = cxm::from_unix_ms(ms), later = t + cycle;
    CAPTURE(ms);
    CHECK(period_of(later, period_unit::month).index == period_of(t, period_unit::month).index + 4'800);
    CHECK(period_of(later, period_unit::quarter).index == period_of(t, period_unit::quarter).index + 1'600);
    CHECK(period_of(later, period_unit::year).index == period_of(t, period_unit::year).index + 400);
    CHECK(period_of(later, period_unit::iso_week).index ==
          period_of(t, period_unit::iso_week).index + cxm::detail::days_per_400_years / 7);
    CHECK(period_of(later, period_unit::day).index ==
          period_of(t, period_unit::day).index + cxm::detail::days_per_400_years);
  }
  // The extremes (under UBSan: no overflow anywhere).
  const std::int64_t min_day = floor<days>(t_min).time_since_epoch().count();
  const std::int64_t max_day = floor<days>(t_max).time_since_epoch().count();
  CHECK(period_of(t_min, period_unit::day).index == min_day);
  CHECK(period_of(t_max, period_unit::day).index == max_day);
  CHECK(period_of(t_min, period_unit::iso_week).index == cxm::detail::floor_div(min_day + 3, 7));
  for (const auto unit : all_units) {
    CAPTURE(cxm::to_string(unit));
    CHECK(period_of(t_min, unit) < cxm::first_period(unit));
    CHECK(period_of(t_max, unit) > cxm::last_period(unit));
    CHECK(period_of(t_min, unit) <= period_of(t_min + milliseconds{1}, unit));
    CHECK(period_of(t_max - milliseconds{1}, unit) <= period_of(t_max, unit));
  }
  // The year of timestamp::max() is about 292 million years after 1970.
  CHECK(period_of(t_max, period_unit::year).index > 292'000'000);
  CHECK(period_of(t_min, period_unit::year).index < -292'000'000);
}

TEST_CASE("Outside the calendar range, start() and end() saturate and to_string() names the index") {
  for (const auto unit : all_units) {
    CAPTURE(cxm::to_string(unit));
    const period last_p = cxm::last_period(unit), first = cxm::first_period(unit);
    CHECK(period{unit, ms_max}.start() == t_max);
    CHECK(period{unit, ms_max}.end() == t_max);
    CHECK(period{unit, ms_min}.start() == t_min);
    CHECK(period{unit, ms_min}.end() == t_min);
    CHECK(first.previous().start() == t_min);
    CHECK(first.previous().end() == first.start());
    CHECK(last_p.next().start() == last_p.end());   // still exact: the end of the range
    CHECK(last_p.next().end() == t_max);
    CHECK(period_of(t_max, unit).start() == t_max);
    CHECK(period_of(t_min, unit).start() == t_min);
  }
  CHECK(period{period_unit::month, ms_max}.to_string() == "month period 9223372036854775807 (outside the calendar range)");
  CHECK(period{period_unit::iso_week, ms_min}.to_string() ==
        "iso_week period -9223372036854775808 (outside the calendar range)");
  CHECK(cxm::last_period(period_unit::day).next().to_string() ==
        "day period " + std::to_string(cxm::last_period(period_unit::day).index + 1) + " (outside the calendar range)");
  // An unknown unit (a corrupted enum) is never in range and never overflows.
  const period bogus{static_cast<period_unit>(9), 0};
  CHECK_FALSE(cxm::in_period_range(bogus));
  CHECK(bogus.start() == t_max);
  CHECK(bogus.to_string() == "unknown period 0 (outside the calendar range)");
  CHECK(cxm::to_string(period_unit::iso_week) == "iso_week");
}
