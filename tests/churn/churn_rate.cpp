// Churn rates (include/cxm/churn/churn_rate.hpp): cancellation (per-customer), contractual_churn and
// inactivity_churn (report-time), composed into cxm::engine next to the defaults; the rate conversions
// and revenue retention. Hand-worked values, a brute-force recomputation from the raw events, any
// arrival order, k-way splits merged in any order, save/load, and bad input.

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <numeric>
#include <optional>
#include <random>
#include <stdexcept>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include <doctest/doctest.h>

#include "churn/raw_facts.hpp"
#include "cxm/churn/churn_rate.hpp"
#include "cxm/io/state.hpp"
#include "cxm/stream/engine.hpp"
#include "stream/stream_support.hpp"

namespace {

using namespace std::chrono;
using cxm::event_kind;
using cxm::timestamp;

using churn_engine =
    cxm::engine<std::uint64_t,
                cxm::metric_list<cxm::nps_answers, cxm::csat_answers, cxm::ces_answers, cxm::active_customers,
                                 cxm::contractual_churn, cxm::inactivity_churn>,
                cxm::metric_list<cxm::spend, cxm::activity, cxm::satisfaction, cxm::cancellation>>;

churn_engine make_churn_engine(cxm::period_unit unit = cxm::period_unit::month,
                               milliseconds threshold = days{90},
                               cxm::period_unit inactivity_unit = cxm::period_unit::month) {
  cxm::contractual_churn cc;
  cc.unit = unit;
  cxm::inactivity_churn ic;
  ic.threshold = threshold;
  ic.unit = inactivity_unit;
  return churn_engine({},
                      cxm::metric_list{cxm::nps_answers{}, cxm::csat_answers{}, cxm::ces_answers{},
                                       cxm::active_customers{}, cc, ic},
                      cxm::metric_list{cxm::spend{}, cxm::activity{}, cxm::satisfaction{}, cxm::cancellation{}});
}

cxm::event<> ev(std::uint64_t customer, timestamp t, event_kind kind, double value = 0.0) {
  return {customer, t, kind, value};
}

// --- brute force from the raw events ---------------------------------------------------------------

using cxm::test::raw_customer;
using cxm::test::raw_facts;

std::optional<double> ratio(std::uint64_t a, std::uint64_t b) {
  if (b == 0) return std::nullopt;
  return static_cast<double>(a) / static_cast<double>(b);
}

/// A series by definition, period by period and customer by customer (O(periods × customers)):
/// `joined(c)` whether c is included, `lost_by(c, t)` whether c is lost at or before instant t.
template <class Customers, class Included, class LostBy>
std::vector<cxm::churn_period> brute_series(const Customers& cs, cxm::period_unit unit, timestamp as_of,
                                            Included included, LostBy lost_by) {
  std::vector<cxm::churn_period> out;
  std::optional<timestamp> earliest;
  for (const auto& [id, c] : cs) {
    if (included(c) && (!earliest || c.first < *earliest)) earliest = c.first;
  }
  if (!earliest) return out;
  const auto to = cxm::period_of(as_of, unit);
  for (auto p = cxm::period_of(*earliest, unit); p <= to; p = p.next()) {
    const auto s = p.start(), e = p.end();
    const auto before = s - milliseconds{1};
    const auto until = std::min(e - milliseconds{1}, as_of);
    cxm::churn_period row{};
    row.when = p;
    for (const auto& [id, c] : cs) {
      if (!included(c)) continue;
      const bool at_start = c.first < s && !lost_by(c, before);
      const bool lost_in = c.first < e && !lost_by(c, before) && lost_by(c, until);
      row.active_at_start += at_start ? 1u : 0u;
      row.joined += (c.first >= s && c.first < e) ? 1u : 0u;
      row.lost += lost_in ? 1u : 0u;
      row.lost_from_start += (at_start && lost_in) ? 1u : 0u;
    }
    row.active_at_end = row.active_at_start + row.joined - row.lost;
    row.rate = ratio(row.lost_from_start, row.active_at_start);
    row.joiner_inclusive_rate = ratio(row.lost, row.active_at_start + row.joined);
    row.current = p == to;
    out.push_back(row);
  }
  return out;
}

cxm::contractual_churn_result brute_contractual(const std::map<std::uint64_t, raw_customer>& cs,
                                                cxm::period_unit unit, timestamp as_of) {
  auto included = [&](const raw_customer& c) { return c.first <= as_of; };
  auto lost_by = [&](const raw_customer& c, timestamp t) {
    return c.first_cancel && *c.first_cancel <= as_of && *c.first_cancel <= t;
  };
  cxm::contractual_churn_result r{unit, 0, 0, 0, {}};
  for (const auto& [id, c] : cs) {
    if (!included(c)) continue;
    ++r.customers;
    if (lost_by(c, as_of)) ++r.cancelled;
  }
  r.remaining = r.customers - r.cancelled;
  r.periods = brute_series(cs, unit, as_of, included, lost_by);
  return r;
}

cxm::inactivity_churn_result brute_inactivity(const std::map<std::uint64_t, raw_customer>& cs,
                                              milliseconds threshold, cxm::period_unit unit, timestamp as_of) {
  const timestamp as_of_second = floor<seconds>(as_of);
  auto included = [&](const raw_customer& c) { return c.first <= as_of && c.last <= as_of_second; };
  // Churned at instant t: more than `threshold` since the last activity (and t within as_of).
  auto lost_by = [&](const raw_customer& c, timestamp t) { return t <= as_of && t - c.last > threshold; };
  cxm::inactivity_churn_result r{threshold, unit, 0, 0, 0, std::nullopt, 0, {}};
  for (const auto& [id, c] : cs) {
    if (c.first > as_of) continue;
    if (!included(c)) {
      ++r.excluded_later_events;
      continue;
    }
    ++r.customers;
    if (lost_by(c, as_of)) ++r.churned;
  }
  r.remaining = r.customers - r.churned;
  r.rate = ratio(r.churned, r.customers);
  r.periods = brute_series(cs, unit, as_of, included, lost_by);
  return r;
}

using cxm::test::random_events;
using cxm::test::report_times;
using cxm::test::stream_from;
using cxm::test::stream_to;

/// Every churn figure and every customer's cancellation state of two engines, exactly.
void same_churn(const churn_engine& a, const churn_engine& b) {
  for (const auto t : report_times()) {
    CAPTURE(t.time_since_epoch().count());
    const auto ra = a.report(t), rb = b.report(t);
    CHECK(ra.get<cxm::contractual_churn>() == rb.get<cxm::contractual_churn>());
    CHECK(ra.get<cxm::inactivity_churn>() == rb.get<cxm::inactivity_churn>());
  }
  CHECK(a.customers().size() == b.customers().size());
  std::size_t differ = 0;
  for (const auto& [id, mine] : a.customers()) {
    const auto* theirs = b.find(id);
    if (theirs == nullptr || !(mine.template get<cxm::cancellation>() == theirs->template get<cxm::cancellation>())) {
      ++differ;
    }
  }
  CHECK(differ == 0);
}

}  // namespace

