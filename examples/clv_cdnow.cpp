// Customer lifetime value on the CDNOW cohort (data/CDNOW_master.txt: 69,659 purchases by 23,570
// customers, 1997-01-01 .. 1998-06-30): the engine keeps every customer's buy-till-you-die summary as
// the purchases arrive; BG/NBD, Pareto/NBD and Gamma-Gamma are fitted on the calibration period
// (to 1997-09-30, in weeks, same-day purchases merged), checked against the 39-week holdout (by
// calibration frequency, and the cohort's cumulative repeat purchases every 13 weeks), refitted
// incrementally (warm start), and the customers are ranked by CLV.
//
//   clv_cdnow data/CDNOW_master.txt
//
// docs/metrics/lifetime-value.md explains every figure printed here.

#include <algorithm>
#include <cmath>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "cxm/stream/engine.hpp"
#include "cxm/value/bg_nbd.hpp"
#include "cxm/value/clv.hpp"
#include "cxm/value/gamma_gamma.hpp"
#include "cxm/value/pareto_nbd.hpp"
#include "cxm/value/summary.hpp"
#include "cxm/value/tracking.hpp"

namespace {

using namespace std::chrono;
namespace value = cxm::value;

using clv_engine = cxm::engine<std::uint64_t, cxm::metric_list<value::btyd_summary>, cxm::metric_list<value::purchase_summary>>;

struct row {
  std::uint64_t customer;
  sys_days day;
  double dollars;
};

/// CDNOW_master.txt: a header line, then `customer_id YYYYMMDD number_of_cds dollar_value` (CRLF).
std::vector<row> read_cdnow(const char* path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(std::string("cannot open ") + path);
  std::string line;
  std::getline(in, line);
  std::vector<row> rows;
  std::size_t n = 1;
  const auto line_error = [&](const char* what) { return std::runtime_error(std::string(path) + ":" + std::to_string(n) + ": " + what); };
  while (std::getline(in, line)) {
    ++n;
    std::istringstream ss(line);
    std::uint64_t id = 0;
    int ymd = 0, cds = 0;
    double dollars = 0.0;
    if (!(ss >> id >> ymd >> cds >> dollars)) throw line_error("not a CDNOW row");
    const year_month_day d{year{ymd / 10000}, month{static_cast<unsigned>(ymd / 100 % 100)}, day{static_cast<unsigned>(ymd % 100)}};
    if (!d.ok()) throw line_error("not a date");
    rows.push_back({id, sys_days{d}, dollars});
  }
  return rows;
}

template <std::size_t N>
void print_parameters(const char* model, const char* const (&names)[N], const value::fit_outcome<N>& d, double ms) {
  std::printf("%-11s", model);
  for (std::size_t i = 0; i < N; ++i) std::printf(" %s %.4f (%.4f)", names[i], d.parameters[i], d.standard_errors[i]);
  std::printf("  LL %.1f, %d evaluations, %.1f ms\n", d.log_likelihood, d.evaluations, ms);
}

template <class F>
auto timed(F&& f, double& ms) {
  const auto t0 = steady_clock::now();
  auto r = f();
  ms = duration<double, std::milli>(steady_clock::now() - t0).count();
  return r;
}

}  // namespace

