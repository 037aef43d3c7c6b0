#pragma once
/// \file
/// BG/NBD ("beta-geometric / negative binomial distribution") model of repeat buying in continuous
/// time (Fader, Hardie & Lee 2005, "'Counting Your Customers' the Easy Way: An Alternative to the
/// Pareto/NBD Model", Marketing Science 24(2), 275–284; Hardie's notes "Implementing the BG/NBD Model
/// for Customer Base Analysis in Excel" and "Deriving an Expression for P(X(t) = x) Under the BG/NBD").
///
/// Individual level: while alive a customer buys as a Poisson process of rate λ; after each repeat
/// purchase they drop out for good with probability p. Across customers λ ~ Gamma(r, α) (shape r,
/// rate α, in the model's time unit) and p ~ Beta(a, b). Data per customer: x repeat purchases, the
/// last at t_x, observed for T after the first purchase (purchase_history, histories.hpp).
///
///   L(x, t_x, T)  = B(a, b+x)/B(a, b) · Γ(r+x) α^r / (Γ(r) (α+T)^{r+x})
///                 + δ(x>0) · B(a+1, b+x−1)/B(a, b) · Γ(r+x) α^r / (Γ(r) (α+t_x)^{r+x})      (eq. 6)
///     computed as log L = r log α + Σ_{j<x} log[(r+j)(b+j)/(a+b+j)] − (r+x) log(α+T) + log(1 + D),
///     D = δ(x>0) · a/(b+x−1) · ((α+T)/(α+t_x))^{r+x}: integer x enters as sums of logs, and
///     log(1 + D) is evaluated as a soft-plus of log D (no overflow for x = 1000).
///   P(alive | x, t_x, T) = 1 / (1 + D)    (Fader, Hardie & Lee 2008, note "Computing P(alive) Using
///                                         the BG/NBD Model"; the ratio of eq. 6's first term to L)
///   E[X(t)] = (a+b−1)/(a−1) · [1 − (α/(α+t))^r · 2F1(r, b; a+b−1; t/(α+t))]                 (eq. 7)
///   E[Y(t) | x, t_x, T] = (a+b+x−1)/(a−1)
///       · [1 − ((α+T)/(α+T+t))^{r+x} · 2F1(r+x, b+x; a+b+x−1; t/(α+T+t))] · P(alive)          (eq. 10)
///   P(X(t) = n) = B(a, b+n)/B(a, b) · NB(n; r, z) + δ(n>0) · B(a+1, b+n−1)/B(a, b) · P(NB ≥ n)   (eq. 8)
///     with z = t/(α+t), NB(n; r, z) = Γ(r+n)/(Γ(r) n!) (1−z)^r z^n, and the tail
///     P(NB ≥ n) = 1 − Σ_{j<n} NB(j) = I_z(n, r) (regularised incomplete beta: no cancellation).
///
/// The hypergeometric brackets (eqs. 7 and 10) are both E_p[(1 − (A/(A+p t))^R)/p] for
/// p ~ Beta(a, β); they are evaluated by detail::beta_geometric::alive_expected_purchases after
/// Euler's transformation 2F1(R, β; C; z) = (1−z)^{C−R−β} 2F1(C−R, a−1; C; z), C = a+β−1, which
/// (i) removes the 0/0 at a = 1 analytically (the (a−1) factor of 2F1(·, a−1; ·) cancels the
/// 1/(a−1) in front), (ii) avoids the huge, cancelling terms of 2F1(r+x, b+x; ·) for large x.
/// z = t/(A+t) lies in [0, 1) for every t ≥ 0, so the Gauss series converges; its convergence
/// test is documented at detail::beta_geometric::sum_series.
///
/// Cost: log_likelihood of one customer O(min(x, 256)) logs; the span overload and one fit
/// evaluation O(distinct T + distinct t_x + max x) vectorised logs plus one exp and one log per
/// pattern (Eigen arrays, no allocation per evaluation once the workspace is sized): ≈ 21 µs on the
/// 1,016 CDNOW patterns at -O2 (SSE2), ≈ 11 µs with -march=native. expected_purchases: O(series
/// terms) ≈ 40 · (α+T+t)/(α+T), ≈ 0.25 µs for E[Y(39)] on CDNOW; purchase_probability:
/// O(min(n, 256)) plus one incomplete beta. fit_bg_nbd on the 2,357 CDNOW customers: compress()
/// (≈ 0.14 ms) + tabulation (≈ 0.11 ms) + ≈ 20 L-BFGS evaluations + 8 for the standard errors:
/// ≈ 0.9 ms at -O2, ≈ 0.65 ms with -march=native (CPU time, one core). A warm start from a nearby
/// optimum takes safeguarded Newton steps with the analytic Hessian first: ≈ 5 evaluations, ≈ 0.65 ms.
///
/// Thread-safety: pure functions of their arguments, reentrant; nothing is cached.
/// Validation: parameters finite and > 0 (std::invalid_argument naming the parameter); histories via
/// check_history; fit_error when no customer has a repeat purchase (the model is not identified).
/// See docs/metrics/lifetime-value.md.

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <limits>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <Eigen/Cholesky>
#include <Eigen/Core>
#include <boost/math/special_functions/beta.hpp>
#include <boost/math/special_functions/gamma.hpp>