// --- cancellation ----------------------------------------------------------------------------------

TEST_CASE("Churn: cancellation keeps the first and last cancel, in any order, and reports as of a time") {
  static_assert(cxm::customer_metric<cxm::cancellation>);
  static_assert(std::is_same_v<churn_engine::record_metric_list,
                               cxm::metric_list<cxm::spend, cxm::activity, cxm::satisfaction, cxm::cancellation>>);
  static_assert(churn_engine::record_bytes == 96 + 8);  // the default record plus two u32
  const timestamp mar = sys_days{2026y / March / 3}, jun = sys_days{2026y / June / 9};
  auto e = make_churn_engine();
  // Customer 1 cancels in June, comes back, and earlier (arriving later) cancels in March.
  e.add(ev(1, sys_days{2026y / January / 5}, event_kind::signup));
  e.add(ev(1, jun + milliseconds{700}, event_kind::cancel));  // kept to the second
  e.add(ev(1, mar, event_kind::cancel));
  e.add(ev(2, mar, event_kind::visit));
  const auto r = e.customer(1u)->result<cxm::cancellation>(jun + days{1});
  CHECK(r.first_cancel == mar);
  CHECK(r.last_cancel == jun);
  CHECK_FALSE(r.includes_later_events);
  // As of April: the March cancel counts, the June one is later.
  const auto april = e.customer(1u)->result<cxm::cancellation>(sys_days{2026y / April / 1});
  CHECK(april.first_cancel == mar);
  CHECK(april.includes_later_events);
  // As of February: no cancel yet. Customer 2 never cancelled.
  CHECK(e.customer(1u)->result<cxm::cancellation>(sys_days{2026y / February / 1}) == cxm::cancellation_result{});
  CHECK(e.customer(2u)->result<cxm::cancellation>(jun) == cxm::cancellation_result{});
  CHECK(e.customer(1u)->state<cxm::cancellation>().first == cxm::to_seconds32(mar));
}

