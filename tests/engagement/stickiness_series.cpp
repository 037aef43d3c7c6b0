// Stickiness series (engagement/stickiness_series.hpp): hand-worked months, a late event that moves
// ranks, an untracked event; a brute-force recomputation from raw random events (std::set of days per
// customer: distinct per day, per trailing 7 days, per month, active-days histogram) for streams in
// order, out of order within the horizon, and fully shuffled (against a brute force that applies the
// horizon rule itself); k-way splits by customer merged in random order = one pass; save -> load ->
// equal and -> continue; corrupted fields; all through cxm::engine composed next to the defaults.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <numeric>
#include <optional>
#include <random>
#include <set>
#include <vector>

#include <doctest/doctest.h>

#include "cxm/engagement/stickiness_series.hpp"
#include "cxm/io/state.hpp"
#include "cxm/stream/engine.hpp"
#include "cxm/stream/global_metrics.hpp"

namespace {

using namespace std::chrono;
using cxm::event_kind;
using cxm::timestamp;

using series_engine =
    cxm::engine<std::uint64_t,
                cxm::metric_list<cxm::nps_answers, cxm::csat_answers, cxm::ces_answers, cxm::active_customers,
                                 cxm::stickiness_series>>;

std::int64_t day_of(timestamp t) { return cxm::period_of(t, cxm::period_unit::day).index; }
cxm::event<> visit(std::uint64_t c, timestamp t) { return {c, t, event_kind::visit, 0.0}; }

std::vector<cxm::event<>> random_visits(std::mt19937_64& rng, std::size_t n, std::uint64_t customers, timestamp from,
                                        std::int64_t span_days) {
  std::vector<cxm::event<>> out;
  const auto span_ms = static_cast<std::uint64_t>(span_days) * 86'400'000u;
  for (std::size_t i = 0; i < n; ++i) {
    const auto k = (rng() % 3) == 0 ? event_kind::interaction : event_kind::visit;
    out.push_back({1 + rng() % customers, from + milliseconds{static_cast<std::int64_t>(rng() % span_ms)}, k, 0.0});
  }
  return out;
}

/// Arrival order with every event at most `max_delay_days` − 1 days late: sorted by time + a random
/// delay. An event then arrives after events at most that much later than itself.
std::vector<cxm::event<>> delayed(std::vector<cxm::event<>> events, std::mt19937_64& rng, std::int64_t max_delay_days) {
  std::vector<std::pair<timestamp, cxm::event<>>> keyed;
  for (const auto& e : events) {
    keyed.emplace_back(e.time + milliseconds{static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(max_delay_days * 86'400'000))}, e);
  }
  std::stable_sort(keyed.begin(), keyed.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<cxm::event<>> out;
  for (const auto& [k, e] : keyed) out.push_back(e);
  return out;
}

struct brute_result {
  cxm::stickiness_series_result series;
  std::map<std::uint64_t, std::uint32_t> untracked_by_customer;
};

/// The series from raw events in arrival order. The horizon rule is applied here independently: an
/// event on day d of a customer whose latest counted day is L is counted iff
/// min(first day of d's month, d − 6) >= max(L, d) − 63. Then, from the counted days per customer only,
/// every figure by its definition.
brute_result brute_series(const std::vector<cxm::event<>>& events, timestamp as_of) {
  std::map<std::uint64_t, std::set<std::int64_t>> days_of;
  std::map<std::int64_t, std::uint64_t> untracked_by_day;
  brute_result out{};
  for (const auto& e : events) {
    const auto d = day_of(e.time);
    auto& set = days_of[e.customer];
    if (!set.empty()) {
      const auto top = std::max(*set.rbegin(), d);
      const auto month_first = day_of(cxm::period_of(e.time, cxm::period_unit::month).start());
      if (std::min(month_first, d - 6) < top - 63) {
        ++untracked_by_day[d];
        ++out.untracked_by_customer[e.customer];
        continue;
      }
    }
    set.insert(d);
  }
  const auto today = day_of(as_of);
  // Months with data: an active day, a day whose trailing 7 days hold one, or an untracked event.
  std::set<std::int64_t> months;
  auto month_of_day = [](std::int64_t d) { return cxm::period_of(timestamp{days{d}}, cxm::period_unit::month).index; };
  for (const auto& [id, set] : days_of) {
    for (const auto d : set) {
      for (auto e = d; e <= d + 6; ++e) {
        if (e <= today) months.insert(month_of_day(e));
      }
    }
  }
  for (const auto& [d, n] : untracked_by_day) {
    if (d <= today) months.insert(month_of_day(d));
  }
  for (const auto mi : months) {
    const cxm::period m{cxm::period_unit::month, mi};
    const auto first = day_of(m.start()), last = std::min(day_of(m.next().start()) - 1, today);
    cxm::stickiness_month f{};
    f.month = m;
    f.days = static_cast<std::uint32_t>(last - first + 1);
    f.complete = last == day_of(m.next().start()) - 1;
    f.wau_days = f.days;
    f.by_active_days.assign(f.days, 0);
    std::uint64_t dau_sum = 0, wau_sum = 0, untracked = 0;
    for (auto d = first; d <= last; ++d) {
      std::uint64_t n = 0, w = 0;
      for (const auto& [id, set] : days_of) {
        if (set.count(d) != 0) ++n;
        const auto it = set.lower_bound(d - 6);
        if (it != set.end() && *it <= d) ++w;
      }
      f.daily.push_back(n);
      dau_sum += n;
      wau_sum += w;
      if (const auto u = untracked_by_day.find(d); u != untracked_by_day.end()) untracked += u->second;
    }
    for (const auto& [id, set] : days_of) {
      const auto k = std::count_if(set.begin(), set.end(), [&](std::int64_t d) { return d >= first && d <= last; });
      if (k > 0) {
        ++f.mau;
        ++f.by_active_days[static_cast<std::size_t>(k - 1)];
      }
    }
    f.dau = static_cast<double>(dau_sum) / static_cast<double>(f.days);
    f.wau = static_cast<double>(wau_sum) / static_cast<double>(f.days);
    if (f.mau > 0) {
      f.dau_mau = f.dau / static_cast<double>(f.mau);
      f.wau_mau = f.wau / static_cast<double>(f.mau);
    }
    out.series.months.push_back(f);
    if (untracked > 0) {
      out.series.untracked.push_back({m, untracked});
      out.series.untracked_events += untracked;
    }
  }
  return out;
}

series_engine run(const std::vector<cxm::event<>>& events) {
  series_engine e;
  for (const auto& x : events) e.add(x);
  return e;
}

using series_state = cxm::stickiness_series::state;
struct raw_day {
  std::int64_t day;
  std::uint64_t weekly, untracked;
  std::vector<std::uint64_t> ranks;
};
std::vector<std::byte> series_image(const std::vector<raw_day>& rows, std::optional<std::uint64_t> count = std::nullopt,
                                    std::optional<std::uint8_t> rank_count = std::nullopt) {
  cxm::io::writer w;
  w.u64(count.value_or(rows.size()));
  for (const auto& row : rows) {
    w.i64(row.day);
    w.u64(row.weekly);
    w.u64(row.untracked);
    w.u8(rank_count.value_or(static_cast<std::uint8_t>(row.ranks.size())));
    for (const auto x : row.ranks) w.u64(x);
  }
  return std::move(w).bytes();
}
series_state load_series(const std::vector<std::byte>& bytes) {
  cxm::io::reader r{bytes};
  auto s = series_state::load(r);
  r.expect_end("stickiness_series");
  return s;
}
std::vector<std::byte> days_image(std::uint64_t bits, std::uint16_t latest, std::uint32_t untracked) {
  cxm::io::writer w;
  w.u64(bits);
  w.u16(latest);
  w.u32(untracked);
  return std::move(w).bytes();
}
cxm::stickiness_days::state load_days(const std::vector<std::byte>& bytes) {
  cxm::io::reader r{bytes};
  auto s = cxm::stickiness_days{}.load(r, 1);
  r.expect_end("stickiness_days");
  return s;
}

}  // namespace

