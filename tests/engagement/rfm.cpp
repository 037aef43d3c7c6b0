// RFM (issue #14, "Engagement"): the linear quantile, quantile scores with their tie rule, and the
// report-time metric cxm::rfm_scores composed into cxm::engine next to the defaults.

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <numeric>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "cxm/engagement/rfm.hpp"
#include "cxm/io/state.hpp"
#include "cxm/stream/engine.hpp"
#include "cxm/stream/global_metrics.hpp"
#include "stream/stream_support.hpp"

namespace {

using namespace std::chrono;
using cxm::event_kind;

using rfm_engine = cxm::engine<std::uint64_t,
                               cxm::metric_list<cxm::nps_answers, cxm::csat_answers, cxm::ces_answers,
                                                cxm::active_customers, cxm::rfm_scores>>;

rfm_engine make_rfm_engine(std::uint32_t bins = 5) {
  return rfm_engine({}, cxm::metric_list{cxm::nps_answers{}, cxm::csat_answers{}, cxm::ces_answers{},
                                         cxm::active_customers{}, cxm::rfm_scores{bins}});
}

cxm::event<> rfm_ev(std::uint64_t customer, cxm::timestamp t, event_kind kind, double value = 0.0) {
  return {customer, t, kind, value};
}

/// The type-7 quantile computed another way: the piecewise-linear curve through the points
/// (k / (n − 1), x[k]), evaluated on the segment that holds p (found by a linear scan).
double quantile_by_segments(const std::vector<double>& sorted, double p) {
  const auto n = sorted.size();
  if (n == 1) return sorted[0];
  const double step = 1.0 / static_cast<double>(n - 1);
  for (std::size_t k = 0; k + 1 < n; ++k) {
    const double left = static_cast<double>(k) * step, right = static_cast<double>(k + 1) * step;
    if (p <= right || k + 2 == n) {
      return sorted[k] + (p - left) / step * (sorted[k + 1] - sorted[k]);
    }
  }
  return sorted[n - 1];
}

/// Brute-force score: counts the breakpoints strictly below the value one by one.
std::uint32_t brute_score(const std::vector<double>& breakpoints, double v, cxm::score_order order) {
  std::uint32_t below = 0;
  for (const double b : breakpoints) {
    if (v > b) ++below;
  }
  const auto bins = static_cast<std::uint32_t>(breakpoints.size() + 1);
  return order == cxm::score_order::ascending ? 1 + below : bins - below;
}

/// The RFM report computed from the raw events, without the engine: per customer the last second,
/// the purchase count and the purchase sum (added in arrival order, as the engine does), then the
/// breakpoints, counts and cells by brute force.
cxm::rfm_result brute_rfm(const std::vector<cxm::event<>>& events, cxm::timestamp as_of, std::uint32_t bins) {
  struct customer {
    std::int64_t first = std::numeric_limits<std::int64_t>::max(), last = std::numeric_limits<std::int64_t>::min();
    double purchases = 0, amount = 0;
  };
  std::map<std::uint64_t, customer> table;
  for (const auto& e : events) {
    auto& c = table[e.customer];
    const auto s = floor<seconds>(e.time).time_since_epoch().count();
    c.first = std::min(c.first, s);
    c.last = std::max(c.last, s);
    if (e.kind == event_kind::purchase) {
      c.purchases += 1;
      c.amount += e.value;
    }
  }
  cxm::rfm_result out{};
  out.bins = bins;
  std::vector<std::array<double, 3>> rows;
  const auto as_of_s = floor<seconds>(as_of).time_since_epoch().count();
  for (const auto& [id, c] : table) {
    if (cxm::timestamp{seconds{c.first}} > as_of) {
      ++out.not_yet_active;
    } else if (c.last > as_of_s) {
      ++out.later_activity;
    } else {
      const auto ms = (as_of - cxm::timestamp{seconds{c.last}}).count();
      rows.push_back({static_cast<double>(ms) / 86'400'000.0, c.purchases, c.amount});
    }
  }
  out.scored = rows.size();
  out.cells.assign(std::size_t{bins} * bins * bins, 0);
  if (rows.empty()) {
    for (auto* axis : {&out.recency, &out.frequency, &out.monetary}) axis->count_per_score.assign(bins, 0);
    return out;
  }
  std::array<std::vector<std::uint32_t>, 3> scores;
  std::array<cxm::rfm_axis*, 3> axes{&out.recency, &out.frequency, &out.monetary};
  for (std::size_t a = 0; a < 3; ++a) {
    std::vector<double> v;
    for (const auto& row : rows) v.push_back(row[a]);
    std::sort(v.begin(), v.end());
    for (std::uint32_t k = 1; k < bins; ++k) {
      axes[a]->breakpoints.push_back(quantile_by_segments(v, static_cast<double>(k) / static_cast<double>(bins)));
    }
    axes[a]->count_per_score.assign(bins, 0);
    const auto order = a == 0 ? cxm::score_order::descending : cxm::score_order::ascending;
    for (const auto& row : rows) {
      scores[a].push_back(brute_score(axes[a]->breakpoints, row[a], order));
      ++axes[a]->count_per_score[scores[a].back() - 1];
    }
  }
  for (std::size_t i = 0; i < rows.size(); ++i) {
    ++out.cells[((scores[0][i] - 1) * bins + (scores[1][i] - 1)) * bins + (scores[2][i] - 1)];
  }
  return out;
}

/// Two RFM results: counts exactly, breakpoints to 1e-12 relative (two ways of interpolating).
void same_rfm(const cxm::rfm_result& a, const cxm::rfm_result& b) {
  CHECK(a.bins == b.bins);
  CHECK(a.scored == b.scored);
  CHECK(a.not_yet_active == b.not_yet_active);
  CHECK(a.later_activity == b.later_activity);
  CHECK(a.saturated == b.saturated);
  CHECK(a.cells == b.cells);
  for (auto axis : {&cxm::rfm_result::recency, &cxm::rfm_result::frequency, &cxm::rfm_result::monetary}) {
    CHECK((a.*axis).count_per_score == (b.*axis).count_per_score);
    REQUIRE((a.*axis).breakpoints.size() == (b.*axis).breakpoints.size());
    for (std::size_t i = 0; i < (a.*axis).breakpoints.size(); ++i) {
      CHECK((a.*axis).breakpoints[i] == doctest::Approx((b.*axis).breakpoints[i]).epsilon(1e-12));
    }
  }
}

/// Replaces the saved value of parameter `name` (an unsigned or enum parameter: u64 / i64 after its
/// name and one-byte type code) and fixes the image's CRC.
void set_parameter(std::vector<std::byte>& image, const std::string& name, std::uint64_t value) {
  std::string needle(8, '\0');
  needle[0] = static_cast<char>(name.size());
  needle += name;
  const auto at = std::search(image.begin(), image.end(), needle.begin(), needle.end(),
                              [](std::byte b, char c) { return std::to_integer<char>(b) == c; });
  REQUIRE(at != image.end());
  const auto value_at = static_cast<std::size_t>(at - image.begin()) + needle.size() + 1;  // after the type code
  for (std::size_t b = 0; b < 8; ++b) image[value_at + b] = std::byte{static_cast<unsigned char>(value >> (8 * b))};
  const auto payload_end = image.size() - cxm::io::state_trailer_size;
  const auto crc = cxm::io::crc32(std::span(image).first(payload_end));
  for (std::size_t b = 0; b < 4; ++b) image[payload_end + b] = std::byte{static_cast<unsigned char>(crc >> (8 * b))};
}

}  // namespace

