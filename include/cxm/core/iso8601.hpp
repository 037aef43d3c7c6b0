#pragma once
/// \file
/// Times in messages are ISO 8601, UTC: "2026-10-01T09:00:00Z", with milliseconds when they are not
/// zero ("2026-10-01T09:00:00.250Z"). Any count of milliseconds since 1970 is accepted: a time outside
/// the years 0000..9999 is written as its raw count ("-9223372036854775808 ms since 1970"), so that a
/// message about a corrupted or absurd time never overflows while it is being written.

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace cxm {

/// Milliseconds since 1970 as ISO 8601, UTC: "2026-11-23T08:00:00.000Z".
inline std::string format_iso8601(std::int64_t ms_since_1970) {
  using namespace std::chrono;
  // 0000-01-01 and 10000-01-01 in milliseconds since 1970: inside them the calendar arithmetic below
  // cannot overflow.
  constexpr std::int64_t first_ms = -62'167'219'200'000, end_ms = 253'402'300'800'000;
  if (ms_since_1970 < first_ms || ms_since_1970 >= end_ms) {
    return std::to_string(ms_since_1970) + " ms since 1970";
  }
  const sys_time<milliseconds> t{milliseconds{ms_since_1970}};
  const auto day = floor<days>(t);
  const year_month_day ymd{day};
  const hh_mm_ss<milliseconds> clock{t - day};
  char buf[40];
  const int y = int(ymd.year());
  const auto mo = unsigned(ymd.month()), d = unsigned(ymd.day());
  const auto h = clock.hours().count(), mi = clock.minutes().count();
  const auto s = clock.seconds().count();
  const auto sub = clock.subseconds().count();
  if (sub == 0) {
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02dZ", y, mo, d, int(h), int(mi), int(s));
  } else {
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ", y, mo, d, int(h), int(mi), int(s), int(sub));
  }
  return buf;
}

/// Any std::chrono::sys_time as ISO 8601, UTC, to the millisecond (rounded toward the past).
template <class Duration>
std::string format_iso8601(std::chrono::sys_time<Duration> t) {
  return format_iso8601(std::chrono::floor<std::chrono::milliseconds>(t).time_since_epoch().count());
}

}  // namespace cxm
