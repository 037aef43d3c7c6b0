// Short code blocks of the docs that need a little context to run: each block word for word (the
// docs name this file), then a check of what it computes.
//   docs/architecture.md, "Merging": one accumulator per thread, merged
//   docs/metrics/churn.md, "Lifetimes": a survival table and its Kaplan-Meier curves
//   the include lines of docs/metrics/churn.md, engagement-vs-satisfaction.md, retention.md and
//   stickiness.md (each header compiles here, and the example runs)
#include <cxm/churn/survival.hpp>
#include <cxm/churn/lifetimes.hpp>      // cxm::customer_lifetimes (report-time metric, id "lifetimes")
#include <cxm/analysis/survival_by.hpp> // cxm::analysis::survival_by, _by_satisfaction, _by_segment
#include <cxm/analysis/statistics.hpp> // pearson_correlation, spearman_correlation, average_ranks, auc,
                                       // hanley_mcneil_standard_error, two_proportion_z_test,
                                       // chi_squared_independence
#include <cxm/analysis/segments.hpp>   // customer_profile, segment_customers, classify, compare_churn,
                                       // linear_quantile, predictive_comparison
#include <cxm/engagement/active_periods.hpp>  // cxm::active_periods, basic_active_periods, customer_periods, active_in
#include <cxm/churn/retention.hpp>            // cxm::cohort_retention, cohort_retention_table, retention_builder
#include <cxm/engagement/lifecycle.hpp>       // cxm::lifecycle, lifecycle_table, lifecycle_builder
#include <cxm/engagement/stickiness.hpp>  // cxm::recent_days (per customer), cxm::stickiness (report-time)
#include <cxm/engagement/advocacy.hpp>    // cxm::advocacy (report-time), cxm::advocacy_per_period (global)
#include <cxm/survey/nps.hpp>

#include <cstddef>
#include <iostream>
#include <thread>
#include <vector>

namespace {
int failures = 0;
void expect(const char* what, bool ok) {
  std::cout << (ok ? "ok   " : "FAIL ") << what << '\n';
  if (!ok) ++failures;
}

void merge_per_thread() {
  const std::size_t threads = 4;
  const std::vector<std::vector<int>> answers{{10, 0}, {10, 8}, {10, 0}, {10, 8}};
  std::vector<cxm::nps> parts(threads);              // one per thread, no sharing
  {
    std::vector<std::jthread> workers;
    for (std::size_t i = 0; i < threads; ++i) {
      workers.emplace_back([&parts, &answers, i] { parts[i].add(answers[i]); });  // thread i's answers
    }
  }                                                  // joined here
  cxm::nps total;
  for (const cxm::nps& part : parts) total.merge(part);
  const cxm::nps_result r = total.result();
  // 4 promoters, 2 passives, 2 detractors: (4 - 2) / 8 = +25.
  expect("architecture.md: merged NPS of four threads is +25 over 8 answers", r.n == 8 && r.score == 25);
}

void survival_table() {
  cxm::survival_table table;                  // one curve
  table.add({30.0, true});                    // churned after 30 days
  table.add({45.0, false});                   // still a customer after 45 days
  table.add(60.0, true, 3);                   // three identical lifetimes
  const cxm::kaplan_meier_result km = table.result();           // 95% bands on log S
  const auto plain = cxm::kaplan_meier(table, {0.90, cxm::survival_band_type::plain});
  expect("churn.md: 5 lifetimes, 4 churned", km.subjects == 5 && km.events == 4);
  expect("churn.md: one row per distinct time (30, 45, 60)", km.rows.size() == 3);
  expect("churn.md: the default bands are 95% on log S", km.level == 0.95 && km.band == cxm::survival_band_type::log);
  expect("churn.md: the plain bands at 90%", plain.level == 0.90 && plain.band == cxm::survival_band_type::plain);
}
}  // namespace

int main() {
  merge_per_thread();
  survival_table();
  std::cout << (failures == 0 ? "every documented fragment holds\n" : "some fragments differ\n");
  return failures == 0 ? 0 : 1;
}
