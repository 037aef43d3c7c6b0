// Tests for the sBG retention model (include/cxm/value/sbg.hpp) against Fader & Hardie (2007, "How to
// project customer retention", Table 1 data, fitted on years 0–7) and independent computations:
// quadrature over the beta density of θ, brute-force sums, Boost's ₂F₁.

#include "cxm/value/sbg.hpp"

#include <array>
#include <cmath>
#include <cstddef>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include <Eigen/Dense>
#include <boost/math/quadrature/tanh_sinh.hpp>
#include <boost/math/special_functions/hypergeometric_pFq.hpp>
#include <doctest/doctest.h>

#include "value/value_support.hpp"

namespace {

using cxm::value::sbg;

#define SBG_CHECK_NEAR(a, b, tol) \
  CHECK_MESSAGE(std::abs((a) - (b)) <= (tol), #a " = ", (a), ", expected ", (b), " within ", (tol))

using cxm_test::message_of;

// FH 2007 Table 1: customers of a cohort of 1,000 still active at the start of years 0..12.
const std::vector<double> regular{1000, 631, 468, 382, 326, 289, 262, 241, 223, 207, 194, 183, 173};
const std::vector<double> high_end{1000, 869, 743, 653, 593, 551, 517, 491, 468, 445, 427, 409, 394};

std::span<const double> first_years(const std::vector<double>& alive, std::size_t years) {
  return std::span<const double>(alive).first(years + 1);
}

}  // namespace

TEST_CASE("sBG fit on years 0-7 reproduces Fader & Hardie 2007 for both segments") {
  // FH 2007: regular α = 0.704, β = 1.182, LL = −1,680.3; high end α = 0.668, β = 3.806, LL = −1,611.2.
  const auto r = cxm::value::fit_sbg(first_years(regular, 7));
  CHECK(r.diagnostics.converged);
  SBG_CHECK_NEAR(r.model.alpha, 0.704, 0.015);
  SBG_CHECK_NEAR(r.model.beta, 1.182, 0.015);
  SBG_CHECK_NEAR(r.diagnostics.log_likelihood, -1680.3, 0.1);
  const auto h = cxm::value::fit_sbg(first_years(high_end, 7));
  CHECK(h.diagnostics.converged);
  SBG_CHECK_NEAR(h.model.alpha, 0.668, 0.015);
  SBG_CHECK_NEAR(h.model.beta, 3.806, 0.015);
  SBG_CHECK_NEAR(h.diagnostics.log_likelihood, -1611.2, 0.1);

  SUBCASE("projected survival for years 8..12, in % of the cohort") {
    // Computed with this fit (the same figures as the high-end example of jdmaturen's
    // shifted_beta_geometric_py README: 0.460, 0.436, 0.414, 0.395, 0.378); each must also be the
    // product of the retention rates and stay within 1.7 points of the actual (FH 2007's point: the
    // sBG projection tracks the held-out years 8..12).
    const std::array<double, 5> regular_projection{22.0, 20.4, 19.1, 18.0, 17.0};
    const std::array<double, 5> high_end_projection{46.0, 43.6, 41.4, 39.5, 37.8};
    for (std::size_t i = 0; i < 5; ++i) {
      const double t = static_cast<double>(8 + i);
      CAPTURE(t);
      const double sr = 100 * cxm::value::survival(r.model, t), sh = 100 * cxm::value::survival(h.model, t);
      SBG_CHECK_NEAR(sr, regular_projection[i], 0.05);
      SBG_CHECK_NEAR(sh, high_end_projection[i], 0.05);
      SBG_CHECK_NEAR(sr, regular[8 + i] / 10, 1.7);
      SBG_CHECK_NEAR(sh, high_end[8 + i] / 10, 1.7);
      double product_r = 100, product_h = 100;
      for (double s = 1; s <= t; ++s) {
        product_r *= cxm::value::retention_rate(r.model, s);
        product_h *= cxm::value::retention_rate(h.model, s);
      }
      SBG_CHECK_NEAR(sr, product_r, 1e-10);
      SBG_CHECK_NEAR(sh, product_h, 1e-10);
    }
  }
}

TEST_CASE("sBG P(T = t) and S(t) = quadrature over the beta density of theta") {
  // P(T = t | θ) = θ (1 − θ)^{t−1}, S(t | θ) = (1 − θ)^t (the individual level of FH 2007), θ ~ beta(α, β).
  for (const auto& m : {sbg{0.704, 1.182}, sbg{0.668, 3.806}, sbg{3.0, 0.4}}) {
    // The beta density written with 1 − u taken from tanh-sinh's distance to the endpoint, so that a
    // shape below 1 (β = 0.4: a singularity at θ = 1) is integrated accurately.
    const double log_b = std::lgamma(m.alpha) + std::lgamma(m.beta) - std::lgamma(m.alpha + m.beta);
    const auto moment = [&](double i, double j) {
      boost::math::quadrature::tanh_sinh<double> integrator;
      return integrator.integrate(
          [&](double u, double distance) {
            const double v = u > 0.5 ? distance : 1 - u;  // 1 − u
            return std::exp((m.alpha - 1 + i) * std::log(u) + (m.beta - 1 + j) * std::log(v) - log_b);
          },
          0.0, 1.0);
    };
    double total = 0;
    for (const double t : {1.0, 2.0, 7.0, 30.0}) {
      const double p = moment(1, t - 1), s = moment(0, t);
      CAPTURE(t);
      SBG_CHECK_NEAR(cxm::value::churn_probability(m, t), p, 1e-10);
      SBG_CHECK_NEAR(cxm::value::survival(m, t), s, 1e-10);
    }
    // Σ_{t=1}^{k} P(T = t) + S(k) = 1; P(T = 1) = α/(α + β).
    for (double t = 1; t <= 20; ++t) total += cxm::value::churn_probability(m, t);
    SBG_CHECK_NEAR(total + cxm::value::survival(m, 20), 1.0, 1e-13);
    SBG_CHECK_NEAR(cxm::value::churn_probability(m, 1), m.alpha / (m.alpha + m.beta), 1e-15);
    SBG_CHECK_NEAR(cxm::value::survival(m, 0), 1.0, 0.0);
  }
  // r_1 = β/(α + β): α = 1, β = 3 → 0.75; r_3 = (3 + 2)/(1 + 3 + 2) = 5/6.
  SBG_CHECK_NEAR(cxm::value::retention_rate(sbg{1, 3}, 1), 0.75, 1e-15);
  SBG_CHECK_NEAR(cxm::value::retention_rate(sbg{1, 3}, 3), 5.0 / 6.0, 1e-15);
}

TEST_CASE("sBG log-likelihood = per-customer sum of log P(T = t) and log S(k)") {
  const auto alive = first_years(regular, 7);
  const sbg m{0.9, 1.6};
  double expected = 0;
  for (std::size_t t = 1; t < alive.size(); ++t)
    expected += (alive[t - 1] - alive[t]) * std::log(cxm::value::churn_probability(m, static_cast<double>(t)));
  expected += alive.back() * std::log(cxm::value::survival(m, 7));
  SBG_CHECK_NEAR(cxm::value::log_likelihood(m, alive), expected, 1e-9);
  // One period: 1000 → 631: 369 log(α/(α+β)) + 631 log(β/(α+β)).
  const std::vector<double> one{1000, 631};
  SBG_CHECK_NEAR(cxm::value::log_likelihood(m, one), 369 * std::log(0.9 / 2.5) + 631 * std::log(1.6 / 2.5), 1e-9);
  // A cohort observed for no period carries no information.
  const std::vector<double> none{1000};
  SBG_CHECK_NEAR(cxm::value::log_likelihood(m, none), 0.0, 0.0);
}

TEST_CASE("sBG analytic gradient = central finite differences") {
  for (const auto* data : {&regular, &high_end}) {
    const std::span<const double> s(*data);
    for (const auto& at : {std::array<double, 2>{0.7, 1.2}, std::array<double, 2>{0.2, 9.0}, std::array<double, 2>{4.0, 0.5}}) {
      const auto grad = cxm::value::log_likelihood_gradient(sbg{at[0], at[1]}, s);
      const auto fd = cxm_test::central_difference_gradient<2>(
          [&](const auto& q) { return cxm::value::log_likelihood(sbg{q[0], q[1]}, s); }, at);
      for (std::size_t i = 0; i < 2; ++i) {
        const double numeric = fd[i];
        CAPTURE(i);
        CAPTURE(at[0]);
        SBG_CHECK_NEAR(grad[i], numeric, 1e-5 * std::max(1.0, std::abs(numeric)));
      }
    }
  }
}

TEST_CASE("sBG standard errors = inverse of a value-only finite-difference Hessian") {
  const auto alive = first_years(high_end, 7);
  const auto fit = cxm::value::fit_sbg(alive);
  REQUIRE(fit.diagnostics.hessian_positive_definite);
  const auto p = fit.diagnostics.parameters;
  const auto ll = [&](std::array<double, 2> q) { return cxm::value::log_likelihood(sbg{q[0], q[1]}, alive); };
  const auto by_values = cxm_test::standard_errors_by_values<2>(ll, p);
  for (std::size_t i = 0; i < 2; ++i) {
    const double se = by_values[i];
    CAPTURE(i);
    SBG_CHECK_NEAR(fit.diagnostics.standard_errors[i], se, 1e-3 * se);
  }
}

TEST_CASE("sBG fit on shares of the cohort (weights) = fit on counts; LL scales with the counts") {
  std::vector<double> percent;
  for (std::size_t t = 0; t <= 7; ++t) percent.push_back(regular[t] / 10);  // 100, 63.1, 46.8, ...
  const auto counts = cxm::value::fit_sbg(first_years(regular, 7));
  const auto shares = cxm::value::fit_sbg(percent);
  SBG_CHECK_NEAR(shares.model.alpha, counts.model.alpha, 1e-6);
  SBG_CHECK_NEAR(shares.model.beta, counts.model.beta, 1e-6);
  SBG_CHECK_NEAR(shares.diagnostics.log_likelihood, counts.diagnostics.log_likelihood / 10, 1e-7);
  // Standard errors grow as 1/√(cohort size): √10 times larger on a cohort of 100.
  SBG_CHECK_NEAR(shares.diagnostics.standard_errors[0], std::sqrt(10.0) * counts.diagnostics.standard_errors[0], 1e-4);
}

TEST_CASE("sBG warm start from the previous year's fit: same optimum, fewer evaluations") {
  const auto previous = cxm::value::fit_sbg(first_years(high_end, 6));
  const auto cold = cxm::value::fit_sbg(first_years(high_end, 7));
  const auto warm = cxm::value::fit_sbg(first_years(high_end, 7), {}, previous.model);
  SBG_CHECK_NEAR(warm.model.alpha, cold.model.alpha, 1e-6);
  SBG_CHECK_NEAR(warm.model.beta, cold.model.beta, 1e-5);
  CHECK(warm.diagnostics.evaluations < cold.diagnostics.evaluations);
}

TEST_CASE("sBG DERL and DEL = brute-force discounted sums and Boost's 2F1") {
  for (const auto& m : {sbg{0.668, 3.806}, sbg{0.704, 1.182}, sbg{2.5, 0.3}}) {
    for (const double d : {0.1, 0.02}) {
      const double z = 1 / (1 + d);
      for (const double n : {0.0, 1.0, 7.0}) {
        // Σ_{t>n} S(t)/S(n) z^{t−n−1}, until the terms vanish.
        double sum = 0, weight = 1;
        const double sn = cxm::value::survival(m, n);
        for (double t = n + 1; t < n + 6000; ++t, weight *= z) sum += cxm::value::survival(m, t) / sn * weight;
        const double hypergeometric = boost::math::hypergeometric_pFq({1.0, m.beta + n + 1}, {m.alpha + m.beta + n + 1}, z);
        const double derl = cxm::value::discounted_expected_residual_lifetime(m, d, n);
        CAPTURE(n);
        CAPTURE(d);
        SBG_CHECK_NEAR(derl, sum, 1e-10 * sum);
        SBG_CHECK_NEAR(derl, cxm::value::retention_rate(m, n + 1) * hypergeometric, 1e-10 * sum);
      }
      double del = 0, weight = 1;
      for (double t = 0; t < 6000; ++t, weight *= z) del += cxm::value::survival(m, t) * weight;
      SBG_CHECK_NEAR(cxm::value::discounted_expected_lifetime(m, d), del, 1e-10 * del);
    }
  }
  // A homogeneous-looking special case by hand: α = 1, β = 1 → S(t) = 1/(t + 1);
  // DEL(d) = Σ z^t/(t + 1) = −ln(1 − z)/z; d = 0.1: z = 1/1.1, −ln(1/11)·1.1 = 1.1 ln 11.
  SBG_CHECK_NEAR(cxm::value::discounted_expected_lifetime(sbg{1, 1}, 0.1), 1.1 * std::log(11.0), 1e-12);
}

TEST_CASE("sBG validates parameters, survival vectors and identifiability") {
  CHECK(message_of([] { (void)cxm::value::survival(sbg{0, 1}, 3); }) == "sbg: alpha must be finite and > 0, got 0.000000");
  CHECK(message_of([] { (void)cxm::value::survival(sbg{1, NAN}, 3); }).find("sbg: beta must be finite") != std::string::npos);
  CHECK(message_of([] { (void)cxm::value::survival(sbg{1, 1}, 2.5); }) == "sbg: t must be a whole number >= 0");
  CHECK(message_of([] { (void)cxm::value::churn_probability(sbg{1, 1}, 0); }) == "sbg: t must be a whole number >= 1");
  CHECK(message_of([] { (void)cxm::value::retention_rate(sbg{1, 1}, 0); }) == "sbg: t must be a whole number >= 1");
  CHECK(message_of([] { (void)cxm::value::discounted_expected_residual_lifetime(sbg{1, 1}, 0, 3); }) ==
        "sbg: discount rate must be finite and > 0");
  CHECK(message_of([] { (void)cxm::value::discounted_expected_residual_lifetime(sbg{1, 1}, 0.1, -1); }) ==
        "sbg: renewals must be a whole number >= 0");
  const std::vector<double> rising{1000, 600, 700};
  CHECK(message_of([&] { (void)cxm::value::log_likelihood(sbg{1, 1}, rising); }) ==
        "sbg survival: alive[2] exceeds alive[t - 1]: survivors cannot increase");
  const std::vector<double> negative{1000, -1};
  CHECK(message_of([&] { (void)cxm::value::fit_sbg(negative); }) == "sbg survival: alive[1] must be finite and >= 0");
  const std::vector<double> empty_cohort{0, 0, 0};
  CHECK(message_of([&] { (void)cxm::value::fit_sbg(empty_cohort); }) == "sbg survival: alive[0] (the cohort size) must be > 0");
  CHECK(message_of([] { (void)cxm::value::fit_sbg(std::vector<double>{}); }) ==
        "sbg survival: at least the cohort size alive[0] is needed");
  // Data that cannot identify the model.
  const auto fit_error_of = [](std::vector<double> alive) {
    try {
      (void)cxm::value::fit_sbg(alive);
    } catch (const cxm::value::fit_error& e) {
      return std::string(e.what());
    }
    return std::string("(no fit_error)");
  };
  CHECK(fit_error_of({1000, 631}).find("at least two periods") != std::string::npos);
  CHECK(fit_error_of({1000, 1000, 1000}).find("nobody left the cohort") != std::string::npos);
  CHECK(fit_error_of({1000, 0, 0}).find("whole cohort left in period 1") != std::string::npos);
  CHECK(fit_error_of({1000, 600, 600, 600}).find("nobody left after period 1") != std::string::npos);
  CHECK_THROWS_AS((void)cxm::value::fit_sbg(first_years(regular, 7), {}, sbg{1, -1}), std::invalid_argument);
}
