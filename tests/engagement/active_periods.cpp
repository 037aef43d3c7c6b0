// Active periods per customer (engagement/active_periods.hpp) and the lifecycle over them
// (engagement/lifecycle.hpp): hand-worked values, a brute-force recomputation from raw random
// events (a std::map of customer -> set of periods), out-of-order arrival, k-way merges in random
// order, save -> load, corrupted fields, and both report-time metrics composed into cxm::engine next
// to the defaults.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <numeric>
#include <optional>
#include <random>
#include <set>
#include <stdexcept>
#include <vector>

#include <doctest/doctest.h>

#include "cxm/engagement/active_periods.hpp"
#include "cxm/engagement/lifecycle.hpp"
#include "cxm/io/state.hpp"
#include "cxm/stream/engine.hpp"
#include "cxm/stream/global_metrics.hpp"
#include "stream/stream_support.hpp"

namespace {

using namespace std::chrono;
using cxm::event_kind;
using cxm::period;
using cxm::period_unit;
using cxm::timestamp;

using monthly = cxm::active_periods;                                 // month, 64 periods
using daily4 = cxm::basic_active_periods<period_unit::day, 4>;       // a short horizon
using daily8 = cxm::basic_active_periods<period_unit::day, 8>;

struct no_context {};

cxm::observation obs(timestamp t) { return {t, cxm::to_seconds32(t), event_kind::visit, 0.0, 0}; }

template <class M>
typename M::state fold(const M& m, const std::vector<timestamp>& times) {
  typename M::state s{};
  for (const auto t : times) m.on(s, obs(t), no_context{});
  return s;
}

timestamp day_n(int d) { return timestamp{days{d}}; }  // day index d since 1970-01-01

/// The brute-force history of a set of periods with `tracked` periods kept.
cxm::customer_periods brute_history(const std::set<std::int64_t>& s, std::uint32_t tracked) {
  cxm::customer_periods c;
  c.first = *s.begin();
  c.last = *s.rbegin();
  for (const auto q : s) {
    if (q - c.first < static_cast<std::int64_t>(tracked)) c.bits |= std::uint64_t{1} << (q - c.first);
  }
  return c;
}

/// The lifecycle recomputed from each customer's full set of periods: known(q) says whether a state
/// with `tracked` periods can tell activity in q; a period whose status needs an unknown one is untracked.
std::vector<cxm::lifecycle_counts> brute_lifecycle(const std::map<std::uint64_t, std::set<std::int64_t>>& periods,
                                                   std::uint32_t tracked, period current) {
  std::int64_t earliest = current.index + 1;
  for (const auto& [id, s] : periods) earliest = std::min(earliest, *s.begin());
  std::vector<cxm::lifecycle_counts> out;
  for (auto p = earliest; p <= current.index; ++p) {
    cxm::lifecycle_counts row;
    row.when = period{current.unit, p};
    row.complete = p < current.index;
    for (const auto& [id, s] : periods) {
      const auto f = *s.begin(), last = *s.rbegin();
      auto known = [&](std::int64_t q) { return q < f || q >= last || q - f < static_cast<std::int64_t>(tracked); };
      if (p < f) continue;
      if (p == f) {
        ++row.new_customers;
        continue;
      }
      if (!known(p) || !known(p - 1)) {
        ++row.untracked;
        continue;
      }
      const bool now = s.count(p) != 0, before = s.count(p - 1) != 0;
      const bool earlier = std::any_of(s.begin(), s.end(), [&](std::int64_t q) { return q < p - 1; });
      if (now && before) ++row.returning;
      else if (now && earlier) ++row.resurrecting;
      else if (before) ++row.dormant;
    }
    out.push_back(row);
  }
  return out;
}

/// Random raw events: `n` visits of `customers` customers spread over [from, from + span).
struct raw_event {
  std::uint64_t customer;
  timestamp time;
};
std::vector<raw_event> random_events(std::mt19937_64& rng, std::size_t n, std::uint64_t customers, timestamp from,
                                     milliseconds span) {
  std::vector<raw_event> out;
  for (std::size_t i = 0; i < n; ++i) {
    out.push_back({rng() % customers, from + milliseconds{static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(span.count()))}});
  }
  return out;
}

