// Tests for cxm::analysis::reports_over_time (include/cxm/analysis/over_time.hpp): each period's
// report equals the report of a fresh engine fed only the events up to that period's end.

#include "cxm/analysis/over_time.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <random>
#include <vector>

#include <doctest/doctest.h>

#include "cxm/stream/engine.hpp"
#include "cxm/value/summary.hpp"

namespace {
using namespace std::chrono;
using summary_engine = cxm::engine<std::uint64_t, cxm::metric_list<cxm::value::btyd_summary>,
                                   cxm::metric_list<cxm::value::purchase_summary>>;
const cxm::timestamp t0 = sys_days{2025y / January / 1};
}  // namespace

TEST_CASE("reports_over_time: every month's report is the report of the stream up to its end") {
  std::mt19937_64 rng(3);
  std::vector<cxm::event<>> events;
  for (int i = 0; i < 4'000; ++i)
    events.push_back({1 + rng() % 200, t0 + minutes{static_cast<std::int64_t>(rng() % (200 * 24 * 60))},
                      cxm::event_kind::purchase, static_cast<double>(rng() % 5'000) / 100.0});
  std::sort(events.begin(), events.end(), [](const auto& a, const auto& b) { return a.time < b.time; });
  summary_engine e;
  const auto series = cxm::analysis::reports_over_time(e, events, cxm::period_unit::month);
  // 200 days from 2025-01-01: January .. July 2025 (July 19 is day 199).
  REQUIRE(series.size() == 7);
  std::uint64_t total = 0;
  for (std::size_t k = 0; k < series.size(); ++k) {
    const auto& s = series[k];
    CHECK(s.of == cxm::period{cxm::period_unit::month, 660 + static_cast<std::int64_t>(k)});  // 2025-01 = month 660
    const cxm::timestamp end = s.of.end() - milliseconds{1};
    summary_engine fresh;
    std::uint64_t in_period = 0;
    for (const auto& ev : events) {
      if (ev.time <= end) fresh.add(ev);
      if (cxm::period_of(ev.time, cxm::period_unit::month) == s.of) ++in_period;
    }
    const auto expected = fresh.report(end);
    CHECK(s.report.events == expected.events);
    CHECK(s.report.customers == expected.customers);
    CHECK_FALSE(s.report.includes_later_events);
    CHECK(s.report.get<cxm::value::btyd_summary>() == expected.get<cxm::value::btyd_summary>());
    CHECK(s.events == in_period);
    CHECK(s.late_after_report == 0);
    total += s.events;
  }
  CHECK(total == events.size());
}

TEST_CASE("reports_over_time: periods without events are reported; late events are counted where they belong") {
  summary_engine e;
  std::vector<cxm::event<>> events{
      {1, t0 + days{1}, cxm::event_kind::purchase, 10.0},    // January
      {2, t0 + days{70}, cxm::event_kind::purchase, 5.0},    // March (February has none)
      {3, t0 + days{20}, cxm::event_kind::purchase, 7.0},    // January again, late: after January's report
  };
  const auto series = cxm::analysis::reports_over_time(e, events, cxm::period_unit::month);
  REQUIRE(series.size() == 3);
  CHECK(series[0].report.customers == 1);
  CHECK(series[0].events == 2);             // both January events ...
  CHECK(series[0].late_after_report == 1);  // ... one of them after the report
  CHECK(series[1].events == 0);             // February: reported, no events
  CHECK(series[1].report.customers == 1);
  // March's report is taken at the end of the stream, after the late event: it counts customer 3.
  CHECK(series[2].report.customers == 3);
  CHECK(series[2].events == 1);
  // An event before the first one's period, before any report: the series starts there.
  summary_engine e2;
  std::vector<cxm::event<>> early{{1, t0 + days{40}, cxm::event_kind::purchase, 1.0}, {2, t0, cxm::event_kind::purchase, 1.0}};
  const auto s2 = cxm::analysis::reports_over_time(e2, early, cxm::period_unit::month);
  REQUIRE(s2.size() == 2);
  CHECK(s2[0].of.index == 660);
  CHECK(s2[0].events == 1);
  CHECK(s2[1].events == 1);
}

TEST_CASE("for_each_period_end: per-customer figures as of every week's end") {
  std::mt19937_64 rng(9);
  std::vector<cxm::event<>> events;
  for (int i = 0; i < 1'000; ++i)
    events.push_back({1 + rng() % 100, t0 + minutes{static_cast<std::int64_t>(rng() % (60 * 24 * 60))},
                      cxm::event_kind::purchase, 1.0});
  std::sort(events.begin(), events.end(), [](const auto& a, const auto& b) { return a.time < b.time; });
  summary_engine e;
  std::vector<std::pair<cxm::period, double>> repeat_sum;  // Σ x over the customers as of each week's end
  cxm::analysis::for_each_period_end(
      e, events, cxm::period_unit::iso_week, [](const auto& ev) { return ev.time; },
      [](summary_engine& en, const auto& ev) { en.add(ev); },
      [&](const summary_engine& en, const cxm::period& week) {
        double sum = 0;
        en.for_each_customer([&](std::uint64_t, const auto& view) {
          sum += view.template result<cxm::value::purchase_summary>(week.end() - milliseconds{1}).history.x;
        });
        repeat_sum.emplace_back(week, sum);
      });
  // 2025-01-01 is in ISO week 2025-W01; 60 days later (March 1) is in W09: 9 weeks.
  REQUIRE(repeat_sum.size() == 9);
  for (const auto& [week, sum] : repeat_sum) {
    summary_engine fresh;
    for (const auto& ev : events)
      if (ev.time < week.end()) fresh.add(ev);
    CHECK(sum == fresh.report(week.end() - milliseconds{1}).get<cxm::value::btyd_summary>().repeat_purchases);
  }
}
