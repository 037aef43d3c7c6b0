// Stickiness (engagement/stickiness.hpp): recent_days bitmaps by hand and out of order, a brute-force
// recomputation of DAU, MAU, WAU and the active-days histogram from raw random events (std::set of
// days per customer), shuffled = sorted, k-way merges in random order = one pass, save -> load,
// corrupted fields, all through cxm::engine composed next to the defaults.

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

#include "cxm/engagement/stickiness.hpp"
#include "cxm/io/state.hpp"
#include "cxm/stream/engine.hpp"
#include "cxm/stream/global_metrics.hpp"

namespace {

using namespace std::chrono;
using cxm::event_kind;
using cxm::timestamp;

using stick_engine =
    cxm::engine<std::uint64_t,
                cxm::metric_list<cxm::nps_answers, cxm::csat_answers, cxm::ces_answers, cxm::active_customers,
                                 cxm::stickiness>,
                cxm::metric_list<cxm::spend, cxm::activity, cxm::satisfaction, cxm::recent_days>>;

struct no_context {};

cxm::observation visit_at(timestamp t) { return {t, cxm::to_seconds32(t), event_kind::visit, 0.0, 0}; }
timestamp day_n(std::int64_t d) { return timestamp{days{d}}; }

cxm::recent_days::state fold_days(const std::vector<timestamp>& times) {
  const cxm::recent_days m;
  cxm::recent_days::state s{};
  for (const auto t : times) m.on(s, visit_at(t), no_context{});
  return s;
}

std::vector<std::byte> raw_image(std::uint64_t bits, std::uint32_t latest, std::uint32_t untracked) {
  cxm::io::writer w;
  w.u64(bits);
  w.u32(latest);
  w.u32(untracked);
  return std::move(w).bytes();
}
cxm::recent_days::state load_image(const std::vector<std::byte>& bytes) {
  cxm::io::reader r{bytes};
  auto s = cxm::recent_days{}.load(r, 1);
  r.expect_end("recent_days");
  return s;
}

/// Random visits (and other kinds) of `customers` customers over `span` days from `from`.
std::vector<cxm::event<>> random_visits(std::mt19937_64& rng, std::size_t n, std::uint64_t customers, timestamp from,
                                        std::int64_t span_days) {
  std::vector<cxm::event<>> out;
  const auto span_ms = static_cast<std::uint64_t>(span_days) * 86'400'000u;
  for (std::size_t i = 0; i < n; ++i) {
    cxm::event<> e;
    e.customer = 1 + rng() % customers;
    e.time = from + milliseconds{static_cast<std::int64_t>(rng() % span_ms)};
    e.kind = (rng() % 2) == 0 ? event_kind::visit : event_kind::interaction;
    e.value = 0.0;
    out.push_back(e);
  }
  return out;
}

/// The stickiness figures recomputed from raw events: each customer's known days are the active days
/// within [latest − 63, latest] (latest = the customer's latest active day), at or before as_of's day.
cxm::stickiness_result brute_stickiness(const std::vector<cxm::event<>>& events, timestamp as_of) {
  std::map<std::uint64_t, std::set<std::int64_t>> days_of;
  for (const auto& e : events) days_of[e.customer].insert(cxm::period_of(e.time, cxm::period_unit::day).index);
  const auto today = cxm::period_of(as_of, cxm::period_unit::day).index;
  const auto cur = cxm::period_of(as_of, cxm::period_unit::month);
  const auto prev = cur.previous();
  const auto day_index = [](timestamp t) { return cxm::period_of(t, cxm::period_unit::day).index; };
  const auto cur_start = day_index(cur.start()), prev_start = day_index(prev.start());
  const auto cur_end = day_index(cur.next().start()) - 1;
  cxm::stickiness_result r{};
  std::map<std::uint64_t, std::set<std::int64_t>> known;
  for (const auto& [id, set] : days_of) {
    const auto latest = *set.rbegin();
    if (latest > today) {
      ++r.customers_after_as_of;
      if (latest - 63 > prev_start) ++r.customers_with_unknown_days;
    }
    for (const auto d : set) {
      if (d >= latest - 63 && d <= today) known[id].insert(d);
    }
  }
  auto month = [&](cxm::period p, std::int64_t first, std::int64_t last, bool complete) {
    cxm::stickiness_month m{};
    m.month = p;
    m.days = static_cast<std::uint32_t>(last - first + 1);
    m.complete = complete;
    m.by_active_days.assign(m.days, 0);
    std::uint64_t dau_sum = 0, wau_sum = 0;
    for (auto d = first; d <= last; ++d) {
      std::uint64_t n = 0, w = 0;
      for (const auto& [id, set] : known) {
        if (set.count(d) != 0) ++n;
        if (set.lower_bound(d - 6) != set.end() && *set.lower_bound(d - 6) <= d) ++w;
      }
      m.daily.push_back(n);
      dau_sum += n;
      if (d - 6 >= today - 63) {  // the trailing 7 days lie within the 64 days ending at as_of's day
        wau_sum += w;
        ++m.wau_days;
      }
    }
    for (const auto& [id, set] : known) {
      const auto k = std::count_if(set.begin(), set.end(), [&](std::int64_t d) { return d >= first && d <= last; });
      if (k > 0) {
        ++m.mau;
        ++m.by_active_days[static_cast<std::size_t>(k - 1)];
      }
    }
    m.dau = static_cast<double>(dau_sum) / static_cast<double>(m.days);
    if (m.wau_days > 0) m.wau = static_cast<double>(wau_sum) / static_cast<double>(m.wau_days);
    if (m.mau > 0) {
      m.dau_mau = m.dau / static_cast<double>(m.mau);
      if (m.wau_days > 0) m.wau_mau = m.wau / static_cast<double>(m.mau);
    }
    return m;
  };
  r.current = month(cur, cur_start, today, today == cur_end);
  r.previous = month(prev, prev_start, cur_start - 1, true);
  return r;
}

void same_months(const cxm::stickiness_result& a, const cxm::stickiness_result& b) {
  CHECK(a.current == b.current);
  CHECK(a.previous == b.previous);
  CHECK(a.customers_after_as_of == b.customers_after_as_of);
  CHECK(a.customers_with_unknown_days == b.customers_with_unknown_days);
}

}  // namespace

