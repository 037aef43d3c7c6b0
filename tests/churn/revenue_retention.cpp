// Revenue retention from the stream (churn/revenue_retention.hpp): revenue_periods (per customer) and
// revenue_retention_series (global) composed into cxm::engine next to the defaults. Hand-worked months
// (the pure function's example, through the engine), a late purchase, an untracked one; a brute-force
// recomputation from raw random purchases (revenue per customer and period, then the pure function per
// period, the horizon rule applied independently); late within the horizon = in order; k-way splits
// by customer merged in random order = one pass; save -> load -> equal and -> continue; corrupted
// fields; parameter mismatches.

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <map>
#include <numeric>
#include <optional>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "cxm/churn/churn_rate.hpp"  // includes revenue_retention.hpp: the old include keeps working
#include "cxm/io/state.hpp"
#include "cxm/stream/engine.hpp"
#include "cxm/stream/global_metrics.hpp"

namespace {

using namespace std::chrono;
using cxm::event_kind;
using cxm::timestamp;

using rev_engine =
    cxm::engine<std::uint64_t,
                cxm::metric_list<cxm::nps_answers, cxm::csat_answers, cxm::ces_answers, cxm::active_customers,
                                 cxm::revenue_retention_series>>;
using series6 = cxm::basic_revenue_retention_series<cxm::period_unit::month, 6>;
using rev_engine6 =
    cxm::engine<std::uint64_t,
                cxm::metric_list<cxm::nps_answers, cxm::csat_answers, cxm::ces_answers, cxm::active_customers, series6>>;

cxm::event<> buy(std::uint64_t c, timestamp t, double amount) { return {c, t, event_kind::purchase, amount}; }
std::int64_t month_of(timestamp t) { return cxm::period_of(t, cxm::period_unit::month).index; }

rev_engine run(const std::vector<cxm::event<>>& events) {
  rev_engine e;
  for (const auto& x : events) e.add(x);
  return e;
}

std::vector<cxm::event<>> random_purchases(std::mt19937_64& rng, std::size_t n, std::uint64_t customers, timestamp from,
                                           std::int64_t span_days) {
  std::vector<cxm::event<>> out;
  const auto span_ms = static_cast<std::uint64_t>(span_days) * 86'400'000u;
  for (std::size_t i = 0; i < n; ++i) {
    const auto t = from + milliseconds{static_cast<std::int64_t>(rng() % span_ms)};
    const auto c = 1 + rng() % customers;
    if (rng() % 5 == 0) {
      out.push_back({c, t, event_kind::visit, 0.0});
    } else {
      out.push_back(buy(c, t, rng() % 10 == 0 ? 0.0 : static_cast<double>(rng() % 50'000) / 100.0));
    }
  }
  return out;
}

std::vector<cxm::event<>> delayed(const std::vector<cxm::event<>>& events, std::mt19937_64& rng, std::int64_t max_delay_days) {
  std::vector<std::pair<timestamp, cxm::event<>>> keyed;
  for (const auto& e : events) {
    keyed.emplace_back(e.time + milliseconds{static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(max_delay_days * 86'400'000))}, e);
  }
  std::stable_sort(keyed.begin(), keyed.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<cxm::event<>> out;
  for (const auto& [k, e] : keyed) out.push_back(e);
  return out;
}

/// The series from raw events in arrival order with N = 4 periods kept: a purchase (amount > 0) in
/// month p of a customer whose latest counted month is L is counted iff p − 1 >= max(L, p) − 3. Then, per
/// period p, revenue_retention over every customer's (rev(p − 1), rev(p)).
cxm::revenue_retention_series_result brute_series(const std::vector<cxm::event<>>& events, timestamp as_of) {
  std::map<std::uint64_t, std::map<std::int64_t, double>> revenue;
  std::map<std::int64_t, std::pair<std::uint64_t, double>> untracked;
  for (const auto& e : events) {
    if (e.kind != event_kind::purchase || !(e.value > 0.0)) continue;
    const auto p = month_of(e.time);
    auto& mine = revenue[e.customer];
    if (!mine.empty() && p - 1 < std::max(mine.rbegin()->first, p) - 3) {
      ++untracked[p].first;
      untracked[p].second += e.value;
      continue;
    }
    mine[p] += e.value;
  }
  std::set<std::int64_t> periods;
  for (const auto& [c, by] : revenue) {
    for (const auto& [p, x] : by) {
      periods.insert(p);
      periods.insert(p + 1);
    }
  }
  for (const auto& [p, u] : untracked) periods.insert(p);
  cxm::revenue_retention_series_result r{cxm::period_unit::month, {}, 0, 0.0};
  const auto now = month_of(as_of);
  for (const auto p : periods) {
    if (p > now) break;
    std::vector<cxm::revenue_pair> pairs;
    for (const auto& customer : revenue) {  // not a structured binding: clang 14 cannot capture one in a lambda
      const auto& by = customer.second;
      const auto at = [&](std::int64_t q) { const auto it = by.find(q); return it == by.end() ? 0.0 : it->second; };
      pairs.push_back({at(p - 1), at(p)});
    }
    const auto u = untracked.count(p) != 0 ? untracked.at(p) : std::pair<std::uint64_t, double>{0, 0.0};
    r.periods.push_back({cxm::period{cxm::period_unit::month, p}, cxm::revenue_retention(pairs), p != now, u.first, u.second});
    r.untracked_events += u.first;
    r.untracked_revenue += u.second;
  }
  return r;
}

bool near(double a, double b, double scale) { return std::abs(a - b) <= 1e-12 * std::max({std::abs(a), std::abs(b), scale, 1e-300}); }
bool near(const std::optional<double>& a, const std::optional<double>& b) {
  return a.has_value() == b.has_value() && (!a || near(*a, *b, 1.0));
}

/// Counts exactly, sums to 1e-12 of the period's starting revenue (the derived sums carry its rounding).
void same_series(const cxm::revenue_retention_series_result& a, const cxm::revenue_retention_series_result& b) {
  CHECK(a.unit == b.unit);
  CHECK(a.untracked_events == b.untracked_events);
  CHECK(near(a.untracked_revenue, b.untracked_revenue, 1.0));
  REQUIRE(a.periods.size() == b.periods.size());
  for (std::size_t i = 0; i < a.periods.size(); ++i) {
    const auto& x = a.periods[i];
    const auto& y = b.periods[i];
    CAPTURE(x.when.index);
    CHECK(x.when == y.when);
    CHECK(x.complete == y.complete);
    CHECK(x.untracked_events == y.untracked_events);
    CHECK(near(x.untracked_revenue, y.untracked_revenue, 1.0));
    const auto& f = x.figures;
    const auto& g = y.figures;
    CHECK(f.customers == g.customers);
    CHECK(f.new_customers == g.new_customers);
    const double scale = std::max(f.starting_revenue, g.starting_revenue);
    CHECK(near(f.starting_revenue, g.starting_revenue, scale));
    CHECK(near(f.retained_revenue, g.retained_revenue, scale));
    CHECK(near(f.ending_revenue, g.ending_revenue, scale));
    CHECK(near(f.churned_revenue, g.churned_revenue, scale));
    CHECK(near(f.contraction_revenue, g.contraction_revenue, scale));
    CHECK(near(f.expansion_revenue, g.expansion_revenue, scale));
    CHECK(near(f.gross_retention, g.gross_retention));
    CHECK(near(f.net_retention, g.net_retention));
  }
}

template <class State>
State load_global(const std::vector<std::byte>& bytes) {
  cxm::io::reader r{bytes};
  auto s = State::load(r);
  r.expect_end("revenue_retention_series");
  return s;
}
using series_state = cxm::revenue_retention_series::state;
struct raw_row {
  std::int64_t p;
  std::uint64_t customers, continuing, new_customers, untracked;
  double starting, base, retained, ending, untracked_revenue;
};
std::vector<std::byte> rows_image(const std::vector<raw_row>& rows) {
  cxm::io::writer w;
  w.u64(rows.size());
  for (const auto& x : rows) {
    w.i64(x.p);
    w.u64(x.customers);
    w.u64(x.continuing);
    w.u64(x.new_customers);
    w.u64(x.untracked);
    for (const double v : {x.starting, x.base, x.retained, x.ending, x.untracked_revenue}) {
      w.f64(v);
      w.f64(0.0);
    }
  }
  return std::move(w).bytes();
}
cxm::revenue_periods::state load_ring(const std::vector<double>& slots, std::uint32_t latest, std::uint32_t untracked) {
  cxm::io::writer w;
  for (const double x : slots) w.f64(x);
  w.u32(latest);
  w.u32(untracked);
  const auto bytes = std::move(w).bytes();
  cxm::io::reader r{bytes};
  auto s = cxm::revenue_periods{}.load(r, 1);
  r.expect_end("revenue_periods");
  return s;
}

}  // namespace

TEST_CASE("revenue_retention_series: composition and record size") {
  static_assert(std::is_same_v<rev_engine::record_metric_list,
                               cxm::metric_list<cxm::spend, cxm::activity, cxm::satisfaction, cxm::revenue_periods>>);
  static_assert(sizeof(cxm::revenue_periods::state) == 8 * 4 + 16);  // 4 doubles, latest, untracked, transient
  static_assert(rev_engine::record_bytes == 96 + 48);
  static_assert(!rev_engine::exact_under_any_merge);
}

TEST_CASE("revenue_retention_series: hand-worked months = the pure function; a late purchase; an untracked one") {
  rev_engine e;
  const timestamp jan = sys_days{2026y / January / 10}, feb = sys_days{2026y / February / 10}, mar = sys_days{2026y / March / 10};
  // January: A 100, B 200, C 50, E 30. February: A 70 + 50, B 150, D 80 (new), E 30. March: nothing.
  e.add(buy(1, jan, 100));
  e.add(buy(2, jan, 200));
  e.add(buy(3, jan, 50));
  e.add(buy(5, jan, 30));
  e.add(buy(1, feb, 70));
  e.add(buy(1, feb + days{3}, 50));
  e.add(buy(2, feb, 150));
  e.add(buy(4, feb, 80));
  e.add(buy(5, feb, 30));
  e.add(buy(5, feb, 0));  // a purchase of 0 is not revenue
  auto r = e.report(feb + days{5}).get<cxm::revenue_retention_series>();
  REQUIRE(r.periods.size() == 2);
  // January: no base (December had no revenue); 4 new customers.
  CHECK(r.periods[0].when == cxm::period_of(jan, cxm::period_unit::month));
  CHECK(r.periods[0].complete);
  CHECK(r.periods[0].figures.customers == 0);
  CHECK(r.periods[0].figures.new_customers == 4);
  CHECK_FALSE(r.periods[0].figures.net_retention);
  // February, base A, B, C, E: start 380; retained min: 100 + 150 + 0 + 30 = 280; ending 120 + 150 + 0 + 30 = 300;
  // churned 50 (C), contraction 50 (B), expansion 20 (A); D new. GRR 280/380, NRR 300/380.
  const auto expected = cxm::revenue_retention(std::vector<cxm::revenue_pair>{{100, 120}, {200, 150}, {50, 0}, {0, 80}, {30, 30}});
  CHECK(r.periods[1].figures == expected);
  CHECK_FALSE(r.periods[1].complete);
  CHECK(*r.periods[1].figures.gross_retention == 280.0 / 380.0);
  CHECK(*r.periods[1].figures.net_retention == 300.0 / 380.0);
  // As of March: March's base is February's payers A, B, D, E (120 + 150 + 80 + 30 = 380), all churned.
  r = e.report(mar).get<cxm::revenue_retention_series>();
  REQUIRE(r.periods.size() == 3);
  const auto& m = r.periods[2].figures;
  CHECK(m.customers == 4);
  CHECK(m.starting_revenue == 380.0);
  CHECK(m.churned_revenue == 380.0);
  CHECK(*m.gross_retention == 0.0);
  CHECK(*m.net_retention == 0.0);
  CHECK(r.periods[1].complete);

  // A late February purchase of C (10) after March: C is no longer churned in February; it contracted
  // 50 → 10, and C joins March's base. February: retained 290, ending 310, churned 0, contraction 90.
  e.add(buy(6, mar, 5));
  e.add(buy(3, feb + days{1}, 10));
  r = e.report(mar).get<cxm::revenue_retention_series>();
  CHECK(r.periods[1].figures ==
        cxm::revenue_retention(std::vector<cxm::revenue_pair>{{100, 120}, {200, 150}, {50, 10}, {0, 80}, {30, 30}}));
  CHECK(r.periods[1].figures.churned_revenue == 0.0);
  CHECK(r.periods[2].figures.customers == 5);
  CHECK(r.periods[2].figures.new_customers == 1);  // F in March
  CHECK(r.untracked_events == 0);

  // Untracked: A buys in June, then a January purchase arrives: January − 1 = December is before
  // June − 3 = March, past the 4 months kept. Counted in January's untracked figures, not in revenue.
  e.add(buy(1, sys_days{2026y / June / 2}, 40));
  e.add(buy(1, jan + days{1}, 25));
  r = e.report(sys_days{2026y / June / 30}).get<cxm::revenue_retention_series>();
  CHECK(r.untracked_events == 1);
  CHECK(r.untracked_revenue == 25.0);
  CHECK(r.periods[0].untracked_events == 1);
  CHECK(r.periods[0].untracked_revenue == 25.0);
  CHECK(r.periods[1].figures.starting_revenue == 380.0);  // January's revenue unchanged
  CHECK(e.customer(1u)->state<cxm::revenue_periods>().untracked == 1);
  const auto view = e.customer(1u)->result<cxm::revenue_periods>(sys_days{2026y / June / 30});
  CHECK(view.revenue == std::vector<double>{0, 0, 0, 40});  // March .. June
  CHECK(view.latest == cxm::period_of(sys_days{2026y / June / 2}, cxm::period_unit::month));
}

TEST_CASE("revenue_retention_series: random purchases = brute force; late within the horizon = in order; shuffled") {
  std::mt19937_64 rng(14);
  const timestamp from = sys_days{2031y / March / 5};
  auto sorted = random_purchases(rng, 4000, 150, from, 300);
  std::stable_sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.time < b.time; });
  const auto late = delayed(sorted, rng, 28);  // at most one month behind: within Periods − 2 = 2
  auto shuffled = sorted;
  std::shuffle(shuffled.begin(), shuffled.end(), rng);
  const auto in_order = run(sorted), within = run(late), random_order = run(shuffled);
  const std::vector<timestamp> as_ofs{from + days{20}, sys_days{2031y / July / 31}, sys_days{2031y / October / 2},
                                      sys_days{2032y / June / 1}};
  for (const auto as_of : as_ofs) {
    CAPTURE(as_of.time_since_epoch().count());
    const auto got = in_order.report(as_of).get<cxm::revenue_retention_series>();
    same_series(got, brute_series(sorted, as_of));
    CHECK(got.untracked_events == 0);
    same_series(within.report(as_of).get<cxm::revenue_retention_series>(), got);
    same_series(random_order.report(as_of).get<cxm::revenue_retention_series>(), brute_series(shuffled, as_of));
  }
  CHECK(random_order.report(as_ofs.back()).get<cxm::revenue_retention_series>().untracked_events > 0);
}

TEST_CASE("revenue_retention_series: k-way split by customer in random order = one pass; save -> load (-> continue)") {
  std::mt19937_64 rng(2026);
  const timestamp from = sys_days{2030y / September / 1};
  const auto events = delayed(random_purchases(rng, 3000, 120, from, 240), rng, 25);
  const auto whole = run(events);
  const std::vector<timestamp> as_ofs{sys_days{2030y / December / 31}, sys_days{2031y / May / 15}, sys_days{2031y / December / 1}};
  for (std::size_t k : {2u, 4u, 7u}) {
    CAPTURE(k);
    std::vector<rev_engine> parts(k);
    for (const auto& x : events) parts[x.customer % k].add(x);
    std::vector<std::size_t> order(k);
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::shuffle(order.begin(), order.end(), rng);
    rev_engine merged;
    for (const auto i : order) merged.merge(parts[i]);
    for (const auto as_of : as_ofs) {
      const auto rep = merged.report(as_of);
      CHECK(rep.customers_merged_from_both_sides == 0);
      same_series(rep.get<cxm::revenue_retention_series>(), whole.report(as_of).get<cxm::revenue_retention_series>());
    }
  }
  // save -> load -> equal, exactly; save -> load -> continue = one pass, exactly.
  const auto loaded = cxm::io::load_state<rev_engine>(cxm::io::save_state(whole));
  CHECK(loaded.global<cxm::revenue_retention_series>() == whole.global<cxm::revenue_retention_series>());
  for (const auto as_of : as_ofs) CHECK(loaded.report(as_of).get<cxm::revenue_retention_series>() == whole.report(as_of).get<cxm::revenue_retention_series>());
  rev_engine half;
  for (std::size_t i = 0; i < 1400; ++i) half.add(events[i]);
  auto resumed = cxm::io::load_state<rev_engine>(cxm::io::save_state(half));
  for (std::size_t i = 1400; i < events.size(); ++i) resumed.add(events[i]);
  CHECK(resumed.global<cxm::revenue_retention_series>() == whole.global<cxm::revenue_retention_series>());
  std::size_t differ = 0;
  whole.for_each_customer([&](std::uint64_t id, const auto& view) {
    if (!(resumed.customer(id)->template state<cxm::revenue_periods>() == view.template state<cxm::revenue_periods>())) ++differ;
  });
  CHECK(differ == 0);
}

TEST_CASE("revenue_retention_series: corrupted fields are format errors; parameters are checked") {
  const auto good = load_global<series_state>(rows_image({{672, 0, 0, 2, 0, 0, 0, 0, 0, 0}, {673, 2, 1, 0, 1, 30, 10, 5, 7, 4}}));
  CHECK(good.by_period.size() == 2);
  auto refused = [&](const std::vector<raw_row>& rows, const char* message) {
    CHECK_THROWS_WITH_AS((void)load_global<series_state>(rows_image(rows)), message, cxm::format_error);
  };
  refused({{673, 1, 0, 0, 0, 5, 0, 0, 0, 0}, {672, 1, 0, 0, 0, 5, 0, 0, 0, 0}},
          "revenue_retention_series: period indices are not ascending");
  refused({{-1, 1, 0, 0, 0, 5, 0, 0, 0, 0}}, "revenue_retention_series: period index -1 is outside the representable range");
  refused({{1700, 1, 0, 0, 0, 5, 0, 0, 0, 0}}, "revenue_retention_series: period index 1700 is outside the representable range");
  refused({{672, 1, 2, 0, 0, 5, 1, 1, 1, 0}}, "revenue_retention_series: period 672: more continuing customers than customers");
  refused({{672, 1, 0, 0, 0, 0, 0, 0, 0, 0}}, "revenue_retention_series: period 672: customers and starting revenue disagree");
  refused({{672, 1, 1, 0, 0, 5, 5, 0, 3, 0}}, "revenue_retention_series: period 672: continuing customers and their revenue disagree");
  refused({{672, 0, 0, 1, 2, 0, 0, 0, 0, 0}}, "revenue_retention_series: period 672: untracked purchases and revenue disagree");
  refused({{672, 0, 0, 0, 0, 0, 0, 0, 0, 0}}, "revenue_retention_series: period 672: a period without data");
  refused({{672, 1, 0, 0, 0, -5, 0, 0, 0, 0}}, "revenue_retention_series: starting revenue must be finite and >= 0");
  const auto image = rows_image({{673, 2, 1, 0, 1, 30, 10, 5, 7, 4}});
  for (std::size_t n = 0; n < image.size(); ++n) {
    const std::vector<std::byte> cut(image.begin(), image.begin() + static_cast<std::ptrdiff_t>(n));
    CHECK_THROWS_AS((void)load_global<series_state>(cut), cxm::format_error);
  }
  // revenue_periods (4 slots, slot = period % 4): valid, and each kind of fault.
  CHECK(load_ring({0, 0, 0, 0}, 0, 0) == cxm::revenue_periods::state{});
  CHECK(load_ring({1, 0, 0, 2}, 675, 1).in(675) == 2.0);  // 675 % 4 = 3; 672 holds 1
  auto ring_refused = [&](const std::vector<double>& slots, std::uint32_t latest, std::uint32_t untracked, const char* message) {
    CHECK_THROWS_WITH_AS((void)load_ring(slots, latest, untracked), message, cxm::format_error);
  };
  ring_refused({0, 1, 0, 0}, 0, 0, "revenue_periods: revenue without any in the latest period");
  ring_refused({0, 0, 0, 0}, 5, 0, "revenue_periods: a latest period without any revenue");
  ring_refused({0, 0, 0, 0}, 0, 3, "revenue_periods: untracked purchases without any revenue");
  ring_refused({1, 0, 0, 0}, 2000, 0, "revenue_periods: latest period 2000 is past the representable range");
  ring_refused({0, 1, 0, 1}, 1, 0, "revenue_periods: revenue before 1970");  // slot 3 would be period −1
  ring_refused({-1, 0, 0, 0}, 0, 0, "revenue_periods: revenue is negative (-1.000000)");
  // Parameters: fixed by the type, compared at merge, refused at construction, checked at load.
  cxm::revenue_retention_series a, b;
  b.periods = 5;
  CHECK_THROWS_WITH_AS(cxm::check_same_parameters(a, b),
                       "metric 'revenue_retention_series': cannot merge: parameter 'periods' is 4 here and 5 there",
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(b.configure(cxm::kind_registry{}),
                       "metric 'revenue_retention_series': parameter 'periods' is 5, this type keeps 4", std::invalid_argument);
  cxm::revenue_periods ring;
  ring.unit = cxm::period_unit::day;
  CHECK_THROWS_WITH_AS(ring.configure(cxm::kind_registry{}), "metric 'revenue_periods': parameter 'unit' is 0, this type counts per month",
                       std::invalid_argument);
  CHECK(cxm::parameter_list(a) == std::vector<std::pair<std::string, std::string>>{{"unit", "2"}, {"periods", "4"}});
  // A state saved with 6 periods does not load into an engine keeping 4.
  rev_engine6 six;
  six.add(buy(1, sys_days{2026y / January / 3}, 10));
  const auto saved = cxm::io::save_state(six);
  try {
    (void)cxm::io::load_state<rev_engine>(saved);
    FAIL("loaded a state of another composition");
  } catch (const cxm::format_error& err) {
    const std::string what = err.what();
    CAPTURE(what);
    CHECK(what.find("revenue_retention_series") != std::string::npos);
    CHECK(what.find("periods") != std::string::npos);
  }
}
