// cxm/boost/accumulators.hpp: cxm::tag::nps, csat and ces in a boost::accumulators::accumulator_set
// give exactly the native accumulators' results, beside Boost's own statistics.

#include "cxm/boost/accumulators.hpp"

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <random>
#include <type_traits>
#include <vector>

#include <boost/accumulators/framework/accumulator_set.hpp>
#include <boost/accumulators/framework/features.hpp>
#include <boost/accumulators/statistics/count.hpp>
#include <boost/accumulators/statistics/mean.hpp>
#include <boost/accumulators/statistics/variance.hpp>
#include <boost/accumulators/statistics/weighted_mean.hpp>
#include <boost/accumulators/statistics/weighted_variance.hpp>
#include <doctest/doctest.h>

#include "cxm/io/state.hpp"
#include "support/invariants.hpp"
#include "support/same_results.hpp"

namespace {

namespace ba = boost::accumulators;

// ---- exact, field-by-field comparison of results (NaN equal to NaN: empty results agree too) ----

template <class R>
void check_same(const R& adapted, const R& native) {
  cxm::test::same_result(adapted, native, cxm::test::exact);
}

/// Weighted mean and population variance of the scores, from a result's distribution (nps_result
/// has no mean field), to compare with Boost's tag::mean and tag::variance.
struct distribution_moments {
  double mean;
  double population_variance;
};
distribution_moments moments_of(const std::vector<cxm::score_count>& distribution) {
  double total = 0, weighted_sum = 0;
  for (const auto& c : distribution) {
    total += c.weight;
    weighted_sum += c.weight * c.score;
  }
  const double mean = weighted_sum / total;
  double m2 = 0;
  for (const auto& c : distribution) m2 += c.weight * (c.score - mean) * (c.score - mean);
  return {mean, m2 / total};
}

// ---- random answers ----

struct answer {
  int score;
  double weight;
};

/// Uniform scores on low..high; weights uniform on [0.1, 3), with an exact 0 every 17th answer (a
/// valid weight) but never first (Boost's weighted variance divides by the running weight).
std::vector<answer> random_answers(int low, int high, std::size_t count, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int> score(low, high);
  std::uniform_real_distribution<double> weight(0.1, 3.0);
  std::vector<answer> out;
  out.reserve(count);
  for (std::size_t i = 0; i < count; ++i) out.push_back({score(rng), i % 17 == 16 ? 0.0 : weight(rng)});
  return out;
}

// ---- the three metrics, for TEST_CASE_TEMPLATE ----

struct nps_case {
  using metric = cxm::nps;
  using feature = cxm::tag::nps;
  static constexpr int low = 0;
  static constexpr int high = 10;
  template <class Set>
  static cxm::nps_result extract(const Set& acc) {
    return cxm::extract::nps(acc);
  }
};

struct csat_case {
  using metric = cxm::csat;
  using feature = cxm::tag::csat;
  static constexpr int low = 1;
  static constexpr int high = 5;
  template <class Set>
  static cxm::csat_result extract(const Set& acc) {
    return cxm::extract::csat(acc);
  }
};

struct ces_case {
  using metric = cxm::ces;
  using feature = cxm::tag::ces;
  static constexpr int low = 1;
  static constexpr int high = 7;
  template <class Set>
  static cxm::ces_result extract(const Set& acc) {
    return cxm::extract::ces(acc);
  }
};

constexpr std::size_t stream_length = 5000;

}  // namespace

TEST_CASE("the README example: 10, 9, 7, 3 through Boost give NPS 25, mean 7.25, variance 7.1875") {
  ba::accumulator_set<int, ba::features<ba::tag::mean, ba::tag::variance, cxm::tag::nps>> acc;
  for (const int score : {10, 9, 7, 3}) acc(score);
  const cxm::nps_result r = cxm::extract::nps(acc);
  CHECK(r.n == 4);
  CHECK(r.promoters == 2);  // 10, 9
  CHECK(r.passives == 1);   // 7
  CHECK(r.detractors == 1); // 3
  CHECK(r.score == doctest::Approx(25.0));   // 100 · (2/4 − 1/4)
  CHECK(ba::mean(acc) == 7.25);              // 29 / 4
  CHECK(ba::variance(acc) == doctest::Approx(7.1875));  // (2.75² + 1.75² + 0.25² + 4.25²) / 4
}

