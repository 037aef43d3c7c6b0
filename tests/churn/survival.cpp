// Tests for Kaplan-Meier survival and the log-rank test (include/cxm/churn/survival.hpp).
//
// Reference values: R 4.2, package survival 3.5-3 (Therneau), written by tests/churn/survival_reference.R
// into tests/data/survival/expected_*.csv; datasets veteran and lung from the same package
// (tests/data/survival/README.md). Compared to 1e-6 relative.

#include "cxm/churn/survival.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <fstream>
#include <limits>
#include <map>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "cxm/core/accumulator.hpp"
#include "cxm/core/error.hpp"
#include "cxm/io/reader.hpp"
#include "cxm/io/state.hpp"
#include "cxm/io/writer.hpp"
#include "support/invariants.hpp"

static_assert(cxm::accumulator<cxm::survival_table, cxm::lifetime>);
static_assert(cxm::accumulator<cxm::grouped_survival, cxm::grouped_lifetime>);

namespace {

constexpr double not_a_number = std::numeric_limits<double>::quiet_NaN();
constexpr double infinity = std::numeric_limits<double>::infinity();

// Closeness to the R reference: 1e-6 relative, with a floor for values that are 0 in both.
bool near_reference(double a, double b) {
  return std::abs(a - b) <= 1e-6 * std::max(std::abs(a), std::abs(b)) + 1e-14;
}

#define SURV_CHECK_NEAR(a, b) CHECK_MESSAGE(near_reference((a), (b)), #a " = ", (a), ", " #b " = ", (b))

void check_optional_near(const std::optional<double>& got, const std::optional<double>& want, const std::string& what) {
  INFO(what);
  REQUIRE(got.has_value() == want.has_value());
  if (got) SURV_CHECK_NEAR(*got, *want);
}

// Exact comparison of two Kaplan-Meier results computed from equal counts (the arithmetic is then
// identical, so 1e-12 relative is generous).
void same_km(const cxm::kaplan_meier_result& a, const cxm::kaplan_meier_result& b) {
  CHECK(a.subjects == b.subjects);
  CHECK(a.events == b.events);
  REQUIRE(a.rows.size() == b.rows.size());
  for (std::size_t i = 0; i < a.rows.size(); ++i) {
    const auto &x = a.rows[i], &y = b.rows[i];
    CHECK(x.time == y.time);
    CHECK(x.at_risk == y.at_risk);
    CHECK(x.events == y.events);
    CHECK(x.censored == y.censored);
    CXM_CHECK_CLOSE(x.survival, y.survival);
    REQUIRE(x.standard_error.has_value() == y.standard_error.has_value());
    if (x.standard_error) CXM_CHECK_CLOSE(*x.standard_error, *y.standard_error);
    REQUIRE(x.lower.has_value() == y.lower.has_value());
    if (x.lower) CXM_CHECK_CLOSE(*x.lower, *y.lower);
  }
}

void same_log_rank(const cxm::log_rank_result& a, const cxm::log_rank_result& b) {
  REQUIRE(a.groups.size() == b.groups.size());
  for (std::size_t i = 0; i < a.groups.size(); ++i) {
    CHECK(a.groups[i].group == b.groups[i].group);
    CHECK(a.groups[i].subjects == b.groups[i].subjects);
    CHECK(a.groups[i].observed == b.groups[i].observed);
    CXM_CHECK_CLOSE(a.groups[i].expected, b.groups[i].expected);
  }
  REQUIRE(a.variance.size() == b.variance.size());
  for (std::size_t i = 0; i < a.variance.size(); ++i) CXM_CHECK_CLOSE(a.variance[i], b.variance[i]);
  CHECK(a.strata == b.strata);
  CHECK(a.degrees_of_freedom == b.degrees_of_freedom);
  REQUIRE(a.chi_squared.has_value() == b.chi_squared.has_value());
  if (a.chi_squared) CXM_CHECK_CLOSE(*a.chi_squared, *b.chi_squared);
}

// The six customers of the hand-worked Kaplan-Meier case: churned at 1, censored at 2, churned at 3 and
// 3, censored at 4, churned at 5.
std::vector<cxm::lifetime> six_customers() {
  return {{1, true}, {2, false}, {3, true}, {3, true}, {4, false}, {5, true}};
}

// ----- CSV reading ---------------------------------------------------------------------------------

std::vector<std::vector<std::string>> read_csv(const std::string& name) {
  const std::string path = std::string(CXM_TEST_DATA_DIR) + "/survival/" + name;
  std::ifstream in(path);
  REQUIRE_MESSAGE(in.good(), "cannot open ", path);
  std::vector<std::vector<std::string>> rows;
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    std::vector<std::string> fields;
    std::stringstream ss(line);
    std::string field;
    while (std::getline(ss, field, ',')) fields.push_back(field);
    rows.push_back(fields);
  }
  return rows;
}

std::optional<double> number(const std::string& s) {
  if (s == "NA") return std::nullopt;
  return std::stod(s);
}

double must(const std::string& s) {
  const auto v = number(s);
  REQUIRE(v.has_value());
  return *v;
}

