// Tests for cxm::nps (include/cxm/survey/nps.hpp).

#include "cxm/survey/nps.hpp"

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <list>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <doctest/doctest.h>
#include <range/v3/view/filter.hpp>
#include <range/v3/view/istream.hpp>

#include "cxm/core/error.hpp"
#include "cxm/core/invalid_input.hpp"
#include "cxm/io/state.hpp"
#include "cxm/survey/csat.hpp"
#include "support/invariants.hpp"
#include "support/same_results.hpp"

static_assert(cxm::accumulator<cxm::nps, int>);

namespace {

#define NPS_CHECK_NEAR(a, b, tol) \
  CHECK_MESSAGE(std::abs((a) - (b)) <= (tol), #a " = ", (a), ", expected ", (b), " within ", (tol))

constexpr double not_a_number = std::numeric_limits<double>::quiet_NaN();
constexpr double inf = std::numeric_limits<double>::infinity();

cxm::nps repeated(int promoters, int passives, int detractors) {
  cxm::nps acc;
  for (int i = 0; i < promoters; ++i) acc.add(9 + i % 2);     // 9, 10, 9, ...
  for (int i = 0; i < passives; ++i) acc.add(7 + i % 2);      // 7, 8, 7, ...
  for (int i = 0; i < detractors; ++i) acc.add(i % 7);        // 0..6
  return acc;
}

std::string message_of_add(int score) {
  cxm::nps acc;
  try {
    acc.add(score);
  } catch (const cxm::invalid_event& e) {
    return e.what();
  }
  return "(no exception)";
}

std::string message_of_weighted_add(int score, double weight) {
  cxm::nps acc;
  try {
    acc.add(score, weight);
  } catch (const cxm::invalid_event& e) {
    return e.what();
  }
  return "(no exception)";
}

// Writes v little-endian at `at` and recomputes the trailing CRC-32, as a forger would.
void poke_u64(std::vector<std::byte>& image, std::size_t at, std::uint64_t v) {
  for (std::size_t b = 0; b < 8; ++b) image[at + b] = static_cast<std::byte>(static_cast<std::uint8_t>(v >> (8 * b)));
}
void poke_i32(std::vector<std::byte>& image, std::size_t at, std::int32_t v) {
  const auto u = static_cast<std::uint32_t>(v);
  for (std::size_t b = 0; b < 4; ++b) image[at + b] = static_cast<std::byte>(static_cast<std::uint8_t>(u >> (8 * b)));
}
void reseal(std::vector<std::byte>& image) {
  const std::size_t end = image.size() - cxm::io::state_trailer_size;
  const auto crc = cxm::io::crc32(std::span(image).first(end));
  for (std::size_t b = 0; b < 4; ++b) image[end + b] = static_cast<std::byte>(static_cast<std::uint8_t>(crc >> (8 * b)));
}

std::string load_error(const std::vector<std::byte>& image) {
  try {
    (void)cxm::io::load_state<cxm::nps>(image);
  } catch (const cxm::format_error& e) {
    return e.what();
  }
  return "(no exception)";
}

}  // namespace

TEST_CASE("NPS counts 0 as a detractor") {
  cxm::nps acc;
  acc.add(0);
  const auto r = acc.result();
  CHECK(r.n == 1);
  CHECK(r.detractors == 1);
  CHECK(r.passives == 0);
  CHECK(r.promoters == 0);
  CHECK(r.score == -100.0);
}

TEST_CASE("NPS classes 0-6 as detractors, 7-8 as passives and 9-10 as promoters") {
  for (int score = 0; score <= 10; ++score) {
    CAPTURE(score);
    cxm::nps acc;
    acc.add(score);
    const auto r = acc.result();
    CHECK(r.detractors == (score <= 6 ? 1u : 0u));
    CHECK(r.passives == (score == 7 || score == 8 ? 1u : 0u));
    CHECK(r.promoters == (score >= 9 ? 1u : 0u));
    // One answer: net is +1, 0 or -1.
    CHECK(r.net == (score >= 9 ? 1.0 : score >= 7 ? 0.0 : -1.0));
    REQUIRE(r.distribution.size() == 11);
    for (int s = 0; s <= 10; ++s) {
      CHECK(r.distribution[static_cast<std::size_t>(s)].score == s);
      CHECK(r.distribution[static_cast<std::size_t>(s)].answers == (s == score ? 1u : 0u));
    }
  }
}

TEST_CASE("NPS of 250 promoters, 675 passives and 75 detractors is 17.5 with SE 0.017157 (REFERENCE.md)") {
  const auto r = repeated(250, 675, 75).result();
  CHECK(r.n == 1000);
  CHECK(r.promoters == 250);
  CHECK(r.passives == 675);
  CHECK(r.detractors == 75);
  CHECK_FALSE(r.weighted);
  CHECK(r.total_weight == 1000.0);
  CHECK(r.effective_n == 1000.0);
  CHECK(r.promoter_share == 0.25);
  CXM_CHECK_CLOSE(r.passive_share, 0.675);
  CXM_CHECK_CLOSE(r.detractor_share, 0.075);
  // 0.25 − 0.075 = 0.175; score 17.5.
  CXM_CHECK_CLOSE(r.net, 0.175);
  CXM_CHECK_CLOSE(r.score, 17.5);
  // σ² = p_P + p_D − (p_P − p_D)² = 0.25 + 0.075 − 0.175² = 0.325 − 0.030625 = 0.294375.
  CXM_CHECK_CLOSE(r.variance, 0.294375);
  // SE = √(0.294375 / 1000) = 0.0171574 (REFERENCE.md: 0.017157, tol 1e−6).
  NPS_CHECK_NEAR(r.standard_error, 0.017157, 1e-6);
  CHECK(r.distribution[9].answers + r.distribution[10].answers == 250);
}

TEST_CASE("NPS shares sum to one and the variance follows Rocks 2016 on a skewed sample") {
  // 3 promoters, 1 passive, 6 detractors: p_P = 0.3, p_D = 0.6, net = −0.3,
  // σ² = 0.3 + 0.6 − 0.09 = 0.81, SE = √(0.81/10) = 0.284605.
  const auto r = repeated(3, 1, 6).result();
  CXM_CHECK_CLOSE(r.promoter_share + r.passive_share + r.detractor_share, 1.0);
  CXM_CHECK_CLOSE(r.net, -0.3);
  CXM_CHECK_CLOSE(r.score, -30.0);
  CXM_CHECK_CLOSE(r.variance, 0.81);
  NPS_CHECK_NEAR(r.standard_error, 0.284605, 1e-6);
}

TEST_CASE("An empty NPS has n = 0 and NaN shares, net, score and standard error") {
  const auto r = cxm::nps{}.result();
  CHECK(r.empty());
  CHECK(r.n == 0);
  CHECK(r.promoters == 0);
  CHECK(r.passives == 0);
  CHECK(r.detractors == 0);
  CHECK(r.total_weight == 0.0);
  CHECK(r.effective_n == 0.0);
  CHECK(std::isnan(r.promoter_share));
  CHECK(std::isnan(r.passive_share));
  CHECK(std::isnan(r.detractor_share));
  CHECK(std::isnan(r.net));
  CHECK(std::isnan(r.score));
  CHECK(std::isnan(r.variance));
  CHECK(std::isnan(r.standard_error));
  REQUIRE(r.distribution.size() == 11);
  for (const auto& c : r.distribution) {
    CHECK(c.answers == 0);
    CHECK(std::isnan(c.share));
  }
}

TEST_CASE("An NPS of only zero-weight answers is empty although n counts them") {
  cxm::nps acc;
  acc.add(10, 0.0);
  acc.add(3, 0.0);
  const auto r = acc.result();
  CHECK(r.empty());
  CHECK(r.n == 2);
  CHECK(r.weighted);
  CHECK(std::isnan(r.net));
  CHECK(std::isnan(r.standard_error));
}

TEST_CASE("A single NPS answer gives net ±1 and a standard error of 0") {
  cxm::nps acc;
  acc.add(9);
  const auto r = acc.result();
  CHECK_FALSE(r.empty());
  CHECK(r.n == 1);
  CHECK(r.net == 1.0);
  CHECK(r.score == 100.0);
  // σ² = 1 + 0 − 1² = 0.
  CHECK(r.variance == 0.0);
  CHECK(r.standard_error == 0.0);
}

TEST_CASE("All promoters give NPS 100 with SE 0; all detractors give -100") {
  const auto promoters = repeated(40, 0, 0).result();
  CHECK(promoters.score == 100.0);
  CHECK(promoters.net == 1.0);
  CHECK(promoters.variance == 0.0);
  CHECK(promoters.standard_error == 0.0);

  const auto detractors = repeated(0, 0, 40).result();
  CHECK(detractors.score == -100.0);
  CHECK(detractors.net == -1.0);
  CHECK(detractors.variance == 0.0);
  CHECK(detractors.standard_error == 0.0);

  const auto passives = repeated(0, 40, 0).result();
  CHECK(passives.score == 0.0);
  CHECK(passives.variance == 0.0);
}

TEST_CASE("NPS rejects a score outside 0..10 with a message naming the value and the scale") {
  CHECK(message_of_add(11) == "nps: score 11 is outside the scale 0..10");
  CHECK(message_of_add(-1) == "nps: score -1 is outside the scale 0..10");
  CHECK(message_of_add(std::numeric_limits<int>::min()) == "nps: score -2147483648 is outside the scale 0..10");
  CHECK(message_of_add(10) == "(no exception)");
  cxm::nps acc;
  CHECK_THROWS_AS(acc.add(11), std::invalid_argument);  // invalid_event is an invalid_argument
  CHECK(acc == cxm::nps{});
}

TEST_CASE("NPS rejects a NaN, infinite or negative weight with a message naming the weight") {
  CHECK(message_of_weighted_add(9, not_a_number) == "nps: weight nan is not finite (allowed: a finite number >= 0)");
  CHECK(message_of_weighted_add(9, inf) == "nps: weight inf is not finite (allowed: a finite number >= 0)");
  CHECK(message_of_weighted_add(9, -inf) == "nps: weight -inf is not finite (allowed: a finite number >= 0)");
  CHECK(message_of_weighted_add(9, -0.5) == "nps: weight -0.5 is negative (allowed: a finite number >= 0)");
  // The score is checked first.
  CHECK(message_of_weighted_add(12, -0.5) == "nps: score 12 is outside the scale 0..10");
  CHECK(message_of_weighted_add(9, 0.0) == "(no exception)");
}

TEST_CASE("NPS with skip_invalid folds nothing in, counts by reason and hands the rejection to the callback") {
  cxm::rejection_counts counts;
  std::vector<cxm::rejection> seen;
  cxm::skip_invalid skip{counts, [&seen](const cxm::rejection& r) { seen.push_back(r); }};
  cxm::nps acc;
  CHECK(acc.add(10, skip));
  CHECK_FALSE(acc.add(11, skip));
  CHECK_FALSE(acc.add(-3, 1.0, skip));
  CHECK_FALSE(acc.add(8, not_a_number, skip));
  CHECK_FALSE(acc.add(8, inf, skip));
  CHECK_FALSE(acc.add(8, -2.0, skip));
  CHECK(acc.add(8, 2.0, skip));

  cxm::nps expected;
  expected.add(10);
  expected.add(8, 2.0);
  CHECK(acc == expected);

  CHECK(counts.total() == 5);
  CHECK(counts[cxm::rejection_reason::score_out_of_scale] == 2);
  CHECK(counts[cxm::rejection_reason::weight_not_finite] == 2);
  CHECK(counts[cxm::rejection_reason::weight_negative] == 1);
  CHECK(counts.result()[cxm::rejection_reason::weight_negative] == 1);

  REQUIRE(seen.size() == 5);
  CHECK(seen[0].reason == cxm::rejection_reason::score_out_of_scale);
  CHECK(seen[0].metric == "nps");
  CHECK(seen[0].field == "score");
  CHECK(seen[0].value == 11.0);
  CHECK(seen[0].allowed_min == 0.0);
  CHECK(seen[0].allowed_max == 10.0);
  CHECK(seen[0].message() == "nps: score 11 is outside the scale 0..10");
  CHECK(seen[1].value == -3.0);
  CHECK(seen[2].reason == cxm::rejection_reason::weight_not_finite);
  CHECK(seen[2].field == "weight");
  CHECK(std::isnan(seen[2].value));
  CHECK(seen[2].allowed_min == 0.0);
  CHECK(seen[2].allowed_max == inf);
  CHECK(seen[3].value == inf);
  CHECK(seen[4].reason == cxm::rejection_reason::weight_negative);
  CHECK(seen[4].value == -2.0);
}

TEST_CASE("NPS bulk add of a vector, a range-v3 view or an input range equals one-at-a-time adds") {
  std::mt19937_64 rng(7);
  std::uniform_int_distribution<int> score(0, 10);
  std::vector<int> ints(500);
  for (auto& s : ints) s = score(rng);
  std::vector<std::uint8_t> bytes(ints.begin(), ints.end());

  cxm::nps one_at_a_time;
  for (const int s : ints) one_at_a_time.add(s);

  cxm::nps from_ints;
  CHECK(from_ints.add(ints) == ints.size());
  CHECK(from_ints == one_at_a_time);

  cxm::nps from_bytes;
  CHECK(from_bytes.add(bytes) == bytes.size());
  CHECK(from_bytes == one_at_a_time);

  auto even = [](int s) { return s % 2 == 0; };
  cxm::nps even_one_at_a_time;
  std::size_t even_count = 0;
  for (const int s : ints) {
    if (even(s)) {
      even_one_at_a_time.add(s);
      ++even_count;
    }
  }
  cxm::nps from_view;
  CHECK(from_view.add(ints | ranges::views::filter(even)) == even_count);
  CHECK(from_view == even_one_at_a_time);

  std::ostringstream text;
  for (const int s : ints) text << s << ' ';
  std::istringstream in(text.str());
  cxm::nps from_stream;
  CHECK(from_stream.add(ranges::istream<int>(in)) == ints.size());
  CHECK(from_stream == one_at_a_time);
}

TEST_CASE("NPS bulk add with a bad score throws and leaves the state unchanged") {
  cxm::nps acc;
  acc.add(std::vector<int>{10, 9, 3});
  const cxm::nps before = acc;
  CHECK_THROWS_WITH_AS(acc.add(std::vector<int>{10, 10, 11, 5}), "nps: score 11 is outside the scale 0..10",
                       cxm::invalid_event);
  CHECK(acc == before);
  CHECK_THROWS_AS(acc.add(std::vector<std::uint8_t>{1, 2, 200}), cxm::invalid_event);
  CHECK(acc == before);

  std::istringstream in("9 9 -4 9");
  CHECK_THROWS_AS(acc.add(ranges::istream<int>(in)), cxm::invalid_event);
  CHECK(acc == before);
}

TEST_CASE("NPS bulk add with skip_invalid counts every bad score and folds in the rest") {
  cxm::rejection_counts counts;
  std::vector<double> values;
  cxm::skip_invalid skip{counts, [&values](const cxm::rejection& r) { values.push_back(r.value); }};
  cxm::nps acc;
  CHECK(acc.add(std::vector<int>{5, 11, 3, -1, 12, 10}, skip) == 3);
  CHECK(counts[cxm::rejection_reason::score_out_of_scale] == 3);
  CHECK(counts.total() == 3);
  CHECK(values == std::vector<double>{11, -1, 12});

  cxm::nps expected;
  for (const int s : {5, 3, 10}) expected.add(s);
  CHECK(acc == expected);
}

TEST_CASE("Weighted NPS equals the shares of the weight sums, with Kish's effective n") {
  // Hand-worked: (10, w 2), (9, w 1), (7, w 1), (3, w 4). Σw = 8, Σw² = 4 + 1 + 1 + 16 = 22.
  // p_P = 3/8 = 0.375, p_0 = 1/8, p_D = 4/8 = 0.5, net = −0.125, σ² = 0.875 − 0.015625 = 0.859375,
  // n_eff = 64/22 = 2.909091, SE = √(0.859375/2.909091) = 0.543516.
  cxm::nps acc;
  acc.add(10, 2.0);
  acc.add(9, 1.0);
  acc.add(7, 1.0);
  acc.add(3, 4.0);
  const auto r = acc.result();
  CHECK(r.weighted);
  CHECK(r.n == 4);
  CHECK(r.promoters == 2);
  CHECK(r.passives == 1);
  CHECK(r.detractors == 1);
  CXM_CHECK_CLOSE(r.total_weight, 8.0);
  CXM_CHECK_CLOSE(r.promoter_share, 0.375);
  CXM_CHECK_CLOSE(r.passive_share, 0.125);
  CXM_CHECK_CLOSE(r.detractor_share, 0.5);
  CXM_CHECK_CLOSE(r.net, -0.125);
  CXM_CHECK_CLOSE(r.score, -12.5);
  CXM_CHECK_CLOSE(r.variance, 0.859375);
  CXM_CHECK_CLOSE(r.effective_n, 64.0 / 22.0);
  NPS_CHECK_NEAR(r.standard_error, 0.543516, 1e-6);
  CXM_CHECK_CLOSE(r.distribution[3].weight, 4.0);
  CXM_CHECK_CLOSE(r.distribution[3].share, 0.5);
}

TEST_CASE("Weighted NPS on a random stream equals an independent computation of the weight sums") {
  std::mt19937_64 rng(11);
  std::uniform_int_distribution<int> score(0, 10);
  std::uniform_real_distribution<double> weight(0.0, 4.0);
  cxm::nps acc;
  double promoter_w = 0, passive_w = 0, detractor_w = 0, squares = 0;
  std::uint64_t promoters = 0, passives = 0, detractors = 0;
  for (int i = 0; i < 1000; ++i) {
    const int s = score(rng);
    const double w = weight(rng);
    acc.add(s, w);
    squares += w * w;
    if (s >= 9) {
      promoter_w += w;
      ++promoters;
    } else if (s >= 7) {
      passive_w += w;
      ++passives;
    } else {
      detractor_w += w;
      ++detractors;
    }
  }
  const double total = promoter_w + passive_w + detractor_w;
  const double net = (promoter_w - detractor_w) / total;
  const double variance = (promoter_w + detractor_w) / total - net * net;
  const double effective_n = total * total / squares;
  const auto r = acc.result();
  CHECK(r.promoters == promoters);
  CHECK(r.passives == passives);
  CHECK(r.detractors == detractors);
  CHECK(std::abs(r.total_weight - total) <= 1e-9 * total);
  CHECK(std::abs(r.promoter_share - promoter_w / total) <= 1e-12);
  CHECK(std::abs(r.passive_share - passive_w / total) <= 1e-12);
  CHECK(std::abs(r.detractor_share - detractor_w / total) <= 1e-12);
  CHECK(std::abs(r.net - net) <= 1e-12);
  CHECK(std::abs(r.variance - variance) <= 1e-12);
  CHECK(std::abs(r.effective_n - effective_n) <= 1e-9 * effective_n);
  CHECK(std::abs(r.standard_error - std::sqrt(variance / effective_n)) <= 1e-12);
  CHECK(r.effective_n < 1000.0);  // unequal weights cost precision
}

TEST_CASE("An NPS answer with integer weight k equals k unweighted copies for the shares") {
  cxm::nps weighted;
  weighted.add(10, 3.0);
  weighted.add(6, 2.0);
  weighted.add(8, 1.0);
  cxm::nps copies;
  for (const int s : {10, 10, 10, 6, 6, 8}) copies.add(s);
  const auto w = weighted.result();
  const auto c = copies.result();
  CXM_CHECK_CLOSE(w.total_weight, c.total_weight);
  CXM_CHECK_CLOSE(w.promoter_share, c.promoter_share);
  CXM_CHECK_CLOSE(w.passive_share, c.passive_share);
  CXM_CHECK_CLOSE(w.detractor_share, c.detractor_share);
  CXM_CHECK_CLOSE(w.net, c.net);
  CXM_CHECK_CLOSE(w.variance, c.variance);
  for (std::size_t i = 0; i < 11; ++i) CXM_CHECK_CLOSE(w.distribution[i].share, c.distribution[i].share);
  // What differs: the answer counts and the effective n (36/14 = 2.571429 against 6).
  CHECK(w.n == 3);
  CHECK(c.n == 6);
  CXM_CHECK_CLOSE(w.effective_n, 36.0 / 14.0);
  CHECK(c.effective_n == 6.0);
}

TEST_CASE("NPS keeps the accumulator invariants on unweighted answers") {
  cxm::test::check_invariants<cxm::nps>(
      [] { return cxm::nps{}; }, [](std::mt19937_64& rng) { return std::uniform_int_distribution<int>(0, 10)(rng); },
      cxm::test::same_results, {.seed = 101});
}

TEST_CASE("NPS keeps the accumulator invariants on weighted answers") {
  using answer = std::pair<int, double>;
  cxm::test::check_invariants<cxm::nps>(
      [] { return cxm::nps{}; },
      [](std::mt19937_64& rng) {
        const int s = std::uniform_int_distribution<int>(0, 10)(rng);
        const double w = rng() % 10 == 0 ? 0.0 : std::uniform_real_distribution<double>(0.1, 5.0)(rng);
        return answer{s, w};
      },
      [](cxm::nps& acc, const answer& a) { acc.add(a.first, a.second); }, cxm::test::same_results, {.seed = 102});
}

TEST_CASE("NPS keeps the accumulator invariants on a mix of weighted and unweighted answers") {
  using answer = std::pair<int, std::optional<double>>;
  cxm::test::check_invariants<cxm::nps>(
      [] { return cxm::nps{}; },
      [](std::mt19937_64& rng) {
        const int s = std::uniform_int_distribution<int>(0, 10)(rng);
        if (rng() % 2 == 0) return answer{s, std::nullopt};
        return answer{s, std::uniform_real_distribution<double>(0.5, 2.0)(rng)};
      },
      [](cxm::nps& acc, const answer& a) {
        if (a.second) {
          acc.add(a.first, *a.second);
        } else {
          acc.add(a.first);
        }
      },
      cxm::test::same_results, {.seed = 103});
}

TEST_CASE("NPS refuses to load a CSAT image: the type tag is checked") {
  cxm::csat satisfaction;
  satisfaction.add(5);
  const auto image = cxm::io::save_state(satisfaction);
  const std::string message = [&] {
    try {
      (void)cxm::io::load_state<cxm::nps>(image);
    } catch (const cxm::format_error& e) {
      return std::string(e.what());
    }
    return std::string("(no exception)");
  }();
  // "type tag is 'csat', expected 'nps'": names the check and both tags.
  CHECK(message.find("type tag") != std::string::npos);
  CHECK(message.find("'csat'") != std::string::npos);
  CHECK(message.find("'nps") != std::string::npos);
}

TEST_CASE("NPS loading names the failed check for a corrupted count total behind a valid CRC") {
  cxm::nps acc;
  for (const int s : {10, 9, 7, 3, 0}) acc.add(s);
  auto image = cxm::io::save_state(acc);
  CHECK(cxm::io::load_state<cxm::nps>(image) == acc);
  // Payload (offset 18): i32 low, i32 high, u64 n (offset 26), then the bins.
  constexpr std::size_t n_at = cxm::io::state_header_size + 8;
  poke_u64(image, n_at, 6);
  reseal(image);
  CHECK(load_error(image) == "nps: counts sum to 5, n = 6");
}

TEST_CASE("NPS loading rejects a state saved on another scale") {
  cxm::nps acc;
  acc.add(4);
  auto image = cxm::io::save_state(acc);
  // Scale 0..10 becomes 1..11: a valid 11-point scale, but not the NPS scale.
  poke_i32(image, cxm::io::state_header_size, 1);
  poke_i32(image, cxm::io::state_header_size + 4, 11);
  reseal(image);
  CHECK(load_error(image) == "nps: scale is 1..11, expected 0..10");
  // A single-score scale is refused as such.
  poke_i32(image, cxm::io::state_header_size, 11);
  reseal(image);
  CHECK(load_error(image) == "nps: a scale needs at least two scores, got 11..11");
}

TEST_CASE("NPS bulk add over a single-pass range hands every invalid score to the policy") {
  // "5 11 3 -1 12 10": scores 5, 3 and 10 are valid; 11, -1 and 12 are each rejected with their value.
  std::istringstream text("5 11 3 -1 12 10");
  cxm::nps acc;
  cxm::rejection_counts counts;
  std::vector<double> values;
  const auto added = acc.add(ranges::istream_view<int>(text),
                             cxm::skip_invalid{counts, [&](const cxm::rejection& r) { values.push_back(r.value); }});
  CHECK(added == 3);
  CHECK(counts[cxm::rejection_reason::score_out_of_scale] == 3);
  CHECK(values == std::vector<double>{11, -1, 12});
  const auto r = acc.result();
  CHECK(r.n == 3);
  CHECK(r.promoters == 1);   // 10
  CHECK(r.detractors == 2);  // 5, 3
}

TEST_CASE("NPS bulk add equals one-at-a-time adds for every length and any range kind") {
  // Lengths 0..40 cover every remainder of the four-at-a-time loop; a std::list is not random access.
  std::mt19937_64 rng(7);
  for (std::size_t length = 0; length <= 40; ++length) {
    std::vector<std::uint8_t> scores(length);
    for (auto& s : scores) s = static_cast<std::uint8_t>(rng() % 11);
    cxm::nps one_by_one;
    for (const auto s : scores) one_by_one.add(s);
    cxm::nps from_vector;
    CHECK(from_vector.add(scores) == length);
    cxm::nps from_list;
    from_list.add(std::list<int>(scores.begin(), scores.end()));
    CHECK(from_vector == one_by_one);
    CHECK(from_list == one_by_one);
  }
}

namespace {
template <class T>
concept nps_accepts = requires(cxm::nps& acc, T score) { acc.add(score); };
}  // namespace

// A score is a number: bool and characters ('9' is 57) do not compile, nor do ranges of them.
static_assert(nps_accepts<int> && nps_accepts<std::uint8_t> && nps_accepts<std::int64_t> && nps_accepts<double> &&
              nps_accepts<float>);
static_assert(!nps_accepts<bool> && !nps_accepts<char> && !nps_accepts<char8_t>);
static_assert(nps_accepts<const std::vector<double>&> && nps_accepts<const std::vector<std::uint8_t>&>);
static_assert(!nps_accepts<const std::string&> && !nps_accepts<const std::vector<bool>&>);

TEST_CASE("NPS takes a floating-point score only when it is a whole number: 4.5 is rejected, never 4") {
  cxm::nps acc;
  acc.add(9.0);
  acc.add(3.0f, 2.0);
  const cxm::nps before = acc;
  CHECK_THROWS_WITH_AS(acc.add(4.5), "nps: score 4.5 is not a whole number", cxm::invalid_event);
  CHECK_THROWS_WITH_AS(acc.add(not_a_number), "nps: score nan is not a whole number", cxm::invalid_event);
  CHECK_THROWS_WITH_AS(acc.add(inf), "nps: score inf is not a whole number", cxm::invalid_event);
  CHECK_THROWS_WITH_AS(acc.add(-inf, 1.0), "nps: score -inf is not a whole number", cxm::invalid_event);
  CHECK_THROWS_WITH_AS(acc.add(11.0), "nps: score 11 is outside the scale 0..10", cxm::invalid_event);
  CHECK_THROWS_WITH_AS(acc.add(4'294'967'305.0), "nps: score 4294967305 is outside the scale 0..10",
                       cxm::invalid_event);
  // 2^32 + 9 as an integer: 9 once truncated to 32 bits, but it is compared exactly.
  CHECK_THROWS_WITH_AS(acc.add((std::int64_t{1} << 32) + 9), "nps: score 4294967305 is outside the scale 0..10",
                       cxm::invalid_event);
  CHECK(acc == before);
  const auto r = acc.result();
  CHECK(r.n == 2);
  CHECK(r.promoters == 1);
  CHECK(r.detractors == 1);

  cxm::rejection_counts counts;
  std::vector<std::string> messages;
  cxm::skip_invalid skip{counts, [&](const cxm::rejection& why) { messages.push_back(why.message()); }};
  CHECK_FALSE(acc.add(4.5, skip));
  CHECK_FALSE(acc.add(not_a_number, skip));
  CHECK_FALSE(acc.add(10.5, -1.0, skip));  // the score is checked first
  CHECK_FALSE(acc.add(12.0, skip));
  CHECK(acc.add(-0.0, skip));  // −0 is the score 0
  CHECK(counts[cxm::rejection_reason::score_not_whole] == 3);
  CHECK(counts[cxm::rejection_reason::score_out_of_scale] == 1);
  CHECK(counts.total() == 4);
  CHECK(messages == std::vector<std::string>{"nps: score 4.5 is not a whole number", "nps: score nan is not a whole number",
                                             "nps: score 10.5 is not a whole number",
                                             "nps: score 12 is outside the scale 0..10"});
  CHECK(acc.result().distribution[0].answers == 1);
  CHECK(acc.result().n == 3);
}

TEST_CASE("NPS bulk add of a floating-point range checks every element") {
  cxm::nps acc;
  CHECK(acc.add(std::vector<double>{10.0, 9.0, 0.0}) == 3);
  const cxm::nps before = acc;
  CHECK_THROWS_WITH_AS(acc.add(std::vector<double>{10.0, 7.5, 8.0}), "nps: score 7.5 is not a whole number",
                       cxm::invalid_event);
  CHECK(acc == before);  // strong guarantee, as for integers
  cxm::rejection_counts counts;
  CHECK(acc.add(std::vector<double>{8.0, 7.5, not_a_number, 11.0, 3.0}, cxm::skip_invalid{counts}) == 2);
  CHECK(counts[cxm::rejection_reason::score_not_whole] == 2);
  CHECK(counts[cxm::rejection_reason::score_out_of_scale] == 1);
  cxm::nps expected;
  for (const int s : {10, 9, 0, 8, 3}) expected.add(s);
  CHECK(acc == expected);
}

TEST_CASE("NPS from counts: add_count gives the standard error of 1000 answers, weights would give 21 times it") {
  // 120 detractors, 580 passives, 300 promoters, n = 1000: p_P = 0.3, p_D = 0.12, net = 0.18,
  // σ² = 0.3 + 0.12 − 0.18² = 0.42 − 0.0324 = 0.3876, SE = √(0.3876/1000) = √0.0003876 = 0.0196876.
  cxm::nps counted;
  counted.add_count(3, 120);
  counted.add_count(7, 580);
  counted.add_count(10, 300);
  const auto r = counted.result();
  CHECK(r.n == 1000);
  CHECK(r.detractors == 120);
  CHECK(r.passives == 580);
  CHECK(r.promoters == 300);
  CHECK_FALSE(r.weighted);
  CHECK(r.effective_n == 1000.0);
  CXM_CHECK_CLOSE(r.net, 0.18);
  CXM_CHECK_CLOSE(r.variance, 0.3876);
  NPS_CHECK_NEAR(r.standard_error, 0.0196876, 1e-7);

  // The same counts as reliability weights: three answers, Σw = 1000, Σw² = 120² + 580² + 300² =
  // 14 400 + 336 400 + 90 000 = 440 800, n_eff = 1000²/440 800 = 2.268603; the shares are the same but
  // SE = √(0.3876/2.268603) = √0.170854 = 0.413345, √440.8 = 20.995 times too large.
  cxm::nps weighted;
  weighted.add(3, 120.0);
  weighted.add(7, 580.0);
  weighted.add(10, 300.0);
  const auto w = weighted.result();
  CHECK(w.n == 3);
  CXM_CHECK_CLOSE(w.net, 0.18);
  CXM_CHECK_CLOSE(w.effective_n, 1e6 / 440800.0);
  NPS_CHECK_NEAR(w.standard_error, 0.413345, 1e-6);
  NPS_CHECK_NEAR(w.standard_error / r.standard_error, 20.995238, 1e-6);

  // And the counts state is exactly the state of 1000 single adds.
  cxm::nps one_by_one;
  for (int i = 0; i < 120; ++i) one_by_one.add(3);
  for (int i = 0; i < 580; ++i) one_by_one.add(7);
  for (int i = 0; i < 300; ++i) one_by_one.add(10);
  CHECK(counted == one_by_one);
  CHECK(cxm::io::save_state(counted) == cxm::io::save_state(one_by_one));
}

TEST_CASE("NPS add_count(s, n) equals n calls of add(s) for random streams, any count type") {
  std::mt19937_64 rng(41);
  for (int trial = 0; trial < 50; ++trial) {
    cxm::nps counted, single;
    for (int k = 0; k < 8; ++k) {
      const int s = static_cast<int>(rng() % 11);
      const auto n = static_cast<unsigned>(rng() % 20);
      if (k % 3 == 0) {
        counted.add_count(s, n);
      } else if (k % 3 == 1) {
        counted.add_count(static_cast<double>(s), static_cast<std::int64_t>(n));
      } else {
        counted.add_count(s, static_cast<std::uint8_t>(n));
      }
      for (unsigned i = 0; i < n; ++i) single.add(s);
    }
    CHECK(counted == single);
  }
}

TEST_CASE("NPS add_count rejects a bad score or a negative count through the policy") {
  cxm::nps acc;
  CHECK_THROWS_WITH_AS(acc.add_count(11, 5), "nps: score 11 is outside the scale 0..10", cxm::invalid_event);
  CHECK_THROWS_WITH_AS(acc.add_count(4.5, 5), "nps: score 4.5 is not a whole number", cxm::invalid_event);
  CHECK_THROWS_WITH_AS(acc.add_count(9, -2), "nps: count -2 is negative (allowed: a whole number >= 0)",
                       cxm::invalid_event);
  CHECK_THROWS_WITH_AS(acc.add_count(12, -2), "nps: score 12 is outside the scale 0..10", cxm::invalid_event);
  CHECK(acc == cxm::nps{});

  cxm::rejection_counts counts;
  std::vector<cxm::rejection> seen;
  cxm::skip_invalid skip{counts, [&](const cxm::rejection& r) { seen.push_back(r); }};
  CHECK(acc.add_count(9, 4, skip));
  CHECK(acc.add_count(9, 0, skip));
  CHECK_FALSE(acc.add_count(9, std::int64_t{-1}, skip));
  CHECK_FALSE(acc.add_count(not_a_number, 4, skip));
  CHECK(counts[cxm::rejection_reason::weight_negative] == 1);
  CHECK(counts[cxm::rejection_reason::score_not_whole] == 1);
  REQUIRE(seen.size() == 2);
  CHECK(seen[0].field == "count");
  CHECK(seen[0].value == -1.0);
  CHECK(seen[0].message() == "nps: count -1 is negative (allowed: a whole number >= 0)");
  const auto r = acc.result();
  CHECK(r.n == 4);
  CHECK(r.promoters == 4);
}

TEST_CASE("NPS keeps the accumulator invariants when answers come as counts") {
  using tally = std::pair<int, unsigned>;
  cxm::test::check_invariants<cxm::nps>(
      [] { return cxm::nps{}; },
      [](std::mt19937_64& rng) { return tally{static_cast<int>(rng() % 11), static_cast<unsigned>(rng() % 5)}; },
      [](cxm::nps& acc, const tally& t) { acc.add_count(t.first, t.second); }, cxm::test::same_results,
      {.seed = 104});
}
