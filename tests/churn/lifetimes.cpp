// Customer lifetimes (include/cxm/churn/lifetimes.hpp): the report-time metric customer_lifetimes
// composed into cxm::engine next to the defaults. Hand-worked values, a brute-force recomputation from
// the raw events, any arrival order, k-way splits merged in any order, save/load with parameters, bad
// parameters and a corrupted parameter in a saved image.

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <numeric>
#include <optional>
#include <random>
#include <span>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <doctest/doctest.h>

#include "churn/raw_facts.hpp"
#include "cxm/churn/lifetimes.hpp"
#include "cxm/io/state.hpp"
#include "cxm/stream/engine.hpp"
#include "stream/stream_support.hpp"

namespace {

using namespace std::chrono;
using cxm::event_kind;
using cxm::timestamp;

using lifetimes_engine =
    cxm::engine<std::uint64_t,
                cxm::metric_list<cxm::nps_answers, cxm::csat_answers, cxm::ces_answers, cxm::active_customers,
                                 cxm::customer_lifetimes>,
                cxm::metric_list<cxm::spend, cxm::activity, cxm::satisfaction>>;

cxm::customer_lifetimes make_metric(milliseconds threshold, milliseconds unit) {
  cxm::customer_lifetimes m;
  m.threshold = threshold;
  m.unit = unit;
  return m;
}

lifetimes_engine make_lifetimes_engine(milliseconds threshold = days{90}, milliseconds unit = days{1}) {
  return lifetimes_engine({},
                          cxm::metric_list{cxm::nps_answers{}, cxm::csat_answers{}, cxm::ces_answers{},
                                           cxm::active_customers{}, make_metric(threshold, unit)},
                          cxm::metric_list{cxm::spend{}, cxm::activity{}, cxm::satisfaction{}});
}

cxm::event<> ev(std::uint64_t customer, timestamp t, event_kind kind, double value = 0.0) {
  return {customer, t, kind, value};
}

// --- brute force from the raw events ---------------------------------------------------------------
using cxm::test::raw_customer;
using cxm::test::raw_facts;

/// The lifetimes by the documented rule, written directly from the raw facts: a sorted list of
/// (time, event) pairs turned into the counts per distinct time with plain std::map code.
cxm::customer_lifetimes_result brute_lifetimes(const std::map<std::uint64_t, raw_customer>& cs, milliseconds threshold,
                                               milliseconds unit, timestamp as_of) {
  cxm::customer_lifetimes_result r{threshold, unit, {}, 0, 0, 0, 0, 0, 0, 0};
  std::map<double, std::pair<std::uint64_t, std::uint64_t>> counts;  // time -> (churned, censored)
  const auto units = [&](milliseconds d) { return static_cast<double>(d.count()) / static_cast<double>(unit.count()); };
  for (const auto& [id, c] : cs) {
    if (c.first > as_of) {
      ++r.excluded;
      continue;
    }
    ++r.customers;
    if (c.first_cancel && *c.first_cancel <= as_of) {
      ++r.cancelled;
      ++counts[units(*c.first_cancel - c.first)].first;
    } else if (c.last > floor<seconds>(as_of)) {
      ++r.censored_later_events;
      ++counts[units(as_of - c.first)].second;
    } else if (threshold > milliseconds{0} && as_of - c.last > threshold) {
      ++r.inactive;
      ++counts[units(c.last + threshold - c.first)].first;
    } else {
      ++counts[units(as_of - c.first)].second;
    }
  }
  r.churned = r.cancelled + r.inactive;
  r.censored = r.customers - r.churned;
  for (const auto& [t, n] : counts) {
    r.table.add(t, true, n.first);
    r.table.add(t, false, n.second);
  }
  return r;
}

using cxm::test::random_events;
using cxm::test::report_times;
using cxm::test::stream_from;
using cxm::test::stream_to;

/// The lifetimes results of two engines at every report time, exactly.
void same_lifetimes(const lifetimes_engine& a, const lifetimes_engine& b) {
  for (const auto t : report_times()) {
    CAPTURE(t.time_since_epoch().count());
    CHECK(a.report(t).get<cxm::customer_lifetimes>() == b.report(t).get<cxm::customer_lifetimes>());
  }
}

}  // namespace

