#pragma once
/// \file
/// Pareto/NBD model of repeat buying in a non-contractual setting (Schmittlein, Morrison & Colombo
/// 1987, "Counting your customers: who are they and what will they do next?", Management Science
/// 33(1), hereafter SMC). While alive a customer buys as a Poisson process of rate λ; he dies after an
/// exponential lifetime of rate μ; λ ~ Gamma(r, α), μ ~ Gamma(s, β), independent across customers.
/// Input: purchase_history {x, t_x, T} (histories.hpp), time in the model's unit (weeks for CDNOW).
///
/// Likelihood (Fader & Hardie 2005, "A note on deriving the Pareto/NBD model and related
/// expressions", brucehardie.com note 009, section 3, eqs. (22)–(23)):
///
///   L = Γ(r+x) α^r β^s / Γ(r) · { (α+T)^−(r+x) (β+T)^−s + s/(r+s+x) · A₀ },
///   A₀ = F(t_x) − F(T),   F(t) = 2F1(a, b; a+1; z(t)) / (m+t)^a,   a = r+s+x,
///   α ≥ β:  m = α, b = s+1,   z(t) = (α−β)/(α+t);     α < β:  m = β, b = r+x,  z(t) = (β−α)/(β+t),
///
/// so that 0 ≤ z < 1 always. s/(r+s+x)·A₀ is s∫_{t_x}^{T} (α+τ)^−(r+x) (β+τ)^−(s+1) dτ (the
/// customer died at τ after his last purchase), which the tests check by quadrature.
///
/// Numerically stable evaluation (as in Fader & Hardie's MATLAB note 008, the terms are put over the
/// common factor (m+t_x)^−a, so nothing under- or overflows for large x):
///   log L = Σ_{k<x} log(r+k) + r log α + s log β − a log(m+t_x) + log H̃,
///   H̃ = ρ·(1−z(T))^−e + s·[S₀(t_x) − ρ·S₀(T)],   ρ = ((m+t_x)/(m+T))^a,  e = s (α ≥ β) or r+x,
/// with S₀(t) = 2F1(a, b; a+1; z(t))/a = Σ_n (b)_n z^n / (n! (a+n)) (both terms of H̃ are ≥ 0
/// in exact arithmetic: ρ(1−z_T)^−e − sρS₀(T) = (r+x)∫_T^∞ (α+τ)^−(r+x+1)(β+τ)^−s dτ·(m+t_x)^a).
/// Γ(r+x)/Γ(r) is the rising factorial, a sum of x logs (lgamma beyond 64 steps).
///
/// 2F1 (detail::pnbd_series_at): the Gauss series (Abramowitz & Stegun 15.1.1) summed directly.
/// Its z-free coefficients 1/(a+n), (b+n)/(n+1), Σ_{k<n} 1/(b+k) depend on (r, s, x) only and are
/// tabulated once per x per evaluation (detail::pnbd_coefficients), so the loops run without
/// divisions. Convergence test: at term n every later ratio of successive terms of Σ (b)_n zⁿ/n!
/// is at most q = max(z, (b+n)z/(n+1)) (those ratios are monotone in n and tend to z); once q < 1
/// the tail is ≤ u_n·q/(1−q), and summation stops when that bound is ≤ 2^−53·(partial sum)/(a+1)
/// — a bound on the relative truncation error of S₀, of its a- and z-derivative sums and of Σu_n
/// (the b-derivative sum gets a bound a few ulps looser). All terms are positive: no
/// cancellation. Cost ≈ log ε / log z terms: z ≤ 0.093 at the CDNOW optimum (≈ 10–16 terms).
/// z → 1 only when min(α,β)+t ≪ max(α,β); beyond `max_terms` (10⁶ for the public functions, 10⁴
/// inside a fit) the public functions throw std::domain_error and the fit treats the point as
/// infeasible (the line search steps back). Tested against boost::math::hypergeometric_pFq at 252
/// points (0 ≤ z ≤ 0.9, 0.3 ≤ a ≤ 210, 0.25 ≤ b ≤ 200), relative 1e−12.
///
/// Gradient: analytic. Each series term's log is differentiated w.r.t. a, b, m, min(α,β) (derivative
/// sums S₁ = Σ n u_n/(z(a+n)), S₂ = Σ u_n/(a+n)², S₃ = Σ u_n h_n/(a+n), h_n = Σ_{k<n} 1/(b+k), and
/// U = Σ u_n = (1−z)^−b), and mapped back to (r, α, s, β) per case; Σ 1/(r+k) for ∂/∂r of the
/// rising factorial. No finite differences.
///
/// P(alive | x, t_x, T) = (α+T)^−(r+x)(β+T)^−s / {…} of L  (note 009, section 5).
/// E[Y(t) | x, t_x, T] = P(alive)·(r+x)(β+T)/((α+T)(s−1))·[1 − ((β+T)/(β+T+t))^(s−1)]
///                                                       (note 009, section 6),
///   at s = 1 the limit (r+x)(β+T)/(α+T)·log(1 + t/(β+T)); written with expm1 so that it is smooth.
/// E[X(t)] = rβ/(α(s−1))·[1 − (β/(β+t))^(s−1)]             (note 009, section 4).
/// P(X(t) = n) = Γ(r+n)/(Γ(r)n!)·(α/(α+t))^r (t/(α+t))^n (β/(β+t))^s
///             + Γ(r+n)/(Γ(r)n!)·α^r β^s s ∫₀^t τ^n (α+τ)^−(r+n) (β+τ)^−(s+1) dτ
///   (alive at t with n purchases, or died at τ < t after n purchases: the conditioning argument of
///   Fader & Hardie note 012, section 3, integrated over the gammas), the integral by adaptive
///   Gauss–Kronrod (Boost.Math) instead of note 012's closed form (a finite sum of 2F1s); checked in
///   the tests against Σ_n P = 1 and Σ_n n·P = E[X(t)].
///
/// Per-call cost: one history ≈ 2 series of ~log ε/log z terms, 5 logs and 2 exps (plus x logs of
/// the rising factorial; lgamma beyond 64). Fit: compress(), then per evaluation the logs of the
/// distinct T (84 on CDNOW) and t_x (257) once, the series at t_x once per distinct (x, t_x) (586)
/// and at T once per distinct (x, T) (464), for the 1,016 patterns; ≈ 30 evaluations + 8 for the
/// standard errors. Measured (g++ -O2, shared 2-core machine under load): 4.7 ms CPU per fit on the
/// CDNOW sample, 27 ms on CDNOW_master (23,570 customers, 8,685 patterns).
/// Thread-safety: pure functions, reentrant (no static state).
/// Sources: SMC 1987; Fader & Hardie notes 008, 009, 012 (brucehardie.com/notes); Abramowitz &
/// Stegun 15.1.1 (Gauss series). See docs/metrics/lifetime-value.md.

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <limits>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include <boost/math/quadrature/gauss_kronrod.hpp>
#include <boost/math/special_functions/digamma.hpp>
#include <boost/math/special_functions/gamma.hpp>

