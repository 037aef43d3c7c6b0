// Tests for the engine (include/cxm/stream/engine.hpp): one pass over a large random stream against a
// brute-force reference, k-way shards merged in any order, the report as of a time, configurations
// and compositions, and the hot path's promise of no allocation per event.

#include "cxm/stream/engine.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <numeric>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <doctest/doctest.h>

#include "cxm/core/accumulator.hpp"
#include "cxm/survey/ces.hpp"
#include "cxm/survey/csat.hpp"
#include "cxm/survey/nps.hpp"
#include "stream/stream_support.hpp"
#include "support/invariants.hpp"

static_assert(cxm::accumulator<cxm::engine<>, cxm::event<>>);
static_assert(cxm::accumulator<cxm::engine<std::string>, cxm::event<std::string>>);
static_assert(cxm::accumulator<cxm::engine<cxm::uuid>, cxm::event<cxm::uuid>>);

// Counts every allocation of this test binary through the replaceable global operator new, so that a
// test can check that a stretch of code allocates nothing. (GCC cannot see that the free() below pairs
// with the malloc() of the replaced operator new when it inlines a delete: -Wmismatched-new-delete.)
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
namespace {
std::atomic<std::size_t> allocations{0};
}  // namespace

void* operator new(std::size_t size) {
  allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
// The nothrow form too (std::stable_sort's temporary buffer uses it): every form that the replaced
// operator delete frees must allocate with malloc, or ASan reports an alloc-dealloc mismatch.
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  allocations.fetch_add(1, std::memory_order_relaxed);
  return std::malloc(size == 0 ? 1 : size);
}
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace {

using cxm::event_kind;
using namespace std::chrono;

/// The 1e5-event, 1e4-customer stream of every kind (two host kinds included), made once.
const std::vector<cxm::event<>>& big_stream() {
  static const auto events = cxm::test::random_stream(cxm::test::stream_spec{});
  return events;
}

constexpr std::size_t kind_index(event_kind k) { return static_cast<std::size_t>(k); }

cxm::event<> ev(std::uint64_t customer, cxm::timestamp t, event_kind kind, double value = 0.0) {
  return {customer, t, kind, value};
}

}  // namespace

TEST_CASE("One pass over 100,000 random events matches a brute-force recomputation, customer by customer") {
  const cxm::test::stream_spec spec;
  const auto& events = big_stream();
  cxm::engine<> e(cxm::test::config_for(spec));
  CHECK(e.add(events) == events.size());

  const auto reference = cxm::test::reference_customers(events);
  REQUIRE(reference.size() == spec.customers);
  std::string first;
  const auto bad = cxm::test::mismatches_against_reference(e, reference, first);
  CHECK_MESSAGE(bad == 0, bad, " customers differ from the reference; first: ", first);

  std::array<std::uint64_t, cxm::max_event_kinds> by_kind{};
  cxm::nps nps;
  cxm::csat csat;
  cxm::ces ces;
  for (const auto& x : events) {
    ++by_kind[kind_index(x.kind)];
    if (x.kind == event_kind::nps_answer) nps.add(static_cast<int>(x.value));
    if (x.kind == event_kind::csat_answer) csat.add(static_cast<int>(x.value));
    if (x.kind == event_kind::ces_answer) ces.add(static_cast<int>(x.value));
  }
  for (const auto as_of : {cxm::from_unix_ms(1'719'792'000'000) /* 2024-07-01 */, spec.to}) {
    const auto r = e.report(as_of);
    CHECK(r.as_of == as_of);
    CHECK(r.events == events.size());
    CHECK(r.events_by_kind == by_kind);
    CHECK(r.rejected.total == 0);
    CHECK(r.customers == spec.customers);
    const auto active = r.get<cxm::active_customers>().active;
    CHECK(active == cxm::test::reference_active(reference, as_of));
    CHECK(active > 0);
    CHECK(active < r.customers);
    CHECK(r.includes_later_events == (as_of < spec.to - milliseconds{1'000'000}));
    CHECK(r.saturated_customers == 0);
    cxm::test::same_result(r.get<cxm::nps_answers>(), nps.result());
    cxm::test::same_result(r.get<cxm::csat_answers>(), csat.result());
    cxm::test::same_result(r.get<cxm::ces_answers>(), ces.result());
  }
  // Every kind occurs, host kinds included.
  for (std::size_t k = 0; k < cxm::builtin_kind_count + spec.host_kinds; ++k) CHECK(by_kind[k] > 0);
}