// The datasets as grouped lifetimes, with the grouping of each subset of the reference file.
// lung: status 2 = dead (churn), 1 = censored; group = sex. veteran: status 1 = dead; group = trt,
// stratum = celltype (codes 1..4).
cxm::grouped_survival lung_by_sex() {
  cxm::grouped_survival out;
  for (const auto& f : read_csv("lung.csv")) {
    out.add({must(f[0]), f[1] == "2", static_cast<std::int64_t>(must(f[2])), 0});
  }
  return out;
}

cxm::grouped_survival veteran(bool group_by_celltype, bool stratify_by_celltype) {
  cxm::grouped_survival out;
  for (const auto& f : read_csv("veteran.csv")) {
    const auto trt = static_cast<std::int64_t>(must(f[2]));
    const auto celltype = static_cast<std::int64_t>(must(f[3]));
    out.add({must(f[0]), f[1] == "1", group_by_celltype ? celltype : trt, stratify_by_celltype ? celltype : 0});
  }
  return out;
}

cxm::survival_table reference_subset(const std::string& dataset, const std::string& subset) {
  const auto state = dataset == "lung" ? lung_by_sex() : veteran(false, false);
  if (subset == "all") return state.pooled();
  REQUIRE(subset.find('=') != std::string::npos);
  return state.group(std::stoll(subset.substr(subset.find('=') + 1)));
}

cxm::survival_band_type band_of(const std::string& name) {
  if (name == "plain") return cxm::survival_band_type::plain;
  if (name == "log") return cxm::survival_band_type::log;
  REQUIRE(name == "log-log");
  return cxm::survival_band_type::log_log;
}

// ----- independent computations --------------------------------------------------------------------

// Kaplan-Meier by brute force: at each distinct time, scan every lifetime for the risk set.
struct brute_row {
  double time;
  std::uint64_t at_risk, events, censored;
  double survival, hazard_sum;
};
std::vector<brute_row> brute_kaplan_meier(const std::vector<cxm::lifetime>& xs) {
  std::vector<double> times;
  for (const auto& x : xs) times.push_back(x.time);
  std::sort(times.begin(), times.end());
  times.erase(std::unique(times.begin(), times.end()), times.end());
  std::vector<brute_row> out;
  double s = 1, h = 0;
  for (const double t : times) {
    brute_row r{t, 0, 0, 0, 0, 0};
    for (const auto& x : xs) {
      if (x.time >= t) ++r.at_risk;
      if (x.time == t) ++(x.event ? r.events : r.censored);
    }
    const auto n = static_cast<double>(r.at_risk), d = static_cast<double>(r.events);
    s *= (n - d) / n;
    if (r.at_risk > r.events) h += d / (n * (n - d));
    r.survival = s;
    r.hazard_sum = h;
    out.push_back(r);
  }
  return out;
}

// Log-rank O, E and V by brute force (unstratified): risk sets scanned from the raw lifetimes.
struct brute_log_rank {
  std::vector<double> observed, expected;
  std::vector<std::vector<double>> variance;
};
brute_log_rank brute_force_log_rank(const std::vector<cxm::grouped_lifetime>& xs, std::size_t k) {
  brute_log_rank out{std::vector<double>(k), std::vector<double>(k), std::vector<std::vector<double>>(k, std::vector<double>(k))};
  std::vector<double> times;
  for (const auto& x : xs) {
    if (x.event) times.push_back(x.time);
  }
  std::sort(times.begin(), times.end());
  times.erase(std::unique(times.begin(), times.end()), times.end());
  for (const double t : times) {
    std::vector<double> n_g(k), d_g(k);
    for (const auto& x : xs) {
      const auto g = static_cast<std::size_t>(x.group);
      if (x.time >= t) n_g[g] += 1;
      if (x.time == t && x.event) d_g[g] += 1;
    }
    double n = 0, d = 0;
    for (std::size_t g = 0; g < k; ++g) n += n_g[g], d += d_g[g];
    for (std::size_t g = 0; g < k; ++g) {
      out.observed[g] += d_g[g];
      out.expected[g] += d * n_g[g] / n;
      for (std::size_t h = 0; h < k && n > 1; ++h) {
        out.variance[g][h] += d * (n - d) / (n - 1) * (n_g[g] / n) * ((g == h ? 1.0 : 0.0) - n_g[h] / n);
      }
    }
  }
  return out;
}

std::vector<cxm::lifetime> random_lifetimes(std::mt19937_64& rng, std::size_t n) {
  std::vector<cxm::lifetime> out;
  for (std::size_t i = 0; i < n; ++i) {
    out.push_back({static_cast<double>(rng() % 40) * 0.5, rng() % 3 != 0});
  }
  return out;
}

std::vector<std::byte> payload_of(const cxm::io::writer& w) { return w.bytes(); }

template <class A>
A load_payload(const std::vector<std::byte>& bytes) {
  cxm::io::reader r(bytes);
  A out = A::load(r);
  r.expect_end(A::name);
  return out;
}

}  // namespace

