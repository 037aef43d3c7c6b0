// Advocacy (engagement/advocacy.hpp): hand-worked referral and loyalty figures, a brute-force
// recomputation from raw random events, k-way merges in random order = one pass, commutativity,
// save -> load (-> continue), corrupted per-period states, the unit parameter, all through cxm::engine
// composed next to the defaults.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <numeric>
#include <optional>
#include <random>
#include <stdexcept>
#include <vector>

#include <doctest/doctest.h>

#include "cxm/engagement/advocacy.hpp"
#include "cxm/io/state.hpp"
#include "cxm/stream/engine.hpp"
#include "cxm/stream/global_metrics.hpp"

namespace {

using namespace std::chrono;
using cxm::event_kind;
using cxm::timestamp;

using weekly_advocacy = cxm::basic_advocacy_per_period<cxm::period_unit::iso_week>;
using adv_engine =
    cxm::engine<std::uint64_t,
                cxm::metric_list<cxm::nps_answers, cxm::csat_answers, cxm::ces_answers, cxm::active_customers,
                                 cxm::advocacy, cxm::advocacy_per_period, weekly_advocacy>>;

cxm::event<> ev(std::uint64_t c, timestamp t, event_kind k, double value = 0.0) { return {c, t, k, value}; }

std::vector<cxm::event<>> random_advocacy_events(std::mt19937_64& rng, std::size_t n, std::uint64_t customers,
                                                 timestamp from, std::int64_t span_days) {
  const std::array kinds{event_kind::referral, event_kind::loyalty, event_kind::visit, event_kind::purchase};
  std::vector<cxm::event<>> out;
  const auto span_ms = static_cast<std::uint64_t>(span_days) * 86'400'000u;
  for (std::size_t i = 0; i < n; ++i) {
    const auto k = kinds[rng() % kinds.size()];
    out.push_back(ev(1 + rng() % customers, from + milliseconds{static_cast<std::int64_t>(rng() % span_ms)}, k,
                     k == event_kind::purchase ? 10.0 : 0.0));
  }
  return out;
}

/// The advocacy figures from raw events: per customer, first and last event (to the second) and the
/// counts of referrals and loyalty events.
cxm::advocacy_result brute_advocacy(const std::vector<cxm::event<>>& events, timestamp as_of) {
  struct facts {
    timestamp first = timestamp::max(), last = timestamp::min();
    std::uint64_t referrals = 0, loyalty = 0;
  };
  std::map<std::uint64_t, facts> by;
  for (const auto& e : events) {
    auto& f = by[e.customer];
    const auto t = floor<seconds>(e.time);
    f.first = std::min(f.first, timestamp{t});
    f.last = std::max(f.last, timestamp{t});
    if (e.kind == event_kind::referral) ++f.referrals;
    if (e.kind == event_kind::loyalty) ++f.loyalty;
  }
  cxm::advocacy_result r{};
  const auto cut = floor<seconds>(as_of);
  for (const auto& [id, f] : by) {
    if (f.first > cut) continue;
    ++r.customers;
    if (f.last > cut) ++r.customers_with_later_events;
    r.referrals.events += f.referrals;
    r.loyalty.events += f.loyalty;
    if (f.referrals > 0) ++r.referrals.customers;
    if (f.loyalty > 0) ++r.loyalty.customers;
  }
  for (auto* x : {&r.referrals, &r.loyalty}) {
    if (r.customers > 0) {
      x->share = static_cast<double>(x->customers) / static_cast<double>(r.customers);
      x->per_customer = static_cast<double>(x->events) / static_cast<double>(r.customers);
    }
    if (x->customers > 0) x->per_active_customer = static_cast<double>(x->events) / static_cast<double>(x->customers);
  }
  r.includes_later_events = r.customers_with_later_events > 0;
  return r;
}

/// Per period of `unit`: (referrals, loyalty) from raw events.
std::map<std::int64_t, std::pair<std::uint64_t, std::uint64_t>> brute_periods(const std::vector<cxm::event<>>& events,
                                                                              cxm::period_unit unit) {
  std::map<std::int64_t, std::pair<std::uint64_t, std::uint64_t>> out;
  for (const auto& e : events) {
    if (e.kind == event_kind::referral) ++out[cxm::period_of(e.time, unit).index].first;
    if (e.kind == event_kind::loyalty) ++out[cxm::period_of(e.time, unit).index].second;
  }
  return out;
}

void same_periods(const cxm::advocacy_per_period_result& r,
                  const std::map<std::int64_t, std::pair<std::uint64_t, std::uint64_t>>& brute, timestamp as_of,
                  cxm::period_unit unit) {
  const auto now = cxm::period_of(as_of, unit).index;
  std::vector<cxm::advocacy_period> expected;
  std::uint64_t later = 0;
  for (const auto& [p, c] : brute) {
    if (p > now) {
      later += c.first + c.second;
    } else {
      expected.push_back({cxm::period{unit, p}, c.first, c.second, p != now});
    }
  }
  CHECK(r.periods == expected);
  CHECK(r.later_events == later);
}

using month_state = cxm::advocacy_per_period::state;
std::vector<std::byte> periods_image(const std::vector<std::array<std::uint64_t, 3>>& rows, std::uint64_t count) {
  cxm::io::writer w;
  w.u64(count);
  for (const auto& row : rows) {
    w.u64(row[0]);
    w.u64(row[1]);
    w.u64(row[2]);
  }
  return std::move(w).bytes();
}
month_state load_periods(const std::vector<std::byte>& bytes) {
  cxm::io::reader r{bytes};
  auto s = month_state::load(r);
  r.expect_end("advocacy_per_period");
  return s;
}

}  // namespace