TEST_CASE("Any split of 100,000 events into k = 1..16 shards, merged in any order, equals one pass") {
  const cxm::test::stream_spec spec;
  const auto config = cxm::test::config_for(spec);
  const auto& events = big_stream();
  cxm::engine<> whole(config);
  whole.add(events);
  std::mt19937_64 rng(161);
  for (std::size_t k = 1; k <= 16; ++k) {
    CAPTURE(k);
    std::vector<cxm::engine<>> shards(k, cxm::engine<>(config));
    for (const auto& x : events) shards[rng() % k].add(x);
    std::vector<std::size_t> order(k);
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::shuffle(order.begin(), order.end(), rng);
    cxm::engine<> merged(config);
    for (const auto i : order) merged.merge(shards[i]);
    cxm::test::same_engine(merged, whole, spec.to);
    cxm::test::same_engine(merged, whole, cxm::from_unix_ms(1'719'792'000'000));
    CHECK(merged.result().as_of == whole.result().as_of);  // the watermark is the latest time of any shard
  }
}

TEST_CASE("A customer is active when last seen in (as_of - 30 days, as_of]") {
  const auto as_of = cxm::from_unix_ms(1'719'792'000'500);  // 2024-07-01T00:00:00.500
  cxm::engine<> e;
  e.add(ev(1, as_of - days{30}, event_kind::visit));                   // exactly 30 days before: not active
  e.add(ev(2, as_of - days{30} + seconds{1}, event_kind::visit));      // one second inside the window
  e.add(ev(3, as_of, event_kind::purchase, 1.0));                      // at as_of (second 1 719 792 000)
  e.add(ev(4, as_of + seconds{1}, event_kind::visit));                 // after as_of: not active yet
  e.add(ev(5, as_of - days{400}, event_kind::signup));                 // long gone ...
  e.add(ev(5, as_of - days{2}, event_kind::cancel));                   // ... but back two days ago
  e.add(ev(6, as_of - days{45}, event_kind::nps_answer, 10));          // 45 days ago
  const auto r = e.report(as_of);
  // Active: 2, 3, 5.
  CHECK(r.get<cxm::active_customers>().active == 3);
  CHECK(r.get<cxm::active_customers>().window == days{30});
  CHECK(r.customers == 6);
  CHECK(r.events == 7);
  CHECK(r.events_by_kind[kind_index(event_kind::visit)] == 3);
  CHECK(r.events_by_kind[kind_index(event_kind::purchase)] == 1);
  CHECK(r.events_by_kind[kind_index(event_kind::signup)] == 1);
  CHECK(r.events_by_kind[kind_index(event_kind::cancel)] == 1);
  CHECK(r.events_by_kind[kind_index(event_kind::nps_answer)] == 1);
  CHECK(r.events_by_kind[kind_index(event_kind::refund)] == 0);
  // Customer 4's event is after as_of: the report says that its cumulative figures include it.
  CHECK(r.includes_later_events);
  CHECK(r.watermark == as_of + seconds{1});
  // Times are kept in whole seconds: customer 1's last activity is as_of − 30 days − 0.5 s.
  // A 60-day window (a parameter of the metric) also holds customers 1 and 6.
  cxm::engine<> sixty({}, cxm::metric_list{cxm::nps_answers{}, cxm::csat_answers{}, cxm::ces_answers{},
                                           cxm::active_customers{days{60}}});
  sixty.add(ev(1, as_of - days{30}, event_kind::visit));
  sixty.add(ev(2, as_of - days{30} + seconds{1}, event_kind::visit));
  sixty.add(ev(3, as_of, event_kind::purchase, 1.0));
  sixty.add(ev(4, as_of + seconds{1}, event_kind::visit));
  sixty.add(ev(5, as_of - days{400}, event_kind::signup));
  sixty.add(ev(5, as_of - days{2}, event_kind::cancel));
  sixty.add(ev(6, as_of - days{45}, event_kind::nps_answer, 10));
  CHECK(sixty.report(as_of).get<cxm::active_customers>().active == 5);
  // Engines whose active_customers windows differ do not merge: the error names the metric and parameter.
  try {
    sixty.merge(e);
    FAIL("merged engines with different windows");
  } catch (const std::invalid_argument& error) {
    CHECK(std::string(error.what()) ==
          "metric 'active_customers': cannot merge: parameter 'window' is 5184000000 ms here and 2592000000 ms there");
  }
  // One second later, 2 falls out of the window and 4 comes in.
  CHECK(e.report(as_of + seconds{1}).get<cxm::active_customers>().active == 3);
  CHECK_FALSE(e.report(as_of + seconds{1}).includes_later_events);
  // As of 29 days later the window starts a day before as_of: only 3 and 4 (5 was last seen 2 days before).
  CHECK(e.report(as_of + days{29}).get<cxm::active_customers>().active == 2);
}