// ----- hand-worked cases ---------------------------------------------------------------------------

TEST_CASE("Kaplan-Meier of six customers, worked by hand") {
  const auto km = cxm::kaplan_meier(six_customers());
  CHECK(km.subjects == 6);
  CHECK(km.events == 4);
  REQUIRE(km.rows.size() == 5);  // distinct times 1, 2, 3, 4, 5
  // t = 1: n 6, d 1: S = 5/6; σ² = 1/(6·5) = 1/30.
  CHECK(km.rows[0].at_risk == 6);
  CHECK(km.rows[0].events == 1);
  CXM_CHECK_CLOSE(km.rows[0].survival, 5.0 / 6.0);
  CXM_CHECK_CLOSE(*km.rows[0].log_standard_error, std::sqrt(1.0 / 30.0));
  // Greenwood: Var S = (5/6)² / 30 = 25/1080.
  CXM_CHECK_CLOSE(*km.rows[0].variance, 25.0 / 1080.0);
  // Log band at 95%: exp(log(5/6) ± 1.959963984540054 · √(1/30)); the upper is clipped to 1.
  const double z = 1.959963984540054;
  CXM_CHECK_CLOSE(*km.rows[0].lower, std::exp(std::log(5.0 / 6.0) - z * std::sqrt(1.0 / 30.0)));
  CHECK(*km.rows[0].upper == 1.0);
  // t = 2: n 5, one censored, nobody churns: S stays 5/6.
  CHECK(km.rows[1].at_risk == 5);
  CHECK(km.rows[1].censored == 1);
  CXM_CHECK_CLOSE(km.rows[1].survival, 5.0 / 6.0);
  // t = 3: n 4, d 2: S = 5/6 · 2/4 = 5/12; σ² = 1/30 + 2/(4·2) = 17/60; Var S = (25/144)(17/60) = 425/8640.
  CHECK(km.rows[2].at_risk == 4);
  CHECK(km.rows[2].events == 2);
  CXM_CHECK_CLOSE(km.rows[2].survival, 5.0 / 12.0);
  CXM_CHECK_CLOSE(*km.rows[2].variance, 425.0 / 8640.0);
  CXM_CHECK_CLOSE(*km.rows[2].standard_error, std::sqrt(425.0 / 8640.0));
  // t = 4: n 2, one censored: S stays 5/12.
  CHECK(km.rows[3].at_risk == 2);
  CXM_CHECK_CLOSE(km.rows[3].survival, 5.0 / 12.0);
  // t = 5: n 1, d 1: S = 0; σ is infinite, so the standard error and the bands are undefined.
  CHECK(km.rows[4].at_risk == 1);
  CHECK(km.rows[4].survival == 0.0);
  CHECK_FALSE(km.rows[4].log_standard_error.has_value());
  CHECK_FALSE(km.rows[4].standard_error.has_value());
  CHECK_FALSE(km.rows[4].lower.has_value());
  CHECK_FALSE(km.rows[4].upper.has_value());

  // Plain band at t = 3: 5/12 ± z · (5/12)·√(17/60) = 5/12 ± 0.4348: the lower end, −0.018, is
  // clipped to 0. At t = 1: 5/6 ± z · (5/6)·√(1/30), the upper end clipped to 1.
  const auto plain = cxm::kaplan_meier(six_customers(), {0.95, cxm::survival_band_type::plain});
  CHECK(*plain.rows[2].lower == 0.0);
  CXM_CHECK_CLOSE(*plain.rows[2].upper, 5.0 / 12.0 + z * (5.0 / 12.0) * std::sqrt(17.0 / 60.0));
  CXM_CHECK_CLOSE(*plain.rows[0].lower, 5.0 / 6.0 - z * (5.0 / 6.0) * std::sqrt(1.0 / 30.0));
  CHECK(*plain.rows[0].upper == 1.0);
  // At 90%, z = 1.6448536269514722.
  const auto plain90 = cxm::kaplan_meier(six_customers(), {0.90, cxm::survival_band_type::plain});
  CXM_CHECK_CLOSE(*plain90.rows[0].lower, 5.0 / 6.0 - 1.6448536269514722 * (5.0 / 6.0) * std::sqrt(1.0 / 30.0));
  // Log-log band at t = 3: exp(−exp(log(−log S) ∓ z σ / log S)).
  const auto loglog = cxm::kaplan_meier(six_customers(), {0.95, cxm::survival_band_type::log_log});
  const double s3 = 5.0 / 12.0, sigma3 = std::sqrt(17.0 / 60.0);
  CXM_CHECK_CLOSE(*loglog.rows[2].lower, std::exp(-std::exp(std::log(-std::log(s3)) - z * sigma3 / std::log(s3))));
  CXM_CHECK_CLOSE(*loglog.rows[2].upper, std::exp(-std::exp(std::log(-std::log(s3)) + z * sigma3 / std::log(s3))));
  CHECK(*loglog.rows[2].lower < s3);
  CHECK(*loglog.rows[2].upper > s3);

  // Median: S first <= 0.5 at t = 3 (S = 5/12).
  const auto median = cxm::median_survival(km);
  CHECK(median.median == 3.0);

  // Restricted mean to τ = 4.5: rectangles 1·1 + 1·5/6 + 1·5/6 + 1·5/12 + 0.5·5/12 = 79/24.
  // A(1) = 79/24 − 1 = 55/24, A(3) = 5/12 + 5/24 = 5/8; Var = (55/24)²/30 + (5/8)²/4 (t = 2 and 4 have d = 0).
  const auto rmean = cxm::restricted_mean(km, 4.5);
  CXM_CHECK_CLOSE(rmean.mean, 79.0 / 24.0);
  CXM_CHECK_CLOSE(rmean.standard_error, std::sqrt(3025.0 / 17280.0 + 25.0 / 256.0));
  // τ before the first time: the area of S = 1 on [0, τ], no variance.
  const auto early = cxm::restricted_mean(km, 0.5);
  CHECK(early.mean == 0.5);
  CHECK(early.standard_error == 0.0);
  // τ past the end: S = 0 after t = 5, so the mean is the whole area under the curve:
  // rectangles to 4: 1 + 5/6 + 5/6 + 5/12 = 37/12, then [4, 5] · 5/12 = 5/12: 42/12 = 3.5.
  CXM_CHECK_CLOSE(cxm::restricted_mean(km, 10.0).mean, 3.5);
}

