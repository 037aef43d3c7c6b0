#pragma once
/// \file
/// Shifted-beta-geometric (sBG) model of contractual retention (Fader & Hardie 2007, "How to project
/// customer retention", Journal of Interactive Marketing 21(1)), with the discounted expected residual
/// lifetime of Fader & Hardie 2010 ("Customer-base valuation in a contractual setting: the perils of
/// ignoring heterogeneity", Marketing Science 29(1)).
///
/// Model (FH 2007): at the end of each period a customer churns with probability θ, constant for the
/// customer (geometric lifetime T = the period in which the customer churns, t = 1, 2, ...), and θ
/// varies across customers as beta(α, β). Then, with B the beta function,
///     P(T = t) = B(α + 1, β + t − 1) / B(α, β),            P(T = 1) = α / (α + β),
///     S(t)     = P(T > t) = B(α, β + t) / B(α, β),          S(0) = 1,
///     r_t      = S(t) / S(t − 1) = (β + t − 1) / (α + β + t − 1)   (the retention rate of period t,
///                increasing in t: the "ever-increasing retention" produced by heterogeneity),
///     P(T = t) = S(t − 1) − S(t) = P(T = t − 1) · (β + t − 2) / (α + β + t − 1).
///
/// Input: a cohort survival vector alive[0..k], alive[t] = customers still active after t periods
/// (alive[0] = the cohort size: 1000, 631, 468, ... in FH 2007 Table 1). The n_t = alive[t−1] − alive[t]
/// customers who left in period t contribute log P(T = t); the alive[k] survivors are right-censored and
/// contribute log S(k). The log-likelihood (FH 2007, the function its spreadsheet appendix maximises)
/// is
///     LL(α, β) = Σ_{t=1}^{k} n_t log P(T = t) + alive[k] log S(k).
/// Counts may be fractional (percentages of the cohort): they are weights.
///
/// Gradient: with the rising factorials of P(T = t) = α (β)_{t−1} / (α + β)_t,
///     ∂ log P(T = t)/∂α = 1/α − Σ_{m<t} 1/(α + β + m),   ∂/∂β = Σ_{j<t−1} 1/(β + j) − Σ_{m<t} 1/(α + β + m),
///     ∂ log S(t)/∂α = −Σ_{m<t} 1/(α + β + m),            ∂/∂β = Σ_{j<t} 1/(β + j) − Σ_{m<t} 1/(α + β + m).
/// One evaluation is one pass over the k periods: O(k) logs and divisions.
///
/// Discounted expected residual lifetime (FH 2010, the DERL expression with the Gaussian hypergeometric
/// function): for a customer who has made n renewals (T > n), at the moment of the next renewal decision,
/// with discount rate d per period and z = 1/(1 + d),
///     DERL(d | α, β, n) = Σ_{t>n} S(t)/S(n) · z^{t−n−1} = r_{n+1} · ₂F₁(1, β + n + 1; α + β + n + 1; z)
/// (FH 2010 writes it for "n − 1 renewals" as (β+n−1)/(α+β+n−1) · ₂F₁(1, β+n; α+β+n; z)); the payment at
/// the decision is undiscounted. The expected discounted lifetime of a new customer (first payment now):
///     DEL(d | α, β) = Σ_{t≥0} S(t) z^t = ₂F₁(1, β; α + β; z).
/// Both are computed as the ₂F₁ series Σ_k Π_{j<k} (b + j)/(c + j) z^k (a = 1), which converges
/// geometrically (ratio < z): O(log(ε)/log(z)) terms; d must be > 0.
///
/// Identification: fit_error when the cohort is empty, fewer than two periods are observed, nobody left,
/// everybody left in period 1, or nobody left after period 1 (the maximum is on the boundary α, β → 0).
/// Homogeneous (geometric) data push α, β → ∞ with α/(α + β) fixed: see diagnostics.converged and
/// hessian_positive_definite.
///
/// Thread-safety: pure functions; reentrant. Sources: as above; formulas from the papers, no code from
/// other projects.

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>

#include <boost/math/special_functions/gamma.hpp>

#include "cxm/value/fit.hpp"

