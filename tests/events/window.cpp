// Tests for windows (include/cxm/events/window.hpp): tumbling calendar periods over any accumulator,
// sliding windows built by merging period buckets, the lateness bound. Windows inside the engine
// (per_period) are tested in tests/stream/per_period.cpp.

#include "cxm/events/window.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <ctime>
#include <map>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "cxm/core/accumulator.hpp"
#include "cxm/io/state.hpp"
#include "cxm/survey/csat.hpp"
#include "cxm/survey/nps.hpp"
#include "support/invariants.hpp"
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

/// The period's label from the C library's calendar (independent of cxm's period arithmetic).
std::string c_label(cxm::timestamp t, const char* format) {
  const std::time_t s = static_cast<std::time_t>(floor<seconds>(t).time_since_epoch().count());
  const std::tm* parts = std::gmtime(&s);
  REQUIRE(parts != nullptr);
  char buf[32];
  REQUIRE(std::strftime(buf, sizeof buf, format, parts) > 0);
  return buf;
}

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