TEST_CASE("advocacy: hand-worked referrals and loyalty, as of February 10 2026") {
  adv_engine e;
  const timestamp jan = sys_days{2026y / January / 1}, feb = sys_days{2026y / February / 1};
  // A: referral Jan 5, referral Feb 3, loyalty Feb 4. B: purchase Jan 10.
  // C: loyalty Jan 20, referral Feb 20 (after as_of). D: referral Feb 15 (first event after as_of).
  e.add(ev(1, jan + days{4}, event_kind::referral));
  e.add(ev(1, feb + days{2}, event_kind::referral));
  e.add(ev(1, feb + days{3}, event_kind::loyalty));
  e.add(ev(2, jan + days{9}, event_kind::purchase, 25.0));
  e.add(ev(3, jan + days{19}, event_kind::loyalty));
  e.add(ev(3, feb + days{19}, event_kind::referral));
  e.add(ev(4, feb + days{14}, event_kind::referral));
  const auto as_of = feb + days{9};
  const auto report = e.report(as_of);
  const auto r = report.get<cxm::advocacy>();
  // Customers A, B, C (D starts after as_of) = 3. Referrals: A 2, C 1 (counted although after
  // as_of: activity holds every event) = 3; referrers 2 → share 2/3, 3/3 = 1 per customer, 3/2 per referrer.
  CHECK(r.customers == 3);
  CHECK(r.referrals.events == 3);
  CHECK(r.referrals.customers == 2);
  CHECK(*r.referrals.share == doctest::Approx(2.0 / 3.0));
  CHECK(*r.referrals.per_customer == doctest::Approx(1.0));
  CHECK(*r.referrals.per_active_customer == doctest::Approx(1.5));
  // Loyalty: A 1, C 1 → 2 events, 2 customers: share 2/3, 2/3 per customer, 1 per loyal customer.
  CHECK(r.loyalty.events == 2);
  CHECK(r.loyalty.customers == 2);
  CHECK(*r.loyalty.share == doctest::Approx(2.0 / 3.0));
  CHECK(*r.loyalty.per_customer == doctest::Approx(2.0 / 3.0));
  CHECK(*r.loyalty.per_active_customer == doctest::Approx(1.0));
  CHECK(r.customers_with_later_events == 1);  // C
  CHECK(r.includes_later_events);
  CHECK_FALSE(r.saturated);
  // Per month: January 2026 (month 672): referral A, loyalty C. February (673, as_of's month, open):
  // referrals A, C, D = 3, loyalty A = 1 (events after as_of within as_of's month are in its bucket).
  const auto months = report.get<cxm::advocacy_per_period>();
  CHECK(months.periods == std::vector<cxm::advocacy_period>{{cxm::period{cxm::period_unit::month, 672}, 1, 1, true},
                                                            {cxm::period{cxm::period_unit::month, 673}, 3, 1, false}});
  CHECK(months.later_events == 0);
  // As of January 31: January is open; February's 4 events are later.
  const auto jan_only = e.report(jan + days{30}).get<cxm::advocacy_per_period>();
  CHECK(jan_only.periods == std::vector<cxm::advocacy_period>{{cxm::period{cxm::period_unit::month, 672}, 1, 1, false}});
  CHECK(jan_only.later_events == 4);
  // As of January 5 (A's first event, 00:00): only A, with everything counted as later.
  const auto early = e.report(jan + days{4}).get<cxm::advocacy>();
  CHECK(early.customers == 1);
  CHECK(early.customers_with_later_events == 1);
  CHECK(early.referrals.events == 2);
  // Without any referral: the per-referrer rate is empty, not NaN.
  adv_engine quiet;
  quiet.add(ev(9, jan, event_kind::visit));
  const auto q = quiet.report(jan + days{1}).get<cxm::advocacy>();
  CHECK(q.customers == 1);
  CHECK(*q.referrals.share == 0.0);
  CHECK_FALSE(q.referrals.per_active_customer);
  CHECK_FALSE(q.includes_later_events);
}

