// The engine is open: three metrics written outside the library (tests/stream/custom_metrics.hpp,
// beside this test; the benchmark attaches the same three), composed next to the defaults without
// editing any cxm header, checked by hand-worked values and the accumulator invariants.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <numeric>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "cxm/events/metric.hpp"
#include "cxm/io/state.hpp"
#include "cxm/stream/engine.hpp"
#include "stream/custom_metrics.hpp"
#include "stream/stream_support.hpp"

namespace {

using namespace std::chrono;
using cxm::event_kind;

using cxm::test::custom_engine;
using cxm::test::largest_purchase;
using cxm::test::new_per_month;
using cxm::test::share_above;

custom_engine make_engine(double threshold = 50.0, double amount = 100.0) {
  return cxm::test::make_custom_engine(threshold, amount);
}

cxm::event<> ev(std::uint64_t customer, cxm::timestamp t, event_kind kind, double value = 0.0) {
  return {customer, t, kind, value};
}

/// Everything of two custom engines that the three metrics report, compared exactly.
void same_custom(const custom_engine& a, const custom_engine& b, cxm::timestamp as_of) {
  const auto ra = a.report(as_of), rb = b.report(as_of);
  CHECK(ra.get<new_per_month>() == rb.get<new_per_month>());
  CHECK(ra.get<share_above>().above == rb.get<share_above>().above);
  CHECK(ra.get<share_above>().customers == rb.get<share_above>().customers);
  CHECK(ra.customers == rb.customers);
  CHECK(ra.events == rb.events);
  std::size_t differ = 0;
  a.for_each_customer([&](std::uint64_t id, const auto& view) {
    const auto theirs = b.customer(id);
    if (!theirs || theirs->template result<largest_purchase>(as_of) != view.template result<largest_purchase>(as_of)) {
      ++differ;
    }
  });
  CHECK(differ == 0);
}

}  // namespace

TEST_CASE("Custom metrics: hand-worked values next to the defaults") {
  static_assert(std::is_same_v<custom_engine::record_metric_list,
                               cxm::metric_list<cxm::spend, cxm::activity, cxm::satisfaction, largest_purchase>>);
  static_assert(custom_engine::record_bytes == 96 + 8);  // the default 96 bytes plus one double
  auto e = make_engine(50.0, 100.0);
  const cxm::timestamp jan = sys_days{2026y / January / 10}, feb = sys_days{2026y / February / 3};
  e.add(ev(1, jan, event_kind::purchase, 40.0));          // below the 50 threshold: ignored by (a)
  e.add(ev(1, jan + hours{1}, event_kind::purchase, 70.0));
  e.add(ev(1, feb, event_kind::purchase, 60.0));
  e.add(ev(2, jan + days{2}, event_kind::visit));
  e.add(ev(3, feb + days{1}, event_kind::purchase, 120.0));
  e.add(ev(3, feb + days{2}, event_kind::refund, 30.0));
  e.add(ev(4, feb + days{3}, event_kind::nps_answer, 9));

  const auto as_of = feb + days{10};
  const auto r = e.report(as_of);
  // (a) largest purchase >= 50: customer 1 max(70, 60) = 70; customer 2 none (0); customer 3 120.
  CHECK(e.customer(1u)->result<largest_purchase>(as_of) == 70.0);
  CHECK(e.customer(2u)->result<largest_purchase>(as_of) == 0.0);
  CHECK(e.customer(3u)->result<largest_purchase>(as_of) == 120.0);
  // (b) new customers: 1 and 2 in January 2026 (month index (2026 − 1970)·12 = 672), 3 and 4 in February.
  const auto months = r.get<new_per_month>();
  CHECK(months == std::map<std::int64_t, std::uint64_t>{{672, 2}, {673, 2}});
  // As of January 31, February is not reported.
  CHECK(e.report(sys_days{2026y / January / 31}).get<new_per_month>() == std::map<std::int64_t, std::uint64_t>{{672, 2}});
  // (c) net spend: 1 → 170, 2 → 0, 3 → 90, 4 → 0; above 100: only customer 1 → 1 of 4 = 0.25.
  CHECK(r.get<share_above>().above == 1);
  CHECK(r.get<share_above>().customers == 4);
  CHECK(r.get<share_above>().share == 0.25);
  // The defaults still compute what they did.
  CHECK(r.get<cxm::nps_answers>().promoters == 1);
  CHECK(r.get<cxm::active_customers>().active == 3);  // 1 (Feb 3), 3 (Feb 4), 4 (Feb 6); 2 last seen Jan 12
  CHECK(e.customer(3u)->result<cxm::spend>(as_of).net == 90.0);
}

