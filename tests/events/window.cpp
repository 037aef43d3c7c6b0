// Tests for windows (include/cxm/events/window.hpp): tumbling calendar periods over any accumulator,
// sliding windows built by merging period buckets, the lateness bound. Windows inside the engine
// (per_period) are tested in tests/stream/per_period.cpp.

#include "cxm/events/window.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstddef>
#include <ctime>
#include <fstream>
#include <iterator>
#include <limits>
#include <map>
#include <random>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "cxm/core/accumulator.hpp"
#include "cxm/core/error.hpp"
#include "cxm/core/invalid_input.hpp"
#include "cxm/core/iso8601.hpp"
#include "cxm/io/reader.hpp"
#include "cxm/io/state.hpp"
#include "cxm/io/writer.hpp"
#include "cxm/survey/csat.hpp"
#include "cxm/survey/nps.hpp"
#include "support/invariants.hpp"
#include "support/calendar.hpp"
#include "support/same_results.hpp"

static_assert(cxm::accumulator<cxm::tumbling<cxm::nps>, cxm::timed<int>>);
static_assert(cxm::accumulator<cxm::tumbling<cxm::csat>, cxm::timed<int>>);

namespace {

using namespace std::chrono;
using cxm::period;
using cxm::period_unit;
using cxm::timed;

constexpr cxm::timestamp at(year_month_day d, milliseconds since_midnight = milliseconds{0}) {
  return sys_days{d} + since_midnight;
}

using cxm::test::c_label;

/// `n` random answers on `low..high` at random times in [from, to).
std::vector<timed<int>> random_answers(std::size_t n, int low, int high, cxm::timestamp from, cxm::timestamp to,
                                       std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  const auto span = static_cast<std::uint64_t>((to - from).count());
  std::vector<timed<int>> out;
  for (std::size_t i = 0; i < n; ++i) {
    out.push_back({from + milliseconds{static_cast<std::int64_t>(rng() % span)},
                   low + static_cast<int>(rng() % static_cast<std::uint64_t>(high - low + 1))});
  }
  return out;
}

template <class A>
A fold(A window, const std::vector<timed<int>>& xs) {
  for (const auto& x : xs) window.add(x);
  return window;
}

}  // namespace

TEST_CASE("tumbling<nps> by month: shuffled input gives the same state as sorted input, month by month") {
  const auto answers = random_answers(5'000, 0, 10, at(2023y / January / 1), at(2025y / January / 1), 11);
  auto sorted = answers;
  std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.time < b.time; });
  const auto shuffled_window = fold(cxm::tumbling<cxm::nps>(period_unit::month), answers);
  const auto sorted_window = fold(cxm::tumbling<cxm::nps>(period_unit::month), sorted);
  CHECK(shuffled_window == sorted_window);
  cxm::test::same_result(shuffled_window.result(), sorted_window.result());

  // Independently: one standalone nps per month label, from the C library's calendar.
  std::map<std::string, cxm::nps> by_month;
  for (const auto& a : answers) by_month[c_label(a.time, "%Y-%m")].add(a.value);
  const auto r = shuffled_window.result();
  CHECK(r.too_late == 0);
  REQUIRE(r.periods.size() == 24);
  REQUIRE(by_month.size() == 24);
  auto expected = by_month.begin();
  for (const auto& p : r.periods) {
    CHECK(p.when.unit == period_unit::month);
    CHECK(p.when.to_string() == expected->first);
    cxm::test::same_result(p.result, expected->second.result());
    ++expected;
  }
}