TEST_CASE("Churn: cancellation merges exactly (min and max) and loads only consistent states") {
  const cxm::cancellation m;
  using st = cxm::cancellation::state;
  st a{100, 200}, b{50, 150}, never{};
  auto ab = a, ba = b;
  m.merge(ab, b);
  m.merge(ba, a);
  CHECK(ab == st{50, 200});
  CHECK(ab == ba);
  auto an = a;
  m.merge(an, never);  // the empty state is the identity
  CHECK(an == a);
  CHECK_FALSE(never.cancelled());

  auto round_trip = [&](const st& s) {
    cxm::io::writer w;
    m.save(s, w);
    CHECK(w.size() == 8);
    cxm::io::reader r{w.bytes()};
    const auto back = m.load(r, 1);
    CHECK(r.remaining() == 0);
    return back;
  };
  CHECK(round_trip(a) == a);
  CHECK(round_trip(never) == never);
  CHECK(round_trip(st{0xFFFFFFFFu, 0xFFFFFFFFu}) == st{0xFFFFFFFFu, 0xFFFFFFFFu});  // one cancel at the last second

  auto load_raw = [&](std::uint32_t first, std::uint32_t last_cancel) {  // not `last`: std::chrono::last
    cxm::io::writer w;
    w.u32(first);
    w.u32(last_cancel);
    cxm::io::reader r{w.bytes()};
    return m.load(r, 1);
  };
  CHECK_THROWS_WITH_AS(load_raw(300, 200), "cancellation: first cancel 300 s is after the last 200 s", cxm::format_error);
  CHECK_THROWS_AS(load_raw(0xFFFFFFFFu, 5), cxm::format_error);  // "never" with a last cancel
  // Every truncation is refused.
  cxm::io::writer w;
  m.save(a, w);
  for (std::size_t n = 0; n < w.size(); ++n) {
    cxm::io::reader r{std::span(w.bytes()).first(n)};
    CHECK_THROWS_AS((void)m.load(r, 1), cxm::format_error);
  }
}

// --- contractual churn -----------------------------------------------------------------------------

TEST_CASE("Churn: contractual churn, hand-worked: 100 at the start, 5 cancel, 10 join -> 5 %, inclusive 5/110") {
  auto e = make_churn_engine();
  const timestamp jan = sys_days{2026y / January / 1}, feb = sys_days{2026y / February / 1},
                  mar = sys_days{2026y / March / 1};
  // January: customers 1..102 join; 101 and 102 cancel in January.
  for (std::uint64_t c = 1; c <= 102; ++c) e.add(ev(c, jan + hours{c}, event_kind::signup));
  e.add(ev(101, jan + days{20}, event_kind::cancel));
  e.add(ev(102, jan + days{21}, event_kind::cancel));
  // February: customers 1..5 cancel (customer 1 exactly at the first instant of February: during it);
  // customer 5 cancels again in March (a second cancel: not counted again); 201..210 join.
  e.add(ev(1, feb, event_kind::cancel));
  for (std::uint64_t c = 2; c <= 5; ++c) e.add(ev(c, feb + days{c}, event_kind::cancel));
  e.add(ev(5, feb + days{10}, event_kind::visit));
  e.add(ev(5, mar + days{2}, event_kind::cancel));
  for (std::uint64_t c = 201; c <= 210; ++c) e.add(ev(c, feb + days{3} + hours{c}, event_kind::purchase, 10.0));
  // Customer 6 cancels on February 25, after the report below (as of February 20).
  e.add(ev(6, feb + days{24}, event_kind::cancel));

  const auto r = e.report(feb + days{19}).get<cxm::contractual_churn>();
  CHECK(r.unit == cxm::period_unit::month);
  CHECK(r.customers == 112);  // 102 + 10
  CHECK(r.cancelled == 7);    // 101, 102, 1..5 (6 is after as_of)
  CHECK(r.remaining == 105);
  REQUIRE(r.periods.size() == 2);
  const auto& j = r.periods[0];
  CHECK(j.when == cxm::period{cxm::period_unit::month, 672});  // (2026 − 1970)·12 = 672: January 2026
  // January: nobody at the start; 102 join, 2 of them cancel: rate undefined, inclusive 2/102.
  CHECK(j.active_at_start == 0);
  CHECK(j.joined == 102);
  CHECK(j.lost == 2);
  CHECK(j.lost_from_start == 0);
  CHECK(j.active_at_end == 100);
  CHECK_FALSE(j.rate.has_value());
  CHECK(j.joiner_inclusive_rate == 2.0 / 102.0);
  CHECK_FALSE(j.current);
  const auto& f = r.periods[1];
  // February: 100 at the start (102 − 2), 5 of them cancel, 10 join: 5/100 = 5 %; inclusive 5/110.
  CHECK(f.active_at_start == 100);
  CHECK(f.joined == 10);
  CHECK(f.lost_from_start == 5);
  CHECK(f.lost == 5);
  CHECK(f.active_at_end == 105);
  CHECK(f.rate == 0.05);
  CHECK(f.joiner_inclusive_rate == 5.0 / 110.0);
  CHECK(f.current);

  // As of March 10: February now also holds customer 6 (6/100) and is complete; March starts with
  // 104, and customer 5's second cancel is not a new loss.
  const auto later = e.report(mar + days{9}).get<cxm::contractual_churn>();
  REQUIRE(later.periods.size() == 3);
  CHECK(later.periods[1].lost_from_start == 6);
  CHECK(later.periods[1].rate == 0.06);
  CHECK_FALSE(later.periods[1].current);
  CHECK(later.periods[2].active_at_start == 104);
  CHECK(later.periods[2].lost == 0);
  CHECK(later.periods[2].rate == 0.0);
  CHECK(later.periods[2].current);

  // A joiner who cancels in the month they joined counts in the inclusive variant only.
  e.add(ev(300, mar + days{1}, event_kind::signup));
  e.add(ev(300, mar + days{3}, event_kind::cancel));
  const auto m = e.report(mar + days{9}).get<cxm::contractual_churn>().periods[2];
  CHECK(m.joined == 1);
  CHECK(m.lost == 1);
  CHECK(m.lost_from_start == 0);
  CHECK(m.rate == 0.0);                        // 0 / 104
  CHECK(m.joiner_inclusive_rate == 1.0 / 105.0);  // 1 / (104 + 1)

}

