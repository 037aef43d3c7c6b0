#pragma once
/// \file
/// Survival of customers: the Kaplan-Meier estimate and the log-rank test (docs/metrics/churn.md).
///
/// Input: customer lifetimes. A lifetime is a duration `time` >= 0 (in any one unit: days, months, ...)
/// and `event`: true when the customer churned at `time`, false when the customer was still active at
/// `time` (right-censored: last seen, or the observation window ended). Optional integer `group`
/// (the arms to compare) and `stratum` (a blocking variable) labels.
///
/// Kaplan-Meier (Kaplan & Meier 1958, "Nonparametric estimation from incomplete observations", JASA 53):
///   S(t) = Π_{t_j <= t} (1 − d_j / n_j)   over distinct times t_j, n_j at risk just before t_j, d_j churned.
///   A customer censored at t_j counts as at risk at t_j (the convention of R's survival::survfit).
/// Greenwood's variance (Greenwood 1926, "The natural duration of cancer", Reports on Public Health
/// and Medical Subjects 33): Var S(t) = S(t)² Σ_{t_j <= t} d_j / (n_j (n_j − d_j)).
/// Confidence bands (conf.type of R's survfit; Therneau & Grambsch 2000, "Modeling Survival Data", §2.1;
/// Kalbfleisch & Prentice 2002, §1.3), with z the two-sided normal quantile and σ² = Σ d/(n(n−d)):
///   plain     S ± z σ S, clipped to [0, 1];
///   log       exp(log S ± z σ), upper clipped to 1 (R's default);
///   log-log   exp(−exp(log(−log S) ∓ z σ / log S)), undefined where S is 0 or 1.
/// Median survival: the first time S(t) <= 0.5 (the midpoint to the next drop when S equals 0.5 over an
/// interval); its confidence interval is the same rule applied to the lower and upper band curves
/// (Brookmeyer & Crowley 1982, Biometrics 38; as R's print.survfit computes it).
/// Restricted mean survival time up to τ: ∫_0^τ S(t) dt, with the standard error
/// √(Σ_{t_j <= τ} A_j² d_j / (n_j (n_j − d_j))), A_j = ∫_{t_j}^τ S (Klein & Moeschberger 2003, §4.5;
/// R's print(fit, rmean = τ)).
///
/// Log-rank test (Mantel 1966, "Evaluation of survival data and two new rank order statistics arising in
/// its consideration", Cancer Chemotherapy Reports 50; Peto & Peto 1972; R's survdiff with rho = 0):
/// at each distinct churn time with n at risk and d churned, group g with n_g at risk expects
/// E_g = d n_g / n, and the hypergeometric covariance is
///   V_gh = d (n − d) / (n − 1) · (n_g / n) (δ_gh − n_h / n)   (0 when n = 1).
/// χ² = (O − E)ᵀ V⁻¹ (O − E) over all groups but the first with E > 0, with k − 1 degrees of freedom
/// (k groups with E > 0). The stratified test sums O, E and V over strata (each stratum has its own risk
/// sets). p-value from the chi-squared distribution (Boost.Math).
///
/// State: the accumulators keep one count of churned and of censored customers per distinct time (and per
/// group/stratum cell): exact, merged by addition, commutative. Estimates and tests are free functions over
/// the state, or over its result.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

// The special functions only, not boost/math/distributions (docs/benchmarks.md, "Compile cost"):
// the chi-squared upper tail is gamma_q(k/2, x/2), the normal quantile -sqrt(2)·erfc_inv(2p).
#include <boost/math/constants/constants.hpp>
#include <boost/math/special_functions/erf.hpp>
#include <boost/math/special_functions/gamma.hpp>

#include "cxm/core/accumulator.hpp"
#include "cxm/core/error.hpp"
#include "cxm/io/reader.hpp"
#include "cxm/io/writer.hpp"