namespace cxm::value {

/// sBG parameters: the churn probability θ of a customer ~ beta(α, β).
struct sbg {
  double alpha = 0.0;  ///< > 0
  double beta = 0.0;   ///< > 0
  /// Compares every field.
  friend bool operator==(const sbg&, const sbg&) = default;
};

/// Throws std::invalid_argument naming the first parameter that is not finite and > 0.
inline void check_parameters(const sbg& m) {
  const auto check = [](double v, const char* name) {
    if (!std::isfinite(v) || !(v > 0.0))
      throw std::invalid_argument(std::string("sbg: ") + name + " must be finite and > 0, got " + std::to_string(v));
  };
  check(m.alpha, "alpha");
  check(m.beta, "beta");
}

/// Throws std::invalid_argument naming the index when a survival vector is not a cohort's
/// survivors: at least one value, all finite and >= 0, alive[0] > 0, never increasing.
inline void check_survival(std::span<const double> alive) {
  if (alive.empty()) throw std::invalid_argument("sbg survival: at least the cohort size alive[0] is needed");
  for (std::size_t t = 0; t < alive.size(); ++t) {
    const auto fail = [&](const char* what) {
      throw std::invalid_argument("sbg survival: alive[" + std::to_string(t) + "] " + what);
    };
    if (!std::isfinite(alive[t]) || alive[t] < 0.0) fail("must be finite and >= 0");
    if (t == 0 && !(alive[t] > 0.0)) fail("(the cohort size) must be > 0");
    if (t > 0 && alive[t] > alive[t - 1]) fail("exceeds alive[t - 1]: survivors cannot increase");
  }
}

namespace detail {

inline void check_period(double t, const char* what, double minimum) {
  if (!std::isfinite(t) || t < minimum || t != std::floor(t))
    throw std::invalid_argument(std::string("sbg: ") + what + " must be a whole number >= " +
                                std::to_string(static_cast<int>(minimum)));
}

/// LL(α, β) and its gradient over a (checked) survival vector; one pass over the periods.
inline double sbg_log_likelihood(std::span<const double> alive, double alpha, double beta,
                                 std::array<double, 2>& grad) {
  double ll = 0.0, d_alpha = 0.0, d_beta = 0.0;
  const double log_alpha = std::log(alpha), inverse_alpha = 1.0 / alpha;
  // Running sums over the rising factorials: (β)_{t−1} and (α + β)_t.
  double log_b = 0.0, inv_b = 0.0, log_ab = 0.0, inv_ab = 0.0;
  for (std::size_t t = 1; t < alive.size(); ++t) {
    const double period = static_cast<double>(t);
    if (t > 1) {
      log_b += std::log(beta + period - 2.0);
      inv_b += 1.0 / (beta + period - 2.0);
    }
    log_ab += std::log(alpha + beta + period - 1.0);
    inv_ab += 1.0 / (alpha + beta + period - 1.0);
    const double churned = alive[t - 1] - alive[t];
    if (churned > 0.0) {
      ll += churned * (log_alpha + log_b - log_ab);
      d_alpha += churned * (inverse_alpha - inv_ab);
      d_beta += churned * (inv_b - inv_ab);
    }
  }
  const std::size_t k = alive.size() - 1;
  const double survivors = alive[k];
  if (k > 0 && survivors > 0.0) {
    // S(k) = (β)_k / (α + β)_k: one more factor β + k − 1 than (β)_{k−1}.
    const double last = beta + static_cast<double>(k) - 1.0;
    ll += survivors * (log_b + std::log(last) - log_ab);
    d_alpha -= survivors * inv_ab;
    d_beta += survivors * (inv_b + 1.0 / last - inv_ab);
  }
  grad = {d_alpha, d_beta};
  return ll;
}

/// ₂F₁(1, b; c; z) = Σ_k Π_{j<k} (b + j)/(c + j) z^k for 0 < b < c, 0 < z < 1.
inline double hypergeometric_2f1_unit_a(double b, double c, double z) {
  double term = 1.0, sum = 1.0;
  for (double j = 0.0; j < 1e8; j += 1.0) {
    term *= (b + j) / (c + j) * z;
    sum += term;
    // The remaining terms are below term · z/(1 − z) (their ratios are below z).
    if (term * z / (1.0 - z) <= 1e-17 * sum) return sum;
  }
  throw std::domain_error("sbg: the DERL series did not converge (discount rate too small)");
}

/// S(t) = B(α, β + t)/B(α, β) = [Γ(β + t)/Γ(α + β + t)] / [Γ(β)/Γ(α + β)]: two ratios Γ(a)/Γ(a + α)
/// (Boost's tgamma_delta_ratio), which neither overflow nor underflow for large t (S(t) ~ t^−α).
inline double sbg_survival(double alpha, double beta, double t) {
  if (t == 0.0) return 1.0;
  return boost::math::tgamma_delta_ratio(beta + t, alpha) / boost::math::tgamma_delta_ratio(beta, alpha);
}

inline double discount_factor(double discount) {
  if (!std::isfinite(discount) || !(discount > 0.0))
    throw std::invalid_argument("sbg: discount rate must be finite and > 0");
  return 1.0 / (1.0 + discount);
}

}  // namespace detail

/// P(T = t) = B(α + 1, β + t − 1)/B(α, β): the probability that a new customer leaves in period t ≥ 1.
[[nodiscard]] inline double churn_probability(const sbg& m, double t) {
  check_parameters(m);
  detail::check_period(t, "t", 1.0);
  // α/(α + β + t − 1) · S(t − 1).
  return m.alpha / (m.alpha + m.beta + t - 1.0) * detail::sbg_survival(m.alpha, m.beta, t - 1.0);
}

/// S(t) = P(T > t) = B(α, β + t)/B(α, β): the share of a cohort still active after t ≥ 0 periods; for t
/// beyond the data this is the projection of FH 2007.
[[nodiscard]] inline double survival(const sbg& m, double t) {
  check_parameters(m);
  detail::check_period(t, "t", 0.0);
  return detail::sbg_survival(m.alpha, m.beta, t);
}

/// r_t = (β + t − 1)/(α + β + t − 1): the share of the customers active at the start of period t ≥ 1
/// who renew at its end.
[[nodiscard]] inline double retention_rate(const sbg& m, double t) {
  check_parameters(m);
  detail::check_period(t, "t", 1.0);
  return (m.beta + t - 1.0) / (m.alpha + m.beta + t - 1.0);
}

/// LL(α, β) = Σ_t n_t log P(T = t) + alive[k] log S(k) over a cohort survival vector.
[[nodiscard]] inline double log_likelihood(const sbg& m, std::span<const double> alive) {
  check_parameters(m);
  check_survival(alive);
  std::array<double, 2> g{};
  return detail::sbg_log_likelihood(alive, m.alpha, m.beta, g);
}

/// ∂/∂(α, β) of the log-likelihood: the analytic gradient the fit uses.
[[nodiscard]] inline std::array<double, 2> log_likelihood_gradient(const sbg& m, std::span<const double> alive) {
  check_parameters(m);
  check_survival(alive);
  std::array<double, 2> g{};
  (void)detail::sbg_log_likelihood(alive, m.alpha, m.beta, g);
  return g;
}

/// DERL(d | α, β, n): expected discounted number of payments of a customer who has made n ≥ 0
/// renewals, counted from the next renewal decision (undiscounted) on (FH 2010).
[[nodiscard]] inline double discounted_expected_residual_lifetime(const sbg& m, double discount, double renewals) {
  check_parameters(m);
  detail::check_period(renewals, "renewals", 0.0);
  const double z = detail::discount_factor(discount);
  const double b = m.beta + renewals + 1.0, c = m.alpha + m.beta + renewals + 1.0;
  return retention_rate(m, renewals + 1.0) * detail::hypergeometric_2f1_unit_a(b, c, z);
}

/// DEL(d | α, β) = ₂F₁(1, β; α + β; 1/(1 + d)): expected discounted number of payments of a new
/// customer, the first one now (FH 2010).
[[nodiscard]] inline double discounted_expected_lifetime(const sbg& m, double discount) {
  check_parameters(m);
  return detail::hypergeometric_2f1_unit_a(m.beta, m.alpha + m.beta, detail::discount_factor(discount));
}

/// A fitted sBG model; diagnostics in the order (α, β).
struct sbg_fit {
  sbg model;  ///< the fitted parameters
  fit_outcome<2> diagnostics;  ///< the fit's diagnostics
};

/// Maximum-likelihood fit of the sBG model to one cohort's survival vector (FH 2007). Default start
/// (1, 1); `start` warm-starts. Throws fit_error when the data cannot identify the model (see the
/// header comment), std::invalid_argument on an invalid survival vector or start.
[[nodiscard]] inline sbg_fit fit_sbg(std::span<const double> alive, const fit_options& options = {},
                                     std::optional<sbg> start = {}) {
  check_survival(alive);
  if (alive.size() < 3)
    throw fit_error("sbg: at least two periods are needed (alive[0..2]); one period identifies only "
                    "alpha / (alpha + beta)");
  const std::size_t k = alive.size() - 1;
  if (alive[k] == alive[0]) throw fit_error("sbg: nobody left the cohort; the churn rate cannot be identified");
  if (alive[1] == 0.0) throw fit_error("sbg: the whole cohort left in period 1; the model cannot be identified");
  if (alive[k] == alive[1])
    throw fit_error("sbg: nobody left after period 1; the maximum lies on the boundary alpha, beta -> 0");
  std::array<double, 2> initial{1.0, 1.0};
  if (start) {
    check_parameters(*start);
    initial = {start->alpha, start->beta};
  }
  auto objective = [alive](const std::array<double, 2>& theta, std::array<double, 2>& grad) {
    return detail::sbg_log_likelihood(alive, theta[0], theta[1], grad);
  };
  auto outcome = maximize_likelihood<2>("sbg", objective, initial, alive[0], options);
  return {{outcome.parameters[0], outcome.parameters[1]}, outcome};
}

}  // namespace cxm::value