TEST_CASE("stickiness_series: composition, record size and the partition flag") {
  static_assert(std::is_same_v<series_engine::record_metric_list,
                               cxm::metric_list<cxm::spend, cxm::activity, cxm::satisfaction, cxm::stickiness_days>>);
  static_assert(series_engine::record_bytes == 96 + 16);  // u64 bitmap, u32 untracked, u16 latest, u8 transient
  static_assert(!series_engine::exact_under_any_merge);
  static_assert(cxm::engine<>::exact_under_any_merge);
}

TEST_CASE("stickiness_series: hand-worked January and February 2026, a late event, an untracked one") {
  series_engine e;
  const timestamp jan = sys_days{2026y / January / 1}, feb = sys_days{2026y / February / 1};
  // A: Jan 30, Feb 1, Feb 2 (twice). B: Feb 2.
  e.add(visit(1, jan + days{29}));
  e.add(visit(1, feb));
  e.add(visit(1, feb + days{1}));
  e.add(visit(1, feb + days{1} + hours{5}));  // the same day again: nothing new
  e.add(visit(2, feb + days{1}));
  const auto as_of = feb + days{2} + hours{12};  // Feb 3
  auto r = e.report(as_of).get<cxm::stickiness_series>();
  REQUIRE(r.months.size() == 2);
  const auto& j = r.months[0];
  CHECK(j.month == cxm::period_of(jan, cxm::period_unit::month));
  CHECK(j.days == 31);
  CHECK(j.complete);
  // January: A on Jan 30 only: DAU 1/31, MAU 1; trailing 7 days hold A on Jan 30 and 31: WAU 2/31.
  CHECK(j.mau == 1);
  CHECK(j.dau == 1.0 / 31.0);
  CHECK(j.wau == 2.0 / 31.0);
  CHECK(j.wau_days == 31);
  CHECK(j.by_active_days[0] == 1);
  const auto& f = r.months[1];
  CHECK(f.days == 3);
  CHECK_FALSE(f.complete);
  // February 1 .. 3: daily 1 (A), 2 (A, B), 0 → DAU 3/3 = 1; MAU 2 → DAU/MAU 0.5.
  CHECK(f.daily == std::vector<std::uint64_t>{1, 2, 0});
  CHECK(f.dau == 1.0);
  CHECK(f.mau == 2);
  CHECK(*f.dau_mau == 0.5);
  // Trailing 7 days: Feb 1: A (Jan 30, Feb 1); Feb 2: A, B; Feb 3: A, B → Σ 5: WAU 5/3, WAU/MAU 5/6.
  CHECK(f.wau == 5.0 / 3.0);
  CHECK(*f.wau_mau == doctest::Approx(5.0 / 6.0));
  // A on 2 days, B on 1.
  CHECK(f.by_active_days == std::vector<std::uint64_t>{1, 1, 0});
  CHECK(r.untracked_events == 0);

  // A late visit of A on Jan 29 (within the horizon): Jan 30 becomes A's 2nd day of January.
  e.add(visit(1, jan + days{28}));
  r = e.report(as_of).get<cxm::stickiness_series>();
  const auto& j2 = r.months[0];
  // January: daily Jan 29 = Jan 30 = 1 → DAU 2/31; MAU 1; A on 2 days; trailing windows Jan 29 .. 31: WAU 3/31.
  CHECK(j2.dau == 2.0 / 31.0);
  CHECK(j2.mau == 1);
  CHECK(j2.by_active_days[0] == 0);
  CHECK(j2.by_active_days[1] == 1);
  CHECK(j2.wau == 3.0 / 31.0);
  CHECK(r.months[1] == f);  // February unchanged: A was already in each of its windows

  // As of Feb 1: February covers 1 day; only A, on 1 day (B's Feb 2 is after as_of's day).
  const auto early = e.report(feb + hours{3}).get<cxm::stickiness_series>();
  REQUIRE(early.months.size() == 2);
  CHECK(early.months[1].days == 1);
  CHECK(early.months[1].mau == 1);
  CHECK(early.months[1].by_active_days == std::vector<std::uint64_t>{1});

  // C: April 10, then February 5: February's first day is 68 days before April 10, past the 64 kept:
  // not counted, reported in February's untracked events and in C's state.
  e.add(visit(3, sys_days{2026y / April / 10}));
  e.add(visit(3, feb + days{4}));
  const auto late = e.report(sys_days{2026y / April / 30}).get<cxm::stickiness_series>();
  CHECK(late.untracked_events == 1);
  REQUIRE(late.untracked.size() == 1);
  CHECK(late.untracked[0] == cxm::untracked_month{cxm::period_of(feb, cxm::period_unit::month), 1});
  CHECK(late.months[1].mau == 2);  // February: A and B, not C
  CHECK(e.customer(3u)->state<cxm::stickiness_days>().untracked == 1);
  CHECK(e.customer(3u)->result<cxm::stickiness_days>(sys_days{2026y / April / 1}).includes_later_events);
  // April: C on April 10 → MAU 1, 30 days, complete.
  CHECK(late.months.back().month == cxm::period_of(sys_days{2026y / April / 1}, cxm::period_unit::month));
  CHECK(late.months.back().complete);
  CHECK(late.months.back().mau == 1);
}

