#pragma once
/// \file
/// MBG/NBD ("modified" BG/NBD) model of repeat buying (Batislam, Denizel & Filiztekin 2007,
/// "Empirical validation and comparison of models for customer base analysis", International
/// Journal of Research in Marketing 24(3), 201–209).
///
/// Like the BG/NBD (bg_nbd.hpp): purchases at Poisson rate λ ~ Gamma(r, α) while alive, dropout
/// probability p ~ Beta(a, b) — but the dropout coin is also tossed right after the first purchase
/// (time 0), so a customer with no repeat purchase may already be gone: P(alive | x = 0) < 1.
/// Individual level, given (λ, p):
///   L(x, t_x, T | λ, p) = (1−p)^{x+1} λ^x e^{−λT} + p (1−p)^x λ^x e^{−λ t_x}.
/// Mixing over λ and p (E[(1−p)^{x+1}] = B(a, b+x+1)/B(a, b), E[p(1−p)^x] = B(a+1, b+x)/B(a, b)):
///   L(x, t_x, T) = B(a, b+x+1)/B(a, b) · Γ(r+x) α^r / (Γ(r) (α+T)^{r+x})
///                + B(a+1, b+x)/B(a, b) · Γ(r+x) α^r / (Γ(r) (α+t_x)^{r+x})
///     computed as log L = r log α + Σ_{j<x} log(r+j) + Σ_{j≤x} log[(b+j)/(a+b+j)] − (r+x) log(α+T)
///                       + log(1 + D),   D = a/(b+x) · ((α+T)/(α+t_x))^{r+x}   (for every x ≥ 0).
///   P(alive | x, t_x, T) = 1 / (1 + D)          (x = 0, T = 0: b/(a+b))
///   E[X(t)] = b/(a−1) · [1 − (α/(α+t))^r · 2F1(r, b+1; a+b; t/(α+t))]
///     (= E[1−p] · the expectation of an alive customer with p ~ Beta(a, b+1)),
///   E[Y(t) | x, t_x, T] = (a+b+x)/(a−1) · [1 − ((α+T)/(α+T+t))^{r+x} 2F1(r+x, b+x+1; a+b+x; z)]
///                         · P(alive),   z = t/(α+T+t),
///   P(X(t) = n) = B(a, b+n+1)/B(a, b) · NB(n; r, t/(α+t)) + B(a+1, b+n)/B(a, b) · P(NB ≥ n)
///     (n = 0 includes the customers gone at time 0: P(NB ≥ 0) = 1).
/// The expressions for P(alive), E[X(t)], E[Y(t)] and P(X(t) = n) follow from the individual-level
/// model above by the same steps as Fader, Hardie & Lee 2005 (eqs. 7, 8, 10) and agree with
/// Batislam et al. (2007); the tests check each one against direct numerical integration over the
/// mixing distributions. The 2F1 brackets are evaluated by
/// detail::beta_geometric::alive_expected_purchases (Euler-transformed Gauss series, finite at a = 1).
///
/// Cost, thread-safety and validation: as bg_nbd.hpp (pure functions, reentrant).
/// See docs/metrics/lifetime-value.md.

#include <array>
#include <cmath>
#include <optional>
#include <span>

#include <Eigen/Core>

#include "cxm/value/bg_nbd.hpp"
#include "cxm/value/fit.hpp"
#include "cxm/value/histories.hpp"