namespace cxm {

/// One customer's lifetime.
struct lifetime {
  double time = 0;     ///< duration from the start of the relationship, >= 0, finite (any one unit)
  bool event = false;  ///< true: churned at `time`; false: right-censored (still active at `time`)
  /// Compares every field.
  friend bool operator==(const lifetime&, const lifetime&) = default;
};

/// A lifetime with the group it belongs to (the arms the log-rank test compares) and its stratum.
struct grouped_lifetime {
  double time = 0;            ///< as lifetime::time
  bool event = false;         ///< as lifetime::event
  std::int64_t group = 0;     ///< group label (any integers; reported in ascending order)
  std::int64_t stratum = 0;   ///< stratum label; leave 0 for an unstratified test
  /// Compares every field.
  friend bool operator==(const grouped_lifetime&, const grouped_lifetime&) = default;
};

/// The scale on which a Kaplan-Meier confidence band is symmetric (R's survfit conf.type).
enum class survival_band_type : std::uint8_t {
  plain = 0,    ///< on S: S ± z·se(S)
  log = 1,      ///< on log S (R's default)
  log_log = 2,  ///< on log(−log S)
};

/// The arguments of the Kaplan-Meier estimate's bands.
struct survival_options {
  double level = 0.95;                          ///< two-sided confidence level, in (0, 1)
  survival_band_type band = survival_band_type::log;  ///< the band's scale
};

/// One distinct time of a Kaplan-Meier table (a time where at least one customer churned or was censored).
struct survival_row {
  double time;                  ///< the distinct time t_j
  std::uint64_t at_risk;        ///< n_j: customers with lifetime >= t_j
  std::uint64_t events;         ///< d_j: customers who churned at t_j
  std::uint64_t censored;       ///< customers censored at t_j (at risk at t_j, gone after)
  double survival;              ///< S(t_j) = Π_{i <= j} (1 − d_i / n_i), in [0, 1]
  /// σ = √(Σ_{i <= j} d_i / (n_i (n_i − d_i))): the standard error of log S (and of the Nelson-Aalen
  /// cumulative hazard; R's fit$std.err). Empty once every customer at risk churned (S = 0).
  std::optional<double> log_standard_error;
  /// Greenwood's variance of S(t_j), S² σ². Empty where σ is.
  std::optional<double> variance;
  /// √variance: the standard error of S (R's summary(fit)$std.err). Empty where σ is.
  std::optional<double> standard_error;
  /// The confidence band at t_j (level and scale of the survival_options). Empty where the scale has no
  /// value: S = 0 (all scales), S = 1 (log-log).
  std::optional<double> lower;
  std::optional<double> upper;  ///< see `lower`
};

/// The Kaplan-Meier estimate.
struct kaplan_meier_result {
  std::uint64_t subjects;           ///< customers (lifetimes) folded in
  std::uint64_t events;             ///< of which churned
  double level;                     ///< confidence level of the bands
  survival_band_type band;          ///< scale of the bands
  std::vector<survival_row> rows;   ///< one per distinct time, ascending; empty when subjects == 0
};

/// Median survival and its confidence interval. Each is empty when the curve never reaches 0.5.
struct median_survival_result {
  std::optional<double> median;  ///< first time S <= 0.5 (midpoint rule when S = 0.5 over an interval)
  std::optional<double> lower;   ///< the same rule applied to the lower band curve
  std::optional<double> upper;   ///< the same rule applied to the upper band curve
  double level;                  ///< confidence level of the bands used
};

/// Restricted mean survival time.
struct restricted_mean_result {
  double tau;             ///< the upper limit of integration
  double mean;            ///< ∫_0^τ S(t) dt (in the unit of `time`)
  double standard_error;  ///< √(Σ_{t_j <= τ} A_j² d_j / (n_j (n_j − d_j))), A_j = ∫_{t_j}^τ S
};

namespace detail {

inline void check_lifetime_time(double time, std::string_view who) {
  if (!std::isfinite(time) || time < 0) {
    throw invalid_event(std::string(who) + ": time is " + std::to_string(time) + ", must be finite and >= 0");
  }
}

inline double two_sided_z(double level) {
  if (!(level > 0 && level < 1)) {
    throw std::invalid_argument("survival: level is " + std::to_string(level) + ", must be in (0, 1)");
  }
  // What boost::math::quantile(normal_distribution<double>(0, 1), p) computes, term for term.
  return -boost::math::erfc_inv(2 * (1.0 - (1.0 - level) / 2.0)) * boost::math::constants::root_two<double>();
}

/// Q(k/2, x/2), the upper tail P(X > x) of a chi-squared variable with k > 0 degrees of freedom:
/// what cdf(complement(chi_squared_distribution<double>(k), x)) returns, with its check of x.
inline double chi_squared_upper_tail(double k, double x) {
  if (!(x >= 0) || !std::isfinite(x)) {
    throw std::domain_error("chi-squared statistic is " + std::to_string(x) + ", must be finite and >= 0");
  }
  return boost::math::gamma_q(k / 2, x / 2);
}

inline std::uint64_t checked_add(std::uint64_t a, std::uint64_t b, std::string_view what) {
  if (b > std::numeric_limits<std::uint64_t>::max() - a) {
    throw std::overflow_error(std::string(what) + ": 64-bit count overflow");
  }
  return a + b;
}

}  // namespace detail

/// Churned and censored counts per distinct time: the mergeable state of a Kaplan-Meier estimate.
/// Input: lifetime (or time and event). Cost per add: O(log m) for m distinct times; an allocation only
/// for a new distinct time. Memory: one node (time, 2 counts) per distinct time. Mergeable: exact,
/// associative and commutative (counts are added). No parameters: the confidence level and band scale
/// are arguments of kaplan_meier(), so any two tables merge.
/// Result: kaplan_meier(table): Kaplan & Meier (1958), Greenwood's (1926) variance (the top of this
/// header). Not synchronised: one per thread, then merge (docs/architecture.md, "Thread safety").
class survival_table {
 public:
  /// Identifies the payload in a framed image (docs/state-format.md).
  static constexpr std::uint32_t type_tag = fourcc("surv");
  /// Version of the payload's layout (docs/state-format.md).
  static constexpr std::uint16_t format_version = 1;
  static constexpr std::string_view name = "survival_table";  ///< the name in messages

