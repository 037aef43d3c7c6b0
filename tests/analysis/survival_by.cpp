// Survival by group (include/cxm/analysis/survival_by.hpp): per-group Kaplan-Meier curves and the
// log-rank test, hand-worked; the satisfied / not satisfied and Dick & Basu segment conveniences; a
// brute-force check against filtering the lifetimes by hand; merging the states of two halves; lifetimes
// taken from an engine's customers (customer_lifetimes::of) pooled back to the metric's table; bad input.

#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <random>
#include <stdexcept>
#include <vector>

#include <doctest/doctest.h>

#include "cxm/analysis/survival_by.hpp"
#include "cxm/churn/lifetimes.hpp"
#include "cxm/stream/engine.hpp"
#include "stream/stream_support.hpp"
#include "support/invariants.hpp"

namespace {

using cxm::lifetime;
using cxm::analysis::segment;

// Not satisfied (group 0): churned at 2 and 4, censored at 5. Satisfied (group 1): churned at 4,
// censored at 6 and 8.
const std::vector<lifetime> small_lifetimes{{2, true}, {4, true}, {5, false}, {4, true}, {6, false}, {8, false}};
const std::vector<std::int64_t> small_groups{0, 0, 0, 1, 1, 1};

void check_small_case(const cxm::analysis::survival_by_result& r) {
  // t  n  n0  d   E0 = d n0/n     V00 = d(n−d)/(n−1) · (n0/n)(1 − n0/n)
  // 2  6  3   1   1/2             1 · (1/2)(1/2) = 1/4
  // 4  5  2   2   2 · 2/5 = 4/5   (2·3/4) · (2/5)(3/5) = 9/25
  // (5, 6, 8: no churn.)  O0 = 2, E0 = 13/10; O1 = 1, E1 = 3 − 13/10 = 17/10; V00 = 1/4 + 9/25 = 61/100.
  // χ² = (O1 − E1)² / V11 = (7/10)² / (61/100) = 49/61, one degree of freedom.
  REQUIRE(r.groups.size() == 2);
  CHECK(r.groups[0].group == 0);
  CHECK(r.groups[0].customers == 3);
  CHECK(r.groups[0].churned == 2);
  CHECK(r.groups[1].group == 1);
  CHECK(r.groups[1].customers == 3);
  CHECK(r.groups[1].churned == 1);
  CXM_CHECK_CLOSE(r.log_rank.groups[0].expected, 13.0 / 10.0);
  CXM_CHECK_CLOSE(r.log_rank.groups[1].expected, 17.0 / 10.0);
  CXM_CHECK_CLOSE(r.log_rank.variance[0], 61.0 / 100.0);
  CHECK(r.log_rank.degrees_of_freedom == 1);
  REQUIRE(r.log_rank.chi_squared.has_value());
  CXM_CHECK_CLOSE(*r.log_rank.chi_squared, 49.0 / 61.0);
  // One degree of freedom: P(χ² >= x) = erfc(√(x/2)).
  CXM_CHECK_CLOSE(*r.log_rank.p_value, std::erfc(std::sqrt(49.0 / 122.0)));
  // Group 0: S(2) = 2/3, S(4) = 2/3 · 1/2 = 1/3 → median 4. Group 1: S(4) = 2/3, never <= 0.5.
  const auto& c0 = r.groups[0].curve.rows;
  REQUIRE(c0.size() == 3);
  CXM_CHECK_CLOSE(c0[0].survival, 2.0 / 3.0);
  CXM_CHECK_CLOSE(c0[1].survival, 1.0 / 3.0);
  CHECK(r.groups[0].median.median == 4.0);
  const auto& c1 = r.groups[1].curve.rows;
  REQUIRE(c1.size() == 3);
  CXM_CHECK_CLOSE(c1[0].survival, 2.0 / 3.0);
  CHECK_FALSE(r.groups[1].median.median.has_value());
  CHECK(r.state.subjects() == 6);
}

}  // namespace