TEST_CASE("RFM: linear quantile matches numpy's default method on hand-worked values") {
  const std::vector<double> x{1, 2, 3, 4};
  // numpy.quantile([1, 2, 3, 4], 0.25) = 1.75: h = (4 − 1)·0.25 = 0.75 → 1 + 0.75·(2 − 1).
  CHECK(cxm::linear_quantile(x, 0.25) == 1.75);
  // p = 0.5: h = 1.5 → 2 + 0.5·(3 − 2) = 2.5; p = 0.75: h = 2.25 → 3 + 0.25·1 = 3.25.
  CHECK(cxm::linear_quantile(x, 0.5) == 2.5);
  CHECK(cxm::linear_quantile(x, 0.75) == 3.25);
  CHECK(cxm::linear_quantile(x, 0.0) == 1.0);
  CHECK(cxm::linear_quantile(x, 1.0) == 4.0);
  // [10, 7, 4, 3, 2, 1] sorted is [1, 2, 3, 4, 7, 10]; p = 0.3: h = 5·0.3 = 1.5 → 2 + 0.5·(3 − 2) = 2.5;
  // p = 0.9: h = 4.5 → 7 + 0.5·(10 − 7) = 8.5.
  const std::vector<double> y{1, 2, 3, 4, 7, 10};
  CHECK(cxm::linear_quantile(y, 0.3) == doctest::Approx(2.5).epsilon(1e-15));
  CHECK(cxm::linear_quantile(y, 0.9) == doctest::Approx(8.5).epsilon(1e-15));
  // One value: every quantile is that value.
  const std::vector<double> one{7};
  CHECK(cxm::linear_quantile(one, 0.0) == 7.0);
  CHECK(cxm::linear_quantile(one, 0.37) == 7.0);
  CHECK(cxm::linear_quantile(one, 1.0) == 7.0);
  // All equal: the quantile is that value, whatever p.
  const std::vector<double> same{3, 3, 3};
  CHECK(cxm::linear_quantile(same, 0.61) == 3.0);
}

