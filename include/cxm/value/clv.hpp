#pragma once
/// \file
/// Customer lifetime value from a fitted model, with units in the types: discounted cash flow over a
/// horizon, and DERT (discounted expected residual transactions: infinite horizon, continuous
/// discounting). Works with every model that offers expected_purchases(model, history, t), the
/// expected number of purchases in (T, T + t] given the history (bg_nbd, mbg_nbd, pareto_nbd...).
/// See docs/metrics/lifetime-value.md.
///
/// Units. A model's time is a plain number in the unit it was fitted in (weeks for CDNOW); here that
/// unit is a std::chrono duration (`std::chrono::weeks{1}`), the horizon is a duration, and the
/// discount rate is a rate per period whose period is a duration type:
///     discount_rate<std::chrono::months>{0.01}   // 1 % a month
/// so that a monthly rate applied to a weekly model is converted, never misapplied:
///   - discounted cash flow (the convention of Fader, Hardie & Lee 2005 and the `lifetimes` package):
///     the horizon is cut into steps of the rate's period; step i (1..n) contributes
///         margin · spend · (E[Y(t_i)] − E[Y(t_{i−1})]) / (1 + d)^i,   t_i = i · period / model unit,
///     a last, partial step (horizon not a whole number of periods) discounted by (1 + d)^(n_real);
///   - DERT (Fader, Hardie & Lee 2005, "RFM and CLV: Using Iso-Value Curves for Customer Base
///     Analysis", JMR 42(4), eq. 2 for Pareto/NBD): the continuous rate per model unit is
///         δ = ln(1 + d) · (model unit / period),
///     and DERT = ∫₀^∞ e^(−δt) dE[Y(t)] = δ ∫₀^∞ e^(−δt) E[Y(t)] dt (integration by parts, E[Y(0)] = 0),
///     evaluated by double-exponential quadrature (Boost.Math exp_sinh) for any model; for Pareto/NBD
///     tests/value/fit.cpp checks it against the paper's closed form (eq. 2, with Tricomi's Ψ).
///   CLV (infinite horizon) = margin · expected spend · DERT.
///
/// Simple formulas beside the models (each a one-liner, documented for comparison):
///   historic_value = margin · Σ past amounts;
///   simple_clv     = average order value · purchases per period · expected lifespan in periods · margin;
///   retention_clv  = m · r / (1 + d − r)  (Gupta & Lehmann 2003, "Customers as assets", J. Interactive
///                    Marketing 17(1): margin m per period received at the period's end, constant
///                    retention r, discount d per period, infinite horizon).
///
/// Cost: discounted cash flow n + 1 model expectations (n steps); DERT about 50–150 expectations per
/// customer. Pure functions: reentrant.

#include <chrono>
#include <cmath>
#include <limits>
#include <ratio>
#include <stdexcept>
#include <string>
#include <type_traits>

#include <boost/math/quadrature/exp_sinh.hpp>

#include "cxm/value/histories.hpp"