TEST_CASE("weighted NPS through Boost: 10 with weight 2.5 and 3 with weight 1") {
  ba::accumulator_set<int, ba::features<ba::tag::mean, cxm::tag::nps>, double> acc;
  acc(10, ba::weight = 2.5);
  acc(3, ba::weight = 1.0);
  const auto r = cxm::extract::nps(acc);
  CHECK(r.n == 2);
  CHECK(r.weighted);
  CHECK(r.total_weight == 3.5);
  CHECK(r.effective_n == doctest::Approx(3.5 * 3.5 / (2.5 * 2.5 + 1.0)));  // Kish: (Σw)²/Σw²
  CHECK(r.score == doctest::Approx(100.0 * 1.5 / 3.5));                     // (2.5 − 1) / 3.5
  CHECK(ba::mean(acc) == doctest::Approx(8.0));                             // (25 + 3) / 3.5
}

TEST_CASE_TEMPLATE("a cxm feature beside Boost's mean and variance gives exactly the native result", M, nps_case,
                   csat_case, ces_case) {
  const auto answers = random_answers(M::low, M::high, stream_length, 20261123);
  ba::accumulator_set<int, ba::features<ba::tag::mean, ba::tag::variance, typename M::feature>> acc;
  typename M::metric native;
  for (const auto& a : answers) {
    acc(a.score);
    native.add(a.score);
  }
  const auto adapted = M::extract(acc);
  static_assert(std::is_same_v<std::remove_cvref_t<decltype(adapted)>, decltype(native.result())>);
  check_same(adapted, native.result());
  CHECK(cxm::state_of<typename M::feature>(acc) == native);
  CHECK(adapted.n == stream_length);
  CHECK_FALSE(adapted.weighted);

  // Boost's own statistics in the same set saw the same samples.
  const auto expected = moments_of(adapted.distribution);
  CHECK(ba::count(acc) == stream_length);
  CXM_CHECK_CLOSE(ba::mean(acc), expected.mean);
  CXM_CHECK_CLOSE(ba::variance(acc), expected.population_variance);
}

TEST_CASE_TEMPLATE("a weighted cxm feature beside Boost's weighted mean and variance gives exactly the native result",
                   M, nps_case, csat_case, ces_case) {
  const auto answers = random_answers(M::low, M::high, stream_length, 77);
  ba::accumulator_set<int, ba::features<ba::tag::mean, ba::tag::variance, typename M::feature>, double> acc;
  typename M::metric native;
  for (const auto& a : answers) {
    acc(a.score, ba::weight = a.weight);
    native.add(a.score, a.weight);
  }
  const auto adapted = M::extract(acc);
  check_same(adapted, native.result());
  CHECK(cxm::state_of<typename M::feature>(acc) == native);
  CHECK(adapted.n == stream_length);
  CHECK(adapted.weighted);
  CHECK(adapted.effective_n < adapted.total_weight);  // unequal weights lose effective sample size

  const auto expected = moments_of(adapted.distribution);
  CXM_CHECK_CLOSE(ba::sum_of_weights(acc), adapted.total_weight);
  CXM_CHECK_CLOSE(ba::mean(acc), expected.mean);  // Boost's weighted_mean in a weighted set
  CXM_CHECK_CLOSE(ba::variance(acc), expected.population_variance);
}

TEST_CASE_TEMPLATE("in a weighted set, a call without a weight is an unweighted answer", M, nps_case, csat_case,
                   ces_case) {
  const auto answers = random_answers(M::low, M::high, 500, 5);
  ba::accumulator_set<int, ba::features<typename M::feature>, double> acc;
  typename M::metric native;
  for (std::size_t i = 0; i < answers.size(); ++i) {
    if (i % 3 == 0) {
      acc(answers[i].score);
      native.add(answers[i].score);
    } else {
      acc(answers[i].score, ba::weight = answers[i].weight);
      native.add(answers[i].score, answers[i].weight);
    }
  }
  check_same(M::extract(acc), native.result());
  CHECK(cxm::state_of<typename M::feature>(acc) == native);
  // Unweighted answers count with weight 1: the total is not the sum of the explicit weights alone.
  double explicit_weights = 0;
  for (std::size_t i = 0; i < answers.size(); ++i) explicit_weights += i % 3 == 0 ? 0.0 : answers[i].weight;
  CHECK(M::extract(acc).total_weight == doctest::Approx(explicit_weights + 167.0));  // 167 unweighted answers
}

TEST_CASE_TEMPLATE("an empty set gives the native empty result", M, nps_case, csat_case, ces_case) {
  ba::accumulator_set<int, ba::features<typename M::feature>> acc;
  const auto adapted = M::extract(acc);
  check_same(adapted, typename M::metric{}.result());
  CHECK(adapted.n == 0);
  CHECK(adapted.empty());
}