TEST_CASE("Kaplan-Meier median uses the midpoint when S equals 0.5 over an interval") {
  // Four churns at 1, 2, 3, 4: S = 3/4, 1/2, 1/4, 0. S = 0.5 on [2, 3): median (2 + 3)/2 = 2.5.
  const std::vector<cxm::lifetime> xs{{1, true}, {2, true}, {3, true}, {4, true}};
  const auto median = cxm::median_survival(cxm::kaplan_meier(xs));
  CHECK(median.median == 2.5);
  // A curve that never reaches 0.5: no median, no bounds.
  const std::vector<cxm::lifetime> few{{1, true}, {2, false}, {3, false}, {4, false}};
  const auto none = cxm::median_survival(cxm::kaplan_meier(few));
  CHECK_FALSE(none.median.has_value());
  CHECK_FALSE(none.upper.has_value());
}

TEST_CASE("Kaplan-Meier of an empty table and of censoring only") {
  const auto empty = cxm::survival_table{}.result();
  CHECK(empty.subjects == 0);
  CHECK(empty.rows.empty());
  CHECK_FALSE(cxm::median_survival(empty).median.has_value());
  // Censored only: S = 1 with σ = 0; log band [1, 1]; log-log band undefined at S = 1.
  const std::vector<cxm::lifetime> xs{{2, false}, {3, false}};
  const auto km = cxm::kaplan_meier(xs);
  CHECK(km.rows[0].survival == 1.0);
  CHECK(*km.rows[0].standard_error == 0.0);
  CHECK(*km.rows[0].lower == 1.0);
  const auto loglog = cxm::kaplan_meier(xs, {0.95, cxm::survival_band_type::log_log});
  CHECK_FALSE(loglog.rows[0].lower.has_value());
}

TEST_CASE("log-rank test of six customers in two groups, worked by hand") {
  // Group 0: churned at 1 and 3, censored at 5. Group 1: churned at 2, 4 and 6.
  const std::vector<cxm::grouped_lifetime> xs{{1, true, 0, 0}, {3, true, 0, 0}, {5, false, 0, 0},
                                              {2, true, 1, 0}, {4, true, 1, 0}, {6, true, 1, 0}};
  // t  n  n0  d   E0 = d n0/n   V00 = d(n−d)/(n−1) · (n0/n)(1 − n0/n)
  // 1  6  3   1   1/2           1 · 1/4
  // 2  5  2   1   2/5           1 · 6/25
  // 3  4  2   1   1/2           1 · 1/4
  // 4  3  1   1   1/3           1 · 2/9
  // 6  1  0   1   0             0 (n = 1)
  // O0 = 2, E0 = 26/15; O1 = 3, E1 = 5 − 26/15 = 49/15; V00 = 37/50 + 2/9 = 433/450.
  // χ² = (O1 − E1)² / V11 = (4/15)² / (433/450) = 32/433, one degree of freedom.
  const auto test = cxm::log_rank(xs);
  REQUIRE(test.groups.size() == 2);
  CHECK(test.groups[0].observed == 2);
  CHECK(test.groups[1].observed == 3);
  CHECK(test.groups[0].subjects == 3);
  CXM_CHECK_CLOSE(test.groups[0].expected, 26.0 / 15.0);
  CXM_CHECK_CLOSE(test.groups[1].expected, 49.0 / 15.0);
  CXM_CHECK_CLOSE(test.variance[0], 433.0 / 450.0);
  CXM_CHECK_CLOSE(test.variance[1], -433.0 / 450.0);
  CXM_CHECK_CLOSE(test.variance[3], 433.0 / 450.0);
  CHECK(test.degrees_of_freedom == 1);
  CHECK(test.strata == 1);
  CXM_CHECK_CLOSE(*test.chi_squared, 32.0 / 433.0);
  // With one degree of freedom, P(χ² >= x) = erfc(√(x/2)).
  CXM_CHECK_CLOSE(*test.p_value, std::erfc(std::sqrt(16.0 / 433.0)));
}

