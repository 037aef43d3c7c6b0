// The code blocks of docs/metrics/lifetime-value.md with the context they need (the page names this
// file), each checked: the summary of a hand-worked purchase list, the Pareto/NBD fit on
// data/cdnow_customers_summary.csv against data/REFERENCE.md and the page's formulas, and the CLV and
// DERT of a fitted customer recomputed from those formulas.
//   value_fragments <path to data/cdnow_customers_summary.csv>
#include <cxm/stream/engine.hpp>
#include <cxm/value/clv.hpp>         // cxm::value::clv, dert, discount_rate
#include <cxm/value/pareto_nbd.hpp>  // cxm::value::fit_pareto_nbd, p_alive, expected_purchases, ...
#include <cxm/value/summary.hpp>     // cxm::value::purchase_summary, btyd_summary

#include <chrono>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <functional>
#include <iostream>
#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

using namespace std::chrono;

namespace {
int failures = 0;
void expect(const char* what, bool ok) {
  std::cout << (ok ? "ok   " : "FAIL ") << what << '\n';
  if (!ok) ++failures;
}
bool near(double got, double want, double tolerance) { return std::abs(got - want) <= tolerance; }

// Composite Simpson's rule over [a, b] with n (even) intervals.
double simpson(const std::function<double(double)>& f, double a, double b, int n) {
  const double h = (b - a) / n;
  double sum = f(a) + f(b);
  for (int i = 1; i < n; ++i) sum += (i % 2 == 1 ? 4.0 : 2.0) * f(a + i * h);
  return sum * h / 3;
}

// "The summary, from the stream": customer 1 buys on 1997-01-01 (twice: one purchase day, 15 in all),
// 01-15 (20) and 02-12 (30), then in the holdout on 10-05 (7); customer 2 once, on 03-01 (12).
void summary_from_the_stream() {
  const cxm::timestamp as_of = sys_days{1997y / December / 31};
  const std::vector<cxm::event<>> purchases{
      {1, sys_days{1997y / January / 1} + hours{9}, cxm::event_kind::purchase, 10.0},
      {1, sys_days{1997y / January / 1} + hours{17}, cxm::event_kind::purchase, 5.0},
      {1, sys_days{1997y / January / 15}, cxm::event_kind::purchase, 20.0},
      {1, sys_days{1997y / February / 12}, cxm::event_kind::purchase, 30.0},
      {1, sys_days{1997y / October / 5}, cxm::event_kind::purchase, 7.0},
      {2, sys_days{1997y / March / 1}, cxm::event_kind::purchase, 12.0}};
  using clv_engine = cxm::engine<std::uint64_t, cxm::metric_list<cxm::value::btyd_summary>,
                                 cxm::metric_list<cxm::value::purchase_summary>>;
  clv_engine e(cxm::engine_config{}, {},
               cxm::metric_list{cxm::value::purchase_summary(cxm::period_unit::day, std::chrono::weeks{1})
                                    .calibration_until(std::chrono::sys_days{1997y / October / 1})});
  for (const auto& p : purchases) e.add(p);  // in any order (see below), from any number of parallel parts
  const auto summary = e.report(as_of).get<cxm::value::btyd_summary>();
  // summary.patterns: compressed (x, t_x, T) with weights, ready for fit_bg_nbd / fit_pareto_nbd
  // summary.spend: (x, m̄) of the repeat customers, ready for fit_gamma_gamma

  const auto& s = summary;
  // Customer 1: days 0, 14, 42 → x = 2, t_x = 42/7 = 6; T from day 0 to 1997-09-30 (day 272) = 272/7;
  // m̄ = (65 − 15)/2 = 25. Customer 2: x = 0, T = (272 − 59)/7.
  expect("lifetime-value.md: 2 customers, 1 repeater, Σx = 2, 1 holdout purchase",
         s.customers == 2 && s.repeaters == 1 && s.repeat_purchases == 2 && s.holdout_repeat_purchases == 1);
  bool histories_ok = s.histories.size() == 2;
  for (const auto& h : s.histories) {
    histories_ok = histories_ok && ((h.x == 2 && near(h.t_x, 6, 1e-12) && near(h.T, 272.0 / 7, 1e-12)) ||
                                    (h.x == 0 && h.t_x == 0 && near(h.T, 213.0 / 7, 1e-12)));
  }
  expect("lifetime-value.md: (x, t_x, T) = (2, 6, 272/7) and (0, 0, 213/7)", histories_ok && s.patterns.size() == 2);
  expect("lifetime-value.md: spend (x, m̄) = (2, 25)",
         s.spend.size() == 1 && s.spend[0].x == 2 && near(s.spend[0].mean_spend, 25, 1e-12));
}

std::vector<cxm::value::purchase_history> read_cdnow(const std::string& path) {
  std::vector<cxm::value::purchase_history> out;
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);  // ID,frequency,recency,T
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string id, x, t_x, T;
    if (std::getline(fields, id, ',') && std::getline(fields, x, ',') && std::getline(fields, t_x, ',') &&
        std::getline(fields, T, ',')) {
      out.push_back({std::stod(x), std::stod(t_x), std::stod(T), 1.0});
    }
  }
  return out;
}

// E[Y(t) | x, t_x, T] of Pareto/NBD (note 009, section 6, as the page writes it).
double page_expected_purchases(const cxm::value::pareto_nbd& m, const cxm::value::purchase_history& h, double t) {
  return cxm::value::p_alive(m, h) * (m.r + h.x) * (m.beta + h.T) / ((m.alpha + h.T) * (m.s - 1)) *
         (1 - std::pow((m.beta + h.T) / (m.beta + h.T + t), m.s - 1));
}

