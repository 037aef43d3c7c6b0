// Tests for the BG/NBD model (include/cxm/value/bg_nbd.hpp) against the published values of
// data/REFERENCE.md (Fader, Hardie & Lee 2005 and Hardie's notes) and independent computations:
// Boost.Math's hypergeometric_pFq for eqs. 7 and 10, quadrature over the Beta mixing distribution,
// brute-force sums of P(X(t) = n), and central differences of the log-likelihood.

#include "cxm/value/bg_nbd.hpp"

#include <array>
#include <cmath>
#include <cstddef>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <boost/math/quadrature/tanh_sinh.hpp>
#include <boost/math/special_functions/beta.hpp>
#include <boost/math/special_functions/hypergeometric_pFq.hpp>
#include <doctest/doctest.h>

#include "value/value_support.hpp"

#include "value/cdnow.hpp"

namespace {

using cxm::value::bg_nbd;
using cxm::value::purchase_history;

#define BG_CHECK_NEAR(a, b, tol) \
  CHECK_MESSAGE(std::abs((a) - (b)) <= (tol), #a " = ", (a), ", expected ", (b), " within ", (tol))
#define BG_CHECK_REL(a, b, rel) \
  CHECK_MESSAGE(std::abs((a) - (b)) <= (rel) * std::abs(b), #a " = ", (a), ", expected ", (b), " within rel ", (rel))

const std::vector<purchase_history>& cdnow() {
  static const auto h = cxm_test::cdnow_histories();
  return h;
}

const cxm::value::bg_nbd_fit& cdnow_fit() {
  static const auto f = cxm::value::fit_bg_nbd(cdnow());
  return f;
}

const bg_nbd published{0.243, 4.414, 0.793, 2.426};

using cxm_test::message_of;

// Paper forms (Fader, Hardie & Lee 2005) with Boost.Math's 2F1, independent of the Euler-transformed
// series of the header. Valid for a != 1.
double eq7_boost(const bg_nbd& m, double t) {
  const double z = t / (m.alpha + t);
  const double f = boost::math::hypergeometric_pFq({m.r, m.b}, {m.a + m.b - 1.0}, z);
  return (m.a + m.b - 1.0) / (m.a - 1.0) * (1.0 - std::pow(m.alpha / (m.alpha + t), m.r) * f);
}
double eq10_boost(const bg_nbd& m, const purchase_history& h, double t) {
  const double A = m.alpha + h.T;
  const double z = t / (A + t);
  const double f = boost::math::hypergeometric_pFq({m.r + h.x, m.b + h.x}, {m.a + m.b + h.x - 1.0}, z);
  const double bracket = 1.0 - std::pow(A / (A + t), m.r + h.x) * f;
  const double d = h.x > 0 ? m.a / (m.b + h.x - 1.0) * std::pow(A / (m.alpha + h.t_x), m.r + h.x) : 0.0;
  return (m.a + m.b + h.x - 1.0) / (m.a - 1.0) * bracket / (1.0 + d);
}

// E_p[(1 − (A/(A+pt))^R)/p], p ~ Beta(a, β), by tanh-sinh quadrature (valid at a = 1 too). The
// interval is split at 1/2 and each half substituted to remove the endpoint power singularity
// (which tanh-sinh would truncate, an error ~ ε^a): p = u^{1/a} on (0, 1/2] (p^{a−1} dp = du/a),
// 1 − p = v^{1/β} on [1/2, 1) ((1−p)^{β−1} dp = −dv/β).
double alive_expectation_by_quadrature(double R, double A, double a, double beta, double t) {
  boost::math::quadrature::tanh_sinh<double> integrator;
  const double log_norm = -std::log(boost::math::beta(a, beta));
  // The limit R t / A at p = 0: Boost 1.74's tanh_sinh samples u so close to 0 that p = u^(1/a) underflows.
  const auto g = [&](double p) { return p > 0.0 ? -std::expm1(-R * std::log1p(p * t / A)) / p : R * t / A; };
  const auto left = [&](double u) {
    if (u <= 0.0) return 0.0;
    const double p = std::pow(u, 1.0 / a);
    return g(p) * std::exp(log_norm + (beta - 1.0) * std::log1p(-p)) / a;
  };
  const auto right = [&](double v) {
    if (v <= 0.0) return 0.0;
    const double q = std::pow(v, 1.0 / beta);
    return g(1.0 - q) * std::exp(log_norm + (a - 1.0) * std::log1p(-q)) / beta;
  };
  return integrator.integrate(left, 0.0, std::pow(0.5, a), 1e-14) +
         integrator.integrate(right, 0.0, std::pow(0.5, beta), 1e-14);
}

}  // namespace

TEST_CASE("BG/NBD fit on CDNOW reproduces Fader, Hardie & Lee 2005 (REFERENCE.md)") {
  const auto& fit = cdnow_fit();
  const auto& m = fit.model;
  BG_CHECK_NEAR(m.r, 0.243, 0.015);
  BG_CHECK_NEAR(m.alpha, 4.414, 0.015);
  BG_CHECK_NEAR(m.a, 0.793, 0.015);
  BG_CHECK_NEAR(m.b, 2.426, 0.015);
  BG_CHECK_NEAR(fit.diagnostics.log_likelihood, -9582.4, 0.1);
  CHECK(fit.diagnostics.converged);
  REQUIRE(fit.diagnostics.hessian_positive_definite);
  const std::array<double, 4> se{0.012557, 0.378221, 0.185719, 0.705345};
  for (std::size_t i = 0; i < 4; ++i) BG_CHECK_REL(fit.diagnostics.standard_errors[i], se[i], 1e-2);
  // The reported log-likelihood is the per-customer sum at the reported parameters.
  BG_CHECK_REL(cxm::value::log_likelihood(m, cdnow()), fit.diagnostics.log_likelihood, 1e-12);
}

TEST_CASE("BG/NBD fit on the 1,016 compressed patterns with weights equals the unweighted fit") {
  const auto patterns = cxm::value::compress(cdnow());
  REQUIRE(patterns.size() == 1016);
  // Σ w log L on the patterns equals Σ log L over the 2,357 customers (weights are multiplicities).
  BG_CHECK_REL(cxm::value::log_likelihood(published, patterns), cxm::value::log_likelihood(published, cdnow()), 1e-12);
  const auto weighted = cxm::value::fit_bg_nbd(patterns);
  const auto& plain = cdnow_fit();
  BG_CHECK_NEAR(weighted.model.r, plain.model.r, 1.5e-3);
  BG_CHECK_NEAR(weighted.model.alpha, plain.model.alpha, 1.5e-3);
  BG_CHECK_NEAR(weighted.model.a, plain.model.a, 1.5e-3);
  BG_CHECK_NEAR(weighted.model.b, plain.model.b, 1.5e-3);
  BG_CHECK_NEAR(weighted.diagnostics.log_likelihood, plain.diagnostics.log_likelihood, 1e-6);
}

TEST_CASE("BG/NBD conditional expectation E[Y(39) | 2, 30.43, 38.86] = 1.226 at the fitted parameters") {
  const auto& m = cdnow_fit().model;
  const purchase_history h{2, 30.43, 38.86, 1};
  BG_CHECK_NEAR(cxm::value::expected_purchases(m, h, 39.0), 1.226, 0.001);
  // Eq. 10 with Boost.Math's 2F1 at several histories and horizons.
  const std::vector<purchase_history> histories{{0, 0, 38.86, 1}, {2, 30.43, 38.86, 1}, {1, 1.71, 38.86, 1},
                                                {26, 30.86, 31, 1}, {7, 20.0, 35.0, 1}};
  for (const auto& c : histories)
    for (double t : {1.0, 10.0, 39.0, 78.0}) {
      CAPTURE(c.x);
      CAPTURE(t);
      BG_CHECK_REL(cxm::value::expected_purchases(m, c, t), eq10_boost(m, c, t), 1e-10);
    }
  CHECK(cxm::value::expected_purchases(m, h, 0.0) == 0.0);
}

TEST_CASE("BG/NBD E[X(t)] for a new customer at the fitted parameters (REFERENCE.md)") {
  const auto& m = cdnow_fit().model;
  const std::array<double, 6> t{0.1429, 1, 3, 31.8571, 32, 78};
  const std::array<double, 6> expected{0.0078, 0.0532, 0.1506, 1.0405, 1.0437, 1.8576};
  for (std::size_t i = 0; i < t.size(); ++i) {
    CAPTURE(t[i]);
    BG_CHECK_NEAR(cxm::value::expected_purchases(m, t[i]), expected[i], 0.0015);
    BG_CHECK_REL(cxm::value::expected_purchases(m, t[i]), eq7_boost(m, t[i]), 1e-10);
  }
  // Brute force: E[X(t)] = Σ n P(X(t) = n) (t = 10; terms beyond n = 400 are below 1e-12).
  double mean = 0.0, total = 0.0;
  for (unsigned n = 0; n < 400; ++n) {
    const double p = cxm::value::purchase_probability(m, 10.0, n);
    mean += n * p;
    total += p;
  }
  BG_CHECK_NEAR(total, 1.0, 1e-10);
  BG_CHECK_REL(cxm::value::expected_purchases(m, 10.0), mean, 1e-9);
}

TEST_CASE("BG/NBD P(alive) edge cases (REFERENCE.md)") {
  const auto& m = cdnow_fit().model;
  BG_CHECK_NEAR(cxm::value::p_alive(m, {0, 0, 1, 1}), 1.0, 1e-9);
  CHECK(cxm::value::p_alive(m, {0, 0, 1, 1}) == 1.0);
  BG_CHECK_NEAR(cxm::value::p_alive(m, {1000, 10, 100, 1}), 0.0, 1e-9);
  // By hand: x = 1, t_x = T: D = a/b, P = b/(a+b) = 2.426/3.219 at the published parameters.
  BG_CHECK_NEAR(cxm::value::p_alive(published, {1, 20, 20, 1}), 2.426 / (0.793 + 2.426), 1e-14);
  // A long silence lowers P(alive): x = 5, t_x = 5 against t_x = 30, T = 30.
  CHECK(cxm::value::p_alive(published, {5, 5, 30, 1}) < cxm::value::p_alive(published, {5, 30, 30, 1}));
}

TEST_CASE("BG/NBD P(X(t) = n) at (0.243, 4.414, 0.793, 2.426) (REFERENCE.md)") {
  BG_CHECK_NEAR(cxm::value::purchase_probability(published, 2.0, 10), 1.07869e-7, 1e-4);
  BG_CHECK_REL(cxm::value::purchase_probability(published, 2.0, 10), 1.07869e-7, 1e-4);
  BG_CHECK_NEAR(cxm::value::purchase_probability(published, 39.0, 0), 0.5737864, 1e-4);
  const std::array<double, 10> p30{0.0019995214, 0.0015170236, 0.0011633150, 0.0009003148, 0.0007023638,
                                   0.0005517902, 0.0004361913, 0.0003467171, 0.0002769613, 0.0002222260};
  for (unsigned n = 11; n <= 20; ++n) {
    CAPTURE(n);
    BG_CHECK_NEAR(cxm::value::purchase_probability(published, 30.0, n), p30[n - 11], 1.5e-5);
  }
  // The probabilities sum to 1 (brute force over n < 3000 at t = 30; the tail is below 1e-10).
  double total = 0.0;
  for (unsigned n = 0; n < 3000; ++n) total += cxm::value::purchase_probability(published, 30.0, n);
  BG_CHECK_NEAR(total, 1.0, 1e-9);
  CHECK(cxm::value::purchase_probability(published, 0.0, 0) == 1.0);
  CHECK(cxm::value::purchase_probability(published, 0.0, 3) == 0.0);
  // n above the sum-of-logs limit (256) switches to lgamma: continuous across it.
  BG_CHECK_REL(cxm::value::purchase_probability(published, 500.0, 256),
               cxm::value::purchase_probability(published, 500.0, 257), 2e-2);
}

TEST_CASE("BG/NBD single-customer log-likelihoods at (0.25, 4, 0.8, 2.5), T = 40 (REFERENCE.md)") {
  const bg_nbd m{0.25, 4, 0.8, 2.5};
  // x = 0: log L = r log(α/(α+T)) = 0.25 · log(4/44) = −0.59947382.
  BG_CHECK_NEAR(cxm::value::log_likelihood(m, purchase_history{0, 0, 40, 1}), -0.59947382, 1.5e-5);
  BG_CHECK_NEAR(cxm::value::log_likelihood(m, purchase_history{200, 38, 40, 1}), 100.7957, 1.5e-5);
  // The weight is ignored by the one-customer overload, counted by the span overload.
  const std::vector<purchase_history> three{{3, 10, 40, 2.5}};
  BG_CHECK_REL(cxm::value::log_likelihood(m, three), 2.5 * cxm::value::log_likelihood(m, three[0]), 1e-13);
  // x above the sum-of-logs limit (256) agrees with the lgamma route (via the span overload's sums).
  const purchase_history big{1000, 39, 40, 1};
  const std::vector<purchase_history> one_big{big};
  BG_CHECK_REL(cxm::value::log_likelihood(m, big), cxm::value::log_likelihood(m, one_big), 1e-11);
}

TEST_CASE("BG/NBD span log-likelihood is the sum of the one-customer ones") {
  double sum = 0.0;
  for (const auto& h : cdnow()) sum += cxm::value::log_likelihood(published, h);
  BG_CHECK_REL(cxm::value::log_likelihood(published, cdnow()), sum, 1e-12);
}

TEST_CASE("BG/NBD analytic gradient agrees with central differences") {
  const auto patterns = cxm::value::compress(cdnow());
  for (const bg_nbd& m : {published, bg_nbd{1.0, 10.0, 1.0, 1.0}, bg_nbd{0.5, 2.0, 3.0, 0.4}}) {
    const auto g = cxm::value::log_likelihood_gradient(m, patterns);
    const std::array<double, 4> p{m.r, m.alpha, m.a, m.b};
    const auto numeric = cxm_test::central_difference_gradient<4>(
        [&](const auto& q) { return cxm::value::log_likelihood(bg_nbd{q[0], q[1], q[2], q[3]}, patterns); }, p);
    for (std::size_t i = 0; i < 4; ++i) {
      const double fd = numeric[i];
      CAPTURE(i);
      BG_CHECK_NEAR(g[i], fd, 1e-5 * std::max(1.0, std::abs(fd)));
    }
  }
  // At the optimum the gradient vanishes (relative to the size of its terms, ~1e4).
  const auto g = cxm::value::log_likelihood_gradient(cdnow_fit().model, patterns);
  for (double gi : g) BG_CHECK_NEAR(gi, 0.0, 1e-3);
}

TEST_CASE("BG/NBD warm start from 5 % away: same optimum, fewer evaluations than the cold start") {
  const auto& cold = cdnow_fit();
  const auto& m = cold.model;
  // Every sign pattern of a ±5 % perturbation of (r, α, a, b).
  for (int signs = 0; signs < 16; ++signs) {
    const auto f = [&](int bit) { return (signs >> bit) & 1 ? 1.05 : 0.95; };
    const bg_nbd nearby{m.r * f(0), m.alpha * f(1), m.a * f(2), m.b * f(3)};
    const auto warm = cxm::value::fit_bg_nbd(cdnow(), {}, nearby);
    CAPTURE(signs);
    BG_CHECK_REL(warm.model.r, m.r, 1e-4);
    BG_CHECK_REL(warm.model.alpha, m.alpha, 1e-4);
    BG_CHECK_REL(warm.model.a, m.a, 1e-4);
    BG_CHECK_REL(warm.model.b, m.b, 1e-4);
    CHECK(warm.diagnostics.converged);
    CHECK_MESSAGE(warm.diagnostics.evaluations < cold.diagnostics.evaluations, "warm ", warm.diagnostics.evaluations,
                  " vs cold ", cold.diagnostics.evaluations);
  }
  // The incremental case: the fit on the first 2,000 customers as the start of the full fit.
  const std::vector<purchase_history> first(cdnow().begin(), cdnow().begin() + 2000);
  const auto previous = cxm::value::fit_bg_nbd(first);
  const auto warm = cxm::value::fit_bg_nbd(cdnow(), {}, previous.model);
  BG_CHECK_REL(warm.model.alpha, m.alpha, 1e-4);
  CHECK(warm.diagnostics.evaluations < cold.diagnostics.evaluations);
}

TEST_CASE("BG/NBD analytic Hessian agrees with central differences of the analytic gradient") {
  namespace d = cxm::value::detail::beta_geometric;
  const auto patterns = cxm::value::compress(cdnow());
  for (bool modified : {false, true}) {
    const auto table = d::tabulate(patterns, modified);
    d::workspace ws;
    for (const std::array<double, 4>& p : {std::array<double, 4>{0.243, 4.414, 0.793, 2.426},
                                           std::array<double, 4>{0.5, 2.0, 3.0, 0.4}}) {
      std::array<double, 4> g{};
      std::array<std::array<double, 4>, 4> H{};
      (void)d::log_likelihood_hessian(table, p, g, H, ws);
      for (std::size_t j = 0; j < 4; ++j) {
        auto up = p, down = p;
        const double h = 1e-6 * p[j];
        up[j] += h;
        down[j] -= h;
        std::array<double, 4> gu{}, gd{};
        (void)d::log_likelihood_and_gradient(table, up, gu, ws);
        (void)d::log_likelihood_and_gradient(table, down, gd, ws);
        for (std::size_t i = 0; i < 4; ++i) {
          const double fd = (gu[i] - gd[i]) / (2.0 * h);
          CAPTURE(modified);
          CAPTURE(i);
          CAPTURE(j);
          BG_CHECK_NEAR(H[i][j], fd, 1e-5 * std::max(1.0, std::abs(fd)));
        }
      }
    }
  }
}

TEST_CASE("BG/NBD fit throws fit_error when no customer has a repeat purchase") {
  const std::vector<purchase_history> once{{0, 0, 10, 1}, {0, 0, 20, 3}};
  CHECK_THROWS_AS((void)cxm::value::fit_bg_nbd(once), cxm::value::fit_error);
  CHECK(message_of([&] { (void)cxm::value::fit_bg_nbd(once); }).find("x > 0") != std::string::npos);
  CHECK_THROWS_AS((void)cxm::value::fit_bg_nbd(std::vector<purchase_history>{}), cxm::value::fit_error);
}

TEST_CASE("BG/NBD rejects invalid parameters and histories, naming them") {
  const purchase_history h{1, 2, 3, 1};
  CHECK(message_of([&] { (void)cxm::value::p_alive(bg_nbd{0, 1, 1, 1}, h); }).find("parameter r") != std::string::npos);
  CHECK(message_of([&] { (void)cxm::value::log_likelihood(bg_nbd{1, -1, 1, 1}, h); }).find("parameter alpha") !=
        std::string::npos);
  CHECK(message_of([&] { (void)cxm::value::expected_purchases(bg_nbd{1, 1, std::nan(""), 1}, 2.0); })
            .find("parameter a") != std::string::npos);
  CHECK(message_of([&] {
          (void)cxm::value::purchase_probability(bg_nbd{1, 1, 1, std::numeric_limits<double>::infinity()}, 1.0, 1);
        }).find("parameter b") != std::string::npos);
  CHECK(message_of([&] { (void)cxm::value::expected_purchases(published, -1.0); }).find("t must be") !=
        std::string::npos);
  CHECK(message_of([&] { (void)cxm::value::p_alive(published, {1.5, 1, 2, 1}); }).find("x must be") !=
        std::string::npos);
  CHECK(message_of([&] { (void)cxm::value::p_alive(published, {1, 3, 2, 1}); }).find("t_x must lie") !=
        std::string::npos);
  const std::vector<purchase_history> bad{{1, 1, 2, 1}, {1, 1, 2, 0}};
  CHECK(message_of([&] { (void)cxm::value::log_likelihood(published, bad); }).find("purchase history 1: weight") !=
        std::string::npos);
  CHECK(message_of([&] { (void)cxm::value::fit_bg_nbd(cdnow(), {}, bg_nbd{1, 1, 0, 1}); }).find("parameter a") !=
        std::string::npos);
  CHECK_THROWS_AS((void)cxm::value::p_alive(bg_nbd{1, 1, 1, -2}, h), std::invalid_argument);
}

TEST_CASE("Gauss series 2F1 agrees with Boost.Math's hypergeometric_pFq") {
  struct point {
    double a, b, c, z;
  };
  const std::vector<point> points{{0.243, 2.426, 2.219, 0.5},   {0.243, 2.426, 2.219, 0.946}, {2.243, 4.426, 4.219, 0.3},
                                  {26.5, 27.4, 28.2, 0.62},     {1.5, -0.7, 0.4, 0.8},        {-2.0, 1.0, 3.0, 0.7},
                                  {0.3, 0.2, 0.1, 0.99},        {5.0, 0.5, 1.5, 0.0}};
  for (const auto& p : points) {
    CAPTURE(p.a);
    CAPTURE(p.z);
    BG_CHECK_REL(cxm::value::detail::beta_geometric::hypergeometric_2f1(p.a, p.b, p.c, p.z),
                 boost::math::hypergeometric_pFq({p.a, p.b}, {p.c}, p.z), 1e-12);
  }
}

TEST_CASE("BG/NBD expectation bracket is continuous through a = 1 and matches quadrature over p") {
  namespace d = cxm::value::detail::beta_geometric;
  // (R, A, a, β, t): a = 1 exactly, a near 1, a < 1, a + β < 1 (C = a+β−1 < 0), large x.
  const std::vector<std::array<double, 5>> cases{{0.243, 4.414, 1.0, 2.426, 39.0}, {0.243, 4.414, 1.0 + 1e-9, 2.426, 39.0},
                                                 {0.243, 4.414, 0.793, 2.426, 78.0}, {0.5, 2.0, 0.3, 0.4, 10.0},
                                                 {2.243, 43.3, 0.793, 4.426, 39.0},  {200.25, 44.0, 1.7, 202.5, 52.0}};
  for (const auto& c : cases) {
    CAPTURE(c[2]);
    BG_CHECK_REL(d::alive_expected_purchases(c[0], c[1], c[2], c[3], c[4]),
                 alive_expectation_by_quadrature(c[0], c[1], c[2], c[3], c[4]), 1e-9);
  }
  // E[X(t)] at a = 1 lies between its neighbours a = 1 ± 1e-3.
  const double at_one = cxm::value::expected_purchases(bg_nbd{0.243, 4.414, 1.0, 2.426}, 39.0);
  const double below = cxm::value::expected_purchases(bg_nbd{0.243, 4.414, 1.0 - 1e-3, 2.426}, 39.0);
  const double above = cxm::value::expected_purchases(bg_nbd{0.243, 4.414, 1.0 + 1e-3, 2.426}, 39.0);
  CHECK(((below - at_one) * (at_one - above) > 0.0));
  BG_CHECK_REL(at_one, 0.5 * (below + above), 1e-6);
}