TEST_CASE("log-rank test with a single group, or no churn, has no statistic") {
  const std::vector<cxm::grouped_lifetime> one{{1, true, 7, 0}, {2, false, 7, 0}};
  const auto single = cxm::log_rank(one);
  CHECK(single.degrees_of_freedom == 0);
  CHECK_FALSE(single.chi_squared.has_value());
  CHECK_FALSE(single.p_value.has_value());
  const std::vector<cxm::grouped_lifetime> censored{{1, false, 0, 0}, {2, false, 1, 0}};
  CHECK_FALSE(cxm::log_rank(censored).chi_squared.has_value());
  CHECK_FALSE(cxm::log_rank(std::vector<cxm::grouped_lifetime>{}).chi_squared.has_value());
}

TEST_CASE("stratified log-rank sums O, E and V of each stratum") {
  // Stratum 0 is the two-group case above; stratum 5 repeats it with the groups' roles swapped.
  // Each stratum alone: O − E = (2 − 26/15, 3 − 49/15) = (4/15, −4/15) and (−4/15, 4/15), V00 = 433/450.
  // Summed: O − E = 0 for both groups, V00 = 433/225, so χ² = 0 (and p = 1).
  std::vector<cxm::grouped_lifetime> xs{{1, true, 0, 0}, {3, true, 0, 0}, {5, false, 0, 0},
                                        {2, true, 1, 0}, {4, true, 1, 0}, {6, true, 1, 0},
                                        {1, true, 1, 5}, {3, true, 1, 5}, {5, false, 1, 5},
                                        {2, true, 0, 5}, {4, true, 0, 5}, {6, true, 0, 5}};
  const auto test = cxm::log_rank(xs);
  CHECK(test.strata == 2);
  CHECK(test.groups[0].observed == 5);
  CXM_CHECK_CLOSE(test.groups[0].expected, 5.0);
  CXM_CHECK_CLOSE(test.variance[0], 433.0 / 225.0);
  CHECK(std::abs(*test.chi_squared) < 1e-12);
  // Unstratified, the risk sets mix the strata and the figures differ.
  for (auto& x : xs) x.stratum = 0;
  const auto pooled = cxm::log_rank(xs);
  CHECK(pooled.strata == 1);
  CHECK(pooled.variance[0] != doctest::Approx(433.0 / 225.0));
}

// ----- independent computations --------------------------------------------------------------------

TEST_CASE("Kaplan-Meier equals a brute-force computation on random data with ties") {
  std::mt19937_64 rng(14);
  for (int trial = 0; trial < 50; ++trial) {
    const auto xs = random_lifetimes(rng, 1 + rng() % 80);
    const auto km = cxm::kaplan_meier(xs);
    const auto brute = brute_kaplan_meier(xs);
    REQUIRE(km.rows.size() == brute.size());
    for (std::size_t i = 0; i < brute.size(); ++i) {
      CHECK(km.rows[i].time == brute[i].time);
      CHECK(km.rows[i].at_risk == brute[i].at_risk);
      CHECK(km.rows[i].events == brute[i].events);
      CHECK(km.rows[i].censored == brute[i].censored);
      CXM_CHECK_CLOSE(km.rows[i].survival, brute[i].survival);
      if (km.rows[i].variance) {
        CXM_CHECK_CLOSE(*km.rows[i].variance, brute[i].survival * brute[i].survival * brute[i].hazard_sum);
      } else {
        CHECK(brute[i].survival == 0.0);
      }
    }
    // Restricted mean: the integral of the step function on a fine grid of the half-unit times
    // (S is constant on each [t, t + 0.5)).
    const double tau = 7.25;
    double area = 0;
    for (double t = 0; t < tau; t += 0.25) {
      double s = 1;
      for (const auto& r : brute) {
        if (r.time <= t) s = r.survival;
      }
      area += 0.25 * s;
    }
    CXM_CHECK_CLOSE(cxm::restricted_mean(km, tau).mean, area);
  }
}