TEST_CASE("stickiness_series: random events = brute force, in order, late within the horizon, shuffled") {
  std::mt19937_64 rng(1414);
  const timestamp from = sys_days{2030y / January / 20};
  auto events = random_visits(rng, 3000, 200, from, 150);
  auto sorted = events;
  std::stable_sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.time < b.time; });
  const auto late = delayed(sorted, rng, 30);  // at most 30 days behind the customer's latest: always counted
  auto shuffled = sorted;
  std::shuffle(shuffled.begin(), shuffled.end(), rng);
  const auto in_order = run(sorted), within = run(late), random_order = run(shuffled);
  const std::vector<timestamp> as_ofs{from + days{10}, sys_days{2030y / March / 31} + hours{23}, sys_days{2030y / April / 17},
                                      sys_days{2030y / June / 19}, sys_days{2031y / January / 1}};
  for (const auto as_of : as_ofs) {
    CAPTURE(as_of.time_since_epoch().count());
    const auto expected = brute_series(sorted, as_of).series;
    const auto got = in_order.report(as_of).get<cxm::stickiness_series>();
    CHECK(got == expected);
    CHECK(got.untracked_events == 0);
    CHECK(within.report(as_of).get<cxm::stickiness_series>() == got);  // late within the horizon = in order
    CHECK(random_order.report(as_of).get<cxm::stickiness_series>() == brute_series(shuffled, as_of).series);
  }
  CHECK(within.global<cxm::stickiness_series>() == in_order.global<cxm::stickiness_series>());
  const auto shuffled_report = random_order.report(as_ofs.back()).get<cxm::stickiness_series>();
  CHECK(shuffled_report.untracked_events > 0);  // the horizon is exercised
  // Per customer: the bitmaps agree between in-order and late-within-horizon arrival; untracked
  // events of the shuffled stream are those of the brute force.
  const auto brute_shuffled = brute_series(shuffled, as_ofs.back());
  std::size_t differ = 0;
  in_order.for_each_customer([&](std::uint64_t id, const auto& view) {
    if (!(within.customer(id)->template state<cxm::stickiness_days>() == view.template state<cxm::stickiness_days>())) ++differ;
    const auto it = brute_shuffled.untracked_by_customer.find(id);
    const auto expected = it == brute_shuffled.untracked_by_customer.end() ? 0u : it->second;
    if (random_order.customer(id)->template state<cxm::stickiness_days>().untracked != expected) ++differ;
  });
  CHECK(differ == 0);
}

