#pragma once
/// \file
/// BG/BB model of discrete-time noncontractual purchasing (Fader, Hardie & Shang 2010, "Customer-base
/// analysis in a discrete-time noncontractual setting", Marketing Science 29(6)). Time is counted in
/// transaction opportunities (years for the donations data): a customer has n opportunities after the
/// first transaction, transacts in x of them, the last at opportunity t_x (x ≤ t_x ≤ n; t_x = 0 when
/// x = 0). Input: discrete_history {x, t_x, n, weight} (weight = customers with the pattern).
///
/// Model: while alive, the customer transacts at each opportunity with probability p; before each
/// opportunity an alive customer dies with probability θ (unobserved); p ~ beta(α, β), θ ~ beta(γ, δ),
/// independent across customers. With B the beta function and, for whole numbers x, y,
///     B(α + x, β + y)/B(α, β) = (α)_x (β)_y / (α + β)_{x+y}    (rising factorials),
/// the quantities are (equation numbers of the paper):
///   likelihood (eq. 5)
///     L = B(α+x, β+n−x)/B(α,β) · B(γ, δ+n)/B(γ,δ)
///       + Σ_{i=0}^{n−t_x−1} B(α+x, β+t_x−x+i)/B(α,β) · B(γ+1, δ+t_x+i)/B(γ,δ);
///   P(X(n) = x) for a new customer (eq. 8)
///     C(n, x) B(α+x, β+n−x)/B(α,β) · B(γ, δ+n)/B(γ,δ)
///       + Σ_{i=x}^{n−1} C(i, x) B(α+x, β+i−x)/B(α,β) · B(γ+1, δ+i)/B(γ,δ);
///   E[X(n)] for a new customer (eq. 7)
///     α/(α+β) · δ/(γ−1) · [1 − Γ(γ+δ)Γ(1+δ+n) / (Γ(γ+δ+n)Γ(1+δ))];
///   P(alive at opportunity n + 1 | x, t_x, n) (eq. 11)
///     B(α+x, β+n−x)/B(α,β) · B(γ, δ+n+1)/B(γ,δ) / L;
///   E[X(n, n+n*) | x, t_x, n], transactions in the next n* opportunities (eq. 13)
///     1/L · B(α+x+1, β+n−x)/B(α,β) · δ/(γ−1) · Γ(γ+δ)/Γ(1+δ)
///         · [Γ(1+δ+n)/Γ(γ+δ+n) − Γ(1+δ+n+n*)/Γ(γ+δ+n+n*)].
/// The factor δ/(γ−1)·[...] of eqs. 7 and 13 is Σ_{t=n+1}^{n+n*} B(γ, δ+t)/B(γ,δ) (expected alive
/// opportunities); near γ = 1, where the closed form is 0/0, that sum is used instead.
///
/// Fit: maximize_likelihood (cxm/value/fit.hpp) with the analytic gradient of log L. Every term of L is
/// a product of rising factorials, so one evaluation builds prefix sums of log(α+j), log(β+j),
/// log(α+β+j), log(δ+j), log(γ+δ+j) and of their reciprocals (the derivatives, ψ differences) up to
/// max n + 1, then each pattern costs n − t_x + 1 exponentials (a log-sum-exp of its terms). Patterns
/// are compressed first (identical (x, t_x, n) merged): the 11,104 donors are 22 patterns.
/// Cost per evaluation: O(max n + Σ_patterns (n − t_x + 1)). Identification: fit_error when there is
/// no weight, no opportunity (every n = 0), no transaction (every x = 0) or no missed opportunity
/// (every x = n).
///
/// Thread-safety: pure functions; reentrant. Sources: as above; formulas from the paper, no code from
/// other projects.

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
#include <vector>

#include <boost/math/special_functions/gamma.hpp>

#include "cxm/value/fit.hpp"
#include "cxm/value/histories.hpp"