TEST_CASE("log-rank O, E, V and χ² equal a brute-force computation for three groups") {
  std::mt19937_64 rng(1966);
  for (int trial = 0; trial < 30; ++trial) {
    std::vector<cxm::grouped_lifetime> xs;
    for (std::size_t i = 0, n = 20 + rng() % 60; i < n; ++i) {
      xs.push_back({static_cast<double>(rng() % 25), rng() % 4 != 0, static_cast<std::int64_t>(rng() % 3), 0});
    }
    const auto test = cxm::log_rank(xs);
    const auto brute = brute_force_log_rank(xs, 3);
    REQUIRE(test.groups.size() == 3);
    for (std::size_t g = 0; g < 3; ++g) {
      CHECK(static_cast<double>(test.groups[g].observed) == brute.observed[g]);
      CXM_CHECK_CLOSE(test.groups[g].expected, brute.expected[g]);
      for (std::size_t h = 0; h < 3; ++h) CHECK(std::abs(test.variance[g * 3 + h] - brute.variance[g][h]) < 1e-12);
    }
    // χ² over groups 1 and 2, with the 2 × 2 inverse written out: [a b; b c]⁻¹ = [c −b; −b a] / (ac − b²).
    const double u1 = brute.observed[1] - brute.expected[1], u2 = brute.observed[2] - brute.expected[2];
    const double a = brute.variance[1][1], b = brute.variance[1][2], c = brute.variance[2][2];
    const double chi = (c * u1 * u1 - 2 * b * u1 * u2 + a * u2 * u2) / (a * c - b * b);
    REQUIRE(test.chi_squared.has_value());
    CHECK(test.degrees_of_freedom == 2);
    CXM_CHECK_CLOSE(*test.chi_squared, chi);
    // Two degrees of freedom: P(χ² >= x) = exp(−x/2).
    CHECK(std::abs(*test.p_value - std::exp(-chi / 2)) < 1e-12);
  }
}

// ----- R reference values --------------------------------------------------------------------------

TEST_CASE("Kaplan-Meier curves of lung and veteran equal R's survfit") {
  // expected_km.csv: dataset, subset, conf_type, level, time, n_risk, n_event, n_censor, surv,
  // std_err (of S), lower, upper; one row per distinct time (survival 3.5-3).
  std::map<std::string, std::vector<std::vector<std::string>>> curves;
  for (auto& f : read_csv("expected_km.csv")) curves[f[0] + "," + f[1] + "," + f[2] + "," + f[3]].push_back(f);
  REQUIRE(curves.size() == 18);  // 6 subsets × 3 band types
  for (const auto& curve : curves) {  // not a structured binding: clang 14 cannot capture one in a lambda (INFO does)
    const auto& key = curve.first;
    const auto& rows = curve.second;
    INFO(key);
    const auto& first = rows.front();
    const auto table = reference_subset(first[0], first[1]);
    const auto km = cxm::kaplan_meier(table, {must(first[3]), band_of(first[2])});
    REQUIRE(km.rows.size() == rows.size());
    for (std::size_t i = 0; i < rows.size(); ++i) {
      const auto& f = rows[i];
      const auto& row = km.rows[i];
      INFO("time ", f[4]);
      CHECK(row.time == must(f[4]));
      CHECK(row.at_risk == std::stoull(f[5]));
      CHECK(row.events == std::stoull(f[6]));
      CHECK(row.censored == std::stoull(f[7]));
      SURV_CHECK_NEAR(row.survival, must(f[8]));
      check_optional_near(row.standard_error, number(f[9]), "std_err");
      check_optional_near(row.lower, number(f[10]), "lower");
      check_optional_near(row.upper, number(f[11]), "upper");
    }
  }
}

TEST_CASE("median survival, its interval and the restricted mean equal R's print.survfit") {
  // expected_km_summary.csv: dataset, subset, conf_type, level, tau, median, median_lower, median_upper,
  // rmean, se_rmean (summary(fit, rmean = tau)$table).
  const auto rows = read_csv("expected_km_summary.csv");
  REQUIRE(rows.size() == 36);  // 6 subsets × 3 band types × 2 levels
  for (const auto& f : rows) {
    INFO(f[0], " ", f[1], " ", f[2], " ", f[3]);
    const auto km = cxm::kaplan_meier(reference_subset(f[0], f[1]), {must(f[3]), band_of(f[2])});
    const auto median = cxm::median_survival(km);
    check_optional_near(median.median, number(f[5]), "median");
    check_optional_near(median.lower, number(f[6]), "median lower");
    check_optional_near(median.upper, number(f[7]), "median upper");
    const auto rmean = cxm::restricted_mean(km, must(f[4]));
    SURV_CHECK_NEAR(rmean.mean, must(f[8]));
    SURV_CHECK_NEAR(rmean.standard_error, must(f[9]));
  }
}

TEST_CASE("log-rank tests of lung and veteran equal R's survdiff") {
  // expected_logrank.csv: test, chisq, df, p_value; expected_logrank_groups.csv: test, group, observed,
  // expected (survdiff, rho = 0; stratified: summed over strata).
  std::map<std::string, cxm::log_rank_result> results{
      {"lung_by_sex", lung_by_sex().result()},
      {"veteran_by_trt", veteran(false, false).result()},
      {"veteran_by_celltype", veteran(true, false).result()},
      {"veteran_by_trt_strata_celltype", veteran(false, true).result()},
  };
  const auto tests = read_csv("expected_logrank.csv");
  REQUIRE(tests.size() == 4);
  for (const auto& f : tests) {
    INFO(f[0]);
    REQUIRE(results.count(f[0]) == 1);
    const auto& r = results.at(f[0]);
    SURV_CHECK_NEAR(*r.chi_squared, must(f[1]));
    CHECK(r.degrees_of_freedom == std::stoull(f[2]));
    SURV_CHECK_NEAR(*r.p_value, must(f[3]));
  }
  CHECK(results.at("veteran_by_trt_strata_celltype").strata == 4);
  const auto groups = read_csv("expected_logrank_groups.csv");
  REQUIRE(groups.size() == 10);
  for (const auto& f : groups) {
    INFO(f[0], " group ", f[1]);
    const auto& r = results.at(f[0]);
    const auto label = std::stoll(f[1]);
    const auto g = std::find_if(r.groups.begin(), r.groups.end(), [&](const auto& x) { return x.group == label; });
    REQUIRE(g != r.groups.end());
    CHECK(static_cast<double>(g->observed) == must(f[2]));
    SURV_CHECK_NEAR(g->expected, must(f[3]));
  }
}

