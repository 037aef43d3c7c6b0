// Cohort retention (churn/retention.hpp): hand-worked tables, a brute-force recomputation from raw
// random events (a std::map of customer -> set of periods), incomplete periods marked, bracket
// validation, and the report-time metric composed into cxm::engine next to the defaults (one pass =
// shuffled = k-way merged in random order; save -> load; parameter mismatches).

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <numeric>
#include <optional>
#include <random>
#include <set>
#include <span>
#include <stdexcept>
#include <vector>

#include <doctest/doctest.h>

#include "cxm/churn/retention.hpp"
#include "cxm/engagement/active_periods.hpp"
#include "cxm/io/state.hpp"
#include "cxm/stream/engine.hpp"
#include "cxm/stream/global_metrics.hpp"
#include "stream/stream_support.hpp"

namespace {

using namespace std::chrono;
using cxm::period;
using cxm::period_unit;
using cxm::timestamp;

using daily8 = cxm::basic_active_periods<period_unit::day, 8>;

std::optional<std::uint64_t> n(std::uint64_t v) { return v; }
constexpr std::optional<std::uint64_t> none = std::nullopt;

using period_sets = std::map<std::uint64_t, std::set<std::int64_t>>;

cxm::customer_periods history_of(const std::set<std::int64_t>& s, std::uint32_t tracked) {
  cxm::customer_periods c;
  c.first = *s.begin();
  c.last = *s.rbegin();
  for (const auto q : s) {
    if (q - c.first < static_cast<std::int64_t>(tracked)) c.bits |= std::uint64_t{1} << (q - c.first);
  }
  return c;
}

/// Checks a table against a recomputation from the full sets of periods: for each cohort and column,
/// the count of customers of the cohort with a period in the column's range, or an empty optional
/// when the column's last period is as_of's or later.
void check_brute_force(const cxm::retention_table& t, const period_sets& sets, std::uint32_t tracked, period current,
                       const std::vector<cxm::retention_bracket>& brackets) {
  std::map<std::int64_t, std::vector<const std::set<std::int64_t>*>> cohorts;
  std::uint64_t after = 0;
  for (const auto& [id, s] : sets) {
    if (*s.begin() > current.index) ++after;
    else cohorts[*s.begin()].push_back(&s);
  }
  CHECK(t.customers_after_as_of == after);
  REQUIRE(t.cohorts.size() == cohorts.size());
  auto count = [](const std::vector<const std::set<std::int64_t>*>& members, std::int64_t from, std::int64_t to) {
    std::uint64_t c = 0;
    for (const auto* s : members) {
      if (s->lower_bound(from) != s->end() && *s->lower_bound(from) <= to) ++c;
    }
    return c;
  };
  std::size_t i = 0, wrong = 0;
  for (const auto& cohort : cohorts) {  // not a structured binding: clang 14 cannot capture one in a lambda
    const std::int64_t first = cohort.first;
    const auto& members = cohort.second;
    const auto& row = t.cohorts[i++];
    CHECK(row.cohort == period{current.unit, first});
    CHECK(row.size == members.size());
    auto expect = [&](std::int64_t from, std::int64_t to, std::int64_t last_needed) -> std::optional<std::uint64_t> {
      if (first + last_needed >= current.index) return std::nullopt;  // not complete: marked
      return count(members, first + from, first + to);
    };
    for (std::uint32_t k = 0; k < tracked; ++k) {
      if (row.on[k] != expect(k, k, k)) ++wrong;
      if (row.on_or_after[k] != expect(k, std::numeric_limits<std::int64_t>::max() / 2, k)) ++wrong;
      if (row.on[k].has_value() != row.on_rate[k].has_value()) ++wrong;
      if (row.on[k] && *row.on_rate[k] != static_cast<double>(*row.on[k]) / static_cast<double>(row.size)) ++wrong;
    }
    for (std::size_t j = 0; j < brackets.size(); ++j) {
      if (row.in_bracket[j] != expect(brackets[j].from, brackets[j].to, brackets[j].to)) ++wrong;
    }
  }
  CHECK(wrong == 0);
  // Means per column, recomputed from the rows.
  for (std::uint32_t k = 0; k < tracked; ++k) {
    double rates = 0;
    std::uint64_t retained = 0, size = 0, used = 0;
    for (const auto& row : t.cohorts) {
      if (!row.on[k]) continue;
      rates += static_cast<double>(*row.on[k]) / static_cast<double>(row.size);
      retained += *row.on[k];
      size += row.size;
      ++used;
    }
    CHECK(t.on_mean[k].cohorts == used);
    CHECK(t.on_mean[k].customers == size);
    if (used == 0) {
      CHECK_FALSE(t.on_mean[k].simple.has_value());
      CHECK_FALSE(t.on_mean[k].weighted.has_value());
    } else {
      CHECK(*t.on_mean[k].simple == doctest::Approx(rates / static_cast<double>(used)).epsilon(1e-12));
      CHECK(*t.on_mean[k].weighted == static_cast<double>(retained) / static_cast<double>(size));
    }
  }
}

struct raw_event {
  std::uint64_t customer;
  timestamp time;
};

template <class M>
period_sets sets_of(const std::vector<raw_event>& events) {
  period_sets out;
  for (const auto& e : events) out[e.customer].insert(cxm::period_of(e.time, M::period_unit_v).index);
  return out;
}

template <class M>
std::vector<cxm::customer_periods> table_of(const std::vector<raw_event>& events) {
  const M m;
  struct no_context {};
  std::map<std::uint64_t, typename M::state> states;
  for (const auto& e : events) {
    m.on(states[e.customer], cxm::observation{e.time, cxm::to_seconds32(e.time), cxm::event_kind::visit, 0.0, 0},
         no_context{});
  }
  std::vector<cxm::customer_periods> out;
  for (const auto& [id, s] : states) out.push_back(s.history());
  return out;
}

using retention_engine =
    cxm::engine<std::uint64_t,
                cxm::metric_list<cxm::nps_answers, cxm::csat_answers, cxm::ces_answers, cxm::active_customers,
                                 cxm::cohort_retention, cxm::basic_cohort_retention<daily8>>,
                cxm::metric_list<cxm::spend, cxm::activity, cxm::satisfaction, cxm::active_periods, daily8>>;

retention_engine make_engine(std::vector<std::uint32_t> monthly_brackets = {1, 3, 4, 6},
                             std::vector<std::uint32_t> daily_brackets = {1, 2, 3, 7}) {
  return retention_engine({},
                          cxm::metric_list{cxm::nps_answers{}, cxm::csat_answers{}, cxm::ces_answers{},
                                           cxm::active_customers{}, cxm::cohort_retention{std::move(monthly_brackets)},
                                           cxm::basic_cohort_retention<daily8>{std::move(daily_brackets)}},
                          cxm::metric_list{cxm::spend{}, cxm::activity{}, cxm::satisfaction{}, cxm::active_periods{},
                                           daily8{}});
}

}  // namespace