int main(int argc, char** argv) try {
  if (argc != 2) {
    std::cerr << "usage: clv_cdnow data/CDNOW_master.txt\n";
    return 2;
  }
  auto rows = read_cdnow(argv[1]);
  std::stable_sort(rows.begin(), rows.end(), [](const row& a, const row& b) { return a.day < b.day; });

  const sys_days calibration_end = 1997y / October / 1;
  const auto summary = value::purchase_summary(cxm::period_unit::day, weeks{1}).calibration_until(calibration_end);
  clv_engine e(cxm::engine_config{}, {}, cxm::metric_list{summary});

  // The incremental path: a first fit on the purchases to the end of August, then the rest of the
  // stream arrives and the models are refitted from the previous parameters.
  // On the way, the actual cumulative repeat purchases (days) every 13 weeks, for the tracking figure.
  const sys_days august_end = 1997y / September / 1;
  const sys_days first_day = 1997y / January / 1;
  std::optional<value::btyd_summary_result> early;
  std::vector<std::pair<int, std::uint64_t>> actual_cumulative;  // (week, repeat purchases to its end)
  int next_checkpoint = 13;
  const auto take_checkpoints = [&](sys_days before) {
    if (!early && before >= august_end) early = e.report(august_end - milliseconds{1}).get<value::btyd_summary>();
    while (next_checkpoint <= 78 && first_day + days{7 * next_checkpoint} <= before) {
      const auto c = e.report(first_day + days{7 * next_checkpoint} - milliseconds{1}).get<value::btyd_summary>();
      actual_cumulative.emplace_back(next_checkpoint, c.repeat_purchases + c.holdout_repeat_purchases);
      next_checkpoint += 13;
    }
  };
  for (const auto& r : rows) {
    take_checkpoints(r.day);
    e.add(cxm::event<>{r.customer, r.day, cxm::event_kind::purchase, r.dollars});
  }
  take_checkpoints(1998y / July / 1);
  const auto early_bg = value::fit_bg_nbd(early->patterns);
  const auto early_pnbd = value::fit_pareto_nbd(early->patterns);

  const sys_days holdout_end = 1998y / July / 1;
  const auto s = e.report(holdout_end - milliseconds{1}).get<value::btyd_summary>();
  std::printf("purchases %zu, customers %zu; calibration to 1997-09-30 (weeks): %llu customers, %llu repeaters, "
              "%llu repeat purchase days, %zu patterns; holdout repeat purchase days %llu\n",
              rows.size(), e.customers().size(), static_cast<unsigned long long>(s.customers),
              static_cast<unsigned long long>(s.repeaters), static_cast<unsigned long long>(s.repeat_purchases),
              s.patterns.size(), static_cast<unsigned long long>(s.holdout_repeat_purchases));

  double ms = 0.0;
  const auto bg = timed([&] { return value::fit_bg_nbd(s.patterns); }, ms);
  print_parameters("BG/NBD", {"r", "alpha", "a", "b"}, bg.diagnostics, ms);
  const auto pnbd = timed([&] { return value::fit_pareto_nbd(s.patterns); }, ms);
  print_parameters("Pareto/NBD", {"r", "alpha", "s", "beta"}, pnbd.diagnostics, ms);
  const auto gg = timed([&] { return value::fit_gamma_gamma(s.spend); }, ms);
  print_parameters("Gamma-Gamma", {"p", "q", "gamma"}, gg.diagnostics, ms);

  // Warm starts from the August fits reach the same optimum in fewer evaluations.
  const auto bg_warm = value::fit_bg_nbd(s.patterns, {}, early_bg.model);
  const auto pnbd_warm = value::fit_pareto_nbd(s.patterns, {}, early_pnbd.model);
  std::printf("incremental refit (warm start from the fit to 1997-08-31): BG/NBD %d evaluations (cold %d), "
              "LL %.1f (cold %.1f); Pareto/NBD %d (cold %d), LL %.1f (cold %.1f)\n",
              bg_warm.diagnostics.evaluations, bg.diagnostics.evaluations, bg_warm.diagnostics.log_likelihood,
              bg.diagnostics.log_likelihood, pnbd_warm.diagnostics.evaluations, pnbd.diagnostics.evaluations,
              pnbd_warm.diagnostics.log_likelihood, pnbd.diagnostics.log_likelihood);

  // The holdout: 39 weeks, 1997-10-01 .. 1998-06-30.
  const double holdout_weeks = 39.0;
  const auto by_x_bg = value::holdout_by_frequency(bg.model, s.histories, s.holdout_purchases, holdout_weeks);
  const auto by_x_pnbd = value::holdout_by_frequency(pnbd.model, s.histories, s.holdout_purchases, holdout_weeks);
  double actual = 0.0, expected_bg = 0.0, expected_pnbd = 0.0;
  std::printf("holdout by calibration frequency: x, customers, actual mean, BG/NBD, Pareto/NBD\n");
  for (std::size_t k = 0; k < by_x_bg.size(); ++k) {
    const auto& g = by_x_bg[k];
    actual += g.actual * g.customers;
    expected_bg += g.expected * g.customers;
    expected_pnbd += by_x_pnbd[k].expected * g.customers;
    std::printf("  %s%-2.0f %6.0f  %6.3f  %6.3f  %6.3f\n", k + 1 == by_x_bg.size() ? ">=" : "  ", g.x, g.customers,
                g.actual, g.expected, by_x_pnbd[k].expected);
  }
  std::printf("holdout repeat purchases: actual %.0f, BG/NBD %.0f, Pareto/NBD %.0f\n", actual, expected_bg, expected_pnbd);

  // Tracking: expected cumulative repeat purchases of the cohort, each customer's clock starting at
  // the first purchase (day b of 1997: T = (272 − b) / 7 weeks). The end of week k is the end of day
  // 7k − 1, i.e. (7k − 1 − b) / 7 weeks after day b: births at (b + 1) / 7.
  std::vector<value::cohort_births> births;
  {
    std::vector<double> per_day(273, 0.0);
    for (const auto& h : s.histories) per_day[static_cast<std::size_t>(272 - std::lround(h.T * 7.0))] += 1.0;
    for (std::size_t b = 0; b < per_day.size(); ++b)
      if (per_day[b] > 0) births.push_back({static_cast<double>(b + 1) / 7.0, per_day[b]});
  }
  const auto track_bg = value::expected_cumulative_repeats(bg.model, births, 78, 1.0);
  const auto track_pnbd = value::expected_cumulative_repeats(pnbd.model, births, 78, 1.0);
  std::printf("cumulative repeat purchases (week: actual, BG/NBD, Pareto/NBD; calibration to week 39):\n");
  for (const auto& [week, n] : actual_cumulative)
    std::printf("  week %2d: %6llu %8.0f %8.0f\n", week, static_cast<unsigned long long>(n),
                track_bg[static_cast<std::size_t>(week - 1)], track_pnbd[static_cast<std::size_t>(week - 1)]);

  // Customer value: 52 weeks ahead, 1 % a month, margin 30 %, spend from Gamma-Gamma (the population
  // mean for customers without repeat purchases). Ranked by the Pareto/NBD CLV.
  struct ranked {
    std::uint64_t id;
    value::purchase_summary_result r;
    double clv, alive, purchases;
  };
  std::vector<ranked> top;
  const auto as_of = holdout_end - milliseconds{1};
  e.for_each_customer([&](std::uint64_t id, const auto& view) {
    const auto r = view.template result<value::purchase_summary>(as_of);
    if (!r.active) return;
    const double spend = r.history.x > 0 && r.mean_repeat_amount > 0
                             ? value::expected_spend(gg.model, value::spend_history{r.history.x, r.mean_repeat_amount, 1.0})
                             : value::expected_spend(gg.model);
    const double v = value::clv(pnbd.model, r.history, spend, 0.3, weeks{52}, value::discount_rate<months>{0.01}, weeks{1});
    top.push_back({id, r, v, value::p_alive(pnbd.model, r.history), value::expected_purchases(pnbd.model, r.history, 52.0)});
  });
  std::sort(top.begin(), top.end(), [](const ranked& a, const ranked& b) { return a.clv > b.clv || (a.clv == b.clv && a.id < b.id); });
  double total = 0.0;
  for (const auto& t : top) total += t.clv;
  std::printf("CLV over 52 weeks (1 %% a month, margin 30 %%, Pareto/NBD + Gamma-Gamma, as of 1997-09-30): total $%.0f\n", total);
  std::printf("  customer     x    t_x      T  P(alive)  E[Y(52)]  CLV\n");
  for (std::size_t k = 0; k < std::min<std::size_t>(10, top.size()); ++k) {
    const auto& t = top[k];
    std::printf("  %8llu %5.0f %6.2f %6.2f  %8.3f  %8.2f  $%.2f\n", static_cast<unsigned long long>(t.id), t.r.history.x,
                t.r.history.t_x, t.r.history.T, t.alive, t.purchases, t.clv);
  }
  return 0;
} catch (const std::exception& ex) {
  std::cerr << "clv_cdnow: " << ex.what() << "\n";
  return 1;
}
