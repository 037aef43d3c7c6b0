// moments: Welford/West one-pass update, Chan's pairwise merge, weights and Kish's effective n,
// edge cases, the bad-input policy, save/load and the accumulator invariants.

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

#include "cxm/core/error.hpp"
#include "cxm/core/invalid_input.hpp"
#include "cxm/core/moments.hpp"
#include "cxm/io/reader.hpp"
#include "cxm/io/writer.hpp"
#include "support/invariants.hpp"

namespace {

constexpr double inf = std::numeric_limits<double>::infinity();
constexpr double not_a_number = std::numeric_limits<double>::quiet_NaN();

/// The textbook two-pass computation in long double: an independent reference for the one-pass code.
struct two_pass {
  long double total_weight = 0;
  long double effective_n = 0;
  long double mean = 0;
  long double population_variance = 0;
  long double sample_variance = 0;
};

two_pass reference(const std::vector<double>& xs, const std::vector<double>& ws) {
  long double w = 0, wx = 0, w2 = 0;
  for (std::size_t i = 0; i < xs.size(); ++i) {
    w += ws[i];
    wx += static_cast<long double>(ws[i]) * xs[i];
    w2 += static_cast<long double>(ws[i]) * ws[i];
  }
  two_pass out;
  out.total_weight = w;
  out.mean = wx / w;
  long double m2 = 0;
  for (std::size_t i = 0; i < xs.size(); ++i) {
    const long double d = xs[i] - out.mean;
    m2 += ws[i] * d * d;
  }
  out.population_variance = m2 / w;
  out.effective_n = w * w / w2;
  out.sample_variance = out.population_variance * out.effective_n / (out.effective_n - 1);
  return out;
}

void check_against_reference(const cxm::moments_result& r, const two_pass& ref) {
  CXM_CHECK_CLOSE(r.total_weight, static_cast<double>(ref.total_weight));
  CXM_CHECK_CLOSE(r.effective_n, static_cast<double>(ref.effective_n));
  CXM_CHECK_CLOSE(r.mean, static_cast<double>(ref.mean));
  CXM_CHECK_CLOSE(r.population_variance, static_cast<double>(ref.population_variance));
  CXM_CHECK_CLOSE(r.sample_variance, static_cast<double>(ref.sample_variance));
}

}  // namespace

TEST_CASE("moments of 2 4 4 4 5 5 7 9: mean 5, population variance 4, sample variance 32/7") {
  // Σx = 40, mean 5; Σ(x − 5)² = 9 + 1 + 1 + 1 + 0 + 0 + 4 + 16 = 32; 32/8 = 4; 32/7.
  cxm::moments m;
  for (const double x : {2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0}) m.add(x);
  const auto r = m.result();
  CHECK(r.n == 8);
  CHECK(r.total_weight == 8.0);
  CHECK(r.effective_n == 8.0);
  CXM_CHECK_CLOSE(r.mean, 5.0);
  CXM_CHECK_CLOSE(r.population_variance, 4.0);
  CXM_CHECK_CLOSE(r.sample_variance, 32.0 / 7.0);
  CHECK_FALSE(r.empty());
}