TEST_CASE("report.get<nps_answers>() equals a standalone cxm::nps fed the same answers") {
  cxm::engine<> e;
  cxm::nps standalone;
  const auto t = cxm::from_unix_ms(1'700'000'000'000);
  // 5 promoters (9, 10), 3 passives (7, 8), 2 detractors (0, 6): NPS = (5 − 2) / 10 = 30.
  const int scores[] = {9, 10, 9, 10, 9, 7, 8, 7, 0, 6};
  std::uint64_t customer = 100;
  for (const int s : scores) {
    e.add(ev(customer++, t, event_kind::nps_answer, s));
    standalone.add(s);
  }
  e.add(ev(1, t, event_kind::csat_answer, 5));  // other surveys do not reach the NPS
  const auto r = e.report(t);
  const auto& nps = r.get<cxm::nps_answers>();
  cxm::test::same_result(nps, standalone.result());
  CHECK(nps.n == 10);
  CHECK(nps.promoters == 5);
  CHECK(nps.passives == 3);
  CHECK(nps.detractors == 2);
  CXM_CHECK_CLOSE(nps.score, 30.0);
  CHECK(e.global<cxm::nps_answers>() == standalone);
}

TEST_CASE("result() is the report as of the latest event time seen; an empty engine reports as of 1970") {
  cxm::engine<> e;
  CHECK(e.result().as_of == cxm::earliest_time);
  CHECK(e.result().events == 0);
  CHECK(e.result().customers == 0);
  const auto t = cxm::from_unix_ms(1'700'000'000'123);
  e.add(ev(1, t, event_kind::visit));
  e.add(ev(2, t - hours{5}, event_kind::visit));
  CHECK(e.result().as_of == t);
  CHECK(e.result().get<cxm::active_customers>().active == 2);
}

TEST_CASE("A report as of a time before the first event is refused; one as of the first event counts it") {
  cxm::engine<> e;
  const auto t = cxm::from_unix_ms(1'700'000'000'000);  // 2023-11-14T22:13:20Z
  e.add(ev(1, t, event_kind::nps_answer, 9));
  e.add(ev(2, t + days{1}, event_kind::nps_answer, 3));
  try {
    (void)e.report(t - milliseconds{1});
    FAIL("a report before the first event");
  } catch (const std::invalid_argument& error) {
    CHECK(std::string(error.what()) == "engine: report as of 2023-11-14T22:13:19.999Z is before the first event "
                                       "(2023-11-14T22:13:20Z): no figure is known then");
  }
  const auto r = e.report(t);
  // The NPS covers every answer seen (9 and 3): the report says so, rather than silently including it.
  CHECK(r.includes_later_events);
  CHECK(r.get<cxm::nps_answers>().n == 2);
  // Per-customer results are cut at as_of: customer 2 is not yet a customer as of t.
  CHECK_FALSE(e.customer(std::uint64_t{2})->result<cxm::activity>(t).first_seen.has_value());
  CHECK(e.customer(std::uint64_t{1})->result<cxm::activity>(t).first_seen == t);
  CHECK_FALSE(e.report(t + days{1}).includes_later_events);
  CHECK_THROWS_AS((void)e.report(cxm::from_unix_ms(-1)), std::invalid_argument);
}