namespace cxm::value {

/// MBG/NBD parameters: λ ~ Gamma(shape r, rate α), p ~ Beta(a, b). All finite and > 0.
struct mbg_nbd {
  double r = 0.0;  ///< shape of the purchase-rate Gamma
  double alpha = 0.0;  ///< rate of the purchase-rate Gamma, in the model's time unit
  double a = 0.0;  ///< first shape of the dropout Beta
  double b = 0.0;  ///< second shape of the dropout Beta
  /// Compares every field.
  friend bool operator==(const mbg_nbd&, const mbg_nbd&) = default;
};

namespace detail::beta_geometric {

inline double mbg_log_d(const mbg_nbd& m, const purchase_history& h) {
  return std::log(m.a / (m.b + h.x)) + (m.r + h.x) * (std::log(m.alpha + h.T) - std::log(m.alpha + h.t_x));
}

}  // namespace detail::beta_geometric

/// Log-likelihood of one customer (Batislam, Denizel & Filiztekin 2007); the weight is ignored.
[[nodiscard]] inline double log_likelihood(const mbg_nbd& m, const purchase_history& h) {
  namespace d = detail::beta_geometric;
  d::check_parameters("mbg_nbd", m.r, m.alpha, m.a, m.b);
  check_history(h, 0);
  return m.r * std::log(m.alpha) + d::log_rising(m.r, h.x) + d::log_rising_ratio(m.b, m.a + m.b, h.x + 1.0) -
         (m.r + h.x) * std::log(m.alpha + h.T) + d::softplus(d::mbg_log_d(m, h));
}

/// Σ weight · log L over the histories; validates each history (its index is in the message).
[[nodiscard]] inline double log_likelihood(const mbg_nbd& m, std::span<const purchase_history> histories) {
  detail::beta_geometric::check_parameters("mbg_nbd", m.r, m.alpha, m.a, m.b);
  const auto d = detail::beta_geometric::tabulate(histories, true);
  detail::beta_geometric::workspace ws;
  std::array<double, 4> g{};
  return detail::beta_geometric::log_likelihood_and_gradient(d, {m.r, m.alpha, m.a, m.b}, g, ws);
}

/// ∂/∂(r, α, a, b) of Σ weight · log L (analytic; the gradient the fit uses).
[[nodiscard]] inline std::array<double, 4> log_likelihood_gradient(const mbg_nbd& m,
                                                                   std::span<const purchase_history> histories) {
  detail::beta_geometric::check_parameters("mbg_nbd", m.r, m.alpha, m.a, m.b);
  const auto d = detail::beta_geometric::tabulate(histories, true);
  detail::beta_geometric::workspace ws;
  std::array<double, 4> g{};
  (void)detail::beta_geometric::log_likelihood_and_gradient(d, {m.r, m.alpha, m.a, m.b}, g, ws);
  return g;
}

/// P(alive at T | x, t_x, T) = 1 / (1 + a/(b+x) ((α+T)/(α+t_x))^{r+x}); below 1 even for x = 0.
[[nodiscard]] inline double p_alive(const mbg_nbd& m, const purchase_history& h) {
  detail::beta_geometric::check_parameters("mbg_nbd", m.r, m.alpha, m.a, m.b);
  check_history(h, 0);
  return detail::beta_geometric::logistic(-detail::beta_geometric::mbg_log_d(m, h));
}

/// E[Y(t) | x, t_x, T]: expected purchases in (T, T+t].
[[nodiscard]] inline double expected_purchases(const mbg_nbd& m, const purchase_history& h, double t) {
  detail::beta_geometric::check_time("mbg_nbd", t);
  const double alive = p_alive(m, h);  // validates
  return alive *
         detail::beta_geometric::alive_expected_purchases(m.r + h.x, m.alpha + h.T, m.a, m.b + h.x + 1.0, t);
}

/// E[X(t)]: expected repeat purchases of a new customer in (0, t].
[[nodiscard]] inline double expected_purchases(const mbg_nbd& m, double t) {
  detail::beta_geometric::check_parameters("mbg_nbd", m.r, m.alpha, m.a, m.b);
  detail::beta_geometric::check_time("mbg_nbd", t);
  return m.b / (m.a + m.b) * detail::beta_geometric::alive_expected_purchases(m.r, m.alpha, m.a, m.b + 1.0, t);
}

/// P(X(t) = n) for a new customer.
[[nodiscard]] inline double purchase_probability(const mbg_nbd& m, double t, unsigned n) {
  namespace d = detail::beta_geometric;
  d::check_parameters("mbg_nbd", m.r, m.alpha, m.a, m.b);
  d::check_time("mbg_nbd", t);
  if (t == 0.0) return n == 0 ? 1.0 : 0.0;
  const double nn = static_cast<double>(n);
  const double log_beta_ratio = d::log_rising_ratio(m.b, m.a + m.b, nn);  // log B(a, b+n)/B(a, b)
  // B(a, b+n+1)/B(a, b) = (b+n)/(a+b+n) · B(a, b+n)/B(a, b);  B(a+1, b+n)/B(a, b) = a/(a+b+n) · same
  const double alive_share = (m.b + nn) / (m.a + m.b + nn);
  return std::exp(log_beta_ratio) * (alive_share * std::exp(d::log_negative_binomial(m.r, m.alpha, t, n)) +
                                     m.a / (m.a + m.b + nn) * d::negative_binomial_tail(m.r, m.alpha, t, n));
}

/// A fitted MBG/NBD model; diagnostics.parameters = (r, α, a, b), with their standard errors.
struct mbg_nbd_fit {
  mbg_nbd model;  ///< the fitted parameters
  fit_outcome<4> diagnostics;  ///< the fit's diagnostics
};

/// Maximum-likelihood fit (maximize_likelihood, fit.hpp) with the analytic gradient on the
/// compressed patterns; same cold start and warm-start Newton steps as fit_bg_nbd. Throws std::invalid_argument for an invalid
/// history or start, fit_error when no customer has x > 0 (r → 0 and b/a → ∞ then).
[[nodiscard]] inline mbg_nbd_fit fit_mbg_nbd(std::span<const purchase_history> histories, const fit_options& options = {},
                                             std::optional<mbg_nbd> start = {}) {
  namespace d = detail::beta_geometric;
  const auto patterns = compress(histories);  // validates
  const auto data = d::tabulate(patterns, true);
  if (!(data.repeat_weight > 0.0))
    throw fit_error("mbg_nbd: no customer has a repeat purchase (x > 0); the model is not identified");
  const auto cold = default_start_bg_nbd(patterns);
  const mbg_nbd s = start ? *start : mbg_nbd{cold.r, cold.alpha, cold.a, cold.b};
  d::check_parameters("mbg_nbd start", s.r, s.alpha, s.a, s.b);
  d::workspace ws;
  std::array<double, 4> from{s.r, s.alpha, s.a, s.b};
  const int newton = start ? d::warm_start_newton(data, from, options, ws) : 0;
  auto ll = [&](const std::array<double, 4>& p, std::array<double, 4>& g) {
    return d::log_likelihood_and_gradient(data, p, g, ws);
  };
  auto out = maximize_likelihood<4>("mbg_nbd", ll, from, data.total_weight, options);
  out.evaluations += newton;
  const auto& q = out.parameters;
  return {mbg_nbd{q[0], q[1], q[2], q[3]}, out};
}

}  // namespace cxm::value