// ----- accumulator invariants ----------------------------------------------------------------------

TEST_CASE("survival_table: merge/split, commutativity, save/load, corruption (invariant harness)") {
  cxm::test::check_invariants<cxm::survival_table>(
      [] { return cxm::survival_table{}; },
      [](std::mt19937_64& rng) { return cxm::lifetime{static_cast<double>(rng() % 30), rng() % 3 != 0}; },
      [](const cxm::kaplan_meier_result& a, const cxm::kaplan_meier_result& b) { same_km(a, b); },
      cxm::test::invariant_options{200, 300, 200, true, 14});
}

TEST_CASE("grouped_survival: merge/split, commutativity, save/load, corruption (invariant harness)") {
  cxm::test::check_invariants<cxm::grouped_survival>(
      [] { return cxm::grouped_survival{}; },
      [](std::mt19937_64& rng) {
        return cxm::grouped_lifetime{static_cast<double>(rng() % 20), rng() % 3 != 0,
                                     static_cast<std::int64_t>(rng() % 3) - 1, static_cast<std::int64_t>(rng() % 2)};
      },
      [](const cxm::log_rank_result& a, const cxm::log_rank_result& b) { same_log_rank(a, b); },
      cxm::test::invariant_options{200, 200, 200, true, 1966});
}

TEST_CASE("survival_table: arrival order does not matter (lifetimes arrive out of time order)") {
  std::mt19937_64 rng(7);
  auto xs = random_lifetimes(rng, 300);
  cxm::survival_table in_order;
  for (const auto& x : xs) in_order.add(x);
  std::shuffle(xs.begin(), xs.end(), rng);
  cxm::survival_table shuffled;
  for (const auto& x : xs) shuffled.add(x);
  CHECK(in_order == shuffled);
  // add(time, event, count) equals count single adds.
  cxm::survival_table counted, single;
  counted.add(3.5, true, 4);
  for (int i = 0; i < 4; ++i) single.add({3.5, true});
  CHECK(counted == single);
}

TEST_CASE("survival_table: save -> load -> continue equals never stopping; groups pool to the whole") {
  std::mt19937_64 rng(21);
  const auto xs = random_lifetimes(rng, 120);
  cxm::survival_table whole, first;
  for (const auto& x : xs) whole.add(x);
  for (std::size_t i = 0; i < 50; ++i) first.add(xs[i]);
  auto resumed = cxm::io::load_state<cxm::survival_table>(cxm::io::save_state(first));
  for (std::size_t i = 50; i < xs.size(); ++i) resumed.add(xs[i]);
  CHECK(resumed == whole);
  same_km(resumed.result(), whole.result());

  cxm::grouped_survival grouped;
  for (std::size_t i = 0; i < xs.size(); ++i) {
    grouped.add({xs[i].time, xs[i].event, static_cast<std::int64_t>(i % 3), static_cast<std::int64_t>(i % 2)});
  }
  CHECK(grouped.pooled() == whole);
  cxm::survival_table group1;
  for (std::size_t i = 1; i < xs.size(); i += 3) group1.add(xs[i]);
  CHECK(grouped.group(1) == group1);
}

// ----- bad input and bad state ---------------------------------------------------------------------

TEST_CASE("survival: bad lifetimes and arguments are rejected with a named error") {
  cxm::survival_table table;
  table.add({1, true});
  const auto before = table;
  for (const double bad : {not_a_number, infinity, -infinity, -1.0, -1e-300}) {
    CHECK_THROWS_AS(table.add({bad, true}), cxm::invalid_event);
    CHECK_THROWS_WITH_AS(table.add({bad, false}), doctest::Contains("time"), std::invalid_argument);
  }
  CHECK(table == before);
  cxm::grouped_survival grouped;
  CHECK_THROWS_AS(grouped.add({not_a_number, true, 0, 0}), cxm::invalid_event);
  CHECK_THROWS_AS(grouped.add({-2, true, 0, 0}), cxm::invalid_event);
  CHECK(grouped == cxm::grouped_survival{});
  // -0 is time 0.
  table.add({-0.0, true});
  CHECK(table.by_time().begin()->first == 0.0);
  CHECK_FALSE(std::signbit(table.by_time().begin()->first));
  CHECK(cxm::io::load_state<cxm::survival_table>(cxm::io::save_state(table)) == table);

  for (const double level : {0.0, 1.0, -0.5, 1.5, not_a_number}) {
    CHECK_THROWS_WITH_AS(cxm::kaplan_meier(table, {level, cxm::survival_band_type::log}), doctest::Contains("level"),
                         std::invalid_argument);
  }
  const auto km = table.result();
  for (const double tau : {-1.0, not_a_number, infinity}) {
    CHECK_THROWS_WITH_AS(cxm::restricted_mean(km, tau), doctest::Contains("tau"), std::invalid_argument);
  }
}