TEST_CASE("cohort retention: a hand-worked table with incomplete periods marked") {
  // Tracked 4 periods, as of period 4 (periods 0..3 complete). Brackets [1, 2] and [1, 3].
  //   cohort 0: A {0, 1, 3, 6} (6 is past the horizon: bits 0b1011, last 6), B {0}, D {0, 2}
  //   cohort 1: C {1, 2}
  //   E {5}: first activity after as_of's period, left out.
  const std::vector<cxm::customer_periods> customers{
      {0, 0b1011, 6}, {0, 0b1, 0}, {0, 0b101, 2}, {1, 0b11, 2}, {5, 0b1, 5}};
  const auto t = cxm::cohort_retention_table(customers, 4, period{period_unit::month, 4}, {{1, 2}, {1, 3}});
  REQUIRE(t.cohorts.size() == 2);
  const auto& c0 = t.cohorts[0];
  const auto& c1 = t.cohorts[1];
  CHECK(c0.cohort == period{period_unit::month, 0});
  CHECK(c0.size == 3);
  // on: k = 0: all 3; k = 1: A; k = 2: D; k = 3: A. All complete (0 + 3 < 4).
  CHECK(c0.on == std::vector{n(3), n(1), n(1), n(1)});
  // on or after: last − first >= k: A (6), B (0), D (2) → 3, 2, 2, 1.
  CHECK(c0.on_or_after == std::vector{n(3), n(2), n(2), n(1)});
  // [1, 2]: A (1), D (2) → 2; [1, 3]: A, D → 2.
  CHECK(c0.in_bracket == std::vector{n(2), n(2)});
  CHECK(c0.on_rate[1] == std::optional<double>(1.0 / 3.0));
  CHECK(c0.past_horizon == 1);
  // Cohort 1 (C): k = 3 is period 4 = as_of's: not complete → empty, never 0.
  CHECK(c1.size == 1);
  CHECK(c1.on == std::vector{n(1), n(1), n(0), none});
  CHECK(c1.on_or_after == std::vector{n(1), n(1), n(0), none});
  CHECK(c1.in_bracket == std::vector{n(1), none});  // [1, 3] reaches period 4
  CHECK_FALSE(c1.bracket_rate[1].has_value());
  // Means over the cohorts whose column is complete:
  //   k = 1: rates 1/3 and 1/1: simple (1/3 + 1)/2 = 2/3; weighted (1 + 1)/(3 + 1) = 0.5
  CHECK(*t.on_mean[1].simple == doctest::Approx(2.0 / 3.0).epsilon(1e-15));
  CHECK(*t.on_mean[1].weighted == 0.5);
  CHECK(t.on_mean[1].cohorts == 2);
  CHECK(t.on_mean[1].customers == 4);
  //   k = 2: 1/3 and 0/1: simple 1/6; weighted 1/4
  CHECK(*t.on_mean[2].simple == doctest::Approx(1.0 / 6.0).epsilon(1e-15));
  CHECK(*t.on_mean[2].weighted == 0.25);
  //   k = 3: cohort 0 only: 1/3
  CHECK(t.on_mean[3].cohorts == 1);
  CHECK(*t.on_mean[3].weighted == doctest::Approx(1.0 / 3.0).epsilon(1e-15));
  //   bracket [1, 3]: cohort 0 only: 2/3
  CHECK(t.bracket_mean[1].cohorts == 1);
  CHECK(*t.bracket_mean[1].simple == doctest::Approx(2.0 / 3.0).epsilon(1e-15));
  CHECK(t.customers == 4);
  CHECK(t.customers_after_as_of == 1);
  CHECK(t.past_horizon == 1);
  CHECK(t.includes_later_events);  // A (6) and E (5) are after period 4

  // As of period 0, nothing is complete: every cell is marked and no mean is defined.
  const auto early = cxm::cohort_retention_table(customers, 4, period{period_unit::month, 0});
  REQUIRE(early.cohorts.size() == 1);
  CHECK(early.cohorts[0].on == std::vector<std::optional<std::uint64_t>>(4, none));
  CHECK_FALSE(early.on_mean[0].simple.has_value());
  CHECK(early.on_mean[0].cohorts == 0);
}

