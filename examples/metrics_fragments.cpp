// Code blocks of docs/metrics/ that need a little context to run: each block word for word (the pages
// name this file), then checks of what it computes, worked by hand or taken from the page.
//   churn-rate.md, "Composing them": the churn engine, on the page's worked example
//   engagement-vs-satisfaction.md: segmentation, "What each predicts" and "Over time"
//   retention.md, "In an engine" and "Without an engine"
//   rfm.md, "The report-time metric": the 10-customer table of tests/engagement/rfm.cpp
//   stickiness.md, "Using them in the engine" and "Stickiness series": the page's worked example
#include <cxm/analysis/over_time.hpp>
#include <cxm/analysis/segments.hpp>
#include <cxm/churn/churn_rate.hpp>
#include <cxm/churn/retention.hpp>
#include <cxm/engagement/advocacy.hpp>
#include <cxm/engagement/lifecycle.hpp>
#include <cxm/engagement/rfm.hpp>
#include <cxm/engagement/stickiness.hpp>
#include <cxm/engagement/stickiness_series.hpp>
#include <cxm/stream/engine.hpp>
#include <cxm/value/summary.hpp>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <iostream>
#include <map>
#include <optional>
#include <type_traits>
#include <vector>

using namespace std::chrono;

// The pages list a result's fields as statements (`r.frequency.breakpoints;  // {1, 1, 1.4, 2.2}`,
// `r.cell(5, 5, 4);`) and leave loop bodies to the reader (`for (... m : r.months) { /* ... */ }`);
// the checks after each block read the same fields.
#if defined(__GNUC__)
#pragma GCC diagnostic ignored "-Wunused-value"
#pragma GCC diagnostic ignored "-Wunused-result"
#pragma GCC diagnostic ignored "-Wunused-variable"
#elif defined(_MSC_VER)
#pragma warning(disable : 4189 4834)
#endif