TEST_CASE("tumbling<csat> by ISO week: shuffled input equals sorted input and each answer is in its ISO week") {
  const auto answers = random_answers(3'000, 1, 5, at(2020y / December / 1), at(2021y / February / 1), 12);
  auto sorted = answers;
  std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.time < b.time; });
  const cxm::tumbling<cxm::csat> empty(period_unit::iso_week, cxm::csat{});
  const auto shuffled_window = fold(empty, answers);
  const auto sorted_window = fold(empty, sorted);
  CHECK(shuffled_window == sorted_window);

  std::map<std::string, cxm::csat> by_week;
  for (const auto& a : answers) by_week[c_label(a.time, "%G-W%V")].add(a.value);
  const auto r = shuffled_window.result();
  REQUIRE(r.periods.size() == by_week.size());
  auto expected = by_week.begin();
  for (const auto& p : r.periods) {
    CHECK(p.when.to_string() == expected->first);
    cxm::test::same_result(p.result, expected->second.result());
    ++expected;
  }
  // 2020-12-31 and 2021-01-03 share the bucket of 2020-W53.
  const auto* w53 = shuffled_window.bucket(cxm::period_of(at(2020y / December / 31), period_unit::iso_week));
  REQUIRE(w53 != nullptr);
  CHECK(w53 == shuffled_window.bucket(cxm::period_of(at(2021y / January / 3), period_unit::iso_week)));
  CHECK(w53 != shuffled_window.bucket(cxm::period_of(at(2021y / January / 4), period_unit::iso_week)));
}

TEST_CASE("A window puts 23:59:59.999 on the last day of a month and 00:00 the next day in different buckets") {
  cxm::tumbling<cxm::nps> w(period_unit::month);
  w.add(timed<int>{at(2024y / January / 31, hours{23} + minutes{59} + seconds{59} + milliseconds{999}), 10});
  w.add(timed<int>{at(2024y / February / 1), 0});
  const auto r = w.result();
  REQUIRE(r.periods.size() == 2);
  CHECK(r.periods[0].when.to_string() == "2024-01");
  CHECK(r.periods[0].result.promoters == 1);
  CHECK(r.periods[0].result.n == 1);
  CHECK(r.periods[1].when.to_string() == "2024-02");
  CHECK(r.periods[1].result.detractors == 1);
  CHECK(r.periods[1].result.n == 1);
}