TEST_CASE("the extractors are Boost extractors: same result as extract_result and find_accumulator") {
  const auto answers = random_answers(1, 5, 300, 11);
  ba::accumulator_set<int, ba::features<cxm::tag::nps, cxm::tag::csat, cxm::tag::ces>> acc;
  for (const auto& a : answers) acc(a.score);  // 1..5 is inside all three scales

  static_assert(std::is_same_v<decltype(cxm::extract::nps(acc)), cxm::nps_result>);
  static_assert(std::is_same_v<decltype(cxm::extract::csat(acc)), cxm::csat_result>);
  static_assert(std::is_same_v<decltype(cxm::extract::ces(acc)), cxm::ces_result>);
  check_same(cxm::extract::nps(acc), ba::extract_result<cxm::tag::nps>(acc));
  check_same(cxm::extract::csat(acc), ba::extract_result<cxm::tag::csat>(acc));
  check_same(cxm::extract::ces(acc), ba::extract_result<cxm::tag::ces>(acc));
  check_same(cxm::extract::ces(acc), cxm::state_of<cxm::tag::ces>(acc).result());
  CHECK(cxm::extract::nps(acc).n == 300);
  CHECK(cxm::extract::nps(acc).promoters == 0);  // no answer above 5
  CHECK(cxm::extract::nps(acc).score == -100.0);
}

TEST_CASE("a floating-point sample type works when the samples are whole numbers") {
  const auto answers = random_answers(0, 10, 1000, 3);
  ba::accumulator_set<double, ba::features<ba::tag::mean, cxm::tag::nps>> acc;
  cxm::nps native;
  for (const auto& a : answers) {
    acc(static_cast<double>(a.score));
    native.add(a.score);
  }
  check_same(cxm::extract::nps(acc), native.result());
  CXM_CHECK_CLOSE(ba::mean(acc), moments_of(native.result().distribution).mean);
}

TEST_CASE("the native states can be merged and saved") {
  const auto answers = random_answers(1, 7, 2000, 99);
  using set = ba::accumulator_set<int, ba::features<cxm::tag::ces>, double>;
  set first_half, second_half;
  cxm::ces one_pass;
  for (std::size_t i = 0; i < answers.size(); ++i) {
    (i < answers.size() / 2 ? first_half : second_half)(answers[i].score, ba::weight = answers[i].weight);
    one_pass.add(answers[i].score, answers[i].weight);
  }
  cxm::ces merged = cxm::state_of<cxm::tag::ces>(first_half);
  merged.merge(cxm::state_of<cxm::tag::ces>(second_half));
  CHECK(merged.result().n == 2000);
  CHECK(merged.result().easy == one_pass.result().easy);
  CXM_CHECK_CLOSE(merged.result().easy_share, one_pass.result().easy_share);
  CXM_CHECK_CLOSE(merged.result().mean, one_pass.result().mean);

  const auto image = cxm::io::save_state(cxm::state_of<cxm::tag::ces>(first_half));
  CHECK(cxm::io::load_state<cxm::ces>(image) == cxm::state_of<cxm::tag::ces>(first_half));
}

TEST_CASE("an invalid score throws cxm::invalid_event and leaves the cxm state unchanged") {
  ba::accumulator_set<int, ba::features<ba::tag::mean, cxm::tag::nps, cxm::tag::csat>> acc;
  acc(4);
  const cxm::nps nps_before = cxm::state_of<cxm::tag::nps>(acc);
  const cxm::csat csat_before = cxm::state_of<cxm::tag::csat>(acc);

  // 11 is outside both scales; whichever feature is visited first throws.
  CHECK_THROWS_AS(acc(11), cxm::invalid_event);
  CHECK_THROWS_AS(acc(-1), cxm::invalid_event);
  CHECK(cxm::state_of<cxm::tag::nps>(acc) == nps_before);
  CHECK(cxm::state_of<cxm::tag::csat>(acc) == csat_before);

  ba::accumulator_set<int, ba::features<cxm::tag::nps>> nps_only;
  CHECK_THROWS_WITH_AS(nps_only(11), "nps: score 11 is outside the scale 0..10", cxm::invalid_event);
  ba::accumulator_set<int, ba::features<cxm::tag::csat>> csat_only;
  CHECK_THROWS_WITH_AS(csat_only(0), "csat: score 0 is outside the scale 1..5", cxm::invalid_event);
  ba::accumulator_set<int, ba::features<cxm::tag::ces>> ces_only;
  CHECK_THROWS_WITH_AS(ces_only(8), "ces: score 8 is outside the scale 1..7", cxm::invalid_event);
  CHECK(cxm::extract::nps(nps_only).n == 0);
  CHECK(cxm::extract::csat(csat_only).n == 0);
  CHECK(cxm::extract::ces(ces_only).n == 0);
}

