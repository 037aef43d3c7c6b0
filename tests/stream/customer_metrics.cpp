// Tests for the per-customer metrics (include/cxm/stream/customer_metrics.hpp): activity, spend and
// satisfaction, against hand-worked expectations; saturation of the narrow counters; the documented
// sizes; validation on load.

#include "cxm/stream/customer_metrics.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <limits>
#include <vector>

#include <doctest/doctest.h>

#include "cxm/core/error.hpp"
#include "cxm/io/reader.hpp"
#include "cxm/io/state.hpp"
#include "cxm/io/writer.hpp"
#include "cxm/stream/engine.hpp"
#include "support/invariants.hpp"

static_assert(sizeof(cxm::activity::state) == 52);
static_assert(sizeof(cxm::spend::state) == 16);
static_assert(sizeof(cxm::satisfaction::state) == 28);
static_assert(sizeof(cxm::engine<>::record_type) == 96);
static_assert(std::is_trivially_copyable_v<cxm::engine<>::record_type>);

namespace {

using cxm::event_kind;

constexpr std::uint32_t t0 = 1'709'251'200;  // 2024-03-01T00:00:00Z in seconds

cxm::observation obs(std::uint32_t seconds, event_kind kind, double value = 0.0, std::uint16_t score_index = 0) {
  return {cxm::from_seconds32(seconds), seconds, kind, value, score_index};
}

cxm::event<> ev(std::uint64_t customer, std::int64_t ms, event_kind kind, double value = 0.0) {
  return {customer, cxm::from_unix_ms(ms), kind, value};
}

constexpr std::size_t csat_i = cxm::satisfaction::survey(event_kind::csat_answer);
constexpr std::size_t ces_i = cxm::satisfaction::survey(event_kind::ces_answer);
constexpr std::size_t nps_i = cxm::satisfaction::survey(event_kind::nps_answer);

template <class Metric>
typename Metric::state reload(const typename Metric::state& s) {
  cxm::io::writer w;
  Metric::save(s, w);
  cxm::io::reader r(w.bytes());
  auto out = Metric::load(r);
  r.expect_end(Metric::id());
  return out;
}

}  // namespace

TEST_CASE("The default customer record is 96 bytes: spend 16 + activity 52 + satisfaction 28") {
  CHECK(sizeof(cxm::engine<>::record_type) == 96);
  CHECK(sizeof(cxm::spend::state) + sizeof(cxm::activity::state) + sizeof(cxm::satisfaction::state) == 96);
}

TEST_CASE("A new activity state has not been seen and counts nothing") {
  const cxm::activity::state s{};
  CHECK_FALSE(s.seen());
  CHECK(s.first_seen == std::numeric_limits<std::uint32_t>::max());
  CHECK(s.last_seen == 0u);
  for (std::size_t k = 0; k < cxm::builtin_kind_count; ++k) CHECK(s.count(static_cast<event_kind>(k)) == 0u);
  CHECK(s.host_events == 0u);
  CHECK(s.saturated == 0);
}