namespace cxm::value {

/// BG/BB parameters: p ~ beta(α, β) (transaction probability), θ ~ beta(γ, δ) (death probability).
struct bg_bb {
  double alpha = 0.0;  ///< > 0
  double beta = 0.0;   ///< > 0
  double gamma = 0.0;  ///< > 0
  double delta = 0.0;  ///< > 0
  /// Compares every field.
  friend bool operator==(const bg_bb&, const bg_bb&) = default;
};

/// A discrete-time purchase pattern: x transactions in n opportunities, the last at opportunity t_x.
struct discrete_history {
  double x = 0.0;       ///< transactions after the first (whole number, 0 ≤ x ≤ t_x)
  double t_x = 0.0;     ///< opportunity of the last transaction (whole number, x ≤ t_x ≤ n; 0 when x = 0)
  double n = 0.0;       ///< opportunities observed (whole number ≥ 0)
  double weight = 1.0;  ///< customers with this pattern (> 0)
  /// Compares every field.
  friend bool operator==(const discrete_history&, const discrete_history&) = default;
};

/// Throws std::invalid_argument naming the index and the field when a pattern is outside its domain.
inline void check_history(const discrete_history& h, std::size_t index) {
  const auto fail = [&](const char* what) {
    throw std::invalid_argument("discrete history " + std::to_string(index) + ": " + what);
  };
  const auto whole = [](double v) { return std::isfinite(v) && v >= 0.0 && v == std::floor(v); };
  if (!whole(h.n)) fail("n must be a whole number >= 0");
  if (!whole(h.x) || h.x > h.n) fail("x must be a whole number in [0, n]");
  if (!whole(h.t_x) || h.t_x > h.n) fail("t_x must be a whole number in [0, n]");
  if (h.x > h.t_x) fail("t_x must be >= x (x transactions need x opportunities up to t_x)");
  if (h.x == 0.0 && h.t_x != 0.0) fail("t_x must be 0 when x = 0");
  if (h.x > 0.0 && h.t_x == 0.0) fail("t_x must be >= 1 when x > 0");
  if (!std::isfinite(h.weight) || !(h.weight > 0.0)) fail("weight must be finite and > 0");
}

/// Identical (x, t_x, n) patterns merged, weights summed, sorted by (x, t_x, n).
[[nodiscard]] inline std::vector<discrete_history> compress(std::span<const discrete_history> histories) {
  return detail::compress_by(histories, [](const discrete_history& h) { return std::tie(h.x, h.t_x, h.n); });
}

/// Throws std::invalid_argument naming the first parameter that is not finite and > 0.
inline void check_parameters(const bg_bb& m) {
  const auto check = [](double v, const char* name) {
    if (!std::isfinite(v) || !(v > 0.0))
      throw std::invalid_argument(std::string("bg_bb: ") + name + " must be finite and > 0, got " + std::to_string(v));
  };
  check(m.alpha, "alpha");
  check(m.beta, "beta");
  check(m.gamma, "gamma");
  check(m.delta, "delta");
}

namespace detail {

inline std::size_t whole_index(double v) { return static_cast<std::size_t>(v); }

/// Prefix sums Σ_{j<k} log(a + j) and Σ_{j<k} 1/(a + j), k = 0..size: the log rising factorial
/// log (a)_k and its derivative ψ(a + k) − ψ(a).
struct rising_factorials {
  std::vector<double> log_value, derivative;
  void build(double a, std::size_t size) {
    log_value.resize(size + 1);
    derivative.resize(size + 1);
    log_value[0] = derivative[0] = 0.0;
    for (std::size_t j = 0; j < size; ++j) {
      const double v = a + static_cast<double>(j);
      log_value[j + 1] = log_value[j] + std::log(v);
      derivative[j + 1] = derivative[j] + 1.0 / v;
    }
  }
};

/// A log term of the BG/BB likelihood with its gradient in (α, β, γ, δ).
struct bg_bb_term {
  double log_value;
  std::array<double, 4> gradient;
};

/// Rising-factorial tables of one parameter set, and the beta-function ratios built from them.
class bg_bb_tables {
 public:
  void build(const bg_bb& m, std::size_t max_n) {
    alpha_.build(m.alpha, max_n + 1);
    beta_.build(m.beta, max_n + 1);
    alpha_beta_.build(m.alpha + m.beta, max_n + 2);
    delta_.build(m.delta, max_n + 2);
    gamma_delta_.build(m.gamma + m.delta, max_n + 2);
    log_gamma_ = std::log(m.gamma);
    inverse_gamma_ = 1.0 / m.gamma;
  }