TEST_CASE("an invalid weight throws cxm::invalid_event") {
  ba::accumulator_set<int, ba::features<cxm::tag::nps, cxm::tag::csat>, double> acc;
  acc(5, ba::weight = 2.0);
  const cxm::nps before = cxm::state_of<cxm::tag::nps>(acc);
  CHECK_THROWS_AS(acc(5, ba::weight = -1.0), cxm::invalid_event);
  CHECK_THROWS_AS(acc(5, ba::weight = std::numeric_limits<double>::quiet_NaN()), cxm::invalid_event);
  CHECK_THROWS_AS(acc(5, ba::weight = std::numeric_limits<double>::infinity()), cxm::invalid_event);
  CHECK(cxm::state_of<cxm::tag::nps>(acc) == before);
  acc(5, ba::weight = 0.0);  // zero is a valid weight
  CHECK(cxm::extract::nps(acc).n == 2);
}

TEST_CASE("a sample that is not a whole int score throws instead of being truncated") {
  ba::accumulator_set<double, ba::features<cxm::tag::nps>> from_double;
  from_double(9.0);
  CHECK_THROWS_WITH_AS(from_double(9.5), "nps: score 9.5 is not a whole number", cxm::invalid_event);
  CHECK_THROWS_WITH_AS(from_double(std::numeric_limits<double>::quiet_NaN()), "nps: score nan is not a whole number",
                       cxm::invalid_event);
  CHECK_THROWS_WITH_AS(from_double(1e12), "nps: score 1000000000000 is outside the scale 0..10", cxm::invalid_event);
  CHECK(cxm::extract::nps(from_double).n == 1);
  CHECK(cxm::extract::nps(from_double).promoters == 1);

  // 2^32 + 9 would become 9 if narrowed to int.
  ba::accumulator_set<long long, ba::features<cxm::tag::nps>> from_long;
  CHECK_THROWS_WITH_AS(from_long(4294967305LL), "nps: score 4294967305 is outside the scale 0..10", cxm::invalid_event);
  from_long(9LL);
  CHECK(cxm::extract::nps(from_long).n == 1);

  ba::accumulator_set<unsigned, ba::features<cxm::tag::csat>> from_unsigned;
  from_unsigned(5u);
  CHECK_THROWS_WITH_AS(from_unsigned(4294967295u), "csat: score 4294967295 is outside the scale 1..5",
                       cxm::invalid_event);  // outside int (and the scale)
  CHECK(cxm::extract::csat(from_unsigned).satisfied == 1);

  // A weighted set checks the score before the weight, as the native add does.
  ba::accumulator_set<float, ba::features<cxm::tag::ces>, double> weighted;
  CHECK_THROWS_WITH_AS(weighted(5.5f, ba::weight = -1.0), "ces: score 5.5 is not a whole number", cxm::invalid_event);
  weighted(5.0f, ba::weight = 2.0);
  CHECK(cxm::extract::ces(weighted).easy_weight == 2.0);
}