TEST_CASE("Activity keeps the earliest and latest event second, whatever the arrival order") {
  cxm::activity::state s{};
  cxm::activity::on(s, obs(t0 + 300, event_kind::visit));
  cxm::activity::on(s, obs(t0 + 100, event_kind::visit));
  cxm::activity::on(s, obs(t0 + 200, event_kind::purchase, 3.0));
  CHECK(s.seen());
  CHECK(s.first_seen == t0 + 100);
  CHECK(s.last_seen == t0 + 300);

  // Through the engine, milliseconds are cut to whole seconds: 12.999 s → 12, 47.001 s → 47.
  cxm::engine<> e;
  e.add(ev(1, 47'001, event_kind::visit));
  e.add(ev(1, 12'999, event_kind::visit));
  const auto& a = e.find(1u)->get<cxm::activity>();
  CHECK(a.first_seen == 12u);
  CHECK(a.last_seen == 47u);
}

TEST_CASE("Activity counts each built-in kind on its own and every host kind together in host_events") {
  cxm::engine_config config;
  config.host_kinds = 3;
  cxm::engine<> e(config);
  // One event of kind k, k + 1 times for each built-in kind: purchases 1, refunds 2, ..., nps answers 12.
  for (std::size_t k = 0; k < cxm::builtin_kind_count; ++k) {
    const auto kind = static_cast<event_kind>(k);
    const double value = kind == event_kind::csat_answer || kind == event_kind::ces_answer ? 3.0 : 1.0;
    for (std::size_t i = 0; i <= k; ++i) e.add(ev(7, 1'000, kind, value));
  }
  e.add(ev(7, 1'000, cxm::host_kind(0)));
  e.add(ev(7, 1'000, cxm::host_kind(2)));
  e.add(ev(7, 1'000, cxm::host_kind(2)));
  const auto& a = e.find(7u)->get<cxm::activity>();
  for (std::size_t k = 0; k < cxm::builtin_kind_count; ++k) {
    CAPTURE(k);
    CHECK(a.count(static_cast<event_kind>(k)) == k + 1);
  }
  CHECK(a.host_events == 3u);
  CHECK(a.count(cxm::host_kind(0)) == 0u);  // host kinds are not counted one by one
  // 1 + 2 + ... + 12 = 78 built-in events and 3 host events.
  const auto r = e.report(cxm::from_unix_ms(1'000));
  CHECK(r.events == 81);
  CHECK(r.events_by_kind[static_cast<std::size_t>(cxm::host_kind(2))] == 2);
  CHECK(r.events_by_kind[static_cast<std::size_t>(cxm::host_kind(1))] == 0);
}

TEST_CASE("65,535 signups fill the 16-bit counter; one more saturates it, sets the flag and is reported") {
  cxm::engine<> e;
  for (int i = 0; i < 65'535; ++i) e.add(ev(1, 1'000, event_kind::signup));
  e.add(ev(2, 1'000, event_kind::visit));
  {
    const auto& a = e.find(1u)->get<cxm::activity>();
    CHECK(a.count(event_kind::signup) == 65'535u);
    CHECK(a.saturated == 0);
    CHECK(e.report(cxm::from_unix_ms(1'000)).saturated_customers == 0);
  }
  e.add(ev(1, 2'000, event_kind::signup));
  const auto& a = e.find(1u)->get<cxm::activity>();
  CHECK(a.count(event_kind::signup) == 65'535u);  // stays at the maximum, never wraps to 0
  CHECK(a.saturated == 1);
  CHECK(a.last_seen == 2u);  // the event still counts as activity
  const auto r = e.report(cxm::from_unix_ms(2'000));
  CHECK(r.saturated_customers == 1);
  // The engine's own 64-bit counts are exact: 65 536 signups and one visit.
  CHECK(r.events_by_kind[static_cast<std::size_t>(event_kind::signup)] == 65'536u);
  CHECK(r.events == 65'537u);
}

TEST_CASE("Merging two states whose counts together exceed a counter saturates it too") {
  cxm::activity::state a{}, b{};
  for (int i = 0; i < 40'000; ++i) cxm::activity::on(a, obs(t0, event_kind::cancel));
  for (int i = 0; i < 30'000; ++i) cxm::activity::on(b, obs(t0 + 5, event_kind::cancel));
  CHECK(a.saturated == 0);
  CHECK(b.saturated == 0);
  cxm::activity::merge(a, b);
  // 40 000 + 30 000 = 70 000 > 65 535.
  CHECK(a.count(event_kind::cancel) == 65'535u);
  CHECK(a.saturated == 1);
  CHECK(a.first_seen == t0);
  CHECK(a.last_seen == t0 + 5);

  // The 32-bit counters saturate the same way: 0xFFFFFFF0 + 0x20 > 0xFFFFFFFF.
  cxm::activity::state c{}, d{};
  c.frequent[static_cast<std::size_t>(event_kind::visit)] = 0xFFFFFFF0u;
  c.first_seen = c.last_seen = t0;
  d.frequent[static_cast<std::size_t>(event_kind::visit)] = 0x20u;
  d.first_seen = d.last_seen = t0;
  cxm::activity::merge(c, d);
  CHECK(c.count(event_kind::visit) == 0xFFFFFFFFu);
  CHECK(c.saturated == 1);

  // A saturated flag is carried by merge even when the sums fit.
  cxm::activity::state clean{}, flagged{};
  flagged.saturated = 1;
  cxm::activity::merge(clean, flagged);
  CHECK(clean.saturated == 1);
}

TEST_CASE("Spend sums purchase and refund amounts separately; other kinds do not touch it") {
  cxm::engine<> e;
  e.add(ev(3, 1'000, event_kind::purchase, 19.99));
  e.add(ev(3, 2'000, event_kind::purchase, 5.01));
  e.add(ev(3, 3'000, event_kind::refund, 4.50));
  e.add(ev(3, 4'000, event_kind::visit, 0.0));
  const auto& s = e.find(3u)->get<cxm::spend>();
  // 19.99 + 5.01 = 25.00; refunds 4.50.
  CXM_CHECK_CLOSE(s.purchase_amount, 25.0);
  CHECK(s.refund_amount == 4.5);
  const auto& a = e.find(3u)->get<cxm::activity>();
  CHECK(a.count(event_kind::purchase) == 2u);
  CHECK(a.count(event_kind::refund) == 1u);

  cxm::spend::state x{1.0, 2.0}, y{0.5, 0.25};
  cxm::spend::merge(x, y);
  CHECK(x.purchase_amount == 1.5);
  CHECK(x.refund_amount == 2.25);
}

TEST_CASE("Satisfaction keeps the latest answer by event time and the running sum of scores minus the scale's low") {
  cxm::engine<> e;
  // NPS answers of customer 5 (scale 0..10, kept as score − 0): 9 at t0+10 s, 4 at t0+20 s, 7 at t0+5 s.
  const std::int64_t ms0 = std::int64_t{t0} * 1000;
  e.add(ev(5, ms0 + 10'000, event_kind::nps_answer, 9));
  e.add(ev(5, ms0 + 20'000, event_kind::nps_answer, 4));
  e.add(ev(5, ms0 + 5'000, event_kind::nps_answer, 7));  // arrives last, but is the oldest
  // CSAT answers (1..5, kept as score − 1): 5 then 2 a second later.
  e.add(ev(5, ms0 + 1'000, event_kind::csat_answer, 5));
  e.add(ev(5, ms0 + 2'000, event_kind::csat_answer, 2));
  const auto& s = e.find(5u)->get<cxm::satisfaction>();
  CHECK(s.latest[nps_i] == 4);
  CHECK(s.latest_time[nps_i] == t0 + 20);
  CHECK(s.score_sums[nps_i] == 9u + 4u + 7u);
  CHECK(s.latest[csat_i] == 2 - 1);
  CHECK(s.latest_time[csat_i] == t0 + 2);
  CHECK(s.score_sums[csat_i] == (5u - 1u) + (2u - 1u));
  // No CES answer: no latest, sum and time 0.
  CHECK(s.latest[ces_i] == cxm::satisfaction::no_answer);
  CHECK(s.latest_time[ces_i] == 0u);
  CHECK(s.score_sums[ces_i] == 0u);
}

TEST_CASE("Answers in the same second resolve to the higher score, in every arrival order") {
  // CES answers 3, 6 and 2 in the same second (t0 + 1.1 s, 1.5 s, 1.9 s) and 1 one second earlier.
  const std::int64_t ms0 = std::int64_t{t0} * 1000;
  std::vector<cxm::event<>> answers{ev(9, ms0 + 1'100, event_kind::ces_answer, 3),
                                    ev(9, ms0 + 1'500, event_kind::ces_answer, 6),
                                    ev(9, ms0 + 1'900, event_kind::ces_answer, 2),
                                    ev(9, ms0 + 400, event_kind::ces_answer, 1)};
  std::sort(answers.begin(), answers.end(), [](const auto& a, const auto& b) { return a.time < b.time; });
  int orders = 0;
  do {
    cxm::engine<> e;
    e.add(answers);
    const auto& s = e.find(9u)->get<cxm::satisfaction>();
    CHECK(s.latest[ces_i] == 6 - 1);  // the highest score of the latest second
    CHECK(s.latest_time[ces_i] == t0 + 1);
    CHECK(s.score_sums[ces_i] == 2u + 5u + 1u + 0u);
    ++orders;
  } while (std::next_permutation(answers.begin(), answers.end(),
                                 [](const auto& a, const auto& b) { return a.time < b.time; }));
  CHECK(orders == 24);
}

TEST_CASE("Merging satisfaction states takes the later answer, the higher on a tie, and adds the sums") {
  cxm::satisfaction::state a{}, b{};
  cxm::satisfaction::on(a, obs(t0 + 10, event_kind::nps_answer, 8, 8));
  cxm::satisfaction::on(b, obs(t0 + 10, event_kind::nps_answer, 3, 3));
  cxm::satisfaction::on(b, obs(t0 + 2, event_kind::csat_answer, 4, 3));
  cxm::satisfaction::state ab = a, ba = b;
  cxm::satisfaction::merge(ab, b);
  cxm::satisfaction::merge(ba, a);
  CHECK(ab == ba);
  CHECK(ab.latest[nps_i] == 8);  // tie at t0 + 10: the higher score
  CHECK(ab.score_sums[nps_i] == 11u);
  CHECK(ab.latest[csat_i] == 3);
  CHECK(ab.latest_time[csat_i] == t0 + 2);

  cxm::satisfaction::state later{};
  cxm::satisfaction::on(later, obs(t0 + 11, event_kind::nps_answer, 0, 0));
  cxm::satisfaction::merge(ab, later);
  CHECK(ab.latest[nps_i] == 0);  // a later answer wins even with a lower score
  CHECK(ab.latest_time[nps_i] == t0 + 11);
}

TEST_CASE("Satisfaction score sums saturate at 2^32 - 1 and set the flag, reported as a saturated customer") {
  cxm::satisfaction::state a{}, b{};
  cxm::satisfaction::on(a, obs(t0, event_kind::nps_answer, 10, 10));
  a.score_sums[nps_i] = 0xFFFFFFF0u;
  cxm::satisfaction::on(b, obs(t0 + 1, event_kind::nps_answer, 10, 10));
  b.score_sums[nps_i] = 0x20u;
  cxm::satisfaction::merge(a, b);
  CHECK(a.score_sums[nps_i] == 0xFFFFFFFFu);
  CHECK(a.saturated == 1);
  CHECK(a.latest_time[nps_i] == t0 + 1);
  cxm::satisfaction::on(a, obs(t0 + 2, event_kind::nps_answer, 3, 3));
  CHECK(a.score_sums[nps_i] == 0xFFFFFFFFu);  // stays at the maximum
  CHECK(a.latest[nps_i] == 3);                // the latest answer is still tracked
  CHECK(reload<cxm::satisfaction>(a) == a);

  // An engine loaded with such a record counts the customer as saturated. The image is forged: the
  // record's satisfaction state is the last 28 payload bytes; its flag is the last of them.
  cxm::engine<> e;
  e.add(ev(1, std::int64_t{t0} * 1000, event_kind::nps_answer, 9));
  auto image = cxm::io::save_state(e);
  const std::size_t flag = image.size() - cxm::io::state_trailer_size - 1;
  REQUIRE(image[flag] == std::byte{0});
  image[flag] = std::byte{1};
  const std::size_t end = image.size() - cxm::io::state_trailer_size;
  const auto crc = cxm::io::crc32(std::span(image).first(end));
  for (std::size_t i = 0; i < 4; ++i) image[end + i] = static_cast<std::byte>(static_cast<std::uint8_t>(crc >> (8 * i)));
  const auto loaded = cxm::io::load_state<cxm::engine<>>(image);
  CHECK(loaded.find(1u)->get<cxm::satisfaction>().saturated == 1);
  CHECK(loaded.report(cxm::from_seconds32(t0)).saturated_customers == 1);
  CHECK(e.report(cxm::from_seconds32(t0)).saturated_customers == 0);
}

TEST_CASE("Per-customer states save and load field for field") {
  cxm::activity::state a{};
  cxm::activity::on(a, obs(t0, event_kind::purchase, 1.0));
  cxm::activity::on(a, obs(t0 + 9, event_kind::nps_answer, 7, 7));
  cxm::activity::on(a, obs(t0 + 3, cxm::host_kind(1)));
  CHECK(reload<cxm::activity>(a) == a);
  CHECK(reload<cxm::activity>(cxm::activity::state{}) == cxm::activity::state{});
  const cxm::spend::state s{12.25, 0.5};
  CHECK(reload<cxm::spend>(s) == s);
  cxm::satisfaction::state q{};
  cxm::satisfaction::on(q, obs(t0, event_kind::ces_answer, 7, 6));
  CHECK(reload<cxm::satisfaction>(q) == q);
  CHECK(reload<cxm::satisfaction>(cxm::satisfaction::state{}) == cxm::satisfaction::state{});
}

TEST_CASE("Loading a per-customer state rejects impossible values with a format_error") {
  SUBCASE("activity: a saturated flag other than 0 or 1") {
    cxm::activity::state a{};
    cxm::activity::on(a, obs(t0, event_kind::visit));
    a.saturated = 2;
    CHECK_THROWS_AS(reload<cxm::activity>(a), cxm::format_error);
  }
  SUBCASE("activity: counts without a first and last seen") {
    cxm::activity::state a{};
    a.frequent[2] = 1;
    CHECK_THROWS_AS(reload<cxm::activity>(a), cxm::format_error);
  }
  SUBCASE("activity: first and last seen without any count") {
    cxm::activity::state a{};
    a.first_seen = a.last_seen = t0;
    CHECK_THROWS_AS(reload<cxm::activity>(a), cxm::format_error);
  }
  SUBCASE("spend: a negative amount") {
    CHECK_THROWS_AS(reload<cxm::spend>(cxm::spend::state{-1.0, 0.0}), cxm::format_error);
    CHECK_THROWS_AS(reload<cxm::spend>(cxm::spend::state{0.0, -0.5}), cxm::format_error);
  }
  SUBCASE("spend: a non-finite amount") {
    CHECK_THROWS_AS(reload<cxm::spend>(cxm::spend::state{std::numeric_limits<double>::infinity(), 0.0}),
                    cxm::format_error);
    CHECK_THROWS_AS(reload<cxm::spend>(cxm::spend::state{0.0, std::numeric_limits<double>::quiet_NaN()}),
                    cxm::format_error);
  }
  SUBCASE("satisfaction: a score sum or time without an answer") {
    cxm::satisfaction::state q{};
    q.score_sums[1] = 4;
    CHECK_THROWS_AS(reload<cxm::satisfaction>(q), cxm::format_error);
    cxm::satisfaction::state r{};
    r.latest_time[2] = t0;
    CHECK_THROWS_AS(reload<cxm::satisfaction>(r), cxm::format_error);
  }
}