TEST_CASE("recent_days: hand-worked bitmap, out of order, untracked events") {
  static_assert(sizeof(cxm::recent_days::state) == 16);  // u64 bitmap + u32 latest day + u32 untracked
  // Days 100, 98, 101, then 30 (older than 101 − 63 = 38: untracked), then 38 (just inside).
  // Bits relative to latest 101: 101 → bit 0, 100 → bit 1, 98 → bit 3, 38 → bit 63.
  const auto s = fold_days({day_n(100), day_n(98), day_n(101), day_n(30), day_n(38) + hours{23}});
  CHECK(s.latest == 101);
  CHECK(s.bits == (0b1011u | (std::uint64_t{1} << 63)));
  CHECK(s.untracked == 1);
  // A jump of 64 days or more clears the bitmap: only the new day is kept.
  const auto t = fold_days({day_n(100), day_n(164)});
  CHECK(t == cxm::recent_days::state{1u, 164, 0});
  // Sorted order places every day or drops it by the shift: the same bitmap, no untracked event.
  const auto sorted = fold_days({day_n(30), day_n(38), day_n(98), day_n(100), day_n(101)});
  CHECK(sorted.bits == s.bits);
  CHECK(sorted.latest == s.latest);
  CHECK(sorted.untracked == 0);
  // Merge: align on the later day and OR; untracked summed; commutative; empty state is the identity.
  const cxm::recent_days m;
  auto a = fold_days({day_n(98), day_n(101)}), b = fold_days({day_n(100), day_n(38), day_n(10)});
  auto ab = a, ba = b;
  m.merge(ab, b);
  m.merge(ba, a);
  CHECK(ab == ba);
  CHECK(ab.bits == s.bits);
  CHECK(ab.untracked == 1);
  auto e = cxm::recent_days::state{};
  m.merge(e, a);
  CHECK(e == a);
}