template <class M>
std::map<std::uint64_t, typename M::state> fold_all(const M& m, const std::vector<raw_event>& events) {
  std::map<std::uint64_t, typename M::state> out;
  for (const auto& e : events) m.on(out[e.customer], obs(e.time), no_context{});
  return out;
}

template <class M>
std::map<std::uint64_t, std::set<std::int64_t>> brute_periods(const std::vector<raw_event>& events) {
  std::map<std::uint64_t, std::set<std::int64_t>> out;
  for (const auto& e : events) out[e.customer].insert(cxm::period_of(e.time, M::period_unit_v).index);
  return out;
}

template <class M>
std::vector<std::byte> save_state(const M& m, const typename M::state& s) {
  cxm::io::writer w;
  m.save(s, w);
  return std::move(w).bytes();
}
template <class M>
typename M::state load_state(const M& m, const std::vector<std::byte>& bytes) {
  cxm::io::reader r{bytes};
  auto s = m.load(r, 1);
  r.expect_end("active_periods");
  return s;
}
/// The raw image of (bits, first, last), as save writes it.
std::vector<std::byte> raw_image(std::uint64_t bits, std::uint32_t first, std::uint32_t last) {
  cxm::io::writer w;
  w.u64(bits);
  w.u32(first);
  w.u32(last);
  return std::move(w).bytes();
}

using lifecycle_engine =
    cxm::engine<std::uint64_t,
                cxm::metric_list<cxm::nps_answers, cxm::csat_answers, cxm::ces_answers, cxm::active_customers,
                                 cxm::lifecycle, cxm::basic_lifecycle<daily8>>,
                cxm::metric_list<cxm::spend, cxm::activity, cxm::satisfaction, monthly, daily8>>;

}  // namespace

TEST_CASE("active_periods: hand-worked months, out of order") {
  static_assert(sizeof(monthly::state) == 16);  // u64 bitmap + u32 first + u32 last, per customer
  static_assert(sizeof(daily4::state) == 16);
  const monthly m;
  // January 2026 is month (2026 − 1970)·12 = 672. Events in March, January, May, March again.
  const auto s = fold(m, {sys_days{2026y / March / 5}, sys_days{2026y / January / 31}, sys_days{2026y / May / 1},
                          sys_days{2026y / March / 20}});
  CHECK(s.first == 672);
  CHECK(s.last == 676);
  CHECK(s.bits == 0b10101u);  // offsets 0 (Jan), 2 (Mar), 4 (May) = 1 + 4 + 16 = 21
  CHECK(s.bits == 21u);
  CHECK_FALSE(s.past_horizon());
  struct as_of_context {
    timestamp t;
    [[nodiscard]] timestamp as_of() const { return t; }
  };
  const auto r = m.result(s, as_of_context{sys_days{2026y / June / 1}});
  REQUIRE(r.first.has_value());
  CHECK(*r.first == period{period_unit::month, 672});
  CHECK(*r.last == period{period_unit::month, 676});
  CHECK(r.active_tracked == 3);
  CHECK(r.tracked == 64);
  CHECK_FALSE(r.includes_later_events);
  // As of April: May's activity is included (a later event), the first period is still January.
  CHECK(m.result(s, as_of_context{sys_days{2026y / April / 1}}).includes_later_events);
  // As of December 2025: nothing yet.
  CHECK_FALSE(m.result(s, as_of_context{sys_days{2025y / December / 31}}).first.has_value());
  // An empty state is value-initialised.
  CHECK_FALSE(monthly::state{}.seen());
}

