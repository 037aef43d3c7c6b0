// Tests for cxm::ces (include/cxm/survey/ces.hpp).

#include "cxm/survey/ces.hpp"

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <random>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <doctest/doctest.h>
#include <range/v3/view/filter.hpp>

#include "cxm/core/error.hpp"
#include "cxm/core/invalid_input.hpp"
#include "cxm/io/state.hpp"
#include "cxm/survey/csat.hpp"
#include "support/invariants.hpp"
#include "support/same_results.hpp"

static_assert(cxm::accumulator<cxm::ces, int>);

namespace {

#define CES_CHECK_NEAR(a, b, tol) \
  CHECK_MESSAGE(std::abs((a) - (b)) <= (tol), #a " = ", (a), ", expected ", (b), " within ", (tol))

template <class F>
std::string invalid_argument_message(F&& f) {
  try {
    f();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "(no exception)";
}

template <class F>
std::string format_error_message(F&& f) {
  try {
    f();
  } catch (const cxm::format_error& e) {
    return e.what();
  }
  return "(no exception)";
}

void reseal(std::vector<std::byte>& image) {
  const std::size_t end = image.size() - cxm::io::state_trailer_size;
  const auto crc = cxm::io::crc32(std::span(image).first(end));
  for (std::size_t b = 0; b < 4; ++b) image[end + b] = static_cast<std::byte>(static_cast<std::uint8_t>(crc >> (8 * b)));
}

}  // namespace

TEST_CASE("CES defaults to the 1..7 scale with answers of 5 or more counted as easy") {
  const cxm::ces acc;
  CHECK(acc.scale() == cxm::score_scale{1, 7});
  CHECK(acc.threshold() == 5);
  CHECK(acc.result().threshold == 5);
}

TEST_CASE("CES of a small sample: share at or above the threshold, mean and variances worked by hand") {
  // Scores 7 6 5 5 4 3 7 2 6 1 5 4 (n = 12). At or above 5: 7,6,5,5,7,6,5 = 7 → 7/12 = 0.583333.
  // Sum 55, mean 55/12 = 4.583333. Σ(x − mean)² = Σx² − 55²/12 = 291 − 252.083333 = 38.916667:
  // population variance 38.916667/12 = 3.243056, sample variance 38.916667/11 = 3.537879, stddev 1.880925.
  cxm::ces acc;
  for (const int s : {7, 6, 5, 5, 4, 3, 7, 2, 6, 1, 5, 4}) acc.add(s);
  const auto r = acc.result();
  CHECK(r.n == 12);
  CHECK(r.easy == 7);
  CHECK(r.easy_weight == 7.0);
  CXM_CHECK_CLOSE(r.easy_share, 7.0 / 12.0);
  CXM_CHECK_CLOSE(r.mean, 55.0 / 12.0);
  CES_CHECK_NEAR(r.population_variance, 3.243056, 1e-6);
  CES_CHECK_NEAR(r.sample_variance, 3.537879, 1e-6);
  CES_CHECK_NEAR(r.stddev, 1.880925, 1e-6);
  REQUIRE(r.distribution.size() == 7);
  const std::uint64_t counts[] = {1, 1, 1, 2, 3, 2, 2};  // scores 1..7
  for (std::size_t i = 0; i < 7; ++i) {
    CHECK(r.distribution[i].score == static_cast<int>(i) + 1);
    CHECK(r.distribution[i].answers == counts[i]);
  }
}

TEST_CASE("CES counts an answer equal to the threshold as easy and one below it as not") {
  cxm::ces acc;
  acc.add(5);
  CHECK(acc.result().easy == 1);
  acc.add(4);
  CHECK(acc.result().easy == 1);
  CXM_CHECK_CLOSE(acc.result().easy_share, 0.5);
}

TEST_CASE("CES on a custom scale: 1..5 with threshold 4, and a threshold at the bottom of the scale") {
  // 1..5, threshold 4: answers 5, 4, 3, 2 → 2 of 4 easy, mean 3.5.
  cxm::ces five(cxm::score_scale{1, 5}, 4);
  for (const int s : {5, 4, 3, 2}) five.add(s);
  CHECK(five.result().easy == 2);
  CXM_CHECK_CLOSE(five.result().easy_share, 0.5);
  CXM_CHECK_CLOSE(five.result().mean, 3.5);
  // Threshold at the lowest score: every answer is easy.
  cxm::ces all(cxm::score_scale{0, 10}, 0);
  for (const int s : {0, 3, 10}) all.add(s);
  CHECK(all.result().easy == 3);
  CHECK(all.result().easy_share == 1.0);
}

TEST_CASE("CES rejects a single-score scale or a threshold outside the scale at construction") {
  CHECK(invalid_argument_message([] { cxm::ces c(cxm::score_scale{4, 4}, 4); }) ==
        "ces: a scale needs at least two scores, got 4..4");
  CHECK(invalid_argument_message([] { cxm::ces c(cxm::score_scale{1, 7}, 8); }) ==
        "ces: threshold 8 is outside the scale 1..7");
  CHECK(invalid_argument_message([] { cxm::ces c(cxm::score_scale{1, 7}, 0); }) ==
        "ces: threshold 0 is outside the scale 1..7");
  CHECK_NOTHROW(cxm::ces(cxm::score_scale{1, 7}, 7));
  CHECK_NOTHROW(cxm::ces(cxm::score_scale{1, 7}, 1));
}

TEST_CASE("CES merge refuses states with different thresholds or scales") {
  cxm::ces five;
  five.add(6);
  const cxm::ces before = five;
  CHECK(invalid_argument_message([&] { five.merge(cxm::ces(cxm::score_scale{1, 7}, 6)); }) ==
        "ces: cannot merge states with different thresholds (5 and 6)");
  CHECK(invalid_argument_message([&] { five.merge(cxm::ces(cxm::score_scale{1, 9}, 5)); }) ==
        "ces: cannot merge states on different scales (1..7 and 1..9)");
  CHECK(five == before);
}

TEST_CASE("An empty CES has n = 0 and NaN moments and easy share; a single answer has no sample variance") {
  const auto empty = cxm::ces{}.result();
  CHECK(empty.empty());
  CHECK(empty.n == 0);
  CHECK(empty.easy == 0);
  CHECK(std::isnan(empty.mean));
  CHECK(std::isnan(empty.population_variance));
  CHECK(std::isnan(empty.sample_variance));
  CHECK(std::isnan(empty.stddev));
  CHECK(std::isnan(empty.easy_share));

  cxm::ces one;
  one.add(3);
  const auto r = one.result();
  CHECK(r.n == 1);
  CHECK(r.mean == 3.0);
  CHECK(r.population_variance == 0.0);
  CHECK(std::isnan(r.sample_variance));
  CHECK(r.easy_share == 0.0);
}

TEST_CASE("CES rejects a score outside the scale and a bad weight, per policy") {
  cxm::ces acc;
  CHECK(invalid_argument_message([&] { acc.add(8); }) == "ces: score 8 is outside the scale 1..7");
  CHECK(invalid_argument_message([&] { acc.add(0); }) == "ces: score 0 is outside the scale 1..7");
  CHECK_THROWS_WITH_AS(acc.add(4, std::nan("")), "ces: weight nan is not finite (allowed: a finite number >= 0)",
                       cxm::invalid_event);
  CHECK(acc == cxm::ces{});

  cxm::rejection_counts counts;
  std::vector<cxm::rejection> seen;
  cxm::skip_invalid skip{counts, [&seen](const cxm::rejection& r) { seen.push_back(r); }};
  CHECK_FALSE(acc.add(9, skip));
  CHECK_FALSE(acc.add(2, -1.0, skip));
  CHECK(acc.add(2, 1.0, skip));
  CHECK(acc.result().n == 1);
  CHECK(counts[cxm::rejection_reason::score_out_of_scale] == 1);
  CHECK(counts[cxm::rejection_reason::weight_negative] == 1);
  REQUIRE(seen.size() == 2);
  CHECK(seen[0].metric == "ces");
  CHECK(seen[0].field == "score");
  CHECK(seen[0].value == 9.0);
  CHECK(seen[0].allowed_min == 1.0);
  CHECK(seen[0].allowed_max == 7.0);
  CHECK(seen[1].reason == cxm::rejection_reason::weight_negative);
  CHECK(seen[1].value == -1.0);
}

TEST_CASE("CES bulk add equals one-at-a-time adds; a bad score throws and changes nothing, or is counted") {
  std::mt19937_64 rng(31);
  std::vector<int> scores(400);
  for (auto& s : scores) s = std::uniform_int_distribution<int>(1, 7)(rng);
  cxm::ces one_at_a_time;
  for (const int s : scores) one_at_a_time.add(s);
  cxm::ces bulk;
  CHECK(bulk.add(scores) == scores.size());
  CHECK(bulk == one_at_a_time);

  cxm::ces easy_only;
  easy_only.add(scores | ranges::views::filter([](int s) { return s >= 5; }));
  CHECK(easy_only.result().easy == easy_only.result().n);
  CHECK(easy_only.result().n == one_at_a_time.result().easy);

  const cxm::ces before = bulk;
  CHECK_THROWS_AS(bulk.add(std::vector<std::uint8_t>{1, 8}), cxm::invalid_event);
  CHECK(bulk == before);

  cxm::rejection_counts counts;
  CHECK(bulk.add(std::vector<int>{8, 0, -7, 7}, cxm::skip_invalid{counts}) == 1);
  CHECK(counts[cxm::rejection_reason::score_out_of_scale] == 3);
}

TEST_CASE("Weighted CES equals an independent computation of the weight sums") {
  // Hand-worked: (7, w 0.5), (5, w 1.5), (2, w 2). Σw = 4, easy weight 2 → 0.5;
  // mean (3.5 + 7.5 + 4)/4 = 3.75; Σw² = 0.25 + 2.25 + 4 = 6.5, n_eff = 16/6.5 = 2.461538;
  // population variance (0.5·3.25² + 1.5·1.25² + 2·1.75²)/4 = (5.28125 + 2.34375 + 6.125)/4 = 3.4375.
  cxm::ces acc;
  acc.add(7, 0.5);
  acc.add(5, 1.5);
  acc.add(2, 2.0);
  const auto r = acc.result();
  CHECK(r.weighted);
  CHECK(r.easy == 2);
  CXM_CHECK_CLOSE(r.easy_weight, 2.0);
  CXM_CHECK_CLOSE(r.easy_share, 0.5);
  CXM_CHECK_CLOSE(r.mean, 3.75);
  CXM_CHECK_CLOSE(r.effective_n, 16.0 / 6.5);
  CXM_CHECK_CLOSE(r.population_variance, 3.4375);

  std::mt19937_64 rng(32);
  cxm::ces random;
  double total = 0, squares = 0, easy = 0, weighted_sum = 0;
  for (int i = 0; i < 600; ++i) {
    const int s = std::uniform_int_distribution<int>(1, 7)(rng);
    const double w = std::uniform_real_distribution<double>(0.0, 2.0)(rng);
    random.add(s, w);
    total += w;
    squares += w * w;
    weighted_sum += w * s;
    if (s >= 5) easy += w;
  }
  const auto q = random.result();
  CHECK(std::abs(q.easy_share - easy / total) <= 1e-12);
  CHECK(std::abs(q.mean - weighted_sum / total) <= 1e-12);
  CHECK(std::abs(q.effective_n - total * total / squares) <= 1e-9 * q.effective_n);
}

TEST_CASE("A CES answer with integer weight k equals k unweighted copies for shares and mean") {
  cxm::ces weighted;
  weighted.add(6, 4.0);
  weighted.add(2, 1.0);
  cxm::ces copies;
  for (const int s : {6, 6, 6, 6, 2}) copies.add(s);
  const auto w = weighted.result();
  const auto c = copies.result();
  CXM_CHECK_CLOSE(w.easy_share, c.easy_share);
  CXM_CHECK_CLOSE(w.mean, c.mean);
  CXM_CHECK_CLOSE(w.population_variance, c.population_variance);
  for (std::size_t i = 0; i < 7; ++i) CXM_CHECK_CLOSE(w.distribution[i].share, c.distribution[i].share);
}

TEST_CASE("CES keeps the accumulator invariants on the default scale") {
  cxm::test::check_invariants<cxm::ces>(
      [] { return cxm::ces{}; }, [](std::mt19937_64& rng) { return std::uniform_int_distribution<int>(1, 7)(rng); },
      cxm::test::same_results, {.seed = 301});
}

TEST_CASE("CES keeps the accumulator invariants on a 0..10 scale with threshold 8") {
  cxm::test::check_invariants<cxm::ces>(
      [] { return cxm::ces(cxm::score_scale{0, 10}, 8); },
      [](std::mt19937_64& rng) { return std::uniform_int_distribution<int>(0, 10)(rng); },
      cxm::test::same_results, {.seed = 302});
}

TEST_CASE("CES keeps the accumulator invariants on weighted answers") {
  using answer = std::pair<int, double>;
  cxm::test::check_invariants<cxm::ces>(
      [] { return cxm::ces{}; },
      [](std::mt19937_64& rng) {
        return answer{std::uniform_int_distribution<int>(1, 7)(rng), std::uniform_real_distribution<double>(0.2, 3.0)(rng)};
      },
      [](cxm::ces& acc, const answer& a) { acc.add(a.first, a.second); }, cxm::test::same_results, {.seed = 303});
}

TEST_CASE("CES saved with a custom scale and threshold loads with the same parameters") {
  cxm::ces acc(cxm::score_scale{0, 10}, 7);
  for (const int s : {0, 7, 10}) acc.add(s);
  const auto loaded = cxm::io::load_state<cxm::ces>(cxm::io::save_state(acc));
  CHECK(loaded == acc);
  CHECK(loaded.scale() == cxm::score_scale{0, 10});
  CHECK(loaded.threshold() == 7);
  cxm::test::same_result(loaded.result(), acc.result());
}

TEST_CASE("CES loading names the failed check: type tag, count total and threshold") {
  cxm::csat satisfaction;
  const std::string wrong_type =
      format_error_message([&] { (void)cxm::io::load_state<cxm::ces>(cxm::io::save_state(satisfaction)); });
  CHECK(wrong_type.find("type tag") != std::string::npos);
  CHECK(wrong_type.find("'csat'") != std::string::npos);
  CHECK(wrong_type.find("'ces") != std::string::npos);

  cxm::ces acc;
  acc.add(4);
  const auto image = cxm::io::save_state(acc);

  auto bad_n = image;
  bad_n[cxm::io::state_header_size + 8] = std::byte{7};  // n: 1 → 7
  reseal(bad_n);
  const std::string message = format_error_message([&] { (void)cxm::io::load_state<cxm::ces>(bad_n); });
  CHECK(message.find("counts sum to 1, n = 7") != std::string::npos);

  // The threshold is the last i32 of the payload: 5 → 8, outside 1..7.
  auto bad_threshold = image;
  bad_threshold[image.size() - cxm::io::state_trailer_size - 4] = std::byte{8};
  reseal(bad_threshold);
  CHECK(format_error_message([&] { (void)cxm::io::load_state<cxm::ces>(bad_threshold); }) ==
        "ces: threshold 8 is outside the scale 1..7");
}

TEST_CASE("CES checks floating-point scores and takes counts with add_count") {
  cxm::ces acc;  // 1..7, threshold 5
  CHECK_THROWS_WITH_AS(acc.add(5.5), "ces: score 5.5 is not a whole number", cxm::invalid_event);
  CHECK_THROWS_WITH_AS(acc.add(7.0, std::nan("")), "ces: weight nan is not finite (allowed: a finite number >= 0)",
                       cxm::invalid_event);
  CHECK(acc == cxm::ces{});
  // 7 ×3, 5 ×1, 2 ×4: n 8, easy 4, share 0.5, mean (21 + 5 + 8)/8 = 4.25.
  acc.add_count(7.0, 3);
  acc.add_count(5, 1u);
  acc.add_count(2, std::int16_t{4});
  cxm::ces single;
  for (const int s : {7, 7, 7, 5, 2, 2, 2, 2}) single.add(s);
  CHECK(acc == single);
  const auto r = acc.result();
  CHECK(r.n == 8);
  CHECK(r.easy == 4);
  CHECK(r.easy_share == 0.5);
  CHECK(r.mean == 4.25);
  CHECK_THROWS_WITH_AS(acc.add_count(8, 1), "ces: score 8 is outside the scale 1..7", cxm::invalid_event);
  CHECK(acc == single);
}
