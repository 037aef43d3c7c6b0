// Tests for include/cxm/value/clv.hpp: discounted cash flow, DERT and the simple formulas, on models
// whose expectations have closed forms (worked in the comments), and the unit conversions.

#include "cxm/value/clv.hpp"

#include <chrono>
#include <cmath>
#include <stdexcept>
#include <type_traits>

#include <doctest/doctest.h>

namespace toy {
/// Purchases at rate λ per model unit, never dropping out: E[Y(t)] = λ t.
struct poisson {
  double lambda;
};
inline double expected_purchases(const poisson& m, const cxm::value::purchase_history&, double t) { return m.lambda * t; }
/// Rate λ, exponential lifetime of rate μ (the individual Pareto/NBD customer, known alive):
/// E[Y(t)] = (λ/μ)(1 − e^(−μt)).
struct exponential_life {
  double lambda, mu;
};
inline double expected_purchases(const exponential_life& m, const cxm::value::purchase_history&, double t) {
  return m.lambda / m.mu * -std::expm1(-m.mu * t);
}
}  // namespace toy

using namespace std::chrono;
using cxm::value::discount_rate;

template <class R>
concept clv_accepts_rate = requires(R r) {
  cxm::value::clv(toy::poisson{1}, cxm::value::purchase_history{}, 1.0, 1.0, months{1}, r, weeks{1});
};

TEST_CASE("clv: a monthly rate on a weekly model is converted, step by step") {
  const toy::poisson m{0.5};  // 0.5 purchases a week
  const cxm::value::purchase_history h{};
  // One month = 2,629,746 s = 4.348125 weeks: each monthly step holds 0.5 · 4.348125 = 2.1740625
  // purchases; 12 steps at 1 % a month: Σ 1.01^−i = (1 − 1.01^−12) / 0.01 = 11.25507747...
  // CLV = spend 20 · margin 0.3 · 2.1740625 · 11.25507747 = 146.81545...
  const double annuity = (1.0 - std::pow(1.01, -12.0)) / 0.01;
  const double expected = 20.0 * 0.3 * 2.1740625 * annuity;
  CHECK(cxm::value::clv(m, h, 20.0, 0.3, months{12}, discount_rate<months>{0.01}, weeks{1}) ==
        doctest::Approx(expected).epsilon(1e-12));
  CHECK(expected == doctest::Approx(146.81545).epsilon(1e-6));
  // The same horizon written in days (365.2425 · 1 = one year): the same steps.
  CHECK(cxm::value::clv(m, h, 20.0, 0.3, years{1}, discount_rate<months>{0.01}, weeks{1}) ==
        doctest::Approx(expected).epsilon(1e-12));
  // A model fitted in days (λ = 0.5 / 7 a day) gives the same value: the unit is converted.
  CHECK(cxm::value::clv(toy::poisson{0.5 / 7.0}, h, 20.0, 0.3, months{12}, discount_rate<months>{0.01}, days{1}) ==
        doctest::Approx(expected).epsilon(1e-12));
  // Half a month more (12 months = 31,556,952 s, half a month 1,314,873 s): a partial step of 0.5 · 4.348125 / 2 purchases discounted by 1.01^−12.5.
  const double longer = expected + 20.0 * 0.3 * 2.1740625 / 2.0 / std::pow(1.01, 12.5);
  CHECK(cxm::value::clv(m, h, 20.0, 0.3, seconds{31'556'952 + 1'314'873}, discount_rate<months>{0.01},
                        weeks{1}) == doctest::Approx(longer).epsilon(1e-9));
  // No discount: spend · margin · E[Y(horizon)].
  CHECK(cxm::value::clv(m, h, 20.0, 1.0, weeks{10}, discount_rate<weeks>{0.0}, weeks{1}) == doctest::Approx(100.0));
  // A bare number is not a rate: the period must be in the type.
  static_assert(!clv_accepts_rate<double>);
  static_assert(clv_accepts_rate<discount_rate<months>>);
  CHECK_THROWS_AS((void)cxm::value::clv(m, h, -1.0, 1.0, months{1}, discount_rate<months>{0.01}, weeks{1}), std::invalid_argument);
  CHECK_THROWS_AS((void)cxm::value::clv(m, h, 1.0, 1.0, months{1}, discount_rate<months>{-1.0}, weeks{1}), std::invalid_argument);
}

TEST_CASE("dert: closed forms, and the continuous rate per model unit") {
  const cxm::value::purchase_history h{};
  // δ per week for 1 % a month: ln(1.01) · 604800 / 2629746 = 0.0099503309 · 0.2299847 = 0.00228842...
  const double delta = std::log(1.01) * 604'800.0 / 2'629'746.0;
  CHECK(cxm::value::continuous_rate(discount_rate<months>{0.01}, weeks{1}) == doctest::Approx(delta).epsilon(1e-15));
  // Never dropping out: δ ∫ e^(−δt) λ t dt = λ / δ.
  CHECK(cxm::value::dert(toy::poisson{0.5}, h, discount_rate<months>{0.01}, weeks{1}) ==
        doctest::Approx(0.5 / delta).epsilon(1e-9));
  // Exponential lifetime μ: δ ∫ e^(−δt) (λ/μ)(1 − e^(−μt)) dt = (λ/μ)(1 − δ/(δ + μ)) = λ / (δ + μ).
  const toy::exponential_life m{0.5, 0.02};
  CHECK(cxm::value::dert(m, h, discount_rate<months>{0.01}, weeks{1}) == doctest::Approx(0.5 / (delta + 0.02)).epsilon(1e-9));
  // The same rate stated per year (1.01^12 − 1 a year) is the same continuous rate.
  CHECK(cxm::value::dert(m, h, discount_rate<years>{std::pow(1.01, 12.0) - 1.0}, weeks{1}) ==
        doctest::Approx(0.5 / (delta + 0.02)).epsilon(1e-9));
  // A long discounted horizon approaches DERT.
  const double far = cxm::value::clv(m, h, 1.0, 1.0, years{200}, discount_rate<months>{0.01}, weeks{1});
  CHECK(far == doctest::Approx(0.5 / (delta + 0.02)).epsilon(0.01));  // discrete vs continuous discounting
  CHECK_THROWS_AS((void)cxm::value::dert(m, h, discount_rate<months>{0.0}, weeks{1}), std::invalid_argument);
}

TEST_CASE("simple formulas") {
  CHECK(cxm::value::historic_value(250.0, 0.4) == 100.0);
  // AOV 35 · 2 purchases a year · 3 years · margin 0.25 = 52.5.
  CHECK(cxm::value::simple_clv(35.0, 2.0, 3.0, 0.25) == doctest::Approx(52.5));
  // m r / (1 + d − r) = 100 · 0.8 / (1.1 − 0.8) = 266.67 (Gupta & Lehmann 2003).
  CHECK(cxm::value::retention_clv(100.0, 0.8, 0.1) == doctest::Approx(800.0 / 3.0));
  // The same as the geometric series Σ_{t≥1} m r^t / (1 + d)^t.
  double series = 0.0;
  for (int t = 1; t < 2000; ++t) series += 100.0 * std::pow(0.8 / 1.1, t);
  CHECK(cxm::value::retention_clv(100.0, 0.8, 0.1) == doctest::Approx(series).epsilon(1e-12));
  CHECK_THROWS_AS((void)cxm::value::retention_clv(100.0, 1.0, 0.1), std::invalid_argument);
  CHECK_THROWS_AS((void)cxm::value::simple_clv(35.0, -1.0, 3.0), std::invalid_argument);
}