  /// The counts at one distinct time.
  struct counts {
    std::uint64_t events = 0;    ///< churned at this time
    std::uint64_t censored = 0;  ///< censored at this time
    /// Compares every field.
    friend bool operator==(const counts&, const counts&) = default;
  };

  survival_table() = default;

  /// Folds in one lifetime. Throws cxm::invalid_event (a std::invalid_argument) naming `time` when it
  /// is NaN, infinite or negative; nothing is folded in then.
  void add(const lifetime& x) { add(x.time, x.event, 1); }
  /// Folds in `count` identical lifetimes.
  void add(double time, bool event, std::uint64_t count = 1) {
    detail::check_lifetime_time(time, name);
    if (count == 0) return;
    const auto total = detail::checked_add(subjects_, count, name);
    auto& c = by_time_[time == 0 ? 0.0 : time];  // -0.0 and 0.0 are one time
    (event ? c.events : c.censored) += count;
    subjects_ = total;
  }

  /// Adds the other's counts, time by time; throws std::overflow_error when the subject count would overflow.
  void merge(const survival_table& other) {
    (void)detail::checked_add(subjects_, other.subjects_, name);
    for (const auto& [time, c] : other.by_time_) {
      auto& mine = by_time_[time];
      mine.events += c.events;
      mine.censored += c.censored;
    }
    subjects_ += other.subjects_;
  }

  /// Customers folded in.
  [[nodiscard]] std::uint64_t subjects() const noexcept { return subjects_; }
  [[nodiscard]] bool empty() const noexcept { return subjects_ == 0; }  ///< no customer folded in
  /// The counts per distinct time, ascending.
  [[nodiscard]] const std::map<double, counts>& by_time() const noexcept { return by_time_; }