namespace {
/// A minimal report context (the protocol of docs/guide/custom-metrics.md): reaches report times the
/// engine refuses (before its first event, after 2106) and an empty table.
struct fake_view {
  cxm::activity::state a;
  cxm::cancellation::state c;
  template <class M>
  const auto& get() const {
    if constexpr (std::is_same_v<M, cxm::activity>) {
      return a;
    } else {
      return c;
    }
  }
};
struct fake_report {
  timestamp t;
  std::vector<fake_view> rows;
  [[nodiscard]] timestamp as_of() const { return t; }
  template <class F>
  void for_each_customer(F f) const {
    for (const auto& v : rows) f(v);
  }
};
}  // namespace

TEST_CASE("Churn: empty tables, reports before every event and after 2106") {
  const cxm::contractual_churn cc;
  const cxm::inactivity_churn ic;
  const timestamp t = sys_days{2026y / May / 5};
  // No customers: no periods, no rate.
  CHECK(cc.result(fake_report{t, {}}).periods.empty());
  CHECK(cc.result(fake_report{t, {}}).customers == 0);
  CHECK_FALSE(ic.result(fake_report{t, {}}).rate.has_value());
  CHECK(ic.result(fake_report{t, {}}).periods.empty());
  // One customer seen on May 5 and cancelled on May 6, reported before May 5: nobody yet.
  fake_view v;
  v.a.first_seen = v.a.last_seen = cxm::to_seconds32(t);
  v.a.rare[1] = 1;  // one cancel (kind 8)
  v.c.first = v.c.last = cxm::to_seconds32(t + days{1});
  CHECK(cc.result(fake_report{t - days{1}, {v}}).customers == 0);
  CHECK(ic.result(fake_report{t - days{1}, {v}}).customers == 0);
  // Far beyond 2106 the contractual series stops at the period of latest_time, none marked current;
  // the inactivity series at the period of latest_time + threshold.
  const timestamp far = cxm::latest_time + days{4000};
  const auto c = cc.result(fake_report{far, {v}});
  REQUIRE_FALSE(c.periods.empty());
  CHECK(c.periods.front().when == cxm::period_of(t, cxm::period_unit::month));
  CHECK(c.periods.back().when == cxm::period_of(cxm::latest_time, cxm::period_unit::month));
  CHECK_FALSE(c.periods.back().current);
  CHECK(c.cancelled == 1);
  CHECK(c.periods[0].lost == 1);  // joined and cancelled in May 2026
  const auto i = ic.result(fake_report{far, {v}});
  CHECK(i.periods.back().when ==
        cxm::period_of(cxm::latest_time + days{90} + milliseconds{1}, cxm::period_unit::month));
  CHECK_FALSE(i.periods.back().current);
  CHECK(i.churned == 1);
  CHECK(i.periods[3].lost == 1);  // May 5 + 90 days + 1 ms = August 3 (26 + 30 + 31 + 3 days) → August 2026
  CHECK(i.periods[3].when == cxm::period_of(t + days{90}, cxm::period_unit::month));
}