TEST_CASE("active_periods: the horizon: a shift towards the past, activity past the horizon kept in last") {
  const daily4 m;  // 4 days from the first
  // Days 10, 12, 15: first 10, bits offsets 0 and 2 = 0b0101 = 5; day 15 is offset 5 >= 4: past the horizon.
  auto s = fold(m, {day_n(10), day_n(12), day_n(15)});
  CHECK(s.first == 10);
  CHECK(s.bits == 5u);
  CHECK(s.last == 15);
  CHECK(s.past_horizon());
  // Day 8 arrives late: shift by 2: (5 << 2) | 1 = 21 = 0b10101, masked to 4 bits = 0b0101 = 5:
  // days 8 and 10 kept; day 12 (offset 4) leaves the horizon but stays covered by last = 15.
  m.on(s, obs(day_n(8)), no_context{});
  CHECK(s.first == 8);
  CHECK(s.bits == 5u);
  CHECK(s.last == 15);
  const auto h = s.history();
  CHECK(cxm::active_in(h, 8, 4) == std::optional<bool>(true));
  CHECK(cxm::active_in(h, 9, 4) == std::optional<bool>(false));
  CHECK(cxm::active_in(h, 11, 4) == std::optional<bool>(false));
  CHECK_FALSE(cxm::active_in(h, 12, 4).has_value());  // offset 4: not kept
  CHECK_FALSE(cxm::active_in(h, 14, 4).has_value());
  CHECK(cxm::active_in(h, 15, 4) == std::optional<bool>(true));   // the last period
  CHECK(cxm::active_in(h, 16, 4) == std::optional<bool>(false));  // after the last
  CHECK(cxm::active_in(h, 7, 4) == std::optional<bool>(false));   // before the first
  // A shift by the whole horizon or more empties the old bits: day 1 → days 1 only (8 is offset 7).
  m.on(s, obs(day_n(1)), no_context{});
  CHECK(s.first == 1);
  CHECK(s.bits == 1u);
  CHECK(s.last == 15);
}

TEST_CASE("active_periods: random events: out of order = sorted = brute force; k-way merges = one pass") {
  std::mt19937_64 rng(14);
  const timestamp from = sys_days{2024y / January / 1};
  for (int round = 0; round < 3; ++round) {
    auto events = random_events(rng, 4'000, 300, from, days{120});
    auto sorted = events;
    std::stable_sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.time < b.time; });
    const daily8 d;
    const monthly m;
    const auto whole_d = fold_all(d, sorted);
    const auto whole_m = fold_all(m, sorted);
    CHECK(fold_all(d, events) == whole_d);  // arrival order does not matter
    CHECK(fold_all(m, events) == whole_m);
    const auto bd = brute_periods<daily8>(events);
    const auto bm = brute_periods<monthly>(events);
    REQUIRE(bd.size() == whole_d.size());
    std::size_t differ = 0, past = 0;
    for (const auto& [id, s] : whole_d) {
      if (!(s.history() == brute_history(bd.at(id), 8))) ++differ;
      if (s.past_horizon()) ++past;
      if (!(whole_m.at(id).history() == brute_history(bm.at(id), 64))) ++differ;
    }
    CHECK(differ == 0);
    CHECK(past > 0);  // 120 days with an 8-day horizon: the overflow path is exercised
    // Split events at random (a customer may be in several parts), merge the parts in random order.
    for (std::size_t k : {2u, 3u, 7u}) {
      CAPTURE(k);
      std::vector<std::vector<raw_event>> parts(k);
      for (const auto& e : events) parts[rng() % k].push_back(e);
      std::vector<std::size_t> order(k);
      std::iota(order.begin(), order.end(), std::size_t{0});
      std::shuffle(order.begin(), order.end(), rng);
      std::map<std::uint64_t, daily8::state> merged;
      for (const auto i : order) {
        for (const auto& [id, s] : fold_all(d, parts[i])) d.merge(merged[id], s);
      }
      CHECK(merged == whole_d);
    }
    // Commutativity and the empty state as identity.
    auto ids = whole_d.begin();
    for (int i = 0; i < 50 && std::next(ids) != whole_d.end(); ++i, ++ids) {
      auto a = ids->second, b = std::next(ids)->second;
      auto ab = a, ba = b;
      d.merge(ab, b);
      d.merge(ba, a);
      CHECK(ab == ba);
      auto e = daily8::state{};
      d.merge(e, a);
      CHECK(e == a);
      d.merge(a, daily8::state{});
      CHECK(e == a);
    }
  }
}