  /// log B(α+x, β+y)/B(α,β) · B(γ+d, δ+z)/B(γ,δ), d ∈ {0, 1}, with its gradient.
  [[nodiscard]] bg_bb_term term(std::size_t x, std::size_t y, bool died, std::size_t z) const {
    const std::size_t xy = x + y;
    const std::size_t zd = z + (died ? 1 : 0);
    bg_bb_term t{};
    t.log_value = alpha_.log_value[x] + beta_.log_value[y] - alpha_beta_.log_value[xy] + delta_.log_value[z] -
                  gamma_delta_.log_value[zd] + (died ? log_gamma_ : 0.0);
    t.gradient[0] = alpha_.derivative[x] - alpha_beta_.derivative[xy];
    t.gradient[1] = beta_.derivative[y] - alpha_beta_.derivative[xy];
    t.gradient[2] = (died ? inverse_gamma_ : 0.0) - gamma_delta_.derivative[zd];
    t.gradient[3] = delta_.derivative[z] - gamma_delta_.derivative[zd];
    return t;
  }

  /// log L(x, t_x, n) of eq. 5 and ∂ log L; `scratch` holds the terms (no allocation once sized).
  double log_likelihood(const discrete_history& h, std::array<double, 4>& gradient,
                        std::vector<bg_bb_term>& scratch) const {
    const std::size_t x = whole_index(h.x), t_x = whole_index(h.t_x), n = whole_index(h.n);
    scratch.clear();
    scratch.push_back(term(x, n - x, false, n));  // alive through all n opportunities
    for (std::size_t i = 0; i + t_x < n; ++i)     // died just before opportunity t_x + i + 1
      scratch.push_back(term(x, t_x - x + i, true, t_x + i));
    double top = -std::numeric_limits<double>::infinity();
    for (const auto& t : scratch) top = std::max(top, t.log_value);
    double sum = 0.0;
    gradient = {};
    for (auto& t : scratch) {
      const double share = std::exp(t.log_value - top);
      sum += share;
      for (std::size_t k = 0; k < 4; ++k) gradient[k] += share * t.gradient[k];
    }
    for (auto& g : gradient) g /= sum;
    return top + std::log(sum);
  }

 private:
  rising_factorials alpha_, beta_, alpha_beta_, delta_, gamma_delta_;
  double log_gamma_ = 0.0, inverse_gamma_ = 0.0;
};

inline std::size_t max_opportunities(std::span<const discrete_history> histories) {
  double n = 0.0;
  for (const auto& h : histories) n = std::max(n, h.n);
  return whole_index(n);
}

/// Compressed patterns and the buffers of repeated evaluations (one per fit; not shared).
class bg_bb_data {
 public:
  explicit bg_bb_data(std::span<const discrete_history> histories)
      : patterns_(compress(histories)), max_n_(max_opportunities(patterns_)) {
    for (const auto& h : patterns_) total_weight_ += h.weight;
    scratch_.reserve(max_n_ + 1);
  }
  [[nodiscard]] const std::vector<discrete_history>& patterns() const noexcept { return patterns_; }
  [[nodiscard]] double total_weight() const noexcept { return total_weight_; }

  /// Σ w log L and its gradient in (α, β, γ, δ).
  double operator()(const std::array<double, 4>& theta, std::array<double, 4>& grad) {
    tables_.build({theta[0], theta[1], theta[2], theta[3]}, max_n_);
    double ll = 0.0;
    grad = {};
    std::array<double, 4> g{};
    for (const auto& h : patterns_) {
      ll += h.weight * tables_.log_likelihood(h, g, scratch_);
      for (std::size_t k = 0; k < 4; ++k) grad[k] += h.weight * g[k];
    }
    return ll;
  }