TEST_CASE("survival_by: two groups worked by hand, curves and log-rank") {
  const auto r = cxm::analysis::survival_by(small_lifetimes, small_groups);
  check_small_case(r);
  CHECK(r.left_out == 0);
  // The same through the satisfaction convenience (threshold 4: a 4 is satisfied, segments.hpp's rule);
  // an unsurveyed customer is left out and counted.
  std::vector<lifetime> with_unsurveyed = small_lifetimes;
  with_unsurveyed.push_back({1, true});
  const std::vector<std::optional<double>> satisfaction{2.0, 3.0, 3.9, 4.0, 5.0, 4.5, std::nullopt};
  const auto s = cxm::analysis::survival_by_satisfaction(with_unsurveyed, satisfaction, 4.0);
  check_small_case(s);
  CHECK(s.left_out == 1);
  CHECK(s.groups[0].group == cxm::analysis::not_satisfied_group);
  CHECK(s.groups[1].group == cxm::analysis::satisfied_group);
}

TEST_CASE("survival_by: by Dick & Basu segment, unsurveyed kept or left out") {
  // at_risk (3) is the small case's group 0, loyal (0) its group 1 (labels ascending: loyal first).
  std::vector<lifetime> xs{{2, true}, {4, true}, {5, false}, {4, true}, {6, false}, {8, false}, {1, true}, {3, false}};
  const std::vector<segment> segs{segment::at_risk, segment::at_risk, segment::at_risk, segment::loyal,
                                  segment::loyal,   segment::loyal,   segment::unsurveyed, segment::unsurveyed};
  const auto without = cxm::analysis::survival_by_segment(xs, segs, false);
  CHECK(without.left_out == 2);
  REQUIRE(without.groups.size() == 2);
  CHECK(without.groups[0].group == 0);  // loyal
  CHECK(without.groups[1].group == 3);  // at_risk
  // Swapping the labels of a two-group test leaves χ² unchanged: 49/61 as by hand.
  CXM_CHECK_CLOSE(*without.log_rank.chi_squared, 49.0 / 61.0);
  CHECK(without.groups[1].median.median == 4.0);
  const auto with = cxm::analysis::survival_by_segment(xs, segs);
  CHECK(with.left_out == 0);
  REQUIRE(with.groups.size() == 3);
  CHECK(with.groups[2].group == 4);  // unsurveyed
  CHECK(with.groups[2].customers == 2);
  CHECK(with.log_rank.degrees_of_freedom == 2);
}

TEST_CASE("survival_by: curves equal Kaplan-Meier of each group filtered by hand; halves merge to the whole") {
  std::mt19937_64 rng(71);
  std::vector<lifetime> xs;
  std::vector<std::int64_t> groups;
  for (int i = 0; i < 600; ++i) {
    xs.push_back({static_cast<double>(rng() % 40), rng() % 3 != 0});
    groups.push_back(static_cast<std::int64_t>(rng() % 4) - 1);  // labels -1 .. 2
  }
  const cxm::survival_options options{0.9, cxm::survival_band_type::log_log};
  const auto r = cxm::analysis::survival_by(xs, groups, options);
  REQUIRE(r.groups.size() == 4);
  for (std::size_t g = 0; g < 4; ++g) {
    const std::int64_t label = static_cast<std::int64_t>(g) - 1;
    std::vector<lifetime> mine;
    for (std::size_t i = 0; i < xs.size(); ++i) {
      if (groups[i] == label) mine.push_back(xs[i]);
    }
    const auto km = cxm::kaplan_meier(mine, options);
    CHECK(r.groups[g].group == label);
    CHECK(r.groups[g].customers == mine.size());
    CHECK(r.groups[g].churned == km.events);
    REQUIRE(r.groups[g].curve.rows.size() == km.rows.size());
    for (std::size_t j = 0; j < km.rows.size(); ++j) {
      CHECK(r.groups[g].curve.rows[j].survival == km.rows[j].survival);
      CHECK(r.groups[g].curve.rows[j].lower == km.rows[j].lower);
    }
    CHECK(r.groups[g].median.median == cxm::median_survival(km).median);
  }
  // The log-rank test equals the one on grouped lifetimes.
  std::vector<cxm::grouped_lifetime> grouped;
  for (std::size_t i = 0; i < xs.size(); ++i) grouped.push_back({xs[i].time, xs[i].event, groups[i], 0});
  const auto direct = cxm::log_rank(grouped);
  CHECK(r.log_rank.chi_squared == direct.chi_squared);
  CHECK(r.log_rank.degrees_of_freedom == 3);
  // Two halves, their states merged (either order), give the same figures as the whole.
  const std::size_t half = xs.size() / 2;
  const auto a = cxm::analysis::survival_by(std::span(xs).first(half), std::span(groups).first(half));
  const auto b = cxm::analysis::survival_by(std::span(xs).subspan(half), std::span(groups).subspan(half));
  auto ab = a.state, ba = b.state;
  ab.merge(b.state);
  ba.merge(a.state);
  CHECK(ab == r.state);
  CHECK(ba == r.state);
  const auto merged = cxm::analysis::survival_by(ab, options);
  CXM_CHECK_CLOSE(*merged.log_rank.chi_squared, *r.log_rank.chi_squared);
  CHECK(merged.groups[2].curve.rows.size() == r.groups[2].curve.rows.size());
}