TEST_CASE("Engines with different configurations refuse to merge, naming the field and both values") {
  cxm::engine_config other;
  other.kinds.declare_host_kinds(2);
  cxm::engine<> a, b(other);
  try {
    a.merge(b);
    FAIL("merged engines with different registries");
  } catch (const std::invalid_argument& error) {
    CHECK(std::string(error.what()) ==
          "engine: cannot merge: configuration differs: kind registry: host kinds in use: 0 vs 2");
  }
  cxm::engine_config scale;
  scale.kinds.set_scale(event_kind::csat_answer, {1, 7});
  CHECK_THROWS_WITH_AS(a.merge(cxm::engine<>(scale)),
                       "engine: cannot merge: configuration differs: kind registry: csat_answer: scale 1..5 vs 1..7",
                       std::invalid_argument);
  cxm::engine_config late;
  late.max_lateness = hours{1};
  cxm::engine<> c(late);
  CHECK_THROWS_AS(a.merge(c), std::invalid_argument);
}

TEST_CASE("An invalid configuration is refused at construction") {
  cxm::engine_config c;
  CHECK_THROWS_AS(c.kinds.declare_host_kinds(21), std::invalid_argument);  // 12 built-in + 21 > 32
  CHECK_THROWS_AS(c.kinds.set_scale(event_kind::nps_answer, {0, 300}), std::invalid_argument);  // > 255 points
  // A satisfied score outside the registry's 1..5 csat scale: the csat metric refuses it.
  CHECK_THROWS_AS((cxm::engine<>({}, cxm::metric_list{cxm::nps_answers{}, cxm::csat_answers{{6}}, cxm::ces_answers{},
                                                       cxm::active_customers{}})),
                  std::invalid_argument);
  // NPS is defined on 0..10 only.
  cxm::engine_config n;
  n.kinds.set_scale(event_kind::nps_answer, {1, 10});
  CHECK_THROWS_AS(cxm::engine<>{n}, std::invalid_argument);
  cxm::engine_config l;
  l.max_lateness = milliseconds{-1};
  CHECK_THROWS_AS(cxm::engine<>{l}, std::invalid_argument);
}

TEST_CASE("The engine's survey metrics use the configured CSAT scale, satisfied set and CES threshold") {
  cxm::engine_config c;
  c.kinds.set_scale(event_kind::csat_answer, {0, 10});
  c.kinds.set_scale(event_kind::ces_answer, {1, 5});
  cxm::engine<> e(c, cxm::metric_list{cxm::nps_answers{}, cxm::csat_answers{{9, 10}}, cxm::ces_answers{4},
                                      cxm::active_customers{}});
  const auto t = cxm::from_unix_ms(1'700'000'000'000);
  cxm::csat csat(cxm::score_scale{0, 10}, {9, 10});
  cxm::ces ces(cxm::score_scale{1, 5}, 4);
  for (const int s : {0, 10, 9, 8, 10}) {
    CHECK(e.add(ev(1, t, event_kind::csat_answer, s)));
    csat.add(s);
  }
  for (const int s : {5, 4, 3}) {
    CHECK(e.add(ev(2, t, event_kind::ces_answer, s)));
    ces.add(s);
  }
  const auto r = e.report(t);
  cxm::test::same_result(r.get<cxm::csat_answers>(), csat.result());
  cxm::test::same_result(r.get<cxm::ces_answers>(), ces.result());
  CHECK(r.get<cxm::csat_answers>().satisfied == 3);  // 10, 9, 10
  CHECK(r.get<cxm::ces_answers>().easy == 2);        // 5, 4
  // Per customer, on the survey's own scale: the latest (tie in one second: highest) csat 10, mean
  // (0 + 10 + 9 + 8 + 10) / 5 = 7.4; ces latest 5 (tie), mean (5 + 4 + 3) / 3 = 4.
  const auto q = e.customer(1u)->result<cxm::satisfaction>(t);
  CHECK(q.csat.answers == 5);
  CHECK(q.csat.latest == 10);
  CHECK(q.csat.latest_time == t);
  CXM_CHECK_CLOSE(*q.csat.mean, 7.4);
  CHECK_FALSE(q.ces.latest.has_value());
  CHECK_FALSE(q.nps.mean.has_value());
  const auto q2 = e.customer(2u)->result<cxm::satisfaction>(t);
  CHECK(q2.ces.latest == 5);
  CXM_CHECK_CLOSE(*q2.ces.mean, 4.0);
  CHECK_FALSE(q2.includes_later_events);
}