TEST_CASE("advocacy: random events = brute force; k-way merges = one pass; save -> load (-> continue)") {
  std::mt19937_64 rng(1414);
  const timestamp from = sys_days{2031y / January / 1};
  const auto events = random_advocacy_events(rng, 3000, 250, from, 200);
  adv_engine whole;
  for (const auto& x : events) whole.add(x);
  const auto monthly = brute_periods(events, cxm::period_unit::month);
  const auto weekly = brute_periods(events, cxm::period_unit::iso_week);
  const std::vector<timestamp> as_ofs{from + days{3}, from + days{45} + hours{7}, from + days{120}, from + days{400}};
  for (const auto as_of : as_ofs) {
    CAPTURE(as_of.time_since_epoch().count());
    const auto rep = whole.report(as_of);
    CHECK(rep.get<cxm::advocacy>() == brute_advocacy(events, as_of));
    same_periods(rep.get<cxm::advocacy_per_period>(), monthly, as_of, cxm::period_unit::month);
    same_periods(rep.get<weekly_advocacy>(), weekly, as_of, cxm::period_unit::iso_week);
  }
  CHECK(whole.report(as_ofs[1]).get<cxm::advocacy>().includes_later_events);
  CHECK_FALSE(whole.report(as_ofs[3]).get<cxm::advocacy>().includes_later_events);
  // k-way random splits (customers in several parts), merged in random order.
  for (std::size_t k : {2u, 4u, 7u}) {
    CAPTURE(k);
    std::vector<adv_engine> parts(k);
    for (const auto& x : events) parts[rng() % k].add(x);
    std::vector<std::size_t> order(k);
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::shuffle(order.begin(), order.end(), rng);
    adv_engine merged;
    for (const auto i : order) merged.merge(parts[i]);
    CHECK(merged.global<cxm::advocacy_per_period>() == whole.global<cxm::advocacy_per_period>());
    CHECK(merged.global<weekly_advocacy>() == whole.global<weekly_advocacy>());
    for (const auto as_of : as_ofs) CHECK(merged.report(as_of).get<cxm::advocacy>() == whole.report(as_of).get<cxm::advocacy>());
  }
  // Commutativity of the global state's merge.
  adv_engine a, b;
  for (std::size_t i = 0; i < events.size(); ++i) (i % 3 == 0 ? a : b).add(events[i]);
  auto ab = a.global<cxm::advocacy_per_period>(), ba = b.global<cxm::advocacy_per_period>();
  ab.merge(b.global<cxm::advocacy_per_period>());
  ba.merge(a.global<cxm::advocacy_per_period>());
  CHECK(ab == ba);
  CHECK(ab == whole.global<cxm::advocacy_per_period>());
  // save -> load -> equal; save -> load -> continue = one pass.
  const auto loaded = cxm::io::load_state<adv_engine>(cxm::io::save_state(whole));
  CHECK(loaded.global<cxm::advocacy_per_period>() == whole.global<cxm::advocacy_per_period>());
  CHECK(loaded.global<weekly_advocacy>() == whole.global<weekly_advocacy>());
  for (const auto as_of : as_ofs) CHECK(loaded.report(as_of).get<cxm::advocacy>() == whole.report(as_of).get<cxm::advocacy>());
  adv_engine half;
  for (std::size_t i = 0; i < 1500; ++i) half.add(events[i]);
  auto resumed = cxm::io::load_state<adv_engine>(cxm::io::save_state(half));
  for (std::size_t i = 1500; i < events.size(); ++i) resumed.add(events[i]);
  CHECK(resumed.global<cxm::advocacy_per_period>() == whole.global<cxm::advocacy_per_period>());
  CHECK(resumed.report(as_ofs[2]).get<cxm::advocacy>() == whole.report(as_ofs[2]).get<cxm::advocacy>());
}

