// Tests for the per-customer metrics (include/cxm/events/customer_metrics.hpp): activity, spend and
// satisfaction, against hand-worked expectations read through their results; saturation of the narrow
// counters and the documented sizes, read from their states; validation on load.

#include "cxm/events/customer_metrics.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <type_traits>
#include <vector>

#include <doctest/doctest.h>

#include "cxm/core/error.hpp"
#include "cxm/events/kind_registry.hpp"
#include "cxm/events/metric.hpp"
#include "cxm/io/reader.hpp"
#include "cxm/io/state.hpp"
#include "cxm/io/writer.hpp"
#include "cxm/stream/engine.hpp"
#include "support/invariants.hpp"

static_assert(sizeof(cxm::activity::state) == 52);
static_assert(sizeof(cxm::spend::state) == 16);
static_assert(sizeof(cxm::satisfaction::state) == 28);
static_assert(sizeof(cxm::engine<>::record_type) == 96);
static_assert(cxm::engine<>::record_bytes == 96);
static_assert(std::is_trivially_copyable_v<cxm::engine<>::record_type>);
static_assert(cxm::customer_metric<cxm::activity>);
static_assert(cxm::customer_metric<cxm::spend>);
static_assert(cxm::customer_metric<cxm::satisfaction>);

namespace {

using cxm::event_kind;
using record = cxm::engine<>::record_type;

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
constexpr auto kind_index(event_kind k) { return static_cast<std::size_t>(k); }

const cxm::kind_registry default_kinds{};
const cxm::activity activity{};
const cxm::spend spend{};
const cxm::satisfaction satisfaction{};  // the default scales: csat 1..5, ces 1..7, nps 0..10

/// The context a metric M sees for `r` at time `at`, outside an engine.
template <class M>
cxm::context_for<record, M> context(const record& r, cxm::timestamp at = cxm::latest_time) {
  return cxm::context_for<record, M>(r, false, default_kinds, at);
}

/// One customer's record updated as the engine updates it (activity before satisfaction, each metric
/// only with the kinds it listens to), with the metrics' own merge and results.
struct customer {
  record r{};

  void on(const cxm::observation& o) {
    activity.on(r.get<cxm::activity>(), o, context<cxm::activity>(r, o.time));
    if (cxm::spend::listens.contains(o.kind)) spend.on(r.get<cxm::spend>(), o, context<cxm::spend>(r, o.time));
    if (cxm::satisfaction::listens.contains(o.kind)) {
      satisfaction.on(r.get<cxm::satisfaction>(), o, context<cxm::satisfaction>(r, o.time));
    }
  }
  void merge(const customer& other) {
    activity.merge(r.get<cxm::activity>(), other.r.get<cxm::activity>());
    spend.merge(r.get<cxm::spend>(), other.r.get<cxm::spend>());
    satisfaction.merge(r.get<cxm::satisfaction>(), other.r.get<cxm::satisfaction>());
  }
  [[nodiscard]] cxm::activity_result activity_result(cxm::timestamp as_of = cxm::latest_time) const {
    return activity.result(r.get<cxm::activity>(), context<cxm::activity>(r, as_of));
  }
  [[nodiscard]] cxm::satisfaction_result satisfaction_result(cxm::timestamp as_of = cxm::latest_time) const {
    return satisfaction.result(r.get<cxm::satisfaction>(), context<cxm::satisfaction>(r, as_of));
  }
};

template <class Metric>
typename Metric::state reload(const typename Metric::state& s, const Metric& metric = Metric{}) {
  cxm::io::writer w;
  metric.save(s, w);
  cxm::io::reader r(w.bytes());
  auto out = metric.load(r, Metric::version);
  r.expect_end(Metric::id);
  return out;
}

}  // namespace

TEST_CASE("The default customer record is 96 bytes: spend 16 + activity 52 + satisfaction 28") {
  CHECK(sizeof(cxm::engine<>::record_type) == 96);
  CHECK(cxm::default_record_bytes == 96);
  CHECK(sizeof(cxm::spend::state) + sizeof(cxm::activity::state) + sizeof(cxm::satisfaction::state) == 96);
  CHECK(cxm::activity::id == "activity");
  CHECK(cxm::spend::id == "spend");
  CHECK(cxm::satisfaction::id == "satisfaction");
}