#include "cxm/value/fit.hpp"
#include "cxm/value/histories.hpp"

namespace cxm::value {

/// BG/NBD parameters: purchase rates λ ~ Gamma(shape r, rate α) (α in the model's time unit),
/// dropout probabilities p ~ Beta(a, b). All finite and > 0.
struct bg_nbd {
  double r = 0.0;  ///< shape of the purchase-rate Gamma
  double alpha = 0.0;  ///< rate of the purchase-rate Gamma, in the model's time unit
  double a = 0.0;  ///< first shape of the dropout Beta
  double b = 0.0;  ///< second shape of the dropout Beta
  /// Compares every field.
  friend bool operator==(const bg_nbd&, const bg_nbd&) = default;
};

namespace detail::beta_geometric {

inline void check_parameters(std::string_view model, double r, double alpha, double a, double b) {
  const auto check = [&](const char* name, double v) {
    if (!std::isfinite(v) || !(v > 0.0))
      throw std::invalid_argument(std::string(model) + ": parameter " + name + " must be finite and > 0");
  };
  check("r", r);
  check("alpha", alpha);
  check("a", a);
  check("b", b);
}

inline void check_time(std::string_view model, double t) {
  if (!std::isfinite(t) || t < 0.0) throw std::invalid_argument(std::string(model) + ": t must be finite and >= 0");
}

/// log(1 + e^s) and the logistic e^s/(1 + e^s), without overflow.
inline double softplus(double s) { return std::max(s, 0.0) + std::log1p(std::exp(-std::abs(s))); }
inline double logistic(double s) {
  const double e = std::exp(-std::abs(s));
  return s > 0.0 ? 1.0 / (1.0 + e) : e / (1.0 + e);
}

/// Σ_{j<n} log((c+j)/(d+j)) = log[Γ(c+n)Γ(d)/(Γ(c)Γ(d+n))]: a sum of logs for n ≤ 256, lgamma beyond.
inline double log_rising_ratio(double c, double d, double n) {
  if (n <= 256.0) {
    double s = 0.0;
    for (double j = 0.0; j < n; j += 1.0) s += std::log((c + j) / (d + j));
    return s;
  }
  using boost::math::lgamma;
  return lgamma(c + n) - lgamma(c) - lgamma(d + n) + lgamma(d);
}

/// Σ_{j<n} log(c+j) = log[Γ(c+n)/Γ(c)].
inline double log_rising(double c, double n) {
  if (n <= 256.0) {
    double s = 0.0;
    for (double j = 0.0; j < n; j += 1.0) s += std::log(c + j);
    return s;
  }
  return boost::math::lgamma(c + n) - boost::math::lgamma(c);
}

/// Σ_{k≥k0} t_k for a hypergeometric-type series given its first term t_{k0} and the ratio
/// ρ_k = t_{k+1}/t_k (a ratio of polynomials in k tending to z ∈ [0, 1)).
///
/// Convergence test: once every factor of ρ_k is positive (k past `signs_settle`), the ratios are
/// a rational function of k tending to z, hence monotone from some k on, and the tail after t_{k+1}
/// is at most |t_{k+1}| / (1 − ρ*) with ρ* = max(|ρ_k|, z) (geometric bound). The sum stops when that
/// bound is below 1e-17 · |S| (or the term is exactly 0: a terminating series). Terms needed
/// ≈ 40 / (1 − z). Throws std::domain_error after 10^7 terms (z within ~4e-6 of 1: t far beyond the
/// observation span).
template <class Ratio>
double sum_series(double first, std::size_t k0, double z, double signs_settle, Ratio&& ratio) {
  double term = first;
  double sum = first;
  for (std::size_t k = k0; k < k0 + 10'000'000; ++k) {
    const double rho = ratio(static_cast<double>(k));
    term *= rho;
    sum += term;
    if (term == 0.0) return sum;
    const double bound_ratio = std::max(std::abs(rho), z);
    if (static_cast<double>(k) > signs_settle && bound_ratio < 1.0 &&
        std::abs(term) <= 1e-17 * std::abs(sum) * (1.0 - bound_ratio))
      return sum;
  }
  throw std::domain_error("cxm::value: hypergeometric series did not converge (z too close to 1)");
}

/// Gauss's series 2F1(A, B; C; z) = Σ (A)_k (B)_k / ((C)_k k!) z^k for 0 ≤ z < 1, C not a
/// non-positive integer, with sum_series's convergence test (tested against Boost.Math).
inline double hypergeometric_2f1(double A, double B, double C, double z) {
  if (!(z >= 0.0 && z < 1.0)) throw std::domain_error("cxm::value: hypergeometric_2f1 needs 0 <= z < 1");
  const double settle = std::max({-A, -B, -C, 0.0});
  return sum_series(1.0, 0, z, settle, [&](double k) { return (A + k) * (B + k) * z / ((C + k) * (k + 1.0)); });
}

/// E_p[(1 − (A/(A + p t))^R) / p] for p ~ Beta(a, β): the expected purchases in (0, t] of a customer
/// known to be alive, whose rate is Gamma(R, A) and dropout probability Beta(a, β) distributed.
/// Paper form (Fader, Hardie & Lee 2005, eqs. 7 and 10):
///     (a+β−1)/(a−1) · [1 − (1−z)^R · 2F1(R, β; a+β−1; z)],  z = t/(A+t).
/// With C = a+β−1, u = a−1 and Euler's transformation, (1−z)^R 2F1(R, β; C; z) =
/// (1−z)^u 2F1(C−R, u; C; z) = (1−z)^u (1 + u Σ_{k≥1} (C−R)_k (a)_{k−1}/((C)_k k!) z^k), so
///     result = C · (−expm1(u L)/u) − e^{u L} · G,   L = log(1−z),
///     G = Σ_{k≥1} (C−R)_k (a)_{k−1} / ((C+1)_{k−1} k!) z^k   (C · 1/(C)_k = 1/(C+1)_{k−1}),
/// finite for every a, β > 0 (C+1 > 0), with −expm1(uL)/u → −L at u = 0.
inline double alive_expected_purchases(double R, double A, double a, double beta, double t) {
  if (t == 0.0) return 0.0;
  const double z = t / (A + t);
  const double L = -std::log1p(t / A);
  const double u = a - 1.0;
  const double C = a + beta - 1.0;
  const double first = (u == 0.0) ? -L : -std::expm1(u * L) / u;
  const double top = C - R;
  const double settle = std::max({-top, 1.0 - a, 0.0});
  const double G = sum_series(top * z, 1, z, settle,
                              [&](double k) { return (top + k) * (a + k - 1.0) * z / ((C + k) * (k + 1.0)); });
  return C * first - std::exp(u * L) * G;
}

/// Patterns tabulated for the log-likelihood evaluation. The "full" patterns (BG/NBD: those with
/// x > 0; MBG/NBD: all) carry per-pattern x and w and indices into the distinct T and t_x values
/// (84 and 256 values for the 1,016 CDNOW patterns: days / 7), so that each evaluation takes the
/// logs of the distinct values only. Sums that depend on T alone are aggregated per distinct T.
/// BG/NBD's x = 0 patterns ("once") enter only through those per-T sums (log L = r log(α/(α+T))).
/// `at_least[j]` = Σ w [x ≥ j] and `j` = j for j = 0..max x.
struct pattern_table {
  bool modified = false;  ///< MBG/NBD (true) or BG/NBD (false)
  Eigen::ArrayXd x, w;
  std::vector<Eigen::Index> T_index, t_x_index, x_index;  ///< x_index: x − 1 (BG/NBD), x (MBG/NBD)
  Eigen::ArrayXd T_values, t_x_values;
  Eigen::ArrayXd T_weight, T_weighted_x, T_weight_once;  ///< per distinct T: Σ w, Σ w·x (full), Σ w (once)
  Eigen::ArrayXd at_least, j;
  double total_weight = 0.0;
  double repeat_weight = 0.0;  ///< Σ w [x > 0]
  double weight_full = 0.0;    ///< Σ w over the full patterns
  double weight_once = 0.0;    ///< Σ w over BG/NBD's x = 0 patterns
};

/// Scratch arrays reused across evaluations (sized once, no allocation per evaluation after).
struct workspace {
  Eigen::ArrayXd lT, iT, ltx, itx, lb, ib;  // per distinct T, t_x, per j
  Eigen::ArrayXd s, dl, di, rx, ibx, e, q;  // per full pattern
};

inline std::vector<Eigen::Index> index_into(const std::vector<double>& sorted_values, const std::vector<double>& v) {
  std::vector<Eigen::Index> out(v.size());
  for (std::size_t i = 0; i < v.size(); ++i)
    out[i] = std::lower_bound(sorted_values.begin(), sorted_values.end(), v[i]) - sorted_values.begin();
  return out;
}

inline Eigen::ArrayXd to_array(const std::vector<double>& v) {
  Eigen::ArrayXd a(static_cast<Eigen::Index>(v.size()));
  for (std::size_t i = 0; i < v.size(); ++i) a[static_cast<Eigen::Index>(i)] = v[i];
  return a;
}

inline std::vector<double> distinct(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  return v;
}

/// Validates every history (check_history, with its index) and tabulates them for BG/NBD
/// (`modified` false) or MBG/NBD (true). Does not need compressed input (compress() first makes
/// the per-pattern part smaller).
inline pattern_table tabulate(std::span<const purchase_history> histories, bool modified) {
  pattern_table d;
  d.modified = modified;
  double max_x = 0.0;
  std::vector<double> x, w, t_x, T_all;
  for (std::size_t i = 0; i < histories.size(); ++i) {
    const auto& h = histories[i];
    check_history(h, i);
    if (h.x > 1e8) throw std::invalid_argument("purchase history " + std::to_string(i) + ": x above 1e8 is not supported");
    max_x = std::max(max_x, h.x);
    d.total_weight += h.weight;
    T_all.push_back(h.T);
    if (h.x > 0.0) d.repeat_weight += h.weight;
    if (modified || h.x > 0.0) {
      x.push_back(h.x);
      w.push_back(h.weight);
      t_x.push_back(h.t_x);
      d.weight_full += h.weight;
    } else {
      d.weight_once += h.weight;
    }
  }
  const auto T_values = distinct(T_all);
  const auto t_x_values = distinct(t_x);
  d.T_values = to_array(T_values);
  d.t_x_values = to_array(t_x_values);
  const auto T_all_index = index_into(T_values, T_all);  // per history
  d.t_x_index = index_into(t_x_values, t_x);
  d.x = to_array(x);
  d.w = to_array(w);
  d.x_index.resize(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) d.x_index[i] = static_cast<Eigen::Index>(x[i]) - (modified ? 0 : 1);
  d.T_weight = Eigen::ArrayXd::Zero(d.T_values.size());
  d.T_weighted_x = Eigen::ArrayXd::Zero(d.T_values.size());
  d.T_weight_once = Eigen::ArrayXd::Zero(d.T_values.size());
  const auto top = static_cast<Eigen::Index>(max_x);
  d.at_least = Eigen::ArrayXd::Zero(top + 1);
  d.j = Eigen::ArrayXd::LinSpaced(top + 1, 0.0, static_cast<double>(top));
  d.T_index.reserve(x.size());
  for (std::size_t i = 0; i < histories.size(); ++i) {
    const auto& h = histories[i];
    d.at_least[static_cast<Eigen::Index>(h.x)] += h.weight;
    const auto u = T_all_index[i];
    if (modified || h.x > 0.0) {
      d.T_index.push_back(u);
      d.T_weight[u] += h.weight;
      d.T_weighted_x[u] += h.weight * h.x;
    } else {
      d.T_weight_once[u] += h.weight;
    }
  }
  for (Eigen::Index k = top - 1; k >= 0; --k) d.at_least[k] += d.at_least[k + 1];
  return d;
}

/// Σ w log L and its gradient in (r, α, a, b), for BG/NBD (Fader, Hardie & Lee 2005, eq. 6) or
/// MBG/NBD (d.modified). Per pattern, with s = log D and q = D/(1+D) = 1 − P(alive):
///   log L = r log α + Σ_{j<x} log(r+j) + Σ_{j<x+m} log[(b+j)/(a+b+j)] − (r+x) log(α+T) + log(1 + e^s)
///   s = log a − log(b+x−1+m) + (r+x)(log(α+T) − log(α+t_x))          (m = 1 for MBG/NBD, else 0)
///   ∂/∂r = log α + Σ_{j<x} 1/(r+j) − log(α+T) + q (log(α+T) − log(α+t_x))
///   ∂/∂α = r/α − (r+x)/(α+T) + q (r+x) (1/(α+T) − 1/(α+t_x))
///   ∂/∂a = −Σ_{j<x+m} 1/(a+b+j) + q/a
///   ∂/∂b = Σ_{j<x+m} [1/(b+j) − 1/(a+b+j)] − q/(b+x−1+m)
/// (BG/NBD's x = 0 patterns: log L = r log α − r log(α+T), no s term.) The Σ_j terms are summed once
/// over j with weights Σ w [x > j] (or [x ≥ j]); terms in T alone once per distinct T.
inline double log_likelihood_and_gradient(const pattern_table& d, const std::array<double, 4>& p,
                                          std::array<double, 4>& g, workspace& ws) {
  const double r = p[0], alpha = p[1], a = p[2], b = p[3];
  const double log_alpha = std::log(alpha);
  const Eigen::Index top = d.at_least.size() - 1;
  ws.lT = (alpha + d.T_values).log();
  ws.iT = (alpha + d.T_values).inverse();
  ws.ltx = (alpha + d.t_x_values).log();
  ws.itx = (alpha + d.t_x_values).inverse();
  ws.lb = (b + d.j).log();
  ws.ib = (b + d.j).inverse();

  double ll = 0.0, g_r = 0.0, g_alpha = 0.0, g_a = 0.0, g_b = 0.0;
  if (top > 0) {  // Σ_{j<x} log(r+j), weight Σ w [x > j]
    const auto N = d.at_least.tail(top);
    const auto j = d.j.head(top);
    ll += (N * (r + j).log()).sum();
    g_r += (N / (r + j)).sum();
  }
  {  // Σ_{j<x+m} log((b+j)/(a+b+j)), weight Σ w [x+m > j]
    const Eigen::Index n = d.modified ? top + 1 : top;
    const auto M = d.at_least.tail(n);
    const auto j = d.j.head(n);
    ll += (M * (ws.lb.head(n) - (a + b + j).log())).sum();
    const double s_ab = (M / (a + b + j)).sum();
    g_a -= s_ab;
    g_b += (M * ws.ib.head(n)).sum() - s_ab;
  }
  // r log α − (r+x) log(α+T) over the full patterns, r log α − r log(α+T) over the once ones.
  ll += r * log_alpha * (d.weight_full + d.weight_once) -
        ((r * (d.T_weight + d.T_weight_once) + d.T_weighted_x) * ws.lT).sum();
  g_r += log_alpha * (d.weight_full + d.weight_once) - ((d.T_weight + d.T_weight_once) * ws.lT).sum();
  g_alpha += r / alpha * (d.weight_full + d.weight_once) -
             ((r * (d.T_weight + d.T_weight_once) + d.T_weighted_x) * ws.iT).sum();

  const Eigen::Index n = d.x.size();
  if (n > 0) {
    for (auto* v : {&ws.s, &ws.dl, &ws.di, &ws.rx, &ws.ibx}) v->resize(n);
    const double log_a = std::log(a);
    for (Eigen::Index i = 0; i < n; ++i) {
      const auto u = d.T_index[static_cast<std::size_t>(i)];
      const auto v = d.t_x_index[static_cast<std::size_t>(i)];
      const auto k = d.x_index[static_cast<std::size_t>(i)];
      ws.dl[i] = ws.lT[u] - ws.ltx[v];
      ws.di[i] = ws.iT[u] - ws.itx[v];
      ws.rx[i] = r + d.x[i];
      ws.s[i] = log_a - ws.lb[k] + ws.rx[i] * ws.dl[i];
      ws.ibx[i] = ws.ib[k];
    }
    ws.e = (-ws.s.abs()).exp();
    ws.q = (ws.s > 0.0).select((1.0 + ws.e).inverse(), ws.e / (1.0 + ws.e)) * d.w;  // w · q
    // log(1 + e) rather than log1p(e): e ∈ (0, 1], the absolute error stays below 2.3e-16 per
    // pattern, and the log vectorises.
    ll += (d.w * (ws.s.max(0.0) + (1.0 + ws.e).log())).sum();
    g_r += (ws.q * ws.dl).sum();
    g_alpha += (ws.q * ws.rx * ws.di).sum();
    g_a += ws.q.sum() / a;
    g_b -= (ws.q * ws.ibx).sum();
  }
  g = {g_r, g_alpha, g_a, g_b};
  return ll;
}

/// Σ w log L, its gradient and its Hessian in (r, α, a, b) (scalar loop; used by the warm-start
/// Newton steps, not per L-BFGS evaluation). With the notation of log_likelihood_and_gradient,
/// ∇s = (log(α+T) − log(α+t_x), (r+x)(1/(α+T) − 1/(α+t_x)), 1/a, −1/(b+x−1+m)) and
///   ∇² log(1 + e^s) = q(1−q) ∇s ∇sᵀ + q ∇²s,  ∇²s: [r,α] = 1/(α+T) − 1/(α+t_x),
///   [α,α] = (r+x)(1/(α+t_x)² − 1/(α+T)²), [a,a] = −1/a², [b,b] = 1/(b+x−1+m)²;
///   ∇² [r log α − (r+x) log(α+T)]: [r,α] = 1/α − 1/(α+T), [α,α] = −r/α² + (r+x)/(α+T)²;
///   Σ_j terms: [r,r] = −Σ 1/(r+j)², [a,a] = [a,b] = Σ 1/(a+b+j)², [b,b] = Σ [1/(a+b+j)² − 1/(b+j)²].
inline double log_likelihood_hessian(const pattern_table& d, const std::array<double, 4>& p,
                                     std::array<double, 4>& g, std::array<std::array<double, 4>, 4>& H,
                                     workspace& ws) {
  const double ll = log_likelihood_and_gradient(d, p, g, ws);  // also fills ws.lT, iT, ltx, itx, ib
  const double r = p[0], alpha = p[1], a = p[2], b = p[3];
  for (auto& row : H) row.fill(0.0);
  const Eigen::Index top = d.at_least.size() - 1;
  for (Eigen::Index j = 0; j < top; ++j) H[0][0] -= d.at_least[j + 1] / ((r + d.j[j]) * (r + d.j[j]));
  const Eigen::Index n_b = d.modified ? top + 1 : top;
  for (Eigen::Index j = 0; j < n_b; ++j) {
    const double M = d.at_least[d.at_least.size() - n_b + j];
    const double iab = 1.0 / (a + b + d.j[j]);
    H[2][2] += M * iab * iab;
    H[2][3] += M * iab * iab;
    H[3][3] += M * (iab * iab - ws.ib[j] * ws.ib[j]);
  }
  for (Eigen::Index u = 0; u < d.T_values.size(); ++u) {
    const double w = d.T_weight[u] + d.T_weight_once[u];
    H[0][1] += w * (1.0 / alpha - ws.iT[u]);
    H[1][1] += -r * w / (alpha * alpha) + (r * w + d.T_weighted_x[u]) * ws.iT[u] * ws.iT[u];
  }
  const double log_a = std::log(a);
  for (Eigen::Index i = 0; i < d.x.size(); ++i) {
    const auto u = d.T_index[static_cast<std::size_t>(i)];
    const auto v = d.t_x_index[static_cast<std::size_t>(i)];
    const auto k = d.x_index[static_cast<std::size_t>(i)];
    const double rx = r + d.x[i];
    const double dl = ws.lT[u] - ws.ltx[v];
    const double di = ws.iT[u] - ws.itx[v];
    const double s = log_a - ws.lb[k] + rx * dl;
    const double q = logistic(s);
    const double w = d.w[i];
    const std::array<double, 4> ds{dl, rx * di, 1.0 / a, -ws.ib[k]};
    for (std::size_t r1 = 0; r1 < 4; ++r1)
      for (std::size_t c1 = r1; c1 < 4; ++c1) H[r1][c1] += w * q * (1.0 - q) * ds[r1] * ds[c1];
    H[0][1] += w * q * di;
    H[1][1] += w * q * rx * (ws.itx[v] * ws.itx[v] - ws.iT[u] * ws.iT[u]);
    H[2][2] -= w * q / (a * a);
    H[3][3] += w * q * ws.ib[k] * ws.ib[k];
  }
  for (std::size_t r1 = 0; r1 < 4; ++r1)
    for (std::size_t c1 = 0; c1 < r1; ++c1) H[r1][c1] = H[c1][r1];
  return ll;
}

/// Newton steps in θ = log p for a warm start, before L-BFGS (maximize_likelihood) takes over:
/// from a nearby optimum they converge quadratically where L-BFGS, without curvature from the
/// previous fit, would first relearn it (and its unit first step would overshoot). Each step solves
/// with −∇²_θ LL, shifted by μI (Levenberg–Marquardt) when not positive definite, is capped at
/// ‖Δθ‖ ≤ 0.25 and halved up to 3 times until LL does not decrease (beyond 1e-12 relative:
/// rounding); otherwise the steps stop and L-BFGS continues from the last accepted point. They stop when fit.hpp's gradient test holds
/// (‖∇_θ f‖ ≤ tol · max(1, ‖θ‖), f = −LL/W), so that the L-BFGS run ends at its first check. At
/// most 8 steps. Returns the evaluations used (each one log-likelihood, gradient and Hessian, about
/// twice the cost of a gradient evaluation); `start` is updated in place.
inline int warm_start_newton(const pattern_table& d, std::array<double, 4>& start, const fit_options& options,
                             workspace& ws) {
  if (options.l2_penalty != 0.0) return 0;  // fit.hpp's penalised objective: leave it to L-BFGS
  using matrix = Eigen::Matrix4d;
  using vector = Eigen::Vector4d;
  int evaluations = 0;
  std::array<double, 4> g{};
  std::array<std::array<double, 4>, 4> H{};
  double ll = log_likelihood_hessian(d, start, g, H, ws);
  ++evaluations;
  for (int step = 0; step < 8 && std::isfinite(ll); ++step) {
    vector grad_theta, theta;
    matrix hess_theta;
    for (int i = 0; i < 4; ++i) {
      const auto ui = static_cast<std::size_t>(i);
      theta[i] = std::log(start[ui]);
      grad_theta[i] = start[ui] * g[ui];
      for (int j = 0; j < 4; ++j) {
        const auto uj = static_cast<std::size_t>(j);
        hess_theta(i, j) = start[ui] * start[uj] * H[ui][uj] + (i == j ? start[ui] * g[ui] : 0.0);
      }
    }
    if ((grad_theta / d.total_weight).norm() <= options.gradient_tolerance * std::max(1.0, theta.norm())) break;
    // Away from the optimum −∇²_θ LL may be indefinite: shift it (Levenberg–Marquardt) until the
    // Cholesky factorisation succeeds, which keeps Δθ an ascent direction.
    const matrix negative_hessian = -hess_theta;
    Eigen::LLT<matrix> llt(negative_hessian);
    double shift = 0.0;
    for (int tries = 0; llt.info() != Eigen::Success && tries < 16; ++tries) {
      shift = shift == 0.0 ? 1e-3 * std::max(1e-12, negative_hessian.diagonal().cwiseAbs().maxCoeff()) : 10.0 * shift;
      llt.compute(negative_hessian + shift * matrix::Identity());
    }
    if (llt.info() != Eigen::Success) break;
    vector delta = llt.solve(grad_theta);
    if (!delta.allFinite()) break;
    if (delta.norm() > 0.25) delta *= 0.25 / delta.norm();
    bool accepted = false;
    for (int halving = 0; halving < 4 && !accepted; ++halving, delta *= 0.5) {
      std::array<double, 4> trial{};
      for (std::size_t i = 0; i < 4; ++i) {
        const auto k = static_cast<Eigen::Index>(i);
        trial[i] = std::exp(theta[k] + delta[k]);
      }
      std::array<double, 4> g_trial{};
      std::array<std::array<double, 4>, 4> H_trial{};
      const double ll_trial = log_likelihood_hessian(d, trial, g_trial, H_trial, ws);
      ++evaluations;
      // Near the optimum the predicted gain ½ gᵀΔ is below LL's rounding: allow that much loss.
      if (ll_trial >= ll - 1e-12 * std::max(1.0, std::abs(ll))) {
        accepted = true;
        start = trial;
        ll = ll_trial;
        g = g_trial;
        H = H_trial;
      }
    }
    if (!accepted) break;
  }
  return evaluations;
}

/// P(X(t) = n) pieces shared by BG/NBD and MBG/NBD: log NB(n; r, z) and P(NB ≥ n) = I_z(n, r).
inline double log_negative_binomial(double r, double alpha, double t, unsigned n) {
  const double nn = static_cast<double>(n);
  // (1−z)^r z^n with 1 − z = α/(α+t), z = t/(α+t)
  return log_rising_ratio(r, 1.0, nn) - r * std::log1p(t / alpha) + nn * (std::log(t) - std::log(alpha + t));
}
inline double negative_binomial_tail(double r, double alpha, double t, unsigned n) {
  if (n == 0) return 1.0;
  return boost::math::ibeta(static_cast<double>(n), r, t / (alpha + t));
}

}  // namespace detail::beta_geometric

/// Log-likelihood of one customer (Fader, Hardie & Lee 2005, eq. 6); the weight is ignored.
/// Throws std::invalid_argument for invalid parameters or history.
[[nodiscard]] inline double log_likelihood(const bg_nbd& m, const purchase_history& h) {
  namespace d = detail::beta_geometric;
  d::check_parameters("bg_nbd", m.r, m.alpha, m.a, m.b);
  check_history(h, 0);
  double ll = m.r * std::log(m.alpha) + d::log_rising(m.r, h.x) + d::log_rising_ratio(m.b, m.a + m.b, h.x) -
              (m.r + h.x) * std::log(m.alpha + h.T);
  if (h.x > 0.0)
    ll += d::softplus(std::log(m.a / (m.b + h.x - 1.0)) +
                      (m.r + h.x) * (std::log(m.alpha + h.T) - std::log(m.alpha + h.t_x)));
  return ll;
}

/// Σ weight · log L over the histories (eq. 6); validates each history (its index is in the message).
[[nodiscard]] inline double log_likelihood(const bg_nbd& m, std::span<const purchase_history> histories) {
  detail::beta_geometric::check_parameters("bg_nbd", m.r, m.alpha, m.a, m.b);
  const auto d = detail::beta_geometric::tabulate(histories, false);
  detail::beta_geometric::workspace ws;
  std::array<double, 4> g{};
  return detail::beta_geometric::log_likelihood_and_gradient(d, {m.r, m.alpha, m.a, m.b}, g, ws);
}

/// ∂/∂(r, α, a, b) of Σ weight · log L (analytic; the gradient the fit uses).
[[nodiscard]] inline std::array<double, 4> log_likelihood_gradient(const bg_nbd& m,
                                                                   std::span<const purchase_history> histories) {
  detail::beta_geometric::check_parameters("bg_nbd", m.r, m.alpha, m.a, m.b);
  const auto d = detail::beta_geometric::tabulate(histories, false);
  detail::beta_geometric::workspace ws;
  std::array<double, 4> g{};
  (void)detail::beta_geometric::log_likelihood_and_gradient(d, {m.r, m.alpha, m.a, m.b}, g, ws);
  return g;
}

/// P(alive at T | x, t_x, T) = 1 / (1 + δ(x>0) a/(b+x−1) ((α+T)/(α+t_x))^{r+x}) (Fader, Hardie &
/// Lee 2008 note "Computing P(alive) Using the BG/NBD Model"); exactly 1 when x = 0.
[[nodiscard]] inline double p_alive(const bg_nbd& m, const purchase_history& h) {
  detail::beta_geometric::check_parameters("bg_nbd", m.r, m.alpha, m.a, m.b);
  check_history(h, 0);
  if (h.x == 0.0) return 1.0;
  const double log_d =
      std::log(m.a / (m.b + h.x - 1.0)) + (m.r + h.x) * (std::log(m.alpha + h.T) - std::log(m.alpha + h.t_x));
  return detail::beta_geometric::logistic(-log_d);
}

/// E[Y(t) | x, t_x, T]: expected purchases in (T, T+t] (Fader, Hardie & Lee 2005, eq. 10).
[[nodiscard]] inline double expected_purchases(const bg_nbd& m, const purchase_history& h, double t) {
  detail::beta_geometric::check_time("bg_nbd", t);
  const double alive = p_alive(m, h);  // validates
  return alive * detail::beta_geometric::alive_expected_purchases(m.r + h.x, m.alpha + h.T, m.a, m.b + h.x, t);
}

/// E[X(t)]: expected repeat purchases of a new customer in (0, t] (Fader, Hardie & Lee 2005, eq. 7).
[[nodiscard]] inline double expected_purchases(const bg_nbd& m, double t) {
  detail::beta_geometric::check_parameters("bg_nbd", m.r, m.alpha, m.a, m.b);
  detail::beta_geometric::check_time("bg_nbd", t);
  return detail::beta_geometric::alive_expected_purchases(m.r, m.alpha, m.a, m.b, t);
}

/// P(X(t) = n): probability that a new customer makes n repeat purchases in (0, t] (Fader, Hardie &
/// Lee 2005, eq. 8; the tail Σ_{j≥n} NB(j) as I_z(n, r)).
[[nodiscard]] inline double purchase_probability(const bg_nbd& m, double t, unsigned n) {
  namespace d = detail::beta_geometric;
  d::check_parameters("bg_nbd", m.r, m.alpha, m.a, m.b);
  d::check_time("bg_nbd", t);
  if (t == 0.0) return n == 0 ? 1.0 : 0.0;
  const double nn = static_cast<double>(n);
  const double log_beta_ratio = d::log_rising_ratio(m.b, m.a + m.b, nn);  // log B(a, b+n)/B(a, b)
  double p = std::exp(log_beta_ratio + d::log_negative_binomial(m.r, m.alpha, t, n));
  if (n > 0)  // B(a+1, b+n−1)/B(a, b) = a/(b+n−1) · B(a, b+n)/B(a, b)
    p += m.a / (m.b + nn - 1.0) * std::exp(log_beta_ratio) * d::negative_binomial_tail(m.r, m.alpha, t, n);
  return p;
}

/// A fitted BG/NBD model; diagnostics.parameters = (r, α, a, b), with their standard errors.
struct bg_nbd_fit {
  bg_nbd model;  ///< the fitted parameters
  fit_outcome<4> diagnostics;  ///< the fit's diagnostics
};

/// Deterministic cold start: r = 1, α = Σw·T / Σw·(x+1) (one purchase per mean observed span), a = b = 1.
[[nodiscard]] inline bg_nbd default_start_bg_nbd(std::span<const purchase_history> patterns) {
  double wT = 0.0, wx = 0.0;
  for (const auto& h : patterns) {
    wT += h.weight * h.T;
    wx += h.weight * (h.x + 1.0);
  }
  return {1.0, wx > 0.0 && wT > 0.0 ? wT / wx : 1.0, 1.0, 1.0};
}

/// Maximum-likelihood fit (maximize_likelihood, fit.hpp) with the analytic gradient, on the
/// compressed patterns. `start`: a warm start (e.g. the previous fit's model), refined first by
/// safeguarded Newton steps with the analytic Hessian (detail::beta_geometric::warm_start_newton;
/// their evaluations are counted in diagnostics.evaluations). Throws
/// std::invalid_argument for an invalid history or start, fit_error when no customer has x > 0.
[[nodiscard]] inline bg_nbd_fit fit_bg_nbd(std::span<const purchase_history> histories, const fit_options& options = {},
                                           std::optional<bg_nbd> start = {}) {
  namespace d = detail::beta_geometric;
  const auto patterns = compress(histories);  // validates
  const auto data = d::tabulate(patterns, false);
  if (!(data.repeat_weight > 0.0))
    throw fit_error("bg_nbd: no customer has a repeat purchase (x > 0); the model is not identified");
  const bg_nbd s = start ? *start : default_start_bg_nbd(patterns);
  d::check_parameters("bg_nbd start", s.r, s.alpha, s.a, s.b);
  d::workspace ws;
  std::array<double, 4> from{s.r, s.alpha, s.a, s.b};
  const int newton = start ? d::warm_start_newton(data, from, options, ws) : 0;
  auto ll = [&](const std::array<double, 4>& p, std::array<double, 4>& g) {
    return d::log_likelihood_and_gradient(data, p, g, ws);
  };
  auto out = maximize_likelihood<4>("bg_nbd", ll, from, data.total_weight, options);
  out.evaluations += newton;
  const auto& q = out.parameters;
  return {bg_nbd{q[0], q[1], q[2], q[3]}, out};
}

}  // namespace cxm::value
