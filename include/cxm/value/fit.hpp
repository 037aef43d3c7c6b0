#pragma once
/// \file
/// Maximum-likelihood fitting shared by the lifetime-value models (bg_nbd, pareto_nbd, gamma_gamma,
/// bg_bb, sbg, ...): every model's parameters are positive, so the search runs over θ = log p with
/// L-BFGS (LBFGSpp over Eigen; Debian liblbfgspp-dev, libeigen3-dev), with the model's analytic
/// gradient. See docs/metrics/lifetime-value.md.
///
/// Objective minimised (the convention of the `lifetimes` Python package, so that a penalty carried
/// over from it means the same thing):
///
///     f(p) = −LL(p) / W + λ Σ_i p_i²,     LL(p) = Σ_c w_c · log L(p | data_c),   W = Σ_c w_c,
///
/// λ = fit_options::l2_penalty (0 by default: the plain maximum-likelihood estimate). The reported
/// log-likelihood is the plain weighted sum LL(p), without penalty, comparable with the papers.
/// Standard errors are the square roots of the diagonal of the inverse of the observed information
/// −∂²LL/∂p² (central differences of the analytic gradient, in p, at the optimum).
///
/// Deterministic: a fixed start (the model's default, or the caller's previous parameters for a warm
/// start), no random restarts. A warm start from a nearby optimum needs fewer evaluations than a
/// cold one (Newton steps with a finite-difference Hessian of the analytic gradient while the
/// gradient is small, then L-BFGS): the incremental path (docs/metrics/lifetime-value.md,
/// "Incremental refit").
///
/// Cost: one evaluation of the model's log-likelihood and gradient per line-search step, plus 2·N
/// gradient evaluations for the standard errors. Not thread-safe per call object; reentrant.

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <limits>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

#include <Eigen/Cholesky>
#include <Eigen/Core>
#include <LBFGS.h>