TEST_CASE("cohort retention: bad brackets and bad customers are clear errors") {
  CHECK_THROWS_WITH_AS((void)cxm::brackets_from(std::vector<std::uint32_t>{1, 3, 4}, 8),
                       "cohort_retention: parameter 'brackets' must hold pairs (from, to); it has 3 numbers",
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS((void)cxm::brackets_from(std::vector<std::uint32_t>{3, 1}, 8),
                       "cohort_retention: parameter 'brackets': bracket [3, 1] is reversed", std::invalid_argument);
  CHECK_THROWS_WITH_AS((void)cxm::brackets_from(std::vector<std::uint32_t>{4, 8}, 8),
                       "cohort_retention: parameter 'brackets': bracket [4, 8] reaches past the 8 tracked periods",
                       std::invalid_argument);
  CHECK(cxm::brackets_from(std::vector<std::uint32_t>{1, 3, 4, 6}, 8) ==
        std::vector<cxm::retention_bracket>{{1, 3}, {4, 6}});
  // The engine refuses bad brackets when it is built (configure).
  CHECK_THROWS_WITH_AS((void)make_engine({1, 64}),
                       "cohort_retention: parameter 'brackets': bracket [1, 64] reaches past the 64 tracked periods",
                       std::invalid_argument);
  CHECK_THROWS_AS((void)make_engine({1, 3}, {2, 9}), std::invalid_argument);  // the daily one tracks 8
  // A malformed customer in the pure function.
  const std::vector<cxm::customer_periods> bad{{3, 0b10, 4}};
  CHECK_THROWS_WITH_AS((void)cxm::cohort_retention_table(bad, 8, period{period_unit::day, 10}),
                       "cohort_retention: customer: the first period is not marked active", std::invalid_argument);
  CHECK_THROWS_AS((void)cxm::cohort_retention_table({}, 65, period{period_unit::day, 10}), std::invalid_argument);
}

TEST_CASE("cohort retention: random events against a brute-force recomputation") {
  std::mt19937_64 rng(2026);
  const timestamp from = sys_days{2023y / November / 1};
  const std::vector<cxm::retention_bracket> daily_brackets{{1, 3}, {4, 6}, {0, 7}};
  const std::vector<cxm::retention_bracket> monthly_brackets{{1, 3}, {4, 6}};
  for (int round = 0; round < 3; ++round) {
    std::vector<raw_event> events;
    for (int i = 0; i < 3'000; ++i) {
      events.push_back({rng() % 300, from + milliseconds{static_cast<std::int64_t>(rng() % (86'400'000ull * 400))}});
    }
    const auto as_of = from + days{250};
    {
      const auto current = cxm::period_of(as_of, period_unit::day);
      const auto t = cxm::cohort_retention_table(table_of<daily8>(events), 8, current, daily_brackets);
      check_brute_force(t, sets_of<daily8>(events), 8, current, daily_brackets);
      std::uint64_t past = 0;
      for (const auto& [id, s] : sets_of<daily8>(events)) if (*s.rbegin() - *s.begin() >= 8) ++past;
      CHECK(t.past_horizon == past);
      CHECK(past > 0);
      // Shuffled arrival gives the same table.
      auto shuffled = events;
      std::shuffle(shuffled.begin(), shuffled.end(), rng);
      CHECK(cxm::cohort_retention_table(table_of<daily8>(shuffled), 8, current, daily_brackets) == t);
    }
    {
      const auto current = cxm::period_of(as_of, period_unit::month);
      const auto t = cxm::cohort_retention_table(table_of<cxm::active_periods>(events), 64, current, monthly_brackets);
      check_brute_force(t, sets_of<cxm::active_periods>(events), 64, current, monthly_brackets);
      CHECK(t.includes_later_events);
      // The pure function over brute-force histories gives the same table.
      std::vector<cxm::customer_periods> brute;
      for (const auto& [id, s] : sets_of<cxm::active_periods>(events)) brute.push_back(history_of(s, 64));
      CHECK(cxm::cohort_retention_table(brute, 64, current, monthly_brackets) == t);
    }
  }
}

TEST_CASE("cohort retention: through cxm::engine next to the defaults: one pass = shuffled = k-way merged; save/load") {
  cxm::test::stream_spec spec;
  spec.events = 6'000;
  spec.customers = 500;
  spec.host_kinds = 0;
  const auto events = cxm::test::random_stream(spec);
  const auto as_of = spec.to - days{60};
  auto whole = make_engine();
  whole.add(events);
  const auto r = whole.report(as_of);
  std::vector<raw_event> raw;
  for (const auto& e : events) raw.push_back({e.customer, e.time});
  check_brute_force(r.get<cxm::cohort_retention>(), sets_of<cxm::active_periods>(raw), 64,
                    cxm::period_of(as_of, period_unit::month), {{1, 3}, {4, 6}});
  check_brute_force(r.get<cxm::basic_cohort_retention<daily8>>(), sets_of<daily8>(raw), 8,
                    cxm::period_of(as_of, period_unit::day), {{1, 2}, {3, 7}});
  CHECK(r.get<cxm::cohort_retention>().customers + r.get<cxm::cohort_retention>().customers_after_as_of == r.customers);
  CHECK(r.get<cxm::nps_answers>().n > 0);  // the defaults still run beside

  std::mt19937_64 rng(8);
  auto shuffled_events = events;
  std::shuffle(shuffled_events.begin(), shuffled_events.end(), rng);
  auto shuffled = make_engine();
  shuffled.add(shuffled_events);
  CHECK(shuffled.report(as_of).get<cxm::cohort_retention>() == r.get<cxm::cohort_retention>());
  CHECK(shuffled.report(as_of).get<cxm::basic_cohort_retention<daily8>>() == r.get<cxm::basic_cohort_retention<daily8>>());

  for (const bool by_customer : {true, false}) {
    for (std::size_t k : {2u, 3u, 8u}) {
      CAPTURE(by_customer);
      CAPTURE(k);
      std::vector<retention_engine> parts(k, make_engine());
      for (const auto& e : events) parts[by_customer ? e.customer % k : rng() % k].add(e);
      std::vector<std::size_t> order(k);
      std::iota(order.begin(), order.end(), std::size_t{0});
      std::shuffle(order.begin(), order.end(), rng);
      auto merged = make_engine();
      for (const auto i : order) merged.merge(parts[i]);
      const auto m = merged.report(as_of);
      CHECK((m.customers_merged_from_both_sides == 0) == by_customer);
      CHECK(m.get<cxm::cohort_retention>() == r.get<cxm::cohort_retention>());
      CHECK(m.get<cxm::basic_cohort_retention<daily8>>() == r.get<cxm::basic_cohort_retention<daily8>>());
    }
  }
  // Commutativity.
  auto a = make_engine(), b = make_engine();
  for (const auto& e : events) (e.customer % 3 == 0 ? a : b).add(e);
  auto ab = a, ba = b;
  ab.merge(b);
  ba.merge(a);
  CHECK(ab.report(as_of).get<cxm::cohort_retention>() == ba.report(as_of).get<cxm::cohort_retention>());
  CHECK(ab.report(as_of).get<cxm::cohort_retention>() == r.get<cxm::cohort_retention>());

  // save -> load -> equal (the brackets come back with the state); save -> load -> continue.
  const auto loaded = cxm::io::load_state<retention_engine>(cxm::io::save_state(whole));
  CHECK(loaded == whole);
  CHECK(loaded.metric<cxm::cohort_retention>().brackets == std::vector<std::uint32_t>{1, 3, 4, 6});
  CHECK(loaded.report(as_of).get<cxm::cohort_retention>() == r.get<cxm::cohort_retention>());
  auto first = make_engine();
  const std::size_t cut = events.size() / 2;
  for (std::size_t i = 0; i < cut; ++i) first.add(events[i]);
  auto resumed = cxm::io::load_state<retention_engine>(cxm::io::save_state(first));
  for (std::size_t i = cut; i < events.size(); ++i) resumed.add(events[i]);
  CHECK(resumed == whole);

  // Other brackets: merging is refused, naming the parameter.
  auto other = make_engine({1, 2});
  CHECK_THROWS_WITH_AS(whole.merge(other),
                       "metric 'cohort_retention': cannot merge: parameter 'brackets' is {1, 3, 4, 6} here and {1, 2} there",
                       std::invalid_argument);
}
