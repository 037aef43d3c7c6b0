#pragma once
// What the value model tests share: the message of an exception, a gradient by central differences,
// and standard errors from a value-only finite-difference Hessian (an independent check of fit_outcome::standard_errors, which
// differentiates the analytic gradient).

#include <array>
#include <cmath>
#include <cstddef>
#include <exception>
#include <string>

#include <Eigen/Core>
#include <Eigen/LU>

namespace cxm_test {

/// e.what() of what f() throws, or "(no exception)".
template <class F>
std::string message_of(F&& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "(no exception)";
}

/// ∂ll/∂p_i at p by central differences of ll's values (steps 1e-6 · p_i): the independent check of an
/// analytic gradient.
template <std::size_t N, class LogLikelihood>
std::array<double, N> central_difference_gradient(LogLikelihood ll, const std::array<double, N>& p) {
  std::array<double, N> g{};
  for (std::size_t i = 0; i < N; ++i) {
    const double h = 1e-6 * p[i];
    auto up = p, down = p;
    up[i] += h;
    down[i] -= h;
    g[i] = (ll(up) - ll(down)) / (2.0 * h);
  }
  return g;
}

/// √diag((−∂²ll)⁻¹) at p, with the Hessian by central differences of ll's values only (steps 1e-4 · p).
template <std::size_t N, class LogLikelihood>
std::array<double, N> standard_errors_by_values(LogLikelihood ll, const std::array<double, N>& p) {
  Eigen::Matrix<double, static_cast<int>(N), static_cast<int>(N)> info;
  for (std::size_t i = 0; i < N; ++i)
    for (std::size_t j = 0; j < N; ++j) {
      const double hi = 1e-4 * p[i], hj = 1e-4 * p[j];
      auto pp = p, pm = p, mp = p, mm = p;
      pp[i] += hi;
      pp[j] += hj;
      pm[i] += hi;
      pm[j] -= hj;
      mp[i] -= hi;
      mp[j] += hj;
      mm[i] -= hi;
      mm[j] -= hj;
      info(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j)) = -(ll(pp) - ll(pm) - ll(mp) + ll(mm)) / (4 * hi * hj);
    }
  const auto covariance = info.inverse().eval();
  std::array<double, N> se{};
  for (std::size_t i = 0; i < N; ++i) se[i] = std::sqrt(covariance(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(i)));
  return se;
}

}  // namespace cxm_test