namespace {
int failures = 0;
void expect(const char* what, bool ok) {
  std::cout << (ok ? "ok   " : "FAIL ") << what << '\n';
  if (!ok) ++failures;
}
bool near(std::optional<double> got, double want, double tolerance = 1e-12) {
  return got && std::abs(*got - want) <= tolerance;
}
cxm::event<> ev(std::uint64_t customer, cxm::timestamp t, cxm::event_kind kind, double value = 0.0) {
  return {customer, t, kind, value};
}

// churn-rate.md: 102 customers join in January 2026, 2 of them cancel in January; 5 of the remaining
// 100 cancel in February and 10 new customers join.
void churn_rate() {
  using churn_engine =
      cxm::engine<std::uint64_t,
                  cxm::metric_list<cxm::nps_answers, cxm::csat_answers, cxm::ces_answers, cxm::active_customers,
                                   cxm::contractual_churn, cxm::inactivity_churn>,
                  cxm::metric_list<cxm::spend, cxm::activity, cxm::satisfaction, cxm::cancellation>>;
  // report.get<cxm::contractual_churn>().periods[i].rate, report.get<cxm::inactivity_churn>().churned, ...
  churn_engine e;
  const cxm::timestamp jan = sys_days{2026y / January / 1}, feb = sys_days{2026y / February / 1};
  for (std::uint64_t c = 1; c <= 102; ++c) e.add(ev(c, jan + hours{c}, cxm::event_kind::signup));
  e.add(ev(101, jan + days{20}, cxm::event_kind::cancel));
  e.add(ev(102, jan + days{21}, cxm::event_kind::cancel));
  for (std::uint64_t c = 1; c <= 5; ++c) e.add(ev(c, feb + days{c}, cxm::event_kind::cancel));
  for (std::uint64_t c = 201; c <= 210; ++c) e.add(ev(c, feb + days{3}, cxm::event_kind::purchase, 10.0));
  const auto report = e.report(feb + days{19});
  const auto& periods = report.get<cxm::contractual_churn>().periods;
  expect("churn-rate.md: two months, January then February", periods.size() == 2);
  if (periods.size() != 2) return;
  expect("churn-rate.md: January has nobody at its start, so no rate; inclusive 2/102",
         !periods[0].rate && near(periods[0].joiner_inclusive_rate, 2.0 / 102));
  expect("churn-rate.md: February 5/100 = 5 %, inclusive 5/110",
         periods[1].active_at_start == 100 && periods[1].joined == 10 && near(periods[1].rate, 0.05) &&
             near(periods[1].joiner_inclusive_rate, 5.0 / 110));
  expect("churn-rate.md: nobody inactive for 90 days on February 20", report.get<cxm::inactivity_churn>().churned == 0);
  // As of May 1 the 97 customers last seen in January (6..100 signed up, 101 and 102 cancelled) have
  // been inactive for more than 90 days; 1..5 (cancelled February 2..6) and 201..210 have not.
  const auto may = e.report(sys_days{2026y / May / 1}).get<cxm::inactivity_churn>();
  expect("churn-rate.md: 97 of 112 inactive for 90 days on May 1", may.customers == 112 && may.churned == 97);
}

// The worked example of engagement-vs-satisfaction.md (the table of tests/analysis/segments.cpp).
std::vector<cxm::analysis::customer_profile> page_customers() {
  std::vector<cxm::analysis::customer_profile> out;
  const auto add = [&out](double engagement, std::optional<double> satisfaction, bool churned, double spend) {
    cxm::analysis::customer_profile c;
    c.engagement = engagement;
    c.satisfaction = satisfaction;
    c.churned = churned;
    c.spend = spend;
    out.push_back(c);
  };
  add(8, 5, false, 100);
  add(5, 4, false, 50);
  add(7, 2, true, 80);
  add(6, 3.9, false, 20);
  add(2, 4.5, false, 10);
  add(4.99, 4, true, 0);
  add(1, 1, true, 5);
  add(0, 3, true, 0);
  add(9, std::nullopt, false, 200);
  return out;
}

void segmentation() {
  const std::vector<cxm::analysis::customer_profile> customers = page_customers();
  struct customer_profile {
    double engagement = 0;               // finite; higher = more engaged
    std::optional<double> satisfaction;  // finite; empty = unsurveyed
    bool churned = false;                // retained = !churned
    double spend = 0;                    // finite
    bool referred = false;
    std::optional<int> nps_answer;       // 0..10
    std::optional<int> csat_answer;      // on the scale of parameters.csat_template
  };

  cxm::analysis::segmentation_parameters p;       // defaults: both thresholds at the median
  p.engagement = cxm::analysis::threshold::at(5);  // a fixed value...
  p.satisfaction = cxm::analysis::threshold::at_quantile(0.75);  // ...or a quantile of the data
  const cxm::analysis::segmentation r = cxm::analysis::segment_customers(customers, p);
  r[cxm::analysis::segment::loyal].churn_rate;    // std::optional<double>

  // The page's struct is the library's, member for member, with the same defaults.
  using lib = cxm::analysis::customer_profile;
  static_assert(std::is_same_v<decltype(customer_profile::engagement), decltype(lib::engagement)> &&
                std::is_same_v<decltype(customer_profile::satisfaction), decltype(lib::satisfaction)> &&
                std::is_same_v<decltype(customer_profile::churned), decltype(lib::churned)> &&
                std::is_same_v<decltype(customer_profile::spend), decltype(lib::spend)> &&
                std::is_same_v<decltype(customer_profile::referred), decltype(lib::referred)> &&
                std::is_same_v<decltype(customer_profile::nps_answer), decltype(lib::nps_answer)> &&
                std::is_same_v<decltype(customer_profile::csat_answer), decltype(lib::csat_answer)> &&
                sizeof(customer_profile) == sizeof(lib));
  const customer_profile page{};
  const lib library{};
  expect("engagement-vs-satisfaction.md: customer_profile's defaults are the library's",
         page.engagement == library.engagement && page.satisfaction == library.satisfaction &&
             page.churned == library.churned && page.spend == library.spend && page.referred == library.referred &&
             page.nps_answer == library.nps_answer && page.csat_answer == library.csat_answer);

  // Satisfaction of the 8 surveyed, sorted: 1 2 3 3.9 4 4 4.5 5; h = 7 · 0.75 = 5.25 → 4 + 0.25 · 0.5.
  expect("engagement-vs-satisfaction.md: thresholds 5 and the 75 % quantile 4.125",
         r.engagement_threshold == 5 && near(r.satisfaction_threshold, 4.125));
  // loyal (8, 5); spurious (5, 4), (7, 2) churned, (6, 3.9); latent (2, 4.5); at_risk (4.99, 4),
  // (1, 1), (0, 3), all churned; unsurveyed (9, —).
  using cxm::analysis::segment;
  expect("engagement-vs-satisfaction.md: loyal 1, churn rate 0",
         r[segment::loyal].customers == 1 && near(r[segment::loyal].churn_rate, 0));
  expect("engagement-vs-satisfaction.md: spurious 3, churn rate 1/3",
         r[segment::spurious].customers == 3 && near(r[segment::spurious].churn_rate, 1.0 / 3));
  expect("engagement-vs-satisfaction.md: latent 1, at_risk 3 all churned, unsurveyed 1",
         r[segment::latent].customers == 1 && r[segment::at_risk].customers == 3 &&
             near(r[segment::at_risk].churn_rate, 1) && r[segment::unsurveyed].customers == 1 && r.surveyed == 8);
}

void what_each_predicts() {
  const std::vector<cxm::analysis::customer_profile> customers = page_customers();
  std::vector<double> engagement;
  std::vector<std::optional<double>> satisfaction;
  std::vector<bool> churned;
  for (const auto& c : customers) {
    engagement.push_back(c.engagement);
    satisfaction.push_back(c.satisfaction);
    churned.push_back(c.churned);
  }
  auto p = cxm::analysis::predictive_comparison(engagement, satisfaction, churned);  // spans / vector<bool>
  auto q = cxm::analysis::predictive_comparison(customers);  // from customer_profile, outcome = churned
  p.engagement.auc; p.satisfaction.auc; p.combined.auc;      // each an auc_result with SE, interval and n

  // The 8 surveyed: churned engagement 7, 4.99, 1, 0 against retained 8, 5, 6, 2: 12 of the 16 pairs
  // have the churned customer lower (0.75); satisfaction 2, 4, 1, 3 against 5, 4, 3.9, 4.5: 14.5 of
  // 16 (one tie, 4 = 4). Combined mean ranks (of the negated measures) 4.5, 4.25, 7.5, 7 against 1,
  // 3.75, 4, 4: every pair (1).
  expect("engagement-vs-satisfaction.md: 8 customers used, 1 unsurveyed left out",
         p.customers == 8 && p.unsurveyed == 1 && q.customers == 8 && q.unsurveyed == 1);
  expect("engagement-vs-satisfaction.md: AUCs 0.75, 0.90625 and 1 (combined)",
         near(p.engagement.auc, 0.75) && near(p.satisfaction.auc, 0.90625) && near(p.combined.auc, 1));
  expect("engagement-vs-satisfaction.md: the profiles give the same AUCs",
         q.engagement.auc == p.engagement.auc && q.satisfaction.auc == p.satisfaction.auc &&
             q.combined.auc == p.combined.auc);
}

using summary_engine = cxm::engine<std::uint64_t, cxm::metric_list<cxm::value::btyd_summary>,
                                   cxm::metric_list<cxm::value::purchase_summary>>;

// Customer 1 buys on January 5 and February 10, customer 2 on April 3 2026: four months (March
// without events), each report as of its end.
void over_time() {
  const cxm::timestamp jan5 = sys_days{2026y / January / 5};
  const std::vector<cxm::event<>> events{ev(1, jan5, cxm::event_kind::purchase, 20),
                                         ev(1, sys_days{2026y / February / 10}, cxm::event_kind::purchase, 30),
                                         ev(2, sys_days{2026y / April / 3}, cxm::event_kind::purchase, 10)};
  std::vector<std::uint64_t> customers, repeats, in_period, late;
  summary_engine e;
  const auto series = cxm::analysis::reports_over_time(e, events, cxm::period_unit::month);
  for (const auto& month : series) {
    // month.of (the period), month.report (as of its last millisecond), month.events,
    // month.late_after_report
  }

  for (const auto& month : series) {
    customers.push_back(month.report.customers);
    repeats.push_back(month.report.get<cxm::value::btyd_summary>().repeat_purchases);
    in_period.push_back(month.events);
    late.push_back(month.late_after_report);
  }
  expect("engagement-vs-satisfaction.md: January .. April, March included",
         series.size() == 4 && series.front().of == cxm::period_of(jan5, cxm::period_unit::month));
  expect("engagement-vs-satisfaction.md: events 1, 1, 0, 1 and none late",
         in_period == std::vector<std::uint64_t>{1, 1, 0, 1} && late == std::vector<std::uint64_t>{0, 0, 0, 0});
  expect("engagement-vs-satisfaction.md: customers 1, 1, 1, 2; the repeat purchase from February on",
         customers == std::vector<std::uint64_t>{1, 1, 1, 2} && repeats == std::vector<std::uint64_t>{0, 1, 1, 1});
}

// retention.md's worked example with brackets [1, 3] and [4, 6], in months with an engine, in days
// without one.
void retention_in_an_engine() {
  const cxm::timestamp day0 = sys_days{2026y / January / 1};
  const cxm::timestamp as_of = sys_days{2026y / May / 15};
  // The same customers by month: A in January, February, April; B January; D January, March; C
  // February, March; as of May 15 (January .. April complete).
  const auto month = [&](int m) { return day0 + days{31 * m}; };
  std::vector<cxm::event<>> events;
  for (int m : {0, 1, 3}) events.push_back(ev(1, month(m), cxm::event_kind::visit));
  events.push_back(ev(2, month(0), cxm::event_kind::visit));
  for (int m : {0, 2}) events.push_back(ev(4, month(m), cxm::event_kind::visit));
  for (int m : {1, 2}) events.push_back(ev(3, month(m), cxm::event_kind::visit));
  using engine = cxm::engine<std::uint64_t,
      cxm::metric_list<cxm::nps_answers, cxm::csat_answers, cxm::ces_answers, cxm::active_customers,
                       cxm::cohort_retention, cxm::lifecycle>,
      cxm::metric_list<cxm::spend, cxm::activity, cxm::satisfaction, cxm::active_periods>>;
  engine e({}, cxm::metric_list{cxm::nps_answers{}, cxm::csat_answers{}, cxm::ces_answers{},
                                cxm::active_customers{}, cxm::cohort_retention{{1, 3, 4, 6}}, cxm::lifecycle{}},
           {});
  e.add(events);  // in any order, from any number of merged parts
  const auto report = e.report(as_of);
  const cxm::retention_table& table = report.get<cxm::cohort_retention>();
  const cxm::lifecycle_result& life = report.get<cxm::lifecycle>();
  expect("retention.md: two cohorts, of 3 and 1", table.cohorts.size() == 2 && table.cohorts[0].size == 3 &&
                                                      table.cohorts[1].size == 1);
  if (table.cohorts.size() != 2) return;
  const auto& c0 = table.cohorts[0];
  expect("retention.md: cohort January on 3, 1, 1, 1, then May not complete",
         c0.on[0] == 3u && c0.on[1] == 1u && c0.on[2] == 1u && c0.on[3] == 1u && !c0.on[4]);
  expect("retention.md: brackets [1, 3] (A and D) and [4, 6] (not complete)",
         c0.in_bracket.size() == 2 && c0.in_bracket[0] == 2u && !c0.in_bracket[1]);
  expect("retention.md: k = 1, simple mean 2/3, weighted 0.5",
         near(table.on_mean[1].simple, 2.0 / 3) && near(table.on_mean[1].weighted, 0.5));
  // January new 3; February new 1 (C), returning 1 (A), dormant 2 (B, D); March returning 1 (C),
  // resurrecting 1 (D), dormant 1 (A); April returning 0, resurrecting 1 (A), dormant 2 (C, D).
  expect("retention.md: lifecycle January .. May", life.periods.size() == 5);
  if (life.periods.size() != 5) return;
  const auto& feb = life.periods[1];
  const auto& apr = life.periods[3];
  expect("retention.md: February new 1, returning 1, dormant 2",
         life.periods[0].new_customers == 3 && feb.new_customers == 1 && feb.returning == 1 && feb.dormant == 2);
  expect("retention.md: April resurrecting 1, dormant 2; May not complete",
         apr.resurrecting == 1 && apr.dormant == 2 && apr.returning == 0 && !life.periods[4].complete);
}

// A active on days 0, 1, 3, B on 0, D on 0 and 2 (cohort day 0), C on 1 and 2 (cohort day 1), as of
// day 4 (days 0..3 complete).
void retention_without_an_engine() {
  const std::int64_t day0 = cxm::period_of(cxm::timestamp{sys_days{2026y / January / 1}}, cxm::period_unit::day).index;
  const std::int64_t today = day0 + 4;
  // {first, bits, last}: bit i = active on first + i.
  const std::vector<cxm::customer_periods> customers{
      {day0, 0b1011, day0 + 3}, {day0, 0b1, day0}, {day0, 0b101, day0 + 2}, {day0 + 1, 0b11, day0 + 2}};
  auto table = cxm::cohort_retention_table(customers, /*tracked*/ 8, cxm::period{cxm::period_unit::day, today},
                                           {{1, 3}, {4, 6}});
  auto life = cxm::lifecycle_table(customers, 8, cxm::period{cxm::period_unit::day, today});
  expect("retention.md: day cohorts of 3 and 1", table.cohorts.size() == 2 && table.customers == 4);
  if (table.cohorts.size() != 2) return;
  const auto& c1 = table.cohorts[1];
  expect("retention.md: cohort day 1 (C) on 1, 1, 0, then day 4 not complete",
         c1.on[0] == 1u && c1.on[1] == 1u && c1.on[2] == 0u && !c1.on[3]);
  expect("retention.md: [1, 3] 2 of cohort day 0, not complete for day 1",
         table.cohorts[0].in_bracket[0] == 2u && !c1.in_bracket[0]);
  expect("retention.md: lifecycle days 0 .. 4, day 4 open",
         life.periods.size() == 5 && !life.periods.back().complete && life.periods[1].returning == 1);
}

// rfm.md: the hand-worked 10-customer table of tests/engagement/rfm.cpp.
void rfm() {
  const cxm::timestamp as_of = sys_days{2026y / March / 1};
  struct row {
    std::uint64_t id;
    int days_before;
    std::vector<double> purchases;
  };
  const std::vector<row> rows{{1, 1, {100, 50, 50}}, {2, 2, {20}},  {3, 3, {30}},       {4, 5, {40, 40}},
                              {5, 8, {10}},          {6, 10, {}},   {7, 20, {100, 100, 100, 100, 100}},
                              {8, 30, {60}},         {9, 40, {5}},  {10, 60, {150, 150}}};
  std::vector<cxm::event<>> events;
  for (const auto& c : rows) {
    const cxm::timestamp t = as_of - days{c.days_before};
    if (c.purchases.empty()) events.push_back(ev(c.id, t, cxm::event_kind::visit));
    for (const double a : c.purchases) events.push_back(ev(c.id, t, cxm::event_kind::purchase, a));
  }
  using rfm_engine = cxm::engine<std::uint64_t,
                                 cxm::metric_list<cxm::nps_answers, cxm::csat_answers, cxm::ces_answers,
                                                  cxm::active_customers, cxm::rfm_scores>>;
  rfm_engine e({}, cxm::metric_list{cxm::nps_answers{}, cxm::csat_answers{}, cxm::ces_answers{},
                                    cxm::active_customers{}, cxm::rfm_scores{5}});
  e.add(events);  // in any order, from any number of merged parts
  const auto r = e.report(as_of).get<cxm::rfm_scores>();
  r.frequency.breakpoints;      // {1, 1, 1.4, 2.2}
  r.frequency.count_per_score;  // {6, 0, 0, 2, 2}
  r.cell(5, 5, 4);              // customers with R = 5, F = 5, M = 4
  // One customer's scores against the report's breakpoints:
  std::map<std::uint64_t, cxm::rfm_score> scores;
  e.for_each_customer([&](std::uint64_t id, const rfm_engine::customer_view& view) {
    const auto c = cxm::rfm_values_of(view.state<cxm::activity>(), view.state<cxm::spend>(), as_of);
    if (c.values) scores[id] = *cxm::score_rfm(r, *c.values);  // .r, .f, .m
  });

  // Frequencies sorted 0 1 1 1 1 1 2 2 3 5; h = 9p = 1.8, 3.6, 5.4, 7.2: 1, 1, 1 + 0.4, 2 + 0.2.
  const auto& b = r.frequency.breakpoints;
  expect("rfm.md: frequency breakpoints {1, 1, 1.4, 2.2}",
         b.size() == 4 && b[0] == 1 && b[1] == 1 && near(b[2], 1.4) && near(b[3], 2.2));
  expect("rfm.md: frequency counts {6, 0, 0, 2, 2}",
         r.frequency.count_per_score == std::vector<std::uint64_t>{6, 0, 0, 2, 2});
  // Customer 1: 1 day ago (R 5), 3 purchases (F 5), 200 spent (M 4: 68 < 200 <= 220); nobody else.
  expect("rfm.md: one customer in cell (5, 5, 4)", r.cell(5, 5, 4) == 1);
  const auto one = scores.find(1);
  expect("rfm.md: customer 1 scores (5, 5, 4), all 10 scored",
         scores.size() == 10 && one != scores.end() && one->second == cxm::rfm_score{5, 5, 4});
}

// stickiness.md's worked example: as of 2026-02-10 12:00, A active Jan 5, Jan 6, Feb 2, Feb 10 (20:00);
// B Jan 6; C Feb 3 and Feb 11. A refers a friend on Feb 2 (a day A is already active).
std::vector<cxm::event<>> stickiness_events() {
  const auto at = [](sys_days d, hours h = hours{9}) { return cxm::timestamp{d + h}; };
  return {ev(1, at(2026y / January / 5), cxm::event_kind::visit),
          ev(1, at(2026y / January / 6), cxm::event_kind::visit),
          ev(1, at(2026y / February / 2), cxm::event_kind::visit),
          ev(1, at(2026y / February / 2, hours{10}), cxm::event_kind::referral),
          ev(1, at(2026y / February / 10, hours{20}), cxm::event_kind::visit),
          ev(2, at(2026y / January / 6), cxm::event_kind::visit),
          ev(3, at(2026y / February / 3), cxm::event_kind::visit),
          ev(3, at(2026y / February / 11), cxm::event_kind::visit)};
}
const cxm::timestamp stickiness_as_of = sys_days{2026y / February / 10} + hours{12};

void stickiness() {
  const std::vector<cxm::event<>> events = stickiness_events();
  const cxm::timestamp as_of = stickiness_as_of;
  using my_engine = cxm::engine<std::uint64_t,
      cxm::metric_list<cxm::nps_answers, cxm::csat_answers, cxm::ces_answers, cxm::active_customers,
                       cxm::stickiness, cxm::advocacy, cxm::advocacy_per_period>,
      cxm::metric_list<cxm::spend, cxm::activity, cxm::satisfaction, cxm::recent_days>>;
  my_engine e;
  e.add(events);  // in any order, from any number of merged parts
  const auto r = e.report(as_of);
  r.get<cxm::stickiness>().current->dau_mau;   // std::optional<double>
  r.get<cxm::advocacy>().referrals.share;      // std::optional<double>

  const cxm::stickiness_result& st = r.get<cxm::stickiness>();
  // February: daily 1 on Feb 2, 3 and 10 over 10 days → DAU 0.3, MAU 2 (A, C); trailing 7 days
  // 0, 1, 2, 2, 2, 2, 2, 2, 1, 1 → WAU 1.5.
  expect("stickiness.md: February DAU/MAU 0.15, WAU/MAU 0.75",
         st.current && st.current->mau == 2 && near(st.current->dau_mau, 0.15) && near(st.current->wau_mau, 0.75));
  expect("stickiness.md: January DAU 3/31, MAU 2, WAU 15/31",
         st.previous && st.previous->mau == 2 && std::abs(st.previous->dau - 3.0 / 31) < 1e-12 &&
             std::abs(st.previous->wau - 15.0 / 31) < 1e-12);
  expect("stickiness.md: C counts in customers_after_as_of", st.customers_after_as_of == 1);
  // A referred: 1 of the 3 customers seen by as_of.
  expect("stickiness.md: referral share 1/3", near(r.get<cxm::advocacy>().referrals.share, 1.0 / 3));
}

void stickiness_series() {
  const std::vector<cxm::event<>> events = stickiness_events();
  const cxm::timestamp as_of = stickiness_as_of;
  using series_engine = cxm::engine<std::uint64_t,
      cxm::metric_list<cxm::nps_answers, cxm::csat_answers, cxm::ces_answers, cxm::active_customers,
                       cxm::stickiness_series>>;
  series_engine e;
  e.add(events);
  const auto r = e.report(as_of).get<cxm::stickiness_series>();
  for (const cxm::stickiness_month& m : r.months) { /* m.month, m.dau_mau, m.wau_mau, m.by_active_days */ }
  r.untracked_events;  // 0: every event up to as_of's day was counted

  // The same months as stickiness's, every trailing window known; C's Feb 11 is after as_of's day.
  expect("stickiness.md: the series has January and February", r.months.size() == 2);
  if (r.months.size() != 2) return;
  const auto& jan = r.months[0];
  const auto& feb = r.months[1];
  expect("stickiness.md: series January DAU/MAU 3/62, WAU/MAU 15/62, complete",
         jan.complete && near(jan.dau_mau, 3.0 / 62) && near(jan.wau_mau, 15.0 / 62));
  expect("stickiness.md: series February DAU/MAU 0.15, WAU/MAU 0.75 over 10 days",
         !feb.complete && feb.days == 10 && near(feb.dau_mau, 0.15) && near(feb.wau_mau, 0.75));
  expect("stickiness.md: A active 2 February days, C 1",
         feb.by_active_days.size() == 10 && feb.by_active_days[0] == 1 && feb.by_active_days[1] == 1);
  expect("stickiness.md: no untracked event", r.untracked_events == 0);
}
}  // namespace

int main() {
  churn_rate();
  segmentation();
  what_each_predicts();
  over_time();
  retention_in_an_engine();
  retention_without_an_engine();
  rfm();
  stickiness();
  stickiness_series();
  std::cout << (failures == 0 ? "every documented fragment holds\n" : "some fragments differ\n");
  return failures == 0 ? 0 : 1;
}