  /// The Kaplan-Meier estimate with 95% log bands (kaplan_meier(table, options) for others).
  [[nodiscard]] kaplan_meier_result result() const;

  /// Payload: u64 number of distinct times, then per time (ascending): f64 time, u64 events, u64 censored.
  void save(io::writer& w) const {
    w.u64(by_time_.size());
    for (const auto& [time, c] : by_time_) {
      w.f64(time);
      w.u64(c.events);
      w.u64(c.censored);
    }
  }

  /// Checks: times finite, >= 0 and strictly increasing; no time with zero counts; the total fits 64 bits.
  static survival_table load(io::reader& r) {
    survival_table out;
    const std::size_t n = r.length("survival_table: number of times", 24);
    double previous = -1;
    for (std::size_t i = 0; i < n; ++i) {
      const double time = r.non_negative_f64("survival_table: time");
      if (!(time > previous)) io::reader::fail("survival_table: times are not strictly increasing");
      // -0.0 is written as 0.0 by add(); any other sign bit is corruption.
      if (std::signbit(time)) io::reader::fail("survival_table: time is -0");
      previous = time;
      counts c;
      c.events = r.u64("survival_table: events");
      c.censored = r.u64("survival_table: censored");
      if (c.events == 0 && c.censored == 0) io::reader::fail("survival_table: a time with no lifetimes");
      if (c.censored > std::numeric_limits<std::uint64_t>::max() - c.events ||
          c.events + c.censored > std::numeric_limits<std::uint64_t>::max() - out.subjects_) {
        io::reader::fail("survival_table: counts overflow 64 bits");
      }
      out.subjects_ += c.events + c.censored;
      out.by_time_.emplace_hint(out.by_time_.end(), time, c);
    }
    return out;
  }

  /// Compares the whole state, parameters included.
  friend bool operator==(const survival_table&, const survival_table&) = default;

 private:
  std::map<double, counts> by_time_;
  std::uint64_t subjects_ = 0;
};

/// The Kaplan-Meier estimate of `table`, with bands at `options.level` on `options.band`'s scale.
/// Cost O(m) for m distinct times. Throws std::invalid_argument naming `level` when it is not in (0, 1).
inline kaplan_meier_result kaplan_meier(const survival_table& table, const survival_options& options = {}) {
  const double z = detail::two_sided_z(options.level);
  kaplan_meier_result out{table.subjects(), 0, options.level, options.band, {}};
  out.rows.reserve(table.by_time().size());
  std::uint64_t at_risk = table.subjects();
  double survival = 1.0;
  double hazard_variance = 0.0;  // Σ d / (n (n − d))
  bool defined = true;           // false once n = d (S = 0 and σ infinite)
  for (const auto& [time, c] : table.by_time()) {
    survival_row row{time, at_risk, c.events, c.censored, 0.0, {}, {}, {}, {}, {}};
    const auto n = static_cast<double>(at_risk);
    const auto d = static_cast<double>(c.events);
    out.events += c.events;
    if (c.events > 0) {
      if (c.events == at_risk) {
        survival = 0.0;
        defined = false;
      } else {
        survival *= 1.0 - d / n;
        hazard_variance += d / (n * (n - d));
      }
    }
    row.survival = survival;
    if (defined) {
      const double sigma = std::sqrt(hazard_variance);
      row.log_standard_error = sigma;
      row.variance = survival * survival * hazard_variance;
      row.standard_error = survival * sigma;
      if (survival > 0) {
        switch (options.band) {
          case survival_band_type::plain:
            row.lower = std::max(survival - z * sigma * survival, 0.0);
            row.upper = std::min(survival + z * sigma * survival, 1.0);
            break;
          case survival_band_type::log:
            row.lower = std::exp(std::log(survival) - z * sigma);
            row.upper = std::min(std::exp(std::log(survival) + z * sigma), 1.0);
            break;
          case survival_band_type::log_log:
            if (survival < 1) {
              const double centre = std::log(-std::log(survival));
              const double half_width = z * sigma / std::log(survival);
              row.lower = std::exp(-std::exp(centre - half_width));
              row.upper = std::exp(-std::exp(centre + half_width));
            }
            break;
        }
      }
    }
    out.rows.push_back(row);
    at_risk -= c.events + c.censored;
  }
  return out;
}

/// Kaplan-Meier estimate of a range of lifetimes (validated as survival_table::add does).
inline kaplan_meier_result kaplan_meier(std::span<const lifetime> lifetimes, const survival_options& options = {}) {
  survival_table table;
  for (const auto& x : lifetimes) table.add(x);
  return kaplan_meier(table, options);
}

inline kaplan_meier_result survival_table::result() const { return kaplan_meier(*this); }

namespace detail {

// R's survmean "minmin": the first time the curve is below 0.5 (within √ε); when it equals 0.5 there and
// drops later, the midpoint between that time and the time of the next drop. Rows without a value skip.
template <class Value>
std::optional<double> first_below_half(const std::vector<survival_row>& rows, Value value) {
  const double tolerance = std::sqrt(std::numeric_limits<double>::epsilon());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const std::optional<double> y = value(rows[i]);
    if (!y || !(*y < 0.5 + tolerance)) continue;
    if (std::abs(*y - 0.5) < tolerance) {
      for (std::size_t j = i + 1; j < rows.size(); ++j) {
        const std::optional<double> later = value(rows[j]);
        if (later && *later < *y) return (rows[i].time + rows[j].time) / 2.0;
      }
    }
    return rows[i].time;
  }
  return std::nullopt;
}

}  // namespace detail