// "Pareto/NBD": the fit on the 2,357 CDNOW customers.
cxm::value::pareto_nbd pareto(const std::vector<cxm::value::purchase_history>& histories) {
// The header is included at the top of the file already: the page's #include line adds nothing here.
#include <cxm/value/pareto_nbd.hpp>
  using namespace cxm::value;
  const auto fit = fit_pareto_nbd(histories);          // compresses the patterns itself
  const pareto_nbd& m = fit.model;                      // {r, alpha, s, beta}
  double alive = p_alive(m, {26, 30.86, 31});           // P(alive at T | x, t_x, T)
  double next  = expected_purchases(m, {26, 30.86, 31}, 52.0);  // E[Y(52) | x, t_x, T]
  double mean  = expected_purchases(m, 39.0);           // E[X(39)], a new customer
  double p0    = purchase_probability(m, 39.0, 0);      // P(X(39) = 0)

  // data/REFERENCE.md: r, α, s, β = 0.553, 10.578, 0.606, 11.669 (tol 0.015); E[Y(52) | 26, 30.86, 31]
  // = 25.46 (tol 0.01); P(alive | 26, 30.86, 31) = 0.9979 at the published parameters (0.001).
  std::cout << "     r " << m.r << ", alpha " << m.alpha << ", s " << m.s << ", beta " << m.beta << '\n';
  expect("lifetime-value.md: the CDNOW fit has the published parameters",
         histories.size() == 2357 && near(m.r, 0.553, 0.015) && near(m.alpha, 10.578, 0.015) &&
             near(m.s, 0.606, 0.015) && near(m.beta, 11.669, 0.015));
  expect("lifetime-value.md: E[Y(52) | 26, 30.86, 31] = 25.46", near(next, 25.46, 0.01));
  expect("lifetime-value.md: P(alive | 26, 30.86, 31) = 0.998", near(alive, 0.9979, 0.002));
  // The page's formulas: E[X(t)] = rβ/(α(s−1))·[1 − (β/(β+t))^(s−1)], the E[Y(t) | ...] above, and
  // P(X(t) = 0) = (α/(α+t))^r (β/(β+t))^s + α^r β^s s ∫₀^t (α+τ)^−r (β+τ)^−(s+1) dτ.
  const double t = 39.0;
  const double page_mean = m.r * m.beta / (m.alpha * (m.s - 1)) * (1 - std::pow(m.beta / (m.beta + t), m.s - 1));
  const double died = std::pow(m.alpha, m.r) * std::pow(m.beta, m.s) * m.s *
                      simpson([&](double tau) { return std::pow(m.alpha + tau, -m.r) * std::pow(m.beta + tau, -(m.s + 1)); },
                              0.0, t, 2000);
  const double page_p0 = std::pow(m.alpha / (m.alpha + t), m.r) * std::pow(m.beta / (m.beta + t), m.s) + died;
  expect("lifetime-value.md: E[X(39)] is the page's closed form", near(mean, page_mean, 1e-10 * page_mean));
  expect("lifetime-value.md: E[Y(52) | ...] is the page's closed form",
         near(next, page_expected_purchases(m, {26, 30.86, 31, 1}, 52.0), 1e-9 * next));
  expect("lifetime-value.md: P(X(39) = 0) is the alive plus the died-before term", near(p0, page_p0, 1e-9));
  return m;
}

// "CLV and DERT, with units": the customer (26, 30.86, 31) of the fit, $35 a purchase.
void clv_and_dert(const cxm::value::pareto_nbd& model) {
  const cxm::value::purchase_history history{26, 30.86, 31, 1};
  const double expected_spend = 35.0;
  using namespace std::chrono;
  const double value = cxm::value::clv(model, history, expected_spend, /*margin*/ 0.3,
                                       months{12}, cxm::value::discount_rate<months>{0.01}, weeks{1});
  const double residual = cxm::value::dert(model, history, cxm::value::discount_rate<years>{0.15}, weeks{1});

  static_assert(!std::is_convertible_v<double, cxm::value::discount_rate<months>>,
                "a bare number is not a rate");
  // Twelve monthly steps: t_i = i · (2,629,746 s / 604,800 s) weeks, each ΔE[Y] discounted by 1.01^i.
  const double month_in_weeks = 2'629'746.0 / 604'800.0;
  double by_hand = 0, previous = 0;
  for (int i = 1; i <= 12; ++i) {
    const double e = page_expected_purchases(model, history, i * month_in_weeks);
    by_hand += (e - previous) / std::pow(1.01, i);
    previous = e;
  }
  by_hand *= 0.3 * expected_spend;
  std::cout << "     clv " << value << " (by hand " << by_hand << "), dert " << residual << '\n';
  expect("lifetime-value.md: CLV over 12 months is the monthly discounted cash flow",
         near(value, by_hand, 1e-9 * by_hand));
  // DERT = ∫₀^∞ e^(−u) E[Y(u/δ)] du, δ = ln 1.15 · (604,800 s / 31,556,952 s) per week; e^(−60) ends it.
  const double delta = std::log(1.15) * 604'800.0 / 31'556'952.0;
  const double dert_by_hand =
      simpson([&](double u) { return std::exp(-u) * page_expected_purchases(model, history, u / delta); }, 0.0, 60.0,
              20'000);
  expect("lifetime-value.md: DERT is the continuously discounted E[Y]", near(residual, dert_by_hand, 1e-6 * dert_by_hand));
}
}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: value_fragments <data/cdnow_customers_summary.csv>\n";
    return 2;
  }
  summary_from_the_stream();
  const auto histories = read_cdnow(argv[1]);
  const cxm::value::pareto_nbd model = pareto(histories);
  clv_and_dert(model);
  std::cout << (failures == 0 ? "every block of docs/metrics/lifetime-value.md holds\n" : "some blocks differ\n");
  return failures == 0 ? 0 : 1;
}