TEST_CASE("stickiness: hand-worked February and January 2026 through the engine") {
  stick_engine e;
  const timestamp jan = sys_days{2026y / January / 1}, feb = sys_days{2026y / February / 1};
  auto add = [&](std::uint64_t c, timestamp t) { e.add(cxm::event<>{c, t, event_kind::visit, 0.0}); };
  // A: Jan 5, Jan 6, Feb 2, Feb 10 20:00 (after as_of, same day: counts on Feb 10). B: Jan 6.
  // C: Feb 3, Feb 11 (a later day: ignored; C counts among customers_after_as_of).
  add(1, jan + days{4});
  add(1, jan + days{5});
  add(1, feb + days{1});
  add(1, feb + days{9} + hours{20});
  add(2, jan + days{5});
  add(3, feb + days{2});
  add(3, feb + days{10});
  const auto as_of = feb + days{9} + hours{12};
  const auto r = e.report(as_of).get<cxm::stickiness>();
  REQUIRE(r.current);
  REQUIRE(r.previous);
  const auto& f = *r.current;
  CHECK(f.month == cxm::period_of(feb, cxm::period_unit::month));
  CHECK(f.days == 10);
  CHECK_FALSE(f.complete);
  // Daily: Feb 2 A, Feb 3 C, Feb 10 A → 3 over 10 days: DAU 0.3; MAU 2 (A, C): DAU/MAU 0.15.
  CHECK(f.daily == std::vector<std::uint64_t>{0, 1, 1, 0, 0, 0, 0, 0, 0, 1});
  CHECK(f.dau == doctest::Approx(0.3));
  CHECK(f.mau == 2);
  CHECK(*f.dau_mau == doctest::Approx(0.15));
  // Trailing 7 days: Feb 1: 0; Feb 2: A; Feb 3 .. 8: A and C (6 days · 2); Feb 9: C; Feb 10: A.
  // Σ = 0 + 1 + 12 + 1 + 1 = 15 over 10 days → WAU 1.5; WAU/MAU 0.75.
  CHECK(f.wau == doctest::Approx(1.5));
  CHECK(f.wau_days == 10);
  CHECK(*f.wau_mau == doctest::Approx(0.75));
  // A active on 2 days, C on 1.
  std::vector<std::uint64_t> hist(10, 0);
  hist[0] = 1;
  hist[1] = 1;
  CHECK(f.by_active_days == hist);
  const auto& j = *r.previous;
  CHECK(j.days == 31);
  CHECK(j.complete);
  // Jan 5: A; Jan 6: A, B → Σ 3 over 31 days; MAU 2.
  CHECK(j.dau == doctest::Approx(3.0 / 31.0));
  CHECK(j.mau == 2);
  CHECK(*j.dau_mau == doctest::Approx(1.5 / 31.0));
  // Trailing 7 days: A in the windows ending Jan 5 .. 12 (8), B Jan 6 .. 12 (7): Σ 15 over 31 days.
  CHECK(j.wau == doctest::Approx(15.0 / 31.0));
  CHECK(j.wau_days == 31);
  std::vector<std::uint64_t> jhist(31, 0);
  jhist[0] = 1;
  jhist[1] = 1;
  CHECK(j.by_active_days == jhist);
  CHECK(r.customers_after_as_of == 1);       // C (Feb 11)
  CHECK(r.customers_with_unknown_days == 0);  // C's latest − 63 = Dec 10, before Jan 1
  CHECK(r.untracked_events == 0);
  // As of March 31: February's first day offsets are 31 + 27 .. 31: Feb 1's trailing 7 days reach
  // Jan 26, before the 64 days kept (Jan 27 .. Mar 31): Feb 1 is left out of WAU → 27 days.
  const auto late = e.report(sys_days{2026y / March / 31}).get<cxm::stickiness>();
  CHECK(late.current->complete);
  CHECK(late.current->mau == 0);
  CHECK_FALSE(late.current->dau_mau);
  CHECK_FALSE(late.current->wau_mau);
  CHECK(late.previous->wau_days == 27);
  CHECK(late.previous->mau == 2);  // A and C in February (C's Feb 11 now counts)
}