TEST_CASE("sliding(n, as_of) equals merging the buckets of the n periods up to as_of by hand") {
  const auto answers = random_answers(4'000, 0, 10, at(2024y / January / 1), at(2025y / January / 1), 13);
  const auto window = fold(cxm::tumbling<cxm::nps>(period_unit::month), answers);
  const auto as_of = at(2024y / May / 15);

  // The last 3 months up to May 2024 are March, April and May: [2024-03-01, 2024-06-01).
  cxm::nps by_time;
  for (const auto& a : answers) {
    if (a.time >= at(2024y / March / 1) && a.time < at(2024y / June / 1)) by_time.add(a.value);
  }
  cxm::nps by_buckets;
  const auto may = cxm::period_of(as_of, period_unit::month);
  for (const auto p : {may.previous().previous(), may.previous(), may}) {
    const auto* b = window.bucket(p);
    REQUIRE(b != nullptr);
    by_buckets.merge(*b);
  }
  const auto sliding = window.sliding(3, as_of);
  CHECK(sliding == by_buckets);
  CHECK(sliding == by_time);
  CHECK(sliding.result().n == by_time.result().n);

  // One period is the bucket of as_of alone; zero periods is empty.
  CHECK(window.sliding(1, as_of) == *window.bucket(may));
  CHECK(window.sliding(0, as_of) == cxm::nps{});
  // A window reaching before the first data holds everything up to as_of: January .. May.
  cxm::nps until_may;
  for (const auto& a : answers) {
    if (a.time < at(2024y / June / 1)) until_may.add(a.value);
  }
  CHECK(window.sliding(36, as_of) == until_may);
  // A window entirely after the data is empty.
  CHECK(window.sliding(2, at(2026y / June / 1)) == cxm::nps{});
}

TEST_CASE("With a lateness bound, an event older than the watermark minus the bound is rejected and counted") {
  cxm::tumbling<cxm::nps> w(period_unit::day, cxm::nps{}, hours{1});
  const auto t = at(2024y / March / 10, hours{12});
  CHECK(w.watermark() == std::nullopt);
  CHECK(w.add(timed<int>{t, 10}));
  CHECK(w.watermark() == t);
  // Exactly watermark − bound is still accepted; one millisecond earlier is too late.
  CHECK(w.add(timed<int>{t - hours{1}, 9}));
  CHECK_FALSE(w.add(timed<int>{t - hours{1} - milliseconds{1}, 0}));
  CHECK(w.watermark() == t);  // a late event never moves the watermark
  const auto r = w.result();
  CHECK(r.too_late == 1);
  REQUIRE(r.periods.size() == 1);
  CHECK(r.periods[0].result.n == 2);       // 10 and 9 folded in, the late 0 not
  CHECK(r.periods[0].result.promoters == 2);
  CHECK(r.periods[0].result.detractors == 0);

  // A newer event moves the watermark: what was on time before is late now.
  CHECK(w.add(timed<int>{t + hours{5}, 7}));
  CHECK(w.watermark() == t + hours{5});
  CHECK_FALSE(w.accepts(t + hours{3}));
  CHECK(w.accepts(t + hours{4}));
  CHECK_FALSE(w.add_at(t + hours{3}, 8));
  CHECK(w.result().too_late == 2);

  // Without a bound, an event years late is accepted.
  cxm::tumbling<cxm::nps> unbounded(period_unit::day);
  CHECK(unbounded.add(timed<int>{t, 10}));
  CHECK(unbounded.add(timed<int>{at(1999y / January / 1), 3}));
  CHECK(unbounded.result().too_late == 0);
  CHECK(unbounded.size() == 2);
}

TEST_CASE("Windows of different units, lateness bounds or bucket parameters do not merge") {
  cxm::tumbling<cxm::nps> month(period_unit::month), week(period_unit::iso_week);
  CHECK_THROWS_AS(month.merge(week), std::invalid_argument);
  cxm::tumbling<cxm::nps> bounded(period_unit::month, cxm::nps{}, hours{2});
  CHECK_THROWS_AS(month.merge(bounded), std::invalid_argument);
  cxm::tumbling<cxm::csat> five(period_unit::month, cxm::csat{}), ten(period_unit::month, cxm::csat(cxm::score_scale{0, 10}));
  CHECK_THROWS_AS(five.merge(ten), std::invalid_argument);
  CHECK_THROWS_AS((void)month.bucket(period{period_unit::day, 0}), std::invalid_argument);
  CHECK_THROWS_AS(cxm::tumbling<cxm::nps>(period_unit::day, cxm::nps{}, milliseconds{-1}), std::invalid_argument);
}

TEST_CASE("tumbling<nps> keeps the accumulator invariants (no lateness bound: commutative)") {
  const auto from = at(2023y / January / 1);
  const auto draw = [from](std::mt19937_64& rng) {
    // Two years of random times, so that most periods receive several answers.
    return timed<int>{from + milliseconds{static_cast<std::int64_t>(rng() % (2ull * 365 * 86'400'000))},
                      static_cast<int>(rng() % 11)};
  };
  cxm::test::check_invariants<cxm::tumbling<cxm::nps>>(
      [] { return cxm::tumbling<cxm::nps>(period_unit::month); }, draw,
      [](const auto& a, const auto& b) { cxm::test::same_result(a, b); },
      cxm::test::invariant_options{.stream_length = 300, .split_trials = 300, .corruption_trials = 200});
}

TEST_CASE("tumbling<csat> by ISO week keeps the accumulator invariants") {
  const auto from = at(2020y / November / 1);
  const auto draw = [from](std::mt19937_64& rng) {
    return timed<int>{from + milliseconds{static_cast<std::int64_t>(rng() % (120ull * 86'400'000))},
                      1 + static_cast<int>(rng() % 5)};
  };
  cxm::test::check_invariants<cxm::tumbling<cxm::csat>>(
      [] { return cxm::tumbling<cxm::csat>(period_unit::iso_week, cxm::csat{}); }, draw,
      [](const auto& a, const auto& b) { cxm::test::same_result(a, b); },
      cxm::test::invariant_options{.stream_length = 300, .split_trials = 200, .corruption_trials = 200});
}

TEST_CASE("tumbling<nps> with a lateness bound keeps the invariants that do not need commutativity") {
  // Times drift forward with some events up to 3 days late against a 2-day bound, so that both
  // accepted and rejected late events occur; the watermark and too_late count are saved too.
  auto clock = at(2024y / January / 1);
  const auto draw = [&clock](std::mt19937_64& rng) {
    clock += hours{static_cast<std::int64_t>(rng() % 12)};
    return timed<int>{clock - hours{static_cast<std::int64_t>(rng() % 72)}, static_cast<int>(rng() % 11)};
  };
  {
    // Such a stream has both kinds of late events.
    std::mt19937_64 rng(7);
    cxm::tumbling<cxm::nps> w(period_unit::day, cxm::nps{}, hours{48});
    std::size_t accepted = 0;
    for (int i = 0; i < 120; ++i) accepted += w.add(draw(rng)) ? 1u : 0u;
    CHECK(w.result().too_late > 0);
    CHECK(accepted > 60);
    clock = at(2024y / January / 1);
  }
  cxm::test::check_invariants<cxm::tumbling<cxm::nps>>(
      [] { return cxm::tumbling<cxm::nps>(period_unit::day, cxm::nps{}, hours{48}); }, draw,
      [](const auto& a, const auto& b) { cxm::test::same_result(a, b); },
      // 120 events over about four weeks: one bucket per day keeps the saved image small enough for the
      // every-truncation and every-byte checks.
      cxm::test::invariant_options{.stream_length = 120, .split_trials = 50, .corruption_trials = 200,
                                   .commutative = false});
}

// ---- Safe time arithmetic and range-checked saved windows (issue #12) -----------------------------

namespace {

constexpr auto ms_max = std::numeric_limits<std::int64_t>::max();
constexpr auto ms_min = std::numeric_limits<std::int64_t>::min();
constexpr cxm::timestamp t_max = cxm::timestamp::max();
constexpr cxm::timestamp t_min = cxm::timestamp::min();

constexpr period_unit all_units[] = {period_unit::day, period_unit::iso_week, period_unit::month,
                                     period_unit::quarter, period_unit::year};

/// The fields of a tumbling<nps> payload, written by hand (docs/state-format.md, `tmbl`).
struct crafted_window {
  std::uint8_t unit = static_cast<std::uint8_t>(period_unit::month);
  bool bounded = false;
  std::int64_t lateness = 0;
  bool has_watermark = false;
  std::int64_t watermark = 0;
  std::uint64_t too_late = 0;
  std::vector<std::int64_t> indices;  ///< each bucket holds one answer, 9
};

/// A complete image, framed as io::save_state frames one (magic, version, tag, length, payload, CRC-32),
/// so that load_state passes the frame and exercises tumbling::load's own checks.
std::vector<std::byte> frame(std::uint16_t version, std::uint32_t tag, const std::vector<std::byte>& payload) {
  cxm::io::writer out;
  out.raw(cxm::io::state_magic);
  out.u16(version);
  out.u32(tag);
  out.u64(payload.size());
  out.raw(payload);
  out.u32(cxm::io::crc32(out.bytes()));
  return std::move(out).bytes();
}

std::vector<std::byte> image_of(const crafted_window& f) {
  cxm::io::writer p;
  p.u32(cxm::nps::type_tag);
  p.u16(cxm::nps::format_version);
  p.u8(f.unit);
  p.boolean(f.bounded);
  p.i64(f.lateness);
  p.boolean(f.has_watermark);
  p.i64(f.watermark);
  p.u64(f.too_late);
  cxm::nps{}.save(p);
  p.u64(f.indices.size());
  cxm::nps bucket;
  bucket.add(9);
  for (const auto index : f.indices) {
    p.i64(index);
    bucket.save(p);
  }
  return frame(cxm::tumbling<cxm::nps>::format_version, cxm::tumbling<cxm::nps>::type_tag, p.bytes());
}

using window_nps = cxm::tumbling<cxm::nps>;

/// The format_error's message, or "" when the image loads.
std::string load_error(const std::vector<std::byte>& image) {
  try {
    (void)cxm::io::load_state<window_nps>(image);
  } catch (const cxm::format_error& e) {
    return e.what();
  }
  return "";
}

/// The invalid_event's message, or "" when nothing is thrown.
template <class F>
std::string invalid_event_message(F&& f) {
  try {
    f();
  } catch (const cxm::invalid_event& e) {
    return e.what();
  }
  return "";
}

std::int64_t ms_of(cxm::timestamp t) { return t.time_since_epoch().count(); }

}  // namespace

TEST_CASE("issue #12: max_lateness = INT64_MAX ms, an answer before 1970, then a later one: no overflow") {
  window_nps w(period_unit::day, cxm::nps{}, milliseconds::max());
  CHECK(w.add_at(at(1969y / December / 31, hours{12}), 9));  // the watermark is now negative
  // watermark − INT64_MAX ms overflowed int64 here: accepts() now saturates to timestamp::min().
  CHECK(w.accepts(t_min));
  CHECK(w.add_at(at(2024y / March / 10), 10));
  CHECK(w.add_at(at(1900y / January / 1), 0));  // 124 years late, well within the bound
  CHECK(w.watermark() == at(2024y / March / 10));
  const auto r = w.result();
  CHECK(r.too_late == 0);
  REQUIRE(r.periods.size() == 3);
  CHECK(r.periods[0].when.to_string() == "1900-01-01");
  CHECK(r.periods[1].when.to_string() == "1969-12-31");
  CHECK(r.periods[2].when.to_string() == "2024-03-10");
  // The state saves, loads and merges like any other.
  const auto again = cxm::io::load_state<window_nps>(cxm::io::save_state(w));
  CHECK(again == w);
  window_nps merged(period_unit::day, cxm::nps{}, milliseconds::max());
  merged.merge(again);
  merged.merge(w);
  CHECK(merged.result().periods.size() == 3);
  CHECK(merged.bucket(period_of(at(2024y / March / 10), period_unit::day))->result().n == 2);
}

TEST_CASE("The lateness bound is exact up to the int64 limit and saturates beyond it") {
  // Watermark 1970-01-01T00:00:00.000Z: 0 − INT64_MAX = INT64_MIN + 1 is exact, so INT64_MIN is too late.
  window_nps at_epoch(period_unit::day, cxm::nps{}, milliseconds::max());
  CHECK(at_epoch.add_at(cxm::from_unix_ms(0), 9));
  CHECK(at_epoch.accepts(cxm::from_unix_ms(ms_min + 1)));
  CHECK_FALSE(at_epoch.accepts(t_min));
  CHECK(at_epoch.accepts(cxm::earliest_period_time));
  // One millisecond earlier, −1 − INT64_MAX = INT64_MIN exactly; two earlier, the bound saturates.
  for (const std::int64_t w : {std::int64_t{-1}, std::int64_t{-2}}) {
    window_nps before(period_unit::day, cxm::nps{}, milliseconds::max());
    CHECK(before.add_at(cxm::from_unix_ms(w), 9));
    CHECK(before.accepts(t_min));
  }
  // A watermark at the very start of the calendar range (about −1.1e15 ms) with a large, not maximal,
  // bound: INT64_MAX − 1e15 ms reaches below INT64_MIN from there, and saturates.
  window_nps earliest(period_unit::year, cxm::nps{}, milliseconds{ms_max - 1'000'000'000'000'000});
  CHECK(earliest.add_at(cxm::earliest_period_time, 9));
  CHECK(earliest.accepts(t_min));
  CHECK(earliest.add_at(cxm::latest_period_time, 9));
  // From the end of the range (about 9.7e14 ms) the same bound is exact: about −8.2e18 ms.
  CHECK_FALSE(earliest.accepts(t_min));
  CHECK(earliest.accepts(cxm::earliest_period_time));
  CHECK(earliest.add_at(cxm::earliest_period_time, 9));
  CHECK(earliest.result().periods.size() == 2);
  CHECK(earliest.result().too_late == 0);
}

TEST_CASE("add_at and bucket_at outside the calendar range reject the time, and change nothing") {
  for (const auto unit : all_units) {
    CAPTURE(cxm::to_string(unit));
    for (const auto t : {t_min, t_max, cxm::earliest_period_time - milliseconds{1},
                         cxm::latest_period_time + milliseconds{1}}) {
      CAPTURE(ms_of(t));
      window_nps w(unit, cxm::nps{}, hours{1});
      REQUIRE(w.add_at(at(2024y / March / 10), 7));
      const window_nps before = w;
      // The default: cxm::invalid_event naming the time.
      const std::string message = invalid_event_message([&] { (void)w.add_at(t, 9); });
      CHECK(message == "tumbling: time " + std::to_string(ms_of(t)) +
                           " ms since 1970 is outside the calendar range (years -32766..32766)");
      CHECK(invalid_event_message([&] { (void)w.add(timed<int>{t, 9}); }) == message);
      CHECK(invalid_event_message([&] { (void)w.bucket_at(t); }) == message);
      CHECK(w == before);
      // With a policy passed last (as to nps::add): counted as time_out_of_range, not as too late.
      cxm::rejection_counts counts;
      CHECK_FALSE(w.add_at(t, 9, cxm::skip_invalid{counts}));
      CHECK(counts[cxm::rejection_reason::time_out_of_range] == 1);
      CHECK(counts.total() == 1);
      CHECK(w == before);
      CHECK(w.result().too_late == 0);
    }
  }
  // Both ends of the range are accepted, in every unit, and label their periods.
  for (const auto unit : all_units) {
    CAPTURE(cxm::to_string(unit));
    window_nps w(unit);
    CHECK(w.add_at(cxm::earliest_period_time, 9));
    CHECK(w.add_at(cxm::latest_period_time, 10));
    (void)w.bucket_at(cxm::earliest_period_time);
    const auto r = w.result();
    REQUIRE(r.periods.size() == 2);
    CHECK(r.periods[0].when == cxm::first_period(unit));
    CHECK(r.periods[1].when == cxm::last_period(unit));
    CHECK(r.periods[0].when.start() <= cxm::earliest_period_time);
    CHECK(r.periods[1].when.end() > cxm::latest_period_time);
    CHECK(cxm::io::load_state<window_nps>(cxm::io::save_state(w)) == w);
  }
  CHECK(window_nps(period_unit::year).result().periods.empty());
}

TEST_CASE("add_at leaves no empty bucket when the bucket's accumulator rejects the value") {
  window_nps w(period_unit::month);
  REQUIRE(w.add_at(at(2024y / March / 10), 7));
  const window_nps before = w;
  // Another month: a score outside 0..10 must not create its bucket or move the watermark.
  CHECK_THROWS_AS((void)w.add_at(at(2024y / May / 1), 11), cxm::invalid_event);
  CHECK(w == before);
  cxm::rejection_counts counts;
  CHECK_FALSE(w.add_at(at(2024y / May / 1), 11, cxm::skip_invalid{counts}));
  CHECK(counts[cxm::rejection_reason::score_out_of_scale] == 1);
  CHECK(w == before);
  CHECK(w.watermark() == at(2024y / March / 10));
  // The same month: the bucket stays, unchanged.
  CHECK_FALSE(w.add_at(at(2024y / March / 11), -1, cxm::skip_invalid{counts}));
  CHECK(w == before);
  CHECK(w.add_at(at(2024y / May / 1), 10, cxm::skip_invalid{counts}));
  CHECK(w.size() == 2);
  CHECK(w.watermark() == at(2024y / May / 1));
}

TEST_CASE("sliding() takes any as_of, also at the int64 limits") {
  window_nps w(period_unit::month);
  REQUIRE(w.add_at(cxm::earliest_period_time, 9));
  REQUIRE(w.add_at(at(2024y / March / 10), 7));
  REQUIRE(w.add_at(cxm::latest_period_time, 0));
  cxm::nps all;
  for (const int score : {9, 7, 0}) all.add(score);
  CHECK(w.sliding(std::numeric_limits<std::size_t>::max(), t_max) == all);
  CHECK(w.sliding(1, t_max) == cxm::nps{});      // as_of's month is far after the data
  CHECK(w.sliding(std::numeric_limits<std::size_t>::max(), t_min) == cxm::nps{});
  CHECK(w.sliding(1, cxm::latest_period_time).result().detractors == 1);
  CHECK(w.sliding(1, cxm::earliest_period_time).result().promoters == 1);
}

TEST_CASE("A crafted image, framed with a correct CRC, equals save_state's when its fields are valid") {
  window_nps w(period_unit::month);
  REQUIRE(w.add_at(at(2026y / October / 15), 9));
  const crafted_window fields{.has_watermark = true,
                              .watermark = ms_of(at(2026y / October / 15)),
                              .indices = {period_of(at(2026y / October / 15), period_unit::month).index}};
  CHECK(image_of(fields) == cxm::io::save_state(w));
  CHECK(load_error(image_of(fields)).empty());
}

TEST_CASE("issue #12: a saved watermark of INT64_MIN, or any outside the calendar range, is a format_error") {
  const std::string range = " is outside the calendar range (years -32766..32766)";
  for (const std::int64_t watermark : {ms_min, ms_max, ms_of(cxm::earliest_period_time) - 1,
                                       ms_of(cxm::latest_period_time) + 1}) {
    CAPTURE(watermark);
    crafted_window f{.has_watermark = true, .watermark = watermark, .indices = {648}};
    CHECK(load_error(image_of(f)) == "tumbling: watermark " + std::to_string(watermark) + " ms since 1970" + range);
    f.bounded = true;  // with a bound too (the bound that overflowed against it)
    f.lateness = ms_max;
    CHECK(load_error(image_of(f)) == "tumbling: watermark " + std::to_string(watermark) + " ms since 1970" + range);
  }
  // The ends of the range load, and with the largest bound accept and add without overflowing.
  for (const auto watermark : {cxm::earliest_period_time, cxm::latest_period_time}) {
    const crafted_window f{.bounded = true, .lateness = ms_max, .has_watermark = true, .watermark = ms_of(watermark),
                           .indices = {648}};
    REQUIRE(load_error(image_of(f)).empty());
    auto loaded = cxm::io::load_state<window_nps>(image_of(f));
    CHECK(loaded.watermark() == watermark);
    // watermark − INT64_MAX saturates only for a negative watermark.
    CHECK(loaded.accepts(t_min) == (watermark < cxm::earliest_time));
    if (watermark >= cxm::earliest_time) {  // exact: the earliest accepted time is watermark − INT64_MAX
      CHECK(loaded.accepts(cxm::from_unix_ms(ms_of(watermark) - ms_max)));
      CHECK_FALSE(loaded.accepts(cxm::from_unix_ms(ms_of(watermark) - ms_max - 1)));
    }
    CHECK(loaded.accepts(t_max));
    CHECK(loaded.add_at(cxm::earliest_period_time, 3));
    CHECK(loaded.add_at(at(2024y / January / 1), 3));  // period 648, holding the crafted bucket
    CHECK(loaded.bucket(period{period_unit::month, 648})->result().n == 2);
    CHECK(loaded.result().too_late == 0);
    CHECK(cxm::io::load_state<window_nps>(cxm::io::save_state(loaded)) == loaded);
  }
}

TEST_CASE("A watermark value without the watermark flag is a format_error, as in the engine") {
  for (const std::int64_t value : {std::int64_t{1}, ms_min, ms_max, ms_of(at(2026y / November / 2))}) {
    CAPTURE(value);
    const crafted_window f{.has_watermark = false, .watermark = value, .indices = {}};
    CHECK(load_error(image_of(f)) == "tumbling: watermark value " + cxm::format_iso8601(value) + " without its flag");
  }
  CHECK(load_error(image_of(crafted_window{.has_watermark = false, .watermark = ms_of(at(2026y / November / 2)), .indices = {}})) ==
        "tumbling: watermark value 2026-11-02T00:00:00Z without its flag");
  // No flag and 0: an empty window.
  const crafted_window empty{};
  REQUIRE(load_error(image_of(empty)).empty());
  CHECK(cxm::io::load_state<window_nps>(image_of(empty)) == window_nps(period_unit::month));
}

TEST_CASE("issue #12: a saved period index of INT64_MAX, or any outside the calendar range, is a format_error") {
  for (const auto unit : all_units) {
    CAPTURE(cxm::to_string(unit));
    const auto first = cxm::first_period(unit).index, last_index = cxm::last_period(unit).index;
    const std::string range = " is outside the calendar range of " + std::string(cxm::to_string(unit)) + " periods (" +
                              std::to_string(first) + ".." + std::to_string(last_index) + ", years -32766..32766)";
    for (const std::int64_t index : {ms_max, ms_min, first - 1, last_index + 1}) {
      CAPTURE(index);
      const crafted_window alone{.unit = static_cast<std::uint8_t>(unit), .indices = {index}};
      CHECK(load_error(image_of(alone)) == "tumbling: period index " + std::to_string(index) + range);
      // Also after a valid bucket, where the order check alone would let INT64_MAX through.
      if (index > 0) {
        const crafted_window after{.unit = static_cast<std::uint8_t>(unit), .indices = {0, index}};
        CHECK(load_error(image_of(after)) == "tumbling: period index " + std::to_string(index) + range);
      }
    }
    // The first and last periods load, and start, end and label without overflowing.
    const crafted_window ends{.unit = static_cast<std::uint8_t>(unit), .indices = {first, 0, last_index}};
    REQUIRE(load_error(image_of(ends)).empty());
    const auto loaded = cxm::io::load_state<window_nps>(image_of(ends));
    const auto r = loaded.result();
    REQUIRE(r.periods.size() == 3);
    CHECK(r.periods[0].when.start() <= cxm::earliest_period_time);
    CHECK(r.periods[2].when.end() > cxm::latest_period_time);
    CHECK(r.periods[0].when.to_string().find("outside") == std::string::npos);
    CHECK(r.periods[2].when.to_string().find("outside") == std::string::npos);
    CHECK(loaded.sliding(std::numeric_limits<std::size_t>::max(), t_max).result().n == 3);
    CHECK(cxm::io::save_state(loaded) == image_of(ends));
  }
}

TEST_CASE("The committed v1 tumbling<nps> image has a watermark with its flag, and loads") {
  std::ifstream in(std::string(CXM_TEST_DATA_DIR) + "/v1/tumbling_nps_month.bin", std::ios::binary);
  REQUIRE(in.good());
  const std::vector<char> chars{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  std::vector<std::byte> image(chars.size());
  std::transform(chars.begin(), chars.end(), image.begin(), [](char c) { return static_cast<std::byte>(c); });
  // Payload offsets: 6 unit, 7 bound flag, 8 bound, 16 watermark flag, 17 watermark.
  constexpr std::size_t payload = cxm::io::state_header_size;
  REQUIRE(image.size() > payload + 25);
  CHECK(image[payload + 7] == std::byte{0});  // no bound, and its value 0
  cxm::io::reader fields(std::span<const std::byte>(image).subspan(payload + 8, 17));
  CHECK(fields.i64("bound") == 0);
  CHECK(fields.boolean("has watermark"));
  CHECK(fields.i64("watermark") == ms_of(at(2026y / November / 2)));

  const auto monthly = cxm::io::load_state<window_nps>(image);
  CHECK(monthly.watermark() == at(2026y / November / 2));
  CHECK(monthly.size() == 3);
  // The same image with the flag cleared (CRC recomputed) is now rejected, naming the value in ISO 8601.
  cxm::io::writer flagless;
  flagless.raw(std::span<const std::byte>(image).first(image.size() - cxm::io::state_trailer_size));
  std::vector<std::byte> edited = flagless.bytes();
  edited[payload + 16] = std::byte{0};
  cxm::io::writer crc;
  crc.raw(edited);
  crc.u32(cxm::io::crc32(edited));
  CHECK(load_error(crc.bytes()) == "tumbling: watermark value 2026-11-02T00:00:00Z without its flag");
}