/// Median survival with the confidence interval from the result's bands (R's print.survfit). O(m).
inline median_survival_result median_survival(const kaplan_meier_result& km) {
  return {detail::first_below_half(km.rows, [](const survival_row& r) { return std::optional<double>(r.survival); }),
          detail::first_below_half(km.rows, [](const survival_row& r) { return r.lower; }),
          detail::first_below_half(km.rows, [](const survival_row& r) { return r.upper; }), km.level};
}

/// Restricted mean survival time up to `tau` and its standard error (R's print(fit, rmean = tau)).
/// O(m). Throws std::invalid_argument naming `tau` when it is NaN, infinite or negative.
inline restricted_mean_result restricted_mean(const kaplan_meier_result& km, double tau) {
  if (!std::isfinite(tau) || tau < 0) {
    throw std::invalid_argument("restricted_mean: tau is " + std::to_string(tau) + ", must be finite and >= 0");
  }
  // Rectangles of the step function on [0, τ]; the term of time t_j needs A_j = ∫_{t_j}^τ S, so the
  // areas are accumulated from τ backwards.
  double previous_time = 0.0;
  double previous_survival = 1.0;
  double mean = 0.0;
  std::vector<double> areas;  // area of the rectangle that ends at kept row j's time
  std::vector<double> hazard;
  for (const auto& row : km.rows) {
    if (row.time > tau) break;
    areas.push_back((row.time - previous_time) * previous_survival);
    const auto n = static_cast<double>(row.at_risk);
    const auto d = static_cast<double>(row.events);
    hazard.push_back(row.at_risk == row.events ? 0.0 : d / (n * (n - d)));
    previous_time = row.time;
    previous_survival = row.survival;
  }
  const double last_area = (tau - previous_time) * previous_survival;
  for (const double a : areas) mean += a;
  mean += last_area;
  double variance = 0.0;
  double after = last_area;  // ∫_{t_j}^τ S for the kept row j, walking backwards
  for (std::size_t j = areas.size(); j-- > 0;) {
    variance += after * after * hazard[j];
    after += areas[j];
  }
  return {tau, mean, std::sqrt(variance)};
}

/// One group of a log-rank test.
struct log_rank_group {
  std::int64_t group;      ///< the label
  std::uint64_t subjects;  ///< lifetimes in the group (all strata)
  std::uint64_t observed;  ///< O_g: churned in the group
  double expected;         ///< E_g = Σ d n_g / n over the churn times (summed over strata)
};

