// Engagement versus satisfaction on a synthetic event stream (data/synthetic_events.csv, written by
// data/make_synthetic_events.py: 2,000 customers drawn from four archetypes, 2024-01-01 .. 2025-12-31).
//
// The first 18 months are the calibration period: an engine folds them in, and as of 2025-06-30 each
// customer gets an engagement measure (the decayed engagement score) and a satisfaction measure (the
// mean CSAT answer; none = unsurveyed). The last 6 months are the holdout: a second engine over the
// whole stream tells who churned (cancelled, or no event at all after the calibration date). Then:
//   - the Dick & Basu segments (median thresholds) with their outcomes and the tests between them,
//   - which of the two measures predicts churn better (AUC with the Hanley-McNeil interval),
//   - contractual churn and cohort retention from the same calibration engine.
#include <cxm/analysis/segments.hpp>
#include <cxm/churn/churn_rate.hpp>
#include <cxm/churn/retention.hpp>
#include <cxm/engagement/active_periods.hpp>
#include <cxm/engagement/decayed_score.hpp>
#include <cxm/stream/default_metrics.hpp>
#include <cxm/stream/engine.hpp>

#include <array>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace {

using engine_type = cxm::engine<std::string,
                                cxm::metric_list<cxm::nps_answers, cxm::csat_answers, cxm::ces_answers,
                                                 cxm::active_customers, cxm::contractual_churn, cxm::cohort_retention>,
                                cxm::metric_list<cxm::spend, cxm::activity, cxm::satisfaction, cxm::decayed_engagement,
                                                 cxm::cancellation, cxm::active_periods>>;

struct row {  // one line of the CSV: customer,time_ms,kind,value
  std::string customer;
  std::int64_t time_ms = 0;
  cxm::event_kind kind = cxm::event_kind::visit;
  double value = 0;
};

std::optional<cxm::event_kind> kind_named(std::string_view name) {
  for (std::size_t k = 0; k < cxm::builtin_kind_count; ++k) {
    if (cxm::to_string(static_cast<cxm::event_kind>(k)) == name) return static_cast<cxm::event_kind>(k);
  }
  return std::nullopt;
}

std::string percent(const std::optional<double>& x) {
  if (!x) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f%%", 100 * *x);
  return buf;
}

}  // namespace