namespace cxm::value {

/// The data cannot identify the model (no repeat customers, all-zero spend, no weight), or the fit
/// ended at a non-finite likelihood. Never a NaN presented as a result.
class fit_error : public std::domain_error {
 public:
  using std::domain_error::domain_error;
};

/// How a fit runs. Defaults: plain maximum likelihood; the search stops when the gradient of the
/// mean objective in log-parameters is below 1e-7 relative to max(1, ‖θ‖) (parameters accurate to
/// about 1e-7 relative: far below any standard error), or when the objective stops moving.
struct fit_options {
  double l2_penalty = 0.0;      ///< λ ≥ 0 in f(p) = −LL/W + λ Σ p²
  int max_iterations = 1000;    ///< L-BFGS iterations
  double gradient_tolerance = 1e-7;  ///< the stopping rule above
};

/// A fitted model's parameters with their diagnostics.
template <std::size_t N>
struct fit_outcome {
  std::array<double, N> parameters{};  ///< the model's parameters, in its order
  /// √diag((−∂²LL/∂p²)⁻¹); NaN for every parameter when the observed information is not positive
  /// definite (hessian_positive_definite == false).
  std::array<double, N> standard_errors{};
  bool hessian_positive_definite = false;  ///< whether the observed information is positive definite
  double log_likelihood = 0.0;  ///< plain weighted sum Σ w log L at the parameters, no penalty
  double objective = 0.0;       ///< the penalised mean f(p) that was minimised
  int iterations = 0;           ///< L-BFGS iterations
  int evaluations = 0;          ///< log-likelihood-and-gradient evaluations (standard errors excluded)
  bool converged = false;       ///< the gradient test passed (false: stopped at max_iterations or
                                ///< at a line search that could not progress)
};

/// Maximises Σ w log L over positive parameters.
///
/// `log_likelihood(p, grad)` returns LL(p) (the weighted sum) and writes ∂LL/∂p_i into grad; it may
/// return a non-finite value for parameters where the likelihood cannot be evaluated (treated as
/// +∞ objective: the line search steps back). `total_weight` is W > 0. `start` holds positive
/// parameters. Throws fit_error naming `model` when W ≤ 0, the start is not positive and finite, or
/// the search ends at a non-finite likelihood.
template <std::size_t N, class LogLikelihood>
[[nodiscard]] fit_outcome<N> maximize_likelihood(std::string_view model, LogLikelihood&& log_likelihood,
                                                 const std::array<double, N>& start, double total_weight,
                                                 const fit_options& options = {}) {
  using vector = Eigen::VectorXd;  // LBFGSpp works on dynamic vectors
  const auto n = static_cast<Eigen::Index>(N);
  const std::string name(model);
  if (!(total_weight > 0.0) || !std::isfinite(total_weight))
    throw fit_error(name + ": the data carry no weight (no customers to fit)");
  if (!(options.l2_penalty >= 0.0) || !std::isfinite(options.l2_penalty))
    throw std::invalid_argument(name + ": l2_penalty must be finite and >= 0");
  if (options.max_iterations < 1) throw std::invalid_argument(name + ": max_iterations must be >= 1");
  for (std::size_t i = 0; i < N; ++i)
    if (!(start[i] > 0.0) || !std::isfinite(start[i]))
      throw std::invalid_argument(name + ": start parameter " + std::to_string(i) +
                                  " must be positive and finite");

  const double lambda = options.l2_penalty;
  int evaluations = 0;
  double best_f = std::numeric_limits<double>::infinity();
  vector best_theta(n);
  vector best_grad = vector::Zero(n);
  for (std::size_t i = 0; i < N; ++i) best_theta[static_cast<Eigen::Index>(i)] = std::log(start[i]);

  // f(θ) and ∂f/∂θ_i = (−∂LL/∂p_i / W + 2 λ p_i) · p_i.
  auto objective = [&](const vector& theta, vector& grad) -> double {
    ++evaluations;
    std::array<double, N> p{};
    std::array<double, N> g{};
    for (std::size_t i = 0; i < N; ++i) p[i] = std::exp(theta[static_cast<Eigen::Index>(i)]);
    const double ll = log_likelihood(std::as_const(p), g);
    double f = -ll / total_weight;
    bool finite = std::isfinite(f);
    for (std::size_t i = 0; i < N && finite; ++i) {
      f += lambda * p[i] * p[i];
      const double gi = (-g[i] / total_weight + 2.0 * lambda * p[i]) * p[i];
      finite = std::isfinite(gi) && std::isfinite(p[i]);
      grad[static_cast<Eigen::Index>(i)] = gi;
    }
    if (!finite || !std::isfinite(f)) {
      grad.setZero();
      return std::numeric_limits<double>::infinity();
    }
    if (f < best_f) {
      best_f = f;
      best_theta = theta;
      best_grad = grad;
    }
    return f;
  };

  vector theta0 = best_theta;
  vector g0(n);
  double f0 = objective(theta0, g0);
  if (!std::isfinite(f0)) throw fit_error(name + ": the log-likelihood is not finite at the start parameters");
  const double tolerance = options.gradient_tolerance * std::max(1.0, theta0.norm());
  fit_outcome<N> out;

  // Near an optimum (a warm start: ‖∇f‖ ≤ 0.1), Newton steps with the Hessian by forward
  // differences of the analytic gradient (N + 1 evaluations a step) converge in one or two steps,
  // where L-BFGS, which starts without curvature, would first search for the step length. Each
  // step must decrease f and stay within 1 in log-parameters; otherwise L-BFGS takes over.
  for (int step = 0; step < 3 && g0.norm() > tolerance && g0.norm() <= 0.1; ++step) {
    Eigen::MatrixXd hessian(n, n);
    bool finite = true;
    for (Eigen::Index j = 0; j < n && finite; ++j) {
      vector t = theta0, gj(n);
      const double h = 1e-5 * std::max(1.0, std::abs(theta0[j]));
      t[j] += h;
      finite = std::isfinite(objective(t, gj));
      hessian.col(j) = (gj - g0) / h;
    }
    if (!finite) break;
    const Eigen::MatrixXd sym = 0.5 * (hessian + hessian.transpose());
    const Eigen::LLT<Eigen::MatrixXd> llt(sym);
    if (llt.info() != Eigen::Success) break;
    const vector delta = -llt.solve(g0);
    if (!delta.allFinite() || delta.norm() > 1.0) break;
    vector t = theta0 + delta, gt(n);
    const double ft = objective(t, gt);
    if (!(ft <= f0)) break;
    theta0 = t;
    g0 = gt;
    f0 = ft;
  }

  // L-BFGS runs on u, θ = θ₀ + σ u, σ = min(1, ‖∇f(θ₀)‖): its first step has length 1 in its
  // variable, which from near an optimum would overshoot by far; in u it is the gradient step
  // θ₁ = θ₀ − ∇f(θ₀) (and a unit step from a cold start). Later steps are scaled by the
  // quasi-Newton update, whatever σ is.
  if (g0.norm() > tolerance) {
    const double sigma = std::min(1.0, g0.norm());
    auto in_u = [&](const vector& u, vector& grad_u) -> double {
      const vector theta = theta0 + sigma * u;
      const double f = objective(theta, grad_u);
      grad_u *= sigma;
      return f;
    };
    LBFGSpp::LBFGSParam<double> param;
    param.epsilon = tolerance * sigma;  // ‖∇_u f‖ = σ ‖∇_θ f‖
    param.epsilon_rel = 0.0;
    // Also stop when the objective no longer moves (relative 1e-15: at the rounding of a sum of
    // thousands of log-likelihood terms the gradient test cannot pass, and the line search would
    // spend its evaluations on noise).
    param.past = 1;
    param.delta = 1e-15;
    param.max_iterations = options.max_iterations;
    param.max_linesearch = 30;
    param.linesearch = LBFGSpp::LBFGS_LINESEARCH_BACKTRACKING_STRONG_WOLFE;
    LBFGSpp::LBFGSSolver<double, LBFGSpp::LineSearchBacktracking> solver(param);
    vector u = vector::Zero(n);
    double fx = 0.0;
    try {
      out.iterations = solver.minimize(in_u, u, fx);
    } catch (const std::runtime_error&) {
      // The line search could not progress (at a numerical optimum this is expected): the best
      // point seen is kept, and the gradient test below decides whether it converged.
    } catch (const std::logic_error&) {
    }
  }
  vector theta = best_theta;
  // Converged: the gradient of the mean objective in log-parameters is within 1e-6 (or the
  // requested tolerance, if larger) relative to max(1, ‖θ‖) — at the rounding level of the
  // objective, the parameters are then accurate to about 1e-6 relative — before max_iterations.
  const double gnorm = best_grad.norm();
  out.converged = out.iterations < options.max_iterations &&
                  gnorm <= std::max(1e-6, options.gradient_tolerance) * std::max(1.0, theta.norm());
  out.evaluations = evaluations;
  out.objective = best_f;

  std::array<double, N> p{};
  std::array<double, N> g{};
  for (std::size_t i = 0; i < N; ++i) p[i] = std::exp(theta[static_cast<Eigen::Index>(i)]);
  out.parameters = p;
  out.log_likelihood = log_likelihood(std::as_const(p), g);
  if (!std::isfinite(out.log_likelihood))
    throw fit_error(name + ": the fit ended at a non-finite log-likelihood");

  // Observed information by central differences of the analytic gradient.
  using matrix = Eigen::Matrix<double, static_cast<int>(N), static_cast<int>(N)>;
  matrix info;
  bool finite = true;
  for (std::size_t j = 0; j < N; ++j) {
    const double h = 1e-5 * std::max(std::abs(p[j]), 1e-3);
    std::array<double, N> up = p, down = p, gu{}, gd{};
    up[j] += h;
    down[j] = std::max(down[j] - h, 0.5 * down[j]);
    const double span = up[j] - down[j];
    const double lu = log_likelihood(std::as_const(up), gu);
    const double ld = log_likelihood(std::as_const(down), gd);
    finite = finite && std::isfinite(lu) && std::isfinite(ld);
    for (std::size_t i = 0; i < N; ++i)
      info(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j)) = -(gu[i] - gd[i]) / span;
  }
  matrix sym = 0.5 * (info + info.transpose());
  Eigen::LLT<matrix> llt(sym);
  out.hessian_positive_definite = finite && sym.allFinite() && llt.info() == Eigen::Success;
  if (out.hessian_positive_definite) {
    const matrix inv = llt.solve(matrix::Identity());
    for (std::size_t i = 0; i < N; ++i) {
      const double v = inv(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(i));
      out.standard_errors[i] = v > 0.0 ? std::sqrt(v) : std::numeric_limits<double>::quiet_NaN();
    }
  } else {
    out.standard_errors.fill(std::numeric_limits<double>::quiet_NaN());
  }
  return out;
}

}  // namespace cxm::value
