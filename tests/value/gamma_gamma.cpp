// Tests for the Gamma-Gamma spend model (include/cxm/value/gamma_gamma.hpp) against the published
// CDNOW values of data/REFERENCE.md (Fader, Hardie & Lee 2005, "RFM and CLV"; Hardie note 025).

#include "cxm/value/gamma_gamma.hpp"

#include <array>
#include <cmath>
#include <cstddef>
#include <map>
#include <span>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <Eigen/Dense>
#include <boost/math/quadrature/exp_sinh.hpp>
#include <doctest/doctest.h>

#include "value/value_support.hpp"

#include "value/cdnow.hpp"

namespace {

using cxm::value::gamma_gamma;
using cxm::value::spend_history;

#define GG_CHECK_NEAR(a, b, tol) \
  CHECK_MESSAGE(std::abs((a) - (b)) <= (tol), #a " = ", (a), ", expected ", (b), " within ", (tol))

constexpr gamma_gamma published{6.25, 3.74, 15.44};  // FHL 2005 ("RFM and CLV"), CDNOW repeaters

using cxm_test::message_of;

gamma_gamma with(const std::array<double, 3>& p) { return {p[0], p[1], p[2]}; }

}  // namespace

TEST_CASE("Gamma-Gamma fit on the 946 CDNOW repeaters reproduces FHL 2005") {
  const auto spend = cxm_test::cdnow_spend();
  REQUIRE(spend.size() == 946);
  const auto fit = cxm::value::fit_gamma_gamma(spend);
  CHECK(fit.diagnostics.converged);
  GG_CHECK_NEAR(fit.model.p, 6.25, 0.015);
  GG_CHECK_NEAR(fit.model.q, 3.74, 0.015);
  GG_CHECK_NEAR(fit.model.gamma, 15.44, 0.015);
  GG_CHECK_NEAR(fit.diagnostics.log_likelihood, -4055.9, 0.1);
  GG_CHECK_NEAR(cxm::value::log_likelihood(fit.model, std::span<const spend_history>(spend)),
                fit.diagnostics.log_likelihood, 1e-9);
}

TEST_CASE("Gamma-Gamma: mean of the repeaters' mean spend") {
  const auto spend = cxm_test::cdnow_spend();
  double sum = 0.0;
  for (const auto& h : spend) sum += h.mean_spend;
  GG_CHECK_NEAR(sum / static_cast<double>(spend.size()), 35.078551797, 1e-6);
}

TEST_CASE("Gamma-Gamma E[M | x, mean spend] for CDNOW IDs 1..10 at the published parameters") {
  // x = 0 (IDs 3, 4, 5, 8, 10): no repeat spend observed, E[M] is the population mean p γ/(q − 1).
  // ID 1: x = 2, m̄ = 22.35: 6.25 (15.44 + 44.70) / (12.5 + 2.74) = 24.66.
  const std::array<double, 10> expected{24.65, 18.91, 35.17, 35.17, 35.17, 71.46, 18.91, 35.17, 27.28, 35.17};
  const auto rows = cxm_test::read_numeric_csv("cdnow_customers_summary_with_transactions.csv");
  for (std::size_t i = 0; i < expected.size(); ++i) {
    CAPTURE(i + 1);
    const double x = rows.at(i).at(1), m = rows.at(i).at(4);
    const double e = x > 0 ? cxm::value::expected_spend(published, spend_history{x, m, 1.0})
                           : cxm::value::expected_spend(published);
    GG_CHECK_NEAR(e, expected[i], 0.1);
  }
  GG_CHECK_NEAR(cxm::value::expected_spend(published), 6.25 * 15.44 / 2.74, 1e-12);
  // The published figures are rounded values at the unrounded optimum: within 0.01 at our fit.
  const auto fitted = cxm::value::fit_gamma_gamma(cxm_test::cdnow_spend()).model;
  for (std::size_t i = 0; i < expected.size(); ++i) {
    CAPTURE(i + 1);
    const double x = rows.at(i).at(1), m = rows.at(i).at(4);
    const double e = x > 0 ? cxm::value::expected_spend(fitted, spend_history{x, m, 1.0})
                           : cxm::value::expected_spend(fitted);
    GG_CHECK_NEAR(e, expected[i], 0.01);
  }
}

TEST_CASE("Gamma-Gamma single-customer log-likelihood by hand and as a density") {
  // p = 1, q = 2, γ = 1, x = 1, m̄ = 1: Γ(3)/(Γ(1)Γ(2)) · 1 · 1 · 1 / 2³ = 2/8.
  GG_CHECK_NEAR(cxm::value::log_likelihood(gamma_gamma{1, 2, 1}, spend_history{1, 1, 1}), std::log(0.25), 1e-12);
  // f(m̄ | x) is a density in m̄: it integrates to 1 (exp-sinh quadrature on (0, ∞)).
  const gamma_gamma m{2.5, 3.2, 12.0};
  for (const double x : {1.0, 3.0, 11.0}) {
    boost::math::quadrature::exp_sinh<double> integrator;
    const double total = integrator.integrate(
        [&](double mean) { return std::exp(cxm::value::log_likelihood(m, spend_history{x, mean, 1})); });
    CAPTURE(x);
    GG_CHECK_NEAR(total, 1.0, 1e-9);
  }
}

TEST_CASE("Gamma-Gamma analytic gradient = central finite differences") {
  const auto spend = cxm_test::cdnow_spend();
  const std::span<const spend_history> s(spend);
  for (const auto& at : {std::array<double, 3>{6.25, 3.74, 15.44}, std::array<double, 3>{1.0, 1.5, 3.0},
                         std::array<double, 3>{20.0, 8.0, 40.0}}) {
    const auto grad = cxm::value::log_likelihood_gradient(with(at), s);
    const auto fd = cxm_test::central_difference_gradient<3>([&](const auto& q) { return cxm::value::log_likelihood(with(q), s); }, at);
    for (std::size_t i = 0; i < 3; ++i) {
      const double numeric = fd[i];
      CAPTURE(i);
      CAPTURE(at[0]);
      GG_CHECK_NEAR(grad[i], numeric, 1e-5 * std::max(1.0, std::abs(numeric)));
    }
  }
}

TEST_CASE("Gamma-Gamma standard errors = inverse of a value-only finite-difference Hessian") {
  const auto spend = cxm_test::cdnow_spend();
  const std::span<const spend_history> s(spend);
  const auto fit = cxm::value::fit_gamma_gamma(spend);
  REQUIRE(fit.diagnostics.hessian_positive_definite);
  const auto p = fit.diagnostics.parameters;
  const auto ll = [&](std::array<double, 3> q) { return cxm::value::log_likelihood(with(q), s); };
  const auto by_values = cxm_test::standard_errors_by_values<3>(ll, p);
  for (std::size_t i = 0; i < 3; ++i) {
    const double se = by_values[i];
    CAPTURE(i);
    GG_CHECK_NEAR(fit.diagnostics.standard_errors[i], se, 1e-3 * se);
  }
}

TEST_CASE("Gamma-Gamma weighted fit on merged histories = fit on one row per customer") {
  const auto spend = cxm_test::cdnow_spend();
  std::map<std::pair<double, double>, double> merged;
  for (const auto& h : spend) merged[{h.x, h.mean_spend}] += 1.0;
  std::vector<spend_history> weighted;
  for (const auto& [key, w] : merged) weighted.push_back({key.first, key.second, w});
  REQUIRE(weighted.size() < spend.size());
  const auto a = cxm::value::fit_gamma_gamma(spend);
  const auto b = cxm::value::fit_gamma_gamma(weighted);
  GG_CHECK_NEAR(b.model.p, a.model.p, 1e-5);
  GG_CHECK_NEAR(b.model.q, a.model.q, 1e-5);
  GG_CHECK_NEAR(b.model.gamma, a.model.gamma, 1e-4);
  GG_CHECK_NEAR(b.diagnostics.log_likelihood, a.diagnostics.log_likelihood, 1e-6);
  for (std::size_t i = 0; i < 3; ++i) GG_CHECK_NEAR(b.diagnostics.standard_errors[i], a.diagnostics.standard_errors[i], 1e-4);
}

TEST_CASE("Gamma-Gamma warm start from a nearby fit: same optimum, fewer evaluations") {
  const auto spend = cxm_test::cdnow_spend();
  const std::vector<spend_history> earlier(spend.begin(), spend.begin() + 900);
  const auto previous = cxm::value::fit_gamma_gamma(earlier);
  const auto cold = cxm::value::fit_gamma_gamma(spend);
  const auto warm = cxm::value::fit_gamma_gamma(spend, {}, previous.model);
  GG_CHECK_NEAR(warm.model.p, cold.model.p, 1e-5);
  GG_CHECK_NEAR(warm.model.q, cold.model.q, 1e-5);
  GG_CHECK_NEAR(warm.model.gamma, cold.model.gamma, 1e-4);
  CHECK(warm.diagnostics.evaluations < cold.diagnostics.evaluations);
}

TEST_CASE("Gamma-Gamma validates parameters, histories and identifiability") {
  const spend_history one{2, 10, 1};
  CHECK(message_of([&] { (void)cxm::value::log_likelihood(gamma_gamma{0, 1, 1}, one); }) ==
        "gamma_gamma: p must be finite and > 0, got 0.000000");
  CHECK(message_of([&] { (void)cxm::value::expected_spend(gamma_gamma{1, NAN, 1}, one); }).find("q must be finite") !=
        std::string::npos);
  CHECK(message_of([&] { (void)cxm::value::expected_spend(gamma_gamma{1, 1, -2}); }).find("gamma must be finite") !=
        std::string::npos);
  CHECK(message_of([&] { (void)cxm::value::log_likelihood(published, spend_history{0, 10, 1}); }) ==
        "spend history 0: x must be a whole number >= 1");
  const std::vector<spend_history> bad{{1, 5, 1}, {2, -1, 1}};
  CHECK(message_of([&] { (void)cxm::value::fit_gamma_gamma(bad); }) == "spend history 1: mean_spend must be finite and > 0");
  // q ≤ 1: the population mean is infinite; the conditional mean still exists while p x + q > 1.
  CHECK_THROWS_AS((void)cxm::value::expected_spend(gamma_gamma{2, 0.9, 10}), std::domain_error);
  GG_CHECK_NEAR(cxm::value::expected_spend(gamma_gamma{2, 0.9, 10}, one), 2 * (10 + 20) / 3.9, 1e-12);
  CHECK_THROWS_AS((void)cxm::value::expected_spend(gamma_gamma{0.05, 0.5, 10}, spend_history{1, 10, 1}), std::domain_error);
  // Data that cannot identify the model.
  CHECK_THROWS_AS((void)cxm::value::fit_gamma_gamma(std::vector<spend_history>{}), cxm::value::fit_error);
  const std::vector<spend_history> same{{1, 20, 1}, {3, 20, 2}, {2, 20, 1}};
  CHECK(message_of([&] { (void)cxm::value::fit_gamma_gamma(same); }).find("every mean_spend is the same") !=
        std::string::npos);
  CHECK_THROWS_AS((void)cxm::value::fit_gamma_gamma(cxm_test::cdnow_spend(), {}, gamma_gamma{1, 0, 1}),
                  std::invalid_argument);
}