TEST_CASE("survival_table: loading out-of-range fields is a format_error") {
  auto image = [](auto&& write) {
    cxm::io::writer w;
    write(w);
    return payload_of(w);
  };
  auto entry = [](cxm::io::writer& w, double time, std::uint64_t events, std::uint64_t censored) {
    w.f64(time);
    w.u64(events);
    w.u64(censored);
  };
  // A valid payload loads.
  const auto good = image([&](cxm::io::writer& w) { w.u64(2), entry(w, 1, 2, 0), entry(w, 3, 0, 1); });
  const auto loaded = load_payload<cxm::survival_table>(good);
  CHECK(loaded.subjects() == 3);
  CHECK(loaded.result().rows[0].at_risk == 3);

  const std::vector<std::vector<std::byte>> bad{
      image([&](cxm::io::writer& w) { w.u64(2), entry(w, 3, 1, 0), entry(w, 1, 1, 0); }),             // decreasing
      image([&](cxm::io::writer& w) { w.u64(2), entry(w, 1, 1, 0), entry(w, 1, 1, 0); }),             // repeated
      image([&](cxm::io::writer& w) { w.u64(1), entry(w, -1, 1, 0); }),                               // negative
      image([&](cxm::io::writer& w) { w.u64(1), entry(w, -0.0, 1, 0); }),                             // -0
      image([&](cxm::io::writer& w) { w.u64(1), entry(w, not_a_number, 1, 0); }),                     // NaN
      image([&](cxm::io::writer& w) { w.u64(1), entry(w, infinity, 1, 0); }),                         // infinite
      image([&](cxm::io::writer& w) { w.u64(1), entry(w, 2, 0, 0); }),                                // no lifetimes
      image([&](cxm::io::writer& w) { w.u64(1), entry(w, 2, ~std::uint64_t{0}, 1); }),                // overflow
      image([&](cxm::io::writer& w) { w.u64(2), entry(w, 1, ~std::uint64_t{0}, 0), entry(w, 2, 1, 0); }),  // total
      image([&](cxm::io::writer& w) { w.u64(3), entry(w, 1, 1, 0); }),                                // length
      image([&](cxm::io::writer& w) { w.u64(1); }),                                                   // truncated
  };
  for (std::size_t i = 0; i < bad.size(); ++i) {
    INFO("case ", i);
    CHECK_THROWS_AS(load_payload<cxm::survival_table>(bad[i]), cxm::format_error);
  }
}

TEST_CASE("grouped_survival: loading out-of-range fields is a format_error") {
  auto image = [](auto&& write) {
    cxm::io::writer w;
    write(w);
    return payload_of(w);
  };
  auto cell = [](cxm::io::writer& w, std::int64_t stratum, std::int64_t group, std::uint64_t events) {
    w.i64(stratum);
    w.i64(group);
    if (events == 0) {
      w.u64(0);  // an empty table
      return;
    }
    w.u64(1);
    w.f64(1.0);
    w.u64(events);
    w.u64(0);
  };
  const auto good = image([&](cxm::io::writer& w) { w.u64(2), cell(w, -1, 4, 1), cell(w, 0, -3, 2); });
  const auto loaded = load_payload<cxm::grouped_survival>(good);
  CHECK(loaded.subjects() == 3);
  CHECK(loaded.cells().size() == 2);
  const std::vector<std::vector<std::byte>> bad{
      image([&](cxm::io::writer& w) { w.u64(2), cell(w, 0, 2, 1), cell(w, 0, 1, 1); }),  // decreasing group
      image([&](cxm::io::writer& w) { w.u64(2), cell(w, 1, 0, 1), cell(w, 0, 5, 1); }),  // decreasing stratum
      image([&](cxm::io::writer& w) { w.u64(2), cell(w, 0, 1, 1), cell(w, 0, 1, 1); }),  // repeated cell
      image([&](cxm::io::writer& w) { w.u64(1), cell(w, 0, 1, 0); }),                    // empty cell
      image([&](cxm::io::writer& w) {
        w.u64(2), cell(w, 0, 1, ~std::uint64_t{0}), cell(w, 0, 2, 1);                     // total overflow
      }),
      image([&](cxm::io::writer& w) { w.u64(5), cell(w, 0, 1, 1); }),                    // length
  };
  for (std::size_t i = 0; i < bad.size(); ++i) {
    INFO("case ", i);
    CHECK_THROWS_AS(load_payload<cxm::grouped_survival>(bad[i]), cxm::format_error);
  }
}