TEST_CASE("active_periods: save -> load gives the same state; corrupted fields are format errors") {
  std::mt19937_64 rng(3);
  const daily4 d;
  const auto states = fold_all(d, random_events(rng, 500, 60, sys_days{2030y / January / 1}, days{20}));
  for (const auto& [id, s] : states) CHECK(load_state(d, save_state(d, s)) == s);
  CHECK(load_state(d, save_state(d, daily4::state{})) == daily4::state{});
  // Valid by hand: days 100 and 102 (bits 0b101), last 102.
  CHECK(load_state(d, raw_image(0b101, 100, 102)) == daily4::state{0b101, 100, 102});
  // Past the horizon: bits 0b1, last 200.
  CHECK(load_state(d, raw_image(0b1, 100, 200)).past_horizon());
  auto refused = [&](std::vector<std::byte> image, const char* message) {
    CHECK_THROWS_WITH_AS((void)load_state(d, image), message, cxm::format_error);
  };
  refused(raw_image(0b10001, 100, 104), "active_periods: bits set past the 4 tracked periods");
  refused(raw_image(0, 5, 0), "active_periods: periods without any activity");
  refused(raw_image(0, 0, 7), "active_periods: periods without any activity");
  refused(raw_image(0b110, 100, 102), "active_periods: the first period is not marked active");
  refused(raw_image(0b1, 100, 99), "active_periods: first period 100 is after the last 99");
  refused(raw_image(0b1, 100, 60'000), "active_periods: last period 60000 is past the representable range");
  refused(raw_image(0b101, 100, 101), "active_periods: a period after the last one is marked active");
  refused(raw_image(0b011, 100, 103), "active_periods: the last period is not marked active");
  // Truncated at every length.
  const auto image = raw_image(0b101, 100, 102);
  for (std::size_t n = 0; n < image.size(); ++n) {
    const std::vector<std::byte> cut(image.begin(), image.begin() + static_cast<std::ptrdiff_t>(n));
    CHECK_THROWS_AS((void)load_state(d, cut), cxm::format_error);
  }
}

TEST_CASE("active_periods: parameters are fixed by the type; a mismatch is a clear error") {
  monthly m;
  CHECK(cxm::parameter_list(m) == std::vector<std::pair<std::string, std::string>>{{"unit", "2"}, {"periods", "64"}});
  m.configure(cxm::kind_registry{});
  m.unit = period_unit::day;
  CHECK_THROWS_WITH_AS(m.configure(cxm::kind_registry{}), "metric 'active_periods': parameter 'unit' is 0, this type tracks month",
                       std::invalid_argument);
  daily8 d;
  d.periods = 9;
  CHECK_THROWS_WITH_AS(d.configure(cxm::kind_registry{}), "metric 'active_periods': parameter 'periods' is 9, this type tracks 8",
                       std::invalid_argument);
  // check_customer_periods refuses malformed input to the pure functions, naming the fault.
  CHECK_THROWS_WITH_AS(cxm::check_customer_periods({5, 0b1, 4}, 8, "x"), "x: first period 5 is after the last 4",
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(cxm::check_customer_periods({5, 0b1, 6}, 8, "x"), "x: the last period is not marked active",
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(cxm::check_customer_periods({5, 0b1, 6}, 0, "x"), "x: tracked periods must be 1 to 64, not 0",
                       std::invalid_argument);
  CHECK_THROWS_AS(cxm::check_customer_periods({std::numeric_limits<std::int64_t>::min(), 1, 0}, 8, "x"),
                  std::invalid_argument);
}

TEST_CASE("lifecycle: hand-worked months") {
  // Months 0 = Jan .. 4 = May (indices of 1970, for brevity). A: Jan, Feb, Apr; B: Feb; C: Mar, Apr.
  // as_of in May (current = 4).
  //   Jan: new A                                         → new 1
  //   Feb: new B; A active Jan and Feb                   → new 1, returning 1
  //   Mar: new C; A and B active Feb, not Mar            → new 1, dormant 2
  //   Apr: A active Apr, not Mar, before: resurrecting; C Mar and Apr: returning → 1, 1
  //   May (not complete): A and C active Apr, not May    → dormant 2
  const std::vector<cxm::customer_periods> customers{{0, 0b1011, 3}, {1, 0b1, 1}, {2, 0b11, 3}};
  const auto r = cxm::lifecycle_table(customers, 64, period{period_unit::month, 4});
  REQUIRE(r.periods.size() == 5);
  auto row = [&](std::size_t i, std::uint64_t n, std::uint64_t ret, std::uint64_t res, std::uint64_t dor) {
    CAPTURE(i);
    CHECK(r.periods[i].when == period{period_unit::month, static_cast<std::int64_t>(i)});
    CHECK(r.periods[i].new_customers == n);
    CHECK(r.periods[i].returning == ret);
    CHECK(r.periods[i].resurrecting == res);
    CHECK(r.periods[i].dormant == dor);
    CHECK(r.periods[i].untracked == 0);
    CHECK(r.periods[i].complete == (i < 4));
  };
  row(0, 1, 0, 0, 0);
  row(1, 1, 1, 0, 0);
  row(2, 1, 0, 0, 2);
  row(3, 0, 1, 1, 0);
  row(4, 0, 0, 0, 2);
  CHECK(r.periods[3].active() == 2);
  CHECK(r.customers == 3);
  CHECK(r.past_horizon == 0);
  CHECK_FALSE(r.includes_later_events);
  // As of March: April and May are not reported; A's and C's April activity is flagged as later.
  const auto march = cxm::lifecycle_table(customers, 64, period{period_unit::month, 2});
  CHECK(march.periods.size() == 3);
  CHECK(march.includes_later_events);
  // As of before any first activity: nothing, and the customers are counted as after as_of.
  const auto early = cxm::lifecycle_table(customers, 64, period{period_unit::month, -1});
  CHECK(early.periods.empty());
  CHECK(early.customers_after_as_of == 3);
}

TEST_CASE("lifecycle: past the horizon: unknown periods are untracked, the dormant period after the last is exact") {
  // Tracked 4 days; customer active days 0, 1, 6 (6 is past the horizon 0..3), as of day 9.
  //   day 0 new; 1 returning (0, 1); 2 dormant (1, not 2); 3: neither → nothing;
  //   day 4: p = 4 not kept (offset 4 < last 6) → untracked; 5 untracked; 6: p − 1 = 5 unknown → untracked;
  //   day 7 dormant (6 is the last activity); 8, 9 nothing.
  const std::vector<cxm::customer_periods> customers{{0, 0b11, 6}};
  const auto r = cxm::lifecycle_table(customers, 4, period{period_unit::day, 9});
  REQUIRE(r.periods.size() == 10);
  const std::vector<std::uint64_t> untracked{0, 0, 0, 0, 1, 1, 1, 0, 0, 0};
  const std::vector<std::uint64_t> dormant{0, 0, 1, 0, 0, 0, 0, 1, 0, 0};
  for (std::size_t i = 0; i < 10; ++i) {
    CAPTURE(i);
    CHECK(r.periods[i].untracked == untracked[i]);
    CHECK(r.periods[i].dormant == dormant[i]);
  }
  CHECK(r.periods[0].new_customers == 1);
  CHECK(r.periods[1].returning == 1);
  CHECK(r.past_horizon == 1);
}

TEST_CASE("lifecycle: random events against a brute-force recomputation, tracked 8 days and 64 months") {
  std::mt19937_64 rng(99);
  const timestamp from = sys_days{2024y / March / 1};
  for (int round = 0; round < 3; ++round) {
    const auto events = random_events(rng, 3'000, 250, from, days{200});
    const auto as_of = from + days{150};  // some activity is later than as_of
    {
      const auto states = fold_all(daily8{}, events);
      std::vector<cxm::customer_periods> table;
      for (const auto& [id, s] : states) table.push_back(s.history());
      const auto current = cxm::period_of(as_of, period_unit::day);
      const auto r = cxm::lifecycle_table(table, 8, current);
      const auto brute = brute_lifecycle(brute_periods<daily8>(events), 8, current);
      CHECK(r.periods == brute);
      CHECK(r.includes_later_events);
      std::uint64_t untracked = 0;
      for (const auto& p : r.periods) untracked += p.untracked;
      CHECK(untracked > 0);
    }
    {
      const auto states = fold_all(monthly{}, events);
      std::vector<cxm::customer_periods> table;
      for (const auto& [id, s] : states) table.push_back(s.history());
      const auto current = cxm::period_of(as_of, period_unit::month);
      const auto r = cxm::lifecycle_table(table, 64, current);
      CHECK(r.periods == brute_lifecycle(brute_periods<monthly>(events), 64, current));
      CHECK(r.periods.back().when == current);
      CHECK_FALSE(r.periods.back().complete);
    }
  }
}

TEST_CASE("lifecycle: through cxm::engine next to the defaults: one pass = shuffled = k-way merged; save/load") {
  cxm::test::stream_spec spec;
  spec.events = 6'000;
  spec.customers = 400;
  spec.host_kinds = 0;
  const auto events = cxm::test::random_stream(spec);
  const auto as_of = spec.to - days{40};
  lifecycle_engine whole;
  whole.add(events);
  auto shuffled_events = events;
  std::mt19937_64 rng(5);
  std::shuffle(shuffled_events.begin(), shuffled_events.end(), rng);
  lifecycle_engine shuffled;
  shuffled.add(shuffled_events);

  std::vector<raw_event> raw;
  for (const auto& e : events) raw.push_back({e.customer, e.time});
  const auto r = whole.report(as_of);
  CHECK(r.get<cxm::lifecycle>().periods ==
        brute_lifecycle(brute_periods<monthly>(raw), 64, cxm::period_of(as_of, period_unit::month)));
  CHECK(r.get<cxm::basic_lifecycle<daily8>>().periods ==
        brute_lifecycle(brute_periods<daily8>(raw), 8, cxm::period_of(as_of, period_unit::day)));
  CHECK(r.get<cxm::lifecycle>().customers + r.get<cxm::lifecycle>().customers_after_as_of == r.customers);
  CHECK(shuffled.report(as_of).get<cxm::lifecycle>().periods == r.get<cxm::lifecycle>().periods);
  CHECK(shuffled.report(as_of).get<cxm::basic_lifecycle<daily8>>().periods ==
        r.get<cxm::basic_lifecycle<daily8>>().periods);
  // The defaults still work beside them.
  CHECK(r.get<cxm::active_customers>().active > 0);

  // k-way split by event (customers on several sides: active_periods merges exactly anyway).
  for (std::size_t k : {2u, 5u}) {
    CAPTURE(k);
    std::vector<lifecycle_engine> parts(k);
    for (const auto& e : events) parts[rng() % k].add(e);
    std::vector<std::size_t> order(k);
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::shuffle(order.begin(), order.end(), rng);
    lifecycle_engine merged;
    for (const auto i : order) merged.merge(parts[i]);
    const auto m = merged.report(as_of);
    CHECK(m.customers_merged_from_both_sides > 0);
    CHECK(m.get<cxm::lifecycle>().periods == r.get<cxm::lifecycle>().periods);
    CHECK(m.get<cxm::basic_lifecycle<daily8>>().periods == r.get<cxm::basic_lifecycle<daily8>>().periods);
    std::size_t differ = 0;
    merged.for_each_customer([&](std::uint64_t id, const lifecycle_engine::customer_view& view) {
      if (!(view.state<daily8>() == whole.customer(id)->state<daily8>())) ++differ;
      if (!(view.state<monthly>() == whole.customer(id)->state<monthly>())) ++differ;
    });
    CHECK(differ == 0);
  }

  // save -> load -> equal; save -> load -> continue = never stopping.
  const auto loaded = cxm::io::load_state<lifecycle_engine>(cxm::io::save_state(whole));
  CHECK(loaded == whole);
  CHECK(loaded.report(as_of).get<cxm::lifecycle>().periods == r.get<cxm::lifecycle>().periods);
  lifecycle_engine first;
  const std::size_t cut = events.size() / 3;
  for (std::size_t i = 0; i < cut; ++i) first.add(events[i]);
  auto resumed = cxm::io::load_state<lifecycle_engine>(cxm::io::save_state(first));
  for (std::size_t i = cut; i < events.size(); ++i) resumed.add(events[i]);
  CHECK(resumed == whole);

  // An engine tracking weeks does not load a state that tracks months: the parameters differ.
  using weekly_engine = cxm::engine<std::uint64_t, cxm::metric_list<cxm::basic_lifecycle<cxm::basic_active_periods<period_unit::iso_week>>>,
                                    cxm::metric_list<cxm::basic_active_periods<period_unit::iso_week>>>;
  using monthly_engine = cxm::engine<std::uint64_t, cxm::metric_list<cxm::lifecycle>, cxm::metric_list<monthly>>;
  monthly_engine me;
  me.add(events.front());
  CHECK_THROWS_AS((void)cxm::io::load_state<weekly_engine>(cxm::io::save_state(me)), cxm::format_error);
}
