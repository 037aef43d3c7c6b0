// Tests for the shared fit (include/cxm/value/fit.hpp) on models whose maximum-likelihood estimates
// and information are known in closed form, and for CLV's DERT against the Pareto/NBD closed form of
// Fader, Hardie & Lee (2005b, eq. 2).

#include "cxm/value/fit.hpp"

#include <array>
#include <chrono>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <vector>

#include <boost/math/quadrature/exp_sinh.hpp>
#include <boost/math/special_functions/gamma.hpp>
#include <doctest/doctest.h>

#include "cxm/value/clv.hpp"
#include "cxm/value/pareto_nbd.hpp"

namespace {
// Exponential waiting times with rate λ: LL = n log λ − λ Σx, the MLE λ̂ = n / Σx, the observed
// information n / λ̂², so SE(λ̂) = λ̂ / √n.
const std::vector<double> waits{0.5, 1.2, 2.3, 0.7, 3.1, 1.9, 0.4, 2.2, 0.9, 1.6};  // Σ = 14.8, n = 10
double exponential_ll(const std::array<double, 1>& p, std::array<double, 1>& g) {
  const double sum = std::accumulate(waits.begin(), waits.end(), 0.0);
  g[0] = static_cast<double>(waits.size()) / p[0] - sum;
  return static_cast<double>(waits.size()) * std::log(p[0]) - p[0] * sum;
}
}  // namespace

TEST_CASE("maximize_likelihood: the closed-form estimate and standard error of an exponential rate") {
  const auto r = cxm::value::maximize_likelihood<1>("exponential", exponential_ll, {1.0}, 10.0);
  const double lambda = 10.0 / 14.8;  // 0.675675...
  CHECK(r.parameters[0] == doctest::Approx(lambda).epsilon(1e-7));
  CHECK(r.standard_errors[0] == doctest::Approx(lambda / std::sqrt(10.0)).epsilon(1e-5));
  CHECK(r.log_likelihood == doctest::Approx(10.0 * std::log(lambda) - 10.0).epsilon(1e-12));
  CHECK(r.converged);
  CHECK(r.hessian_positive_definite);
  // A warm start at the optimum passes the gradient test at once.
  const auto again = cxm::value::maximize_likelihood<1>("exponential", exponential_ll, r.parameters, 10.0);
  CHECK(again.evaluations == 1);
  CHECK(again.evaluations < r.evaluations);
}

TEST_CASE("maximize_likelihood: the L2 penalty of the lifetimes convention") {
  // f(λ) = −LL/W + c λ², W = 10: the minimum solves 1/λ − 1.48 − 2cλ = 0 → with c = 0.5:
  // λ² + 1.48 λ − 1 = 0 → λ = (−1.48 + √(1.48² + 4)) / 2 = 0.50399...
  cxm::value::fit_options options;
  options.l2_penalty = 0.5;
  const auto r = cxm::value::maximize_likelihood<1>("exponential", exponential_ll, {1.0}, 10.0, options);
  const double lambda = (-1.48 + std::sqrt(1.48 * 1.48 + 4.0)) / 2.0;
  CHECK(r.parameters[0] == doctest::Approx(lambda).epsilon(1e-7));
  // The reported log-likelihood is the plain sum; the objective carries the penalty.
  // (At the penalised optimum LL's slope is not 0: LL inherits λ's 1e-7 accuracy.)
  CHECK(r.log_likelihood == doctest::Approx(10.0 * std::log(lambda) - lambda * 14.8).epsilon(1e-7));
  const double p = r.parameters[0];
  CHECK(r.objective == doctest::Approx(-r.log_likelihood / 10.0 + 0.5 * p * p).epsilon(1e-12));
  options.l2_penalty = -1.0;
  CHECK_THROWS_AS((void)cxm::value::maximize_likelihood<1>("exponential", exponential_ll, {1.0}, 10.0, options),
                  std::invalid_argument);
}

TEST_CASE("maximize_likelihood: errors, never a NaN result") {
  CHECK_THROWS_AS((void)cxm::value::maximize_likelihood<1>("exponential", exponential_ll, {1.0}, 0.0), cxm::value::fit_error);
  CHECK_THROWS_AS((void)cxm::value::maximize_likelihood<1>("exponential", exponential_ll, {-1.0}, 10.0), std::invalid_argument);
  const auto nowhere = [](const std::array<double, 1>&, std::array<double, 1>& g) {
    g[0] = 0.0;
    return std::numeric_limits<double>::quiet_NaN();
  };
  CHECK_THROWS_AS((void)cxm::value::maximize_likelihood<1>("nowhere", nowhere, {1.0}, 10.0), cxm::value::fit_error);
}

namespace {
/// DERT of Pareto/NBD in closed form (Fader, Hardie & Lee 2005b, eq. 2), δ per model unit:
///   α^r β^s δ^(s−1) Γ(r+x+1) Ψ(s, s; δ(β+T)) / (Γ(r) (α+T)^(r+x+1) L(r, α, s, β | x, t_x, T)),
/// with Ψ(s, s; z) = U(s, s, z) = (1/Γ(s)) ∫₀^∞ e^(−zt) t^(s−1) (1+t)^(−1) dt (Tricomi's function).
double pareto_dert_closed_form(const cxm::value::pareto_nbd& m, const cxm::value::purchase_history& h, double delta) {
  const double z = delta * (m.beta + h.T);
  boost::math::quadrature::exp_sinh<double> integrator;
  const double u = integrator.integrate(
      [&](double t) { return t == 0.0 ? 0.0 : std::exp(-z * t + (m.s - 1.0) * std::log(t)) / (1.0 + t); }, 0.0,
      std::numeric_limits<double>::infinity(), 1e-12) /
      boost::math::tgamma(m.s);
  const double log_l = cxm::value::log_likelihood(m, h);
  const double log_value = m.r * std::log(m.alpha) + m.s * std::log(m.beta) + (m.s - 1.0) * std::log(delta) +
                           boost::math::lgamma(m.r + h.x + 1.0) - boost::math::lgamma(m.r) -
                           (m.r + h.x + 1.0) * std::log(m.alpha + h.T) - log_l;
  return std::exp(log_value) * u;
}
}  // namespace

TEST_CASE("dert: the quadrature of any model equals the Pareto/NBD closed form") {
  using namespace std::chrono;
  const cxm::value::pareto_nbd m{0.5534, 10.5802, 0.6061, 11.6562};  // CDNOW (REFERENCE.md)
  // 15 % a year, continuously compounded per week: δ = ln 1.15 · 604800 / 31556952.
  const auto rate = cxm::value::discount_rate<years>{0.15};
  const double delta = std::log(1.15) * 604'800.0 / 31'556'952.0;
  CHECK(cxm::value::continuous_rate(rate, weeks{1}) == doctest::Approx(delta).epsilon(1e-14));
  for (const cxm::value::purchase_history h : {cxm::value::purchase_history{0, 0, 38.86, 1}, {2, 30.43, 38.86, 1},
                                               {26, 30.86, 31, 1}, {1, 1.71, 38.86, 1}, {7, 20.0, 39.0, 1}}) {
    CAPTURE(h.x);
    CAPTURE(h.t_x);
    CHECK(cxm::value::dert(m, h, rate, weeks{1}) == doctest::Approx(pareto_dert_closed_form(m, h, delta)).epsilon(1e-7));
  }
}