int main(int argc, char** argv) {
  std::ifstream in(argc > 1 ? argv[1] : "data/synthetic_events.csv");
  if (!in) {
    std::cerr << "cannot open synthetic_events.csv\n";
    return 1;
  }
  std::vector<row> rows;
  std::size_t bad_rows = 0;
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    const auto c1 = line.find(','), c2 = line.find(',', c1 + 1), c3 = line.find(',', c2 + 1);
    if (c3 == std::string::npos) { ++bad_rows; continue; }
    row r;
    r.customer = line.substr(0, c1);
    const auto kind = kind_named(std::string_view(line).substr(c2 + 1, c3 - c2 - 1));
    const char* t = line.data() + c1 + 1;
    const char* v = line.data() + c3 + 1;
    if (!kind || std::from_chars(t, line.data() + c2, r.time_ms).ec != std::errc{} ||
        std::from_chars(v, line.data() + line.size(), r.value).ec != std::errc{}) {
      ++bad_rows;
      continue;
    }
    r.kind = *kind;
    rows.push_back(std::move(r));
  }

  const cxm::projection as_event{[](const row& r) -> std::string_view { return r.customer; },
                                 [](const row& r) { return cxm::from_unix_ms(r.time_ms); },
                                 [](const row& r) { return r.kind; }, [](const row& r) { return r.value; }};
  const cxm::timestamp holdout_start = cxm::from_unix_ms(1'751'328'000'000);  // 2025-07-01T00:00:00Z
  const cxm::timestamp as_of = holdout_start - std::chrono::milliseconds{1};

  engine_type calibration, whole;
  std::vector<row> early;
  for (const auto& r : rows) {
    if (cxm::from_unix_ms(r.time_ms) < holdout_start) early.push_back(r);
  }
  calibration.add(early, as_event, cxm::skip_invalid{});
  whole.add(rows, as_event, cxm::skip_invalid{});
  const auto report = calibration.report(as_of);
  std::printf("events %zu (calibration %zu), customers %zu, rejected %llu, bad rows %zu\n", rows.size(), early.size(),
              report.customers, static_cast<unsigned long long>(report.rejected.total), bad_rows);
  std::printf("as of 2025-06-30: NPS %+.1f (n = %llu), CSAT %.1f%% satisfied (n = %llu)\n",
              report.get<cxm::nps_answers>().score, static_cast<unsigned long long>(report.get<cxm::nps_answers>().n),
              100 * report.get<cxm::csat_answers>().satisfied_share,
              static_cast<unsigned long long>(report.get<cxm::csat_answers>().n));

  // One profile per customer still a customer on 2025-06-30.
  std::vector<cxm::analysis::customer_profile> customers;
  calibration.for_each_customer([&](const std::string& id, const auto& view) {
    if (view.template result<cxm::cancellation>(as_of).first_cancel) return;  // already lost
    cxm::analysis::customer_profile p;
    p.engagement = view.template result<cxm::decayed_engagement>(as_of).score;
    const auto satisfaction = view.template result<cxm::satisfaction>(as_of);
    p.satisfaction = satisfaction.csat.mean;
    p.csat_answer = satisfaction.csat.latest;
    p.nps_answer = satisfaction.nps.latest;
    p.spend = view.template result<cxm::spend>(as_of).purchase_amount;
    p.referred = view.template result<cxm::activity>(as_of).events_by_kind[static_cast<std::size_t>(cxm::event_kind::referral)] > 0;
    // The outcome, from the whole stream: a cancel in the holdout, or no event after the calibration date.
    const auto later = whole.customer(id);
    const auto last = later->template result<cxm::activity>(cxm::latest_time).last_seen;
    p.churned = later->template result<cxm::cancellation>(cxm::latest_time).first_cancel.has_value() ||
                !last || *last < holdout_start;
    customers.push_back(p);
  });

  const auto seg = cxm::analysis::segment_customers(customers);
  std::printf("\n%zu customers at 2025-06-30 (%llu surveyed); engaged: score >= %.2f, satisfied: mean CSAT >= %.2f\n",
              customers.size(), static_cast<unsigned long long>(seg.surveyed), seg.engagement_threshold,
              seg.satisfaction_threshold.value_or(0.0));
  std::printf("%-11s %9s %7s %21s %11s %9s %7s %7s\n", "segment", "customers", "share", "churn [95% CI]",
              "mean spend", "referred", "NPS", "CSAT");
  for (const auto& s : seg.segments) {
    char churn[48] = "-";
    if (s.churn_rate) {
      std::snprintf(churn, sizeof churn, "%5.1f%% [%4.1f, %4.1f]", 100 * *s.churn_rate, 100 * s.churn_interval->lower,
                    100 * s.churn_interval->upper);
    }
    char nps[16] = "-", csat[16] = "-";
    if (s.nps) std::snprintf(nps, sizeof nps, "%+.0f", s.nps->score);
    if (s.csat) std::snprintf(csat, sizeof csat, "%.0f%%", 100 * s.csat->satisfied_share);
    std::printf("%-11s %9llu %7s %21s %11.2f %9s %7s %7s\n", std::string(cxm::analysis::to_string(s.which)).c_str(),
                static_cast<unsigned long long>(s.customers), percent(s.share).c_str(), churn, s.mean_spend.value_or(0.0),
                percent(s.referral_rate).c_str(), nps, csat);
  }
  if (const auto& t = seg.churn_tests.loyal_vs_spurious) {
    std::printf("churn, loyal - spurious: %+.1f points, z = %.2f, p = %.3g\n", 100 * t->difference, t->z.value_or(0.0),
                t->p_value.value_or(1.0));
  }
  if (const auto& t = seg.churn_tests.latent_vs_at_risk) {
    std::printf("churn, latent - at_risk: %+.1f points, z = %.2f, p = %.3g\n", 100 * t->difference, t->z.value_or(0.0),
                t->p_value.value_or(1.0));
  }
  if (const auto& x = seg.axes_independence) {
    std::printf("engaged x satisfied: chi2 = %.2f (p = %.3g), phi = %.3f\n", x->statistic, x->p_value, x->phi.value_or(0.0));
  }

  const auto predicts = cxm::analysis::predictive_comparison(customers);
  const auto print_auc = [](const char* name, const cxm::analysis::auc_result& a) {
    std::printf("  %-13s AUC %.3f [%.3f, %.3f]\n", name, a.auc.value_or(0.0), a.ci ? a.ci->lower : 0.0,
                a.ci ? a.ci->upper : 0.0);
  };
  std::printf("\nwhat predicts churn in the holdout (%zu surveyed customers, %zu churned):\n", predicts.customers,
              predicts.engagement.positives);
  print_auc("engagement", predicts.engagement);
  print_auc("satisfaction", predicts.satisfaction);
  print_auc("both (ranks)", predicts.combined);

  const auto& churn = report.get<cxm::contractual_churn>();
  if (churn.periods.size() >= 2) {
    const auto& last_full = churn.periods[churn.periods.size() - 2];
    std::printf("\ncontractual churn, last complete month: %s (%llu of %llu active at its start)\n",
                percent(last_full.rate).c_str(), static_cast<unsigned long long>(last_full.lost_from_start),
                static_cast<unsigned long long>(last_full.active_at_start));
  }
  const auto& retention = report.get<cxm::cohort_retention>();
  for (std::size_t k : {1u, 3u, 6u, 12u}) {
    if (k < retention.on_mean.size()) {
      std::printf("month-%zu retention, size-weighted mean over %llu cohorts: %s\n", k,
                  static_cast<unsigned long long>(retention.on_mean[k].cohorts),
                  percent(retention.on_mean[k].weighted).c_str());
    }
  }
}
