// The code blocks of docs/metrics/satisfaction.md, each checked against the figures the page gives.
#include <cxm/survey/csat.hpp>      // cxm::csat, cxm::csat_result
#include <cxm/survey/ces.hpp>       // cxm::ces, cxm::ces_result
#include <cxm/survey/nps.hpp>       // cxm::nps, cxm::nps_result
#include <cxm/survey/intervals.hpp> // wilson_interval, mean_interval, wald_interval, adjusted_wald_interval, margin_of_error
#include <cxm/survey/compare.hpp>   // compare, fisher_exact
// <cxm/cxm.hpp> has the first three; survey/normal_intervals.hpp the intervals but mean_interval

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <iostream>
#include <string>
#include <vector>

namespace {
int failures = 0;
// Prints each figure next to the page's value and counts the ones further than `tolerance` from it.
void expect(const char* what, double got, double page, double tolerance = 5e-5) {
  const bool ok = std::abs(got - page) <= tolerance;
  std::cout << (ok ? "ok   " : "FAIL ") << what << ' ' << got << " (page: " << page << ")\n";
  if (!ok) ++failures;
}
}  // namespace

int main() {
  {
    cxm::csat survey;                                    // 1..5, satisfied = {4, 5}
    for (int s : {5, 4, 4, 3, 2, 5, 1, 4}) survey.add(s);
    const cxm::csat_result r = survey.result();          // satisfied = 5, satisfied_share = 0.625, mean = 3.5
    const cxm::interval share = cxm::wilson_interval(r, 0.95);   // [0.3057, 0.8632]
    const cxm::interval mean = cxm::mean_interval(r, 0.95, cxm::mean_interval_method::student_t);
                                                         // 3.5 ± 2.3646·1.4142/√8 = [2.3177, 4.6823]
    expect("csat satisfied", static_cast<double>(r.satisfied), 5);
    expect("csat satisfied_share", r.satisfied_share, 0.625);
    expect("csat mean", r.mean, 3.5);
    expect("csat wilson lower", share.lower, 0.3057);
    expect("csat wilson upper", share.upper, 0.8632);
    expect("csat mean lower", mean.lower, 2.3177);
    expect("csat mean upper", mean.upper, 4.6823);
  }
  {
    cxm::ces effort;                                     // 1..7, threshold 5
    for (int s : {7, 6, 5, 3, 6, 2}) effort.add(s);
    const cxm::ces_result e = effort.result();           // easy = 4, easy_share = 0.6667
    const cxm::interval easy = cxm::wilson_interval(e, 0.95);
    const cxm::interval mean_effort = cxm::mean_interval(e);   // Student t, 95 %
    expect("ces easy", static_cast<double>(e.easy), 4);
    expect("ces easy_share", e.easy_share, 0.6667);
    expect("ces wilson contains the share", easy.lower < e.easy_share && e.easy_share < easy.upper, 1);
    expect("ces mean interval centred", (mean_effort.lower + mean_effort.upper) / 2, e.mean, 1e-12);
  }
  {
    cxm::nps loyalty;
    loyalty.add(10);
    loyalty.add(9);
    loyalty.add(7);
    loyalty.add(3);
    const cxm::nps_result r = loyalty.result();          // promoters 2, passives 1, detractors 1
    // r.net = 0.5 - 0.25 = 0.25, r.score = 25
    // r.variance = 0.75 - 0.0625 = 0.6875, r.standard_error = √(0.6875/4) = 0.4146
    expect("nps promoters", static_cast<double>(r.promoters), 2);
    expect("nps passives", static_cast<double>(r.passives), 1);
    expect("nps detractors", static_cast<double>(r.detractors), 1);
    expect("nps net", r.net, 0.25);
    expect("nps score", r.score, 25);
    expect("nps variance", r.variance, 0.6875);
    expect("nps standard_error", r.standard_error, 0.4146);

    // r = loyalty.result(), from the NPS example above
    const double moe = cxm::margin_of_error(r, 0.95);                 // z·SE
    const cxm::interval wald = cxm::wald_interval(r, 0.95);           // net ± moe
    const cxm::interval adjusted = cxm::adjusted_wald_interval(r, 0.95);
    expect("nps margin of error", moe, 1.959964 * r.standard_error, 1e-5);
    expect("nps wald lower", wald.lower, std::max(-1.0, r.net - moe), 1e-12);  // clipped to -1..1
    expect("nps wald upper", wald.upper, std::min(1.0, r.net + moe), 1e-12);
    expect("nps adjusted within -1..1", adjusted.lower >= -1 && adjusted.upper <= 1, 1);
  }
  {
    cxm::csat before, after;
    for (int s : {5, 4, 4, 3, 2, 5, 1, 4}) before.add(s);   // 5 of 8 satisfied
    for (int s : {2, 3, 3, 1, 4, 2, 5, 3}) after.add(s);    // 2 of 8 satisfied
    const cxm::z_test z = cxm::compare(before.result(), after.result());
    // difference 0.375, standard_error 0.2480, z 1.512, p_value 0.1306
    const cxm::fisher_test f = cxm::fisher_exact(before.result(), after.result());
    // p_value 0.3147, odds_ratio 5
    expect("compare difference", z.difference, 0.375);
    expect("compare standard_error", z.standard_error, 0.2480);
    expect("compare z", z.z, 1.512, 5e-4);
    expect("compare p_value", z.p_value, 0.1306);
    expect("fisher p_value", f.p_value, 0.3147);
    expect("fisher odds_ratio", f.odds_ratio, 5);
  }
  {
    cxm::nps weighted;
    weighted.add(10, 2.0);   // a promoter standing for two customers
    weighted.add(0, 1.0);
    weighted.add(8, 1.0);
    const cxm::nps_result w = weighted.result();
    // total_weight 4, effective_n 16/6 = 2.667, net (2 − 1)/4 = 0.25, standard_error √(0.6875/2.667) = 0.5078
    expect("weighted total_weight", w.total_weight, 4);
    expect("weighted effective_n", w.effective_n, 16.0 / 6, 1e-12);
    expect("weighted net", w.net, 0.25);
    expect("weighted standard_error", w.standard_error, 0.5078);
  }
  {
    cxm::rejection_counts rejected;
    std::vector<std::string> kept;
    cxm::skip_invalid skip{rejected, [&](const cxm::rejection& why) { kept.push_back(why.message()); }};

    cxm::nps loyalty;
    loyalty.add(12, skip);          // false: skipped, kept[0] == "nps: score 12 is outside the scale 0..10"
    loyalty.add(9, -1.0, skip);     // false: weight_negative
    loyalty.add(8.5, skip);         // false: score_not_whole, never an 8
    loyalty.add(9, skip);           // true
    // rejected.total() == 3, rejected[cxm::rejection_reason::score_out_of_scale] == 1
    expect("kept[0] is the page's message", kept.at(0) == "nps: score 12 is outside the scale 0..10", 1);
    expect("rejected total", static_cast<double>(rejected.total()), 3);
    expect("rejected score_out_of_scale", static_cast<double>(rejected[cxm::rejection_reason::score_out_of_scale]), 1);
    expect("answers kept", static_cast<double>(loyalty.result().n), 1);

    std::vector<int> scores{9, 10, 3, 11, 7};
    cxm::nps all_or_nothing;
    try { all_or_nothing.add(scores); } catch (const cxm::invalid_event&) {}   // n stays 0
    cxm::nps partial;
    const std::size_t added = partial.add(scores, skip);                         // 4 folded in, 1 rejected
    expect("all_or_nothing n", static_cast<double>(all_or_nothing.result().n), 0);
    expect("partial added", static_cast<double>(added), 4);
    expect("rejected total after the batch", static_cast<double>(rejected.total()), 4);
  }
  {
    cxm::nps survey;
    for (int i = 0; i < 250; ++i) survey.add(10);
    for (int i = 0; i < 675; ++i) survey.add(8);
    for (int i = 0; i < 75; ++i) survey.add(3);
    const cxm::nps_result r = survey.result();
    const cxm::interval wald = cxm::wald_interval(r, 0.95);
    const cxm::interval adjusted = cxm::adjusted_wald_interval(r, 0.95);
    expect("published nps", r.score, 17.5);
    expect("wald lower", wald.lower, 0.141372, 1e-6);
    expect("wald upper", wald.upper, 0.208628, 1e-6);
    expect("adjusted inside -1..1", adjusted.lower > -1 && adjusted.upper < 1, 1);
  }
  std::cout << (failures == 0 ? "every figure of docs/metrics/satisfaction.md holds\n" : "some figures differ\n");
  return failures == 0 ? 0 : 1;
}
