// Tests for include/cxm/analysis/segments.hpp: the Dick & Basu segmentation on a small hand-worked table
// (every segment, unsurveyed customers, ties at the thresholds), quantile thresholds, an independent
// brute-force tally on random data, input-order invariance, bad input, and predictive_comparison.

#include "cxm/analysis/segments.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <random>
#include <stdexcept>
#include <vector>

#include <doctest/doctest.h>

#include "cxm/core/error.hpp"

namespace {

using namespace cxm::analysis;

#define SEG_CHECK_NEAR(a, b, tol) \
  CHECK_MESSAGE(std::abs((a) - (b)) <= (tol), #a " = ", (a), ", expected ", (b), " within ", (tol))

customer_profile profile(double engagement, std::optional<double> satisfaction, bool churned, double spend,
                         bool referred = false, std::optional<int> nps_answer = std::nullopt) {
  customer_profile c;
  c.engagement = engagement;
  c.satisfaction = satisfaction;
  c.churned = churned;
  c.spend = spend;
  c.referred = referred;
  c.nps_answer = nps_answer;
  return c;
}

// Thresholds engagement 5, satisfaction 4; ">= threshold is high".
std::vector<customer_profile> small_table() {
  return {
      profile(8, 5, false, 100, true, 10),  // loyal
      profile(5, 4, false, 50, false, 9),   // loyal: both values exactly at the thresholds count as high
      profile(7, 2, true, 80, false, 3),    // spurious
      profile(6, 3.9, false, 20),           // spurious
      profile(2, 4.5, false, 10, true),     // latent
      profile(4.99, 4, true, 0),            // latent: just below the engagement threshold
      profile(1, 1, true, 5),               // at_risk
      profile(0, 3, true, 0),               // at_risk
      profile(9, std::nullopt, false, 200), // unsurveyed
      profile(0.5, std::nullopt, true, 0),  // unsurveyed
  };
}

segmentation_parameters fixed_thresholds() {
  segmentation_parameters p;
  p.engagement = threshold::at(5);
  p.satisfaction = threshold::at(4);
  return p;
}

void check_same(const segmentation& a, const segmentation& b) {
  CHECK(a.customers == b.customers);
  CHECK(a.surveyed == b.surveyed);
  for (std::size_t s = 0; s < segment_count; ++s) {
    CHECK(a.segments[s].customers == b.segments[s].customers);
    CHECK(a.segments[s].churned == b.segments[s].churned);
    CHECK(a.segments[s].referred == b.segments[s].referred);
    REQUIRE(a.segments[s].mean_spend.has_value() == b.segments[s].mean_spend.has_value());
    if (a.segments[s].mean_spend) {
      SEG_CHECK_NEAR(*a.segments[s].mean_spend, *b.segments[s].mean_spend,
                     1e-12 * std::max(1.0, std::abs(*a.segments[s].mean_spend)));
    }
  }
  REQUIRE(a.axes_independence.has_value() == b.axes_independence.has_value());
  if (a.axes_independence) SEG_CHECK_NEAR(a.axes_independence->statistic, b.axes_independence->statistic, 1e-9);
}

}  // namespace

TEST_CASE("classify: >= threshold counts as high, no satisfaction is unsurveyed") {
  CHECK(classify(5, 4, 5, 4) == segment::loyal);
  CHECK(classify(5, 3.999, 5, 4) == segment::spurious);
  CHECK(classify(4.999, 4, 5, 4) == segment::latent);
  CHECK(classify(0, 0, 5, 4) == segment::at_risk);
  CHECK(classify(100, std::nullopt, 5, 4) == segment::unsurveyed);
  CHECK(to_string(segment::at_risk) == "at_risk");
}

TEST_CASE("linear_quantile is numpy's default (type 7)") {
  // {1, 2, 3, 4}, q = 0.25: h = 3·0.25 = 0.75 → 1 + 0.75·(2 − 1) = 1.75 (numpy.quantile gives 1.75).
  CHECK(*linear_quantile({4, 1, 3, 2}, 0.25) == 1.75);
  CHECK(*linear_quantile({4, 1, 3, 2}, 0.5) == 2.5);
  CHECK(*linear_quantile({4, 1, 3, 2}, 0.0) == 1);
  CHECK(*linear_quantile({4, 1, 3, 2}, 1.0) == 4);
  CHECK(*linear_quantile({7}, 0.3) == 7);
  CHECK_FALSE(linear_quantile({}, 0.5));
  CHECK_THROWS_AS(linear_quantile({1, 2}, 1.5), std::invalid_argument);
  CHECK_THROWS_AS(linear_quantile({1, std::numeric_limits<double>::infinity()}, 0.5), std::invalid_argument);
}

TEST_CASE("segments of a small table: each of the four segments and unsurveyed customers") {
  const auto customers = small_table();
  const segmentation r = segment_customers(customers, fixed_thresholds());
  CHECK(r.customers == 10);
  CHECK(r.surveyed == 8);
  CHECK(r.engagement_threshold == 5);
  CHECK(*r.satisfaction_threshold == 4);
  for (segment s : {segment::loyal, segment::latent, segment::spurious, segment::at_risk, segment::unsurveyed}) {
    CHECK(r[s].which == s);
    CHECK(r[s].customers == 2);
    CHECK(*r[s].churn_rate >= 0);
    CHECK(r[s].share == 0.2);  // 2 of 10, unsurveyed counted in the denominator
  }
  // Churn: loyal 0/2, latent 1/2, spurious 1/2, at_risk 2/2, unsurveyed 1/2.
  CHECK(*r[segment::loyal].churn_rate == 0.0);
  CHECK(*r[segment::latent].churn_rate == 0.5);
  CHECK(*r[segment::spurious].churn_rate == 0.5);
  CHECK(*r[segment::at_risk].churn_rate == 1.0);
  CHECK(*r[segment::unsurveyed].churn_rate == 0.5);
  // Mean spend: loyal (100 + 50)/2 = 75, spurious (80 + 20)/2 = 50, latent 5, at_risk 2.5, unsurveyed 100.
  CHECK(*r[segment::loyal].mean_spend == 75);
  CHECK(*r[segment::spurious].mean_spend == 50);
  CHECK(*r[segment::latent].mean_spend == 5);
  CHECK(*r[segment::at_risk].mean_spend == 2.5);
  CHECK(*r[segment::unsurveyed].mean_spend == 100);
  // Referral: one of two in loyal and latent, none elsewhere.
  CHECK(*r[segment::loyal].referral_rate == 0.5);
  CHECK(*r[segment::latent].referral_rate == 0.5);
  CHECK(*r[segment::at_risk].referral_rate == 0.0);
  // Wilson for 0/2: lower 0, upper z²/(n + z²) = 3.841459/5.841459 = 0.657618.
  const auto& loyal_ci = *r[segment::loyal].churn_interval;
  CHECK(loyal_ci.lower == 0.0);
  SEG_CHECK_NEAR(loyal_ci.upper, 3.841458820694124 / 5.841458820694124, 1e-9);
  // NPS per segment: loyal answered 10 and 9 (two promoters, net 1); spurious answered 3 (net −1);
  // nobody answered in latent.
  REQUIRE(r[segment::loyal].nps);
  CHECK(r[segment::loyal].nps->n == 2);
  CHECK(r[segment::loyal].nps->net == 1.0);
  CHECK(r[segment::spurious].nps->net == -1.0);
  CHECK_FALSE(r[segment::latent].nps);
  CHECK_FALSE(r[segment::loyal].csat);
  // Loyal vs spurious churn: 0/2 vs 1/2; p̂ = 1/4, SE = √(0.25·0.75·(1/2 + 1/2)) = 0.433013,
  // z = −0.5/0.433013 = −1.154701.
  const auto& t = *r.churn_tests.loyal_vs_spurious;
  SEG_CHECK_NEAR(*t.z, -1.1547005383792517, 1e-12);
  CHECK(t.difference == -0.5);
  // Latent vs at_risk: 1/2 vs 2/2; p̂ = 3/4, same SE, z = −0.5/0.433013.
  SEG_CHECK_NEAR(*r.churn_tests.latent_vs_at_risk->z, -1.1547005383792517, 1e-12);
  // Loyal vs latent: 0/2 vs 1/2, as loyal vs spurious.
  SEG_CHECK_NEAR(*r.churn_tests.loyal_vs_latent->z, -1.1547005383792517, 1e-12);
  CHECK(compare_churn(r, segment::at_risk, segment::loyal)->difference == 1.0);
  // Axes: {{2, 2}, {2, 2}} → E = 2 everywhere, X² = 0, φ = 0, V = 0, p = 1, flagged (E < 5).
  REQUIRE(r.axes_independence);
  CHECK(r.axes_independence->statistic == 0.0);
  CHECK(*r.axes_independence->phi == 0.0);
  CHECK(r.axes_independence->p_value == doctest::Approx(1.0));
  CHECK(r.axes_independence->small_expected_counts);
}

TEST_CASE("segments: the median thresholds of the small table, ties, and csat per segment") {
  auto customers = small_table();
  // Engagement sorted 0 0.5 1 2 4.99 5 6 7 8 9 (all ten): h = 4.5 → 4.99 + 0.5·0.01 = 4.995.
  // Satisfaction sorted 1 2 3 3.9 4 4 4.5 5 (the eight surveyed): h = 3.5 → 3.9 + 0.5·0.1 = 3.95.
  for (auto& c : customers) {
    if (c.satisfaction) c.csat_answer = *c.satisfaction >= 4 ? 5 : 2;  // CSAT 5 for the satisfied, 2 otherwise
  }
  const segmentation r = segment_customers(customers);
  SEG_CHECK_NEAR(r.engagement_threshold, 4.995, 1e-12);
  SEG_CHECK_NEAR(*r.satisfaction_threshold, 3.95, 1e-12);
  check_same(r, segment_customers(customers, fixed_thresholds()));  // same split as 5 and 4 here
  REQUIRE(r[segment::latent].csat);
  CHECK(r[segment::latent].csat->satisfied_share == 1.0);
  CHECK(r[segment::at_risk].csat->satisfied_share == 0.0);
  CHECK_FALSE(r[segment::unsurveyed].csat);
  // Every engagement equal: the quantile is that value and everyone is engaged (>=).
  std::vector<customer_profile> ties(4, profile(3, 3, false, 1));
  ties[1].satisfaction = 1;
  const segmentation t = segment_customers(ties);
  CHECK(t[segment::loyal].customers + t[segment::spurious].customers == 4);
  CHECK(t[segment::latent].customers == 0);
  CHECK_FALSE(t[segment::latent].churn_rate);  // empty segment: empty figures, never NaN
  CHECK_FALSE(t[segment::latent].mean_spend);
  CHECK(t[segment::latent].share == 0.0);
  CHECK_FALSE(t.churn_tests.latent_vs_at_risk);
  CHECK_FALSE(t.axes_independence);  // the not-engaged row is empty
}

TEST_CASE("segments: nobody surveyed, and no customers") {
  std::vector<customer_profile> none_surveyed{profile(1, std::nullopt, true, 0), profile(2, std::nullopt, false, 3)};
  const segmentation r = segment_customers(none_surveyed);
  CHECK(r.surveyed == 0);
  CHECK_FALSE(r.satisfaction_threshold);
  CHECK(r[segment::unsurveyed].customers == 2);
  CHECK(r[segment::unsurveyed].share == 1.0);
  CHECK_FALSE(r.axes_independence);
  const segmentation empty = segment_customers(std::vector<customer_profile>{});
  CHECK(empty.customers == 0);
  CHECK_FALSE(empty[segment::loyal].churn_rate);
}

TEST_CASE("segments: bad input throws, naming the field") {
  auto customers = small_table();
  customers[3].engagement = std::numeric_limits<double>::quiet_NaN();
  CHECK_THROWS_WITH(segment_customers(customers), "segment_customers: customers[3].engagement is not finite");
  customers = small_table();
  customers[2].satisfaction = std::numeric_limits<double>::infinity();
  CHECK_THROWS_WITH(segment_customers(customers), "segment_customers: customers[2].satisfaction is not finite");
  customers = small_table();
  customers[0].spend = std::numeric_limits<double>::quiet_NaN();
  CHECK_THROWS_WITH(segment_customers(customers), "segment_customers: customers[0].spend is not finite");
  customers = small_table();
  customers[0].nps_answer = 11;
  CHECK_THROWS_AS(segment_customers(customers), cxm::invalid_event);
  segmentation_parameters p;
  p.engagement = threshold::at_quantile(1.5);
  CHECK_THROWS_AS(segment_customers(small_table(), p), std::invalid_argument);
  p = {};
  p.satisfaction = threshold::at(std::numeric_limits<double>::quiet_NaN());
  CHECK_THROWS_AS(segment_customers(small_table(), p), std::invalid_argument);
  p = {};
  p.csat_template.add(3);
  CHECK_THROWS_WITH(segment_customers(small_table(), p),
                    "segment_customers: parameters.csat_template must hold no answers");
  p = {};
  p.confidence = 1.0;
  CHECK_THROWS_AS(segment_customers(small_table(), p), std::invalid_argument);
}

TEST_CASE("segments equal a brute-force tally on random data, for any split and order of the customers") {
  std::mt19937_64 rng(1994);
  std::uniform_real_distribution<double> unit(0, 1);
  std::uniform_int_distribution<int> coarse(1, 5);  // satisfaction on a coarse scale: many ties at the median
  for (int trial = 0; trial < 10; ++trial) {
    std::vector<customer_profile> customers(200);
    for (auto& c : customers) {
      c.engagement = std::floor(unit(rng) * 20);
      if (unit(rng) < 0.8) c.satisfaction = coarse(rng);
      c.churned = unit(rng) < 0.3;
      c.spend = std::round(unit(rng) * 10000) / 100;
      c.referred = unit(rng) < 0.1;
    }
    const segmentation r = segment_customers(customers);
    // Brute force: thresholds by sorting, then count by hand with the >= rule.
    std::vector<double> e, s;
    for (const auto& c : customers) {
      e.push_back(c.engagement);
      if (c.satisfaction) s.push_back(*c.satisfaction);
    }
    std::sort(e.begin(), e.end());
    std::sort(s.begin(), s.end());
    const double e_med = (e[99] + e[100]) / 2;  // n = 200: h = 99.5
    const double hs = static_cast<double>(s.size() - 1) / 2;
    const auto lo = static_cast<std::size_t>(hs);
    const double s_med = s[lo] + (hs - static_cast<double>(lo)) * (s[std::min(lo + 1, s.size() - 1)] - s[lo]);
    SEG_CHECK_NEAR(r.engagement_threshold, e_med, 1e-12);
    SEG_CHECK_NEAR(*r.satisfaction_threshold, s_med, 1e-12);
    std::uint64_t size[segment_count] = {}, churned[segment_count] = {};
    double spend[segment_count] = {};
    for (const auto& c : customers) {
      std::size_t k = 4;
      if (c.satisfaction) {
        const bool high_e = !(c.engagement < e_med), high_s = !(*c.satisfaction < s_med);
        k = high_e ? (high_s ? 0 : 2) : (high_s ? 1 : 3);
      }
      ++size[k];
      churned[k] += c.churned;
      spend[k] += c.spend;
    }
    std::uint64_t total = 0;
    for (std::size_t k = 0; k < segment_count; ++k) {
      CHECK(r.segments[k].customers == size[k]);
      CHECK(r.segments[k].churned == churned[k]);
      if (size[k] > 0) SEG_CHECK_NEAR(*r.segments[k].mean_spend, spend[k] / static_cast<double>(size[k]), 1e-9);
      total += r.segments[k].customers;
    }
    CHECK(total == 200);  // nobody dropped
    // k-way split, parts concatenated in random order (and shuffled within): the same result.
    const std::size_t parts = 2 + static_cast<std::size_t>(trial % 4);
    std::vector<std::vector<customer_profile>> split(parts);
    for (const auto& c : customers) split[std::uniform_int_distribution<std::size_t>(0, parts - 1)(rng)].push_back(c);
    std::shuffle(split.begin(), split.end(), rng);
    std::vector<customer_profile> rejoined;
    for (auto& part : split) {
      std::shuffle(part.begin(), part.end(), rng);
      rejoined.insert(rejoined.end(), part.begin(), part.end());
    }
    check_same(r, segment_customers(rejoined));
  }
}

TEST_CASE("predictive_comparison: AUCs of engagement, satisfaction and their rank mean, by counting pairs") {
  // Four surveyed customers and one unsurveyed (left out of all three AUCs).
  //   engagement 1 2 3 4, satisfaction 1 4 3 2, churned T T F F.
  // Oriented for churn (negated): −e = −1 −2 −3 −4: both churners above both stayers → AUC 1.
  //   −s = −1 −4 −3 −2: −1 beats −3 and −2 (2), −4 beats neither (0) → 2/4 = 0.5.
  //   ranks of −e: 4 3 2 1; of −s: 4 1 2 3; means 4 2 2 2: churners 4 and 2 against stayers 2 and 2:
  //   4 beats both (2), 2 ties both (½ + ½) → 3/4 = 0.75.
  const std::vector<double> engagement{1, 2, 3, 4, 10};
  const std::vector<std::optional<double>> satisfaction{1, 4, 3, 2, std::nullopt};
  const std::vector<bool> churned{true, true, false, false, true};
  const auto p = predictive_comparison(engagement, satisfaction, churned);
  CHECK(p.direction == orientation::lower_predicts_outcome);
  CHECK(p.customers == 4);
  CHECK(p.unsurveyed == 1);
  CHECK(*p.engagement.auc == 1.0);
  CHECK(*p.engagement.standard_error == 0.0);
  CHECK(*p.satisfaction.auc == 0.5);
  CHECK(*p.combined.auc == 0.75);
  CHECK(p.combined.positives == 2);
  CHECK(p.combined.negatives == 2);
  // Hanley-McNeil at A = 0.5, n⁺ = n⁻ = 2: Q1 = 1/3, Q2 = 1/3; SE² = (0.25 + 2·(1/3 − 1/4))/4 = 0.104167.
  SEG_CHECK_NEAR(*p.satisfaction.standard_error, std::sqrt((0.25 + 2 * (1.0 / 3 - 0.25)) / 4), 1e-12);
  // The other orientation gives 1 − AUC for each.
  const auto q = predictive_comparison(engagement, satisfaction, churned, orientation::higher_predicts_outcome);
  CHECK(*q.engagement.auc == 0.0);
  CHECK(*q.satisfaction.auc == 0.5);
  CHECK(*q.combined.auc == 0.25);
  // The customer-profile overload predicts churn the same way.
  std::vector<customer_profile> customers;
  for (std::size_t i = 0; i < engagement.size(); ++i) {
    customers.push_back(profile(engagement[i], satisfaction[i], churned[i], 0));
  }
  const auto from_profiles = predictive_comparison(customers);
  CHECK(*from_profiles.combined.auc == 0.75);
  CHECK(from_profiles.unsurveyed == 1);
  // Bad input.
  CHECK_THROWS_AS(predictive_comparison(engagement, satisfaction, std::vector<bool>{true}), std::invalid_argument);
  const std::vector<double> with_nan{1, 2, std::numeric_limits<double>::quiet_NaN(), 4, 10};
  CHECK_THROWS_AS(predictive_comparison(with_nan, satisfaction, churned), std::invalid_argument);
}

TEST_CASE("predictive_comparison names the customer with a non-finite satisfaction") {
  const std::vector<double> engagement{1, 2, 3};
  const std::vector<std::optional<double>> satisfaction{std::nullopt, 2, std::numeric_limits<double>::infinity()};
  CHECK_THROWS_WITH(predictive_comparison(engagement, satisfaction, std::vector<bool>{true, false, true}),
                    "predictive_comparison: satisfaction[2] is not finite");
}