TEST_CASE("advocacy_per_period: corrupted states are format errors; the unit parameter is checked") {
  // Valid by hand: month 672 with 2 referrals, 1 loyalty event; month 675 with 1 loyalty event.
  const auto good = load_periods(periods_image({{672, 2, 1}, {675, 0, 1}}, 2));
  CHECK(good.by_period.size() == 2);
  CHECK(good.by_period.at(672) == month_state::counts{2, 1});
  CHECK(load_periods(periods_image({}, 0)) == month_state{});
  auto refused = [&](std::vector<std::byte> image, const char* message) {
    CHECK_THROWS_WITH_AS((void)load_periods(image), message, cxm::format_error);
  };
  refused(periods_image({{675, 1, 0}, {672, 1, 0}}, 2), "advocacy_per_period: period indices are not ascending");
  refused(periods_image({{672, 1, 0}, {672, 1, 0}}, 2), "advocacy_per_period: period indices are not ascending");
  refused(periods_image({{672, 0, 0}}, 1), "advocacy_per_period: a period without events");
  refused(periods_image({{static_cast<std::uint64_t>(-1), 1, 0}}, 1),
          "advocacy_per_period: period index -1 is outside the representable range");
  refused(periods_image({{5000, 1, 0}}, 1), "advocacy_per_period: period index 5000 is outside the representable range");
  const auto image = periods_image({{672, 2, 1}}, 1);
  for (std::size_t n = 0; n < image.size(); ++n) {
    const std::vector<std::byte> cut(image.begin(), image.begin() + static_cast<std::ptrdiff_t>(n));
    CHECK_THROWS_AS((void)load_periods(cut), cxm::format_error);
  }
  CHECK_THROWS_AS((void)load_periods(periods_image({{672, 2, 1}}, 5)), cxm::format_error);  // count past the bytes
  // The unit is fixed by the type.
  cxm::advocacy_per_period m;
  CHECK(cxm::parameter_list(m) == std::vector<std::pair<std::string, std::string>>{{"unit", "2"}});
  m.configure(cxm::kind_registry{});
  m.unit = cxm::period_unit::day;
  CHECK_THROWS_WITH_AS(m.configure(cxm::kind_registry{}),
                       "metric 'advocacy_per_period': parameter 'unit' is 0, this type counts per month",
                       std::invalid_argument);
}