/// The log-rank test.
struct log_rank_result {
  std::vector<log_rank_group> groups;  ///< ascending by label
  /// V, k × k row-major (k = groups.size()), summed over strata: the covariance of O − E.
  std::vector<double> variance;
  std::uint64_t strata;                ///< strata with at least one lifetime
  /// Groups with E > 0, minus one (0: no test, fewer than two groups had anyone at risk at a churn).
  std::uint64_t degrees_of_freedom;
  /// (O − E)ᵀ V⁻¹ (O − E) over the groups with E > 0 but the first. Empty when degrees_of_freedom is 0
  /// or that variance matrix is singular.
  std::optional<double> chi_squared;
  std::optional<double> p_value;       ///< P(χ²_df >= chi_squared); empty when chi_squared is
};

/// Lifetimes by (stratum, group) cell: the mergeable state of a (stratified) log-rank test, and of one
/// Kaplan-Meier curve per group. Input: grouped_lifetime. Cost per add: O(log c + log m) for c cells
/// and m distinct times in the cell. Memory: one survival_table per non-empty cell. Mergeable: exact,
/// associative and commutative. No parameters.
/// Result: log_rank(...) (Mantel 1966) and a Kaplan-Meier curve per group (the top of this header).
/// Not synchronised: one per thread, then merge (docs/architecture.md, "Thread safety").
class grouped_survival {
 public:
  /// Identifies the payload in a framed image (docs/state-format.md).
  static constexpr std::uint32_t type_tag = fourcc("gsrv");
  /// Version of the payload's layout (docs/state-format.md).
  static constexpr std::uint16_t format_version = 1;
  static constexpr std::string_view name = "grouped_survival";  ///< the name in messages

  /// A cell's key: (stratum, group).
  using cell = std::pair<std::int64_t, std::int64_t>;

  grouped_survival() = default;

  /// Folds in one lifetime; throws cxm::invalid_event naming `time` when it is NaN, infinite or negative.
  void add(const grouped_lifetime& x) {
    detail::check_lifetime_time(x.time, name);
    (void)detail::checked_add(subjects_, 1, name);
    cells_[{x.stratum, x.group}].add(x.time, x.event, 1);
    ++subjects_;
  }

  /// Merges the other's cells; throws std::overflow_error when the subject count would overflow.
  void merge(const grouped_survival& other) {
    (void)detail::checked_add(subjects_, other.subjects_, name);
    for (const auto& [key, table] : other.cells_) cells_[key].merge(table);
    subjects_ += other.subjects_;
  }

  [[nodiscard]] std::uint64_t subjects() const noexcept { return subjects_; }  ///< customers folded in
  /// The non-empty cells, ascending by (stratum, group).
  [[nodiscard]] const std::map<cell, survival_table>& cells() const noexcept { return cells_; }

  /// The lifetimes of one group, pooled over strata (for its Kaplan-Meier curve).
  [[nodiscard]] survival_table group(std::int64_t label) const {
    survival_table out;
    for (const auto& [key, table] : cells_) {
      if (key.second == label) out.merge(table);
    }
    return out;
  }
  /// Every lifetime, whatever its group and stratum.
  [[nodiscard]] survival_table pooled() const {
    survival_table out;
    for (const auto& [key, table] : cells_) out.merge(table);
    return out;
  }

  /// The (stratified) log-rank test: see log_rank().
  [[nodiscard]] log_rank_result result() const;

  /// Payload: u64 number of cells, then per cell (ascending): i64 stratum, i64 group, survival_table payload.
  void save(io::writer& w) const {
    w.u64(cells_.size());
    for (const auto& [key, table] : cells_) {
      w.i64(key.first);
      w.i64(key.second);
      table.save(w);
    }
  }

