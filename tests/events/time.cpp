// Tests for cxm's time and calendar periods (include/cxm/events/time.hpp).

#include "cxm/events/time.hpp"

#include <chrono>
#include <cstdint>
#include <ctime>
#include <random>
#include <string>

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
  const auto last = at(2024y / January / 31, last_millisecond_of_day);
  const auto first = at(2024y / February / 1);
  CHECK(first - last == milliseconds{1});
  // Months are counted from 1970-01: (2024 − 1970) · 12 + 0 = 648 for January 2024.
  CHECK(period_of(last, period_unit::month) == period{period_unit::month, 648});
  CHECK(period_of(first, period_unit::month) == period{period_unit::month, 649});
  CHECK(period_of(last, period_unit::month).to_string() == "2024-01");
  CHECK(period_of(first, period_unit::month).to_string() == "2024-02");
  // Days: 2024-01-01 is day 1 704 067 200 / 86 400 = 19 723, so 2024-01-31 is 19 753.
  CHECK(period_of(last, period_unit::day).index == 19'753);
  CHECK(period_of(first, period_unit::day).index == 19'754);
  CHECK(period_of(last, period_unit::day).to_string() == "2024-01-31");

  // A leap day ends February 2024.
  CHECK(period_of(at(2024y / February / 29, last_millisecond_of_day), period_unit::month).to_string() == "2024-02");
  CHECK(period_of(at(2024y / March / 1), period_unit::month).to_string() == "2024-03");
}

TEST_CASE("The last millisecond of a year closes its month, quarter and year") {
  const auto last = at(2023y / December / 31, last_millisecond_of_day);
  const auto first = at(2024y / January / 1);
  // 2023-12: (2023 − 1970) · 12 + 11 = 647; quarter 647 / 3 = 215 (2023-Q4); year 53.
  CHECK(period_of(last, period_unit::month).index == 647);
  CHECK(period_of(last, period_unit::quarter) == period{period_unit::quarter, 215});
  CHECK(period_of(last, period_unit::quarter).to_string() == "2023-Q4");
  CHECK(period_of(last, period_unit::year) == period{period_unit::year, 53});
  CHECK(period_of(last, period_unit::year).to_string() == "2023");
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