TEST_CASE("An engine composed of fewer metrics keeps only their state") {
  using lean = cxm::engine<std::uint64_t, cxm::metric_list<cxm::nps_answers>, cxm::metric_list<cxm::activity>>;
  static_assert(sizeof(lean::record_type) == sizeof(cxm::activity::state));
  static_assert(lean::record_bytes == 52);
  CHECK(lean::composition() == "id=uint64;global=nps;customer=activity");
  lean e;
  const auto t = cxm::from_unix_ms(1'700'000'000'000);
  e.add(ev(1, t, event_kind::purchase, 5.0));
  e.add(ev(1, t, event_kind::nps_answer, 9));
  const auto r = e.report(t);
  CHECK(r.get<cxm::nps_answers>().promoters == 1);
  CHECK(e.customer(1u)->result<cxm::activity>(t).events_by_kind[kind_index(event_kind::purchase)] == 1);

  // active_customers reads activity: composing it with spend alone brings activity into the record
  // (declared dependency), after spend, stored once.
  using spend_and_active =
      cxm::engine<std::uint64_t, cxm::metric_list<cxm::active_customers>, cxm::metric_list<cxm::spend>>;
  static_assert(std::is_same_v<spend_and_active::record_metric_list, cxm::metric_list<cxm::spend, cxm::activity>>);
  static_assert(spend_and_active::record_bytes == 16 + 52 + 4);  // 72 bytes: 68 of state, padded to spend's alignment 8
  spend_and_active s;
  s.add(ev(1, t, event_kind::purchase, 5.0));
  CHECK(s.report(t).get<cxm::active_customers>().active == 1);
  CHECK(s.report(t).customers == 1);
  CHECK(s.customer(1u)->result<cxm::spend>(t).purchase_amount == 5.0);
}

TEST_CASE("An event of a known customer allocates nothing, string ids looked up as std::string_view") {
  cxm::engine<std::string> e;
  const std::string names[] = {"a-customer-name-well-beyond-the-small-string-buffer-1",
                               "a-customer-name-well-beyond-the-small-string-buffer-2"};
  const auto t = cxm::from_unix_ms(1'700'000'000'000);
  std::vector<cxm::event<std::string_view>> events;
  for (int i = 0; i < 1'000; ++i) {
    const auto kind = static_cast<event_kind>(i % 12);
    const double value = kind == event_kind::nps_answer ? 7.0 : kind == event_kind::csat_answer || kind == event_kind::ces_answer ? 3.0 : 1.0;
    events.push_back({names[i % 2], t + seconds{i}, kind, value});
  }
  e.add(events[0]);
  e.add(events[1]);  // both customers are known now
  const auto before = allocations.load();
  for (std::size_t i = 2; i < events.size(); ++i) e.add(events[i]);
  const auto after = allocations.load();
  CHECK(after - before == 0);
  // The counter does see allocations: a new customer's long name is copied into the table.
  const auto before_new = allocations.load();
  e.add(cxm::event<std::string_view>{"a-third-customer-name-well-beyond-the-small-string-buffer", t,
                                     event_kind::visit, 0.0});
  CHECK(allocations.load() > before_new);
  CHECK(e.report(t).events == 1'001);
  CHECK(e.customers().size() == 3);
}