// --- inactivity churn ------------------------------------------------------------------------------

TEST_CASE("Churn: inactivity churn, hand-worked, with as_of handled honestly") {
  auto e = make_churn_engine(cxm::period_unit::month, days{90});
  const timestamp as_of = sys_days{2026y / June / 30};
  const timestamp jan = sys_days{2026y / January / 10};
  e.add(ev(1, jan, event_kind::visit));
  e.add(ev(1, sys_days{2026y / March / 1}, event_kind::visit));  // last: 121 days before as_of → churned
  e.add(ev(2, jan, event_kind::visit));
  e.add(ev(2, sys_days{2026y / May / 1}, event_kind::visit));  // 60 days → active
  e.add(ev(3, sys_days{2026y / July / 5}, event_kind::visit));   // first activity after as_of: left out
  e.add(ev(4, jan, event_kind::visit));
  e.add(ev(4, sys_days{2026y / July / 10}, event_kind::visit));  // activity after as_of: excluded, counted
  e.add(ev(5, jan, event_kind::visit));
  e.add(ev(5, as_of - days{90}, event_kind::visit));  // exactly 90 days: not more than → active
  e.add(ev(6, jan, event_kind::visit));
  e.add(ev(6, as_of - days{90} - seconds{1}, event_kind::visit));  // 90 days + 1 s → churned

  const auto r = e.report(as_of).get<cxm::inactivity_churn>();
  CHECK(r.threshold == days{90});
  CHECK(r.customers == 4);  // 1, 2, 5, 6
  CHECK(r.churned == 2);    // 1, 6
  CHECK(r.remaining == 2);
  CHECK(r.rate == 0.5);
  CHECK(r.excluded_later_events == 1);  // 4
  // Series (month): all four join in January. Customer 1 churns at March 1 + 90 days + 1 ms = May 30
  // → May; customer 6 at June 30 − 1 s + 1 ms → June (the current month).
  REQUIRE(r.periods.size() == 6);  // January .. June 2026
  CHECK(r.periods[0].joined == 4);
  CHECK(r.periods[0].active_at_start == 0);
  for (std::size_t i = 1; i <= 3; ++i) CHECK(r.periods[i].lost == 0);  // February .. April
  CHECK(r.periods[4].active_at_start == 4);
  CHECK(r.periods[4].lost_from_start == 1);
  CHECK(r.periods[4].rate == 0.25);  // 1 / 4
  CHECK(r.periods[5].active_at_start == 3);
  CHECK(r.periods[5].lost_from_start == 1);
  CHECK(r.periods[5].rate == 1.0 / 3.0);
  CHECK(r.periods[5].active_at_end == 2);
  CHECK(r.periods[5].current);

  // One second later customer 5 is churned too (90 days and 1 s).
  CHECK(e.report(as_of + seconds{1}).get<cxm::inactivity_churn>().churned == 3);
  // Reported at the present (after every event) nobody is excluded: 3 (July 5) and 4 (July 10) active.
  const auto now = e.report(sys_days{2026y / July / 31}).get<cxm::inactivity_churn>();
  CHECK(now.excluded_later_events == 0);
  CHECK(now.customers == 6);
  CHECK(now.churned == 4);  // 1, 5, 6, and 2 (May 1 → July 31 = 91 days)
}

