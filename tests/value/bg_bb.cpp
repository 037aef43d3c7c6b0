// Tests for the BG/BB model (include/cxm/value/bg_bb.hpp) against Fader, Hardie & Shang (2010) on the
// donations data (data/REFERENCE.md), and against independent computations: quadrature of the
// individual-level model over the beta mixing densities, and brute-force sums over all patterns.

#include "cxm/value/bg_bb.hpp"

#include <array>
#include <cmath>
#include <cstddef>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include <Eigen/Dense>
#include <boost/math/special_functions/beta.hpp>
#include <boost/math/quadrature/tanh_sinh.hpp>
#include <boost/math/special_functions/binomial.hpp>
#include <doctest/doctest.h>

#include "value/value_support.hpp"

#include "value/cdnow.hpp"

namespace {

using cxm::value::bg_bb;
using cxm::value::discrete_history;

#define BGBB_CHECK_NEAR(a, b, tol) \
  CHECK_MESSAGE(std::abs((a) - (b)) <= (tol), #a " = ", (a), ", expected ", (b), " within ", (tol))

using cxm_test::message_of;

std::vector<discrete_history> donation_patterns() {
  std::vector<discrete_history> out;
  for (const auto& d : cxm_test::donations()) out.push_back({d.x, d.t_x, d.n, d.weight});
  return out;
}

bg_bb with(const std::array<double, 4>& p) { return {p[0], p[1], p[2], p[3]}; }

/// E_{beta(a, b)}[u^i (1 − u)^j] by tanh-sinh quadrature (copes with the endpoint singularities of a
/// beta density with a shape below 1). Near u = 1 the density takes 1 − u from the quadrature's
/// complement `uc`: there u itself rounds to 1, where the density is infinite for b < 1 (Boost 1.74's
/// tanh_sinh samples that close; Boost.Math's pdf then throws an overflow error).
double beta_moment(double a, double b, double i, double j) {
  const double norm = boost::math::beta(a, b);
  boost::math::quadrature::tanh_sinh<double> integrator;
  return integrator.integrate(
      [&](double u, double uc) {
        const double v = u > 0.5 ? uc : 1 - u;  // 1 − u
        return std::pow(u, a - 1 + i) * std::pow(v, b - 1 + j) / norm;
      },
      0.0, 1.0);
}

/// FHS 2010's individual-level likelihood (p^x (1−p)^{n−x} (1−θ)^n + Σ_i p^x (1−p)^{t_x−x+i} θ (1−θ)^{t_x+i})
/// integrated over p ~ beta(α, β), θ ~ beta(γ, δ) by quadrature.
double likelihood_by_quadrature(const bg_bb& m, double x, double t_x, double n) {
  double l = beta_moment(m.alpha, m.beta, x, n - x) * beta_moment(m.gamma, m.delta, 0, n);
  for (double i = 0; i <= n - t_x - 1; ++i)
    l += beta_moment(m.alpha, m.beta, x, t_x - x + i) * beta_moment(m.gamma, m.delta, 1, t_x + i);
  return l;
}

constexpr bg_bb published{1.204, 0.750, 0.657, 2.783};  // FHS 2010, donations

}  // namespace

TEST_CASE("BG/BB fit on the donations reproduces Fader, Hardie & Shang 2010") {
  const auto patterns = donation_patterns();
  REQUIRE(patterns.size() == 22);
  const auto fit = cxm::value::fit_bg_bb(patterns);
  CHECK(fit.diagnostics.converged);
  BGBB_CHECK_NEAR(fit.model.alpha, 1.204, 0.015);
  BGBB_CHECK_NEAR(fit.model.beta, 0.750, 0.015);
  BGBB_CHECK_NEAR(fit.model.gamma, 0.657, 0.015);
  BGBB_CHECK_NEAR(fit.model.delta, 2.783, 0.015);
  BGBB_CHECK_NEAR(fit.diagnostics.log_likelihood, -33225.6, 0.1);
  CHECK(fit.diagnostics.hessian_positive_definite);

  SUBCASE("P(alive in 2002) = P(alive at opportunity n + 1 = 7), eq. 11") {
    BGBB_CHECK_NEAR(cxm::value::p_alive(fit.model, {0, 0, 6, 1}), 0.11, 0.015);
    BGBB_CHECK_NEAR(cxm::value::p_alive(fit.model, {2, 4, 6, 1}), 0.59, 0.015);
    BGBB_CHECK_NEAR(cxm::value::p_alive(fit.model, {6, 6, 6, 1}), 0.93, 0.015);
  }
}

TEST_CASE("BG/BB pattern likelihood (eq. 5) = quadrature of the individual-level model") {
  for (const auto& m : {published, bg_bb{0.4, 2.5, 3.0, 0.7}}) {
    for (const auto& h : {discrete_history{0, 0, 6, 1}, discrete_history{2, 4, 6, 1}, discrete_history{6, 6, 6, 1},
                          discrete_history{3, 9, 14, 1}, discrete_history{0, 0, 0, 1}}) {
      CAPTURE(h.x);
      CAPTURE(h.t_x);
      CAPTURE(h.n);
      const double expected = std::log(likelihood_by_quadrature(m, h.x, h.t_x, h.n));
      BGBB_CHECK_NEAR(cxm::value::log_likelihood(m, h), expected, 1e-9);
    }
  }
}

TEST_CASE("BG/BB: the likelihoods of every purchase sequence in n opportunities sum to 1") {
  // A pattern (x, t_x) with x ≥ 1 is shared by C(t_x − 1, x − 1) sequences; (0, 0) by one.
  for (const unsigned n : {0U, 1U, 6U, 15U}) {
    double total = std::exp(cxm::value::log_likelihood(published, discrete_history{0, 0, double(n), 1}));
    for (unsigned t_x = 1; t_x <= n; ++t_x)
      for (unsigned x = 1; x <= t_x; ++x)
        total += boost::math::binomial_coefficient<double>(t_x - 1, x - 1) *
                 std::exp(cxm::value::log_likelihood(published, discrete_history{double(x), double(t_x), double(n), 1}));
    CAPTURE(n);
    BGBB_CHECK_NEAR(total, 1.0, 1e-12);
  }
}

TEST_CASE("BG/BB P(X(n) = x) (eq. 8) sums to 1 with mean E[X(n)] (eq. 7)") {
  for (const auto& m : {published, bg_bb{0.4, 2.5, 3.0, 0.7}, bg_bb{2.0, 1.0, 1.0, 3.0}}) {
    for (const unsigned n : {1U, 6U, 20U}) {
      double total = 0, mean = 0;
      for (unsigned x = 0; x <= n; ++x) {
        const double p = cxm::value::purchase_probability(m, double(n), x);
        total += p;
        mean += x * p;
      }
      CAPTURE(n);
      CAPTURE(m.gamma);
      BGBB_CHECK_NEAR(total, 1.0, 1e-12);
      BGBB_CHECK_NEAR(cxm::value::expected_purchases(m, double(n)), mean, 1e-11);
      CHECK(cxm::value::purchase_probability(m, double(n), n + 1) == 0.0);
    }
  }
  // n = 1: a new customer transacts at opportunity 1 when alive and buying: α/(α+β) · δ/(γ+δ).
  BGBB_CHECK_NEAR(cxm::value::expected_purchases(published, 1.0), 1.204 / 1.954 * 2.783 / 3.44, 1e-14);
  BGBB_CHECK_NEAR(cxm::value::expected_purchases(published, 0.0), 0.0, 0.0);
}

TEST_CASE("BG/BB E[X(n, n + n*) | x, t_x, n] (eq. 13) and P(alive) (eq. 11) = quadrature of the posterior") {
  for (const auto& m : {published, bg_bb{0.4, 2.5, 3.0, 0.7}}) {
    for (const auto& h : {discrete_history{0, 0, 6, 1}, discrete_history{2, 4, 6, 1}, discrete_history{6, 6, 6, 1}}) {
      const double l = likelihood_by_quadrature(m, h.x, h.t_x, h.n);
      const double alive = beta_moment(m.alpha, m.beta, h.x, h.n - h.x) * beta_moment(m.gamma, m.delta, 0, h.n + 1) / l;
      for (const double n_star : {1.0, 5.0, 30.0}) {
        // Σ_{t=n+1}^{n+n*} E[p^{x+1} (1−p)^{n−x}] E[(1−θ)^t]: buys at t when alive through t.
        double numerator = 0;
        for (double t = h.n + 1; t <= h.n + n_star; ++t)
          numerator += beta_moment(m.alpha, m.beta, h.x + 1, h.n - h.x) * beta_moment(m.gamma, m.delta, 0, t);
        CAPTURE(h.x);
        CAPTURE(n_star);
        BGBB_CHECK_NEAR(cxm::value::expected_purchases(m, h, n_star), numerator / l, 1e-9);
      }
      BGBB_CHECK_NEAR(cxm::value::p_alive(m, h), alive, 1e-9);
    }
  }
}

TEST_CASE("BG/BB near gamma = 1 the closed form and the direct sum agree") {
  // δ/(γ−1)·[...] is 0/0 at γ = 1: the direct sum is used within 1e-4 of it; both sides must join.
  // The midpoint of the closed forms at 1 ± h misses the value at 1 by h² f''/2 ≈ 2e-8 (h = 1.5e-4).
  const discrete_history h{2, 4, 6, 1};
  for (const double n_star : {1.0, 10.0}) {
    const double below = cxm::value::expected_purchases(bg_bb{1.2, 0.75, 1.0 - 1.5e-4, 2.8}, h, n_star);
    const double at = cxm::value::expected_purchases(bg_bb{1.2, 0.75, 1.0, 2.8}, h, n_star);
    const double above = cxm::value::expected_purchases(bg_bb{1.2, 0.75, 1.0 + 1.5e-4, 2.8}, h, n_star);
    CAPTURE(n_star);
    BGBB_CHECK_NEAR(at, 0.5 * (below + above), 5e-8);
    CHECK(std::abs(above - below) < 1e-3 * at);
  }
}

TEST_CASE("BG/BB analytic gradient = central finite differences") {
  const auto patterns = donation_patterns();
  const std::span<const discrete_history> s(patterns);
  for (const auto& at : {std::array<double, 4>{1.204, 0.750, 0.657, 2.783}, std::array<double, 4>{0.3, 4.0, 2.0, 0.5},
                         std::array<double, 4>{5.0, 5.0, 5.0, 5.0}}) {
    const auto grad = cxm::value::log_likelihood_gradient(with(at), s);
    const auto fd = cxm_test::central_difference_gradient<4>([&](const auto& q) { return cxm::value::log_likelihood(with(q), s); }, at);
    for (std::size_t i = 0; i < 4; ++i) {
      const double numeric = fd[i];
      CAPTURE(i);
      CAPTURE(at[0]);
      BGBB_CHECK_NEAR(grad[i], numeric, 1e-5 * std::max(1.0, std::abs(numeric)));
    }
  }
}

TEST_CASE("BG/BB standard errors = inverse of a value-only finite-difference Hessian") {
  const auto patterns = donation_patterns();
  const std::span<const discrete_history> s(patterns);
  const auto fit = cxm::value::fit_bg_bb(patterns);
  REQUIRE(fit.diagnostics.hessian_positive_definite);
  const auto p = fit.diagnostics.parameters;
  const auto ll = [&](std::array<double, 4> q) { return cxm::value::log_likelihood(with(q), s); };
  const auto by_values = cxm_test::standard_errors_by_values<4>(ll, p);
  for (std::size_t i = 0; i < 4; ++i) {
    const double se = by_values[i];
    CAPTURE(i);
    BGBB_CHECK_NEAR(fit.diagnostics.standard_errors[i], se, 1e-3 * se);
  }
}

TEST_CASE("BG/BB fit on one row per donor = fit on the weighted patterns") {
  const auto patterns = donation_patterns();
  std::vector<discrete_history> donors;
  for (const auto& h : patterns)
    for (double k = 0; k < h.weight; ++k) donors.push_back({h.x, h.t_x, h.n, 1.0});
  REQUIRE(donors.size() == 11104);
  const auto a = cxm::value::fit_bg_bb(patterns);
  const auto b = cxm::value::fit_bg_bb(donors);
  for (std::size_t i = 0; i < 4; ++i) {
    BGBB_CHECK_NEAR(b.diagnostics.parameters[i], a.diagnostics.parameters[i], 1e-6);
    BGBB_CHECK_NEAR(b.diagnostics.standard_errors[i], a.diagnostics.standard_errors[i], 1e-6);
  }
  BGBB_CHECK_NEAR(b.diagnostics.log_likelihood, a.diagnostics.log_likelihood, 1e-6);
  // The plain sum over donors (no compression in log_likelihood's caller) is the weighted sum.
  BGBB_CHECK_NEAR(cxm::value::log_likelihood(a.model, std::span<const discrete_history>(donors)),
                  a.diagnostics.log_likelihood, 1e-6);
  // Half weights everywhere: same estimates, half the log-likelihood.
  auto halves = patterns;
  for (auto& h : halves) h.weight *= 0.5;
  const auto c = cxm::value::fit_bg_bb(halves);
  for (std::size_t i = 0; i < 4; ++i) BGBB_CHECK_NEAR(c.diagnostics.parameters[i], a.diagnostics.parameters[i], 1e-6);
  BGBB_CHECK_NEAR(c.diagnostics.log_likelihood, 0.5 * a.diagnostics.log_likelihood, 1e-6);
}

TEST_CASE("BG/BB warm start from a nearby fit: same optimum, fewer evaluations") {
  auto earlier = donation_patterns();
  earlier.front().weight -= 300;  // 300 fewer lapsed donors
  earlier.back().weight -= 100;
  const auto previous = cxm::value::fit_bg_bb(earlier);
  const auto cold = cxm::value::fit_bg_bb(donation_patterns());
  const auto warm = cxm::value::fit_bg_bb(donation_patterns(), {}, previous.model);
  for (std::size_t i = 0; i < 4; ++i) BGBB_CHECK_NEAR(warm.diagnostics.parameters[i], cold.diagnostics.parameters[i], 1e-5);
  CHECK(warm.diagnostics.evaluations < cold.diagnostics.evaluations);
}

TEST_CASE("BG/BB validates parameters, patterns and identifiability") {
  CHECK(message_of([] { (void)cxm::value::p_alive(bg_bb{1, 1, 0, 1}, {0, 0, 6, 1}); }) ==
        "bg_bb: gamma must be finite and > 0, got 0.000000");
  CHECK(message_of([] { (void)cxm::value::p_alive(bg_bb{1, 1, 1, INFINITY}, {0, 0, 6, 1}); }).find("delta must be") !=
        std::string::npos);
  CHECK(message_of([] { (void)cxm::value::log_likelihood(published, discrete_history{3, 2, 6, 1}); }) ==
        "discrete history 0: t_x must be >= x (x transactions need x opportunities up to t_x)");
  CHECK(message_of([] { (void)cxm::value::log_likelihood(published, discrete_history{1, 7, 6, 1}); }) ==
        "discrete history 0: t_x must be a whole number in [0, n]");
  CHECK(message_of([] { (void)cxm::value::log_likelihood(published, discrete_history{0, 1, 6, 1}); }) ==
        "discrete history 0: t_x must be 0 when x = 0");
  CHECK(message_of([] { (void)cxm::value::log_likelihood(published, discrete_history{1.5, 2, 6, 1}); }) ==
        "discrete history 0: x must be a whole number in [0, n]");
  CHECK(message_of([] { (void)cxm::value::log_likelihood(published, discrete_history{1, 2, 6, 0}); }) ==
        "discrete history 0: weight must be finite and > 0");
  const std::vector<discrete_history> bad{{0, 0, 6, 1}, {2, 2, 6.5, 1}};
  CHECK(message_of([&] { (void)cxm::value::fit_bg_bb(bad); }) == "discrete history 1: n must be a whole number >= 0");
  CHECK(message_of([] { (void)cxm::value::expected_purchases(published, 2.5); }) == "bg_bb: n must be a whole number >= 0");
  CHECK(message_of([] { (void)cxm::value::expected_purchases(published, {1, 1, 6, 1}, -1); }) ==
        "bg_bb: n_star must be a whole number >= 0");
  // Data that cannot identify the model.
  CHECK_THROWS_AS((void)cxm::value::fit_bg_bb(std::vector<discrete_history>{}), cxm::value::fit_error);
  const std::vector<discrete_history> never{{0, 0, 6, 10}, {0, 0, 4, 3}};
  CHECK(message_of([&] { (void)cxm::value::fit_bg_bb(never); }).find("no transactions") != std::string::npos);
  const std::vector<discrete_history> always{{6, 6, 6, 10}, {4, 4, 4, 3}};
  CHECK(message_of([&] { (void)cxm::value::fit_bg_bb(always); }).find("no missed opportunity") != std::string::npos);
  const std::vector<discrete_history> none{{0, 0, 0, 10}};
  CHECK(message_of([&] { (void)cxm::value::fit_bg_bb(none); }).find("every n = 0") != std::string::npos);
  CHECK_THROWS_AS((void)cxm::value::fit_bg_bb(donation_patterns(), {}, bg_bb{1, 1, -1, 1}), std::invalid_argument);
}