TEST_CASE("moments of 100000 values far from zero stay accurate where the textbook formula fails") {
  // Values around 1e6 with standard deviation 3: the condition number mean²/variance is about 1e11,
  // so the one-pass textbook formula Σx²/n − mean² loses about 11 of its 16 digits (measured: a relative
  // error of 1e-3). Welford's update keeps a relative error of order n·ε on the variance (measured
  // about 1e-11; bound used here 1e-9), and the mean to a few ulps.
  std::mt19937_64 rng(11);
  std::normal_distribution<double> dist(1e6, 3.0);
  std::vector<double> xs(100'000);
  for (auto& x : xs) x = dist(rng);
  const std::vector<double> ones(xs.size(), 1.0);
  const auto ref = reference(xs, ones);
  cxm::moments m;
  double sum = 0, sum_squares = 0;
  for (const double x : xs) {
    m.add(x);
    sum += x;
    sum_squares += x * x;
  }
  const double n = static_cast<double>(xs.size());
  const double textbook_variance = sum_squares / n - (sum / n) * (sum / n);
  auto relative_error = [](double value, long double exact) {
    return static_cast<double>(std::fabs((static_cast<long double>(value) - exact) / exact));
  };
  const auto r = m.result();
  CHECK(r.n == xs.size());
  CHECK(relative_error(r.mean, ref.mean) < 1e-14);
  CHECK(relative_error(r.population_variance, ref.population_variance) < 1e-9);
  CHECK(relative_error(r.sample_variance, ref.sample_variance) < 1e-9);
  CHECK(relative_error(textbook_variance, ref.population_variance) > 1e-6);  // the contrast is real
}

TEST_CASE("moments merge by Chan's formula equals one pass") {
  std::mt19937_64 rng(12);
  std::normal_distribution<double> dist(250.0, 40.0);
  std::vector<double> xs(30'000);
  for (auto& x : xs) x = dist(rng);
  const std::vector<double> ones(xs.size(), 1.0);
  const auto ref = reference(xs, ones);

  // Uneven parts (1, 99, 9900, 20000), merged in two different orders.
  const std::vector<std::pair<std::size_t, std::size_t>> cuts{{0, 1}, {1, 100}, {100, 10'000}, {10'000, 30'000}};
  std::vector<cxm::moments> parts;
  for (const auto& [begin, end] : cuts) {
    cxm::moments part;
    for (std::size_t i = begin; i < end; ++i) part.add(xs[i]);
    parts.push_back(part);
  }
  cxm::moments forward;
  for (const auto& p : parts) forward.merge(p);
  cxm::moments backward;
  for (auto it = parts.rbegin(); it != parts.rend(); ++it) backward.merge(*it);
  CHECK(forward.result().n == 30'000);
  check_against_reference(forward.result(), ref);
  check_against_reference(backward.result(), ref);
}

TEST_CASE("weighted moments of 1 2 3 with weights 1 2 3") {
  // Σw = 6; mean = (1 + 4 + 9)/6 = 7/3.
  // Σw(x − 7/3)² = 1·16/9 + 2·1/9 + 3·4/9 = 30/9; population variance = (30/9)/6 = 5/9.
  // Kish: (Σw)²/Σw² = 36/14 = 18/7; sample variance = 5/9 · (18/7)/(11/7) = 10/11.
  cxm::moments m;
  m.add(1.0, 1.0);
  m.add(2.0, 2.0);
  m.add(3.0, 3.0);
  const auto r = m.result();
  CHECK(r.n == 3);
  CHECK(r.total_weight == 6.0);
  CXM_CHECK_CLOSE(r.effective_n, 18.0 / 7.0);
  CXM_CHECK_CLOSE(r.mean, 7.0 / 3.0);
  CXM_CHECK_CLOSE(r.population_variance, 5.0 / 9.0);
  CXM_CHECK_CLOSE(r.sample_variance, 10.0 / 11.0);
}

TEST_CASE("an integer weight gives the same mean and population variance as repeating the value") {
  cxm::moments weighted;
  weighted.add(10.0, 3.0);
  weighted.add(20.0, 1.0);
  cxm::moments repeated;
  for (const double x : {10.0, 10.0, 10.0, 20.0}) repeated.add(x);
  // mean (30 + 20)/4 = 12.5; population variance (3·2.5² + 7.5²)/4 = (18.75 + 56.25)/4 = 18.75.
  CXM_CHECK_CLOSE(weighted.result().mean, 12.5);
  CXM_CHECK_CLOSE(repeated.result().mean, 12.5);
  CXM_CHECK_CLOSE(weighted.result().population_variance, 18.75);
  CXM_CHECK_CLOSE(repeated.result().population_variance, 18.75);
  // ...but not the same evidence: Kish's n is 16/10 = 1.6 for the weights 3, 1, against 4 for repetition.
  CXM_CHECK_CLOSE(weighted.result().effective_n, 1.6);
  CHECK(repeated.result().effective_n == 4.0);
  CHECK(weighted.result().n == 2);
}

TEST_CASE("Kish's effective n of weights 1 1 2 4 is 64/22") {
  // (Σw)² / Σw² = (1 + 1 + 2 + 4)² / (1 + 1 + 4 + 16) = 64/22 = 32/11.
  cxm::moments m;
  m.add(5.0, 1.0);
  m.add(6.0, 1.0);
  m.add(7.0, 2.0);
  m.add(8.0, 4.0);
  CXM_CHECK_CLOSE(m.result().effective_n, 32.0 / 11.0);
  CHECK(m.result().total_weight == 8.0);
}

TEST_CASE("weighted moments agree with a two-pass long double computation, one pass and merged") {
  std::mt19937_64 rng(13);
  std::uniform_real_distribution<double> value(-500.0, 1500.0);
  std::uniform_real_distribution<double> weight(0.0, 5.0);
  std::vector<double> xs(20'000), ws(20'000);
  for (std::size_t i = 0; i < xs.size(); ++i) {
    xs[i] = value(rng);
    ws[i] = weight(rng);
  }
  const auto ref = reference(xs, ws);
  cxm::moments whole;
  std::vector<cxm::moments> parts(7);
  for (std::size_t i = 0; i < xs.size(); ++i) {
    whole.add(xs[i], ws[i]);
    parts[(i * i) % parts.size()].add(xs[i], ws[i]);
  }
  cxm::moments merged;
  for (const auto& p : parts) merged.merge(p);
  check_against_reference(whole.result(), ref);
  check_against_reference(merged.result(), ref);
  CHECK(merged.result().n == 20'000);
}

TEST_CASE("moments with no values report n = 0 and NaN moments") {
  const auto r = cxm::moments{}.result();
  CHECK(r.n == 0);
  CHECK(r.total_weight == 0.0);
  CHECK(r.effective_n == 0.0);
  CHECK(std::isnan(r.mean));
  CHECK(std::isnan(r.population_variance));
  CHECK(std::isnan(r.sample_variance));
  CHECK(r.empty());
}

TEST_CASE("moments of one value: mean is the value, population variance 0, sample variance NaN") {
  cxm::moments m;
  m.add(-3.5);
  const auto r = m.result();
  CHECK(r.n == 1);
  CHECK(r.mean == -3.5);
  CHECK(r.population_variance == 0.0);
  CHECK(std::isnan(r.sample_variance));  // n_eff = 1: no sample variance (÷ 0)
  CHECK(r.effective_n == 1.0);
  CHECK_FALSE(r.empty());
}

TEST_CASE("moments of zero-weight values count them but stay empty") {
  cxm::moments m;
  m.add(4.0, 0.0);
  m.add(9.0, 0.0);
  const auto r = m.result();
  CHECK(r.n == 2);
  CHECK(r.total_weight == 0.0);
  CHECK(r.empty());
  CHECK(std::isnan(r.mean));
  CHECK(std::isnan(r.population_variance));
  // A zero weight adds nothing to the moments: 1 (weight 1) with 4 and 9 (weight 0) has mean 1, variance 0.
  m.add(1.0, 1.0);
  CHECK(m.result().mean == 1.0);
  CHECK(m.result().population_variance == 0.0);
  CHECK(m.result().n == 3);
}

TEST_CASE("moments merge with an empty state on either side is the identity") {
  cxm::moments m;
  m.add(1.0, 2.0);
  m.add(4.0, 0.5);
  cxm::moments left;
  left.merge(m);
  CHECK(left == m);
  cxm::moments right = m;
  right.merge(cxm::moments{});
  CHECK(right == m);
}

TEST_CASE("moments reject a NaN or infinite value with invalid_event naming the field") {
  cxm::moments m;
  m.add(2.0);
  const cxm::moments before = m;
  CHECK_THROWS_WITH_AS(m.add(not_a_number), "moments: value nan is not finite (allowed: a finite number >= -inf)",
                       cxm::invalid_event);
  CHECK_THROWS_WITH_AS(m.add(inf), "moments: value inf is not finite (allowed: a finite number >= -inf)",
                       cxm::invalid_event);
  CHECK_THROWS_WITH_AS(m.add(-inf, 2.0), "moments: value -inf is not finite (allowed: a finite number >= -inf)",
                       cxm::invalid_event);
  CHECK_THROWS_WITH_AS(m.add(1.0, inf), "moments: weight inf is not finite (allowed: a finite number >= 0)",
                       cxm::invalid_event);
  CHECK_THROWS_WITH_AS(m.add(1.0, not_a_number), "moments: weight nan is not finite (allowed: a finite number >= 0)",
                       cxm::invalid_event);
  CHECK_THROWS_WITH_AS(m.add(1.0, -0.5), "moments: weight -0.5 is negative (allowed: a finite number >= 0)",
                       cxm::invalid_event);
  CHECK_THROWS_AS(m.add(not_a_number), std::invalid_argument);  // invalid_event is an invalid_argument
  CHECK(m == before);                                   // nothing was folded in
}

TEST_CASE("moments with the skip policy count rejections by reason and fold in only valid values") {
  cxm::rejection_counts counts;
  cxm::moments m;
  CHECK(m.add(1.0, 1.0, cxm::skip_invalid{counts}));
  CHECK_FALSE(m.add(not_a_number, 1.0, cxm::skip_invalid{counts}));
  CHECK_FALSE(m.add(inf, 1.0, cxm::skip_invalid{counts}));
  CHECK_FALSE(m.add(2.0, -inf, cxm::skip_invalid{counts}));
  CHECK_FALSE(m.add(2.0, -1.0, cxm::skip_invalid{counts}));
  CHECK_FALSE(m.add(2.0, -1e-300, cxm::skip_invalid{counts}));
  CHECK(m.add(3.0, 1.0, cxm::skip_invalid{counts}));
  CHECK(counts[cxm::rejection_reason::amount_not_finite] == 2);
  CHECK(counts[cxm::rejection_reason::weight_not_finite] == 1);
  CHECK(counts[cxm::rejection_reason::weight_negative] == 2);
  CHECK(counts.total() == 5);
  // Only 1 and 3 were folded in: mean 2, population variance 1.
  CHECK(m.result().n == 2);
  CHECK(m.result().mean == 2.0);
  CHECK(m.result().population_variance == 1.0);
}

TEST_CASE("a NaN value is reported before a bad weight: one rejection per observation") {
  cxm::rejection_counts counts;
  cxm::moments m;
  CHECK_FALSE(m.add(not_a_number, -1.0, cxm::skip_invalid{counts}));
  CHECK(counts.total() == 1);
  CHECK(counts[cxm::rejection_reason::amount_not_finite] == 1);
}

TEST_CASE("moments save five fields and load them back") {
  cxm::moments m;
  m.add(1.0, 1.0);
  m.add(3.0, 3.0);
  // n 2, Σw 4, Σw² 10, mean (1 + 9)/4 = 2.5, M2 = 1·1.5² + 3·0.5² = 2.25 + 0.75 = 3.
  cxm::io::writer w;
  m.save(w);
  REQUIRE(w.size() == 40);
  cxm::io::reader fields(w.bytes());
  CHECK(fields.u64("n") == 2);
  CHECK(fields.f64("weight") == 4.0);
  CHECK(fields.f64("weight squares") == 10.0);
  CHECK(fields.f64("mean") == 2.5);
  CHECK(fields.f64("m2") == 3.0);
  cxm::io::reader r(w.bytes());
  CHECK(cxm::moments::load(r) == m);
}

TEST_CASE("moments load rejects negative weights, a negative M2, NaN and moments without values") {
  auto image = [](std::uint64_t n, double weight, double squares, double mean, double m2) {
    cxm::io::writer w;
    w.u64(n);
    w.f64(weight);
    w.f64(squares);
    w.f64(mean);
    w.f64(m2);
    return std::move(w).bytes();
  };
  auto load_message = [](const std::vector<std::byte>& bytes) {
    cxm::io::reader r(bytes);
    try {
      (void)cxm::moments::load(r);
    } catch (const cxm::format_error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK(load_message(image(1, -1.0, 1.0, 0.0, 0.0)) == "moments: total weight is negative (-1.000000)");
  CHECK(load_message(image(1, 1.0, -2.0, 0.0, 0.0)) == "moments: sum of squared weights is negative (-2.000000)");
  CHECK(load_message(image(1, 1.0, 1.0, not_a_number, 0.0)) == "moments: mean is not finite");
  CHECK(load_message(image(2, 2.0, 2.0, 0.0, -0.5)) == "moments: M2 is negative (-0.500000)");
  CHECK(load_message(image(0, 0.0, 0.0, 7.0, 0.0)) == "moments: n = 0 but the moments are not zero");
  CHECK(load_message(image(0, 0.0, 0.0, 0.0, 0.0)) == "no error");
  CHECK(load_message(image(2, 2.0, 2.0, 1.5, 0.5)) == "no error");
}

TEST_CASE("unweighted moments keep the accumulator invariants") {
  auto draw = [](std::mt19937_64& rng) { return std::uniform_real_distribution<double>(0.0, 100.0)(rng); };
  auto same = [](const cxm::moments_result& a, const cxm::moments_result& b) {
    CHECK(a.n == b.n);
    CXM_CHECK_CLOSE(a.total_weight, b.total_weight);
    CXM_CHECK_CLOSE(a.effective_n, b.effective_n);
    CXM_CHECK_CLOSE(a.mean, b.mean);
    CXM_CHECK_CLOSE(a.population_variance, b.population_variance);
    CXM_CHECK_CLOSE(a.sample_variance, b.sample_variance);
  };
  cxm::test::check_invariants<cxm::moments>([] { return cxm::moments{}; }, draw, same);
}

TEST_CASE("weighted moments keep the accumulator invariants") {
  // Weights include 0 (a value that counts in n only) and fractions.
  auto draw = [](std::mt19937_64& rng) {
    constexpr double weights[] = {0.0, 0.25, 1.0, 1.5, 3.0};
    return std::pair<double, double>{std::uniform_real_distribution<double>(0.0, 100.0)(rng), weights[rng() % 5]};
  };
  auto feed = [](cxm::moments& m, const std::pair<double, double>& xw) { m.add(xw.first, xw.second); };
  auto same = [](const cxm::moments_result& a, const cxm::moments_result& b) {
    CHECK(a.n == b.n);
    CXM_CHECK_CLOSE(a.total_weight, b.total_weight);
    CXM_CHECK_CLOSE(a.effective_n, b.effective_n);
    CXM_CHECK_CLOSE(a.mean, b.mean);
    CXM_CHECK_CLOSE(a.population_variance, b.population_variance);
    CXM_CHECK_CLOSE(a.sample_variance, b.sample_variance);
  };
  cxm::test::check_invariants<cxm::moments>([] { return cxm::moments{}; }, draw, feed, same);
}