#include "cxm/value/fit.hpp"
#include "cxm/value/histories.hpp"

namespace cxm::value {

/// Pareto/NBD parameters: purchase rate λ ~ Gamma(shape r, rate α), death rate μ ~ Gamma(shape s,
/// rate β); all four finite and > 0. α and β are in the model's time unit.
struct pareto_nbd {
  double r = 0.0;  ///< shape of the purchase-rate Gamma
  double alpha = 0.0;  ///< rate of the purchase-rate Gamma, in the model's time unit
  double s = 0.0;  ///< shape of the death-rate Gamma
  double beta = 0.0;  ///< rate of the death-rate Gamma, in the model's time unit
  /// Compares every field.
  friend bool operator==(const pareto_nbd&, const pareto_nbd&) = default;
};

/// Throws std::invalid_argument naming the parameter unless r, alpha, s, beta are finite and > 0.
inline void check_parameters(const pareto_nbd& m) {
  const auto check = [](double v, const char* name) {
    if (!std::isfinite(v) || !(v > 0.0))
      throw std::invalid_argument(std::string("pareto_nbd: ") + name + " must be finite and > 0");
  };
  check(m.r, "r");
  check(m.alpha, "alpha");
  check(m.s, "s");
  check(m.beta, "beta");
}

namespace detail {

inline constexpr int pnbd_public_max_terms = 1'000'000;
inline constexpr int pnbd_fit_max_terms = 10'000;

/// The per-term coefficients of the Gauss series of 2F1(a, b; a+1; z) that do not depend on z:
/// 1/(a+n), (b+n)/(n+1) (u_{n+1} = u_n·(b+n)/(n+1)·z) and h_n = Σ_{k<n} 1/(b+k), n = 1, 2, ...
/// They depend on (r, s, x) only, so one table serves every pattern with the same x in an
/// evaluation: the series loops then run without divisions. Grown on demand; reset() keeps the
/// storage (no allocation once the longest series has been seen).
class pnbd_coefficients {
 public:
  void reset(double a, double b) {
    a_ = a;
    b_ = b;
    size_ = 0;
  }
  [[nodiscard]] double a() const { return a_; }
  [[nodiscard]] double b() const { return b_; }
  /// Makes terms 1..n available (n ≥ 1).
  void reserve_terms(std::size_t n) {
    if (n <= size_) return;
    if (inv_.size() < n + 1) {
      const std::size_t capacity = std::max<std::size_t>(n + 1, 2 * inv_.size());
      inv_.resize(capacity);
      ratio_.resize(capacity);
      h_.resize(capacity);
    }
    for (std::size_t k = size_ + 1; k <= n; ++k) {
      const double dk = static_cast<double>(k);
      inv_[k] = 1.0 / (a_ + dk);
      ratio_[k] = (b_ + dk) / (dk + 1.0);
      h_[k] = k == 1 ? 1.0 / b_ : h_[k - 1] + 1.0 / (b_ + dk - 1.0);
    }
    size_ = n;
  }
  [[nodiscard]] std::size_t size() const { return size_; }
  [[nodiscard]] const double* inv() const { return inv_.data(); }
  [[nodiscard]] const double* ratio() const { return ratio_.data(); }
  [[nodiscard]] const double* h() const { return h_.data(); }