TEST_CASE("Custom metrics: a split by customer into k parts, merged in any order, equals one pass") {
  cxm::test::stream_spec spec;
  spec.events = 20'000;
  spec.customers = 2'000;
  spec.host_kinds = 0;
  auto events = cxm::test::random_stream(spec);
  // Each customer's events in time order, as new_per_month requires.
  std::stable_sort(events.begin(), events.end(), [](const auto& a, const auto& b) { return a.time < b.time; });
  auto whole = make_engine();
  whole.add(events);
  std::mt19937_64 rng(7);
  for (std::size_t k : {1u, 2u, 5u, 16u}) {
    CAPTURE(k);
    std::vector<custom_engine> parts(k, make_engine());
    for (const auto& x : events) parts[x.customer % k].add(x);
    std::vector<std::size_t> order(k);
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::shuffle(order.begin(), order.end(), rng);
    auto merged = make_engine();
    for (const auto i : order) merged.merge(parts[i]);
    same_custom(merged, whole, spec.to);
    CHECK(merged.report(spec.to).customers_merged_from_both_sides == 0);
    cxm::test::same_engine(merged, whole, spec.to);
  }
  // Commutativity: a ⊕ b == b ⊕ a.
  auto a = make_engine(), b = make_engine();
  for (const auto& x : events) (x.customer % 2 == 0 ? a : b).add(x);
  auto ab = a, ba = b;
  ab.merge(b);
  ba.merge(a);
  same_custom(ab, ba, spec.to);
}

TEST_CASE("Custom metrics: save -> load gives the same engine; save -> load -> continue equals never stopping") {
  cxm::test::stream_spec spec;
  spec.events = 5'000;
  spec.customers = 500;
  spec.host_kinds = 0;
  auto events = cxm::test::random_stream(spec);
  std::stable_sort(events.begin(), events.end(), [](const auto& a, const auto& b) { return a.time < b.time; });
  auto whole = make_engine(25.0, 300.0);
  whole.add(events);
  const auto image = cxm::io::save_state(whole);
  // The saved parameters come back with the state (no prototype needed).
  const auto loaded = cxm::io::load_state<custom_engine>(image);
  CHECK(loaded == whole);
  CHECK(loaded.metric<largest_purchase>().threshold == 25.0);
  CHECK(loaded.metric<share_above>().amount == 300.0);
  same_custom(loaded, whole, spec.to);

  auto first = make_engine(25.0, 300.0);
  const std::size_t cut = events.size() / 3;
  for (std::size_t i = 0; i < cut; ++i) first.add(events[i]);
  auto resumed = cxm::io::load_state<custom_engine>(cxm::io::save_state(first));
  for (std::size_t i = cut; i < events.size(); ++i) resumed.add(events[i]);
  CHECK(resumed == whole);
}

TEST_CASE("Custom metrics: a parameter mismatch at merge and at load is a clear error") {
  auto a = make_engine(50.0), b = make_engine(60.0);
  CHECK_THROWS_WITH_AS(a.merge(b),
                       "metric 'largest_purchase': cannot merge: parameter 'threshold' is 50 here and 60 there",
                       std::invalid_argument);
  auto c = make_engine(50.0, 100.0), d = make_engine(50.0, 250.5);
  CHECK_THROWS_WITH_AS(c.merge(d), "metric 'share_above': cannot merge: parameter 'amount' is 100 here and 250.5 there",
                       std::invalid_argument);
  // Loading into a prototype with other parameters: the format_error names the metric and parameter.
  const auto image = cxm::io::save_state(b);
  const auto body = std::span(image).subspan(cxm::io::state_header_size,
                                             image.size() - cxm::io::state_header_size - cxm::io::state_trailer_size);
  cxm::io::reader payload{body, custom_engine::format_version};
  CHECK_THROWS_WITH_AS((void)custom_engine::load(payload, a),
                       "engine: metric 'largest_purchase': cannot load: parameter 'threshold' is 60 here and 50 there",
                       cxm::format_error);
}

TEST_CASE("Custom metrics: a metric payload of another version, or another metric, is refused by name") {
  const auto e = make_engine();
  auto image = cxm::io::save_state(e);
  // Find the frame of largest_purchase: its id behind its u64 length (16), then its u16 version right
  // after. (The composition signature at the start of the image names it too, without that length.)
  const std::string needle = std::string("\x10\0\0\0\0\0\0\0", 8) + "largest_purchase";
  const auto at = std::search(image.begin(), image.end(), needle.begin(), needle.end(),
                              [](std::byte b, char c) { return std::to_integer<char>(b) == c; });
  REQUIRE(at != image.end());
  auto version_at = static_cast<std::size_t>(at - image.begin()) + needle.size();
  image[version_at] = std::byte{2};  // version 2: this build reads 1..1
  const auto payload_end = image.size() - cxm::io::state_trailer_size;
  const auto crc = cxm::io::crc32(std::span(image).first(payload_end));
  for (std::size_t b = 0; b < 4; ++b) image[payload_end + b] = std::byte{static_cast<unsigned char>(crc >> (8 * b))};
  CHECK_THROWS_WITH_AS((void)cxm::io::load_state<custom_engine>(image),
                       "engine: metric 'largest_purchase' was saved at version 2, this build reads 1..1",
                       cxm::format_error);
  // An engine of the default composition does not load it: the fifth global metric differs.
  CHECK_THROWS_AS((void)cxm::io::load_state<cxm::engine<>>(cxm::io::save_state(e)), cxm::format_error);
}