  /// Checks: cells strictly increasing and non-empty, each table as survival_table::load, total fits 64 bits.
  static grouped_survival load(io::reader& r) {
    grouped_survival out;
    const std::size_t n = r.length("grouped_survival: number of cells", 24);
    for (std::size_t i = 0; i < n; ++i) {
      cell key;
      key.first = r.i64("grouped_survival: stratum");
      key.second = r.i64("grouped_survival: group");
      if (!out.cells_.empty() && !(out.cells_.rbegin()->first < key)) {
        io::reader::fail("grouped_survival: cells are not strictly increasing");
      }
      survival_table table = survival_table::load(r);
      if (table.empty()) io::reader::fail("grouped_survival: an empty cell");
      if (table.subjects() > std::numeric_limits<std::uint64_t>::max() - out.subjects_) {
        io::reader::fail("grouped_survival: counts overflow 64 bits");
      }
      out.subjects_ += table.subjects();
      out.cells_.emplace_hint(out.cells_.end(), key, std::move(table));
    }
    return out;
  }

  /// Compares the whole state, parameters included.
  friend bool operator==(const grouped_survival&, const grouped_survival&) = default;

 private:
  std::map<cell, survival_table> cells_;
  std::uint64_t subjects_ = 0;
};

namespace detail {

// Solves A x = b for a small dense symmetric positive semi-definite A (row-major, n × n) by Gaussian
// elimination with partial pivoting; empty when A is singular (a pivot below 1e-12 of the largest entry).
inline std::optional<std::vector<double>> solve_dense(std::vector<double> a, std::vector<double> b) {
  const std::size_t n = b.size();
  double scale = 0.0;
  for (const double v : a) scale = std::max(scale, std::abs(v));
  if (!(scale > 0)) return std::nullopt;
  for (std::size_t col = 0; col < n; ++col) {
    std::size_t pivot = col;
    for (std::size_t row = col + 1; row < n; ++row) {
      if (std::abs(a[row * n + col]) > std::abs(a[pivot * n + col])) pivot = row;
    }
    if (!(std::abs(a[pivot * n + col]) > 1e-12 * scale)) return std::nullopt;
    if (pivot != col) {
      for (std::size_t k = 0; k < n; ++k) std::swap(a[col * n + k], a[pivot * n + k]);
      std::swap(b[col], b[pivot]);
    }
    for (std::size_t row = col + 1; row < n; ++row) {
      const double factor = a[row * n + col] / a[col * n + col];
      for (std::size_t k = col; k < n; ++k) a[row * n + k] -= factor * a[col * n + k];
      b[row] -= factor * b[col];
    }
  }
  std::vector<double> x(n);
  for (std::size_t row = n; row-- > 0;) {
    double s = b[row];
    for (std::size_t k = row + 1; k < n; ++k) s -= a[row * n + k] * x[k];
    x[row] = s / a[row * n + row];
  }
  return x;
}

}  // namespace detail