 private:
  double a_ = 0.0, b_ = 0.0;
  std::size_t size_ = 0;
  std::vector<double> inv_, ratio_, h_;
};

/// Sums of the Gauss series of 2F1(a, b; a+1; z) and of its derivatives, u_n = (b)_n zⁿ / n!:
/// s0 = Σ u_n/(a+n) (= 2F1/a), s1 = Σ n u_n/(z(a+n)), s2 = Σ u_n/(a+n)², s3 = Σ u_n h_n/(a+n)
/// with h_n = Σ_{k<n} 1/(b+k), u = Σ u_n (= (1−z)^−b).
struct pnbd_series {
  double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0, u = 0.0;
};

/// One series at z (0 ≤ z < 1). Returns false when it did not converge within max_terms. Without
/// Gradient only s0 is summed. Terms are carried as v_n = u_n / z (v_1 = b) so that s1 needs no
/// division by z.
template <bool Gradient>
inline bool pnbd_series_at(pnbd_coefficients& c, double z, int max_terms, pnbd_series& out) {
  constexpr double eps = 0x1p-53;
  const double a = c.a();
  const double inv_a = 1.0 / a;
  const double bound_scale = eps / (a + 1.0);
  double v = c.b(), sum_v = 0.0, s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
  bool done = false;
  const auto limit = static_cast<std::size_t>(max_terms);
  const double *inv_table = c.inv(), *ratio_table = c.ratio(), *h_table = c.h();
  std::size_t available = c.size();
  for (std::size_t n = 1; n <= limit && !done; ++n) {
    if (n > available) {
      c.reserve_terms(std::min(limit, std::max<std::size_t>(2 * available, 32)));
      inv_table = c.inv();
      ratio_table = c.ratio();
      h_table = c.h();
      available = c.size();
    }
    const double inv = inv_table[n];
    const double step = ratio_table[n] * z;  // v_{n+1} / v_n
    const double t = v * inv;
    s0 += t;
    sum_v += v;
    if constexpr (Gradient) {
      s1 += static_cast<double>(n) * t;
      s2 += t * inv;
      s3 += t * h_table[n];
    }
    // Tail bound: every later ratio is ≤ q = max(z, step) (the ratios (b+n)z/(n+1) are monotone
    // in n and tend to z), so Σ_{k>n} v_k ≤ v_n·q/(1−q).
    const double q = std::max(z, step);
    done = v == 0.0 || (q < 1.0 && v * q <= bound_scale * sum_v * (1.0 - q));
    v *= step;
  }
  out.s0 = inv_a + z * s0;
  if constexpr (Gradient) {
    out.s1 = s1;
    out.s2 = inv_a * inv_a + z * s2;
    out.s3 = z * s3;
    out.u = 1.0 + z * sum_v;
  }
  return done;
}

/// 2F1(a, b; a+1; z) for 0 ≤ z < 1 by the series above (exposed for the tests); NaN when the
/// series does not converge within max_terms.
[[nodiscard]] inline double pnbd_hyp2f1(double a, double b, double z, int max_terms = pnbd_public_max_terms) {
  pnbd_coefficients c;
  c.reset(a, b);
  pnbd_series out;
  if (!pnbd_series_at<false>(c, z, max_terms, out)) return std::numeric_limits<double>::quiet_NaN();
  return a * out.s0;
}

/// log Γ(r+x)/Γ(r) = Σ_{k<x} log(r+k) and its r-derivative Σ 1/(r+k), advanced incrementally
/// along increasing x (the patterns of compress() are sorted by x); long jumps use lgamma/digamma.
class pnbd_rising {
 public:
  explicit pnbd_rising(double r) : r_(r) {}
  void advance_to(double x) {
    if (x < x_ || x - x_ > 64.0) {
      x_ = x;
      value_ = x == 0.0 ? 0.0 : boost::math::lgamma(r_ + x) - boost::math::lgamma(r_);
      derivative_ = x == 0.0 ? 0.0 : boost::math::digamma(r_ + x) - boost::math::digamma(r_);
      return;
    }
    for (; x_ < x; x_ += 1.0) {
      value_ += std::log(r_ + x_);
      derivative_ += 1.0 / (r_ + x_);
    }
  }
  [[nodiscard]] double value() const { return value_; }
  [[nodiscard]] double derivative() const { return derivative_; }