TEST_CASE("A new activity state has not been seen and counts nothing") {
  const cxm::activity::state s{};
  CHECK_FALSE(s.seen());
  CHECK(s.first_seen == std::numeric_limits<std::uint32_t>::max());
  CHECK(s.last_seen == 0u);
  for (std::size_t k = 0; k < cxm::builtin_kind_count; ++k) CHECK(s.count(static_cast<event_kind>(k)) == 0u);
  CHECK(s.host_events == 0u);
  CHECK(s.saturated == 0);
  // Its result: never seen, no event of any kind.
  const record empty{};
  const auto r = activity.result(s, context<cxm::activity>(empty));
  CHECK_FALSE(r.first_seen.has_value());
  CHECK_FALSE(r.last_seen.has_value());
  CHECK(r.events == 0u);
  CHECK(r.host_events == 0u);
  CHECK(std::all_of(r.events_by_kind.begin(), r.events_by_kind.end(), [](auto c) { return c == 0; }));
  CHECK_FALSE(r.saturated);
  CHECK_FALSE(r.includes_later_events);
}

TEST_CASE("Activity keeps the earliest and latest event second, whatever the arrival order") {
  customer c;
  c.on(obs(t0 + 300, event_kind::visit));
  c.on(obs(t0 + 100, event_kind::visit));
  c.on(obs(t0 + 200, event_kind::purchase, 3.0));
  const auto a = c.activity_result();
  CHECK(a.first_seen == cxm::from_seconds32(t0 + 100));
  CHECK(a.last_seen == cxm::from_seconds32(t0 + 300));
  CHECK(a.events == 3u);
  // As of t0 + 250 s the customer has been seen, and their last event (t0 + 300 s) is a later one.
  const auto earlier = c.activity_result(cxm::from_seconds32(t0 + 250));
  CHECK(earlier.first_seen == cxm::from_seconds32(t0 + 100));
  CHECK(earlier.includes_later_events);
  // Before their first event the customer is not known yet.
  CHECK_FALSE(c.activity_result(cxm::from_seconds32(t0 + 99)).first_seen.has_value());

  // Through the engine, milliseconds are cut to whole seconds: 12.999 s → 12, 47.001 s → 47.
  cxm::engine<> e;
  e.add(ev(1, 47'001, event_kind::visit));
  e.add(ev(1, 12'999, event_kind::visit));
  const auto view = e.customer(1u);
  REQUIRE(view.has_value());
  const auto r = view->result<cxm::activity>(cxm::from_unix_ms(47'001));
  CHECK(r.first_seen == cxm::from_unix_ms(12'000));
  CHECK(r.last_seen == cxm::from_unix_ms(47'000));
  CHECK_FALSE(r.includes_later_events);
  // Within the last event's own second (47.000 s) that event is not "later"; a second earlier it is.
  CHECK_FALSE(view->result<cxm::activity>(cxm::from_unix_ms(47'000)).includes_later_events);
  CHECK(view->result<cxm::activity>(cxm::from_unix_ms(46'999)).includes_later_events);
}

TEST_CASE("Activity counts each built-in kind on its own and every host kind together in host_events") {
  cxm::engine_config config;
  config.kinds.declare_host_kinds(3);
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
  const auto view = e.customer(7u);
  REQUIRE(view.has_value());
  const auto a = view->result<cxm::activity>(cxm::from_unix_ms(1'000));
  for (std::size_t k = 0; k < cxm::builtin_kind_count; ++k) {
    CAPTURE(k);
    CHECK(a.events_by_kind[k] == k + 1);
  }
  CHECK(a.host_events == 3u);
  // 1 + 2 + ... + 12 = 78 built-in events and 3 host events.
  CHECK(a.events == 81u);
  CHECK(view->state<cxm::activity>().count(cxm::host_kind(0)) == 0u);  // host kinds are not stored one by one
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
    const auto a = e.customer(1u)->result<cxm::activity>(cxm::from_unix_ms(1'000));
    CHECK(a.events_by_kind[kind_index(event_kind::signup)] == 65'535u);
    CHECK_FALSE(a.saturated);
    CHECK(e.customer(1u)->state<cxm::activity>().saturated == 0);
    CHECK(e.report(cxm::from_unix_ms(1'000)).saturated_customers == 0);
  }
  e.add(ev(1, 2'000, event_kind::signup));
  const auto a = e.customer(1u)->result<cxm::activity>(cxm::from_unix_ms(2'000));
  CHECK(a.events_by_kind[kind_index(event_kind::signup)] == 65'535u);  // stays at the maximum, never wraps to 0
  CHECK(a.saturated);                                                   // so the count is a lower bound
  CHECK(e.customer(1u)->state<cxm::activity>().saturated == 1);
  CHECK(a.last_seen == cxm::from_unix_ms(2'000));  // the event still counts as activity
  CHECK_FALSE(e.customer(2u)->result<cxm::activity>(cxm::from_unix_ms(2'000)).saturated);
  const auto r = e.report(cxm::from_unix_ms(2'000));
  CHECK(r.saturated_customers == 1);
  // The engine's own 64-bit counts are exact: 65 536 signups and one visit.
  CHECK(r.events_by_kind[static_cast<std::size_t>(event_kind::signup)] == 65'536u);
  CHECK(r.events == 65'537u);
}

TEST_CASE("Merging two states whose counts together exceed a counter saturates it too") {
  customer a, b;
  for (int i = 0; i < 40'000; ++i) a.on(obs(t0, event_kind::cancel));
  for (int i = 0; i < 30'000; ++i) b.on(obs(t0 + 5, event_kind::cancel));
  CHECK_FALSE(a.activity_result().saturated);
  CHECK_FALSE(b.activity_result().saturated);
  a.merge(b);
  // 40 000 + 30 000 = 70 000 > 65 535.
  const auto merged = a.activity_result();
  CHECK(merged.events_by_kind[kind_index(event_kind::cancel)] == 65'535u);
  CHECK(merged.saturated);
  CHECK(a.r.get<cxm::activity>().saturated == 1);
  CHECK(merged.first_seen == cxm::from_seconds32(t0));
  CHECK(merged.last_seen == cxm::from_seconds32(t0 + 5));

  // The 32-bit counters saturate the same way: 0xFFFFFFF0 + 0x20 > 0xFFFFFFFF.
  cxm::activity::state c{}, d{};
  c.frequent[static_cast<std::size_t>(event_kind::visit)] = 0xFFFFFFF0u;
  c.first_seen = c.last_seen = t0;
  d.frequent[static_cast<std::size_t>(event_kind::visit)] = 0x20u;
  d.first_seen = d.last_seen = t0;
  activity.merge(c, d);
  CHECK(c.count(event_kind::visit) == 0xFFFFFFFFu);
  CHECK(c.saturated == 1);
  CHECK(activity.saturated(c));

  // A saturated flag is carried by merge even when the sums fit.
  cxm::activity::state clean{}, flagged{};
  flagged.saturated = 1;
  activity.merge(clean, flagged);
  CHECK(clean.saturated == 1);
}

TEST_CASE("Spend sums purchase and refund amounts separately; other kinds do not touch it") {
  cxm::engine<> e;
  e.add(ev(3, 1'000, event_kind::purchase, 19.99));
  e.add(ev(3, 2'000, event_kind::purchase, 5.01));
  e.add(ev(3, 3'000, event_kind::refund, 4.50));
  e.add(ev(3, 4'000, event_kind::visit, 0.0));
  const auto view = e.customer(3u);
  REQUIRE(view.has_value());
  const auto s = view->result<cxm::spend>(cxm::from_unix_ms(4'000));
  // 19.99 + 5.01 = 25.00; refunds 4.50; net 20.50.
  CXM_CHECK_CLOSE(s.purchase_amount, 25.0);
  CHECK(s.refund_amount == 4.5);
  CXM_CHECK_CLOSE(s.net, 20.5);
  const auto a = view->result<cxm::activity>(cxm::from_unix_ms(4'000));
  CHECK(a.events_by_kind[kind_index(event_kind::purchase)] == 2u);
  CHECK(a.events_by_kind[kind_index(event_kind::refund)] == 1u);

  cxm::spend::state x{1.0, 2.0}, y{0.5, 0.25};
  spend.merge(x, y);
  const record none{};
  const auto merged = spend.result(x, context<cxm::spend>(none));
  CHECK(merged.purchase_amount == 1.5);
  CHECK(merged.refund_amount == 2.25);
  CHECK(merged.net == -0.75);  // more refunded than bought: net is negative
}

TEST_CASE("Satisfaction reports the latest answer by event time and the mean, on the survey's own scale") {
  cxm::engine<> e;
  // NPS answers of customer 5 (scale 0..10): 9 at t0+10 s, 4 at t0+20 s, 7 at t0+5 s.
  const std::int64_t ms0 = std::int64_t{t0} * 1000;
  e.add(ev(5, ms0 + 10'000, event_kind::nps_answer, 9));
  e.add(ev(5, ms0 + 20'000, event_kind::nps_answer, 4));
  e.add(ev(5, ms0 + 5'000, event_kind::nps_answer, 7));  // arrives last, but is the oldest
  // CSAT answers (1..5): 5 then 2 a second later.
  e.add(ev(5, ms0 + 1'000, event_kind::csat_answer, 5));
  e.add(ev(5, ms0 + 2'000, event_kind::csat_answer, 2));
  const auto view = e.customer(5u);
  REQUIRE(view.has_value());
  const auto as_of = cxm::from_seconds32(t0 + 20);
  const auto q = view->result<cxm::satisfaction>(as_of);
  CHECK(q.nps.answers == 3u);
  CHECK(q.nps.latest == 4);
  CHECK(q.nps.latest_time == cxm::from_seconds32(t0 + 20));
  CXM_CHECK_CLOSE(*q.nps.mean, (9.0 + 4.0 + 7.0) / 3.0);
  CHECK(q.csat.answers == 2u);
  CHECK(q.csat.latest == 2);
  CHECK(q.csat.latest_time == cxm::from_seconds32(t0 + 2));
  CHECK(q.csat.mean == 3.5);  // (5 + 2) / 2
  // No CES answer: no latest, no time, no mean.
  CHECK(q.ces.answers == 0u);
  CHECK_FALSE(q.ces.latest.has_value());
  CHECK_FALSE(q.ces.latest_time.has_value());
  CHECK_FALSE(q.ces.mean.has_value());
  CHECK_FALSE(q.includes_later_events);
  // As of t0 + 15 s the latest NPS answer (t0 + 20 s) is a later one: the result says it includes it.
  CHECK(view->result<cxm::satisfaction>(cxm::from_seconds32(t0 + 15)).includes_later_events);

  // The layout: scores are stored minus the scale's low end (csat 1, nps 0), with their sums.
  const auto& s = view->state<cxm::satisfaction>();
  CHECK(s.latest[nps_i] == 4);
  CHECK(s.score_sums[nps_i] == 9u + 4u + 7u);
  CHECK(s.latest[csat_i] == 2 - 1);
  CHECK(s.score_sums[csat_i] == (5u - 1u) + (2u - 1u));
  CHECK(s.latest[ces_i] == cxm::satisfaction::no_answer);
  CHECK(s.latest_time[ces_i] == 0u);
  CHECK(s.score_sums[ces_i] == 0u);
}

TEST_CASE("Satisfaction on registry scales other than the defaults reports scores on those scales") {
  cxm::engine_config c;
  c.kinds.set_scale(event_kind::csat_answer, {0, 10});
  c.kinds.set_scale(event_kind::ces_answer, {1, 5});
  cxm::engine<> e(c, cxm::metric_list{cxm::nps_answers{}, cxm::csat_answers{{9, 10}}, cxm::ces_answers{4},
                                      cxm::active_customers{}});
  CHECK(e.metric<cxm::satisfaction>().scales[csat_i] == cxm::score_scale{0, 10});
  CHECK(e.metric<cxm::satisfaction>().scales[ces_i] == cxm::score_scale{1, 5});
  const std::int64_t ms0 = std::int64_t{t0} * 1000;
  e.add(ev(4, ms0, event_kind::csat_answer, 0));
  e.add(ev(4, ms0 + 1'000, event_kind::csat_answer, 10));
  e.add(ev(4, ms0, event_kind::ces_answer, 5));
  const auto q = e.customer(4u)->result<cxm::satisfaction>(cxm::from_seconds32(t0 + 1));
  CHECK(q.csat.latest == 10);
  CHECK(q.csat.mean == 5.0);  // (0 + 10) / 2
  CHECK(q.ces.latest == 5);
  CHECK(q.ces.mean == 5.0);
  // Stored minus the registry's low end: csat 10 − 0, ces 5 − 1.
  CHECK(e.customer(4u)->state<cxm::satisfaction>().latest[csat_i] == 10);
  CHECK(e.customer(4u)->state<cxm::satisfaction>().latest[ces_i] == 4);
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
    const auto q = e.customer(9u)->result<cxm::satisfaction>(cxm::from_unix_ms(ms0 + 1'900));
    CHECK(q.ces.latest == 6);  // the highest score of the latest second
    CHECK(q.ces.latest_time == cxm::from_seconds32(t0 + 1));
    CHECK(q.ces.answers == 4u);
    CHECK(q.ces.mean == 3.0);  // (3 + 6 + 2 + 1) / 4
    ++orders;
  } while (std::next_permutation(answers.begin(), answers.end(),
                                 [](const auto& a, const auto& b) { return a.time < b.time; }));
  CHECK(orders == 24);
}

TEST_CASE("Merging satisfaction states takes the later answer, the higher on a tie, and adds the sums") {
  customer a, b;
  a.on(obs(t0 + 10, event_kind::nps_answer, 8, 8));
  b.on(obs(t0 + 10, event_kind::nps_answer, 3, 3));
  b.on(obs(t0 + 2, event_kind::csat_answer, 4, 3));
  customer ab = a, ba = b;
  ab.merge(b);
  ba.merge(a);
  CHECK(ab.r == ba.r);
  const auto q = ab.satisfaction_result();
  CHECK(q.nps.latest == 8);  // tie at t0 + 10: the higher score
  CHECK(q.nps.answers == 2u);
  CHECK(q.nps.mean == 5.5);  // (8 + 3) / 2
  CHECK(q.csat.latest == 4);
  CHECK(q.csat.latest_time == cxm::from_seconds32(t0 + 2));

  customer later;
  later.on(obs(t0 + 11, event_kind::nps_answer, 0, 0));
  ab.merge(later);
  const auto after = ab.satisfaction_result();
  CHECK(after.nps.latest == 0);  // a later answer wins even with a lower score
  CHECK(after.nps.latest_time == cxm::from_seconds32(t0 + 11));
  CHECK(after.nps.answers == 3u);
  CXM_CHECK_CLOSE(*after.nps.mean, 11.0 / 3.0);
}

TEST_CASE("Satisfaction score sums saturate at 2^32 - 1 and set the flag, reported as a saturated customer") {
  cxm::satisfaction::state a{}, b{};
  const record none{};
  satisfaction.on(a, obs(t0, event_kind::nps_answer, 10, 10), context<cxm::satisfaction>(none));
  a.score_sums[nps_i] = 0xFFFFFFF0u;
  satisfaction.on(b, obs(t0 + 1, event_kind::nps_answer, 10, 10), context<cxm::satisfaction>(none));
  b.score_sums[nps_i] = 0x20u;
  satisfaction.merge(a, b);
  CHECK(a.score_sums[nps_i] == 0xFFFFFFFFu);
  CHECK(a.saturated == 1);
  CHECK(satisfaction.saturated(a));
  CHECK(a.latest_time[nps_i] == t0 + 1);
  satisfaction.on(a, obs(t0 + 2, event_kind::nps_answer, 3, 3), context<cxm::satisfaction>(none));
  CHECK(a.score_sums[nps_i] == 0xFFFFFFFFu);  // stays at the maximum
  CHECK(reload<cxm::satisfaction>(a) == a);
  // The result still tracks the latest answer, but gives no mean once a sum has saturated.
  record saturated{};
  saturated.get<cxm::satisfaction>() = a;
  saturated.get<cxm::activity>().rare[nps_i + 2] = 3;  // nps_answer is the fifth rare kind (kinds 7..11)
  saturated.get<cxm::activity>().first_seen = t0;
  saturated.get<cxm::activity>().last_seen = t0 + 2;
  const auto q = satisfaction.result(a, context<cxm::satisfaction>(saturated));
  CHECK(q.nps.latest == 3);
  CHECK(q.nps.answers == 3u);
  CHECK_FALSE(q.nps.mean.has_value());

  // An engine loaded with such a record counts the customer as saturated. The image is forged: the
  // satisfaction column is the last frame of the payload, and the one customer's flag its last byte.
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
  CHECK(loaded.customer(1u)->state<cxm::satisfaction>().saturated == 1);
  const auto loaded_result = loaded.customer(1u)->result<cxm::satisfaction>(cxm::from_seconds32(t0));
  CHECK(loaded_result.nps.latest == 9);
  CHECK_FALSE(loaded_result.nps.mean.has_value());
  CHECK(loaded.report(cxm::from_seconds32(t0)).saturated_customers == 1);
  CHECK(e.report(cxm::from_seconds32(t0)).saturated_customers == 0);
  CHECK(e.customer(1u)->result<cxm::satisfaction>(cxm::from_seconds32(t0)).nps.mean == 9.0);
}

TEST_CASE("Per-customer states save and load field for field") {
  customer c;
  c.on(obs(t0, event_kind::purchase, 1.0));
  c.on(obs(t0 + 9, event_kind::nps_answer, 7, 7));
  c.on(obs(t0 + 3, cxm::host_kind(1)));
  const auto& a = c.r.get<cxm::activity>();
  CHECK(reload<cxm::activity>(a) == a);
  CHECK(reload<cxm::activity>(cxm::activity::state{}) == cxm::activity::state{});
  const cxm::spend::state s{12.25, 0.5};
  CHECK(reload<cxm::spend>(s) == s);
  customer answered;
  answered.on(obs(t0, event_kind::ces_answer, 7, 6));
  const auto& q = answered.r.get<cxm::satisfaction>();
  CHECK(reload<cxm::satisfaction>(q) == q);
  CHECK(reload<cxm::satisfaction>(cxm::satisfaction::state{}) == cxm::satisfaction::state{});
  // Sizes of the saved states: activity 4 + 4 + 7·4 + 4 + 5·2 + 1 = 51, spend 16, satisfaction 3·9 + 1 = 28.
  cxm::io::writer w;
  activity.save(a, w);
  CHECK(w.size() == 51);
  spend.save(s, w);
  CHECK(w.size() == 51 + 16);
  satisfaction.save(q, w);
  CHECK(w.size() == 51 + 16 + 28);
}

TEST_CASE("Loading a per-customer state rejects impossible values with a format_error") {
  SUBCASE("activity: a saturated flag other than 0 or 1") {
    customer c;
    c.on(obs(t0, event_kind::visit));
    auto a = c.r.get<cxm::activity>();
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
  SUBCASE("satisfaction: a latest score off the metric's scale") {
    // NPS 0..10 has 11 points: offset 10 is the score 10, offset 11 is no score.
    cxm::satisfaction::state q{};
    q.latest[nps_i] = 10;
    q.latest_time[nps_i] = t0;
    CHECK(reload<cxm::satisfaction>(q) == q);
    q.latest[nps_i] = 11;
    CHECK_THROWS_AS(reload<cxm::satisfaction>(q), cxm::format_error);
    // CSAT 1..5 has 5 points: offset 5 is off the default scale, but on a 0..10 scale (configured
    // from a registry) it is the score 5.
    cxm::satisfaction::state c{};
    c.latest[csat_i] = 5;
    c.latest_time[csat_i] = t0;
    CHECK_THROWS_AS(reload<cxm::satisfaction>(c), cxm::format_error);
    cxm::kind_registry wide;
    wide.set_scale(event_kind::csat_answer, {0, 10});
    cxm::satisfaction on_wide{};
    on_wide.configure(wide);
    CHECK(reload<cxm::satisfaction>(c, on_wide) == c);
  }
}