 private:
  std::vector<discrete_history> patterns_;
  std::size_t max_n_;
  double total_weight_ = 0.0;
  bg_bb_tables tables_;
  std::vector<bg_bb_term> scratch_;
};

/// Σ_{t=from+1}^{from+count} B(γ, δ+t)/B(γ,δ): expected opportunities alive among the next `count`
/// after `from`, for a customer alive at `from` is this divided by B(γ, δ+from)/B(γ,δ). The factor
/// δ/(γ−1)·Γ(γ+δ)/Γ(1+δ)·[...] of FHS 2010 eqs. 7 and 13; the direct sum near γ = 1.
inline double expected_alive_opportunities(double gamma, double delta, double from, double count) {
  if (count == 0.0) return 0.0;
  if (std::abs(gamma - 1.0) > 1e-4) {
    const double shift = gamma - 1.0;  // Γ(a)/Γ(a + γ − 1) ratios, accurate for large a
    const auto ratio = [&](double a) { return boost::math::tgamma_delta_ratio(a, shift); };
    return delta / shift * (ratio(1.0 + delta + from) - ratio(1.0 + delta + from + count)) / ratio(1.0 + delta);
  }
  // B(γ, δ+t)/B(γ,δ) = Π_{j<t} (δ+j)/(γ+δ+j), accumulated term by term.
  double survival = 1.0, sum = 0.0;
  for (double t = 1.0; t <= from + count; t += 1.0) {
    survival *= (delta + t - 1.0) / (gamma + delta + t - 1.0);
    if (t > from) sum += survival;
  }
  return sum;
}

inline void check_whole(double v, const char* what) {
  if (!std::isfinite(v) || v < 0.0 || v != std::floor(v))
    throw std::invalid_argument(std::string("bg_bb: ") + what + " must be a whole number >= 0");
}

}  // namespace detail

/// log L(α, β, γ, δ | x, t_x, n) of one pattern (FHS 2010 eq. 5; weight ignored).
[[nodiscard]] inline double log_likelihood(const bg_bb& m, const discrete_history& h) {
  check_parameters(m);
  check_history(h, 0);
  detail::bg_bb_tables tables;
  tables.build(m, detail::whole_index(h.n));
  std::vector<detail::bg_bb_term> scratch;
  std::array<double, 4> g{};
  return tables.log_likelihood(h, g, scratch);
}

/// Σ weight · log L over the patterns.
[[nodiscard]] inline double log_likelihood(const bg_bb& m, std::span<const discrete_history> histories) {
  check_parameters(m);
  detail::bg_bb_data data(histories);
  std::array<double, 4> g{};
  return data({m.alpha, m.beta, m.gamma, m.delta}, g);
}

/// ∂/∂(α, β, γ, δ) of Σ weight · log L: the analytic gradient the fit uses.
[[nodiscard]] inline std::array<double, 4> log_likelihood_gradient(const bg_bb& m,
                                                                   std::span<const discrete_history> histories) {
  check_parameters(m);
  detail::bg_bb_data data(histories);
  std::array<double, 4> g{};
  (void)data({m.alpha, m.beta, m.gamma, m.delta}, g);
  return g;
}

/// P(alive at opportunity n + 1 | x, t_x, n) (FHS 2010 eq. 11): "alive in 2002" for the donors
/// observed over 1996–2001 (n = 6).
[[nodiscard]] inline double p_alive(const bg_bb& m, const discrete_history& h) {
  check_parameters(m);
  check_history(h, 0);
  const std::size_t x = detail::whole_index(h.x), n = detail::whole_index(h.n);
  detail::bg_bb_tables tables;
  tables.build(m, n);
  std::vector<detail::bg_bb_term> scratch;
  std::array<double, 4> g{};
  const double log_l = tables.log_likelihood(h, g, scratch);
  // B(γ, δ+n+1)/B(γ,δ) = B(γ, δ+n)/B(γ,δ) · (δ+n)/(γ+δ+n).
  const double alive_next = std::log((m.delta + h.n) / (m.gamma + m.delta + h.n));
  return std::min(1.0, std::exp(tables.term(x, n - x, false, n).log_value + alive_next - log_l));
}

/// E[X(n, n + n*) | x, t_x, n]: expected transactions in the next n* opportunities (FHS 2010 eq. 13).
[[nodiscard]] inline double expected_purchases(const bg_bb& m, const discrete_history& h, double n_star) {
  check_parameters(m);
  check_history(h, 0);
  detail::check_whole(n_star, "n_star");
  const std::size_t x = detail::whole_index(h.x), n = detail::whole_index(h.n);
  detail::bg_bb_tables tables;
  tables.build(m, n);
  std::vector<detail::bg_bb_term> scratch;
  std::array<double, 4> g{};
  const double log_l = tables.log_likelihood(h, g, scratch);
  // B(α+x+1, β+n−x)/B(α,β) = B(α+x, β+n−x)/B(α,β) · (α+x)/(α+β+n) (the term with z = 0 has no θ part).
  const double log_p_part =
      tables.term(x, n - x, false, 0).log_value + std::log((m.alpha + h.x) / (m.alpha + m.beta + h.n));
  return std::exp(log_p_part - log_l) * detail::expected_alive_opportunities(m.gamma, m.delta, h.n, n_star);
}

/// E[X(n)]: expected transactions of a new customer in n opportunities (FHS 2010 eq. 7).
[[nodiscard]] inline double expected_purchases(const bg_bb& m, double n) {
  check_parameters(m);
  detail::check_whole(n, "n");
  return m.alpha / (m.alpha + m.beta) * detail::expected_alive_opportunities(m.gamma, m.delta, 0.0, n);
}

/// P(X(n) = x): probability that a new customer transacts x times in n opportunities (FHS 2010 eq. 8);
/// 0 when x > n.
[[nodiscard]] inline double purchase_probability(const bg_bb& m, double n, unsigned x) {
  check_parameters(m);
  detail::check_whole(n, "n");
  const std::size_t opportunities = detail::whole_index(n), k = x;
  if (k > opportunities) return 0.0;
  detail::bg_bb_tables tables;
  tables.build(m, opportunities);
  const auto log_choose = [](std::size_t a, std::size_t b) {
    return boost::math::lgamma(static_cast<double>(a) + 1.0) - boost::math::lgamma(static_cast<double>(b) + 1.0) -
           boost::math::lgamma(static_cast<double>(a - b) + 1.0);
  };
  double p = std::exp(log_choose(opportunities, k) + tables.term(k, opportunities - k, false, opportunities).log_value);
  for (std::size_t i = k; i < opportunities; ++i)
    p += std::exp(log_choose(i, k) + tables.term(k, i - k, true, i).log_value);
  return p;
}

/// A fitted BG/BB model; diagnostics in the order (α, β, γ, δ).
struct bg_bb_fit {
  bg_bb model;  ///< the fitted parameters
  fit_outcome<4> diagnostics;  ///< the fit's diagnostics
};

/// Maximum-likelihood fit of the BG/BB model (FHS 2010) on weighted patterns (compressed first).
/// Default start (1, 1, 1, 1); `start` warm-starts from earlier parameters. Throws fit_error when
/// the data cannot identify the model (no weight, no opportunity, no transaction, no missed
/// opportunity), std::invalid_argument on an invalid pattern or start.
[[nodiscard]] inline bg_bb_fit fit_bg_bb(std::span<const discrete_history> histories, const fit_options& options = {},
                                         std::optional<bg_bb> start = {}) {
  detail::bg_bb_data data(histories);  // validates and compresses
  if (data.patterns().empty() || !(data.total_weight() > 0.0)) throw fit_error("bg_bb: no patterns to fit");
  const auto& patterns = data.patterns();
  const auto any = [&](auto predicate) { return std::any_of(patterns.begin(), patterns.end(), predicate); };
  if (!any([](const discrete_history& h) { return h.n > 0.0; }))
    throw fit_error("bg_bb: no transaction opportunity observed (every n = 0)");
  if (!any([](const discrete_history& h) { return h.x > 0.0; }))
    throw fit_error("bg_bb: no transactions (every x = 0); the transaction probability cannot be identified");
  if (!any([](const discrete_history& h) { return h.x < h.n; }))
    throw fit_error("bg_bb: no missed opportunity (every x = n); death and transaction cannot be identified");
  std::array<double, 4> initial{1.0, 1.0, 1.0, 1.0};
  if (start) {
    check_parameters(*start);
    initial = {start->alpha, start->beta, start->gamma, start->delta};
  }
  auto outcome = maximize_likelihood<4>("bg_bb", data, initial, data.total_weight(), options);
  const auto& p = outcome.parameters;
  return {{p[0], p[1], p[2], p[3]}, outcome};
}

}  // namespace cxm::value