TEST_CASE("Churn: figures equal a brute-force recomputation from the raw events") {
  const auto events = random_events(6'000, 500, 11);
  const auto facts = raw_facts(events);
  for (const auto unit : {cxm::period_unit::month, cxm::period_unit::iso_week, cxm::period_unit::day}) {
    for (const auto threshold : {milliseconds{days{30}}, milliseconds{days{90}}, milliseconds{hours{36}}}) {
      CAPTURE(static_cast<int>(unit));
      CAPTURE(threshold.count());
      auto e = make_churn_engine(unit, threshold, unit);
      e.add(events);
      for (const auto t : report_times()) {
        CAPTURE(t.time_since_epoch().count());
        const auto r = e.report(t);
        CHECK(r.get<cxm::contractual_churn>() == brute_contractual(facts, unit, t));
        CHECK(r.get<cxm::inactivity_churn>() == brute_inactivity(facts, threshold, unit, t));
      }
    }
  }
  // The stream really exercises every branch: cancels before and after the mid-stream report, and
  // customers excluded for later events.
  const auto mid = report_times()[1];
  const auto r = brute_inactivity(facts, days{30}, cxm::period_unit::month, mid);
  CHECK(r.excluded_later_events > 0);
  CHECK(r.churned > 0);
  const auto c = brute_contractual(facts, cxm::period_unit::month, mid);
  CHECK(c.cancelled > 0);
  CHECK(c.cancelled < brute_contractual(facts, cxm::period_unit::month, stream_to).cancelled);
}

TEST_CASE("Churn: out-of-order arrival equals time order") {
  auto events = random_events(5'000, 400, 23);  // shuffled
  auto shuffled = make_churn_engine(cxm::period_unit::iso_week, days{45});
  shuffled.add(events);
  std::stable_sort(events.begin(), events.end(), [](const auto& a, const auto& b) { return a.time < b.time; });
  auto sorted = make_churn_engine(cxm::period_unit::iso_week, days{45});
  sorted.add(events);
  same_churn(shuffled, sorted);
  std::reverse(events.begin(), events.end());
  auto reversed = make_churn_engine(cxm::period_unit::iso_week, days{45});
  reversed.add(events);
  same_churn(reversed, sorted);
}

TEST_CASE("Churn: k-way splits merged in any order equal one pass") {
  const auto events = random_events(8'000, 600, 31);
  auto whole = make_churn_engine();
  whole.add(events);
  std::mt19937_64 rng(5);
  for (std::size_t k : {1u, 2u, 3u, 7u, 16u}) {
    CAPTURE(k);
    // Split by customer, and split every event at random (customers in several parts: cancellation
    // and activity merge exactly either way).
    for (const bool by_customer : {true, false}) {
      CAPTURE(by_customer);
      std::vector<churn_engine> parts(k, make_churn_engine());
      for (const auto& x : events) parts[by_customer ? x.customer % k : rng() % k].add(x);
      std::vector<std::size_t> order(k);
      std::iota(order.begin(), order.end(), std::size_t{0});
      std::shuffle(order.begin(), order.end(), rng);
      auto merged = make_churn_engine();
      for (const auto i : order) merged.merge(parts[i]);
      same_churn(merged, whole);
      cxm::test::same_engine(merged, whole, stream_to);
    }
  }
  // Commutativity: a ⊕ b == b ⊕ a.
  auto a = make_churn_engine(), b = make_churn_engine();
  for (const auto& x : events) (rng() % 2 == 0 ? a : b).add(x);
  auto ab = a, ba = b;
  ab.merge(b);
  ba.merge(a);
  same_churn(ab, ba);
  same_churn(ab, whole);
}

TEST_CASE("Churn: save -> load -> equal and -> continue; parameters saved, compared and validated") {
  auto events = random_events(4'000, 300, 41);
  auto whole = make_churn_engine(cxm::period_unit::quarter, days{30}, cxm::period_unit::iso_week);
  whole.add(events);
  const auto loaded = cxm::io::load_state<churn_engine>(cxm::io::save_state(whole));
  CHECK(loaded == whole);
  CHECK(loaded.metric<cxm::contractual_churn>().unit == cxm::period_unit::quarter);
  CHECK(loaded.metric<cxm::inactivity_churn>().threshold == days{30});
  CHECK(loaded.metric<cxm::inactivity_churn>().unit == cxm::period_unit::iso_week);
  same_churn(loaded, whole);

  auto first = make_churn_engine(cxm::period_unit::quarter, days{30}, cxm::period_unit::iso_week);
  const std::size_t cut = events.size() / 3;
  for (std::size_t i = 0; i < cut; ++i) first.add(events[i]);
  auto resumed = cxm::io::load_state<churn_engine>(cxm::io::save_state(first));
  for (std::size_t i = cut; i < events.size(); ++i) resumed.add(events[i]);
  CHECK(resumed == whole);
  same_churn(resumed, whole);

  // Mismatched parameters do not merge.
  auto m = make_churn_engine(cxm::period_unit::month), w = make_churn_engine(cxm::period_unit::iso_week);
  CHECK_THROWS_WITH_AS(m.merge(w), "metric 'contractual_churn': cannot merge: parameter 'unit' is 2 here and 1 there",
                       std::invalid_argument);
  auto t90 = make_churn_engine(cxm::period_unit::month, days{90}), t30 = make_churn_engine(cxm::period_unit::month, days{30});
  CHECK_THROWS_AS(t90.merge(t30), std::invalid_argument);
  // Invalid parameters are refused when the engine is built.
  CHECK_THROWS_WITH_AS((void)make_churn_engine(static_cast<cxm::period_unit>(9)),
                       "metric 'contractual_churn': unit must be day, iso_week, month, quarter or year, got 9",
                       std::invalid_argument);
  CHECK_THROWS_AS((void)make_churn_engine(cxm::period_unit::month, milliseconds{0}), std::invalid_argument);
  CHECK_THROWS_AS((void)make_churn_engine(cxm::period_unit::month, days{-1}), std::invalid_argument);
  CHECK_THROWS_AS((void)make_churn_engine(cxm::period_unit::month, days{73'001}), std::invalid_argument);
  CHECK_THROWS_AS((void)make_churn_engine(cxm::period_unit::month, days{90}, static_cast<cxm::period_unit>(5)),
                  std::invalid_argument);
  CHECK_NOTHROW((void)make_churn_engine(cxm::period_unit::month, days{73'000}));
}

TEST_CASE("Churn: a corrupted saved engine is refused with cxm::format_error") {
  auto e = make_churn_engine();
  e.add(ev(1, sys_days{2026y / January / 3}, event_kind::signup));
  e.add(ev(1, sys_days{2026y / February / 3}, event_kind::cancel));
  const auto image = cxm::io::save_state(e);
  // Every truncation of the image is refused.
  for (std::size_t n = 0; n < image.size(); n += 7) {
    CHECK_THROWS_AS((void)cxm::io::load_state<churn_engine>(std::span(image).first(n)), cxm::format_error);
  }
  // A saved unit outside the enumeration: the loader's configure refuses it, by name. The unit is the
  // u8 right after the "unit" parameter name in contractual_churn's frame (found by its id).
  auto bad = image;
  const std::string id = std::string("\x11\0\0\0\0\0\0\0", 8) + "contractual_churn";
  const auto at = std::search(bad.begin(), bad.end(), id.begin(), id.end(),
                              [](std::byte b, char c) { return std::to_integer<char>(b) == c; });
  REQUIRE(at != bad.end());
  const std::string unit_name = "unit";
  const auto u = std::search(at, bad.end(), unit_name.begin(), unit_name.end(),
                             [](std::byte b, char c) { return std::to_integer<char>(b) == c; });
  REQUIRE(u != bad.end());
  // After the name: a one-byte type code, then the value (an enum: its underlying u8).
  auto value_at = static_cast<std::size_t>(u - bad.begin()) + unit_name.size() + 1;
  REQUIRE(std::to_integer<int>(bad[value_at]) == 2);  // month
  bad[value_at] = std::byte{9};
  const auto payload_end = bad.size() - cxm::io::state_trailer_size;
  const auto crc = cxm::io::crc32(std::span(bad).first(payload_end));
  for (std::size_t b = 0; b < 4; ++b) bad[payload_end + b] = std::byte{static_cast<unsigned char>(crc >> (8 * b))};
  CHECK_THROWS_AS((void)cxm::io::load_state<churn_engine>(bad), cxm::format_error);
}

// --- conversions and revenue retention -------------------------------------------------------------

TEST_CASE("Churn: monthly <-> annual conversion") {
  // 0.95² = 0.9025, 0.95⁴ = 0.81450625, 0.95⁸ = 0.6634204312890625, 0.95¹² = 0.95⁸·0.95⁴
  // = 0.540360087662636962890625 → annual = 0.459639912337363037109375.
  CHECK(cxm::annual_churn_from_monthly(0.05) == doctest::Approx(0.459639912337363).epsilon(1e-14));
  CHECK(cxm::monthly_churn_from_annual(0.459639912337363037109375) == doctest::Approx(0.05).epsilon(1e-14));
  CHECK(cxm::annual_churn_from_monthly(0.0) == 0.0);
  CHECK(cxm::annual_churn_from_monthly(1.0) == 1.0);
  CHECK(cxm::monthly_churn_from_annual(1.0) == 1.0);
  CHECK(cxm::monthly_churn_from_annual(0.0) == 0.0);
  // Tiny rates keep their precision: 1 − (1 − 1e-12)^12 ≈ 12e-12.
  CHECK(cxm::annual_churn_from_monthly(1e-12) == doctest::Approx(12e-12).epsilon(1e-9));
  // Round trips and an independent computation with pow.
  for (double m = 0.0; m <= 1.0; m += 0.0625) {
    CHECK(cxm::annual_churn_from_monthly(m) == doctest::Approx(1.0 - std::pow(1.0 - m, 12)).epsilon(1e-13));
    CHECK(cxm::monthly_churn_from_annual(cxm::annual_churn_from_monthly(m)) == doctest::Approx(m).epsilon(1e-12));
  }
  CHECK(cxm::compound_churn(0.1, 2.0) == doctest::Approx(0.19).epsilon(1e-15));  // 1 − 0.9² = 0.19
  CHECK(cxm::compound_churn(1.0, 0.0) == 0.0);
  CHECK_THROWS_WITH_AS(cxm::annual_churn_from_monthly(-0.01),
                       "annual_churn_from_monthly: monthly must be between 0 and 1, got -0.010000", std::invalid_argument);
  CHECK_THROWS_AS(cxm::annual_churn_from_monthly(1.5), std::invalid_argument);
  CHECK_THROWS_AS(cxm::annual_churn_from_monthly(std::numeric_limits<double>::quiet_NaN()), std::invalid_argument);
  CHECK_THROWS_AS(cxm::monthly_churn_from_annual(2.0), std::invalid_argument);
  CHECK_THROWS_AS(cxm::compound_churn(0.1, -1.0), std::invalid_argument);
  CHECK_THROWS_AS(cxm::compound_churn(0.1, std::numeric_limits<double>::infinity()), std::invalid_argument);
}

TEST_CASE("Churn: gross and net revenue retention, hand-worked and brute force") {
  const std::vector<cxm::revenue_pair> pairs{{100, 120}, {200, 150}, {50, 0}, {0, 80}, {30, 30}, {0, 0}};
  const auto r = cxm::revenue_retention(pairs);
  // Base: previous > 0 → 100, 200, 50, 30 (4 customers), start 380; the (0, 80) customer is new.
  CHECK(r.customers == 4);
  CHECK(r.new_customers == 1);
  CHECK(r.starting_revenue == 380.0);
  CHECK(r.retained_revenue == 280.0);     // min: 100 + 150 + 0 + 30
  CHECK(r.ending_revenue == 300.0);       // 120 + 150 + 0 + 30
  CHECK(r.churned_revenue == 50.0);
  CHECK(r.contraction_revenue == 50.0);   // 200 − 150
  CHECK(r.expansion_revenue == 20.0);     // 120 − 100
  CHECK(r.gross_retention == 280.0 / 380.0);  // ≈ 0.7368
  CHECK(r.net_retention == 300.0 / 380.0);    // ≈ 0.7895
  // Identities: retained = start − churned − contraction; ending = retained + expansion.
  CHECK(r.retained_revenue == r.starting_revenue - r.churned_revenue - r.contraction_revenue);
  CHECK(r.ending_revenue == r.retained_revenue + r.expansion_revenue);

  // Without a base, no ratio.
  const auto none = cxm::revenue_retention(std::vector<cxm::revenue_pair>{{0, 10}});
  CHECK_FALSE(none.gross_retention.has_value());
  CHECK_FALSE(none.net_retention.has_value());
  CHECK(cxm::revenue_retention(std::vector<cxm::revenue_pair>{}).customers == 0);

  // Random pairs: against a plain loop, and in any order.
  std::mt19937_64 rng(3);
  std::vector<cxm::revenue_pair> many;
  for (int i = 0; i < 2'000; ++i) {
    const auto draw = [&] { return rng() % 4 == 0 ? 0.0 : static_cast<double>(rng() % 100'000) / 100.0; };
    many.push_back({draw(), draw()});
  }
  long double start = 0, kept = 0, end = 0;
  for (const auto& p : many) {
    if (p.previous <= 0) continue;
    start += p.previous;
    kept += std::min(p.previous, p.current);
    end += p.current;
  }
  const auto a = cxm::revenue_retention(many);
  CHECK(*a.gross_retention == doctest::Approx(static_cast<double>(kept / start)).epsilon(1e-12));
  CHECK(*a.net_retention == doctest::Approx(static_cast<double>(end / start)).epsilon(1e-12));
  std::shuffle(many.begin(), many.end(), rng);
  const auto b = cxm::revenue_retention(many);
  CHECK(*b.gross_retention == doctest::Approx(*a.gross_retention).epsilon(1e-15));
  CHECK(*b.net_retention == doctest::Approx(*a.net_retention).epsilon(1e-15));

  // Bad input names the pair and the field.
  CHECK_THROWS_WITH_AS((void)cxm::revenue_retention(std::vector<cxm::revenue_pair>{{1, 2}, {-1, 2}}),
                       "revenue_retention: pair 1: previous revenue must be finite and >= 0, got -1.000000",
                       std::invalid_argument);
  CHECK_THROWS_AS((void)cxm::revenue_retention(std::vector<cxm::revenue_pair>{{1, std::numeric_limits<double>::quiet_NaN()}}),
                  std::invalid_argument);
  CHECK_THROWS_AS((void)cxm::revenue_retention(std::vector<cxm::revenue_pair>{{std::numeric_limits<double>::infinity(), 1}}),
                  std::invalid_argument);
}