TEST_CASE("stickiness_series: k-way split by customer merged in random order = one pass; save -> load (-> continue)") {
  std::mt19937_64 rng(20260214);
  const timestamp from = sys_days{2029y / November / 3};
  auto events = delayed(random_visits(rng, 2500, 150, from, 120), rng, 20);
  const auto whole = run(events);
  const std::vector<timestamp> as_ofs{sys_days{2029y / December / 24}, sys_days{2030y / February / 28}, sys_days{2030y / May / 1}};
  for (std::size_t k : {2u, 3u, 5u, 8u}) {
    CAPTURE(k);
    std::vector<series_engine> parts(k);
    for (const auto& x : events) parts[x.customer % k].add(x);
    std::vector<std::size_t> order(k);
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::shuffle(order.begin(), order.end(), rng);
    series_engine merged;
    for (const auto i : order) merged.merge(parts[i]);
    CHECK(merged.global<cxm::stickiness_series>() == whole.global<cxm::stickiness_series>());
    for (const auto as_of : as_ofs) {
      const auto rep = merged.report(as_of);
      CHECK(rep.customers_merged_from_both_sides == 0);
      CHECK(rep.get<cxm::stickiness_series>() == whole.report(as_of).get<cxm::stickiness_series>());
    }
  }
  // A customer on both sides is counted by the engine (the series is then not exact).
  series_engine a, b;
  a.add(visit(7, from));
  b.add(visit(7, from + days{1}));
  a.merge(b);
  CHECK(a.report(from + days{2}).customers_merged_from_both_sides == 1);
  // The global state's merge is commutative.
  series_engine left, right;
  for (std::size_t i = 0; i < events.size(); ++i) (events[i].customer % 2 == 0 ? left : right).add(events[i]);
  auto lr = left.global<cxm::stickiness_series>(), rl = right.global<cxm::stickiness_series>();
  lr.merge(right.global<cxm::stickiness_series>());
  rl.merge(left.global<cxm::stickiness_series>());
  CHECK(lr == rl);
  CHECK(lr == whole.global<cxm::stickiness_series>());
  // save -> load -> equal.
  const auto loaded = cxm::io::load_state<series_engine>(cxm::io::save_state(whole));
  CHECK(loaded.global<cxm::stickiness_series>() == whole.global<cxm::stickiness_series>());
  for (const auto as_of : as_ofs) CHECK(loaded.report(as_of).get<cxm::stickiness_series>() == whole.report(as_of).get<cxm::stickiness_series>());
  std::size_t differ = 0;
  whole.for_each_customer([&](std::uint64_t id, const auto& view) {
    if (!(loaded.customer(id)->template state<cxm::stickiness_days>() == view.template state<cxm::stickiness_days>())) ++differ;
  });
  CHECK(differ == 0);
  // save -> load -> continue = one pass.
  series_engine half;
  for (std::size_t i = 0; i < 1200; ++i) half.add(events[i]);
  auto resumed = cxm::io::load_state<series_engine>(cxm::io::save_state(half));
  for (std::size_t i = 1200; i < events.size(); ++i) resumed.add(events[i]);
  CHECK(resumed.global<cxm::stickiness_series>() == whole.global<cxm::stickiness_series>());
  // Every truncation of the saved engine is a format error.
  const auto image = cxm::io::save_state(run(std::vector<cxm::event<>>(events.begin(), events.begin() + 40)));
  for (std::size_t n = 0; n < image.size(); n += 7) {
    CHECK_THROWS_AS((void)cxm::io::load_state<series_engine>(std::span(image).first(n)), cxm::format_error);
  }
}

