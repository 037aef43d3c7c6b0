// Windows inside the engine: per_period<Metric, Unit> routes each answer to the bucket of its own
// event time, whatever the arrival order (include/cxm/stream/global_metrics.hpp).

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <ctime>
#include <map>
#include <stdexcept>
#include <string>

#include <doctest/doctest.h>

#include "cxm/stream/engine.hpp"
#include "cxm/stream/global_metrics.hpp"
#include "cxm/survey/csat.hpp"
#include "cxm/survey/nps.hpp"
#include "stream/stream_support.hpp"
#include "support/calendar.hpp"

namespace {

using namespace std::chrono;
using cxm::period_unit;

constexpr cxm::timestamp at(year_month_day d) { return sys_days{d}; }

using cxm::test::c_label;

}  // namespace

TEST_CASE("The engine routes answers to per-period windows by event time, in any arrival order") {
  using monthly_engine =
      cxm::engine<std::uint64_t,
                  cxm::metric_list<cxm::nps_answers, cxm::per_period<cxm::nps_answers, period_unit::month>,
                                   cxm::per_period<cxm::csat_answers, period_unit::iso_week>>>;
  cxm::test::stream_spec spec;
  spec.events = 20'000;
  spec.customers = 1'000;
  spec.host_kinds = 0;
  auto events = cxm::test::random_stream(spec);
  monthly_engine shuffled;
  shuffled.add(events);
  std::sort(events.begin(), events.end(), [](const auto& a, const auto& b) { return a.time < b.time; });
  monthly_engine sorted;
  sorted.add(events);
  cxm::test::same_engine(shuffled, sorted, spec.to);

  // The monthly window holds, per month label, the NPS answers of that month; the overall NPS their sum.
  std::map<std::string, cxm::nps> by_month;
  cxm::nps all;
  for (const auto& e : events) {
    if (e.kind != cxm::event_kind::nps_answer) continue;
    by_month[c_label(e.time, "%Y-%m")].add(static_cast<int>(e.value));
    all.add(static_cast<int>(e.value));
  }
  const auto& window = shuffled.global<cxm::per_period<cxm::nps_answers, period_unit::month>>();
  const auto r = shuffled.report(spec.to);
  const auto& months = r.get<cxm::per_period<cxm::nps_answers, period_unit::month>>();
  REQUIRE(months.periods.size() == by_month.size());
  auto expected = by_month.begin();
  for (const auto& p : months.periods) {
    CHECK(p.when.to_string() == expected->first);
    cxm::test::same_result(p.result, expected->second.result());
    ++expected;
  }
  cxm::test::same_result(r.get<cxm::nps_answers>(), all.result());
  // The last quarter of 2024, as a sliding window of 3 months as of December.
  cxm::nps q4;
  for (const auto* label : {"2024-10", "2024-11", "2024-12"}) q4.merge(by_month.at(label));
  CHECK(window.sliding(3, at(2024y / December / 31)) == q4);

  const auto& weeks = r.get<cxm::per_period<cxm::csat_answers, period_unit::iso_week>>();
  CHECK(weeks.periods.size() >= 52);
  CHECK(monthly_engine::composition() == "id=uint64;global=nps,nps/2,csat/1;customer=spend,activity,satisfaction");
  CHECK_FALSE(r.includes_later_events);

  // As of mid-June the report lists the months up to June only, and says that the cumulative NPS
  // (over every answer seen) includes later events.
  const auto june = shuffled.report(at(2024y / June / 15));
  CHECK(june.includes_later_events);
  const auto& to_june = june.get<cxm::per_period<cxm::nps_answers, period_unit::month>>();
  REQUIRE(to_june.periods.size() == 6);
  CHECK(to_june.periods.front().when.to_string() == "2024-01");
  CHECK(to_june.periods.back().when.to_string() == "2024-06");
  for (std::size_t i = 0; i < to_june.periods.size(); ++i) {
    CAPTURE(i);
    cxm::test::same_result(to_june.periods[i].result, months.periods[i].result);
  }
  cxm::test::same_result(june.get<cxm::nps_answers>(), all.result());
}

TEST_CASE("per_period takes the parameters of the metric it windows (a CSAT satisfied set on the registry's scale)") {
  using weekly = cxm::per_period<cxm::csat_answers, period_unit::iso_week>;
  using weekly_engine = cxm::engine<std::uint64_t, cxm::metric_list<weekly>>;
  cxm::engine_config c;
  c.kinds.set_scale(cxm::event_kind::csat_answer, {0, 10});
  weekly_engine e(c, cxm::metric_list{weekly{cxm::csat_answers{{9, 10}}}});
  CHECK(e.metric<weekly>().metric.scale == cxm::score_scale{0, 10});
  // Monday 2024-03-04 (ISO week 10): 10 and 3; Monday 2024-03-11 (week 11): 9.
  const cxm::timestamp week10 = at(2024y / March / 4), week11 = at(2024y / March / 11);
  e.add(cxm::event<>{1, week10, cxm::event_kind::csat_answer, 10});
  e.add(cxm::event<>{2, week10 + hours{30}, cxm::event_kind::csat_answer, 3});
  e.add(cxm::event<>{1, week11, cxm::event_kind::csat_answer, 9});
  const auto r = e.report(week11 + days{1});
  const auto& weeks = r.get<weekly>();
  REQUIRE(weeks.periods.size() == 2);
  CHECK(weeks.periods[0].when.to_string() == c_label(week10, "%G-W%V"));
  CHECK(weeks.periods[0].result.n == 2);
  CHECK(weeks.periods[0].result.satisfied == 1);  // 10 of {10, 3}
  CHECK(weeks.periods[1].result.n == 1);
  CHECK(weeks.periods[1].result.satisfied == 1);  // 9
  // The satisfied set is a parameter, checked against the registry's scale: 11 is off 0..10.
  CHECK_THROWS_AS((weekly_engine(c, cxm::metric_list{weekly{cxm::csat_answers{{10, 11}}}})), std::invalid_argument);
}
