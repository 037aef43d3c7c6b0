// score_scale and score_histogram: validation, distribution and summary, add_range's guarantees,
// merge, and load's validation of hand-built images (score_histogram is not framed: it has no
// type_tag of its own, so its payload is read with cxm::io::reader directly).

#include <climits>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <doctest/doctest.h>
#include <range/v3/view/iota.hpp>
#include <range/v3/view/istream.hpp>

#include "cxm/core/error.hpp"
#include "cxm/core/invalid_input.hpp"
#include "cxm/core/score_histogram.hpp"
#include "cxm/core/score_scale.hpp"
#include "cxm/io/reader.hpp"
#include "cxm/io/writer.hpp"
#include "support/invariants.hpp"

namespace {

std::string invalid_argument_message(const cxm::score_scale& scale, std::string_view metric) {
  try {
    scale.validate(metric);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "valid";
}

/// One bin of a hand-built image: unweighted count, weighted count, compensated weight sum.
struct bin_image {
  std::uint64_t unit = 0;
  std::uint64_t weighted = 0;
  double weight_sum = 0;
  double weight_compensation = 0;
};

/// The payload layout of score_histogram::save, written field by field:
/// i32 low, i32 high, u64 n, per score {u64 unit, u64 weighted, f64 sum, f64 compensation},
/// then the sum of squared weights {f64 sum, f64 compensation}.
std::vector<std::byte> histogram_image(int low, int high, std::uint64_t n, const std::vector<bin_image>& bins,
                                       double squares = 0, bool with_squares = true) {
  cxm::io::writer w;
  w.i32(low);
  w.i32(high);
  w.u64(n);
  for (const auto& b : bins) {
    w.u64(b.unit);
    w.u64(b.weighted);
    w.f64(b.weight_sum);
    w.f64(b.weight_compensation);
  }
  if (with_squares) {
    w.f64(squares);
    w.f64(0.0);
  }
  return std::move(w).bytes();
}

std::string load_message(const std::vector<std::byte>& image, std::string_view metric = "nps") {
  cxm::io::reader r(image);
  try {
    (void)cxm::score_histogram::load(r, metric);
  } catch (const cxm::format_error& e) {
    return e.what();
  }
  return "loaded";
}

std::vector<bin_image> unit_bins(std::size_t points, std::uint64_t each) {
  return std::vector<bin_image>(points, bin_image{each, 0, 0.0, 0.0});
}

}  // namespace

TEST_CASE("score_scale needs at least two scores and at most 1001 points") {
  CHECK(invalid_argument_message({1, 5}, "csat") == "valid");
  CHECK(invalid_argument_message({0, 1}, "csat") == "valid");
  CHECK(invalid_argument_message({0, 1000}, "csat") == "valid");  // 1001 points: the largest allowed
  CHECK(invalid_argument_message({-500, 500}, "csat") == "valid");
  CHECK(invalid_argument_message({5, 5}, "csat") == "csat: a scale needs at least two scores, got 5..5");
  CHECK(invalid_argument_message({5, 1}, "ces") == "ces: a scale needs at least two scores, got 5..1");
  CHECK(invalid_argument_message({0, 1001}, "nps") == "nps: scale 0..1001 has more than 1001 points");
  // The widest int scale: its point count (2^32) is computed in 64 bits, without overflow.
  CHECK(invalid_argument_message({INT_MIN, INT_MAX}, "nps") ==
        "nps: scale -2147483648..2147483647 has more than 1001 points");
}

TEST_CASE("score_scale counts points, tests membership and prints low..high") {
  constexpr cxm::score_scale nps_scale{0, 10};
  static_assert(nps_scale.points() == 11);
  static_assert(nps_scale.contains(0) && nps_scale.contains(10));
  static_assert(!nps_scale.contains(-1) && !nps_scale.contains(11));
  static_assert(cxm::score_scale{}.low == 1 && cxm::score_scale{}.high == 5);
  CHECK(cxm::score_scale{INT_MIN, INT_MAX}.points() == std::size_t{1} << 32);
  CHECK(cxm::score_scale{-3, 3}.to_string() == "-3..3");
  CHECK(cxm::score_scale{1, 5} != cxm::score_scale{1, 7});
}

TEST_CASE("score_histogram rejects an invalid scale in its constructor, naming the metric") {
  CHECK_THROWS_WITH_AS(cxm::score_histogram(cxm::score_scale{3, 3}, "ces"),
                       "ces: a scale needs at least two scores, got 3..3", std::invalid_argument);
  CHECK(cxm::score_histogram{}.scale() == cxm::score_scale{1, 5});
  CHECK(cxm::score_histogram{}.points() == 5);
}

TEST_CASE("score_histogram summary of 1 2 2 3 3 3 5 on 1..5") {
  cxm::score_histogram h(cxm::score_scale{1, 5}, "csat");
  for (const int s : {1, 2, 2, 3, 3, 3, 5}) CHECK(h.add(s, "csat", cxm::throw_on_invalid));
  const auto s = h.summary();
  // n 7; Σx = 1 + 4 + 9 + 5 = 19, mean 19/7; Σx² = 1 + 8 + 27 + 25 = 61;
  // population variance 61/7 − (19/7)² = (427 − 361)/49 = 66/49; sample 66/49 · 7/6 = 11/7.
  CHECK(s.n == 7);
  CHECK(s.total_weight == 7.0);
  CHECK(s.effective_n == 7.0);
  CHECK_FALSE(s.weighted);
  CXM_CHECK_CLOSE(s.mean, 19.0 / 7.0);
  CXM_CHECK_CLOSE(s.population_variance, 66.0 / 49.0);
  CXM_CHECK_CLOSE(s.sample_variance, 11.0 / 7.0);
  CXM_CHECK_CLOSE(s.stddev, std::sqrt(11.0 / 7.0));
  REQUIRE(s.distribution.size() == 5);
  const std::uint64_t answers[] = {1, 2, 3, 0, 1};
  for (std::size_t i = 0; i < 5; ++i) {
    CHECK(s.distribution[i].score == static_cast<int>(i) + 1);
    CHECK(s.distribution[i].answers == answers[i]);
    CHECK(s.distribution[i].weight == static_cast<double>(answers[i]));
    CXM_CHECK_CLOSE(s.distribution[i].share, static_cast<double>(answers[i]) / 7.0);
  }
  CHECK(h.answers(2) == 3);
  CHECK(h.weight(3) == 0.0);
}

TEST_CASE("score_histogram summary mixes weighted and unweighted answers") {
  cxm::score_histogram h(cxm::score_scale{1, 5}, "csat");
  h.add(1, 0.5, "csat", cxm::throw_on_invalid);
  h.add(3, "csat", cxm::throw_on_invalid);  // weight 1
  h.add(5, 2.0, "csat", cxm::throw_on_invalid);
  const auto s = h.summary();
  // Σw = 0.5 + 1 + 2 = 3.5; mean = (0.5 + 3 + 10)/3.5 = 27/7.
  // Deviations −20/7, −6/7, 8/7: Σw·d² = (0.5·400 + 36 + 2·64)/49 = 364/49; ÷ 3.5 → 104/49.
  // Σw² = 0.25 + 1 + 4 = 5.25; Kish n = 12.25/5.25 = 7/3; sample = 104/49 · (7/3)/(4/3) = 26/7.
  CHECK(s.n == 3);
  CHECK(s.weighted);
  CHECK(s.total_weight == 3.5);
  CXM_CHECK_CLOSE(s.effective_n, 7.0 / 3.0);
  CXM_CHECK_CLOSE(s.mean, 27.0 / 7.0);
  CXM_CHECK_CLOSE(s.population_variance, 104.0 / 49.0);
  CXM_CHECK_CLOSE(s.sample_variance, 26.0 / 7.0);
  CHECK(s.distribution[0].answers == 1);
  CHECK(s.distribution[0].weight == 0.5);
  CXM_CHECK_CLOSE(s.distribution[4].share, 2.0 / 3.5);
  // A weighted and an unweighted answer on the same score add up.
  h.add(5, "csat", cxm::throw_on_invalid);
  CHECK(h.answers(4) == 2);
  CHECK(h.weight(4) == 3.0);
}

TEST_CASE("an empty score_histogram has a full distribution of zeros and NaN moments") {
  const auto s = cxm::score_histogram(cxm::score_scale{0, 10}, "nps").summary();
  CHECK(s.n == 0);
  CHECK(s.empty());
  CHECK(s.total_weight == 0.0);
  CHECK(s.effective_n == 0.0);
  CHECK(std::isnan(s.mean));
  CHECK(std::isnan(s.population_variance));
  CHECK(std::isnan(s.sample_variance));
  CHECK(std::isnan(s.stddev));
  REQUIRE(s.distribution.size() == 11);
  CHECK(s.distribution.front().score == 0);
  CHECK(s.distribution.back().score == 10);
  for (const auto& c : s.distribution) {
    CHECK(c.answers == 0);
    CHECK(std::isnan(c.share));
  }
}

TEST_CASE("score_histogram rejects a score outside the scale and a bad weight, naming the metric") {
  cxm::score_histogram h(cxm::score_scale{1, 5}, "csat");
  const auto before = h;
  CHECK_THROWS_WITH_AS(h.add(6, "csat", cxm::throw_on_invalid), "csat: score 6 is outside the scale 1..5",
                       cxm::invalid_event);
  CHECK_THROWS_WITH_AS(h.add(0, "csat", cxm::throw_on_invalid), "csat: score 0 is outside the scale 1..5",
                       cxm::invalid_event);
  CHECK_THROWS_WITH_AS(h.add(-2147483648LL, "csat", cxm::throw_on_invalid),
                       "csat: score -2147483648 is outside the scale 1..5", cxm::invalid_event);
  CHECK_THROWS_WITH_AS(h.add(6, 1.0, "csat", cxm::throw_on_invalid), "csat: score 6 is outside the scale 1..5",
                       cxm::invalid_event);
  CHECK_THROWS_WITH_AS(h.add(3, std::numeric_limits<double>::infinity(), "csat", cxm::throw_on_invalid),
                       "csat: weight inf is not finite (allowed: a finite number >= 0)", cxm::invalid_event);
  CHECK_THROWS_WITH_AS(h.add(3, -2.0, "csat", cxm::throw_on_invalid),
                       "csat: weight -2 is negative (allowed: a finite number >= 0)", cxm::invalid_event);
  CHECK(h == before);

  cxm::rejection_counts counts;
  CHECK_FALSE(h.add(7, "csat", cxm::skip_invalid{counts}));
  CHECK_FALSE(h.add(7, std::nan(""), "csat", cxm::skip_invalid{counts}));  // the score is checked first
  CHECK_FALSE(h.add(2, std::nan(""), "csat", cxm::skip_invalid{counts}));
  CHECK_FALSE(h.add(2, -1.0, "csat", cxm::skip_invalid{counts}));
  CHECK(h.add(2, 0.0, "csat", cxm::skip_invalid{counts}));  // weight 0 is valid
  CHECK(counts[cxm::rejection_reason::score_out_of_scale] == 2);
  CHECK(counts[cxm::rejection_reason::weight_not_finite] == 1);
  CHECK(counts[cxm::rejection_reason::weight_negative] == 1);
  CHECK(h.summary().n == 1);
  CHECK(h.summary().total_weight == 0.0);
}

TEST_CASE("add_range tallies every answer of a long range exactly") {
  std::mt19937_64 rng(3);
  std::vector<int> scores(10'007);  // not a multiple of the four tally lanes
  std::uint64_t expected[5] = {};
  for (auto& s : scores) {
    s = 1 + static_cast<int>(rng() % 5);
    ++expected[s - 1];  // brute-force count
  }
  cxm::score_histogram h(cxm::score_scale{1, 5}, "csat");
  h.add(4, "csat", cxm::throw_on_invalid);
  CHECK(h.add_range(scores, "csat", cxm::throw_on_invalid) == scores.size());
  ++expected[3];
  for (std::size_t i = 0; i < 5; ++i) CHECK(h.answers(i) == expected[i]);
  CHECK(h.summary().n == 10'008);

  // Every short length (0..9), so that each remainder after groups of four is tallied too.
  for (std::size_t length = 0; length < 10; ++length) {
    CAPTURE(length);
    const std::vector<int> head(scores.begin(), scores.begin() + static_cast<std::ptrdiff_t>(length));
    std::uint64_t head_expected[5] = {};
    for (const int s : head) ++head_expected[s - 1];
    cxm::score_histogram small(cxm::score_scale{1, 5}, "csat");
    CHECK(small.add_range(head, "csat", cxm::throw_on_invalid) == length);
    for (std::size_t i = 0; i < 5; ++i) CHECK(small.answers(i) == head_expected[i]);
  }

  // Any range-v3 range of integers: iota 1..5 adds one answer per score.
  CHECK(h.add_range(ranges::views::iota(1, 6), "csat", cxm::throw_on_invalid) == 5);
  for (std::size_t i = 0; i < 5; ++i) CHECK(h.answers(i) == expected[i] + 1);
}

TEST_CASE("add_range on a scale of up to 64 points leaves the histogram unchanged when an answer throws") {
  for (const int high : {5, 63}) {  // 1..5, and 0..63: the largest scale tallied locally (64 points)
    const int low = high == 5 ? 1 : 0;
    CAPTURE(high);
    cxm::score_histogram h(cxm::score_scale{low, high}, "csat");
    h.add(high, "csat", cxm::throw_on_invalid);
    const auto before = h;
    const std::vector<int> scores{low, low + 1, high + 1, high};
    CHECK_THROWS_AS(h.add_range(scores, "csat", cxm::throw_on_invalid), cxm::invalid_event);
    CHECK(h == before);  // strong guarantee: neither the answers before nor after the bad one were kept
  }
}

TEST_CASE("add_range on a scale of 65 points or more keeps the answers before the one that throws") {
  for (const int high : {64, 200}) {  // 0..64 (65 points: the first scale added one by one), 0..200
    CAPTURE(high);
    cxm::score_histogram h(cxm::score_scale{0, high}, "csat");
    const std::vector<int> scores{5, 7, high + 50, 9};
    const std::string expected =
        "csat: score " + std::to_string(high + 50) + " is outside the scale 0.." + std::to_string(high);
    CHECK_THROWS_WITH_AS(h.add_range(scores, "csat", cxm::throw_on_invalid), expected.c_str(), cxm::invalid_event);
    CHECK(h.answers(5) == 1);
    CHECK(h.answers(7) == 1);
    CHECK(h.answers(9) == 0);
    CHECK(h.summary().n == 2);
  }
}

TEST_CASE("add_range with the skip policy hands every rejected answer to the callback and adds the rest") {
  for (const int high : {5, 200}) {  // the locally tallied path and the one-by-one path
    CAPTURE(high);
    cxm::rejection_counts counts;
    std::vector<double> rejected_values;
    cxm::score_histogram h(cxm::score_scale{1, high}, "csat");
    const std::vector<int> scores{0, 3, high + 1, 3, -7, 1};
    const auto added = h.add_range(
        scores, "csat", cxm::skip_invalid{counts, [&](const cxm::rejection& r) { rejected_values.push_back(r.value); }});
    CHECK(added == 3);
    CHECK(counts[cxm::rejection_reason::score_out_of_scale] == 3);
    CHECK(rejected_values == std::vector<double>{0.0, double(high + 1), -7.0});
    CHECK(h.answers(0) == 1);  // score 1
    CHECK(h.answers(2) == 2);  // score 3
    CHECK(h.summary().n == 3);
  }
}

TEST_CASE("add_range over a single-pass input range reports each rejected answer with its value") {
  cxm::score_histogram h(cxm::score_scale{1, 5}, "csat");
  std::istringstream text("1 2 9 3");
  // A throwing policy leaves the histogram unchanged: the answers read before 9 stay in local tallies.
  CHECK_THROWS_WITH_AS(h.add_range(ranges::istream_view<int>(text), "csat", cxm::throw_on_invalid),
                       "csat: score 9 is outside the scale 1..5", cxm::invalid_event);
  CHECK(h == cxm::score_histogram(cxm::score_scale{1, 5}, "csat"));

  std::istringstream more("5 4 0 4 8");
  cxm::rejection_counts counts;
  std::vector<double> rejected_values;
  const auto added = h.add_range(
      ranges::istream_view<int>(more), "csat",
      cxm::skip_invalid{counts, [&](const cxm::rejection& r) { rejected_values.push_back(r.value); }});
  CHECK(added == 3);
  CHECK(counts.total() == 2);
  CHECK(rejected_values == std::vector<double>{0.0, 8.0});
  CHECK(h.answers(3) == 2);  // score 4
  CHECK(h.answers(4) == 1);  // score 5
}

TEST_CASE("score_histogram checks floating-point scores: whole numbers on the scale go in, nothing is rounded") {
  cxm::score_histogram h(cxm::score_scale{1, 5}, "csat");
  CHECK(h.add(4.0, "csat", cxm::throw_on_invalid));
  CHECK(h.add(2.0f, 0.5, "csat", cxm::throw_on_invalid));
  const auto before = h;
  CHECK_THROWS_WITH_AS(h.add(4.5, "csat", cxm::throw_on_invalid), "csat: score 4.5 is not a whole number",
                       cxm::invalid_event);
  CHECK_THROWS_WITH_AS(h.add(std::nan(""), 1.0, "csat", cxm::throw_on_invalid),
                       "csat: score nan is not a whole number", cxm::invalid_event);
  CHECK_THROWS_WITH_AS(h.add(6.0, "csat", cxm::throw_on_invalid), "csat: score 6 is outside the scale 1..5",
                       cxm::invalid_event);
  CHECK(h == before);

  cxm::rejection_counts counts;
  CHECK_FALSE(h.add(std::numeric_limits<double>::infinity(), "csat", cxm::skip_invalid{counts}));
  CHECK_FALSE(h.add(0.5, "csat", cxm::skip_invalid{counts}));
  CHECK_FALSE(h.add(5.5, std::nan(""), "csat", cxm::skip_invalid{counts}));  // the score is checked first
  CHECK_FALSE(h.add(0.0, "csat", cxm::skip_invalid{counts}));
  CHECK(counts[cxm::rejection_reason::score_not_whole] == 3);
  CHECK(counts[cxm::rejection_reason::score_out_of_scale] == 1);
  CHECK(counts.total() == 4);
  CHECK(h == before);
  // 4 (unweighted) and 2 (weight 0.5): n 2, Σw 1.5, mean (4 + 1)/1.5 = 10/3.
  const auto s = h.summary();
  CHECK(s.n == 2);
  CHECK(s.total_weight == 1.5);
  CXM_CHECK_CLOSE(s.mean, 10.0 / 3.0);
}

TEST_CASE("score_histogram compares integers of every width exactly: no wrap into the scale") {
  cxm::score_histogram h(cxm::score_scale{-5, 5}, "h");
  cxm::rejection_counts counts;
  std::vector<double> values;
  cxm::skip_invalid skip{counts, [&](const cxm::rejection& r) { values.push_back(r.value); }};
  // 2^64 − 5 is −5 as an int64, and 2^32 − 5 is −5 as an int32: both are far off −5..5.
  CHECK_FALSE(h.add(std::numeric_limits<std::uint64_t>::max() - 4, "h", skip));
  CHECK_FALSE(h.add((std::int64_t{1} << 32) - 5, "h", skip));
  CHECK(h.add(std::int8_t{-5}, "h", skip));
  CHECK(h.add(std::uint64_t{5}, "h", skip));
  CHECK(counts[cxm::rejection_reason::score_out_of_scale] == 2);
  CHECK(values == std::vector<double>{18446744073709551611.0, 4294967291.0});
  CHECK(h.answers(0) == 1);
  CHECK(h.answers(10) == 1);
  // The same through add_range, on a range of uint64.
  const std::vector<std::uint64_t> wide{std::numeric_limits<std::uint64_t>::max() - 4, 0, 5};
  CHECK(h.add_range(wide, "h", skip) == 2);
  CHECK(counts.total() == 3);
  CHECK(h.answers(0) == 1);  // still one −5
  CHECK(h.answers(5) == 1);  // 0
  CHECK(h.answers(10) == 2);
}

TEST_CASE("add_range checks each element of a floating-point range") {
  for (const int high : {5, 200}) {  // the locally tallied path and the one-by-one path
    CAPTURE(high);
    cxm::score_histogram h(cxm::score_scale{1, high}, "csat");
    const std::vector<double> scores{1.0, 2.5, 3.0, std::nan(""), 0.0, 3.0};
    CHECK_THROWS_WITH_AS(h.add_range(scores, "csat", cxm::throw_on_invalid), "csat: score 2.5 is not a whole number",
                         cxm::invalid_event);
    cxm::rejection_counts counts;
    cxm::score_histogram skipped(cxm::score_scale{1, high}, "csat");
    CHECK(skipped.add_range(scores, "csat", cxm::skip_invalid{counts}) == 3);  // 1, 3, 3
    CHECK(counts[cxm::rejection_reason::score_not_whole] == 2);                // 2.5, NaN
    CHECK(counts[cxm::rejection_reason::score_out_of_scale] == 1);             // 0
    CHECK(skipped.answers(0) == 1);
    CHECK(skipped.answers(2) == 2);
    CHECK(skipped.summary().n == 3);
  }
  // Floats, and every short length: the same as one add per element.
  std::mt19937_64 rng(5);
  for (std::size_t length = 0; length < 10; ++length) {
    std::vector<float> scores(length);
    for (auto& s : scores) s = static_cast<float>(1 + rng() % 5);
    cxm::score_histogram bulk(cxm::score_scale{1, 5}, "csat"), one_by_one(cxm::score_scale{1, 5}, "csat");
    CHECK(bulk.add_range(scores, "csat", cxm::throw_on_invalid) == length);
    for (const float s : scores) one_by_one.add(s, "csat", cxm::throw_on_invalid);
    CHECK(bulk == one_by_one);
  }
}

TEST_CASE("score_histogram add_count equals that many single adds, state for state") {
  cxm::score_histogram counted(cxm::score_scale{1, 5}, "csat"), single(cxm::score_scale{1, 5}, "csat");
  CHECK(counted.add_count(4, 3, "csat", cxm::throw_on_invalid));
  CHECK(counted.add_count(5.0, 2, "csat", cxm::throw_on_invalid));
  CHECK(counted.add_count(1, 0, "csat", cxm::throw_on_invalid));  // nothing, but a valid score
  for (const int s : {4, 4, 4, 5, 5}) single.add(s, "csat", cxm::throw_on_invalid);
  CHECK(counted == single);
  CHECK(counted.summary().n == 5);
  CHECK_FALSE(counted.summary().weighted);

  cxm::rejection_counts counts;
  CHECK_FALSE(counted.add_count(6, 10, "csat", cxm::skip_invalid{counts}));
  CHECK_FALSE(counted.add_count(4.5, 10, "csat", cxm::skip_invalid{counts}));
  CHECK(counts[cxm::rejection_reason::score_out_of_scale] == 1);
  CHECK(counts[cxm::rejection_reason::score_not_whole] == 1);
  CHECK(counted == single);
}

TEST_CASE("score_histogram add_count refuses to overflow the 64-bit count of answers") {
  constexpr std::uint64_t max = std::numeric_limits<std::uint64_t>::max();
  cxm::score_histogram h(cxm::score_scale{1, 5}, "csat");
  h.add(2, 1.0, "csat", cxm::throw_on_invalid);  // one weighted answer counts too
  CHECK(h.add_count(1, max - 2, "csat", cxm::throw_on_invalid));
  CHECK(h.add_count(3, 1, "csat", cxm::throw_on_invalid));  // n = 2^64 − 1 exactly
  const auto full = h;
  CHECK_THROWS_WITH_AS(h.add_count(3, 1, "csat", cxm::throw_on_invalid),
                       "csat: 1 more answers overflow the 64-bit count of answers", std::overflow_error);
  CHECK(h == full);
  CHECK(h.add_count(3, 0, "csat", cxm::throw_on_invalid));
  CHECK(h.answers(0) == max - 2);
}

TEST_CASE("score_histogram merge adds counts and weights; different scales throw") {
  cxm::score_histogram a(cxm::score_scale{1, 5}, "csat");
  a.add(1, "csat", cxm::throw_on_invalid);
  a.add(5, 2.5, "csat", cxm::throw_on_invalid);
  cxm::score_histogram b(cxm::score_scale{1, 5}, "csat");
  b.add(5, "csat", cxm::throw_on_invalid);
  b.add(5, 0.5, "csat", cxm::throw_on_invalid);
  a.merge(b, "csat");
  CHECK(a.answers(0) == 1);
  CHECK(a.answers(4) == 3);
  CHECK(a.weight(4) == 4.0);  // 2.5 + 1 + 0.5
  // Σw² = 2.5² + 0.5² (weighted) + 2 (unit answers) = 6.25 + 0.25 + 2 = 8.5; Σw = 5; Kish 25/8.5.
  CXM_CHECK_CLOSE(a.summary().effective_n, 25.0 / 8.5);

  cxm::score_histogram other_scale(cxm::score_scale{0, 10}, "csat");
  const auto before = a;
  CHECK_THROWS_WITH_AS(a.merge(other_scale, "csat"), "csat: cannot merge states on different scales (1..5 and 0..10)",
                       std::invalid_argument);
  CHECK(a == before);
}

TEST_CASE("score_histogram save writes the scale, n, the bins and the squared weights; load reads them back") {
  cxm::score_histogram h(cxm::score_scale{-1, 1}, "h");
  h.add(-1, "h", cxm::throw_on_invalid);
  h.add(1, 3.0, "h", cxm::throw_on_invalid);
  cxm::io::writer w;
  h.save(w);
  // 4 + 4 + 8 + 3 bins · 32 + 16 = 128 bytes.
  REQUIRE(w.size() == 128);
  const auto expected = histogram_image(-1, 1, 2, {{1, 0, 0.0, 0.0}, {0, 0, 0.0, 0.0}, {0, 1, 3.0, 0.0}}, 9.0);
  CHECK(w.bytes() == expected);
  cxm::io::reader r(w.bytes());
  const auto loaded = cxm::score_histogram::load(r, "h");
  CHECK(loaded == h);
  CHECK(r.remaining() == 0);
}

TEST_CASE("score_histogram load names the failed check") {
  SUBCASE("counts that do not add up to n") {
    auto bins = unit_bins(11, 1);
    bins[4].unit = 2;  // 10 · 1 + 2 = 12 answers, but n says 11
    CHECK(load_message(histogram_image(0, 10, 11, bins)) == "nps: counts sum to 12, n = 11");
    CHECK(load_message(histogram_image(0, 10, 12, bins)) == "loaded");
  }
  SUBCASE("weighted answers count towards n too") {
    auto bins = unit_bins(11, 0);
    bins[9] = {1, 2, 1.5, 0.0};  // 1 + 2 = 3 answers
    CHECK(load_message(histogram_image(0, 10, 3, bins, 1.25)) == "loaded");
    CHECK(load_message(histogram_image(0, 10, 1, bins, 1.25)) == "nps: counts sum to 3, n = 1");
  }
  SUBCASE("a scale with one score or too many") {
    CHECK(load_message(histogram_image(5, 5, 0, unit_bins(1, 0))) ==
          "nps: a scale needs at least two scores, got 5..5");
    CHECK(load_message(histogram_image(0, 2000, 0, {})) == "nps: scale 0..2000 has more than 1001 points");
    CHECK(load_message(histogram_image(INT_MIN, INT_MAX, 0, {})) ==
          "nps: scale -2147483648..2147483647 has more than 1001 points");
  }
  SUBCASE("a scale whose bins cannot fit in the bytes that remain, before allocating them") {
    // After low, high and n: 2 bins (64 bytes) + squared weights (16 bytes) = 80 bytes remain.
    CHECK(load_message(histogram_image(0, 1000, 0, unit_bins(2, 0))) ==
          "truncated: nps: 1001 scores need 32032 bytes, 80 remain");
  }
  SUBCASE("negative or unexplained weight sums") {
    auto bins = unit_bins(11, 0);
    bins[3] = {0, 1, -1.0, 0.0};
    CHECK(load_message(histogram_image(0, 10, 1, bins, 1.0)) == "nps: weight sum is negative or not finite");
    bins[3] = {0, 1, 1.0, -2.0};  // sum + compensation = −1
    CHECK(load_message(histogram_image(0, 10, 1, bins, 1.0)) == "nps: weight sum is negative or not finite");
    bins[3] = {0, 1, 1e308, 1e308};  // each finite, their sum overflows to +inf
    CHECK(load_message(histogram_image(0, 10, 1, bins, 1.0)) == "nps: weight sum is negative or not finite");
    bins[3] = {1, 0, 2.0, 0.0};
    CHECK(load_message(histogram_image(0, 10, 1, bins)) == "nps: weight sum without weighted answers");
    bins[3] = {0, 1, 2.0, 0.0};
    CHECK(load_message(histogram_image(0, 10, 1, bins, -4.0)) ==
          "nps: sum of squared weights is negative or not finite");
    bins[3] = {0, 1, std::numeric_limits<double>::quiet_NaN(), 0.0};
    CHECK(load_message(histogram_image(0, 10, 1, bins, 1.0)) == "compensated_sum: sum is not finite");
  }
  SUBCASE("a sum of squared weights that no set of weights could give") {
    // For k weighted answers, Cauchy–Schwarz bounds Σw² between (Σw)²/k and (Σw)².
    auto bins = unit_bins(11, 0);
    bins[2] = {0, 1, 3.0, 0.0};  // one answer of weight 3: Σw² must be 9
    bins[8] = {0, 1, 1.0, 0.0};  // and one of weight 1: now k = 2, Σw = 4, so 8 <= Σw² <= 16
    CHECK(load_message(histogram_image(0, 10, 2, bins, 10.0)) == "loaded");  // 3² + 1² = 10
    CHECK(load_message(histogram_image(0, 10, 2, bins, 8.0)) == "loaded");   // the lower bound itself
    CHECK(load_message(histogram_image(0, 10, 2, bins, 7.5)) ==
          "nps: sum of squared weights is inconsistent with the weights");
    CHECK(load_message(histogram_image(0, 10, 2, bins, 16.5)) ==
          "nps: sum of squared weights is inconsistent with the weights");
    // Squared weights without any weighted answer.
    CHECK(load_message(histogram_image(0, 10, 11, unit_bins(11, 1), 1.0)) ==
          "nps: sum of squared weights is inconsistent with the weights");
  }
  SUBCASE("counts whose sum overflows 64 bits") {
    auto bins = unit_bins(2, 0);
    bins[0].unit = std::numeric_limits<std::uint64_t>::max();
    bins[1].unit = 1;  // the sum wraps to 0, which would match n = 0 without the overflow check
    CHECK(load_message(histogram_image(1, 2, 0, bins)) == "nps: counts overflow 64 bits");
  }
  SUBCASE("a truncated image") {
    CHECK(load_message(histogram_image(1, 2, 0, unit_bins(2, 0), 0.0, false)) ==
          "truncated: compensated_sum: sum needs 8 bytes, 0 remain");
    CHECK(load_message({}) == "truncated: nps: scale low needs 4 bytes, 0 remain");
  }
}
