// Tests for cxm::csat (include/cxm/survey/csat.hpp).

#include "cxm/survey/csat.hpp"

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
#include "cxm/survey/nps.hpp"
#include "support/invariants.hpp"
#include "support/same_results.hpp"

static_assert(cxm::accumulator<cxm::csat, int>);

namespace {

#define CSAT_CHECK_NEAR(a, b, tol) \
  CHECK_MESSAGE(std::abs((a) - (b)) <= (tol), #a " = ", (a), ", expected ", (b), " within ", (tol))

constexpr double infinity = std::numeric_limits<double>::infinity();

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

cxm::csat::satisfied_set set_of(std::initializer_list<int> scores) { return cxm::csat::satisfied_set(scores); }

}  // namespace

TEST_CASE("CSAT defaults to the 1..5 scale with 4 and 5 satisfied") {
  const cxm::csat acc;
  CHECK(acc.scale() == cxm::score_scale{1, 5});
  CHECK(acc.satisfied_scores() == set_of({4, 5}));
}

TEST_CASE("CSAT of a small sample: satisfied share, mean, variances and distribution worked by hand") {
  // Scores 5 4 4 3 5 2 1 4 5 3 on 1..5: counts 1,1,2,3,3 for scores 1..5.
  // Satisfied (4 or 5): 6 of 10 = 0.6. Sum = 1 + 2 + 6 + 12 + 15 = 36, mean 3.6.
  // Σ(x − 3.6)² = 6.76 + 2.56 + 2·0.36 + 3·0.16 + 3·1.96 = 16.4:
  // population variance 16.4/10 = 1.64, sample variance 16.4/9 = 1.822222, stddev 1.349897.
  cxm::csat acc;
  for (const int s : {5, 4, 4, 3, 5, 2, 1, 4, 5, 3}) acc.add(s);
  const auto r = acc.result();
  CHECK_FALSE(r.empty());
  CHECK(r.n == 10);
  CHECK_FALSE(r.weighted);
  CHECK(r.total_weight == 10.0);
  CHECK(r.effective_n == 10.0);
  CHECK(r.satisfied == 6);
  CHECK(r.satisfied_weight == 6.0);
  CXM_CHECK_CLOSE(r.satisfied_share, 0.6);
  CXM_CHECK_CLOSE(r.mean, 3.6);
  CXM_CHECK_CLOSE(r.population_variance, 1.64);
  CXM_CHECK_CLOSE(r.sample_variance, 16.4 / 9.0);
  CSAT_CHECK_NEAR(r.stddev, 1.349897, 1e-6);
  REQUIRE(r.distribution.size() == 5);
  const std::uint64_t counts[] = {1, 1, 2, 3, 3};
  for (std::size_t i = 0; i < 5; ++i) {
    CHECK(r.distribution[i].score == static_cast<int>(i) + 1);
    CHECK(r.distribution[i].answers == counts[i]);
    CHECK(r.distribution[i].weight == static_cast<double>(counts[i]));
    CXM_CHECK_CLOSE(r.distribution[i].share, static_cast<double>(counts[i]) / 10.0);
  }
}

TEST_CASE("CSAT on a 0..10 scale defaults to the top two scores and accepts a custom satisfied set") {
  const cxm::csat top_two(cxm::score_scale{0, 10});
  CHECK(top_two.satisfied_scores() == set_of({9, 10}));

  // Satisfied {7, 8, 9, 10}; answers 10, 8, 6, 0, 7: 3 of 5 satisfied, mean 31/5 = 6.2.
  cxm::csat acc(cxm::score_scale{0, 10}, {7, 8, 9, 10});
  for (const int s : {10, 8, 6, 0, 7}) acc.add(s);
  const auto r = acc.result();
  CHECK(r.satisfied == 3);
  CXM_CHECK_CLOSE(r.satisfied_share, 0.6);
  CXM_CHECK_CLOSE(r.mean, 6.2);
  REQUIRE(r.distribution.size() == 11);
  CHECK(r.distribution.front().score == 0);
  CHECK(r.distribution.front().answers == 1);
  CHECK(r.distribution.back().score == 10);
}

TEST_CASE("CSAT satisfied sets need not be contiguous and are sorted and deduplicated") {
  // Satisfied {1, 5} (the extremes): answers 1, 2, 5, 5: 3 of 4.
  cxm::csat acc(cxm::score_scale{1, 5}, {5, 1, 5});
  CHECK(acc.satisfied_scores() == set_of({1, 5}));
  for (const int s : {1, 2, 5, 5}) acc.add(s);
  CHECK(acc.result().satisfied == 3);
  CXM_CHECK_CLOSE(acc.result().satisfied_share, 0.75);
  CHECK(cxm::csat(cxm::score_scale{1, 5}, {5, 4, 4}) == cxm::csat{});
}

TEST_CASE("CSAT top_box takes the top k scores of the scale") {
  CHECK(cxm::csat::top_box({1, 5}, 1).satisfied_scores() == set_of({5}));
  CHECK(cxm::csat::top_box({1, 5}, 2) == cxm::csat{});
  CHECK(cxm::csat::top_box({1, 7}, 3).satisfied_scores() == set_of({5, 6, 7}));
  CHECK(cxm::csat::top_box({0, 10}, 4).satisfied_scores() == set_of({7, 8, 9, 10}));
  CHECK(invalid_argument_message([] { (void)cxm::csat::top_box({1, 5}, 0); }) ==
        "csat: top_box needs 1 <= boxes < 5, got 0");
  CHECK(invalid_argument_message([] { (void)cxm::csat::top_box({1, 5}, 5); }) ==
        "csat: top_box needs 1 <= boxes < 5, got 5");
  CHECK_THROWS_AS((void)cxm::csat::top_box({3, 3}, 1), std::invalid_argument);
}

TEST_CASE("CSAT rejects a single-score scale, an oversized scale, an empty set or a satisfied score outside the scale") {
  CHECK(invalid_argument_message([] { cxm::csat c(cxm::score_scale{3, 3}); }) ==
        "csat: a scale needs at least two scores, got 3..3");
  CHECK_THROWS_AS(cxm::csat(cxm::score_scale{5, 1}), std::invalid_argument);
  CHECK_THROWS_AS(cxm::csat(cxm::score_scale{3, 3}, {3}), std::invalid_argument);
  // 0..1000 has max_points = 1001 points; 0..1001 has one too many.
  CHECK_NOTHROW(cxm::csat(cxm::score_scale{0, 1000}));
  CHECK(invalid_argument_message([] { cxm::csat c(cxm::score_scale{0, 1001}); }) ==
        "csat: scale 0..1001 has more than 1001 points");
  CHECK(invalid_argument_message([] { cxm::csat c(cxm::score_scale{1, 5}, {4, 6}); }) ==
        "csat: satisfied score 6 is outside the scale 1..5");
  CHECK(invalid_argument_message([] { cxm::csat c(cxm::score_scale{1, 5}, {0}); }) ==
        "csat: satisfied score 0 is outside the scale 1..5");
  CHECK(invalid_argument_message([] { cxm::csat c(cxm::score_scale{1, 5}, cxm::csat::satisfied_set{}); }) ==
        "csat: the satisfied set is empty");
}

TEST_CASE("CSAT merge refuses states on different scales or with different satisfied sets") {
  cxm::csat five;
  cxm::csat seven(cxm::score_scale{1, 7}, {6, 7});
  cxm::csat other_set(cxm::score_scale{1, 5}, {5});
  cxm::csat ten(cxm::score_scale{0, 10}, {4, 5});
  five.add(4);
  const cxm::csat before = five;
  CHECK_THROWS_AS(five.merge(seven), std::invalid_argument);
  CHECK_THROWS_AS(five.merge(other_set), std::invalid_argument);
  CHECK(invalid_argument_message([&] { five.merge(ten); }) ==
        "csat: cannot merge states on different scales (1..5 and 0..10)");
  CHECK(five == before);
  CHECK_NOTHROW(five.merge(cxm::csat(cxm::score_scale{1, 5}, {5, 4})));
}

TEST_CASE("An empty CSAT has n = 0 and NaN moments and shares") {
  const auto r = cxm::csat{}.result();
  CHECK(r.empty());
  CHECK(r.n == 0);
  CHECK(r.satisfied == 0);
  CHECK(r.total_weight == 0.0);
  CHECK(r.effective_n == 0.0);
  CHECK(std::isnan(r.mean));
  CHECK(std::isnan(r.population_variance));
  CHECK(std::isnan(r.sample_variance));
  CHECK(std::isnan(r.stddev));
  CHECK(std::isnan(r.satisfied_share));
  REQUIRE(r.distribution.size() == 5);
  for (const auto& c : r.distribution) CHECK(std::isnan(c.share));
}

TEST_CASE("A single CSAT answer has a mean and a population variance of 0 but no sample variance") {
  cxm::csat acc;
  acc.add(2);
  const auto r = acc.result();
  CHECK(r.n == 1);
  CHECK(r.mean == 2.0);
  CHECK(r.population_variance == 0.0);
  CHECK(std::isnan(r.sample_variance));
  CHECK(std::isnan(r.stddev));
  CHECK(r.satisfied_share == 0.0);
}

TEST_CASE("CSAT rejects a score outside the scale with a message naming the value and the scale") {
  cxm::csat acc;
  CHECK(invalid_argument_message([&] { acc.add(6); }) == "csat: score 6 is outside the scale 1..5");
  CHECK(invalid_argument_message([&] { acc.add(0); }) == "csat: score 0 is outside the scale 1..5");
  CHECK_THROWS_AS(acc.add(0, 1.0), cxm::invalid_event);
  CHECK_THROWS_WITH_AS(acc.add(3, -1.0), "csat: weight -1 is negative (allowed: a finite number >= 0)",
                       cxm::invalid_event);
  CHECK_THROWS_WITH_AS(acc.add(3, infinity), "csat: weight inf is not finite (allowed: a finite number >= 0)",
                       cxm::invalid_event);
  CHECK(acc == cxm::csat{});
  cxm::csat ten(cxm::score_scale{0, 10});
  CHECK(invalid_argument_message([&] { ten.add(11); }) == "csat: score 11 is outside the scale 0..10");
}

TEST_CASE("CSAT with skip_invalid counts each rejection by reason and passes it to the callback") {
  cxm::rejection_counts counts;
  std::vector<cxm::rejection> seen;
  cxm::skip_invalid skip{counts, [&seen](const cxm::rejection& r) { seen.push_back(r); }};
  cxm::csat acc(cxm::score_scale{1, 7}, {6, 7});
  CHECK_FALSE(acc.add(8, skip));
  CHECK_FALSE(acc.add(5, std::nan(""), skip));
  CHECK_FALSE(acc.add(5, -0.25, skip));
  CHECK(acc.add(7, skip));
  CHECK(acc.result().n == 1);
  CHECK(counts[cxm::rejection_reason::score_out_of_scale] == 1);
  CHECK(counts[cxm::rejection_reason::weight_not_finite] == 1);
  CHECK(counts[cxm::rejection_reason::weight_negative] == 1);
  REQUIRE(seen.size() == 3);
  CHECK(seen[0].metric == "csat");
  CHECK(seen[0].field == "score");
  CHECK(seen[0].value == 8.0);
  CHECK(seen[0].allowed_min == 1.0);
  CHECK(seen[0].allowed_max == 7.0);
  CHECK(seen[2].field == "weight");
  CHECK(seen[2].value == -0.25);
  CHECK(seen[2].message() == "csat: weight -0.25 is negative (allowed: a finite number >= 0)");
}

TEST_CASE("CSAT bulk add equals one-at-a-time adds and is all-or-nothing with the throwing policy") {
  std::mt19937_64 rng(21);
  std::vector<std::uint8_t> scores(300);
  for (auto& s : scores) s = static_cast<std::uint8_t>(std::uniform_int_distribution<int>(1, 5)(rng));
  cxm::csat one_at_a_time;
  for (const auto s : scores) one_at_a_time.add(s);
  cxm::csat bulk;
  CHECK(bulk.add(scores) == scores.size());
  CHECK(bulk == one_at_a_time);

  cxm::csat filtered;
  cxm::csat filtered_by_hand;
  for (const auto s : scores) {
    if (s >= 3) filtered_by_hand.add(s);
  }
  filtered.add(scores | ranges::views::filter([](std::uint8_t s) { return s >= 3; }));
  CHECK(filtered == filtered_by_hand);

  const cxm::csat before = bulk;
  CHECK_THROWS_AS(bulk.add(std::vector<int>{5, 5, 9}), cxm::invalid_event);
  CHECK(bulk == before);

  cxm::rejection_counts counts;
  CHECK(bulk.add(std::vector<int>{5, 0, 9, 4}, cxm::skip_invalid{counts}) == 2);
  CHECK(counts[cxm::rejection_reason::score_out_of_scale] == 2);
  CHECK(bulk.result().n == before.result().n + 2);
}

TEST_CASE("CSAT on a 1..100 scale: top_box(10), bulk add past the local tally, documented partial add on error") {
  cxm::csat acc = cxm::csat::top_box({1, 100}, 10);
  CHECK(acc.satisfied_scores().size() == 10);
  CHECK(acc.satisfied_scores().front() == 91);
  // Answers 1..100 once each: 10 of 100 satisfied; mean 50.5;
  // population variance (100² − 1)/12 = 833.25 (discrete uniform).
  std::vector<int> all(100);
  for (int i = 0; i < 100; ++i) all[static_cast<std::size_t>(i)] = i + 1;
  CHECK(acc.add(all) == 100);
  const auto r = acc.result();
  CHECK(r.satisfied == 10);
  CXM_CHECK_CLOSE(r.satisfied_share, 0.1);
  CXM_CHECK_CLOSE(r.mean, 50.5);
  CXM_CHECK_CLOSE(r.population_variance, 833.25);
  REQUIRE(r.distribution.size() == 100);

  // More than 64 points: the answers before an invalid one are kept (documented in score_histogram).
  cxm::csat partial = cxm::csat::top_box({1, 100}, 10);
  CHECK_THROWS_AS(partial.add(std::vector<int>{100, 50, 101, 1}), cxm::invalid_event);
  CHECK(partial.result().n == 2);

  cxm::rejection_counts counts;
  cxm::csat skipping = cxm::csat::top_box({1, 100}, 10);
  CHECK(skipping.add(std::vector<int>{0, 100, 101, 102, 1}, cxm::skip_invalid{counts}) == 2);
  CHECK(counts.total() == 3);
}

TEST_CASE("Weighted CSAT equals an independent computation over the weight sums") {
  std::mt19937_64 rng(22);
  cxm::csat acc;
  double total = 0, squares = 0, satisfied = 0, weighted_sum = 0;
  std::vector<std::pair<int, double>> answers;
  for (int i = 0; i < 800; ++i) {
    const int s = std::uniform_int_distribution<int>(1, 5)(rng);
    const double w = std::uniform_real_distribution<double>(0.0, 3.0)(rng);
    answers.emplace_back(s, w);
    acc.add(s, w);
    total += w;
    squares += w * w;
    weighted_sum += w * s;
    if (s >= 4) satisfied += w;
  }
  const double mean = weighted_sum / total;
  double m2 = 0;
  for (const auto& [s, w] : answers) m2 += w * (s - mean) * (s - mean);
  const double effective_n = total * total / squares;
  const double population_variance = m2 / total;

  const auto r = acc.result();
  CHECK(r.weighted);
  CHECK(r.n == 800);
  CHECK(std::abs(r.total_weight - total) <= 1e-9 * total);
  CHECK(std::abs(r.satisfied_weight - satisfied) <= 1e-9 * total);
  CHECK(std::abs(r.satisfied_share - satisfied / total) <= 1e-12);
  CHECK(std::abs(r.mean - mean) <= 1e-12);
  CHECK(std::abs(r.population_variance - population_variance) <= 1e-11);
  CHECK(std::abs(r.effective_n - effective_n) <= 1e-9 * effective_n);
  // sample variance = population · n_eff/(n_eff − 1) (Kish's n in place of n).
  CHECK(std::abs(r.sample_variance - population_variance * effective_n / (effective_n - 1)) <= 1e-11);
}

TEST_CASE("CSAT effective n is Kish's (Σw)²/Σw²") {
  // Weights 1, 2, 3: (6)²/(1 + 4 + 9) = 36/14 = 2.571429.
  cxm::csat acc;
  acc.add(5, 1.0);
  acc.add(4, 2.0);
  acc.add(1, 3.0);
  const auto r = acc.result();
  CXM_CHECK_CLOSE(r.effective_n, 36.0 / 14.0);
  // Satisfied weight 1 + 2 = 3 of 6; mean (5 + 8 + 3)/6 = 16/6.
  CXM_CHECK_CLOSE(r.satisfied_share, 0.5);
  CXM_CHECK_CLOSE(r.mean, 16.0 / 6.0);
  // Mixing in unweighted answers: each counts as weight 1 in both sums.
  acc.add(5);
  // Σw = 7, Σw² = 15: n_eff = 49/15.
  CXM_CHECK_CLOSE(acc.result().effective_n, 49.0 / 15.0);
}

TEST_CASE("A CSAT answer with integer weight k equals k unweighted copies for shares and mean") {
  cxm::csat weighted;
  weighted.add(5, 2.0);
  weighted.add(3, 3.0);
  weighted.add(1, 1.0);
  cxm::csat copies;
  for (const int s : {5, 5, 3, 3, 3, 1}) copies.add(s);
  const auto w = weighted.result();
  const auto c = copies.result();
  CXM_CHECK_CLOSE(w.satisfied_share, c.satisfied_share);
  CXM_CHECK_CLOSE(w.mean, c.mean);
  CXM_CHECK_CLOSE(w.population_variance, c.population_variance);
  CXM_CHECK_CLOSE(w.total_weight, c.total_weight);
  for (std::size_t i = 0; i < 5; ++i) CXM_CHECK_CLOSE(w.distribution[i].share, c.distribution[i].share);
}

TEST_CASE("CSAT keeps the accumulator invariants on the default scale") {
  cxm::test::check_invariants<cxm::csat>(
      [] { return cxm::csat{}; }, [](std::mt19937_64& rng) { return std::uniform_int_distribution<int>(1, 5)(rng); },
      cxm::test::same_results, {.seed = 201});
}

TEST_CASE("CSAT keeps the accumulator invariants on a 0..10 scale with satisfied {8, 9, 10}") {
  cxm::test::check_invariants<cxm::csat>(
      [] { return cxm::csat(cxm::score_scale{0, 10}, {8, 9, 10}); },
      [](std::mt19937_64& rng) { return std::uniform_int_distribution<int>(0, 10)(rng); },
      cxm::test::same_results, {.seed = 202});
}

TEST_CASE("CSAT keeps the accumulator invariants on a 1..100 top-10-box scale") {
  cxm::test::invariant_options options;
  options.seed = 203;
  options.split_trials = 300;  // 100 bins per state: fewer splits keep the run short
  cxm::test::check_invariants<cxm::csat>(
      [] { return cxm::csat::top_box({1, 100}, 10); },
      [](std::mt19937_64& rng) { return std::uniform_int_distribution<int>(1, 100)(rng); },
      cxm::test::same_results, options);
}

TEST_CASE("CSAT keeps the accumulator invariants on weighted answers") {
  using answer = std::pair<int, double>;
  cxm::test::check_invariants<cxm::csat>(
      [] { return cxm::csat{}; },
      [](std::mt19937_64& rng) {
        return answer{std::uniform_int_distribution<int>(1, 5)(rng), std::uniform_real_distribution<double>(0.1, 4.0)(rng)};
      },
      [](cxm::csat& acc, const answer& a) { acc.add(a.first, a.second); }, cxm::test::same_results, {.seed = 204});
}

TEST_CASE("CSAT saved with a custom scale and satisfied set loads with the same parameters") {
  cxm::csat acc(cxm::score_scale{0, 10}, {6, 8, 10});
  for (const int s : {0, 6, 8, 10, 10}) acc.add(s);
  acc.add(7, 2.5);
  const auto loaded = cxm::io::load_state<cxm::csat>(cxm::io::save_state(acc));
  CHECK(loaded == acc);
  CHECK(loaded.scale() == cxm::score_scale{0, 10});
  CHECK(loaded.satisfied_scores() == set_of({6, 8, 10}));
  cxm::test::same_result(loaded.result(), acc.result());
  // The loaded state keeps its parameters for merging too.
  cxm::csat copy = loaded;
  CHECK_NOTHROW(copy.merge(acc));
  CHECK_THROWS_AS(copy.merge(cxm::csat(cxm::score_scale{0, 10})), std::invalid_argument);
}

TEST_CASE("CSAT refuses to load an NPS image and names a corrupted count total") {
  cxm::nps promoters;
  promoters.add(10);
  const std::string wrong_type =
      format_error_message([&] { (void)cxm::io::load_state<cxm::csat>(cxm::io::save_state(promoters)); });
  CHECK(wrong_type.find("type tag") != std::string::npos);
  CHECK(wrong_type.find("'nps") != std::string::npos);
  CHECK(wrong_type.find("'csat'") != std::string::npos);

  cxm::csat acc;
  for (const int s : {1, 2, 3}) acc.add(s);
  auto image = cxm::io::save_state(acc);
  // Payload: i32 low, i32 high, u64 n at payload offset 8. Make n = 2 and recompute the CRC.
  image[cxm::io::state_header_size + 8] = std::byte{2};
  const std::size_t end = image.size() - cxm::io::state_trailer_size;
  const auto crc = cxm::io::crc32(std::span(image).first(end));
  for (std::size_t b = 0; b < 4; ++b) image[end + b] = static_cast<std::byte>(static_cast<std::uint8_t>(crc >> (8 * b)));
  const std::string message = format_error_message([&] { (void)cxm::io::load_state<cxm::csat>(image); });
  CHECK(message.find("counts sum to 3, n = 2") != std::string::npos);
}

TEST_CASE("CSAT loading refuses a satisfied set outside the saved scale") {
  cxm::csat acc;  // satisfied {4, 5}, saved as u32 count then i32 scores at the end of the payload
  auto image = cxm::io::save_state(acc);
  const std::size_t end = image.size() - cxm::io::state_trailer_size;
  image[end - 4] = std::byte{9};  // the last satisfied score 5 becomes 9
  const auto crc = cxm::io::crc32(std::span(image).first(end));
  for (std::size_t b = 0; b < 4; ++b) image[end + b] = static_cast<std::byte>(static_cast<std::uint8_t>(crc >> (8 * b)));
  CHECK(format_error_message([&] { (void)cxm::io::load_state<cxm::csat>(image); }) ==
        "csat: satisfied score 9 is outside the scale 1..5");
}

TEST_CASE("CSAT loading refuses a satisfied set that is not strictly increasing") {
  cxm::csat acc;  // satisfied {4, 5}: the last two i32 of the payload
  auto image = cxm::io::save_state(acc);
  const std::size_t end = image.size() - cxm::io::state_trailer_size;
  image[end - 4] = std::byte{4};  // {4, 4}
  const auto crc = cxm::io::crc32(std::span(image).first(end));
  for (std::size_t b = 0; b < 4; ++b) image[end + b] = static_cast<std::byte>(static_cast<std::uint8_t>(crc >> (8 * b)));
  CHECK(format_error_message([&] { (void)cxm::io::load_state<cxm::csat>(image); }) ==
        "csat: satisfied scores are not strictly increasing");
}

TEST_CASE("CSAT rejects 4.5 as not a whole number instead of counting a 4 as satisfied") {
  cxm::rejection_counts counts;
  cxm::skip_invalid skip{counts};
  cxm::csat acc;  // 1..5, satisfied {4, 5}
  CHECK_FALSE(acc.add(4.5, skip));
  CHECK_FALSE(acc.add(3.5, 2.0, skip));
  CHECK_FALSE(acc.add(std::nan(""), skip));
  CHECK_FALSE(acc.add(6.0, skip));
  CHECK(acc.add(4.0, skip));
  CHECK(acc.add(2.0f, skip));
  CHECK(counts[cxm::rejection_reason::score_not_whole] == 3);
  CHECK(counts[cxm::rejection_reason::score_out_of_scale] == 1);
  const auto r = acc.result();
  CHECK(r.n == 2);
  CHECK(r.satisfied == 1);
  CHECK(r.satisfied_share == 0.5);
  CHECK(r.mean == 3.0);
  CHECK(invalid_argument_message([&] { acc.add(4.5); }) == "csat: score 4.5 is not a whole number");
}

TEST_CASE("CSAT from counts: add_count is n answers, with n's standard error, unlike a weight") {
  // 1 ×10, 2 ×20, 3 ×30, 4 ×25, 5 ×15: n 100, satisfied 25 + 15 = 40, share 0.4, mean 315/100 = 3.15,
  // Σx² = 10 + 80 + 270 + 400 + 375 = 1135, population variance 11.35 − 3.15² = 1.4275.
  const int counts[5] = {10, 20, 30, 25, 15};
  cxm::csat counted, single, weighted;
  for (int s = 1; s <= 5; ++s) {
    counted.add_count(s, counts[s - 1]);
    for (int i = 0; i < counts[s - 1]; ++i) single.add(s);
    weighted.add(s, double(counts[s - 1]));
  }
  CHECK(counted == single);
  const auto r = counted.result();
  CHECK(r.n == 100);
  CHECK(r.satisfied == 40);
  CHECK_FALSE(r.weighted);
  CHECK(r.effective_n == 100.0);
  CXM_CHECK_CLOSE(r.satisfied_share, 0.4);
  CXM_CHECK_CLOSE(r.mean, 3.15);
  CXM_CHECK_CLOSE(r.population_variance, 1.4275);
  CXM_CHECK_CLOSE(r.sample_variance, 1.4275 * 100.0 / 99.0);
  // As weights: 5 answers, Σw² = 100 + 400 + 900 + 625 + 225 = 2250, n_eff = 100²/2250 = 4.444.
  const auto w = weighted.result();
  CHECK(w.n == 5);
  CXM_CHECK_CLOSE(w.satisfied_share, 0.4);
  CXM_CHECK_CLOSE(w.effective_n, 10000.0 / 2250.0);

  cxm::rejection_counts rejected;
  CHECK_FALSE(counted.add_count(0, 3, cxm::skip_invalid{rejected}));
  CHECK_FALSE(counted.add_count(4, -3, cxm::skip_invalid{rejected}));
  CHECK(rejected[cxm::rejection_reason::score_out_of_scale] == 1);
  CHECK(rejected[cxm::rejection_reason::weight_negative] == 1);
  CHECK(counted == single);
}