/// The (stratified) log-rank test of `state`'s groups, strata taken from the cells. Cost O(S · T · k²)
/// for S strata, T distinct times and k groups (plus a k³ solve).
inline log_rank_result log_rank(const grouped_survival& state) {
  // Group labels, ascending, and their index.
  std::vector<std::int64_t> labels;
  for (const auto& [key, table] : state.cells()) labels.push_back(key.second);
  std::sort(labels.begin(), labels.end());
  labels.erase(std::unique(labels.begin(), labels.end()), labels.end());
  const std::size_t k = labels.size();
  auto index_of = [&](std::int64_t label) {
    return static_cast<std::size_t>(std::lower_bound(labels.begin(), labels.end(), label) - labels.begin());
  };

  log_rank_result out{{}, std::vector<double>(k * k, 0.0), 0, 0, std::nullopt, std::nullopt};
  for (const auto label : labels) out.groups.push_back({label, 0, 0, 0.0});

  auto cell = state.cells().begin();
  const auto end = state.cells().end();
  std::vector<double> at_risk_share(k);
  while (cell != end) {
    // One stratum: its cells are consecutive in the map.
    const std::int64_t stratum = cell->first.first;
    struct cursor {
      std::size_t group;
      std::map<double, survival_table::counts>::const_iterator next, end;
      std::uint64_t at_risk;
    };
    std::vector<cursor> cursors;
    for (; cell != end && cell->first.first == stratum; ++cell) {
      const auto& table = cell->second;
      const std::size_t g = index_of(cell->first.second);
      cursors.push_back({g, table.by_time().begin(), table.by_time().end(), table.subjects()});
      out.groups[g].subjects += table.subjects();
    }
    ++out.strata;
    for (;;) {
      // The next distinct time of the stratum.
      double time = std::numeric_limits<double>::infinity();
      for (const auto& c : cursors) {
        if (c.next != c.end) time = std::min(time, c.next->first);
      }
      if (time == std::numeric_limits<double>::infinity()) break;
      std::uint64_t n_total = 0;
      std::uint64_t d_total = 0;
      std::fill(at_risk_share.begin(), at_risk_share.end(), 0.0);
      for (const auto& c : cursors) {
        n_total += c.at_risk;
        if (c.next != c.end && c.next->first == time) d_total += c.next->second.events;
      }
      if (d_total > 0) {
        const auto n = static_cast<double>(n_total);
        const auto d = static_cast<double>(d_total);
        for (const auto& c : cursors) at_risk_share[c.group] = static_cast<double>(c.at_risk) / n;
        for (const auto& c : cursors) out.groups[c.group].expected += d * at_risk_share[c.group];
        if (n_total > 1) {
          const double spread = d * (n - d) / (n - 1);
          for (const auto& cg : cursors) {
            for (const auto& ch : cursors) {
              const double delta = cg.group == ch.group ? 1.0 : 0.0;
              out.variance[cg.group * k + ch.group] +=
                  spread * at_risk_share[cg.group] * (delta - at_risk_share[ch.group]);
            }
          }
        }
      }
      for (auto& c : cursors) {
        if (c.next != c.end && c.next->first == time) {
          out.groups[c.group].observed += c.next->second.events;
          c.at_risk -= c.next->second.events + c.next->second.censored;
          ++c.next;
        }
      }
    }
  }

  // The test over the groups with E > 0, dropping the first of them (R's survdiff).
  std::vector<std::size_t> used;
  for (std::size_t g = 0; g < k; ++g) {
    if (out.groups[g].expected > 0) used.push_back(g);
  }
  if (used.size() < 2) return out;
  out.degrees_of_freedom = used.size() - 1;
  const std::size_t m = used.size() - 1;
  std::vector<double> v(m * m);
  std::vector<double> diff(m);
  for (std::size_t i = 0; i < m; ++i) {
    const auto& gi = out.groups[used[i + 1]];
    diff[i] = static_cast<double>(gi.observed) - gi.expected;
    for (std::size_t j = 0; j < m; ++j) v[i * m + j] = out.variance[used[i + 1] * k + used[j + 1]];
  }
  const auto solved = detail::solve_dense(v, diff);
  if (!solved) return out;
  double chi = 0.0;
  for (std::size_t i = 0; i < m; ++i) chi += (*solved)[i] * diff[i];
  chi = std::max(chi, 0.0);  // V is positive semi-definite: a negative value is rounding
  out.chi_squared = chi;
  // cdf(complement(chi_squared_distribution<double>(k), x)) is Q(k/2, x/2) after its checks.
  out.p_value = detail::chi_squared_upper_tail(static_cast<double>(out.degrees_of_freedom), chi);
  return out;
}

/// The (stratified) log-rank test of a range of lifetimes (validated as grouped_survival::add does).
inline log_rank_result log_rank(std::span<const grouped_lifetime> lifetimes) {
  grouped_survival state;
  for (const auto& x : lifetimes) state.add(x);
  return log_rank(state);
}

inline log_rank_result grouped_survival::result() const { return log_rank(*this); }

}  // namespace cxm