TEST_CASE("cxm::csat_scale and cxm::csat_satisfied choose the CSAT parameters") {
  SUBCASE("a scale alone: satisfied = its top two scores") {
    const auto answers = random_answers(0, 10, 2000, 21);
    ba::accumulator_set<int, ba::features<cxm::tag::csat>> acc(cxm::csat_scale = cxm::score_scale{0, 10});
    cxm::csat native(cxm::score_scale{0, 10});
    for (const auto& a : answers) {
      acc(a.score);
      native.add(a.score);
    }
    const auto& state = cxm::state_of<cxm::tag::csat>(acc);
    CHECK(state.scale() == cxm::score_scale{0, 10});
    CHECK(state.satisfied_scores() == cxm::csat::satisfied_set{9, 10});
    CHECK(state == native);
    check_same(cxm::extract::csat(acc), native.result());
  }
  SUBCASE("a scale and a satisfied set (top box on 1..5)") {
    ba::accumulator_set<int, ba::features<cxm::tag::csat>> acc(cxm::csat_scale = cxm::score_scale{1, 5},
                                                               cxm::csat_satisfied = cxm::csat::satisfied_set{5});
    for (const int score : {5, 4, 5, 1}) acc(score);
    CHECK(cxm::extract::csat(acc).satisfied == 2);
    CHECK(cxm::extract::csat(acc).satisfied_share == 0.5);  // 2 of 4: the 4 is not satisfied here
  }
  SUBCASE("a satisfied set alone, as a std::vector<int>: the default scale 1..5") {
    ba::accumulator_set<int, ba::features<cxm::tag::csat>> acc(cxm::csat_satisfied = std::vector<int>{3, 4, 5});
    for (const int score : {5, 3, 2, 1}) acc(score);
    CHECK(cxm::state_of<cxm::tag::csat>(acc).scale() == cxm::score_scale{1, 5});
    CHECK(cxm::extract::csat(acc).satisfied_share == 0.5);  // 5 and 3
  }
  SUBCASE("invalid parameters throw std::invalid_argument at construction") {
    using set = ba::accumulator_set<int, ba::features<cxm::tag::csat>>;
    CHECK_THROWS_AS(set(cxm::csat_satisfied = cxm::csat::satisfied_set{6}), std::invalid_argument);
    CHECK_THROWS_AS(set(cxm::csat_scale = cxm::score_scale{3, 3}), std::invalid_argument);
  }
}

TEST_CASE("cxm::ces_scale and cxm::ces_threshold choose the CES parameters") {
  SUBCASE("a threshold alone: the default scale 1..7") {
    ba::accumulator_set<int, ba::features<cxm::tag::ces>> acc(cxm::ces_threshold = 6);
    for (const int score : {6, 5, 7, 1}) acc(score);
    CHECK(cxm::state_of<cxm::tag::ces>(acc).scale() == cxm::score_scale{1, 7});
    CHECK(cxm::extract::ces(acc).threshold == 6);
    CHECK(cxm::extract::ces(acc).easy == 2);  // 6 and 7
    CHECK(cxm::extract::ces(acc).easy_share == 0.5);
  }
  SUBCASE("a scale and a threshold, weighted, equal the native accumulator") {
    const auto answers = random_answers(1, 5, 2000, 8);
    ba::accumulator_set<int, ba::features<cxm::tag::ces>, double> acc(cxm::ces_scale = cxm::score_scale{1, 5},
                                                                      cxm::ces_threshold = 4);
    cxm::ces native(cxm::score_scale{1, 5}, 4);
    for (const auto& a : answers) {
      acc(a.score, ba::weight = a.weight);
      native.add(a.score, a.weight);
    }
    CHECK(cxm::state_of<cxm::tag::ces>(acc) == native);
    check_same(cxm::extract::ces(acc), native.result());
    CHECK_THROWS_AS(acc(6, ba::weight = 1.0), cxm::invalid_event);  // outside 1..5
  }
  SUBCASE("a threshold outside the scale throws std::invalid_argument at construction") {
    using set = ba::accumulator_set<int, ba::features<cxm::tag::ces>>;
    CHECK_THROWS_AS(set(cxm::ces_threshold = 8), std::invalid_argument);
    CHECK_THROWS_AS(set(cxm::ces_scale = cxm::score_scale{1, 5}, cxm::ces_threshold = 7), std::invalid_argument);
  }
}

TEST_CASE("all three features on one 0..10 scale, with Boost's mean, equal three native accumulators") {
  const auto answers = random_answers(0, 10, 3000, 4242);
  ba::accumulator_set<int, ba::features<ba::tag::mean, cxm::tag::nps, cxm::tag::csat, cxm::tag::ces>, double> acc(
      cxm::csat_scale = cxm::score_scale{0, 10}, cxm::ces_scale = cxm::score_scale{0, 10}, cxm::ces_threshold = 7);
  cxm::nps nps;
  cxm::csat csat(cxm::score_scale{0, 10});
  cxm::ces ces(cxm::score_scale{0, 10}, 7);
  for (const auto& a : answers) {
    acc(a.score, ba::weight = a.weight);
    nps.add(a.score, a.weight);
    csat.add(a.score, a.weight);
    ces.add(a.score, a.weight);
  }
  check_same(cxm::extract::nps(acc), nps.result());
  check_same(cxm::extract::csat(acc), csat.result());
  check_same(cxm::extract::ces(acc), ces.result());
  CXM_CHECK_CLOSE(ba::mean(acc), csat.result().mean);
}