 private:
  double r_;
  double x_ = 0.0;
  double value_ = 0.0;
  double derivative_ = 0.0;
};

/// What one evaluation needs of the parameters alone (computed once per evaluation).
struct pnbd_constants {
  pareto_nbd m;
  bool alpha_dominant;  ///< α ≥ β: m = α, b = s+1; else m = β, b = r+x
  double big, small, diff, log_alpha, log_beta;
  explicit pnbd_constants(const pareto_nbd& model)
      : m(model),
        alpha_dominant(model.alpha >= model.beta),
        big(std::max(model.alpha, model.beta)),
        small(std::min(model.alpha, model.beta)),
        diff(big - small),
        log_alpha(std::log(model.alpha)),
        log_beta(std::log(model.beta)) {}
};

/// What one evaluation needs of t_x (shared by the patterns with the same t_x).
struct pnbd_at_tx {
  double log_big, inv_big, z;  ///< log(m+t_x), 1/(m+t_x), z(t_x)
  pnbd_at_tx(const pnbd_constants& k, double t_x) {
    const double big_x = k.big + t_x;
    log_big = std::log(big_x);
    inv_big = 1.0 / big_x;
    z = k.diff * inv_big;
  }
};

/// What one evaluation needs of T (shared by the patterns with the same T).
struct pnbd_at_T {
  double log_alpha, log_beta, inv_alpha, inv_beta, z;  ///< log(α+T), log(β+T), 1/(α+T), 1/(β+T), z(T)
  pnbd_at_T(const pnbd_constants& k, double T) {
    log_alpha = std::log(k.m.alpha + T);
    log_beta = std::log(k.m.beta + T);
    inv_alpha = 1.0 / (k.m.alpha + T);
    inv_beta = 1.0 / (k.m.beta + T);
    z = k.diff * (k.alpha_dominant ? inv_alpha : inv_beta);
  }
};

/// The series at t_x of the previous pattern, reused by the next one when (x, t_x) repeat.
struct pnbd_series_cache {
  double x = -1.0, t_x = -1.0;
  pnbd_series at_x;
};

/// The series at T per distinct T for the current x (the fit's tables): patterns sharing (x, T)
/// compute it once. `x_of[j]` is the x for which slot j holds the series (−1: none).
struct pnbd_T_cache {
  std::vector<pnbd_series> series;
  std::vector<double> x_of;
  void reset(std::size_t distinct_T) {
    series.resize(distinct_T);
    x_of.assign(distinct_T, -1.0);
  }
};

/// log L for one pattern given log Γ(r+x)/Γ(r) (and, with Gradient, its r-derivative); writes
/// ∂ log L/∂(r, α, s, β) into grad. `coefficients` must hold (a, b) of this x (see pnbd_prepare).
/// `alive_share`, when not null, receives P(alive) = E/H. Returns NaN when a series did not
/// converge within max_terms.
template <bool Gradient>
inline double pnbd_log_likelihood(const pnbd_constants& k, double x, double t_x, const pnbd_at_tx& tx,
                                  const pnbd_at_T& tT, double log_rising, double dlog_rising,
                                  pnbd_coefficients& coefficients, pnbd_series_cache& cache, int max_terms,
                                  std::array<double, 4>* grad, double* alive_share = nullptr,
                                  pnbd_T_cache* T_cache = nullptr, std::size_t T_index = 0) {
  const double r = k.m.r, alpha = k.m.alpha, s = k.m.s, beta = k.m.beta;
  const double p = r + x;
  const double a = p + s;
  const double e = k.alpha_dominant ? s : p;
  const double log_big_x = tx.log_big;
  const double log_big_T = k.alpha_dominant ? tT.log_alpha : tT.log_beta;
  const double log_small_T = k.alpha_dominant ? tT.log_beta : tT.log_alpha;
  pnbd_series sT;
  if (cache.x != x || cache.t_x != t_x) {
    if (!pnbd_series_at<Gradient>(coefficients, tx.z, max_terms, cache.at_x)) {
      cache.x = -1.0;
      return std::numeric_limits<double>::quiet_NaN();
    }
    cache.x = x;
    cache.t_x = t_x;
  }
  const pnbd_series& sx = cache.at_x;
  if (T_cache != nullptr && T_cache->x_of[T_index] == x) {
    sT = T_cache->series[T_index];
  } else {
    if (!pnbd_series_at<Gradient>(coefficients, tT.z, max_terms, sT)) return std::numeric_limits<double>::quiet_NaN();
    if (T_cache != nullptr) {
      T_cache->series[T_index] = sT;
      T_cache->x_of[T_index] = x;
    }
  }
  // Everything below is multiplied by (m+t_x)^a.
  const double log_rho = -a * (log_big_T - log_big_x);
  const double rho = std::exp(log_rho);
  const double alive = std::exp(log_rho - e * (log_small_T - log_big_T));  // ρ(1−z_T)^−e
  const double dead = sx.s0 - rho * sT.s0;                                 // J(t_x) − J(T), ≥ 0
  const double h = alive + s * std::max(dead, 0.0);
  if (alive_share != nullptr) *alive_share = alive / h;
  const double log_l = log_rising + r * k.log_alpha + s * k.log_beta - a * log_big_x + std::log(h);
  if constexpr (Gradient) {
    // ∂J/∂a, ∂J/∂b, ∂J/∂m, ∂J/∂(min) at t_x minus at T (scaled), J(t) = (m+t)^−a S₀(t).
    const double inv_big_T = k.alpha_dominant ? tT.inv_alpha : tT.inv_beta;
    const double d_a = (-log_big_x * sx.s0 - sx.s2) - rho * (-log_big_T * sT.s0 - sT.s2);
    const double d_b = sx.s3 - rho * sT.s3;
    const double d_big = (sx.s1 - sx.u) * tx.inv_big - rho * (sT.s1 - sT.u) * inv_big_T;
    const double d_small = -sx.s1 * tx.inv_big + rho * sT.s1 * inv_big_T;
    // E = (α+T)^−p (β+T)^−s (scaled: `alive`).
    double dh_r = -tT.log_alpha * alive + s * d_a;
    double dh_alpha = -p * tT.inv_alpha * alive;
    double dh_s = -tT.log_beta * alive + dead + s * d_a;
    double dh_beta = -s * tT.inv_beta * alive;
    if (k.alpha_dominant) {
      dh_s += s * d_b;
      dh_alpha += s * d_big;
      dh_beta += s * d_small;
    } else {
      dh_r += s * d_b;
      dh_alpha += s * d_small;
      dh_beta += s * d_big;
    }
    // log L = log Γ(r+x)/Γ(r) + r log α + s log β + log H, and ∂ log H = ∂H̃/H̃ (same scale).
    const double inv_h = 1.0 / h;
    (*grad)[0] = dlog_rising + k.log_alpha + dh_r * inv_h;
    (*grad)[1] = r / alpha + dh_alpha * inv_h;
    (*grad)[2] = k.log_beta + dh_s * inv_h;
    (*grad)[3] = s / beta + dh_beta * inv_h;
  }
  return log_l;
}

/// (a, b) of the series for x: a = r+s+x; b = s+1 when α ≥ β, r+x otherwise.
inline void pnbd_prepare(const pnbd_constants& k, double x, pnbd_coefficients& c) {
  c.reset(k.m.r + k.m.s + x, k.alpha_dominant ? k.m.s + 1.0 : k.m.r + x);
}

/// One customer, from scratch (the public single-history functions).
template <bool Gradient>
inline double pnbd_log_likelihood_one(const pareto_nbd& m, const purchase_history& h, std::array<double, 4>* grad,
                                      double* alive_share) {
  const pnbd_constants k(m);
  pnbd_rising rising(m.r);
  rising.advance_to(h.x);
  pnbd_coefficients c;
  pnbd_prepare(k, h.x, c);
  pnbd_series_cache cache;
  return pnbd_log_likelihood<Gradient>(k, h.x, h.t_x, pnbd_at_tx(k, h.t_x), pnbd_at_T(k, h.T), rising.value(),
                                       rising.derivative(), c, cache, pnbd_public_max_terms, grad, alive_share);
}

/// Σ weight · log L (and the gradient) over histories in any order; sorted by x (as compress()
/// returns them) each x's rising factorial and series coefficients are computed once. Returns NaN
/// when a series did not converge; `check` validates each history.
/// `times(k, i)` gives the pnbd_at_tx and pnbd_at_T of history i, and a pnbd_T_cache (or null)
/// with the slot of its T (the fit reads them from tables of the distinct t_x and T; the default
/// computes them and caches nothing). `scratch`, when not null, holds the coefficient tables
/// across calls (the fit: no allocation after the first evaluation).
template <bool Gradient, class Times>
inline double pnbd_sum(const pareto_nbd& m, std::span<const purchase_history> histories, bool check, int max_terms,
                       std::array<double, 4>* gradient, double offset, Times&& times,
                       pnbd_coefficients* scratch = nullptr) {
  const pnbd_constants k(m);
  pnbd_rising rising(m.r);
  pnbd_coefficients local;
  pnbd_coefficients& c = scratch != nullptr ? *scratch : local;
  pnbd_series_cache cache;
  double current_x = -1.0;
  // Neumaier summation started at −offset: LL − offset carries no rounding of |LL|.
  double total = -offset, compensation = 0.0;
  if constexpr (Gradient) gradient->fill(0.0);
  for (std::size_t i = 0; i < histories.size(); ++i) {
    const auto& h = histories[i];
    if (check) check_history(h, i);
    if (h.x != current_x) {
      current_x = h.x;
      rising.advance_to(h.x);
      pnbd_prepare(k, h.x, c);
    }
    std::array<double, 4> g{};
    const auto [tx, tT, T_cache, T_index] = times(k, i);
    const double ll = pnbd_log_likelihood<Gradient>(k, h.x, h.t_x, tx, tT, rising.value(), rising.derivative(), c,
                                                    cache, max_terms, &g, nullptr, T_cache, T_index);
    if (std::isnan(ll)) return ll;
    const double term = h.weight * ll;
    const double sum = total + term;
    compensation += std::abs(total) >= std::abs(term) ? (total - sum) + term : (term - sum) + total;
    total = sum;
    if constexpr (Gradient)
      for (std::size_t j = 0; j < 4; ++j) (*gradient)[j] += h.weight * g[j];
  }
  return total + compensation;
}

template <bool Gradient>
inline double pnbd_sum(const pareto_nbd& m, std::span<const purchase_history> histories, bool check, int max_terms,
                       std::array<double, 4>* gradient) {
  return pnbd_sum<Gradient>(m, histories, check, max_terms, gradient, 0.0,
                            [histories](const pnbd_constants& k, std::size_t i) {
                              return std::tuple{pnbd_at_tx(k, histories[i].t_x), pnbd_at_T(k, histories[i].T),
                                                static_cast<pnbd_T_cache*>(nullptr), std::size_t{0}};
                            });
}

/// Distinct t_x and T values of sorted patterns and each pattern's index into them (built once
/// per fit), with the per-evaluation tables of what they contribute.
struct pnbd_time_tables {
  std::vector<double> tx_values, T_values;
  std::vector<std::size_t> tx_index, T_index;
  std::vector<pnbd_at_tx> at_tx;
  std::vector<pnbd_at_T> at_T;
  pnbd_T_cache T_cache;
  pnbd_coefficients coefficients;  ///< scratch tables reused by every evaluation