namespace cxm::value {

/// A discount rate per period, the period a std::chrono duration type: discount_rate<std::chrono::months>{0.01}.
template <class Period>
struct discount_rate {
  static_assert(std::chrono::treat_as_floating_point_v<typename Period::rep> || std::is_integral_v<typename Period::rep>,
                "cxm: discount_rate's Period is a std::chrono::duration type");
  double value = 0.0;  ///< d > −1 per period (0.01: 1 % a period)
  using period = Period;  ///< the period of the rate
};

namespace detail {
template <class Rep, class P>
constexpr double seconds_of(std::chrono::duration<Rep, P> d) noexcept {
  return std::chrono::duration<double>(d).count();
}
inline void check_finite(double v, const char* what, const char* fn) {
  if (!std::isfinite(v)) throw std::invalid_argument(std::string(fn) + ": " + what + " must be finite");
}
}  // namespace detail

/// The continuous discount rate per model unit equivalent to `rate`: ln(1 + d) · (unit / period).
/// Throws std::invalid_argument when d ≤ −1 or not finite, or the unit is not positive.
template <class Period, class Rep, class P>
[[nodiscard]] double continuous_rate(discount_rate<Period> rate, std::chrono::duration<Rep, P> model_unit) {
  detail::check_finite(rate.value, "the discount rate", "continuous_rate");
  if (!(rate.value > -1.0)) throw std::invalid_argument("continuous_rate: the discount rate must be > -1");
  const double unit = detail::seconds_of(model_unit);
  if (!(unit > 0.0)) throw std::invalid_argument("continuous_rate: the model's time unit must be > 0");
  return std::log1p(rate.value) * unit / detail::seconds_of(Period{1});
}

/// Discounted cash flow over `horizon` (see the top of this header): margin · spend · Σ_i ΔE[Y] /
/// (1 + d)^i, steps of the rate's period, the model's time unit `model_unit`. `expected_spend` per
/// purchase (e.g. the Gamma-Gamma conditional expectation), `margin` a fraction (1: revenue).
/// Throws std::invalid_argument naming a negative or non-finite spend, margin, horizon or rate.
template <class Model, class Period, class HRep, class HP, class URep, class UP>
[[nodiscard]] double clv(const Model& model, const purchase_history& h, double expected_spend, double margin,
                         std::chrono::duration<HRep, HP> horizon, discount_rate<Period> rate,
                         std::chrono::duration<URep, UP> model_unit) {
  detail::check_finite(expected_spend, "expected_spend", "clv");
  detail::check_finite(margin, "margin", "clv");
  if (expected_spend < 0.0) throw std::invalid_argument("clv: expected_spend must be >= 0");
  detail::check_finite(rate.value, "the discount rate", "clv");
  if (!(rate.value > -1.0)) throw std::invalid_argument("clv: the discount rate must be > -1");
  const double unit = detail::seconds_of(model_unit);
  const double step = detail::seconds_of(Period{1});
  const double total = detail::seconds_of(horizon);
  if (!(unit > 0.0)) throw std::invalid_argument("clv: the model's time unit must be > 0");
  if (!(total >= 0.0) || !std::isfinite(total)) throw std::invalid_argument("clv: the horizon must be finite and >= 0");
  const double steps = total / step;
  if (steps > 1e6) throw std::invalid_argument("clv: more than a million discounting steps: use dert() for long horizons");
  double value = 0.0, previous = 0.0;
  const double whole = std::floor(steps + 1e-9);
  for (double i = 1.0; i <= whole; i += 1.0) {
    const double e = expected_purchases(model, h, i * step / unit);
    value += (e - previous) / std::pow(1.0 + rate.value, i);
    previous = e;
  }
  if (steps - whole > 1e-9) {
    const double e = expected_purchases(model, h, total / unit);
    value += (e - previous) / std::pow(1.0 + rate.value, steps);
  }
  return margin * expected_spend * value;
}

/// Discounted expected residual transactions: ∫₀^∞ e^(−δt) dE[Y(t)], δ = continuous_rate(rate,
/// model_unit), by exp_sinh quadrature of δ e^(−δt) E[Y(t)] (relative accuracy about 1e−10).
/// Throws std::invalid_argument when the rate is not > 0 (an undiscounted infinite horizon).
template <class Model, class Period, class URep, class UP>
[[nodiscard]] double dert(const Model& model, const purchase_history& h, discount_rate<Period> rate,
                          std::chrono::duration<URep, UP> model_unit) {
  const double delta = continuous_rate(rate, model_unit);
  if (!(delta > 0.0)) throw std::invalid_argument("dert: the discount rate must be > 0");
  // Substituting u = δt: DERT = ∫₀^∞ e^(−u) E[Y(u / δ)] du.
  boost::math::quadrature::exp_sinh<double> integrator;
  const auto f = [&](double u) {
    if (u == 0.0) return 0.0;
    const double e = std::exp(-u);
    return e == 0.0 ? 0.0 : e * expected_purchases(model, h, u / delta);
  };
  return integrator.integrate(f, 0.0, std::numeric_limits<double>::infinity(), 1e-10);
}

/// margin · Σ past amounts.
[[nodiscard]] inline double historic_value(double total_amount, double margin = 1.0) {
  detail::check_finite(total_amount, "total_amount", "historic_value");
  detail::check_finite(margin, "margin", "historic_value");
  return margin * total_amount;
}

/// Average order value · purchases per period · expected lifespan in periods · margin.
[[nodiscard]] inline double simple_clv(double average_order_value, double purchases_per_period,
                                       double lifespan_periods, double margin = 1.0) {
  detail::check_finite(average_order_value, "average_order_value", "simple_clv");
  detail::check_finite(purchases_per_period, "purchases_per_period", "simple_clv");
  detail::check_finite(lifespan_periods, "lifespan_periods", "simple_clv");
  detail::check_finite(margin, "margin", "simple_clv");
  if (purchases_per_period < 0.0 || lifespan_periods < 0.0)
    throw std::invalid_argument("simple_clv: purchases_per_period and lifespan_periods must be >= 0");
  return average_order_value * purchases_per_period * lifespan_periods * margin;
}

/// m · r / (1 + d − r): margin m per period at each period's end, retention r in [0, 1), discount d
/// per period (> −1, and 1 + d − r > 0). Gupta & Lehmann (2003).
[[nodiscard]] inline double retention_clv(double margin_per_period, double retention, double discount) {
  detail::check_finite(margin_per_period, "margin_per_period", "retention_clv");
  detail::check_finite(retention, "retention", "retention_clv");
  detail::check_finite(discount, "discount", "retention_clv");
  if (retention < 0.0 || retention >= 1.0) throw std::invalid_argument("retention_clv: retention must lie in [0, 1)");
  if (!(discount > -1.0) || !(1.0 + discount - retention > 0.0))
    throw std::invalid_argument("retention_clv: the discount must be > -1 and 1 + discount - retention > 0");
  return margin_per_period * retention / (1.0 + discount - retention);
}

}  // namespace cxm::value