TEST_CASE("stickiness: random events = brute force; shuffled = sorted; k-way merges = one pass; save -> load") {
  std::mt19937_64 rng(14);
  const timestamp from = sys_days{2030y / March / 20};
  auto events = random_visits(rng, 4000, 300, from, 120);
  auto sorted = events;
  std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.time < b.time; });
  stick_engine whole, in_order;
  for (const auto& x : events) whole.add(x);
  for (const auto& x : sorted) in_order.add(x);
  const std::vector<timestamp> as_ofs{sys_days{2030y / April / 15}, sys_days{2030y / May / 31} + hours{23},
                                      sys_days{2030y / June / 10}, sys_days{2030y / July / 18} + hours{5},
                                      sys_days{2030y / August / 3}};
  std::uint64_t unknown = 0, after = 0;
  for (const auto as_of : as_ofs) {
    CAPTURE(as_of.time_since_epoch().count());
    const auto got = whole.report(as_of).get<cxm::stickiness>();
    same_months(got, brute_stickiness(events, as_of));
    same_months(in_order.report(as_of).get<cxm::stickiness>(), got);
    unknown += got.customers_with_unknown_days;
    after += got.customers_after_as_of;
  }
  CHECK(unknown > 0);  // the lost-days path is exercised
  CHECK(after > 0);
  CHECK(in_order.report(as_ofs.back()).get<cxm::stickiness>().untracked_events == 0);
  CHECK(whole.report(as_ofs.back()).get<cxm::stickiness>().untracked_events > 0);  // shuffled over 120 days
  // The bitmaps agree customer by customer whatever the order (untracked may not).
  std::size_t differ = 0;
  whole.for_each_customer([&](std::uint64_t id, const auto& view) {
    const auto& s = view.template state<cxm::recent_days>();
    const auto& t = in_order.customer(id)->template state<cxm::recent_days>();
    if (s.bits != t.bits || s.latest != t.latest) ++differ;
  });
  CHECK(differ == 0);
  // k-way split at random (a customer may be in several parts), merged in random order.
  for (std::size_t k : {2u, 3u, 5u}) {
    CAPTURE(k);
    std::vector<stick_engine> parts(k);
    for (const auto& x : events) parts[rng() % k].add(x);
    std::vector<std::size_t> order(k);
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::shuffle(order.begin(), order.end(), rng);
    stick_engine merged;
    for (const auto i : order) merged.merge(parts[i]);
    for (const auto as_of : as_ofs) same_months(merged.report(as_of).get<cxm::stickiness>(), whole.report(as_of).get<cxm::stickiness>());
  }
  // save -> load -> the same report, the same states.
  const auto image = cxm::io::save_state(whole);
  const auto loaded = cxm::io::load_state<stick_engine>(image);
  for (const auto as_of : as_ofs) CHECK(loaded.report(as_of).get<cxm::stickiness>() == whole.report(as_of).get<cxm::stickiness>());
  differ = 0;
  whole.for_each_customer([&](std::uint64_t id, const auto& view) {
    if (!(loaded.customer(id)->template state<cxm::recent_days>() == view.template state<cxm::recent_days>())) ++differ;
  });
  CHECK(differ == 0);
  // save -> load -> continue = one pass.
  auto first_half = std::vector<cxm::event<>>(events.begin(), events.begin() + 2000);
  stick_engine half;
  for (const auto& x : first_half) half.add(x);
  auto resumed = cxm::io::load_state<stick_engine>(cxm::io::save_state(half));
  for (auto it = events.begin() + 2000; it != events.end(); ++it) resumed.add(*it);
  for (const auto as_of : as_ofs) CHECK(resumed.report(as_of).get<cxm::stickiness>() == whole.report(as_of).get<cxm::stickiness>());
}

TEST_CASE("recent_days: save -> load; corrupted fields are format errors") {
  std::mt19937_64 rng(5);
  const cxm::recent_days m;
  for (int i = 0; i < 200; ++i) {
    std::vector<timestamp> times;
    for (int n = 0; n < 10; ++n) times.push_back(day_n(static_cast<std::int64_t>(rng() % 40'000)));
    const auto s = fold_days(times);
    cxm::io::writer w;
    m.save(s, w);
    CHECK(load_image(std::move(w).bytes()) == s);
  }
  CHECK(load_image(raw_image(0, 0, 0)) == cxm::recent_days::state{});
  CHECK(load_image(raw_image(0b101, 100, 3)) == cxm::recent_days::state{0b101, 100, 3});
  auto refused = [&](std::vector<std::byte> image, const char* message) {
    CHECK_THROWS_WITH_AS((void)load_image(image), message, cxm::format_error);
  };
  refused(raw_image(0, 5, 0), "recent_days: a latest day without any activity");
  refused(raw_image(0, 0, 2), "recent_days: untracked events without any activity");
  refused(raw_image(0b110, 100, 0), "recent_days: the latest day is not marked active");
  refused(raw_image(0b1, 60'000, 0), "recent_days: latest day 60000 is past the representable range");
  refused(raw_image(0b100001, 4, 0), "recent_days: a day before 1970-01-01 is marked active");
  const auto image = raw_image(0b101, 100, 0);
  for (std::size_t n = 0; n < image.size(); ++n) {
    const std::vector<std::byte> cut(image.begin(), image.begin() + static_cast<std::ptrdiff_t>(n));
    CHECK_THROWS_AS((void)load_image(cut), cxm::format_error);
  }
}