TEST_CASE("survival_by: lifetimes from an engine's customers pool back to the customer_lifetimes table") {
  using engine_t = cxm::engine<std::uint64_t, cxm::metric_list<cxm::customer_lifetimes>,
                               cxm::metric_list<cxm::activity, cxm::cancellation>>;
  cxm::test::stream_spec spec;
  spec.events = 4'000;
  spec.customers = 400;
  spec.host_kinds = 0;
  spec.seed = 97;
  engine_t e(cxm::test::config_for(spec));
  e.add(cxm::test::random_stream(spec));
  const auto as_of = spec.from + std::chrono::days{200};
  const auto& metric = e.metric<cxm::customer_lifetimes>();
  std::vector<lifetime> xs;
  std::vector<std::int64_t> parity;
  e.for_each_customer([&](std::uint64_t id, const engine_t::customer_view& view) {
    const auto x = metric.of(view.state<cxm::activity>(), view.state<cxm::cancellation>(), as_of);
    if (!x.life) return;
    xs.push_back(*x.life);
    parity.push_back(static_cast<std::int64_t>(id % 2));
  });
  const auto r = cxm::analysis::survival_by(xs, parity);
  const auto table = e.report(as_of).get<cxm::customer_lifetimes>().table;
  CHECK(r.state.pooled() == table);
  CHECK(r.groups.size() == 2);
  CHECK(r.groups[0].customers + r.groups[1].customers == table.subjects());
}

TEST_CASE("survival_by: bad input is a named error") {
  const std::vector<lifetime> xs{{1, true}, {2, false}};
  const std::vector<std::int64_t> one{0};
  CHECK_THROWS_WITH_AS((void)cxm::analysis::survival_by(xs, one), "survival_by: 2 lifetimes but 1 groups",
                       std::invalid_argument);
  const std::vector<lifetime> nan{{1, true}, {std::numeric_limits<double>::quiet_NaN(), false}};
  const std::vector<std::int64_t> two{0, 1};
  CHECK_THROWS_AS((void)cxm::analysis::survival_by(nan, two), cxm::invalid_event);
  const std::vector<lifetime> negative{{-1, true}, {2, false}};
  CHECK_THROWS_AS((void)cxm::analysis::survival_by(negative, two), std::invalid_argument);
  CHECK_THROWS_AS((void)cxm::analysis::survival_by(xs, two, cxm::survival_options{1.5, cxm::survival_band_type::log}),
                  std::invalid_argument);
  const std::vector<std::optional<double>> sat{1.0, std::numeric_limits<double>::infinity()};
  CHECK_THROWS_WITH_AS((void)cxm::analysis::survival_by_satisfaction(xs, sat, 4.0),
                       "survival_by_satisfaction: satisfaction[1] is not finite", std::invalid_argument);
  const std::vector<std::optional<double>> ok{1.0, 5.0};
  CHECK_THROWS_AS((void)cxm::analysis::survival_by_satisfaction(xs, ok, std::nan("")), std::invalid_argument);
  CHECK_THROWS_AS((void)cxm::analysis::survival_by_satisfaction(xs, std::span(ok).first(1), 4.0), std::invalid_argument);
  const std::vector<segment> bad_segment{segment::loyal, static_cast<segment>(7)};
  CHECK_THROWS_WITH_AS((void)cxm::analysis::survival_by_segment(xs, bad_segment),
                       "survival_by_segment: segments[1] is out of range", std::invalid_argument);
  // One group only, or nobody: curves but no statistic (never NaN).
  const auto single = cxm::analysis::survival_by(xs, std::vector<std::int64_t>{5, 5});
  CHECK(single.groups.size() == 1);
  CHECK_FALSE(single.log_rank.chi_squared.has_value());
  const auto none = cxm::analysis::survival_by(std::vector<lifetime>{}, std::vector<std::int64_t>{});
  CHECK(none.groups.empty());
  CHECK_FALSE(none.log_rank.p_value.has_value());
}
