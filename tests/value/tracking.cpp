// Tests for include/cxm/value/tracking.hpp on a model with closed-form expectations.

#include "cxm/value/tracking.hpp"

#include <stdexcept>
#include <vector>

#include <doctest/doctest.h>

namespace toy_tracking {
/// Repeat purchases at rate λ, no dropout: E[X(t)] = λ t, E[Y(t) | history] = λ t.
struct poisson {
  double lambda;
};
inline double expected_purchases(const poisson& m, double t) { return m.lambda * t; }
inline double expected_purchases(const poisson& m, const cxm::value::purchase_history& h, double t) {
  return m.lambda * t * (1.0 + h.x);  // depends on x, so that the group means are distinguishable
}
}  // namespace toy_tracking

TEST_CASE("expected_cumulative_repeats: births spread over time") {
  const toy_tracking::poisson m{0.1};
  // 10 customers born at 0, 20 at 1.5; steps of 1:
  //   τ = 1: 10 · 0.1 · 1 = 1;  τ = 2: 10 · 0.2 + 20 · 0.1 · 0.5 = 3;  τ = 3: 10 · 0.3 + 20 · 0.15 = 6.
  const std::vector<cxm::value::cohort_births> births{{0.0, 10.0}, {1.5, 20.0}};
  const auto e = cxm::value::expected_cumulative_repeats(m, births, 3, 1.0);
  REQUIRE(e.size() == 3);
  CHECK(e[0] == doctest::Approx(1.0));
  CHECK(e[1] == doctest::Approx(3.0));
  CHECK(e[2] == doctest::Approx(6.0));
  CHECK_THROWS_AS((void)cxm::value::expected_cumulative_repeats(m, births, 3, 0.0), std::invalid_argument);
}

TEST_CASE("holdout_by_frequency: groups, the open last group, means") {
  const toy_tracking::poisson m{0.1};
  const std::vector<cxm::value::purchase_history> h{
      {0, 0, 10, 1}, {0, 0, 5, 1}, {1, 2, 10, 2}, {3, 4, 10, 1}, {5, 6, 10, 1}};
  const std::vector<double> actual{0, 2, 1, 3, 7};
  // max_x = 3: groups 0, 1, 2, ≥3.  Holdout length 10: E = 0.1 · 10 · (1 + x) = 1 + x.
  const auto g = cxm::value::holdout_by_frequency(m, h, actual, 10.0, 3);
  REQUIRE(g.size() == 4);
  CHECK(g[0].customers == 2.0);
  CHECK(g[0].actual == 1.0);            // (0 + 2) / 2
  CHECK(g[0].expected == doctest::Approx(1.0));
  CHECK(g[1].customers == 2.0);         // one history of weight 2
  CHECK(g[1].actual == 1.0);
  CHECK(g[1].expected == doctest::Approx(2.0));
  CHECK(g[2].customers == 0.0);         // kept, empty
  CHECK(g[3].customers == 2.0);         // x = 3 and x = 5
  CHECK(g[3].actual == 5.0);            // (3 + 7) / 2
  CHECK(g[3].expected == doctest::Approx(5.0));  // (4 + 6) / 2
  CHECK_THROWS_AS((void)cxm::value::holdout_by_frequency(m, h, std::vector<double>{1.0}, 10.0), std::invalid_argument);
}