TEST_CASE("RFM: linear quantile equals the piecewise-linear curve through the order statistics") {
  std::mt19937_64 rng(14);
  for (int trial = 0; trial < 200; ++trial) {
    const auto n = 1 + rng() % 40;
    std::vector<double> v;
    for (std::uint64_t i = 0; i < n; ++i) v.push_back(static_cast<double>(rng() % 1000) / 8.0);
    std::sort(v.begin(), v.end());
    for (int j = 0; j < 10; ++j) {
      const double p = static_cast<double>(rng() % 1001) / 1000.0;
      CAPTURE(n);
      CAPTURE(p);
      CHECK(cxm::linear_quantile(v, p) == doctest::Approx(quantile_by_segments(v, p)).epsilon(1e-12));
    }
  }
}

TEST_CASE("RFM: linear quantile rejects bad input by name") {
  const std::vector<double> x{1, 2, 3};
  CHECK_THROWS_WITH_AS((void)cxm::linear_quantile(x, -0.1), "linear_quantile: p must be in [0, 1]", std::invalid_argument);
  CHECK_THROWS_WITH_AS((void)cxm::linear_quantile(x, 1.5), "linear_quantile: p must be in [0, 1]", std::invalid_argument);
  CHECK_THROWS_WITH_AS((void)cxm::linear_quantile(x, std::nan("")), "linear_quantile: p must be in [0, 1]",
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS((void)cxm::linear_quantile(std::vector<double>{}, 0.5), "linear_quantile: sorted must not be empty",
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS((void)cxm::linear_quantile(std::vector<double>{2, 1}, 0.5),
                       "linear_quantile: sorted is not in ascending order", std::invalid_argument);
  CHECK_THROWS_WITH_AS((void)cxm::linear_quantile(std::vector<double>{1, std::nan("")}, 0.5),
                       "linear_quantile: sorted holds a value that is not finite", std::invalid_argument);
}

TEST_CASE("RFM: quintile scores of 1..10 by the 20/40/60/80 % breakpoints; descending reverses them") {
  const std::vector<double> v{7, 1, 10, 2, 5, 3, 9, 4, 6, 8};
  const auto s = cxm::score_quantiles(v, 5);
  // n = 10, h = 9·p: p = 0.2 → h = 1.8 → 2 + 0.8 = 2.8; 0.4 → 3.6 → 4.6; 0.6 → 5.4 → 6.4; 0.8 → 7.2 → 8.2.
  REQUIRE(s.breakpoints.size() == 4);
  CHECK(s.breakpoints[0] == doctest::Approx(2.8));
  CHECK(s.breakpoints[1] == doctest::Approx(4.6));
  CHECK(s.breakpoints[2] == doctest::Approx(6.4));
  CHECK(s.breakpoints[3] == doctest::Approx(8.2));
  // 1, 2 → 1; 3, 4 → 2; 5, 6 → 3; 7, 8 → 4; 9, 10 → 5 (in the input's order).
  CHECK(s.scores == std::vector<std::uint8_t>{4, 1, 5, 1, 3, 2, 5, 2, 3, 4});
  CHECK(s.count_per_score == std::vector<std::uint64_t>{2, 2, 2, 2, 2});
  // Descending (recency): the smallest values get 5.
  const auto d = cxm::score_quantiles(v, 5, cxm::score_order::descending);
  CHECK(d.breakpoints == s.breakpoints);
  CHECK(d.scores == std::vector<std::uint8_t>{2, 5, 1, 5, 3, 4, 1, 4, 3, 2});
  // A value equal to a breakpoint takes the lower score: breakpoints {2.8, 4.6, 6.4, 8.2}, value 4.6 → 2.
  CHECK(cxm::score_against(s.breakpoints, s.breakpoints[1], cxm::score_order::ascending) == 2);
  CHECK(cxm::score_against(s.breakpoints, s.breakpoints[1], cxm::score_order::descending) == 4);
  // Halves: one breakpoint, the median 5.5.
  const auto h = cxm::score_quantiles(v, 2);
  CHECK(h.breakpoints == std::vector<double>{5.5});
  CHECK(h.count_per_score == std::vector<std::uint64_t>{5, 5});
}

TEST_CASE("RFM: 80 % of customers with frequency 1 share one score; the breakpoints show the collapse") {
  // Frequencies: eight 1s, one 2, one 5. Sorted [1 ×8, 2, 5], h = 9·p:
  // 0.2 → 1.8 → 1; 0.4 → 3.6 → 1; 0.6 → 5.4 → 1; 0.8 → 7.2 → x[7] + 0.2·(x[8] − x[7]) = 1 + 0.2 = 1.2.
  const std::vector<double> f{1, 1, 2, 1, 1, 1, 5, 1, 1, 1};
  const auto s = cxm::score_quantiles(f, 5);
  REQUIRE(s.breakpoints.size() == 4);
  CHECK(s.breakpoints[0] == 1.0);
  CHECK(s.breakpoints[1] == 1.0);
  CHECK(s.breakpoints[2] == 1.0);
  CHECK(s.breakpoints[3] == doctest::Approx(1.2));
  // Every 1 is at or below all breakpoints → score 1; 2 and 5 are above all four → 5. Scores 2..4 empty.
  CHECK(s.scores == std::vector<std::uint8_t>{1, 1, 5, 1, 1, 1, 5, 1, 1, 1});
  CHECK(s.count_per_score == std::vector<std::uint64_t>{8, 0, 0, 0, 2});
  // Everyone equal: all breakpoints equal that value, everyone scores 1 (5 descending).
  const std::vector<double> flat(7, 3.0);
  const auto a = cxm::score_quantiles(flat, 5);
  CHECK(a.breakpoints == std::vector<double>{3, 3, 3, 3});
  CHECK(a.count_per_score == std::vector<std::uint64_t>{7, 0, 0, 0, 0});
  CHECK(cxm::score_quantiles(flat, 5, cxm::score_order::descending).count_per_score ==
        std::vector<std::uint64_t>{0, 0, 0, 0, 7});
}

TEST_CASE("RFM: scores with many ties: equal values equal scores, monotone, counts add up (brute force)") {
  std::mt19937_64 rng(1414);
  for (int trial = 0; trial < 100; ++trial) {
    const auto n = 1 + rng() % 60;
    const auto bins = static_cast<std::uint32_t>(2 + rng() % 9);
    std::vector<double> v;
    for (std::uint64_t i = 0; i < n; ++i) v.push_back(rng() % 4 == 0 ? static_cast<double>(rng() % 20) : 1.0);
    for (const auto order : {cxm::score_order::ascending, cxm::score_order::descending}) {
      const auto s = cxm::score_quantiles(v, bins, order);
      CAPTURE(n);
      CAPTURE(bins);
      REQUIRE(s.breakpoints.size() == bins - 1);
      REQUIRE(s.scores.size() == v.size());
      CHECK(std::is_sorted(s.breakpoints.begin(), s.breakpoints.end()));
      std::vector<std::uint64_t> counts(bins, 0);
      for (std::size_t i = 0; i < v.size(); ++i) {
        CHECK(s.scores[i] == brute_score(s.breakpoints, v[i], order));
        ++counts[s.scores[i] - 1u];
        for (std::size_t j = 0; j < v.size(); ++j) {
          if (v[i] == v[j]) CHECK(s.scores[i] == s.scores[j]);
          if (v[i] < v[j]) CHECK((order == cxm::score_order::ascending ? s.scores[i] <= s.scores[j] : s.scores[i] >= s.scores[j]));
        }
      }
      CHECK(counts == s.count_per_score);
    }
  }
}

TEST_CASE("RFM: score_quantiles validates bins and values; no values gives no breakpoints") {
  const std::vector<double> v{1, 2, 3};
  CHECK_THROWS_WITH_AS((void)cxm::score_quantiles(v, 1), "score_quantiles: bins must be between 2 and 10, got 1",
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS((void)cxm::score_quantiles(v, 11), "score_quantiles: bins must be between 2 and 10, got 11",
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS((void)cxm::quantile_breakpoints(v, 0), "quantile_breakpoints: bins must be between 2 and 10, got 0",
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS((void)cxm::score_quantiles(std::vector<double>{1, INFINITY}, 5),
                       "score_quantiles: values holds a value that is not finite", std::invalid_argument);
  CHECK(cxm::score_quantiles(v, 10).breakpoints.size() == 9);
  const auto e = cxm::score_quantiles(std::vector<double>{}, 4);
  CHECK(e.breakpoints.empty());
  CHECK(e.scores.empty());
  CHECK(e.count_per_score == std::vector<std::uint64_t>{0, 0, 0, 0});
}

TEST_CASE("RFM: a hand-worked 10-customer table through the engine, next to the defaults") {
  const cxm::timestamp as_of = sys_days{2026y / March / 1};
  auto e = make_rfm_engine();
  // customer, days before as_of of all its events, purchase amounts (none: one visit).
  struct row {
    std::uint64_t id;
    int days;
    std::vector<double> purchases;
  };
  const std::vector<row> rows{{1, 1, {100, 50, 50}}, {2, 2, {20}},  {3, 3, {30}},       {4, 5, {40, 40}},
                              {5, 8, {10}},          {6, 10, {}},   {7, 20, {100, 100, 100, 100, 100}},
                              {8, 30, {60}},         {9, 40, {5}},  {10, 60, {150, 150}}};
  for (const auto& r : rows) {
    const auto t = as_of - days{r.days};
    if (r.purchases.empty()) e.add(rfm_ev(r.id, t, event_kind::visit));
    for (const double a : r.purchases) e.add(rfm_ev(r.id, t, event_kind::purchase, a));
  }
  e.add(rfm_ev(1, as_of - days{4}, event_kind::refund, 30));  // refunds do not lower monetary (gross)
  e.add(rfm_ev(11, as_of + days{1}, event_kind::purchase, 999));  // first activity after as_of: excluded
  e.add(rfm_ev(12, as_of - days{3}, event_kind::purchase, 1));    // active, but also after as_of: excluded
  e.add(rfm_ev(12, as_of + days{2}, event_kind::visit));

  const auto rep = e.report(as_of);
  const auto& r = rep.get<cxm::rfm_scores>();
  CHECK(r.bins == 5);
  CHECK(r.scored == 10);
  CHECK(r.not_yet_active == 1);
  CHECK(r.later_activity == 1);
  CHECK(r.saturated == 0);
  // Recency (days) sorted [1, 2, 3, 5, 8, 10, 20, 30, 40, 60]; h = 1.8, 3.6, 5.4, 7.2:
  // 2 + 0.8·1 = 2.8; 5 + 0.6·3 = 6.8; 10 + 0.4·10 = 14; 30 + 0.2·10 = 32. Reversed: 1, 2 → 5; 3, 5 → 4;
  // 8, 10 → 3; 20, 30 → 2; 40, 60 → 1.
  REQUIRE(r.recency.breakpoints.size() == 4);
  CHECK(r.recency.breakpoints[0] == doctest::Approx(2.8));
  CHECK(r.recency.breakpoints[1] == doctest::Approx(6.8));
  CHECK(r.recency.breakpoints[2] == doctest::Approx(14));
  CHECK(r.recency.breakpoints[3] == doctest::Approx(32));
  CHECK(r.recency.count_per_score == std::vector<std::uint64_t>{2, 2, 2, 2, 2});
  // Frequency sorted [0, 1, 1, 1, 1, 1, 2, 2, 3, 5]: 1 + 0.8·0 = 1; 1 + 0.6·0 = 1; 1 + 0.4·1 = 1.4;
  // 2 + 0.2·1 = 2.2. 0 and 1 → 1 (six customers); 2 → 4; 3, 5 → 5; scores 2 and 3 empty.
  REQUIRE(r.frequency.breakpoints.size() == 4);
  CHECK(r.frequency.breakpoints[0] == 1.0);
  CHECK(r.frequency.breakpoints[1] == 1.0);
  CHECK(r.frequency.breakpoints[2] == doctest::Approx(1.4));
  CHECK(r.frequency.breakpoints[3] == doctest::Approx(2.2));
  CHECK(r.frequency.count_per_score == std::vector<std::uint64_t>{6, 0, 0, 2, 2});
  // Monetary sorted [0, 5, 10, 20, 30, 60, 80, 200, 300, 500]: 5 + 0.8·5 = 9; 20 + 0.6·10 = 26;
  // 60 + 0.4·20 = 68; 200 + 0.2·100 = 220. 0, 5 → 1; 10, 20 → 2; 30, 60 → 3; 80, 200 → 4; 300, 500 → 5.
  REQUIRE(r.monetary.breakpoints.size() == 4);
  CHECK(r.monetary.breakpoints[0] == doctest::Approx(9));
  CHECK(r.monetary.breakpoints[1] == doctest::Approx(26));
  CHECK(r.monetary.breakpoints[2] == doctest::Approx(68));
  CHECK(r.monetary.breakpoints[3] == doctest::Approx(220));
  CHECK(r.monetary.count_per_score == std::vector<std::uint64_t>{2, 2, 2, 2, 2});
  // Each customer's (R, F, M), from the three lists above.
  const std::map<std::uint64_t, cxm::rfm_score> expected{
      {1, {5, 5, 4}}, {2, {5, 1, 2}}, {3, {4, 1, 3}}, {4, {4, 4, 4}}, {5, {3, 1, 2}},
      {6, {3, 1, 1}}, {7, {2, 5, 5}}, {8, {2, 1, 3}}, {9, {1, 1, 1}}, {10, {1, 4, 5}}};
  std::uint64_t cells = 0;
  for (const auto c : r.cells) cells += c;
  CHECK(cells == 10);
  std::size_t checked = 0;
  e.for_each_customer([&](std::uint64_t id, const rfm_engine::customer_view& view) {
    const auto c = cxm::rfm_values_of(view.state<cxm::activity>(), view.state<cxm::spend>(), as_of);
    CAPTURE(id);
    if (id == 11) {
      CHECK(c.status == cxm::rfm_status::not_yet_active);
      CHECK(!c.values);
      return;
    }
    if (id == 12) {
      CHECK(c.status == cxm::rfm_status::later_activity);
      CHECK(!c.values);
      return;
    }
    REQUIRE(c.values);
    const auto s = cxm::score_rfm(r, *c.values);
    REQUIRE(s);
    CHECK(*s == expected.at(id));
    CHECK(r.cell(s->r, s->f, s->m) >= 1);
    ++checked;
  });
  CHECK(checked == 10);
  CHECK(r.cell(5, 5, 4) == 1);
  CHECK(r.cell(3, 1, 2) == 1);
  CHECK(r.cell(5, 5, 5) == 0);
  CHECK(r.cell(1, 1, 1) == 1);
  CHECK_THROWS_AS((void)r.cell(0, 1, 1), std::out_of_range);
  CHECK_THROWS_AS((void)r.cell(1, 6, 1), std::out_of_range);
  CHECK(cxm::rfm_values_of(e.customer(1u)->state<cxm::activity>(), e.customer(1u)->state<cxm::spend>(), as_of).values ==
        cxm::rfm_values{1.0, 3.0, 200.0});
  // The defaults still report: active in the 30 days up to as_of (last activity in (as_of − 30 d, as_of]): 1..7;
  // 8 is exactly 30 days ago and 12 has a later event.
  CHECK(rep.get<cxm::active_customers>().active == 7);

  // As of 15 days earlier: customers 1..6 and 12 (first activity 1..10 days before as_of) and 11 are
  // not yet active; 7, 8, 9, 10 are scored with recency 5, 15, 25, 45 days: h = 3·p = 0.6, 1.2, 1.8, 2.4 →
  // 5 + 0.6·10 = 11; 15 + 0.2·10 = 17; 15 + 0.8·10 = 23; 25 + 0.4·20 = 33.
  const auto early = e.report(as_of - days{15}).get<cxm::rfm_scores>();
  CHECK(early.scored == 4);
  CHECK(early.not_yet_active == 8);
  CHECK(early.later_activity == 0);
  REQUIRE(early.recency.breakpoints.size() == 4);
  CHECK(early.recency.breakpoints[0] == doctest::Approx(11));
  CHECK(early.recency.breakpoints[1] == doctest::Approx(17));
  CHECK(early.recency.breakpoints[2] == doctest::Approx(23));
  CHECK(early.recency.breakpoints[3] == doctest::Approx(33));
  CHECK(early.recency.count_per_score == std::vector<std::uint64_t>{1, 1, 0, 1, 1});  // 45 → 1, 25 → 2, 15 → 4, 5 → 5

  // An empty table (the engine refuses a report before its first event): nothing scored, no
  // breakpoints, no undefined figure.
  const auto none = make_rfm_engine().report(as_of).get<cxm::rfm_scores>();
  CHECK(none.scored == 0);
  CHECK(none.not_yet_active == 0);
  CHECK(none.recency.breakpoints.empty());
  CHECK(none.frequency.count_per_score == std::vector<std::uint64_t>(5, 0));
  CHECK(none.cells == std::vector<std::uint64_t>(125, 0));
  CHECK(!cxm::score_rfm(none, cxm::rfm_values{1, 1, 1}));
}

TEST_CASE("RFM: the engine's report equals a brute-force computation from the raw events") {
  cxm::test::stream_spec spec;
  spec.events = 20'000;
  spec.customers = 2'000;
  spec.host_kinds = 0;
  const auto events = cxm::test::random_stream(spec);
  for (const std::uint32_t bins : {2u, 5u, 10u}) {
    CAPTURE(bins);
    auto e = make_rfm_engine(bins);
    e.add(events);
    for (const auto as_of : {spec.to, spec.from + days{180}, spec.from + days{2}}) {
      const auto r = e.report(as_of).get<cxm::rfm_scores>();
      same_rfm(r, brute_rfm(events, as_of, bins));
      CHECK(r.scored + r.not_yet_active + r.later_activity == spec.customers);
    }
  }
  // At the end of the stream everyone is scored.
  auto e = make_rfm_engine();
  e.add(events);
  CHECK(e.report(spec.to).get<cxm::rfm_scores>().scored == spec.customers);
}

TEST_CASE("RFM: a k-way split merged in any order equals one pass; merge commutes; arrival order does not matter") {
  cxm::test::stream_spec spec;
  spec.events = 20'000;
  spec.customers = 2'000;
  spec.host_kinds = 0;
  auto events = cxm::test::random_stream(spec);
  auto whole = make_rfm_engine();
  whole.add(events);
  const auto mid = spec.from + days{200};
  std::mt19937_64 rng(77);
  for (std::size_t k : {1u, 2u, 5u, 16u}) {
    CAPTURE(k);
    std::vector<rfm_engine> parts(k, make_rfm_engine());
    for (const auto& x : events) parts[x.customer % k].add(x);
    std::vector<std::size_t> order(k);
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::shuffle(order.begin(), order.end(), rng);
    auto merged = make_rfm_engine();
    for (const auto i : order) merged.merge(parts[i]);
    CHECK(merged.report(spec.to).get<cxm::rfm_scores>() == whole.report(spec.to).get<cxm::rfm_scores>());
    CHECK(merged.report(mid).get<cxm::rfm_scores>() == whole.report(mid).get<cxm::rfm_scores>());
    CHECK(merged.report(spec.to).customers_merged_from_both_sides == 0);
  }
  auto a = make_rfm_engine(), b = make_rfm_engine();
  for (const auto& x : events) (x.customer % 2 == 0 ? a : b).add(x);
  auto ab = a, ba = b;
  ab.merge(b);
  ba.merge(a);
  CHECK(ab.report(mid).get<cxm::rfm_scores>() == ba.report(mid).get<cxm::rfm_scores>());

  // Out of order: whole-cent amounts summed in another order give the same sums only up to rounding,
  // so this stream uses whole amounts (exact sums); then any arrival order gives the same report.
  for (auto& x : events) x.value = x.kind == event_kind::purchase ? std::round(x.value) : x.value;
  auto first = make_rfm_engine();
  first.add(events);
  std::shuffle(events.begin(), events.end(), rng);
  auto second = make_rfm_engine();
  second.add(events);
  std::sort(events.begin(), events.end(), [](const auto& x, const auto& y) { return x.time < y.time; });
  auto third = make_rfm_engine();
  third.add(events);
  for (const auto as_of : {spec.to, mid}) {
    CHECK(first.report(as_of).get<cxm::rfm_scores>() == second.report(as_of).get<cxm::rfm_scores>());
    CHECK(first.report(as_of).get<cxm::rfm_scores>() == third.report(as_of).get<cxm::rfm_scores>());
  }
}

TEST_CASE("RFM: save -> load gives the same report and parameters; save -> load -> continue equals never stopping") {
  cxm::test::stream_spec spec;
  spec.events = 5'000;
  spec.customers = 500;
  spec.host_kinds = 0;
  const auto events = cxm::test::random_stream(spec);
  auto whole = make_rfm_engine(4);
  whole.add(events);
  const auto loaded = cxm::io::load_state<rfm_engine>(cxm::io::save_state(whole));
  CHECK(loaded == whole);
  CHECK(loaded.metric<cxm::rfm_scores>().bins == 4);
  CHECK(loaded.metric<cxm::rfm_scores>().recency == cxm::rfm_recency_basis::last_activity);
  CHECK(loaded.report(spec.to).get<cxm::rfm_scores>() == whole.report(spec.to).get<cxm::rfm_scores>());
  CHECK(loaded.report(spec.to).get<cxm::rfm_scores>().bins == 4);

  auto part = make_rfm_engine(4);
  const std::size_t cut = events.size() / 3;
  for (std::size_t i = 0; i < cut; ++i) part.add(events[i]);
  auto resumed = cxm::io::load_state<rfm_engine>(cxm::io::save_state(part));
  for (std::size_t i = cut; i < events.size(); ++i) resumed.add(events[i]);
  CHECK(resumed == whole);
  CHECK(resumed.report(spec.to).get<cxm::rfm_scores>() == whole.report(spec.to).get<cxm::rfm_scores>());
}

TEST_CASE("RFM: invalid parameters are clear errors at construction, merge and load") {
  CHECK_THROWS_WITH_AS((void)make_rfm_engine(1), "metric 'rfm': bins must be between 2 and 10, got 1", std::invalid_argument);
  CHECK_THROWS_WITH_AS((void)make_rfm_engine(11), "metric 'rfm': bins must be between 2 and 10, got 11",
                       std::invalid_argument);
  cxm::rfm_scores bad_basis;
  bad_basis.recency = static_cast<cxm::rfm_recency_basis>(1);
  CHECK_THROWS_WITH_AS((void)rfm_engine({}, cxm::metric_list{cxm::nps_answers{}, cxm::csat_answers{}, cxm::ces_answers{},
                                                             cxm::active_customers{}, bad_basis}),
                       "metric 'rfm': recency must be last_activity (0), got 1", std::invalid_argument);
  CHECK_NOTHROW((void)make_rfm_engine(2));
  CHECK_NOTHROW((void)make_rfm_engine(10));

  auto a = make_rfm_engine(5), b = make_rfm_engine(4);
  CHECK_THROWS_WITH_AS(a.merge(b), "metric 'rfm': cannot merge: parameter 'bins' is 5 here and 4 there",
                       std::invalid_argument);

  // A saved engine whose bins (or recency basis) is out of range does not load: format_error naming the metric.
  auto e = make_rfm_engine(5);
  e.add(rfm_ev(1, sys_days{2026y / January / 5}, event_kind::purchase, 10));
  const auto image = cxm::io::save_state(e);
  for (const std::uint64_t bins : {0ull, 1ull, 11ull, 1ull << 40}) {
    CAPTURE(bins);
    auto bad = image;
    set_parameter(bad, "bins", bins);
    CHECK_THROWS_AS((void)cxm::io::load_state<rfm_engine>(bad), cxm::format_error);
  }
  {
    auto bad = image;
    set_parameter(bad, "bins", 11);
    CHECK_THROWS_WITH_AS((void)cxm::io::load_state<rfm_engine>(bad),
                         "engine: metric 'rfm': metric 'rfm': bins must be between 2 and 10, got 11", cxm::format_error);
  }
  for (const std::uint64_t basis : {1ull, 255ull, 256ull, ~0ull}) {
    CAPTURE(basis);
    auto bad = image;
    set_parameter(bad, "recency", basis);
    CHECK_THROWS_AS((void)cxm::io::load_state<rfm_engine>(bad), cxm::format_error);
  }
  // A valid edit loads (the search above finds the real parameter): bins 7 → a 7-bin report.
  auto seven = image;
  set_parameter(seven, "bins", 7);
  const auto loaded = cxm::io::load_state<rfm_engine>(seven);
  CHECK(loaded.metric<cxm::rfm_scores>().bins == 7);
  CHECK(loaded.report(sys_days{2026y / February / 1}).get<cxm::rfm_scores>().cells.size() == 343);
  // Truncated images never load.
  for (std::size_t n = 0; n < image.size(); n += 7) {
    CHECK_THROWS_AS((void)cxm::io::load_state<rfm_engine>(std::span(image).first(n)), cxm::format_error);
  }
}