TEST_CASE("stickiness_series and stickiness_days: corrupted fields are format errors") {
  // Day 20454 = 2026-01-01 (day 1 of its month), 20455 = Jan 2.
  const std::int64_t jan1 = day_of(sys_days{2026y / January / 1});
  REQUIRE(jan1 == 20454);
  const auto good = load_series(series_image({{jan1, 1, 0, {1}}, {jan1 + 1, 2, 0, {1, 1}}, {jan1 + 2, 2, 3, {}}}));
  CHECK(good.by_day.size() == 3);
  CHECK(good.by_day.at(jan1 + 1).ranks[1] == 1);
  CHECK(load_series(series_image({})) == series_state{});
  auto refused = [&](std::vector<std::byte> image, const char* message) {
    CHECK_THROWS_WITH_AS((void)load_series(image), message, cxm::format_error);
  };
  refused(series_image({{jan1 + 1, 1, 0, {1}}, {jan1, 1, 0, {1}}}), "stickiness_series: day indices are not ascending");
  refused(series_image({{-1, 1, 0, {1}}}), "stickiness_series: day index -1 is outside the representable range");
  refused(series_image({{49'717, 1, 0, {}}}), "stickiness_series: day index 49717 is outside the representable range");
  refused(series_image({{jan1, 0, 0, {}}}), "stickiness_series: a day without data");
  refused(series_image({{jan1, 2, 0, {1, 1}}}), "stickiness_series: day 20454 is day 1 of its month but has 2 rank counts");
  refused(series_image({{jan1 + 1, 5, 0, {1, 0}}}), "stickiness_series: the last rank count is 0");
  refused(series_image({{jan1, 1, 0, {2}}}), "stickiness_series: fewer weekly than daily actives on day 20454");
  refused(series_image({{jan1 + 1, 1, 0, {0, 1}}}),
          "stickiness_series: by day 20455, more customers with 2 active days of the month than with 1");
  refused(series_image({{49'712, 1, 0, {1}}}), "stickiness_series: active customers on day 49712, past the representable range");
  refused(series_image({{jan1 + 31, 1, 0, std::vector<std::uint64_t>(32, 1)}}), "stickiness_series: 32 rank counts, at most 31");
  CHECK_THROWS_AS((void)load_series(series_image({{jan1, 1, 0, {1}}}, 3)), cxm::format_error);  // count past the bytes
  const auto image = series_image({{jan1, 1, 0, {1}}, {jan1 + 1, 2, 1, {1, 1}}});
  for (std::size_t n = 0; n < image.size(); ++n) {
    const std::vector<std::byte> cut(image.begin(), image.begin() + static_cast<std::ptrdiff_t>(n));
    CHECK_THROWS_AS((void)load_series(cut), cxm::format_error);
  }
  // stickiness_days: its state round-trips without the transient field; bad fields are refused.
  cxm::stickiness_days::state s{0b1011, 2, 100, cxm::stickiness_days::outcome::new_day};
  cxm::io::writer w;
  cxm::stickiness_days{}.save(s, w);
  const auto back = load_days(std::move(w).bytes());
  CHECK(back == s);
  CHECK(back.last_event == cxm::stickiness_days::outcome::none);
  auto days_refused = [&](std::vector<std::byte> bytes, const char* message) {
    CHECK_THROWS_WITH_AS((void)load_days(bytes), message, cxm::format_error);
  };
  days_refused(days_image(0, 5, 0), "stickiness_days: a latest day without any activity");
  days_refused(days_image(0, 0, 2), "stickiness_days: untracked events without any activity");
  days_refused(days_image(0b10, 100, 0), "stickiness_days: the latest day is not marked active");
  days_refused(days_image(1, 60'000, 0), "stickiness_days: latest day 60000 is past the representable range");
  days_refused(days_image(0b100001, 4, 0), "stickiness_days: a day before 1970-01-01 is marked active");
}