TEST_CASE("Lifetimes: hand-worked, cancel first, inactivity dated at last + threshold, later events censored") {
  static_assert(std::is_same_v<lifetimes_engine::record_metric_list,
                               cxm::metric_list<cxm::spend, cxm::activity, cxm::satisfaction, cxm::cancellation>>);
  auto e = make_lifetimes_engine(days{90});
  const timestamp as_of = sys_days{2026y / June / 30};
  const timestamp jan = sys_days{2026y / January / 10};
  e.add(ev(1, jan, event_kind::signup));
  e.add(ev(1, sys_days{2026y / March / 1}, event_kind::cancel));  // cancelled: Jan 10 → Mar 1 = 21 + 28 + 1 = 50 days
  e.add(ev(2, jan, event_kind::visit));
  e.add(ev(2, sys_days{2026y / March / 1}, event_kind::visit));  // 121 days idle > 90: churned at May 30 → 50 + 90 = 140
  e.add(ev(3, jan, event_kind::visit));
  e.add(ev(3, sys_days{2026y / May / 1}, event_kind::visit));  // 60 days idle: censored at Jun 30 → 31+28+31+30+31+20 = 171
  e.add(ev(4, sys_days{2026y / July / 5}, event_kind::visit));  // first activity after as_of: excluded
  e.add(ev(5, jan, event_kind::visit));
  e.add(ev(5, sys_days{2026y / July / 10}, event_kind::visit));  // later event: censored at as_of, 171
  e.add(ev(6, sys_days{2026y / April / 1}, event_kind::visit));
  e.add(ev(6, sys_days{2026y / August / 1}, event_kind::cancel));  // cancel after as_of: censored, Apr 1 → Jun 30 = 90
  e.add(ev(7, jan, event_kind::visit));
  e.add(ev(7, as_of - days{90}, event_kind::visit));  // exactly 90 days idle: not more than → censored, 171
  // Arrival order does not matter: customer 2's events reversed.
  e.add(ev(8, sys_days{2026y / June / 1}, event_kind::visit));
  e.add(ev(8, sys_days{2026y / February / 1}, event_kind::visit));  // Feb 1 → Jun 30 = 27+31+30+31+30 = 149, censored

  const auto r = e.report(as_of).get<cxm::customer_lifetimes>();
  CHECK(r.threshold == days{90});
  CHECK(r.unit == days{1});
  CHECK(r.customers == 7);  // 1, 2, 3, 5, 6, 7, 8
  CHECK(r.excluded == 1);   // 4
  CHECK(r.cancelled == 1);  // 1
  CHECK(r.inactive == 1);   // 2
  CHECK(r.churned == 2);
  CHECK(r.censored == 5);   // 3, 5, 6, 7, 8
  CHECK(r.censored_later_events == 2);  // 5, 6
  using counts = cxm::survival_table::counts;
  const std::map<double, counts> expected{{50.0, {1, 0}}, {90.0, {0, 1}}, {140.0, {1, 0}}, {149.0, {0, 1}},
                                          {171.0, {0, 3}}};
  CHECK(r.table.by_time() == expected);
  // Kaplan-Meier: t = 50: n = 7, d = 1 → 6/7; t = 90: censored; t = 140: n = 5, d = 1 → 6/7 · 4/5 = 24/35.
  const auto km = cxm::kaplan_meier(r.table);
  REQUIRE(km.rows.size() == 5);
  CHECK(km.rows[0].survival == doctest::Approx(6.0 / 7.0).epsilon(1e-15));
  CHECK(km.rows[2].at_risk == 5);
  CHECK(km.rows[2].survival == doctest::Approx(24.0 / 35.0).epsilon(1e-15));
  CHECK(km.rows[4].survival == doctest::Approx(24.0 / 35.0).epsilon(1e-15));

  // One per customer, through of() on the customer's states.
  const auto& metric = e.metric<cxm::customer_lifetimes>();
  const auto lifetime_of = [&](std::uint64_t id) {
    const auto view = e.customer(id);
    REQUIRE(view.has_value());
    return metric.of(view->state<cxm::activity>(), view->state<cxm::cancellation>(), as_of);
  };
  CHECK(lifetime_of(1) == cxm::customer_lifetime{cxm::lifetime_outcome::cancelled, cxm::lifetime{50.0, true}});
  CHECK(lifetime_of(2) == cxm::customer_lifetime{cxm::lifetime_outcome::inactive, cxm::lifetime{140.0, true}});
  CHECK(lifetime_of(3) == cxm::customer_lifetime{cxm::lifetime_outcome::censored, cxm::lifetime{171.0, false}});
  CHECK(lifetime_of(4) == cxm::customer_lifetime{cxm::lifetime_outcome::excluded, std::nullopt});
  CHECK(lifetime_of(5) == cxm::customer_lifetime{cxm::lifetime_outcome::censored_later, cxm::lifetime{171.0, false}});

  // One second later customer 7 is idle 90 days + 1 s: churned at Apr 1 + 90 days → 81 + 90 = 171 days,
  // the 171 now holding one churn and two censored (at 171 days + 1 s).
  const auto later = e.report(as_of + seconds{1}).get<cxm::customer_lifetimes>();
  CHECK(later.inactive == 2);
  CHECK(later.table.by_time().at(171.0) == counts{1, 0});
  CHECK(later.table.by_time().at(171.0 + 1.0 / 86'400.0) == counts{0, 2});

  // Reported at the present: customer 6's cancel counts (Apr 1 → Aug 1 = 122 days), 4 and 5 are active.
  const auto now = e.report(sys_days{2026y / August / 1}).get<cxm::customer_lifetimes>();
  CHECK(now.censored_later_events == 0);
  CHECK(now.excluded == 0);
  CHECK(now.customers == 8);
  CHECK(now.cancelled == 2);
  CHECK(now.table.by_time().at(122.0) == counts{1, 0});
}

TEST_CASE("Lifetimes: threshold 0 churns only by cancel; the unit scales every lifetime") {
  auto off = make_lifetimes_engine(milliseconds{0});
  auto weeks = make_lifetimes_engine(days{90}, days{7});
  const timestamp jan = sys_days{2026y / January / 10};
  for (auto* e : {&off, &weeks}) {
    e->add(ev(1, jan, event_kind::visit));
    e->add(ev(1, jan + days{35}, event_kind::cancel));  // 35 days = 5 weeks
    e->add(ev(2, jan, event_kind::visit));              // idle for a year
  }
  const timestamp as_of = jan + days{364};
  const auto r = off.report(as_of).get<cxm::customer_lifetimes>();
  CHECK(r.threshold == milliseconds{0});
  CHECK(r.cancelled == 1);
  CHECK(r.inactive == 0);  // the rule is off: 364 idle days are not churn
  CHECK(r.table.by_time() == std::map<double, cxm::survival_table::counts>{{35.0, {1, 0}}, {364.0, {0, 1}}});
  const auto w = weeks.report(as_of).get<cxm::customer_lifetimes>();
  // Weeks: cancel 35 / 7 = 5; customer 2 churned at 90 days = 90/7 weeks.
  CHECK(w.table.by_time() == std::map<double, cxm::survival_table::counts>{{5.0, {1, 0}}, {90.0 / 7.0, {1, 0}}});
  // An empty table: nothing, and no curve rows.
  const auto empty = make_lifetimes_engine().report(as_of).get<cxm::customer_lifetimes>();
  CHECK(empty.customers == 0);
  CHECK(empty.table.empty());
  CHECK(cxm::kaplan_meier(empty.table).rows.empty());
}

TEST_CASE("Lifetimes: equal a brute-force recomputation from the raw events") {
  const auto events = random_events(6'000, 500, 17);
  const auto facts = raw_facts(events);
  for (const auto threshold : {milliseconds{0}, milliseconds{days{30}}, milliseconds{days{90}}, milliseconds{hours{36}}}) {
    for (const auto unit : {milliseconds{days{1}}, milliseconds{hours{1}}, milliseconds{days{30}}}) {
      CAPTURE(threshold.count());
      CAPTURE(unit.count());
      auto e = make_lifetimes_engine(threshold, unit);
      e.add(events);
      for (const auto t : report_times()) {
        CAPTURE(t.time_since_epoch().count());
        CHECK(e.report(t).get<cxm::customer_lifetimes>() == brute_lifetimes(facts, threshold, unit, t));
      }
    }
  }
  // Every branch is exercised by the stream: the mid-stream report has cancels, inactive churners,
  // customers with later events and customers not joined yet; the report of the present has
  // customers censored without later events.
  const auto mid = brute_lifetimes(facts, days{30}, days{1}, report_times()[1]);
  CHECK(mid.cancelled > 0);
  CHECK(mid.inactive > 0);
  CHECK(mid.censored_later_events > 0);
  CHECK(mid.excluded > 0);
  const auto end = brute_lifetimes(facts, days{30}, days{1}, stream_to);
  CHECK(end.censored > 0);
  CHECK(end.censored_later_events == 0);
}

TEST_CASE("Lifetimes: out-of-order arrival and k-way splits merged in any order equal one pass") {
  auto events = random_events(8'000, 600, 29);
  auto whole = make_lifetimes_engine(days{45});
  whole.add(events);
  std::mt19937_64 rng(3);
  for (std::size_t k : {1u, 2u, 3u, 7u, 16u}) {
    CAPTURE(k);
    for (const bool by_customer : {true, false}) {
      CAPTURE(by_customer);
      std::vector<lifetimes_engine> parts(k, make_lifetimes_engine(days{45}));
      for (const auto& x : events) parts[by_customer ? x.customer % k : rng() % k].add(x);
      std::vector<std::size_t> order(k);
      std::iota(order.begin(), order.end(), std::size_t{0});
      std::shuffle(order.begin(), order.end(), rng);
      auto merged = make_lifetimes_engine(days{45});
      for (const auto i : order) merged.merge(parts[i]);
      same_lifetimes(merged, whole);
      cxm::test::same_engine(merged, whole, stream_to);
    }
  }
  // Commutativity: a ⊕ b == b ⊕ a.
  auto a = make_lifetimes_engine(days{45}), b = make_lifetimes_engine(days{45});
  for (const auto& x : events) (rng() % 2 == 0 ? a : b).add(x);
  auto ab = a, ba = b;
  ab.merge(b);
  ba.merge(a);
  same_lifetimes(ab, ba);
  same_lifetimes(ab, whole);
  // Time order and reversed time order equal the shuffled stream.
  std::stable_sort(events.begin(), events.end(), [](const auto& x, const auto& y) { return x.time < y.time; });
  auto sorted = make_lifetimes_engine(days{45});
  sorted.add(events);
  same_lifetimes(sorted, whole);
  std::reverse(events.begin(), events.end());
  auto reversed = make_lifetimes_engine(days{45});
  reversed.add(events);
  same_lifetimes(reversed, whole);
}

TEST_CASE("Lifetimes: save -> load keeps the parameters; mismatches and bad parameters are named errors") {
  const auto events = random_events(3'000, 250, 43);
  auto whole = make_lifetimes_engine(days{30}, hours{1});
  whole.add(events);
  const auto loaded = cxm::io::load_state<lifetimes_engine>(cxm::io::save_state(whole));
  CHECK(loaded == whole);
  CHECK(loaded.metric<cxm::customer_lifetimes>().threshold == days{30});
  CHECK(loaded.metric<cxm::customer_lifetimes>().unit == hours{1});
  same_lifetimes(loaded, whole);
  // Save -> load -> continue equals never stopping.
  auto first = make_lifetimes_engine(days{30}, hours{1});
  const std::size_t cut = events.size() / 3;
  for (std::size_t i = 0; i < cut; ++i) first.add(events[i]);
  auto resumed = cxm::io::load_state<lifetimes_engine>(cxm::io::save_state(first));
  for (std::size_t i = cut; i < events.size(); ++i) resumed.add(events[i]);
  CHECK(resumed == whole);
  same_lifetimes(resumed, whole);

  auto t90 = make_lifetimes_engine(days{90}), t30 = make_lifetimes_engine(days{30});
  CHECK_THROWS_WITH_AS(t90.merge(t30),
                       "metric 'lifetimes': cannot merge: parameter 'threshold' is 7776000000 ms here and 2592000000 ms there",
                       std::invalid_argument);
  auto d = make_lifetimes_engine(days{90}, days{1}), w = make_lifetimes_engine(days{90}, days{7});
  CHECK_THROWS_AS(d.merge(w), std::invalid_argument);

  CHECK_THROWS_WITH_AS((void)make_lifetimes_engine(milliseconds{-1}),
                       "metric 'lifetimes': threshold must be between 0 (off) and 73000 days, got -1 ms",
                       std::invalid_argument);
  CHECK_THROWS_AS((void)make_lifetimes_engine(days{73'001}), std::invalid_argument);
  CHECK_THROWS_WITH_AS((void)make_lifetimes_engine(days{90}, milliseconds{0}),
                       "metric 'lifetimes': unit must be between 1 ms and 73000 days, got 0 ms", std::invalid_argument);
  CHECK_THROWS_AS((void)make_lifetimes_engine(days{90}, days{73'001}), std::invalid_argument);
  CHECK_NOTHROW((void)make_lifetimes_engine(days{73'000}, milliseconds{1}));
  CHECK_THROWS_AS((void)make_metric(days{1}, milliseconds{0}).of({}, {}, stream_to), std::invalid_argument);
}

TEST_CASE("Lifetimes: a corrupted saved engine is refused with cxm::format_error") {
  auto e = make_lifetimes_engine();
  e.add(ev(1, sys_days{2026y / January / 3}, event_kind::signup));
  e.add(ev(1, sys_days{2026y / February / 3}, event_kind::cancel));
  const auto image = cxm::io::save_state(e);
  for (std::size_t n = 0; n < image.size(); n += 5) {
    CHECK_THROWS_AS((void)cxm::io::load_state<lifetimes_engine>(std::span(image).first(n)), cxm::format_error);
  }
  // The saved unit set to 0 ms (out of range): refused by configure on load, as a format_error. The unit
  // is the i64 after the "unit" parameter name and its one-byte type code, in the lifetimes frame.
  const auto corrupt = [&](std::int64_t value) {
    auto bad = image;
    const std::string id = std::string("\x09\0\0\0\0\0\0\0", 8) + "lifetimes";
    const auto match = [](std::byte b, char c) { return std::to_integer<char>(b) == c; };
    const auto at = std::search(bad.begin(), bad.end(), id.begin(), id.end(), match);
    REQUIRE(at != bad.end());
    const std::string name = "unit";
    const auto u = std::search(at, bad.end(), name.begin(), name.end(), match);
    REQUIRE(u != bad.end());
    const auto value_at = static_cast<std::size_t>(u - bad.begin()) + name.size() + 1;
    std::int64_t old = 0;
    for (std::size_t b = 0; b < 8; ++b) old |= std::to_integer<std::int64_t>(bad[value_at + b]) << (8 * b);
    REQUIRE(old == milliseconds{days{1}}.count());
    const auto v = static_cast<std::uint64_t>(value);
    for (std::size_t b = 0; b < 8; ++b) bad[value_at + b] = std::byte{static_cast<unsigned char>(v >> (8 * b))};
    const auto payload_end = bad.size() - cxm::io::state_trailer_size;
    const auto crc = cxm::io::crc32(std::span(bad).first(payload_end));
    for (std::size_t b = 0; b < 4; ++b) bad[payload_end + b] = std::byte{static_cast<unsigned char>(crc >> (8 * b))};
    return bad;
  };
  CHECK_THROWS_AS((void)cxm::io::load_state<lifetimes_engine>(corrupt(0)), cxm::format_error);
  CHECK_THROWS_AS((void)cxm::io::load_state<lifetimes_engine>(corrupt(-86'400'000)), cxm::format_error);
  // The same edit with a valid value loads, and reports in that unit (the test edits the right field).
  const auto hours_image = corrupt(milliseconds{hours{1}}.count());
  const auto loaded = cxm::io::load_state<lifetimes_engine>(hours_image);
  CHECK(loaded.metric<cxm::customer_lifetimes>().unit == hours{1});
  // January 3 → February 3 = 31 days = 744 hours.
  CHECK(loaded.report(sys_days{2026y / March / 1}).get<cxm::customer_lifetimes>().table.by_time().count(744.0) == 1);
}