  explicit pnbd_time_tables(std::span<const purchase_history> patterns) {
    for (const auto& h : patterns) {
      tx_values.push_back(h.t_x);
      T_values.push_back(h.T);
    }
    for (auto* v : {&tx_values, &T_values}) {
      std::sort(v->begin(), v->end());
      v->erase(std::unique(v->begin(), v->end()), v->end());
    }
    const auto index_of = [](const std::vector<double>& v, double value) {
      return static_cast<std::size_t>(std::lower_bound(v.begin(), v.end(), value) - v.begin());
    };
    for (const auto& h : patterns) {
      tx_index.push_back(index_of(tx_values, h.t_x));
      T_index.push_back(index_of(T_values, h.T));
    }
  }
  void update(const pnbd_constants& k) {
    at_tx.clear();
    at_T.clear();
    for (double t : tx_values) at_tx.emplace_back(k, t);
    for (double t : T_values) at_T.emplace_back(k, t);
    T_cache.reset(T_values.size());
  }
};

inline double pnbd_rising_direct(double r, double x) {
  pnbd_rising rising(r);
  rising.advance_to(x);
  return rising.value();
}

[[noreturn]] inline void pnbd_not_converged() {
  throw std::domain_error(
      "pareto_nbd: the 2F1 series did not converge (|alpha - beta| / (max(alpha, beta) + t) too close to 1)");
}

}  // namespace detail

/// log L(r, α, s, β | x, t_x, T) of one customer (weight ignored). Throws std::invalid_argument
/// for bad parameters or history, std::domain_error when the 2F1 series cannot converge.
[[nodiscard]] inline double log_likelihood(const pareto_nbd& m, const purchase_history& h) {
  check_parameters(m);
  check_history(h, 0);
  const double ll = detail::pnbd_log_likelihood_one<false>(m, h, nullptr, nullptr);
  if (std::isnan(ll)) detail::pnbd_not_converged();
  return ll;
}

/// Σ weight · log L over the histories (any order; sorted by x, as compress() returns them, is
/// fastest).
[[nodiscard]] inline double log_likelihood(const pareto_nbd& m, std::span<const purchase_history> histories) {
  check_parameters(m);
  const double ll = detail::pnbd_sum<false>(m, histories, true, detail::pnbd_public_max_terms, nullptr);
  if (std::isnan(ll)) detail::pnbd_not_converged();
  return ll;
}

/// Σ weight · log L and its analytic gradient ∂/∂(r, α, s, β), written into `gradient`.
[[nodiscard]] inline double log_likelihood_gradient(const pareto_nbd& m, std::span<const purchase_history> histories,
                                                    std::array<double, 4>& gradient) {
  check_parameters(m);
  const double ll = detail::pnbd_sum<true>(m, histories, true, detail::pnbd_public_max_terms, &gradient);
  if (std::isnan(ll)) detail::pnbd_not_converged();
  return ll;
}

/// P(alive at T | x, t_x, T) (note 009, section 5).
[[nodiscard]] inline double p_alive(const pareto_nbd& m, const purchase_history& h) {
  check_parameters(m);
  check_history(h, 0);
  double alive = 0.0;
  const double ll = detail::pnbd_log_likelihood_one<false>(m, h, nullptr, &alive);
  if (std::isnan(ll)) detail::pnbd_not_converged();
  return alive;
}

namespace detail {
/// [1 − (c/(c+t))^(s−1)]/(s−1), continuous at s = 1 (= log(1 + t/c)).
inline double pnbd_lifetime_factor(double s, double c, double t) {
  const double l = std::log1p(t / c);
  return s == 1.0 ? l : -std::expm1(-(s - 1.0) * l) / (s - 1.0);
}
inline void pnbd_check_time(double t) {
  if (!std::isfinite(t) || t < 0.0) throw std::invalid_argument("pareto_nbd: t must be finite and >= 0");
}
}  // namespace detail

/// E[Y(t) | x, t_x, T]: expected purchases in (T, T+t] of a customer with this history.
[[nodiscard]] inline double expected_purchases(const pareto_nbd& m, const purchase_history& h, double t) {
  detail::pnbd_check_time(t);
  const double alive = p_alive(m, h);
  return alive * (m.r + h.x) * (m.beta + h.T) / (m.alpha + h.T) * detail::pnbd_lifetime_factor(m.s, m.beta + h.T, t);
}

/// E[X(t)]: expected purchases in (0, t] of a new customer.
[[nodiscard]] inline double expected_purchases(const pareto_nbd& m, double t) {
  check_parameters(m);
  detail::pnbd_check_time(t);
  return m.r * m.beta / m.alpha * detail::pnbd_lifetime_factor(m.s, m.beta, t);
}

/// P(X(t) = n) for a new customer (the alive term in closed form, the died-before-t term by
/// adaptive 61-point Gauss–Kronrod quadrature, relative tolerance 1e-12).
[[nodiscard]] inline double purchase_probability(const pareto_nbd& m, double t, unsigned n) {
  check_parameters(m);
  detail::pnbd_check_time(t);
  const double dn = static_cast<double>(n);
  if (t == 0.0) return n == 0 ? 1.0 : 0.0;
  const double log_front = detail::pnbd_rising_direct(m.r, dn) - boost::math::lgamma(dn + 1.0);
  const double alive = std::exp(log_front + m.r * std::log(m.alpha / (m.alpha + t)) + dn * std::log(t / (m.alpha + t)) +
                                m.s * std::log(m.beta / (m.beta + t)));
  const double log_c = log_front + m.r * std::log(m.alpha) + m.s * std::log(m.beta) + std::log(m.s);
  const auto integrand = [&](double tau) {
    const double power = n == 0 ? 0.0 : dn * std::log(tau);
    return std::exp(log_c + power - (m.r + dn) * std::log(m.alpha + tau) - (m.s + 1.0) * std::log(m.beta + tau));
  };
  const double died = boost::math::quadrature::gauss_kronrod<double, 61>::integrate(integrand, 0.0, t, 15, 1e-12);
  return alive + died;
}

/// A fitted Pareto/NBD model; diagnostics.parameters = (r, α, s, β).
struct pareto_nbd_fit {
  pareto_nbd model;  ///< the fitted parameters
  fit_outcome<4> diagnostics;  ///< the fit's diagnostics
};

/// Maximum-likelihood fit (fit.hpp: L-BFGS in log-parameters, analytic gradient). Compresses the
/// histories first. Default start: r = 1, α = Σw·T/Σw·x (so that r/α matches the observed
/// purchase rate), s = 1, β = Σw·T/Σw (the mean observation time). Throws std::invalid_argument
/// for bad histories or start, fit_error when no customer has x > 0 or no weight.
[[nodiscard]] inline pareto_nbd_fit fit_pareto_nbd(std::span<const purchase_history> histories,
                                                   const fit_options& options = {},
                                                   std::optional<pareto_nbd> start = {}) {
  const std::vector<purchase_history> patterns = compress(histories);
  double weight = 0.0, weighted_x = 0.0, weighted_T = 0.0;
  for (const auto& h : patterns) {
    weight += h.weight;
    weighted_x += h.weight * h.x;
    weighted_T += h.weight * h.T;
  }
  if (patterns.empty() || !(weight > 0.0))
    throw fit_error("pareto_nbd: the data carry no weight (no customers to fit)");
  if (!(weighted_x > 0.0))
    throw fit_error("pareto_nbd: no customer has a repeat purchase (x > 0): r, alpha cannot be identified");
  if (!(weighted_T > 0.0)) throw fit_error("pareto_nbd: every observation time T is 0");
  pareto_nbd first{1.0, weighted_T / weighted_x, 1.0, weighted_T / weight};
  if (start) {
    check_parameters(*start);
    first = *start;
  }
  // The log-likelihood is handed to the optimiser relative to its value at the start (offset):
  // near the optimum the decreases the line search must see are ~1e-15 of |LL|, below the rounding
  // of −LL/W itself (W = 2,357, LL ≈ −9,595 on CDNOW); relative to the start they stay resolvable
  // (pnbd_sum starts its compensated sum at −offset), and the gradient test of fit_options can be
  // met instead of ending in a stalled line search.
  double offset = 0.0;
  bool have_offset = false;
  detail::pnbd_time_tables tables(patterns);
  const auto objective = [&](const std::array<double, 4>& p, std::array<double, 4>& grad) -> double {
    const pareto_nbd m{p[0], p[1], p[2], p[3]};
    tables.update(detail::pnbd_constants(m));
    const double ll = detail::pnbd_sum<true>(m, patterns, false, detail::pnbd_fit_max_terms, &grad, offset,
                                             [&tables](const detail::pnbd_constants&, std::size_t i) {
                                               const std::size_t j = tables.T_index[i];
                                               return std::tuple{tables.at_tx[tables.tx_index[i]], tables.at_T[j],
                                                                 &tables.T_cache, j};
                                             },
                                             &tables.coefficients);
    if (!have_offset && std::isfinite(ll)) {  // the first call (at the start) sets the offset
      offset = ll;
      have_offset = true;
      return 0.0;
    }
    return ll;  // NaN (series not converged) is treated as +∞ objective by maximize_likelihood
  };
  pareto_nbd_fit out;
  out.diagnostics = maximize_likelihood<4>("pareto_nbd", objective, {first.r, first.alpha, first.s, first.beta}, weight,
                                           options);
  out.diagnostics.log_likelihood += offset;
  out.diagnostics.objective -= offset / weight;
  const auto& q = out.diagnostics.parameters;
  out.model = pareto_nbd{q[0], q[1], q[2], q[3]};
  return out;
}

}  // namespace cxm::value
